/**
 * Header attributes outside the pixel module: identifiers and descriptions worth keeping
 * (everything a derived-series writer needs to keep patient and study), geometry, the default
 * window, and the modality transform.
 *
 * Enhanced multi-frame objects keep geometry, window and rescale in functional group
 * sequences (shared, or per frame); those are read too, the top-level attributes winning when
 * both exist.
 */
import type { DisplayHints } from '../scan.ts'
import type { DataSet } from './parser-lib.ts'
import type { ModalityTransform } from './pixels.ts'
import { decimalVector, decimals, integerString, string, strings, uint16, uint16s, valueBytes, type ValueReader } from './values.ts'

type Kind = 'text' | 'charset' | 'number' | 'int'

/** Keyword → [tag, how to read]. 'charset' values are decoded with the Specific Character Set. */
const KEPT: Record<string, [string, Kind]> = {
  SpecificCharacterSet: ['x00080005', 'text'],
  ImageType: ['x00080008', 'text'],
  SOPClassUID: ['x00080016', 'text'],
  SOPInstanceUID: ['x00080018', 'text'],
  StudyDate: ['x00080020', 'text'],
  SeriesDate: ['x00080021', 'text'],
  AcquisitionDate: ['x00080022', 'text'],
  ContentDate: ['x00080023', 'text'],
  StudyTime: ['x00080030', 'text'],
  SeriesTime: ['x00080031', 'text'],
  AcquisitionTime: ['x00080032', 'text'],
  ContentTime: ['x00080033', 'text'],
  AccessionNumber: ['x00080050', 'charset'],
  Modality: ['x00080060', 'text'],
  Manufacturer: ['x00080070', 'charset'],
  InstitutionName: ['x00080080', 'charset'],
  ReferringPhysicianName: ['x00080090', 'charset'],
  StationName: ['x00081010', 'charset'],
  StudyDescription: ['x00081030', 'charset'],
  SeriesDescription: ['x0008103e', 'charset'],
  ManufacturerModelName: ['x00081090', 'charset'],
  PatientName: ['x00100010', 'charset'],
  PatientID: ['x00100020', 'charset'],
  IssuerOfPatientID: ['x00100021', 'charset'],
  PatientBirthDate: ['x00100030', 'text'],
  PatientSex: ['x00100040', 'text'],
  PatientAge: ['x00101010', 'text'],
  PatientWeight: ['x00101030', 'number'],
  BodyPartExamined: ['x00180015', 'text'],
  ScanningSequence: ['x00180020', 'text'],
  SliceThickness: ['x00180050', 'number'],
  RepetitionTime: ['x00180080', 'number'],
  EchoTime: ['x00180081', 'number'],
  MagneticFieldStrength: ['x00180087', 'number'],
  SpacingBetweenSlices: ['x00180088', 'number'],
  ProtocolName: ['x00181030', 'charset'],
  FlipAngle: ['x00181314', 'number'],
  PatientPosition: ['x00185100', 'text'],
  StudyInstanceUID: ['x0020000d', 'text'],
  SeriesInstanceUID: ['x0020000e', 'text'],
  StudyID: ['x00200010', 'charset'],
  SeriesNumber: ['x00200011', 'int'],
  AcquisitionNumber: ['x00200012', 'int'],
  InstanceNumber: ['x00200013', 'int'],
  FrameOfReferenceUID: ['x00200052', 'text'],
  Laterality: ['x00200060', 'text'],
  PhotometricInterpretation: ['x00280004', 'text'],
  BitsAllocated: ['x00280100', 'number'],
  BitsStored: ['x00280101', 'number'],
  HighBit: ['x00280102', 'number'],
  PixelRepresentation: ['x00280103', 'number'],
  RescaleIntercept: ['x00281052', 'number'],
  RescaleSlope: ['x00281053', 'number'],
  RescaleType: ['x00281054', 'text'],
  DoseGridScaling: ['x3004000e', 'number'],
  DoseUnits: ['x30040002', 'text']
}

const US_TAGS = new Set(['x00280100', 'x00280101', 'x00280102', 'x00280103'])

export function readMetadata(r: ValueReader, transferSyntaxUid: string): Record<string, string | number> {
  const md: Record<string, string | number> = {}
  for (const [key, [tag, kind]] of Object.entries(KEPT)) {
    if (!(tag in r.ds.elements)) continue
    let v: string | number | undefined
    if (US_TAGS.has(tag)) v = uint16(r, tag)
    else if (kind === 'number') v = finite(decimals(r, tag)[0])
    else if (kind === 'int') v = finite(integerString(r, tag))
    else v = strings(r, tag, kind === 'charset').join('\\') || undefined
    if (v !== undefined) md[key] = v
  }
  if (transferSyntaxUid) md.TransferSyntaxUID = transferSyntaxUid
  return md
}

function finite(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined
}

export interface InstanceGeometry {
  imagePositionPatient?: [number, number, number]
  imageOrientationPatient?: [number, number, number, number, number, number]
  pixelSpacing?: [number, number]
  sliceThickness?: number
  /** One position per frame for multi-frame objects, when the file gives them. */
  framePositions?: [number, number, number][]
}

const SHARED_GROUPS = 'x52009229'
const PER_FRAME_GROUPS = 'x52009230'

export function readGeometry(r: ValueReader, frames: number): InstanceGeometry {
  const shared = firstItem(r, SHARED_GROUPS)
  const g: InstanceGeometry = {}
  const ipp = decimalVector(r, 'x00200032', 3) ?? groupVector(shared, 'x00209113', 'x00200032', 3) ?? perFrameVector(r, 0, 'x00209113', 'x00200032', 3)
  if (ipp) g.imagePositionPatient = ipp as [number, number, number]
  const iop = decimalVector(r, 'x00200037', 6) ?? groupVector(shared, 'x00209116', 'x00200037', 6) ?? perFrameVector(r, 0, 'x00209116', 'x00200037', 6)
  if (iop) g.imageOrientationPatient = iop as InstanceGeometry['imageOrientationPatient']
  const ps = decimalVector(r, 'x00280030', 2) ?? groupVector(shared, 'x00289110', 'x00280030', 2) ?? perFrameVector(r, 0, 'x00289110', 'x00280030', 2)
  if (ps && ps.every((v) => v > 0)) g.pixelSpacing = ps as [number, number]
  const st = decimalVector(r, 'x00180050', 1) ?? groupVector(shared, 'x00289110', 'x00180050', 1)
  if (st && st[0] > 0) g.sliceThickness = st[0]

  if (frames > 1) {
    // Enhanced objects: a position per frame in the per-frame functional groups.
    const perFrame: [number, number, number][] = []
    for (let f = 0; f < frames; f++) {
      const p = perFrameVector(r, f, 'x00209113', 'x00200032', 3)
      if (!p) break
      perFrame.push(p as [number, number, number])
    }
    if (perFrame.length === frames) g.framePositions = perFrame
    else if (g.imagePositionPatient && g.imageOrientationPatient) {
      // RT Dose and some NM: offsets along the normal from the one position.
      const offsets = decimals(r, 'x3004000c')
      if (offsets.length === frames && offsets.every(Number.isFinite)) {
        const n = sliceNormal(g.imageOrientationPatient)
        const p0 = g.imagePositionPatient
        g.framePositions = offsets.map((d) => [p0[0] + d * n[0], p0[1] + d * n[1], p0[2] + d * n[2]])
      }
    }
  }
  return g
}

export function sliceNormal(iop: readonly number[]): [number, number, number] {
  const [a, b, c, d, e, f] = iop
  return [b * f - c * e, c * d - a * f, a * e - b * d]
}

export function readDisplay(r: ValueReader, photometric: string): DisplayHints {
  const display: DisplayHints = { photometric }
  if (photometric === 'MONOCHROME1') display.invert = true
  const shared = firstItem(r, SHARED_GROUPS)
  let centre = decimals(r, 'x00281050')[0]
  let width = decimals(r, 'x00281051')[0]
  if (centre === undefined || width === undefined) {
    const voi = itemOf(shared, 'x00289132') ?? itemOf(perFrameItem(r, 0), 'x00289132')
    if (voi) {
      centre = decimals(voi, 'x00281050')[0]
      width = decimals(voi, 'x00281051')[0]
    }
  }
  if (centre !== undefined && width !== undefined && Number.isFinite(centre) && Number.isFinite(width) && width > 0) {
    display.window = { center: centre, width }
  }
  return display
}

/**
 * The modality transform for frame `frame`: Modality LUT Sequence, else Rescale Slope/Intercept
 * (top level, else the Pixel Value Transformation functional group of that frame or shared).
 */
export function readModalityTransform(r: ValueReader, frame: number, notes: string[]): ModalityTransform {
  const lutItem = firstItem(r, 'x00283000')
  if (lutItem) {
    const desc = uint16s(lutItem, 'x00283002')
    const data = lutData(lutItem, desc)
    if (desc.length >= 3 && data) {
      const first = r.ds.elements.x00280103 && uint16(r, 'x00280103') === 1 && desc[1] >= 0x8000 ? desc[1] - 0x10000 : desc[1]
      return { kind: 'lut', firstMapped: first, data }
    }
    notes.push('Modality LUT Sequence unreadable; ignored')
  }
  let source: ValueReader | undefined = r
  if (!('x00281053' in r.ds.elements) && !('x00281052' in r.ds.elements)) {
    source = itemOf(perFrameItem(r, frame), 'x00289145') ?? itemOf(firstItem(r, SHARED_GROUPS), 'x00289145')
  }
  if (!source) return { kind: 'none' }
  const slopeText = string(source, 'x00281053')
  const interceptText = string(source, 'x00281052')
  if (slopeText === undefined && interceptText === undefined) return { kind: 'none' }
  const slope = slopeText === undefined ? 1 : decimals(source, 'x00281053')[0]
  const intercept = interceptText === undefined ? 0 : decimals(source, 'x00281052')[0]
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) {
    notes.push(`unreadable rescale (slope "${slopeText ?? ''}", intercept "${interceptText ?? ''}"); values left unscaled`)
    return { kind: 'none' }
  }
  if (slopeText === undefined || interceptText === undefined) {
    notes.push(`only one of RescaleSlope/RescaleIntercept present; used slope ${slope}, intercept ${intercept}`)
  }
  if (slope === 1 && intercept === 0) return { kind: 'none' }
  return { kind: 'rescale', slope, intercept }
}

function lutData(item: ValueReader, desc: number[]): Uint16Array | undefined {
  if (desc.length < 3) return undefined
  const n = desc[0] === 0 ? 65536 : desc[0]
  const bytes = valueBytes(item, 'x00283006')
  if (!bytes) return undefined
  if (desc[2] === 8 && bytes.length === n) return Uint16Array.from(bytes)
  if (bytes.length < 2 * n) return undefined
  return Uint16Array.from(uint16s(item, 'x00283006').slice(0, n))
}

function firstItem(r: ValueReader, tag: string): ValueReader | undefined {
  const ds = r.ds.elements[tag]?.items?.[0]?.dataSet
  return ds ? sub(r, ds) : undefined
}

function itemOf(r: ValueReader | undefined, tag: string): ValueReader | undefined {
  return r ? firstItem(r, tag) : undefined
}

function perFrameItem(r: ValueReader, frame: number): ValueReader | undefined {
  const ds = r.ds.elements[PER_FRAME_GROUPS]?.items?.[frame]?.dataSet
  return ds ? sub(r, ds) : undefined
}

function groupVector(group: ValueReader | undefined, seq: string, tag: string, n: number): number[] | undefined {
  const item = itemOf(group, seq)
  return item ? decimalVector(item, tag, n) : undefined
}

function perFrameVector(r: ValueReader, frame: number, seq: string, tag: string, n: number): number[] | undefined {
  return groupVector(perFrameItem(r, frame), seq, tag, n)
}

function sub(r: ValueReader, ds: DataSet): ValueReader {
  return { ds, littleEndian: r.littleEndian, charset: r.charset }
}
