/**
 * Reconstructions out as a derived DICOM series that PACS and clinical viewers accept: one
 * single-frame file per slice, Explicit VR Little Endian, 16-bit unsigned MONOCHROME2 pixels with
 * a linear rescale back to the reconstruction's own values.
 *
 * SOP class: MR Image Storage when the source is an MR series whose plane geometry (pixel
 * spacing, orientation, one position per slice) is known and matches the image, so the result
 * hangs next to its source, keeps the MR context and supports cross-referencing and MPR;
 * otherwise Secondary Capture, whose IOD needs no acquisition details or geometry (any known
 * geometry is still written, as standard extended attributes). The MR IOD requires Image Plane
 * attributes, so an MR series without geometry could not be valid MR Image Storage; the legacy
 * single-frame class is used rather than Enhanced MR because every viewer reads it.
 *
 * Rescale: values v are stored as round((v − intercept) / slope), with the intercept at (or just
 * below) the minimum and the slope at (or just above) range / (2^bitsStored − 1), both taken
 * after rounding to the 16 characters a DS value allows, so reading back stored × slope +
 * intercept is within slope / 2 of v. Data that are already integers within 16 bits are stored
 * exactly with slope 1. The MR IOD has no Modality LUT module, so for MR the rescale is a
 * standard extended attribute; pydicom, dcmtk, cornerstone and the common viewers apply it.
 *
 * UIDs: 2.25.<the 128-bit value of a random UUID in decimal> (ITU-T X.667 / DICOM PS3.5 B.2),
 * which needs no registered organisation root.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { randomUUID } from 'node:crypto'
// @ts-expect-error -- dcmjs ships no type declarations; the few parts used are typed in DcmjsData below.
import dcmjs from 'dcmjs'
import { writeFileAtomic, ensureDir, FileExistsError, removeDirQuietly, removeQuietly } from './atomic-write.ts'
import type { Geometry } from './scan.ts'

export interface DerivedImage {
  frames: number
  rows: number
  columns: number
  /** frames × rows × columns, row-major, in the units the values should keep (after any rescale). */
  data: Float32Array | Float64Array
}

export interface DicomSource {
  /** Source tags by DICOM keyword (PatientName, StudyInstanceUID, Modality, SeriesNumber…). */
  metadata: Record<string, string | number>
  geometry?: Geometry
}

export interface Derivation {
  /** The reconstruction method, e.g. "FISTA-TV". */
  method: string
  /** Its parameters, written into DerivationDescription. */
  parameters: Record<string, unknown>
  /** Default: "<source description> <method>", or the method alone. */
  seriesDescription?: string
}

export interface DerivedSeriesOptions {
  /** Replace existing files. Default false: any existing target file fails the whole call before anything is written. */
  overwrite?: boolean
  /** 16 (default) or 12 significant bits per pixel. */
  bitsStored?: 12 | 16
  /** Default: source SeriesNumber + 1000, or 1 without a source. */
  seriesNumber?: number
  /** Receives one line per decision worth telling the user (placeholder patient, SOP class fallback…). */
  log?: (message: string) => void
}

const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4'
const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7'
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1'
/** Identifies this writer in every file's meta header (a fixed 2.25 UUID UID). */
export const IMPLEMENTATION_CLASS_UID = '2.25.257908948711549918978781913817258630988'
const IMPLEMENTATION_VERSION_NAME = 'RECONSTUDIO_0.1'
const PLACEHOLDER_PATIENT = 'Anonymous'

/** A new globally unique UID: 2.25 followed by a random (version 4) UUID as one decimal integer. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`
}

/**
 * Write `image` as a derived series: one file per frame. `target` is a directory (created if
 * missing; files IM_0001.dcm, IM_0002.dcm…) or a path ending in .dcm (one frame: that file;
 * several: <name>_0001.dcm… beside it). Returns the files written, in frame order.
 *
 * Without a source (e.g. a PNG input) a new study is created with the placeholder patient
 * "Anonymous"; options.log and the files' ImageComments say so. Every file is written atomically;
 * if any target exists (and overwrite is not set) nothing is written, and if a write fails the
 * files this call already wrote are removed again.
 */
export function writeDerivedDicomSeries(
  target: string,
  image: DerivedImage,
  source: DicomSource | null,
  derivation: Derivation,
  options: DerivedSeriesOptions = {}
): string[] {
  const log = options.log ?? ((): void => {})
  const plan = planSeries(image, source, derivation, options, log)
  const files = targetFiles(target, image.frames)
  const overwrite = options.overwrite === true

  // Refuse before writing anything, so that a clash never leaves half a series behind.
  if (!overwrite) for (const f of files) if (fs.existsSync(f) || isSymlink(f)) throw new FileExistsError(f)
  const dir = path.dirname(files[0])
  const dirExisted = fs.existsSync(dir)
  ensureDir(dir)
  const written: string[] = []
  try {
    for (let f = 0; f < image.frames; f++) {
      writeFileAtomic(files[f], encodeFrame(plan, image, f), { overwrite })
      written.push(files[f])
    }
  } catch (err) {
    for (const w of written) removeQuietly(w)
    if (!dirExisted) removeDirQuietly(dir)
    throw err
  }
  return files
}

function targetFiles(target: string, frames: number): string[] {
  const width = Math.max(4, String(frames).length)
  const num = (i: number): string => String(i + 1).padStart(width, '0')
  if (/\.dcm$/i.test(target)) {
    if (frames === 1) return [target]
    const stem = target.slice(0, -4)
    return Array.from({ length: frames }, (_, i) => `${stem}_${num(i)}.dcm`)
  }
  return Array.from({ length: frames }, (_, i) => path.join(target, `IM_${num(i)}.dcm`))
}

// ---------------------------------------------------------------------------------------------
// Series plan: everything shared by the frames

interface SeriesPlan {
  sopClassUid: string
  /** Natural (keyword → value) attributes common to every frame. */
  common: Record<string, unknown>
  positions?: [number, number, number][]
  normal?: [number, number, number]
  rescale: Rescale
  top: number
}

function planSeries(image: DerivedImage, source: DicomSource | null, derivation: Derivation, options: DerivedSeriesOptions, log: (m: string) => void): SeriesPlan {
  const { frames, rows, columns, data } = image
  for (const [name, v] of [['frames', frames], ['rows', rows], ['columns', columns]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`cannot write DICOM: ${name} is ${v}`)
  }
  if (rows > 65535 || columns > 65535) throw new Error(`cannot write DICOM: ${rows}×${columns} exceeds 65535 rows or columns`)
  if (data.length !== frames * rows * columns) {
    throw new Error(`cannot write DICOM: ${data.length} values for ${frames}×${rows}×${columns} (needs ${frames * rows * columns})`)
  }
  const bitsStored = options.bitsStored ?? 16
  if (bitsStored !== 12 && bitsStored !== 16) throw new Error(`cannot write DICOM: bitsStored must be 12 or 16, got ${String(bitsStored)}`)
  if (typeof derivation.method !== 'string' || derivation.method.trim() === '') throw new Error('cannot write DICOM: derivation.method is empty')
  const top = 2 ** bitsStored - 1
  const rescale = chooseRescale(data, top)

  const meta = source?.metadata ?? {}
  const copy = (m: Record<string, string | number>, keyword: string): string | string[] => copyValue(m, keyword, log)
  const geometry = usableGeometry(source, image, log)
  const modality = str(meta.Modality).toUpperCase()
  const isMr = modality === 'MR' && geometry.complete
  if (modality === 'MR' && !isMr) log('writing Secondary Capture, not MR Image Storage: the MR source has no usable slice geometry')

  const now = new Date()
  const date = dicomDate(now)
  const time = dicomTime(now)
  const c: Record<string, unknown> = {}

  // Patient and study: the source's, so that the series files under the same patient and study.
  if (source) {
    for (const k of ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex']) c[k] = copy(meta, k)
    for (const k of ['IssuerOfPatientID', 'PatientAge', 'PatientSize', 'PatientWeight']) if (k in meta) c[k] = copy(meta, k)
    c.StudyInstanceUID = str(meta.StudyInstanceUID)
    if (!c.StudyInstanceUID) {
      c.StudyInstanceUID = newUid()
      log('the source has no StudyInstanceUID: the series is filed under a new study')
    }
    for (const k of ['StudyDate', 'StudyTime', 'StudyID', 'AccessionNumber', 'ReferringPhysicianName']) c[k] = copy(meta, k)
    if ('StudyDescription' in meta) c.StudyDescription = copy(meta, 'StudyDescription')
  } else {
    c.PatientName = PLACEHOLDER_PATIENT
    c.PatientID = PLACEHOLDER_PATIENT
    c.PatientBirthDate = ''
    c.PatientSex = ''
    c.StudyInstanceUID = newUid()
    c.StudyDate = date
    c.StudyTime = time
    c.StudyID = ''
    c.AccessionNumber = ''
    c.ReferringPhysicianName = ''
    c.ImageComments = `Not derived from a DICOM source: patient and study attributes are placeholders (patient "${PLACEHOLDER_PATIENT}").`
    log(`no DICOM source: created a new study with placeholder patient "${PLACEHOLDER_PATIENT}"`)
  }

  // Series: new.
  c.SOPClassUID = isMr ? MR_IMAGE_STORAGE : SECONDARY_CAPTURE_STORAGE
  c.Modality = isMr ? 'MR' : modality || 'OT'
  c.SeriesInstanceUID = newUid()
  c.SeriesNumber = String(seriesNumber(meta, source !== null, options.seriesNumber))
  const describedSource = str(meta.SeriesDescription)
  c.SeriesDescription = clip(derivation.seriesDescription ?? (describedSource ? `${describedSource} ${derivation.method}` : derivation.method), 64)
  c.SeriesDate = date
  c.SeriesTime = time
  for (const k of ['BodyPartExamined', 'PatientPosition', 'ProtocolName', 'Laterality']) if (k in meta) c[k] = copy(meta, k)
  if (!isMr) c.ConversionType = 'WSD' // Secondary Capture: produced on a workstation
  c.Manufacturer = 'Recon Studio'
  c.SoftwareVersions = 'Recon Studio'
  if ('InstitutionName' in meta) c.InstitutionName = copy(meta, 'InstitutionName')

  // MR acquisition context (type 1 and 2 attributes of the MR Image module). Unknown type 1
  // values get the defined terms for "not described": RM (research mode) and NONE.
  if (isMr) {
    const known = (k: string, dflt: string): string | string[] => {
      const v = copy(meta, k)
      return v === '' || (Array.isArray(v) && v.every((x) => x === '')) ? dflt : v
    }
    c.ScanningSequence = known('ScanningSequence', 'RM')
    c.SequenceVariant = known('SequenceVariant', 'NONE')
    for (const k of ['ScanOptions', 'MRAcquisitionType', 'EchoTime', 'EchoTrainLength', 'RepetitionTime']) c[k] = copy(meta, k)
    for (const k of ['SequenceName', 'InversionTime', 'FlipAngle', 'MagneticFieldStrength', 'ImagingFrequency', 'ImagedNucleus', 'NumberOfAverages', 'EchoNumbers']) {
      if (k in meta) c[k] = copy(meta, k)
    }
  }

  // Image.
  c.ImageType = ['DERIVED', 'SECONDARY']
  c.DerivationDescription = derivationText(derivation)
  c.ContentDate = date
  c.ContentTime = time
  c.InstanceCreationDate = date
  c.InstanceCreationTime = time
  c.BurnedInAnnotation = 'NO'

  // Geometry.
  if (geometry.pixelSpacing) c.PixelSpacing = geometry.pixelSpacing.map((v) => formatDS(v))
  if (geometry.orientation) c.ImageOrientationPatient = geometry.orientation.map((v) => formatDS(v))
  if (geometry.sliceThickness !== undefined) c.SliceThickness = formatDS(geometry.sliceThickness)
  else if (isMr) c.SliceThickness = ''
  if (geometry.sliceSpacing !== undefined) c.SpacingBetweenSlices = formatDS(geometry.sliceSpacing)
  if (geometry.positions || geometry.orientation) {
    c.FrameOfReferenceUID = str(meta.FrameOfReferenceUID) || newUid()
    c.PositionReferenceIndicator = copy(meta, 'PositionReferenceIndicator')
  } else {
    c.PatientOrientation = ''
  }

  // Pixels.
  c.SamplesPerPixel = 1
  c.PhotometricInterpretation = 'MONOCHROME2'
  c.Rows = rows
  c.Columns = columns
  c.BitsAllocated = 16
  c.BitsStored = bitsStored
  c.HighBit = bitsStored - 1
  c.PixelRepresentation = 0
  c.RescaleIntercept = rescale.interceptText
  c.RescaleSlope = rescale.slopeText
  // VOI LUT "LINEAR" (PS3.3 C.11.2.1.2.1) maps [c − 0.5 − (w − 1)/2, c − 0.5 + (w − 1)/2] to the
  // full display range, so c = (lo + hi + 1) / 2, w = hi − lo + 1 shows exactly the data range,
  // and the width stays ≥ 1 as the standard requires even for data in [0, 1].
  c.WindowCenter = formatDS((rescale.lo + rescale.hi + 1) / 2)
  c.WindowWidth = formatDS(rescale.hi - rescale.lo + 1)

  const texts = Object.values(c).flat().filter((v): v is string => typeof v === 'string')
  if (texts.some((v) => [...v].some((ch) => ch.charCodeAt(0) > 0x7f))) c.SpecificCharacterSet = 'ISO_IR 192' // UTF-8

  const orientation = geometry.orientation
  const normal = orientation ? cross([orientation[0], orientation[1], orientation[2]], [orientation[3], orientation[4], orientation[5]]) : undefined
  return { sopClassUid: c.SOPClassUID as string, common: c, positions: geometry.positions, normal, rescale, top }
}

function seriesNumber(meta: Record<string, string | number>, hasSource: boolean, requested: number | undefined): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 0 || requested > 2 ** 31 - 1) throw new Error(`cannot write DICOM: series number ${requested} is not a valid IS value`)
    return requested
  }
  const n = Number(meta.SeriesNumber)
  if (hasSource && meta.SeriesNumber !== '' && Number.isInteger(n) && n >= 0 && n + 1000 <= 2 ** 31 - 1) return n + 1000
  return hasSource ? 1000 : 1
}

interface UsableGeometry {
  pixelSpacing?: [number, number]
  orientation?: [number, number, number, number, number, number]
  positions?: [number, number, number][]
  sliceThickness?: number
  sliceSpacing?: number
  /** Spacing, orientation and a position for every frame: enough for the Image Plane module. */
  complete: boolean
}

/** The source geometry, minus anything that cannot describe this image (with a note why). */
function usableGeometry(source: DicomSource | null, image: DerivedImage, log: (m: string) => void): UsableGeometry {
  const g = source?.geometry
  if (!g) return { complete: false }
  const m = source.metadata
  const srcRows = Number(m.Rows)
  const srcCols = Number(m.Columns)
  if ((m.Rows !== undefined && srcRows !== image.rows) || (m.Columns !== undefined && srcCols !== image.columns)) {
    log(`source geometry dropped: the source is ${m.Rows}×${m.Columns}, the image ${image.rows}×${image.columns}`)
    return { complete: false }
  }
  const finite = (a: readonly number[] | undefined, len: number): boolean => !!a && a.length === len && a.every(Number.isFinite)
  const out: UsableGeometry = { complete: false }
  if (finite(g.pixelSpacing, 2) && g.pixelSpacing!.every((v) => v > 0)) out.pixelSpacing = g.pixelSpacing
  if (finite(g.orientation, 6)) {
    const o = g.orientation!
    const r = Math.hypot(o[0], o[1], o[2])
    const c = Math.hypot(o[3], o[4], o[5])
    const dot = o[0] * o[3] + o[1] * o[4] + o[2] * o[5]
    if (Math.abs(r - 1) < 1e-3 && Math.abs(c - 1) < 1e-3 && Math.abs(dot) < 1e-3) out.orientation = o
    else log('source ImageOrientationPatient dropped: its direction cosines are not orthonormal')
  }
  if (g.positions) {
    if (g.positions.length === image.frames && g.positions.every((p) => finite(p, 3))) out.positions = g.positions
    else log(`source slice positions dropped: ${g.positions.length} positions for ${image.frames} frames`)
  }
  if (g.sliceThickness !== undefined && Number.isFinite(g.sliceThickness) && g.sliceThickness > 0) out.sliceThickness = g.sliceThickness
  if (g.sliceSpacing !== undefined && Number.isFinite(g.sliceSpacing) && g.sliceSpacing > 0) out.sliceSpacing = g.sliceSpacing
  out.complete = !!(out.pixelSpacing && out.orientation && out.positions)
  return out
}

/** "FISTA-TV (Recon Studio): lambda=0.01, iterations=100", at most 1024 characters (ST). */
function derivationText(d: Derivation): string {
  const params = Object.entries(d.parameters ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : safeJson(v)}`)
  const text = `${d.method} (Recon Studio)${params.length ? `: ${params.join(', ')}` : ''}`
  return text.length <= 1024 ? text : `${text.slice(0, 1021)}...`
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v)
  } catch {
    return String(v)
  }
}

// ---------------------------------------------------------------------------------------------
// Rescale

interface Rescale {
  slope: number
  intercept: number
  slopeText: string
  interceptText: string
  lo: number
  hi: number
}

/** Slope and intercept (as written, after DS rounding) that fit [lo, hi] into 0…top. */
export function chooseRescale(data: ArrayLike<number>, top: number): Rescale {
  let lo = Infinity
  let hi = -Infinity
  let integers = true
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    // A NaN usually means a diverged reconstruction; quantising it would hide that.
    if (!Number.isFinite(v)) throw new Error(`cannot write DICOM: value ${v} at index ${i}`)
    if (v < lo) lo = v
    if (v > hi) hi = v
    if (integers && !Number.isInteger(v)) integers = false
  }
  if (integers && hi - lo <= top && Math.abs(lo) < 1e15) {
    // Exact: slope 1, and no intercept when the values already fit.
    const intercept = lo >= 0 && hi <= top ? 0 : lo
    return { slope: 1, intercept, slopeText: '1', interceptText: String(intercept), lo, hi }
  }
  const interceptText = formatDS(lo, 'down')
  const intercept = Number(interceptText)
  const slopeText = hi > intercept ? formatDS((hi - intercept) / top, 'up') : '1'
  return { slope: Number(slopeText), intercept, slopeText, interceptText, lo, hi }
}

/**
 * A DS (decimal string) of at most 16 characters, as precise as fits. `up`/`down` make the
 * written value ≥ / ≤ x, so that a range computed from it still covers the data.
 */
export function formatDS(x: number, mode: 'nearest' | 'up' | 'down' = 'nearest'): string {
  if (!Number.isFinite(x)) throw new Error(`cannot write DICOM: ${x} is not a valid DS value`)
  if (x === 0) return '0'
  const ok = (s: string): boolean => {
    const y = Number(s)
    return s.length <= 16 && (mode === 'nearest' || (mode === 'up' ? y >= x : y <= x))
  }
  for (let p = 16; p >= 1; p--) {
    const s = trimDS(x.toPrecision(p))
    if (ok(s)) return s
    if (mode !== 'nearest') {
      // One unit in the last kept digit towards the required side.
      const step = 10 ** (Math.floor(Math.log10(Math.abs(x))) - p + 1)
      const t = trimDS((mode === 'up' ? x + step : x - step).toPrecision(p))
      if (ok(t)) return t
    }
  }
  throw new Error(`cannot write DICOM: ${x} does not fit a DS value`)
}

function trimDS(s: string): string {
  // "1.500e-7" → "1.5e-7", "2.000" → "2": saves characters for precision.
  const [mant, exp] = s.split('e')
  const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant
  return exp === undefined ? m : `${m}e${exp}`
}

// ---------------------------------------------------------------------------------------------
// One file

interface DcmjsData {
  DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer }
  DicomMetaDictionary: {
    denaturalizeDataset(natural: Record<string, unknown>): Record<string, unknown>
    nameMap: Record<string, { vr: string } | undefined>
  }
}
const { DicomDict, DicomMetaDictionary } = (dcmjs as { data: DcmjsData }).data

function encodeFrame(plan: SeriesPlan, image: DerivedImage, f: number): Uint8Array {
  const n = image.rows * image.columns
  const { slope, intercept } = plan.rescale
  // Little-endian whatever the host, as the transfer syntax says.
  const pixels = new Uint8Array(2 * n)
  const pv = new DataView(pixels.buffer)
  for (let i = 0; i < n; i++) {
    const q = Math.round((image.data[f * n + i] - intercept) / slope)
    pv.setUint16(2 * i, q < 0 ? 0 : q > plan.top ? plan.top : q, true)
  }
  const sopInstanceUid = newUid()
  const natural: Record<string, unknown> = {
    ...plan.common,
    SOPInstanceUID: sopInstanceUid,
    InstanceNumber: String(f + 1),
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' }
  }
  const pos = plan.positions?.[f]
  if (pos) {
    natural.ImagePositionPatient = pos.map((v) => formatDS(v))
    if (plan.normal) natural.SliceLocation = formatDS(pos[0] * plan.normal[0] + pos[1] * plan.normal[1] + pos[2] * plan.normal[2])
  }
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: plan.sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME
  }
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta))
  dict.dict = DicomMetaDictionary.denaturalizeDataset(natural)
  return new Uint8Array(dict.write())
}

// ---------------------------------------------------------------------------------------------
// Values

/** Longest value (characters) per VR, for the string VRs copied from the source. */
const VR_MAX: Record<string, number> = { AE: 16, AS: 4, CS: 16, DA: 8, DS: 16, IS: 12, LO: 64, PN: 64, SH: 16, TM: 16, UI: 64, ST: 1024, LT: 10240 }

/** Values a reader may have reformatted for display (e.g. a date as 2001-03-16) are not valid DICOM. */
const VR_PATTERN: Record<string, RegExp> = { DA: /^\d{8}$/, TM: /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/, AS: /^\d{3}[DWMY]$/ }

/**
 * A source value ready for dcmjs: numbers formatted for their VR, multi-valued strings split at
 * the backslash, and over-long values cut here (dcmjs would cut them too, but only with a
 * warning). A date, time or age that is not in DICOM form is left empty, with a note.
 */
function copyValue(meta: Record<string, string | number>, keyword: string, log: (m: string) => void): string | string[] {
  const raw = meta[keyword]
  if (raw === undefined || raw === null) return ''
  const vr = DicomMetaDictionary.nameMap[keyword]?.vr ?? 'LO'
  const one = (v: string | number): string => {
    if (typeof v === 'number' || vr === 'DS' || vr === 'IS') {
      const x = Number(v)
      if (v === '' || !Number.isFinite(x)) return ''
      return vr === 'IS' ? String(Math.round(x)) : vr === 'DS' ? formatDS(x) : String(v)
    }
    const t = v.trim()
    if (t && VR_PATTERN[vr] && !VR_PATTERN[vr].test(t)) {
      log(`source ${keyword} '${t}' is not a valid DICOM ${vr} value: written empty`)
      return ''
    }
    return clip(t, VR_MAX[vr] ?? 64)
  }
  if (typeof raw === 'string' && raw.includes('\\') && vr !== 'ST' && vr !== 'LT' && vr !== 'UT') {
    return raw.split('\\').map(one)
  }
  return one(raw)
}

function str(v: string | number | undefined): string {
  return v === undefined || v === null ? '' : String(v).trim()
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max)
}

function dicomDate(d: Date): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`
}

function dicomTime(d: Date): string {
  return `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

function cross(a: [number, number, number], b: [number, number, number]): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink()
  } catch {
    return false
  }
}
