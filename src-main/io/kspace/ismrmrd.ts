/**
 * ISMRMRD (MRD) HDF5 files: /dataset/xml holds the XML header, /dataset/data one compound
 * record per readout: {head: AcquisitionHeader, traj: vlen float32, data: vlen float32}, where
 * data is (active_channels × number_of_samples) complex64 interleaved, channel-major.
 *
 * Readouts are gridded onto a Cartesian ky × kx plane per slice, in the ISMRMRD convention of
 * images as rows = y (phase encoding), columns = x (readout):
 *   row    = kspace_encode_step_1 + ⌊ny/2⌋ − encodingLimits.kspace_encoding_step_1.center
 *   column = sample + ⌊nx/2⌋ − center_sample
 * so that DC lands at (⌊ny/2⌋, ⌊nx/2⌋) even for partial Fourier or asymmetric echoes. Lines
 * never acquired stay zero, which is what marks the data undersampled.
 * Noise, navigator, phase-correction, feedback and dummy readouts are skipped; repeated lines
 * (averages) are averaged; of several contrasts/repetitions/phases/sets the first is loaded.
 */
import type { CompoundMember, Dataset } from 'h5wasm/node'
import type { KspaceScan } from '../scan.ts'
import { checkSize, finishScan, type KspaceLoadOptions } from './common.ts'
import { asText, describeMetadata, H5T_COMPOUND, type H5Reader } from './h5.ts'
import { parseIsmrmrdHeader, type IsmrmrdHeader } from './ismrmrd-header.ts'

// Acquisition flags (bit = flag − 1), from ismrmrd.h / ismrmrd-python constants.py.
const FLAG = {
  NOISE: 19,
  PARALLEL_CALIBRATION: 20,
  PARALLEL_CALIBRATION_AND_IMAGING: 21,
  REVERSE: 22,
  NAVIGATION: 23,
  PHASECORR: 24,
  HPFEEDBACK: 26,
  DUMMYSCAN: 27,
  RTFEEDBACK: 28,
  SURFACECOILCORRECTION: 29,
  PHASE_STABILIZATION_REFERENCE: 30,
  PHASE_STABILIZATION: 31
} as const

const SKIPPED: [number, string][] = [
  [FLAG.NOISE, 'noise'],
  [FLAG.NAVIGATION, 'navigator'],
  [FLAG.PHASECORR, 'phase-correction'],
  [FLAG.HPFEEDBACK, 'HP feedback'],
  [FLAG.DUMMYSCAN, 'dummy'],
  [FLAG.RTFEEDBACK, 'RT feedback'],
  [FLAG.SURFACECOILCORRECTION, 'surface-coil correction'],
  [FLAG.PHASE_STABILIZATION_REFERENCE, 'phase-stabilisation reference'],
  [FLAG.PHASE_STABILIZATION, 'phase-stabilisation']
]

const NEEDED_HEAD = ['flags', 'number_of_samples', 'active_channels', 'center_sample', 'trajectory_dimensions', 'idx']
const NEEDED_IDX = ['kspace_encode_step_1', 'kspace_encode_step_2', 'slice']
const CHUNK_BYTES = 32 * 1024 ** 2

interface Readout {
  step1: number
  step2: number
  slice: number
  average: number
  selector: string
  samples: number
  channels: number
  centerSample: number
  reverse: boolean
  calibrationOnly: boolean
  data: Float32Array | Float64Array
}

export function isIsmrmrd(h5: H5Reader, group = 'dataset'): boolean {
  return h5.dataset(`${group}/data`) !== null
}

function hasFlag(flags: bigint, flag: number): boolean {
  return (flags & (1n << BigInt(flag - 1))) !== 0n
}

/** h5wasm returns a compound element as an array in member order; name its fields. */
function named(value: unknown, members: CompoundMember[]): Record<string, unknown> {
  const arr = value as unknown[]
  const out: Record<string, unknown> = {}
  members.forEach((m, i) => {
    out[m.name] = m.type === H5T_COMPOUND && m.compound_type ? named(arr[i], m.compound_type.members) : arr[i]
  })
  return out
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : Number(v)
}

export function loadIsmrmrd(h5: H5Reader, options: KspaceLoadOptions = {}): KspaceScan {
  const path = h5.path
  const group = options.dataset ?? 'dataset'
  const ds = h5.dataset(`${group}/data`)
  if (!ds) throw new Error(`${path}: no ISMRMRD acquisitions at '${group}/data'; the file holds ${h5.describe()}`)
  const notes: string[] = []

  let header: IsmrmrdHeader | undefined
  const xmlDs = h5.dataset(`${group}/xml`)
  const xmlText = xmlDs ? asText(h5.value(xmlDs)) : null
  if (xmlText !== null) header = parseIsmrmrdHeader(xmlText, `${path} (${group}/xml)`)
  else notes.push(`no XML header at '${group}/xml': the matrix size is taken from the readouts`)
  if (header?.trajectory && header.trajectory !== 'cartesian') {
    throw new Error(`${path}: the trajectory is '${header.trajectory}'; only Cartesian ISMRMRD data can be loaded as a k-space grid`)
  }
  if (header && header.encodings > 1) notes.push(`the header has ${header.encodings} encodings; the first one is used`)

  const { members, headMembers } = checkLayout(h5, ds, group)
  const readouts = readReadouts(h5, ds, members, headMembers, notes)
  return grid(readouts, header, path, group, notes, options)
}

function checkLayout(h5: H5Reader, ds: Dataset, group: string): { members: CompoundMember[]; headMembers: CompoundMember[] } {
  const path = h5.path
  const meta = h5.metadata(ds)
  const bad = (why: string): never => {
    throw new Error(`${path}: '${group}/data' is ${describeMetadata(meta)}; ${why}`)
  }
  if (meta.type !== H5T_COMPOUND || !meta.compound_type) return bad('expected ISMRMRD acquisitions (a compound of head, traj, data)')
  if ((meta.shape ?? []).length !== 1) bad('expected a 1-D array of acquisitions')
  const members = meta.compound_type.members
  const head = members.find((m) => m.name === 'head')
  const data = members.find((m) => m.name === 'data')
  if (!head || !data || !head.compound_type) return bad('the compound needs a head (AcquisitionHeader) and a data member')
  const headMembers = head.compound_type.members
  const missing = NEEDED_HEAD.filter((n) => !headMembers.some((m) => m.name === n))
  const idx = headMembers.find((m) => m.name === 'idx')
  if (idx?.compound_type) missing.push(...NEEDED_IDX.filter((n) => !idx.compound_type!.members.some((m) => m.name === n)).map((n) => `idx.${n}`))
  if (missing.length) bad(`the AcquisitionHeader lacks ${missing.join(', ')}`)
  return { members, headMembers }
}

function readReadouts(h5: H5Reader, ds: Dataset, members: CompoundMember[], headMembers: CompoundMember[], notes: string[]): Readout[] {
  const total = (h5.metadata(ds).shape ?? [0])[0]
  const headIndex = members.findIndex((m) => m.name === 'head')
  const dataIndex = members.findIndex((m) => m.name === 'data')
  const skipped = new Map<string, number>()
  const out: Readout[] = []
  let chunk = 64
  for (let a = 0; a < total; ) {
    const b = Math.min(total, a + chunk)
    const rows = h5.slice(ds, [[a, b]]) as unknown[][]
    for (const row of rows) {
      const head = named(row[headIndex], headMembers)
      const idx = head.idx as Record<string, unknown>
      const flags = BigInt(head.flags as bigint | number)
      const skip = SKIPPED.find(([f]) => hasFlag(flags, f))
      if (skip) {
        skipped.set(skip[1], (skipped.get(skip[1]) ?? 0) + 1)
        continue
      }
      if (num(head.trajectory_dimensions) > 0) {
        throw new Error(`${h5.path}: readout ${a} carries a ${num(head.trajectory_dimensions)}-D trajectory; only Cartesian data can be gridded`)
      }
      const data = row[dataIndex]
      if (!(data instanceof Float32Array || data instanceof Float64Array)) {
        throw new Error(`${h5.path}: readout data are not floating point`)
      }
      const samples = num(head.number_of_samples)
      const channels = num(head.active_channels)
      if (data.length !== 2 * samples * channels) {
        throw new Error(`${h5.path}: a readout holds ${data.length} floats but its header says ${channels} channels × ${samples} samples (${2 * samples * channels})`)
      }
      const get = (k: string): number => (k in idx ? num(idx[k]) : 0)
      out.push({
        step1: get('kspace_encode_step_1'),
        step2: get('kspace_encode_step_2'),
        slice: get('slice'),
        average: get('average'),
        selector: `contrast ${get('contrast')}, phase ${get('phase')}, repetition ${get('repetition')}, set ${get('set')}`,
        samples,
        channels,
        centerSample: num(head.center_sample),
        reverse: hasFlag(flags, FLAG.REVERSE),
        calibrationOnly: hasFlag(flags, FLAG.PARALLEL_CALIBRATION) && !hasFlag(flags, FLAG.PARALLEL_CALIBRATION_AND_IMAGING),
        data
      })
    }
    a = b
    // Size later chunks so that one read stays near CHUNK_BYTES in the WebAssembly heap.
    const last = out[out.length - 1]
    if (last) chunk = Math.max(1, Math.min(4096, Math.floor(CHUNK_BYTES / (last.data.length * 4 + 400))))
  }
  if (skipped.size) notes.push(`skipped ${[...skipped].map(([k, v]) => `${v} ${k}`).join(', ')} readout${[...skipped.values()].reduce((x, y) => x + y, 0) > 1 ? 's' : ''}`)
  if (out.length === 0) throw new Error(`${h5.path}: no imaging readouts among ${total} acquisitions`)
  return out
}

// A loop, not Math.max(...spread): files can hold more readouts than the call stack allows arguments.
function maxOf(lines: Readout[], f: (r: Readout) => number): number {
  let m = 0
  for (const r of lines) m = Math.max(m, f(r))
  return m
}

function grid(all: Readout[], header: IsmrmrdHeader | undefined, path: string, group: string, notes: string[], options: KspaceLoadOptions): KspaceScan {
  // Several contrasts/repetitions/…: keep those of the first readout's combination.
  const selectors = new Set(all.map((r) => r.selector))
  const chosen = all[0].selector
  const lines = selectors.size > 1 ? all.filter((r) => r.selector === chosen) : all
  if (selectors.size > 1) notes.push(`${selectors.size} contrast/phase/repetition/set combinations; loaded ${chosen}`)
  const step2 = new Set(lines.map((r) => r.step2))
  if (step2.size > 1) {
    throw new Error(`${path}: 3-D acquisition (${step2.size} kspace_encode_step_2 values); only 2-D (multi-slice) Cartesian data are supported`)
  }
  const coils = lines[0].channels
  if (lines.some((r) => r.channels !== coils)) throw new Error(`${path}: readouts have different numbers of active channels`)
  const maxSamples = maxOf(lines, (r) => r.samples)

  const enc = header?.encodedMatrix
  let rows = enc ? enc[1] : 0
  let columns = enc ? enc[0] : 0
  const maxStep1 = maxOf(lines, (r) => r.step1)
  if (!enc) {
    rows = header?.step1 ? header.step1.maximum + 1 : maxStep1 + 1
    columns = maxSamples
  }
  if (maxSamples > columns) {
    notes.push(`readouts have ${maxSamples} samples, more than the encoded matrix x = ${columns} (readout oversampling); columns = ${maxSamples}`)
    columns = maxSamples
  }
  const center1 = header?.step1?.center ?? Math.floor(rows / 2)
  const rowShift = Math.floor(rows / 2) - center1
  const slices = Math.max(maxOf(lines, (r) => r.slice), header?.slice?.maximum ?? 0) + 1
  const n = checkSize([slices, coils, rows, columns], 'the k-space grid', path, options.maxSamples)
  const plane = rows * columns

  const sumRe = new Float32Array(n)
  const sumIm = new Float32Array(n)
  const count = new Uint16Array(slices * rows)
  let calibrationUsed = 0
  let reversed = 0
  // Imaging readouts first; calibration-only ones (separate GRAPPA references) fill gaps only.
  const ordered = [...lines.filter((r) => !r.calibrationOnly), ...lines.filter((r) => r.calibrationOnly)]
  const imagingFilled = new Uint8Array(slices * rows)
  for (const r of ordered) {
    const row = r.step1 + rowShift
    if (row < 0 || row >= rows) throw new Error(`${path}: kspace_encode_step_1 = ${r.step1} falls outside the ${rows} encoded lines (center ${center1})`)
    const line = r.slice * rows + row
    if (r.calibrationOnly) {
      if (imagingFilled[line]) continue
      calibrationUsed++
    } else {
      imagingFilled[line] = 1
    }
    const center = r.centerSample || Math.floor(r.samples / 2)
    const colShift = Math.floor(columns / 2) - center
    if (colShift < 0 || colShift + r.samples > columns) {
      throw new Error(`${path}: a readout of ${r.samples} samples centred at ${center} does not fit ${columns} columns`)
    }
    if (r.reverse) reversed++
    for (let c = 0; c < coils; c++) {
      const base = (r.slice * coils + c) * plane + row * columns + colShift
      const src = c * r.samples
      for (let s = 0; s < r.samples; s++) {
        const k = r.reverse ? src + r.samples - 1 - s : src + s
        sumRe[base + s] += r.data[2 * k]
        sumIm[base + s] += r.data[2 * k + 1]
      }
    }
    count[line]++
  }
  let averaged = 0
  for (let s = 0; s < slices; s++) {
    for (let row = 0; row < rows; row++) {
      const k = count[s * rows + row]
      if (k <= 1) continue
      averaged++
      for (let c = 0; c < coils; c++) {
        const base = (s * coils + c) * plane + row * columns
        for (let x = 0; x < columns; x++) {
          sumRe[base + x] /= k
          sumIm[base + x] /= k
        }
      }
    }
  }
  let acquired = 0
  for (let i = 0; i < count.length; i++) if (count[i]) acquired++
  if (averaged) notes.push(`${averaged} lines acquired more than once were averaged`)
  if (calibrationUsed) notes.push(`${calibrationUsed} calibration-only readouts filled lines the imaging readouts left empty`)
  if (reversed) notes.push(`${reversed} reversed readouts (ACQ_IS_REVERSE) were flipped`)

  let reconSize: [number, number] | undefined
  const rm = header?.reconMatrix
  if (rm && rm[1] <= rows && rm[0] <= columns) reconSize = [rm[1], rm[0]]
  const metadata: Record<string, string | number> = {
    Format: 'ISMRMRD HDF5',
    Group: group,
    Readouts: lines.length,
    AcquiredLines: acquired,
    Dtype: 'complex64',
    ...(header?.metadata ?? {})
  }
  const summary = `ISMRMRD Cartesian, ${coils} coil${coils > 1 ? 's' : ''}, ${slices} slice${slices > 1 ? 's' : ''}, ${acquired} of ${slices * rows} ky lines acquired; rows = ky (phase encoding), columns = kx (readout)` +
    (reconSize ? `, recon matrix ${reconSize[0]}×${reconSize[1]}` : '')
  return finishScan({ path, format: 'ismrmrd-h5', slices, coils, rows, columns, re: sumRe, im: sumIm, metadata, notes: [summary, ...notes], reconSize })
}
