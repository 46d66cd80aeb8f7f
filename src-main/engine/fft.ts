/**
 * FFT of any length, and the centred orthonormal 2-D transforms used for MRI.
 *
 * Conventions (stated once, used everywhere):
 * - `fft1`: X[k] = Σ_j x[j]·exp(−2πi·jk/n), unnormalised; `ifft1` has exp(+2πi·jk/n) and 1/n.
 * - `fft2c` / `ifft2c` (k-space ↔ image): centred and orthonormal, i.e.
 *   fft2c(x) = fftshift(fft2(ifftshift(x))) / √(H·W), the convention of fastMRI's `fft2c`
 *   and BART's `fft -u` on even sizes. The DC sample sits at row ⌊H/2⌋, column ⌊W/2⌋.
 *   Being unitary, ‖fft2c(x)‖ = ‖x‖ and its adjoint is ifft2c.
 *
 * Lengths with prime factors ≤ 61 use a mixed-radix Stockham transform (radix 4, 2, 3, 5 and a
 * generic odd-prime butterfly); any other length uses Bluestein's chirp-z on a power of two,
 * so 230, 180, 320, 368 or a prime all work. Plans are cached per length.
 */
import type { CArray, Shape } from './complex.ts'

const MAX_SMALL_PRIME = 61

interface Stage {
  p: number
  m: number
  s: number
  twRe: Float64Array // w_n^(pp·k) for pp < m, k < p (index pp*p + k), w = exp(−2πi/(p·m))
  twIm: Float64Array
  rootRe: Float64Array // exp(−2πi·j/p), for the generic butterfly
  rootIm: Float64Array
}

export class FFTPlan {
  readonly n: number
  private readonly stages: Stage[] = []
  private readonly bufRe: Float64Array
  private readonly bufIm: Float64Array
  private readonly workRe: Float64Array
  private readonly workIm: Float64Array
  private readonly scratchRe = new Float64Array(MAX_SMALL_PRIME)
  private readonly scratchIm = new Float64Array(MAX_SMALL_PRIME)
  private readonly diffRe = new Float64Array(MAX_SMALL_PRIME)
  private readonly diffIm = new Float64Array(MAX_SMALL_PRIME)
  private readonly bluestein: Bluestein | null

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`FFT length must be a positive integer, got ${n}`)
    this.n = n
    this.bufRe = new Float64Array(n)
    this.bufIm = new Float64Array(n)
    this.workRe = new Float64Array(n)
    this.workIm = new Float64Array(n)
    const factors = factorize(n)
    if (factors.some((f) => f > MAX_SMALL_PRIME)) {
      this.bluestein = new Bluestein(n)
      return
    }
    this.bluestein = null
    let ns = n
    let s = 1
    for (const p of factors) {
      const m = ns / p
      const twRe = new Float64Array(m * p)
      const twIm = new Float64Array(m * p)
      for (let pp = 0; pp < m; pp++) {
        for (let k = 0; k < p; k++) {
          const a = (-2 * Math.PI * ((pp * k) % ns)) / ns
          twRe[pp * p + k] = Math.cos(a)
          twIm[pp * p + k] = Math.sin(a)
        }
      }
      const rootRe = new Float64Array(p)
      const rootIm = new Float64Array(p)
      for (let j = 0; j < p; j++) {
        rootRe[j] = Math.cos((-2 * Math.PI * j) / p)
        rootIm[j] = Math.sin((-2 * Math.PI * j) / p)
      }
      this.stages.push({ p, m, s, twRe, twIm, rootRe, rootIm })
      ns = m
      s *= p
    }
  }

  /**
   * In-place transform of n samples read from re/im at offset + j·stride (gather/scatter
   * maps allow the centring shifts to be folded in). `inverse` uses the + sign and no scaling.
   */
  transform(
    re: Float64Array,
    im: Float64Array,
    offset: number,
    stride: number,
    inverse: boolean,
    gatherShift = 0,
    scatterShift = 0,
    scale = 1
  ): void {
    const n = this.n
    const xr = this.bufRe
    const xi = this.bufIm
    // Inverse via conjugation: ifft(x) = conj(fft(conj(x))).
    const sgn = inverse ? -1 : 1
    for (let j = 0; j < n; j++) {
      let src = j + gatherShift
      if (src >= n) src -= n
      const idx = offset + src * stride
      xr[j] = re[idx]
      xi[j] = sgn * im[idx]
    }
    const result = this.bluestein ? this.bluestein.run(xr, xi) : this.stockham()
    const outRe = result[0]
    const outIm = result[1]
    const si = sgn * scale
    for (let k = 0; k < n; k++) {
      let dst = k + scatterShift
      if (dst >= n) dst -= n
      const idx = offset + dst * stride
      re[idx] = outRe[k] * scale
      im[idx] = outIm[k] * si
    }
  }

  /** Forward transform of bufRe/bufIm; returns the arrays holding the result. */
  private stockham(): [Float64Array, Float64Array] {
    let xr = this.bufRe
    let xi = this.bufIm
    let yr = this.workRe
    let yi = this.workIm
    for (const st of this.stages) {
      const { p, m, s, twRe, twIm } = st
      if (p === 4) radix4(xr, xi, yr, yi, m, s, twRe, twIm)
      else if (p === 2) radix2(xr, xi, yr, yi, m, s, twRe, twIm)
      else if (p === 3) radix3(xr, xi, yr, yi, m, s, twRe, twIm)
      else if (p === 5) radix5(xr, xi, yr, yi, m, s, twRe, twIm)
      else this.radixGeneric(xr, xi, yr, yi, st)
      const tr = xr
      const ti = xi
      xr = yr
      xi = yi
      yr = tr
      yi = ti
    }
    return [xr, xi]
  }

  /**
   * Odd-prime butterfly that pairs r with p − r: the cosine and sine sums are shared between
   * outputs k and p − k, a quarter of the multiplies of a direct size-p DFT.
   */
  private radixGeneric(xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array, st: Stage): void {
    const { p, m, s, twRe, twIm, rootRe: cosT, rootIm: negSinT } = st
    const h = (p - 1) >> 1
    const sr = this.scratchRe
    const si = this.scratchIm
    const dr = this.diffRe
    const di = this.diffIm
    for (let pp = 0; pp < m; pp++) {
      for (let q = 0; q < s; q++) {
        const base = q + s * pp
        const a0r = xr[base]
        const a0i = xi[base]
        let b0r = a0r
        let b0i = a0i
        for (let r = 1; r <= h; r++) {
          const i1 = base + s * r * m
          const i2 = base + s * (p - r) * m
          sr[r] = xr[i1] + xr[i2]
          si[r] = xi[i1] + xi[i2]
          dr[r] = xr[i1] - xr[i2]
          di[r] = xi[i1] - xi[i2]
          b0r += sr[r]
          b0i += si[r]
        }
        const o = q + s * p * pp
        const t0 = pp * p
        yr[o] = b0r
        yi[o] = b0i
        for (let k = 1; k <= h; k++) {
          let ar = a0r
          let ai = a0i
          let br = 0
          let bi = 0
          let e = 0
          for (let r = 1; r <= h; r++) {
            e += k
            if (e >= p) e -= p
            const c = cosT[e]
            const sn = -negSinT[e]
            ar += sr[r] * c
            ai += si[r] * c
            br += dr[r] * sn
            bi += di[r] * sn
          }
          // b_k = A − i·B, b_{p−k} = A + i·B
          const ykr = ar + bi, yki = ai - br
          const ymr = ar - bi, ymi = ai + br
          const tk = t0 + k
          const tm = t0 + p - k
          const ok = o + s * k
          const om = o + s * (p - k)
          yr[ok] = ykr * twRe[tk] - yki * twIm[tk]
          yi[ok] = ykr * twIm[tk] + yki * twRe[tk]
          yr[om] = ymr * twRe[tm] - ymi * twIm[tm]
          yi[om] = ymr * twIm[tm] + ymi * twRe[tm]
        }
      }
    }
  }
}

function radix2(
  xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,
  m: number, s: number, twRe: Float64Array, twIm: Float64Array
): void {
  for (let pp = 0; pp < m; pp++) {
    const w1r = twRe[pp * 2 + 1]
    const w1i = twIm[pp * 2 + 1]
    const i0 = s * pp
    const i1 = s * (pp + m)
    const o0 = s * (2 * pp)
    const o1 = o0 + s
    for (let q = 0; q < s; q++) {
      const ar = xr[i0 + q], ai = xi[i0 + q]
      const br = xr[i1 + q], bi = xi[i1 + q]
      yr[o0 + q] = ar + br
      yi[o0 + q] = ai + bi
      const dr = ar - br
      const di = ai - bi
      yr[o1 + q] = dr * w1r - di * w1i
      yi[o1 + q] = dr * w1i + di * w1r
    }
  }
}

function radix3(
  xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,
  m: number, s: number, twRe: Float64Array, twIm: Float64Array
): void {
  const h = Math.sqrt(3) / 2
  for (let pp = 0; pp < m; pp++) {
    const w1r = twRe[pp * 3 + 1], w1i = twIm[pp * 3 + 1]
    const w2r = twRe[pp * 3 + 2], w2i = twIm[pp * 3 + 2]
    const i0 = s * pp, i1 = s * (pp + m), i2 = s * (pp + 2 * m)
    const o0 = s * (3 * pp), o1 = o0 + s, o2 = o1 + s
    for (let q = 0; q < s; q++) {
      const a0r = xr[i0 + q], a0i = xi[i0 + q]
      const a1r = xr[i1 + q], a1i = xi[i1 + q]
      const a2r = xr[i2 + q], a2i = xi[i2 + q]
      const t1r = a1r + a2r, t1i = a1i + a2i
      const t2r = a0r - 0.5 * t1r, t2i = a0i - 0.5 * t1i
      // −i·h·(a1 − a2)
      const t3r = h * (a1i - a2i), t3i = -h * (a1r - a2r)
      yr[o0 + q] = a0r + t1r
      yi[o0 + q] = a0i + t1i
      const b1r = t2r + t3r, b1i = t2i + t3i
      const b2r = t2r - t3r, b2i = t2i - t3i
      yr[o1 + q] = b1r * w1r - b1i * w1i
      yi[o1 + q] = b1r * w1i + b1i * w1r
      yr[o2 + q] = b2r * w2r - b2i * w2i
      yi[o2 + q] = b2r * w2i + b2i * w2r
    }
  }
}

function radix5(
  xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,
  m: number, s: number, twRe: Float64Array, twIm: Float64Array
): void {
  // Winograd-style radix 5 from the real/imaginary parts of the 5th roots of unity.
  const c1 = Math.cos((2 * Math.PI) / 5), c2 = Math.cos((4 * Math.PI) / 5)
  const s1 = Math.sin((2 * Math.PI) / 5), s2 = Math.sin((4 * Math.PI) / 5)
  for (let pp = 0; pp < m; pp++) {
    const t = pp * 5
    const w1r = twRe[t + 1], w1i = twIm[t + 1]
    const w2r = twRe[t + 2], w2i = twIm[t + 2]
    const w3r = twRe[t + 3], w3i = twIm[t + 3]
    const w4r = twRe[t + 4], w4i = twIm[t + 4]
    const i0 = s * pp, i1 = s * (pp + m), i2 = s * (pp + 2 * m), i3 = s * (pp + 3 * m), i4 = s * (pp + 4 * m)
    const o0 = s * (5 * pp), o1 = o0 + s, o2 = o1 + s, o3 = o2 + s, o4 = o3 + s
    for (let q = 0; q < s; q++) {
      const a0r = xr[i0 + q], a0i = xi[i0 + q]
      const a1r = xr[i1 + q], a1i = xi[i1 + q]
      const a2r = xr[i2 + q], a2i = xi[i2 + q]
      const a3r = xr[i3 + q], a3i = xi[i3 + q]
      const a4r = xr[i4 + q], a4i = xi[i4 + q]
      const p1r = a1r + a4r, p1i = a1i + a4i, m1r = a1r - a4r, m1i = a1i - a4i
      const p2r = a2r + a3r, p2i = a2i + a3i, m2r = a2r - a3r, m2i = a2i - a3i
      const ar1 = a0r + c1 * p1r + c2 * p2r, ai1 = a0i + c1 * p1i + c2 * p2i
      const ar2 = a0r + c2 * p1r + c1 * p2r, ai2 = a0i + c2 * p1i + c1 * p2i
      // forward sign: b_k = a_k-part − i·(sin terms)
      const br1 = s1 * m1i + s2 * m2i, bi1 = -(s1 * m1r + s2 * m2r)
      const br2 = s2 * m1i - s1 * m2i, bi2 = -(s2 * m1r - s1 * m2r)
      yr[o0 + q] = a0r + p1r + p2r
      yi[o0 + q] = a0i + p1i + p2i
      const y1r = ar1 + br1, y1i = ai1 + bi1
      const y4r = ar1 - br1, y4i = ai1 - bi1
      const y2r = ar2 + br2, y2i = ai2 + bi2
      const y3r = ar2 - br2, y3i = ai2 - bi2
      yr[o1 + q] = y1r * w1r - y1i * w1i
      yi[o1 + q] = y1r * w1i + y1i * w1r
      yr[o2 + q] = y2r * w2r - y2i * w2i
      yi[o2 + q] = y2r * w2i + y2i * w2r
      yr[o3 + q] = y3r * w3r - y3i * w3i
      yi[o3 + q] = y3r * w3i + y3i * w3r
      yr[o4 + q] = y4r * w4r - y4i * w4i
      yi[o4 + q] = y4r * w4i + y4i * w4r
    }
  }
}

function radix4(
  xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,
  m: number, s: number, twRe: Float64Array, twIm: Float64Array
): void {
  for (let pp = 0; pp < m; pp++) {
    const t = pp * 4
    const w1r = twRe[t + 1], w1i = twIm[t + 1]
    const w2r = twRe[t + 2], w2i = twIm[t + 2]
    const w3r = twRe[t + 3], w3i = twIm[t + 3]
    const i0 = s * pp, i1 = s * (pp + m), i2 = s * (pp + 2 * m), i3 = s * (pp + 3 * m)
    const o0 = s * (4 * pp), o1 = o0 + s, o2 = o1 + s, o3 = o2 + s
    for (let q = 0; q < s; q++) {
      const a0r = xr[i0 + q], a0i = xi[i0 + q]
      const a1r = xr[i1 + q], a1i = xi[i1 + q]
      const a2r = xr[i2 + q], a2i = xi[i2 + q]
      const a3r = xr[i3 + q], a3i = xi[i3 + q]
      const t0r = a0r + a2r, t0i = a0i + a2i
      const t1r = a0r - a2r, t1i = a0i - a2i
      const t2r = a1r + a3r, t2i = a1i + a3i
      // −i·(a1 − a3)
      const t3r = a1i - a3i, t3i = a3r - a1r
      yr[o0 + q] = t0r + t2r
      yi[o0 + q] = t0i + t2i
      const b1r = t1r + t3r, b1i = t1i + t3i
      const b2r = t0r - t2r, b2i = t0i - t2i
      const b3r = t1r - t3r, b3i = t1i - t3i
      yr[o1 + q] = b1r * w1r - b1i * w1i
      yi[o1 + q] = b1r * w1i + b1i * w1r
      yr[o2 + q] = b2r * w2r - b2i * w2i
      yi[o2 + q] = b2r * w2i + b2i * w2r
      yr[o3 + q] = b3r * w3r - b3i * w3i
      yi[o3 + q] = b3r * w3i + b3i * w3r
    }
  }
}

/** Chirp-z (Bluestein): a length-n DFT as a circular convolution of power-of-two length. */
class Bluestein {
  private readonly n: number
  private readonly m: number
  private readonly plan: FFTPlan
  private readonly chirpRe: Float64Array
  private readonly chirpIm: Float64Array
  private readonly kernRe: Float64Array // FFT of the conjugate chirp, pre-scaled by 1/m
  private readonly kernIm: Float64Array
  private readonly aRe: Float64Array
  private readonly aIm: Float64Array
  private readonly outRe: Float64Array
  private readonly outIm: Float64Array

  constructor(n: number) {
    this.n = n
    let m = 1
    while (m < 2 * n - 1) m *= 2
    this.m = m
    this.plan = getPlan(m)
    this.chirpRe = new Float64Array(n)
    this.chirpIm = new Float64Array(n)
    for (let k = 0; k < n; k++) {
      // k² mod 2n keeps the angle argument small and exact for large n.
      const k2 = (k * k) % (2 * n)
      const a = (-Math.PI * k2) / n
      this.chirpRe[k] = Math.cos(a)
      this.chirpIm[k] = Math.sin(a)
    }
    this.kernRe = new Float64Array(m)
    this.kernIm = new Float64Array(m)
    this.kernRe[0] = this.chirpRe[0]
    this.kernIm[0] = -this.chirpIm[0]
    for (let k = 1; k < n; k++) {
      this.kernRe[k] = this.kernRe[m - k] = this.chirpRe[k]
      this.kernIm[k] = this.kernIm[m - k] = -this.chirpIm[k]
    }
    this.plan.transform(this.kernRe, this.kernIm, 0, 1, false, 0, 0, 1 / m)
    this.aRe = new Float64Array(m)
    this.aIm = new Float64Array(m)
    this.outRe = new Float64Array(n)
    this.outIm = new Float64Array(n)
  }

  run(xr: Float64Array, xi: Float64Array): [Float64Array, Float64Array] {
    const { n, m, chirpRe: cr, chirpIm: ci, aRe, aIm } = this
    for (let k = 0; k < n; k++) {
      aRe[k] = xr[k] * cr[k] - xi[k] * ci[k]
      aIm[k] = xr[k] * ci[k] + xi[k] * cr[k]
    }
    aRe.fill(0, n)
    aIm.fill(0, n)
    this.plan.transform(aRe, aIm, 0, 1, false)
    const kr = this.kernRe
    const ki = this.kernIm
    for (let k = 0; k < m; k++) {
      const r = aRe[k] * kr[k] - aIm[k] * ki[k]
      aIm[k] = aRe[k] * ki[k] + aIm[k] * kr[k]
      aRe[k] = r
    }
    this.plan.transform(aRe, aIm, 0, 1, true)
    const or = this.outRe
    const oi = this.outIm
    for (let k = 0; k < n; k++) {
      or[k] = aRe[k] * cr[k] - aIm[k] * ci[k]
      oi[k] = aRe[k] * ci[k] + aIm[k] * cr[k]
    }
    return [or, oi]
  }
}

/** Prime factors, radix-4 first (fewer passes), then 2, 3, 5, … */
export function factorize(n: number): number[] {
  const out: number[] = []
  let r = n
  while (r % 4 === 0) {
    out.push(4)
    r /= 4
  }
  for (let p = 2; p * p <= r; p++) {
    while (r % p === 0) {
      out.push(p)
      r /= p
    }
  }
  if (r > 1) out.push(r)
  return out
}

const planCache = new Map<number, FFTPlan>()

/** Cached plan per length (plans hold scratch buffers, so one per thread; workers get their own module). */
export function getPlan(n: number): FFTPlan {
  let p = planCache.get(n)
  if (!p) {
    p = new FFTPlan(n)
    planCache.set(n, p)
  }
  return p
}

/** Unnormalised forward DFT of a 1-D complex array, in place. */
export function fft1(x: CArray): void {
  getPlan(x.re.length).transform(x.re, x.im, 0, 1, false)
}

/** Inverse DFT with 1/n, in place. */
export function ifft1(x: CArray): void {
  const n = x.re.length
  getPlan(n).transform(x.re, x.im, 0, 1, true, 0, 0, 1 / n)
}

/**
 * 2-D transform over the last two axes of `shape` (any leading axes are a batch), in place.
 * centred: fold ifftshift before and fftshift after into the gather/scatter of each pass.
 */
function fft2Core(x: CArray, shape: Shape, inverse: boolean, centred: boolean, scale: number): void {
  if (shape.length < 2) throw new Error(`2-D FFT needs at least two axes, got shape [${shape.join(', ')}]`)
  const H = shape[shape.length - 2]
  const W = shape[shape.length - 1]
  const plane = H * W
  const batch = x.re.length / plane
  if (!Number.isInteger(batch) || batch < 1) {
    throw new Error(`array of length ${x.re.length} does not match shape [${shape.join(', ')}]`)
  }
  const rowPlan = getPlan(W)
  const colPlan = getPlan(H)
  // ifftshift reads index (j + ⌊n/2⌋) mod n; fftshift writes index k to (k + ⌊n/2⌋) mod n.
  const gW = centred ? Math.floor(W / 2) : 0
  const gH = centred ? Math.floor(H / 2) : 0
  const rowScale = Math.sqrt(scale)
  const colScale = scale / rowScale
  for (let b = 0; b < batch; b++) {
    const base = b * plane
    for (let y = 0; y < H; y++) rowPlan.transform(x.re, x.im, base + y * W, 1, inverse, gW, gW, rowScale)
    for (let c = 0; c < W; c++) colPlan.transform(x.re, x.im, base + c, W, inverse, gH, gH, colScale)
  }
}

/** Unnormalised, uncentred 2-D DFT over the last two axes, in place. */
export function fft2(x: CArray, shape: Shape): void {
  fft2Core(x, shape, false, false, 1)
}

/** Inverse of fft2 (with 1/(H·W)), in place. */
export function ifft2(x: CArray, shape: Shape): void {
  const H = shape[shape.length - 2]
  const W = shape[shape.length - 1]
  fft2Core(x, shape, true, false, 1 / (H * W))
}

/** Centred orthonormal 2-D FFT (image → k-space), in place. */
export function fft2c(x: CArray, shape: Shape): void {
  const H = shape[shape.length - 2]
  const W = shape[shape.length - 1]
  fft2Core(x, shape, false, true, 1 / Math.sqrt(H * W))
}

/** Centred orthonormal inverse 2-D FFT (k-space → image), in place; the adjoint of fft2c. */
export function ifft2c(x: CArray, shape: Shape): void {
  const H = shape[shape.length - 2]
  const W = shape[shape.length - 1]
  fft2Core(x, shape, true, true, 1 / Math.sqrt(H * W))
}
