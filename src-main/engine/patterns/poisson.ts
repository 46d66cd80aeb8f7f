/**
 * 2-D variable-density Poisson-disc sampling of the ky×kz plane, after BART's
 * `poisson -v -e` (Uecker; Wei 2010 dart throwing):
 *  - only grid points inside the inscribed ellipse are candidates ("-e": corners never sampled);
 *  - the exclusion radius around a new point grows with its distance from DC,
 *    r = s·(1 + VD_SLOPE·ρ²), ρ the elliptically normalised radius (1 on the ellipse), so the
 *    density falls off the same way along both axes of a non-square grid while distances stay
 *    isotropic in pixels; BART's 1 + 20·d² law with -y 2 -z 2 has this same edge/centre ratio;
 *  - a fully sampled calibration square and DC are placed first and repel darts like any sample.
 *
 * The darts are the grid points themselves, thrown once each in a seeded random order and kept
 * when no earlier sample lies within their radius. Over a finite candidate set this exhausts the
 * plane (the result is a maximal Poisson-disc set), needs no Bridson annulus rejection loop and is
 * exactly reproducible. Distances are measured between positions jittered uniformly within each
 * pixel (BART throws in continuous space and floors to the grid): on the bare lattice only a few
 * distances exist (1, √2, 2, …), so the density would jump in rings wherever the radius crosses
 * one of them. The global scale s is found by safeguarded log–log secant bisection on the same
 * darts, so the count varies almost monotonically with s.
 */
import { Rng } from '../rng.ts'
import type { FamilyResult } from './types.ts'

/** Edge radius / centre radius − 1 (density ratio centre/edge ≈ (1 + slope)²). */
export const VD_SLOPE = 1.25
/** The promise to callers: effective acceleration within ±3 % of the request. */
export const POISSON_TOLERANCE = 0.03
/** What the search aims for before settling for the tolerance. */
const AIM = 0.004
const MAX_EVALUATIONS = 40
/** Count ∝ s^-p with p ≈ 1.6 over the useful range; used until two evaluations give a slope. */
const PRIOR_EXPONENT = 1.6
/** Smallest calibration square when centerFraction is not given. */
const MIN_DEFAULT_CALIBRATION = 8
export const DEFAULT_POISSON_CENTER_FRACTION = 0.08

/** Calibration side: round(cf·min(H,W)); without an explicit cf at least 8, capped by the grid. */
export function poissonCalibrationSide(height: number, width: number, centerFraction?: number): number {
  const m = Math.min(height, width)
  if (centerFraction !== undefined) return Math.min(m, Math.round(centerFraction * m))
  return Math.min(m, Math.max(MIN_DEFAULT_CALIBRATION, Math.round(DEFAULT_POISSON_CENTER_FRACTION * m)))
}

/** Squared elliptical radius of grid point (y, x): 1 on the ellipse inscribed in the grid. */
export function ellipticalRadius2(height: number, width: number, y: number, x: number): number {
  const v = (y - Math.floor(height / 2)) / (height / 2)
  const u = (x - Math.floor(width / 2)) / (width / 2)
  return u * u + v * v
}

/** Exclusion radius in pixels at squared elliptical radius rho2 for global scale s. */
export function exclusionRadius(scale: number, rho2: number): number {
  return scale * (1 + VD_SLOPE * rho2)
}

/** Top-left corner of the calibration square: fastMRI's centring, which always covers DC. */
export function calibrationStart(n: number, side: number): number {
  return Math.floor((n - side + 1) / 2)
}

/**
 * The dart order, jitter and fixed samples for one grid, reused for every trial scale. Memory is
 * about 13 bytes per grid point (order, jitter, mask), with no padding, so that large grids and
 * large radii stay affordable.
 */
class DartThrower {
  readonly size: number
  readonly baseCount: number
  /** Fixed samples (calibration + DC). */
  private readonly base: Uint8Array
  /** Candidate grid indices in throwing order. */
  private readonly order: Int32Array
  /** Sub-pixel position of each grid point's dart, in [-0.5, 0.5); 0 for the fixed samples. */
  private readonly jx: Float32Array
  private readonly jy: Float32Array
  private readonly work: Uint8Array
  /** Neighbour offsets sorted by distance: blocked darts are usually stopped by a near sample. */
  private reach = -1
  private offD2 = new Int32Array(0)
  private offLin = new Int32Array(0)
  private offDx = new Int32Array(0)
  private offDy = new Int32Array(0)

  constructor(
    private readonly height: number,
    private readonly width: number,
    calibrationSide: number,
    seed: number
  ) {
    this.size = height * width
    const base = new Uint8Array(this.size)
    const y0 = calibrationStart(height, calibrationSide)
    const x0 = calibrationStart(width, calibrationSide)
    for (let y = y0; y < y0 + calibrationSide; y++) base.fill(1, y * width + x0, y * width + x0 + calibrationSide)
    base[Math.floor(height / 2) * width + Math.floor(width / 2)] = 1
    let baseCount = 0
    for (let i = 0; i < this.size; i++) baseCount += base[i]
    this.base = base
    this.baseCount = baseCount
    this.work = new Uint8Array(this.size)

    let n = 0
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) if (!base[y * width + x] && ellipticalRadius2(height, width, y, x) <= 1) n++
    }
    const order = new Int32Array(n)
    n = 0
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!base[y * width + x] && ellipticalRadius2(height, width, y, x) <= 1) order[n++] = y * width + x
      }
    }
    const rng = new Rng(seed)
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1)
      const t = order[i]
      order[i] = order[j]
      order[j] = t
    }
    this.order = order
    this.jx = new Float32Array(this.size)
    this.jy = new Float32Array(this.size)
    for (let i = 0; i < order.length; i++) {
      this.jx[order[i]] = rng.uniform() - 0.5
      this.jy[order[i]] = rng.uniform() - 0.5
    }
  }

  /** Fixed samples plus every candidate: the densest reachable pattern. */
  get maxCount(): number {
    return this.baseCount + this.order.length
  }

  private ensureReach(radius: number): void {
    // No two grid points are farther apart than the diagonal.
    const need = Math.min(Math.ceil(radius), Math.ceil(Math.hypot(this.height, this.width)) + 1)
    if (need <= this.reach) return
    const m = Math.min(Math.ceil(need * 1.25), Math.ceil(Math.hypot(this.height, this.width)) + 1)
    this.reach = m
    const offs: [number, number, number][] = []
    for (let dy = -Math.min(m, this.height - 1); dy <= Math.min(m, this.height - 1); dy++) {
      for (let dx = -Math.min(m, this.width - 1); dx <= Math.min(m, this.width - 1); dx++) {
        const d2 = dx * dx + dy * dy
        if (d2 > 0 && d2 <= m * m) offs.push([d2, dy, dx])
      }
    }
    offs.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
    this.offD2 = Int32Array.from(offs, (o) => o[0])
    this.offDy = Int32Array.from(offs, (o) => o[1])
    this.offDx = Int32Array.from(offs, (o) => o[2])
    this.offLin = Int32Array.from(offs, (o) => o[1] * this.width + o[2])
  }

  /** Throws every dart at scale s; returns the sample count. The result stays in the work mask. */
  run(scale: number): number {
    // Jitter moves two samples by less than √2 relative to each other.
    this.ensureReach(exclusionRadius(scale, 1) + Math.SQRT2)
    const { work, width, height, offD2, offLin, offDx, offDy, order, jx, jy } = this
    work.set(this.base)
    const cy = Math.floor(height / 2)
    const cx = Math.floor(width / 2)
    let count = this.baseCount
    const nOff = offD2.length
    for (let i = 0; i < order.length; i++) {
      const p = order[i]
      const y = Math.floor(p / width)
      const x = p - y * width
      const v = (y - cy) / (height / 2)
      const u = (x - cx) / (width / 2)
      const r = scale * (1 + VD_SLOPE * (u * u + v * v))
      const r2 = r * r
      const reach = r + Math.SQRT2
      const reach2 = reach * reach
      const pjx = jx[p]
      const pjy = jy[p]
      let free = true
      for (let k = 0; k < nOff && offD2[k] < reach2; k++) {
        const yy = y + offDy[k]
        const xx = x + offDx[k]
        if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue
        const q = p + offLin[k]
        if (work[q] === 0) continue
        const ddx = offDx[k] + jx[q] - pjx
        const ddy = offDy[k] + jy[q] - pjy
        if (ddx * ddx + ddy * ddy < r2) {
          free = false
          break
        }
      }
      if (free) {
        work[p] = 1
        count++
      }
    }
    return count
  }

  /** The last run's samples. */
  extract(): Uint8Array {
    return this.work.slice()
  }
}

export interface PoissonDisc {
  mask: Uint8Array
  /** Global radius scale s (exclusion radius at DC, in pixels). */
  scale: number
  calibrationSide: number
}

/**
 * Poisson-disc mask whose effective acceleration is within ±3 % of R. Throws when R is out of
 * reach: below H·W / (ellipse ∪ calibration points), since the corners are never sampled (about
 * 1.27× on any grid), or so high that the calibration square alone exceeds the budget.
 */
export function poissonDisc(
  height: number,
  width: number,
  acceleration: number,
  calibrationSide: number,
  seed: number
): PoissonDisc {
  const thrower = new DartThrower(height, width, calibrationSide, seed)
  const size = thrower.size
  const target = size / acceleration
  const within = (count: number, tol: number): boolean => Math.abs(size / count / acceleration - 1) <= tol
  const result = (scale: number): PoissonDisc => ({ mask: thrower.extract(), scale, calibrationSide })

  const lowest = size / thrower.maxCount
  if (acceleration < lowest * (1 - POISSON_TOLERANCE)) {
    throw new Error(
      `poisson: ${acceleration}× is below the lowest reachable acceleration on a ${height}×${width} grid ` +
        `(${lowest.toFixed(3)}×): points outside the inscribed ellipse are never sampled`
    )
  }
  if (within(thrower.maxCount, AIM) || acceleration <= lowest) {
    thrower.run(0)
    return result(0)
  }
  const highest = size / thrower.baseCount
  if (acceleration > highest * (1 + POISSON_TOLERANCE)) {
    throw new Error(
      `poisson: ${acceleration}× is out of reach with a ${calibrationSide}×${calibrationSide} calibration region, ` +
        `which alone limits the acceleration to ${highest.toFixed(3)}×; use a smaller centerFraction or acceleration`
    )
  }

  // Secant steps on log count against log s (count ∝ s^-p locally), kept inside the bracket
  // [lo, hi] (lo: too many samples, hi: too few) and replaced by bisection when they leave it.
  let lo = 0
  let hi = Infinity
  let prev: { ls: number; lc: number } | null = null
  let best = { scale: 0, err: Infinity, effective: Infinity }
  // Beyond the diagonal every dart is within reach of DC: nothing changes.
  const sMax = Math.hypot(height, width)
  const lt = Math.log(target)
  // Empirical fit on this construction: density 1/R at DC needs s ≈ 0.42·√R.
  let s = 0.42 * Math.sqrt(acceleration)
  for (let evaluation = 0; evaluation < MAX_EVALUATIONS; evaluation++) {
    const count = thrower.run(s)
    const err = Math.abs(size / count / acceleration - 1)
    if (err < best.err) best = { scale: s, err, effective: size / count }
    if (err <= AIM) return result(s)
    if (count > target) lo = s
    else hi = s
    if (hi / lo < 1 + 1e-9 || (lo >= sMax && !Number.isFinite(hi))) break
    const ls = Math.log(s)
    const lc = Math.log(count)
    const slope = prev && prev.lc !== lc && prev.ls !== ls ? (lc - prev.lc) / (ls - prev.ls) : -PRIOR_EXPONENT
    prev = { ls, lc }
    // A non-decreasing count (noise between close scales) gives no usable slope.
    let next = Math.exp(ls + (lt - lc) / (slope < 0 ? slope : -PRIOR_EXPONENT))
    next = Math.min(Math.max(next, s / 3), s * 3)
    if (!(next > lo && next < hi)) {
      next = lo === 0 ? hi / 2 : Number.isFinite(hi) ? Math.sqrt(lo * hi) : Math.min(sMax, lo * 2)
    }
    s = next
  }
  if (best.err <= POISSON_TOLERANCE) {
    thrower.run(best.scale)
    return result(best.scale)
  }
  throw new Error(
    `poisson: could not reach ${acceleration}× within ±${POISSON_TOLERANCE * 100} % on a ${height}×${width} grid ` +
      `(closest ${best.effective.toFixed(3)}×); try a different acceleration or seed`
  )
}

export function poissonPattern(
  height: number,
  width: number,
  acceleration: number,
  centerFraction: number | undefined,
  seed: number
): FamilyResult {
  const side = poissonCalibrationSide(height, width, centerFraction)
  const { mask } = poissonDisc(height, width, acceleration, side, seed)
  return {
    mask,
    centerFraction: side / Math.min(height, width),
    detail: `${side}×${side} calibration, seed ${seed}`
  }
}
