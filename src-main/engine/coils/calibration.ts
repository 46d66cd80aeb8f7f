/**
 * The fully sampled calibration (autocalibration, ACS) region at the centre of k-space, which
 * every autocalibrating method (ESPIRiT, low-resolution maps, coil compression) learns from.
 *
 * k-space is centred (DC at row ⌊H/2⌋, column ⌊W/2⌋) and multi-coil arrays are C×H×W.
 */
import type { CArray } from '../complex.ts'

/** BART ecalib's default limit (-r 24), so that results are comparable out of the box. */
export const DEFAULT_MAX_CALIBRATION: [number, number] = [24, 24]

export interface CalibrationRegion {
  /** Size in k-space rows × columns. */
  rows: number
  columns: number
  /** First row and column of the region in the full k-space. */
  top: number
  left: number
}

export function checkShape(data: CArray, shape: readonly [number, number, number], what = 'k-space'): void {
  const [C, H, W] = shape
  if (![C, H, W].every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`${what}: invalid shape [${shape.join(', ')}]`)
  if (data.re.length !== C * H * W || data.im.length !== C * H * W) {
    throw new Error(`${what}: ${data.re.length} values do not match the shape ${C}×${H}×${W} (needs ${C * H * W})`)
  }
}

/** 1 where the sample is non-zero in every coil (a position is "acquired" only if all coils have it). */
export function sampledInAllCoils(kspace: CArray, shape: readonly [number, number, number]): Uint8Array {
  checkShape(kspace, shape)
  const [C, H, W] = shape
  const plane = H * W
  const mask = new Uint8Array(plane).fill(1)
  for (let c = 0; c < C; c++) {
    const off = c * plane
    for (let i = 0; i < plane; i++) if (kspace.re[off + i] === 0 && kspace.im[off + i] === 0) mask[i] = 0
  }
  return mask
}

/**
 * The largest fully sampled rectangle centred on DC, grown one row and one column at a time
 * (alternately, as BART's calib_geom does) until the next row or column would include an
 * unsampled point, reach the limit `maxSize`, or the full size. Rows span
 * [⌊H/2⌋ − ⌊h/2⌋, ⌊H/2⌋ − ⌊h/2⌋ + h), the same as BART for even sizes (for odd sizes BART
 * starts one row earlier; we keep DC at the region's own centre index ⌊h/2⌋).
 * Throws when DC itself is not sampled.
 */
export function findCalibrationRegion(mask: Uint8Array, height: number, width: number, maxSize: readonly [number, number] = DEFAULT_MAX_CALIBRATION): CalibrationRegion {
  if (mask.length !== height * width) throw new Error(`calibration: mask has ${mask.length} values, ${height}×${width} needs ${height * width}`)
  const cy = Math.floor(height / 2)
  const cx = Math.floor(width / 2)
  if (!mask[cy * width + cx]) throw new Error('calibration: the k-space centre (DC) is not sampled, so there is no calibration region')
  const capH = Math.min(height, Math.max(1, Math.floor(maxSize[0])))
  const capW = Math.min(width, Math.max(1, Math.floor(maxSize[1])))
  let h = 1
  let w = 1
  let growH = capH > 1
  let growW = capW > 1
  const top = (size: number): number => cy - Math.floor(size / 2)
  const left = (size: number): number => cx - Math.floor(size / 2)
  const rowSampled = (r: number, c0: number, n: number): boolean => {
    for (let c = c0; c < c0 + n; c++) if (!mask[r * width + c]) return false
    return true
  }
  const columnSampled = (c: number, r0: number, n: number): boolean => {
    for (let r = r0; r < r0 + n; r++) if (!mask[r * width + c]) return false
    return true
  }
  while (growH || growW) {
    if (growH) {
      // Going from h to h + 1 adds one row: at the top when h + 1 is even, else at the bottom.
      const t = top(h + 1)
      const newRow = t < top(h) ? t : t + h
      if (rowSampled(newRow, left(w), w)) h++
      else growH = false
      if (h >= capH) growH = false
    }
    if (growW) {
      const l = left(w + 1)
      const newColumn = l < left(w) ? l : l + w
      if (columnSampled(newColumn, top(h), h)) w++
      else growW = false
      if (w >= capW) growW = false
    }
  }
  return { rows: h, columns: w, top: top(h), left: left(w) }
}

/** The region's samples, C × rows × columns (a copy). */
export function extractRegion(kspace: CArray, shape: readonly [number, number, number], region: CalibrationRegion): CArray {
  checkShape(kspace, shape)
  const [C, H, W] = shape
  const { rows, columns, top, left } = region
  if (top < 0 || left < 0 || top + rows > H || left + columns > W) throw new Error(`calibration region ${rows}×${columns} at (${top}, ${left}) lies outside ${H}×${W}`)
  const n = rows * columns
  const out = { re: new Float64Array(C * n), im: new Float64Array(C * n) }
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < rows; r++) {
      const src = c * H * W + (top + r) * W + left
      const dst = c * n + r * columns
      out.re.set(kspace.re.subarray(src, src + columns), dst)
      out.im.set(kspace.im.subarray(src, src + columns), dst)
    }
  }
  return out
}

export interface Calibration {
  region: CalibrationRegion
  /** C × region.rows × region.columns. */
  data: CArray
}

/** Detect the calibration region of C×H×W centred k-space and extract it. */
export function extractCalibration(kspace: CArray, shape: readonly [number, number, number], maxSize: readonly [number, number] = DEFAULT_MAX_CALIBRATION): Calibration {
  const region = findCalibrationRegion(sampledInAllCoils(kspace, shape), shape[1], shape[2], maxSize)
  return { region, data: extractRegion(kspace, shape, region) }
}
