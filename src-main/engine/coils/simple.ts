/**
 * The fast alternative to ESPIRiT: sensitivities from low-resolution coil images, normalised by
 * their root sum of squares (the estimator of the original SENSE paper and of many fastMRI
 * baselines; no Walsh covariance, no eigenproblems).
 *
 *   x_c = ifft2c(window · calibration region of coil c, zero-padded to H×W)
 *   S_c = x_c / √Σ_c |x_c|²   where that RSS > maskThreshold · max RSS, else 0.
 *
 * The window (Tukey; α = 1 is Hann) tapers the calibration region to zero at its edges so
 * that the truncation does not ring (Gibbs oscillations would put ripples and dark fringes into
 * the RSS and so into every map). Cost: C inverse FFTs.
 *
 * Limits (why ESPIRiT exists):
 * - The maps carry the phase (and, before normalising, the magnitude) of the low-resolution
 *   object, not only of the coils: Σ_c conj(S_c)·x_c then has the phase of the image minus its
 *   low-resolution phase, so a SENSE combination with these maps is essentially a magnitude
 *   (RSS-like) combination; its phase is not the object's.
 * - Where the low-resolution RSS is small — the object's edges, dark regions, the background
 *   — the ratio is dominated by blur, noise and leakage from bright neighbours; the mask from
 *   the RSS threshold is crude (it follows the blurred object, not its support).
 * - Sensitivities are only as sharp as the calibration region: the blur of the object
 *   multiplied by a varying coil profile makes S_c wrong by about (blur width × gradient of
 *   the profile), largest near the coils.
 * - No aliasing/null-space model: an object larger than the field of view (folding in the
 *   fully sampled data) gives wrong maps where it folds; ESPIRiT detects that (eigenvalues).
 */
import type { CArray } from '../complex.ts'
import { ifft2c } from '../fft.ts'
import { throwIfCancelled, type RunControl } from '../progress.ts'
import { checkShape, DEFAULT_MAX_CALIBRATION, extractCalibration, type CalibrationRegion } from './calibration.ts'
import { rss } from './combine.ts'

export interface SimpleMapsOptions {
  /** Largest calibration region to use, rows × columns (default 24×24, as ESPIRiT). */
  calibSize?: [number, number]
  /** Tukey taper fraction: 1 = Hann (default), 0 = no window. */
  tukeyAlpha?: number
  /** Keep pixels whose low-resolution RSS exceeds this fraction of its maximum (default 0.05). */
  maskThreshold?: number
}

export interface SimpleMapsResult {
  /** C×H×W, unit norm per pixel inside the mask, zero outside. */
  maps: CArray
  /** H×W, 1 where maps are defined. */
  mask: Uint8Array
  /** H×W root sum of squares of the low-resolution coil images. */
  lowResRss: Float64Array
  calibSize: [number, number]
  calibration: CalibrationRegion
}

export const SIMPLE_DEFAULTS = { tukeyAlpha: 1, maskThreshold: 0.05 } as const

/**
 * Tukey window over n samples centred on index ⌊n/2⌋ (the DC of a centred region), reaching
 * zero half a sample beyond the farther edge, so every sample in the region keeps some weight.
 */
export function tukeyWindow(n: number, alpha: number): Float64Array {
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`Tukey α must be in [0, 1], got ${alpha}`)
  const w = new Float64Array(n)
  const c = Math.floor(n / 2)
  const R = Math.max(c, n - 1 - c) + 1
  for (let i = 0; i < n; i++) {
    const r = Math.abs(i - c) / R
    w[i] = r <= 1 - alpha ? 1 : 0.5 * (1 + Math.cos((Math.PI * (r - (1 - alpha))) / alpha))
  }
  return w
}

export function simpleSensitivities(kspace: CArray, shape: [number, number, number], options: SimpleMapsOptions = {}, control?: RunControl): SimpleMapsResult {
  checkShape(kspace, shape)
  const [C, H, W] = shape
  const alpha = options.tukeyAlpha ?? SIMPLE_DEFAULTS.tukeyAlpha
  const threshold = options.maskThreshold ?? SIMPLE_DEFAULTS.maskThreshold
  const cal = extractCalibration(kspace, shape, options.calibSize ?? DEFAULT_MAX_CALIBRATION)
  const { rows, columns, top, left } = cal.region
  const wy = tukeyWindow(rows, alpha)
  const wx = tukeyWindow(columns, alpha)
  const plane = H * W
  const low = { re: new Float64Array(C * plane), im: new Float64Array(C * plane) }
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < columns; q++) {
        const w = wy[r] * wx[q]
        const src = c * rows * columns + r * columns + q
        const dst = c * plane + (top + r) * W + left + q
        low.re[dst] = w * cal.data.re[src]
        low.im[dst] = w * cal.data.im[src]
      }
    }
  }
  throwIfCancelled(control)
  ifft2c(low, shape)
  throwIfCancelled(control)
  const lowResRss = rss(low, shape)
  let peak = 0
  for (let i = 0; i < plane; i++) peak = Math.max(peak, lowResRss[i])
  if (!(peak > 0)) throw new Error('simpleSensitivities: the calibration region holds no signal')
  const mask = new Uint8Array(plane)
  for (let i = 0; i < plane; i++) {
    const inside = lowResRss[i] > threshold * peak
    mask[i] = inside ? 1 : 0
    const scale = inside ? 1 / lowResRss[i] : 0
    for (let c = 0; c < C; c++) {
      low.re[c * plane + i] *= scale
      low.im[c * plane + i] *= scale
    }
  }
  control?.onProgress?.({ step: 1, total: 1, message: 'done' })
  return { maps: low, mask, lowResRss, calibSize: [rows, columns], calibration: cal.region }
}
