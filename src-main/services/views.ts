/**
 * What the workbench shows of a scan: slice views (magnitude in stored units, phase, the
 * log-magnitude k-space, a display window, coil images) and the conversions from engine arrays
 * (float64, complex) to the API's float32 ImagePlanes.
 */
import type { ImagePlane, ScanSummary, SeriesSummary, SliceView } from '../api/contract.ts'
import { rss } from '../engine/coils/combine.ts'
import type { CArray } from '../engine/complex.ts'
import { fft2c } from '../engine/fft.ts'
import { coilImages } from '../io/kspace/recon.ts'
import { frameGray, type ImageScan, type KspaceScan, type Scan } from '../io/scan.ts'
import { pickFrame } from '../pipeline/select-input.ts'

export function plane(data: ArrayLike<number>, height: number, width: number): ImagePlane {
  return { width, height, data: data instanceof Float32Array ? data : Float32Array.from(data) }
}

export function magnitudePlane(x: CArray, height: number, width: number, offset = 0): ImagePlane {
  const n = height * width
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.hypot(x.re[offset + i], x.im[offset + i])
  return { width, height, data: out }
}

export function maskPlane(mask: Uint8Array, height: number, width: number): ImagePlane {
  const out = new Float32Array(height * width)
  for (let i = 0; i < out.length; i++) out[i] = mask[i] ? 1 : 0
  return { width, height, data: out }
}

/** Magnitudes of each coil of a coils × H × W array. */
export function coilPlanes(x: CArray, coils: number, height: number, width: number): ImagePlane[] {
  return Array.from({ length: coils }, (_, c) => magnitudePlane(x, height, width, c * height * width))
}

/** A robust display window: the 1st to 99.5th percentile of the finite values. */
export function robustWindow(values: ArrayLike<number>): { center: number; width: number } {
  const finite = Float64Array.from(values).filter(Number.isFinite).sort()
  if (finite.length === 0) return { center: 0.5, width: 1 }
  const at = (q: number): number => finite[Math.min(finite.length - 1, Math.max(0, Math.round(q * (finite.length - 1))))]
  let lo = at(0.01)
  let hi = at(0.995)
  if (!(hi > lo)) {
    lo = finite[0]
    hi = finite[finite.length - 1]
  }
  const width = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1)
  return { center: hi > lo ? (lo + hi) / 2 : hi, width }
}

function logMagnitude(k: CArray, n: number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.log1p(Math.hypot(k.re[i], k.im[i]))
  return out
}

/** One slice of a scan as the viewer shows it. */
export function sliceView(scanId: string, series: number, scan: Scan, slice: number | undefined, withCoils: boolean): SliceView {
  return scan.kind === 'image' ? imageSlice(scanId, series, scan, slice) : kspaceSlice(scanId, series, scan, slice, withCoils)
}

function imageSlice(scanId: string, series: number, scan: ImageScan, slice: number | undefined): SliceView {
  const frame = pickFrame(scan.frames, slice, 'slice')
  const { rows: H, columns: W } = scan
  const n = H * W
  const re = frameGray(scan, frame)
  const im = new Float64Array(n)
  if (scan.imag) im.set(scan.imag.subarray(frame * n, frame * n + n))
  const x = { re, im }
  const magnitude = scan.imag ? magnitudePlane(x, H, W) : plane(re, H, W)
  const phase = scan.imag ? plane(Float64Array.from({ length: n }, (_, i) => Math.atan2(im[i], re[i])), H, W) : undefined
  const k = { re: re.slice(), im: im.slice() }
  fft2c(k, [H, W])
  const w = scan.display.window
  return {
    scanId,
    series,
    slice: frame,
    frames: scan.frames,
    magnitude,
    phase,
    kspaceLog: { width: W, height: H, data: logMagnitude(k, n) },
    window: w && w.width > 0 && Number.isFinite(w.center) ? { center: w.center, width: w.width } : robustWindow(magnitude.data)
  }
}

function kspaceSlice(scanId: string, series: number, scan: KspaceScan, slice: number | undefined, withCoils: boolean): SliceView {
  const frame = pickFrame(scan.slices, slice, 'slice')
  const { coils: C, rows: H, columns: W } = scan
  const n = H * W
  const images = coilImages(scan, frame)
  let magnitude: ImagePlane
  let phase: ImagePlane | undefined
  if (C > 1) {
    magnitude = plane(rss(images.data, [C, H, W]), H, W)
  } else {
    magnitude = magnitudePlane(images.data, H, W)
    phase = plane(Float64Array.from({ length: n }, (_, i) => Math.atan2(images.data.im[i], images.data.re[i])), H, W)
  }
  // Coil-combined k-space magnitude: √Σ_c |k_c|² at every position.
  const kl = new Float32Array(n)
  const off = frame * C * n
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let c = 0; c < C; c++) s += scan.re[off + c * n + i] ** 2 + scan.im[off + c * n + i] ** 2
    kl[i] = Math.log1p(Math.sqrt(s))
  }
  return {
    scanId,
    series,
    slice: frame,
    frames: scan.slices,
    magnitude,
    phase,
    kspaceLog: { width: W, height: H, data: kl },
    window: robustWindow(magnitude.data),
    coilImages: withCoils && C > 1 ? coilPlanes(images.data, C, H, W) : undefined
  }
}

const FORMAT_NAMES: Record<string, string> = {
  dicom: 'DICOM', nifti: 'NIfTI', png: 'PNG', jpeg: 'JPEG', tiff: 'TIFF', npy: 'NumPy', npz: 'NumPy', cfl: 'BART cfl',
  'fastmri-h5': 'fastMRI HDF5', 'ismrmrd-h5': 'ISMRMRD HDF5'
}

export function formatName(format: string): string {
  return FORMAT_NAMES[format] ?? format
}

/** One line per series for the series browser, e.g. "MR 256×256×20 FSE PD AXIAL OBL (DICOM)". */
export function seriesSummary(scan: Scan, index: number): SeriesSummary {
  const fmt = formatName(scan.provenance.format)
  if (scan.kind === 'image') {
    const m = scan.metadata
    const what = [m.SeriesDescription, m.Description].find((v) => v !== undefined && String(v).trim() !== '')
    const modality = m.Modality !== undefined && String(m.Modality).trim() !== '' ? String(m.Modality) : undefined
    const size = `${scan.columns}×${scan.rows}${scan.frames > 1 ? `×${scan.frames}` : ''}${scan.samples === 3 ? ' colour' : ''}${scan.imag ? ' complex' : ''}`
    return {
      index,
      description: [modality, size, what !== undefined ? String(what) : undefined].filter(Boolean).join(' ') + ` (${fmt})`,
      domain: 'image',
      width: scan.columns,
      height: scan.rows,
      frames: scan.frames,
      coils: 1,
      complex: Boolean(scan.imag),
      undersampled: false,
      modality
    }
  }
  const size = `${scan.columns}×${scan.rows}${scan.slices > 1 ? `×${scan.slices}` : ''}`
  return {
    index,
    description: `k-space ${size}, ${scan.coils} coil${scan.coils > 1 ? 's' : ''}, ${(100 * scan.sampledFraction).toFixed(1)} % sampled${scan.looksUndersampled ? ' (undersampled)' : ''} (${fmt})`,
    domain: 'kspace',
    width: scan.columns,
    height: scan.rows,
    frames: scan.slices,
    coils: scan.coils,
    complex: true,
    undersampled: scan.looksUndersampled,
    modality: 'MR'
  }
}

export function scanSummary(id: string, name: string, path: string | undefined, scans: Scan[]): ScanSummary {
  const notes: string[] = []
  for (const s of scans) for (const note of s.provenance.notes) if (!notes.includes(note)) notes.push(note)
  return {
    id,
    name,
    ...(path !== undefined ? { path } : {}),
    format: formatName(scans[0].provenance.format),
    series: scans.map((s, i) => seriesSummary(s, i)),
    notes
  }
}
