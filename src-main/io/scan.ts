/**
 * One model for everything a user can open — DICOM series, NIfTI volumes, PNG/JPEG/TIFF
 * images, NumPy arrays, raw k-space (fastMRI/ISMRMRD HDF5, BART cfl, NumPy) — so the rest of
 * the application never cares where data came from.
 *
 * Pixel data are stored as float32 (a 20-slice 512² series is 20 MB, not 40) in the stored
 * units after the modality rescale (DICOM slope/intercept, NIfTI scl_*): never windowed or
 * inverted. Display choices (window, MONOCHROME1 inversion) travel as metadata.
 */

export type ScanFormat =
  | 'dicom' | 'nifti' | 'png' | 'jpeg' | 'tiff' | 'npy' | 'npz' | 'cfl' | 'fastmri-h5' | 'ismrmrd-h5'

export interface Provenance {
  /** The file or folder the user opened. */
  path: string
  /** Files that contributed (a DICOM series: one per slice). */
  files: string[]
  format: ScanFormat
  /** Human notes about how it was read, e.g. "no DICOM file meta: guessed Implicit VR Little Endian". */
  notes: string[]
}

export interface Geometry {
  /** Row and column spacing in mm (DICOM PixelSpacing order: between rows, between columns). */
  pixelSpacing?: [number, number]
  sliceThickness?: number
  /** Spacing between slice centres along the normal, when known. */
  sliceSpacing?: number
  /** ImagePositionPatient per frame/slice (DICOM), or the voxel-to-world origin. */
  positions?: [number, number, number][]
  /** ImageOrientationPatient: row then column direction cosines. */
  orientation?: [number, number, number, number, number, number]
}

export interface DisplayHints {
  /** Default window from the file (DICOM WindowCenter/Width), in stored units after rescale. */
  window?: { center: number; width: number }
  /** MONOCHROME1: low values are displayed white. */
  invert?: boolean
  photometric?: string
}

/** Pixels: frames × rows × columns × samples, row-major, float32. */
export interface ImageScan {
  kind: 'image'
  frames: number
  rows: number
  columns: number
  /** 1 for grayscale, 3 for colour (RGB after any YBR/palette conversion). */
  samples: 1 | 3
  data: Float32Array
  /** Imaginary part, when the source held complex values (NumPy complex images). */
  imag?: Float32Array
  geometry: Geometry
  display: DisplayHints
  /** Tags worth showing/keeping: modality, patient/study/series identifiers, descriptions… */
  metadata: Record<string, string | number>
  provenance: Provenance
}

/** Raw k-space: slices × coils × rows (ky) × columns (kx), centred (DC at ⌊H/2⌋, ⌊W/2⌋). */
export interface KspaceScan {
  kind: 'kspace'
  slices: number
  coils: number
  rows: number
  columns: number
  re: Float32Array
  im: Float32Array
  /** Sampled positions (1 = any coil/slice has a non-zero sample there), rows × columns. */
  mask: Uint8Array
  sampledFraction: number
  /** True when whole k-space positions are exactly zero in every coil (a sampling pattern). */
  looksUndersampled: boolean
  /** A reference image shipped with the data (fastMRI reconstruction_rss), slices × rows × columns. */
  reference?: { rows: number; columns: number; data: Float32Array }
  /** Reconstruction matrix from the acquisition header (fastMRI crops to it), when known. */
  reconSize?: [number, number]
  metadata: Record<string, string | number>
  provenance: Provenance
}

export type Scan = ImageScan | KspaceScan

/** Sampled fraction and undersampling verdict from exact zeros, shared by every k-space loader. */
export function analyseSampling(
  re: Float32Array, im: Float32Array, slices: number, coils: number, rows: number, columns: number
): { mask: Uint8Array; sampledFraction: number; looksUndersampled: boolean } {
  const plane = rows * columns
  const mask = new Uint8Array(plane)
  const total = slices * coils
  for (let b = 0; b < total; b++) {
    const off = b * plane
    for (let i = 0; i < plane; i++) if (re[off + i] !== 0 || im[off + i] !== 0) mask[i] = 1
  }
  let count = 0
  for (let i = 0; i < plane; i++) count += mask[i]
  const sampledFraction = count / plane
  // Fully sampled data has (almost) no exact zeros; a sampling pattern leaves many.
  return { mask, sampledFraction, looksUndersampled: sampledFraction < 0.95 }
}

/** One line for logs and `inspect`. */
export function describeScan(s: Scan): string {
  if (s.kind === 'image') {
    const m = s.metadata
    const what = [m.Modality, m.SeriesDescription].filter(Boolean).join(' ') || String(m.Description ?? '')
    return `${s.provenance.format} image ${s.frames > 1 ? `${s.frames}×` : ''}${s.rows}×${s.columns}${s.samples === 3 ? '×3' : ''}${s.imag ? ' complex' : ''}${what ? ` (${what})` : ''}`
  }
  return `${s.provenance.format} k-space ${s.slices > 1 ? `${s.slices} slices × ` : ''}${s.coils} coil${s.coils > 1 ? 's' : ''} × ${s.rows}×${s.columns}, ${(100 * s.sampledFraction).toFixed(1)} % sampled${s.looksUndersampled ? ' (undersampled)' : ''}`
}

/**
 * One frame as a gray image (real part): RGB samples become ITU-R BT.601 luma, the same
 * weights the picture decoder uses. Complex scans' imaginary parts are the caller's to handle.
 */
export function frameGray(scan: ImageScan, frame: number): Float64Array {
  const n = scan.rows * scan.columns
  const out = new Float64Array(n)
  const base = frame * n * scan.samples
  if (scan.samples === 3) {
    for (let i = 0; i < n; i++) {
      const o = base + 3 * i
      out[i] = 0.299 * scan.data[o] + 0.587 * scan.data[o + 1] + 0.114 * scan.data[o + 2]
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = scan.data[base + i]
  }
  return out
}
