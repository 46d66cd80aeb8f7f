/**
 * From the scans a user opened to the one 2-D input a reconstruction works on: pick the
 * series and slice, bring pictures to [0, 1], and decide whether k-space is a fully sampled
 * reference (we simulate undersampling from it) or a real undersampled measurement (we
 * reconstruct it as measured, without a reference).
 */
import { type CArray, type ComplexImage } from '../engine/complex.ts'
import { ifft2c } from '../engine/fft.ts'
import { frameGray, type ImageScan, type KspaceScan, type Scan } from '../io/scan.ts'
import { rssOfKspace } from './multicoil.ts'

export interface SelectOptions {
  /** Index into the list of series/scans (default 0). */
  series?: number
  /** Frame/slice index (default: the middle one). */
  slice?: number
}

export type ReconInput =
  | {
      kind: 'image'
      reference: ComplexImage
      scan: Scan
      frame: number
      scaling: string
      notes: string[]
    }
  | {
      kind: 'measured'
      /** Single-coil centred k-space, H×W, zero where not sampled. */
      kspace: CArray
      mask: Uint8Array
      height: number
      width: number
      scan: KspaceScan
      frame: number
      scaling: string
      notes: string[]
    }
  | {
      kind: 'multicoil'
      /** Centred k-space, coils × H × W (all of it; sampling is applied by the problem). */
      kspace: CArray
      coils: number
      height: number
      width: number
      /** Real undersampled data: its own mask. Absent for fully sampled data. */
      measuredMask?: Uint8Array
      /** Root-sum-of-squares of the fully sampled coil images. */
      reference?: Float64Array
      scan: KspaceScan
      frame: number
      scaling: string
      notes: string[]
    }

const MIN_SIDE = 8

export function selectInput(scans: Scan[], options: SelectOptions = {}): ReconInput {
  const scan = pickSeries(scans, options.series)
  const [rows, columns] = [scan.rows, scan.columns]
  if (rows < MIN_SIDE || columns < MIN_SIDE) {
    throw new Error(`${scan.provenance.path} is ${rows}×${columns}; at least ${MIN_SIDE}×${MIN_SIDE} is needed`)
  }
  return scan.kind === 'image' ? fromImage(scan, options.slice) : fromKspace(scan, options.slice)
}

/** The chosen series (default 0), or an error that says how many there are. */
export function pickSeries(scans: Scan[], series: number | undefined): Scan {
  const si = series ?? 0
  if (!Number.isInteger(si) || si < 0 || si >= scans.length) {
    throw new Error(`series ${si} does not exist; the input holds ${scans.length} series (0…${scans.length - 1}); see \`recon-studio inspect\``)
  }
  return scans[si]
}

/** The chosen frame/slice (default: the middle one), or an error that says how many there are. */
export function pickFrame(count: number, slice: number | undefined, what: string): number {
  const f = slice ?? Math.floor(count / 2)
  if (!Number.isInteger(f) || f < 0 || f >= count) throw new Error(`${what} ${f} does not exist; there are ${count} (0…${count - 1})`)
  return f
}

function fromImage(scan: ImageScan, slice: number | undefined): ReconInput {
  const frame = pickFrame(scan.frames, slice, 'slice')
  const { rows: H, columns: W, samples } = scan
  const n = H * W
  const notes: string[] = []
  const re = frameGray(scan, frame)
  const base = frame * n * samples
  if (samples === 3) notes.push('colour converted to gray (ITU-R BT.601 luma)')
  const im = new Float64Array(n)
  if (scan.imag) for (let i = 0; i < n; i++) im[i] = scan.imag[base + i]
  let scaling = 'stored values'
  const fmt = scan.provenance.format
  if (fmt === 'png' || fmt === 'jpeg' || fmt === 'tiff') {
    // Pictures are scaled to [0, 1] by their full scale (8-bit: 255), as the priors expect.
    const top = Number(scan.metadata.BitDepth) === 16 ? 65535 : 255
    for (let i = 0; i < n; i++) re[i] /= top
    scaling = `divided by ${top} to [0, 1]`
  } else if (!scan.imag) {
    // Reconstructions and metrics work on magnitudes, which assume a non-negative image: shift
    // signed data (e.g. CT in Hounsfield units) up by its minimum, and say so.
    let min = Infinity
    for (let i = 0; i < n; i++) min = Math.min(min, re[i])
    if (min < 0) {
      for (let i = 0; i < n; i++) re[i] -= min
      scaling = `stored values shifted by ${-min} to be non-negative`
      notes.push(scaling)
    }
  }
  if (scan.frames > 1) notes.push(`slice ${frame} of ${scan.frames}`)
  return { kind: 'image', reference: { height: H, width: W, re, im }, scan, frame, scaling, notes }
}

function fromKspace(scan: KspaceScan, slice: number | undefined): ReconInput {
  const frame = pickFrame(scan.slices, slice, 'slice')
  const { rows: H, columns: W, coils } = scan
  const plane = H * W
  const notes: string[] = []
  if (scan.slices > 1) notes.push(`slice ${frame} of ${scan.slices}`)
  const coil = (c: number): CArray => {
    const off = (frame * coils + c) * plane
    return { re: Float64Array.from(scan.re.subarray(off, off + plane)), im: Float64Array.from(scan.im.subarray(off, off + plane)) }
  }
  if (coils > 1) {
    const off = frame * coils * plane
    const kspace = { re: Float64Array.from(scan.re.subarray(off, off + coils * plane)), im: Float64Array.from(scan.im.subarray(off, off + coils * plane)) }
    if (scan.looksUndersampled) {
      notes.push(`measured ${coils}-coil k-space, ${(100 * scan.sampledFraction).toFixed(1)} % sampled: SENSE with estimated coil maps; no reference, data-consistency residuals instead of PSNR`)
      return { kind: 'multicoil', kspace, coils, height: H, width: W, measuredMask: scan.mask, scan, frame, scaling: 'stored k-space values', notes }
    }
    notes.push(`fully sampled ${coils}-coil k-space: the root-sum-of-squares image is the reference, undersampling is simulated on every coil`)
    const reference = rssOfKspace(kspace, coils, H, W)
    return { kind: 'multicoil', kspace, coils, height: H, width: W, reference, scan, frame, scaling: 'root-sum-of-squares of the coil images', notes }
  }
  if (scan.looksUndersampled) {
    notes.push(`measured k-space, ${(100 * scan.sampledFraction).toFixed(1)} % sampled: no reference, data-consistency residuals instead of PSNR`)
    return { kind: 'measured', kspace: coil(0), mask: scan.mask, height: H, width: W, scan, frame, scaling: 'stored k-space values', notes }
  }
  const x = coil(0)
  ifft2c(x, [H, W])
  notes.push('fully sampled k-space: its inverse FFT is the reference, undersampling is simulated')
  return { kind: 'image', reference: { height: H, width: W, re: x.re, im: x.im }, scan, frame, scaling: 'inverse FFT of the k-space', notes }
}

