/**
 * Image-quality metrics with the fastMRI conventions (fastMRI `evaluate.py`), so that numbers
 * reported by Recon Studio are comparable with published fastMRI results.
 *
 * - Inputs are real magnitude images, row-major (`y * width + x`), compared in float64.
 * - The data range defaults to max(reference), not max − min: fastMRI passes `gt.max()`, and
 *   max − min gives different PSNR/SSIM for the same pair (see the fixtures).
 * - PSNR = 10·log10(range² / MSE), `skimage.metrics.peak_signal_noise_ratio`. Identical images
 *   give +Infinity (MSE = 0), as NumPy does, rather than an error, so a perfect reconstruction
 *   is still reportable.
 * - NMSE = ‖ref − test‖² / ‖ref‖².
 * - SSIM = `skimage.metrics.structural_similarity` with its defaults: 7×7 uniform window,
 *   K1 = 0.01, K2 = 0.03, sample covariance (N/(N−1), N = 49), mean of the SSIM map cropped by
 *   3 pixels on every border, i.e. only over pixels whose window lies inside the image.
 *
 * fastMRI takes the maximum over a whole volume; these functions work per 2-D image, so a caller
 * scoring a volume slice-by-slice with fastMRI's numbers must pass the volume maximum as dataRange.
 */

export const METRICS_CONVENTION =
  'Metrics follow fastMRI evaluate.py on float64 magnitude images: data range = max(reference) ' +
  '(not max−min), PSNR = 10·log10(range²/MSE), NMSE = ‖ref−test‖²/‖ref‖², and SSIM as ' +
  'skimage structural_similarity (7×7 uniform window, K1 = 0.01, K2 = 0.03, sample covariance, ' +
  'mean over the map cropped by 3 pixels at each border).'

export interface Metrics {
  psnr: number
  ssim: number
  nmse: number
}

const WIN = 7
const HALF = (WIN - 1) / 2
const NP = WIN * WIN
const COV_NORM = NP / (NP - 1)
const K1 = 0.01
const K2 = 0.03

export function psnr(reference: ArrayLike<number>, test: ArrayLike<number>, dataRange?: number): number {
  checkPair(reference, test)
  const range = resolveRange(reference, dataRange)
  return psnrChecked(reference, test, range)
}

export function nmse(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  checkPair(reference, test)
  return nmseChecked(reference, test)
}

export function ssim(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  height: number,
  width: number,
  dataRange?: number
): number {
  checkImagePair(reference, test, height, width)
  return ssimChecked(reference, test, height, width, resolveRange(reference, dataRange))
}

/**
 * Per-pixel SSIM, height × width. Border pixels, where the 7×7 window does not fit, are computed
 * on the image mirrored about its edges (SciPy's `reflect` mode: …c b a | a b c…), which is what
 * skimage's `structural_similarity(..., full=True)` returns; a map with no holes is also what a
 * display wants. `ssim()` is the mean of this map over the interior with the 3-pixel border
 * removed, where mirroring plays no part.
 */
export function ssimMap(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  height: number,
  width: number,
  dataRange?: number
): Float64Array {
  checkImagePair(reference, test, height, width)
  const range = resolveRange(reference, dataRange)
  const ph = height + 2 * HALF
  const pw = width + 2 * HALF
  const x = reflectPad(reference, height, width)
  const y = reflectPad(test, height, width)
  return ssimValidMap(x, y, ph, pw, range)
}

/** All three metrics with the fastMRI default range, max(reference). */
export function computeMetrics(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  height: number,
  width: number
): Metrics {
  checkImagePair(reference, test, height, width)
  const range = resolveRange(reference, undefined)
  return {
    psnr: psnrChecked(reference, test, range),
    ssim: ssimChecked(reference, test, height, width, range),
    nmse: nmseChecked(reference, test)
  }
}

// ---------------------------------------------------------------------------------------------

function psnrChecked(reference: ArrayLike<number>, test: ArrayLike<number>, range: number): number {
  const n = reference.length
  let sse = 0
  for (let i = 0; i < n; i++) {
    const d = reference[i] - test[i]
    sse += d * d
  }
  const mse = sse / n
  if (mse === 0) return Infinity
  return 10 * Math.log10((range * range) / mse)
}

function nmseChecked(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  const n = reference.length
  let err = 0
  let ref = 0
  for (let i = 0; i < n; i++) {
    const r = reference[i]
    const d = r - test[i]
    err += d * d
    ref += r * r
  }
  if (ref === 0) throw new Error('nmse: the reference image is all zeros, so NMSE (‖ref−test‖²/‖ref‖²) is undefined')
  return err / ref
}

function ssimChecked(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  height: number,
  width: number,
  range: number
): number {
  // The cropped mean only involves windows that lie inside the image, so no padding is needed.
  const map = ssimValidMap(reference, test, height, width, range)
  let sum = 0
  for (let i = 0; i < map.length; i++) sum += map[i]
  return sum / map.length
}

/**
 * SSIM for every position where a 7×7 window fits in an h × w image: (h−6) × (w−6) values.
 * Window sums are separable running sums (add the sample entering, subtract the one leaving),
 * so the cost per pixel does not depend on the window size. Horizontal sums live in a ring of
 * WIN rows rather than full-size arrays: the working set stays in cache and a 320×320 call
 * allocates ~100 KB instead of ~4 MB, which keeps GC pauses out of interactive use.
 */
function ssimValidMap(x: ArrayLike<number>, y: ArrayLike<number>, h: number, w: number, range: number): Float64Array {
  // Variances come from E[x²] − E[x]², which cancels badly when the mean is large compared with
  // the spread. Shifting both images by one constant leaves every variance and covariance
  // unchanged but removes most of that loss (the means get the shift added back). skimage does
  // not shift, so on e.g. a 1000 ± 5 image the two differ by ~1e-10, ours nearer a two-pass sum.
  // The shift is symmetric in x and y so that SSIM stays symmetric.
  let sumX = 0
  let sumY = 0
  for (let i = 0; i < h * w; i++) {
    sumX += x[i]
    sumY += y[i]
  }
  const shift = (sumX + sumY) / (2 * h * w)
  const ow = w - WIN + 1
  const oh = h - WIN + 1
  const c1 = (K1 * range) ** 2
  const c2 = (K2 * range) ** 2
  const inv = 1 / NP

  // Ring of horizontal window sums of x, y, x², y², xy for the last WIN rows.
  const m = WIN * ow
  const hx = new Float64Array(m)
  const hy = new Float64Array(m)
  const hxx = new Float64Array(m)
  const hyy = new Float64Array(m)
  const hxy = new Float64Array(m)
  // Vertical running sums, one per output column.
  const vx = new Float64Array(ow)
  const vy = new Float64Array(ow)
  const vxx = new Float64Array(ow)
  const vyy = new Float64Array(ow)
  const vxy = new Float64Array(ow)
  const out = new Float64Array(oh * ow)

  for (let r = 0; r < h; r++) {
    const row = r * w
    const slot = (r % WIN) * ow
    let sx = 0
    let sy = 0
    let sxx = 0
    let syy = 0
    let sxy = 0
    for (let c = 0; c < WIN - 1; c++) {
      const a = x[row + c] - shift
      const b = y[row + c] - shift
      sx += a
      sy += b
      sxx += a * a
      syy += b * b
      sxy += a * b
    }
    for (let c = 0; c < ow; c++) {
      const a = x[row + c + WIN - 1] - shift
      const b = y[row + c + WIN - 1] - shift
      sx += a
      sy += b
      sxx += a * a
      syy += b * b
      sxy += a * b
      const o = slot + c
      hx[o] = sx
      hy[o] = sy
      hxx[o] = sxx
      hyy[o] = syy
      hxy[o] = sxy
      vx[c] += sx
      vy[c] += sy
      vxx[c] += sxx
      vyy[c] += syy
      vxy[c] += sxy
      const a0 = x[row + c] - shift
      const b0 = y[row + c] - shift
      sx -= a0
      sy -= b0
      sxx -= a0 * a0
      syy -= b0 * b0
      sxy -= a0 * b0
    }
    if (r < WIN - 1) continue

    // Rows r−6 … r are summed: emit output row r−6, then drop input row r−6 from the sums.
    const orow = (r - WIN + 1) * ow
    const old = ((r + 1) % WIN) * ow
    for (let c = 0; c < ow; c++) {
      // Otherwise the same expression order as skimage, so the two agree to rounding.
      const dx = vx[c] * inv
      const dy = vy[c] * inv
      const varX = COV_NORM * (vxx[c] * inv - dx * dx)
      const varY = COV_NORM * (vyy[c] * inv - dy * dy)
      const covXY = COV_NORM * (vxy[c] * inv - dx * dy)
      const ux = dx + shift
      const uy = dy + shift
      const a1 = 2 * ux * uy + c1
      const a2 = 2 * covXY + c2
      const b1 = ux * ux + uy * uy + c1
      const b2 = varX + varY + c2
      out[orow + c] = (a1 * a2) / (b1 * b2)

      vx[c] -= hx[old + c]
      vy[c] -= hy[old + c]
      vxx[c] -= hxx[old + c]
      vyy[c] -= hyy[old + c]
      vxy[c] -= hxy[old + c]
    }
  }
  return out
}

/** Pads by HALF on every side, mirroring with the edge sample repeated (SciPy `reflect`). */
function reflectPad(src: ArrayLike<number>, h: number, w: number): Float64Array {
  const pw = w + 2 * HALF
  const ph = h + 2 * HALF
  const out = new Float64Array(ph * pw)
  for (let r = 0; r < ph; r++) {
    const sr = mirror(r - HALF, h)
    for (let c = 0; c < pw; c++) out[r * pw + c] = src[sr * w + mirror(c - HALF, w)]
  }
  return out
}

function mirror(i: number, n: number): number {
  // Valid for |overhang| ≤ n, guaranteed since n ≥ WIN > HALF.
  if (i < 0) return -i - 1
  if (i >= n) return 2 * n - i - 1
  return i
}

function checkPair(reference: ArrayLike<number>, test: ArrayLike<number>): void {
  if (reference.length !== test.length) {
    throw new Error(`metrics: reference has ${reference.length} values but test has ${test.length}`)
  }
  if (reference.length === 0) throw new Error('metrics: images are empty')
  checkFinite(reference, 'reference')
  checkFinite(test, 'test')
}

function checkImagePair(reference: ArrayLike<number>, test: ArrayLike<number>, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new Error(`metrics: height and width must be positive integers, got ${height}×${width}`)
  }
  const n = height * width
  if (reference.length !== n || test.length !== n) {
    throw new Error(
      `metrics: ${height}×${width} needs ${n} values, but reference has ${reference.length} and test has ${test.length}`
    )
  }
  if (height < WIN || width < WIN) {
    throw new Error(`metrics: SSIM needs images of at least ${WIN}×${WIN} (its window size), got ${height}×${width}`)
  }
  checkPair(reference, test)
}

function checkFinite(a: ArrayLike<number>, name: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`metrics: ${name} has a non-finite value (${a[i]}) at index ${i}`)
  }
}

function resolveRange(reference: ArrayLike<number>, dataRange: number | undefined): number {
  if (dataRange !== undefined) {
    if (!Number.isFinite(dataRange) || dataRange <= 0) {
      throw new Error(`metrics: dataRange must be a finite positive number, got ${dataRange}`)
    }
    return dataRange
  }
  let max = -Infinity
  for (let i = 0; i < reference.length; i++) if (reference[i] > max) max = reference[i]
  if (!(max > 0)) {
    throw new Error(
      `metrics: the default data range is max(reference), which is ${max}; for a magnitude image this means ` +
        'an all-zero reference. Pass dataRange explicitly.'
    )
  }
  return max
}
