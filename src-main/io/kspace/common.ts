/**
 * What every k-space loader shares: size limits checked before reading, the NaN/Inf check,
 * the centring check, and assembling the KspaceScan (sampling analysis via analyseSampling).
 */
import { analyseSampling, type KspaceScan, type ScanFormat } from '../scan.ts'
import { findCentring, recentre } from './centring.ts'

export interface KspaceLoadOptions {
  /**
   * Which dataset/member holds the k-space: the HDF5 dataset for fastMRI files (default
   * 'kspace'), the group for ISMRMRD files (default 'dataset'), the member of a .npz
   * (default 'kspace', else the only complex member).
   */
  dataset?: string
  /** Largest number of complex samples accepted (default MAX_KSPACE_SAMPLES). */
  maxSamples?: number
}

/**
 * 2^28 complex samples = 2 GiB as float32 re/im: a 16-slice, 20-coil 640×368 fastMRI volume
 * (75 M) fits comfortably; anything beyond is refused before a byte of it is read.
 */
export const MAX_KSPACE_SAMPLES = 2 ** 28

export function checkSize(dims: readonly number[], what: string, source: string, maxSamples = MAX_KSPACE_SAMPLES): number {
  let n = 1
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${source}: ${what} has an invalid dimension ${d} in (${dims.join(', ')})`)
    n *= d
  }
  if (n === 0) throw new Error(`${source}: ${what} is empty: shape (${dims.join(', ')})`)
  if (n > maxSamples) {
    throw new Error(`${source}: ${what} of shape (${dims.join(', ')}) has ${n} complex samples (${formatBytes(n * 8)} as complex64), above the limit of ${maxSamples}`)
  }
  return n
}

function formatBytes(b: number): string {
  return b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GiB` : `${(b / 1024 ** 2).toFixed(1)} MiB`
}

/** Throws naming the first non-finite sample (slice, coil, row, column). */
export function checkFinite(re: Float32Array, im: Float32Array, dims: [number, number, number, number], source: string): void {
  for (let i = 0; i < re.length; i++) {
    if (!Number.isFinite(re[i]) || !Number.isFinite(im[i])) {
      const [, coils, rows, columns] = dims
      const c = i % columns
      const r = Math.floor(i / columns) % rows
      const coil = Math.floor(i / (columns * rows)) % coils
      const s = Math.floor(i / (columns * rows * coils))
      throw new Error(`${source}: k-space contains NaN or Infinity (first at slice ${s}, coil ${coil}, row ${r}, column ${c}: ${re[i]} ${im[i] >= 0 ? '+' : '−'} ${Math.abs(im[i])}i)`)
    }
  }
}

export interface ScanParts {
  path: string
  files?: string[]
  format: ScanFormat
  slices: number
  coils: number
  rows: number
  columns: number
  re: Float32Array
  im: Float32Array
  metadata: Record<string, string | number>
  notes: string[]
  reference?: KspaceScan['reference']
  reconSize?: [number, number]
}

/**
 * Finite check, centring check (k-space with its peak in a corner is re-centred so that DC
 * sits at ⌊H/2⌋, ⌊W/2⌋ as KspaceScan promises; see centring.ts), sampling analysis.
 */
export function finishScan(p: ScanParts): KspaceScan {
  const { slices, coils, rows, columns, re, im } = p
  checkFinite(re, im, [slices, coils, rows, columns], p.path)
  const notes = [...p.notes]
  const metadata = { ...p.metadata }
  let centring = findCentring(re, im, slices, coils, rows, columns)
  if (centring.corner) {
    const how = recentre(re, im, slices, coils, rows, columns)
    notes.push(`${how} (peak was at row ${centring.peak[0]}, column ${centring.peak[1]})`)
    metadata.CentringFix = how.includes('phase ramp') ? 'fftshift+phase' : 'fftshift'
    centring = findCentring(re, im, slices, coils, rows, columns)
  } else if (centring.empty) {
    notes.push('the middle slice is all zeros: centring not checked')
  } else if (centring.centred) {
    notes.push(`k-space centred (peak at row ${centring.peak[0]}, column ${centring.peak[1]} of ${rows}×${columns})`)
  } else {
    notes.push(`k-space peak at row ${centring.peak[0]}, column ${centring.peak[1]} is neither central nor in a corner: is this k-space?`)
  }
  metadata.KspacePeak = `${centring.peak[0]},${centring.peak[1]}`
  const sampling = analyseSampling(re, im, slices, coils, rows, columns)
  return {
    kind: 'kspace',
    slices,
    coils,
    rows,
    columns,
    re,
    im,
    ...sampling,
    ...(p.reference ? { reference: p.reference } : {}),
    ...(p.reconSize ? { reconSize: p.reconSize } : {}),
    metadata,
    provenance: { path: p.path, files: p.files ?? [p.path], format: p.format, notes }
  }
}

/** Split interleaved re, im into float32 planes (the conversion from complex128 rounds to float32). */
export function deinterleave(src: ArrayLike<number>, n: number): { re: Float32Array; im: Float32Array } {
  const re = new Float32Array(n)
  const im = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    re[i] = src[2 * i]
    im[i] = src[2 * i + 1]
  }
  return { re, im }
}
