/**
 * An analytic Gaussian prior x ~ N(μ, Σ) with its exact MMSE denoiser, so that the samplers can
 * be checked against posteriors known in closed form (the textbook's Example 7.4):
 *   D(x, σ) = μ + Σ(Σ + σ²I)⁻¹(x − μ),   J_D = Σ(Σ + σ²I)⁻¹ (symmetric, so Jᵀr = J r).
 *
 * Σ is diagonal in a known orthonormal basis, which makes D exact and O(n) or O(n log n):
 * - `pixel`: Σ = diag(v), independent pixels with their own variances.
 * - `stationary`: Σ = Fᴴ diag(p) F with F the centred unitary 2-D DFT (fft2c) and p ≥ 0 the
 *   power spectrum on the centred frequency grid; a stationary (shift-invariant, periodic)
 *   Gaussian field. p must be symmetric, p(−k) = p(k), for Σ to be real; each pixel then has
 *   variance mean(p).
 * μ is a scalar or a full H×W mean image (only the covariance needs the basis).
 */
import { fft2c, ifft2c } from '../fft.ts'
import type { Rng } from '../rng.ts'
import type { Denoiser, DenoiseVjpResult } from './denoiser.ts'

export type GaussianBasis = 'pixel' | 'stationary'

export class GaussianPrior implements Denoiser {
  readonly id: string
  readonly basis: GaussianBasis
  readonly height: number
  readonly width: number
  /** Mean image μ. */
  readonly mean: Float64Array
  /** Eigenvalues of Σ in its basis: pixel variances, or the centred power spectrum. */
  readonly eigenvalues: Float64Array
  private readonly shape: [number, number]

  private constructor(basis: GaussianBasis, H: number, W: number, mean: number | ArrayLike<number>, eig: ArrayLike<number>) {
    if (!Number.isInteger(H) || !Number.isInteger(W) || H < 1 || W < 1) throw new Error(`Gaussian prior: size must be positive integers, got ${H}×${W}`)
    const n = H * W
    if (eig.length !== n) throw new Error(`Gaussian prior: ${basis === 'pixel' ? 'variances' : 'spectrum'} have ${eig.length} values, expected ${H}×${W} = ${n}`)
    this.basis = basis
    this.height = H
    this.width = W
    this.shape = [H, W]
    this.eigenvalues = Float64Array.from(eig)
    for (let i = 0; i < n; i++) {
      const v = this.eigenvalues[i]
      if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`Gaussian prior: ${basis === 'pixel' ? 'variances' : 'spectrum'} must be finite and ≥ 0 (entry ${i} is ${v})`)
    }
    if (typeof mean === 'number') {
      if (!Number.isFinite(mean)) throw new Error(`Gaussian prior: the mean must be finite, got ${mean}`)
      this.mean = new Float64Array(n).fill(mean)
    } else {
      if (mean.length !== n) throw new Error(`Gaussian prior: the mean image has ${mean.length} values, expected ${n}`)
      this.mean = Float64Array.from(mean)
      if (!this.mean.every(Number.isFinite)) throw new Error('Gaussian prior: the mean image contains NaN or Infinity')
    }
    this.id = `gaussian-${basis}-${H}x${W}`
  }

  /** Independent pixels: x_i ~ N(μ_i, v_i). */
  static pixel(H: number, W: number, mean: number | ArrayLike<number>, variance: number | ArrayLike<number>): GaussianPrior {
    const v = typeof variance === 'number' ? new Float64Array(H * W).fill(variance) : variance
    return new GaussianPrior('pixel', H, W, mean, v)
  }

  /** Stationary field with centred power spectrum p (H×W, DC at (⌊H/2⌋, ⌊W/2⌋), p(−k) = p(k)). */
  static stationary(H: number, W: number, mean: number | ArrayLike<number>, spectrum: ArrayLike<number>): GaussianPrior {
    const prior = new GaussianPrior('stationary', H, W, mean, spectrum)
    const p = prior.eigenvalues
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const a = p[r * W + c]
        const b = p[negIndex(r, H) * W + negIndex(c, W)]
        if (Math.abs(a - b) > 1e-12 * Math.max(a, b, 1e-300)) {
          throw new Error(`Gaussian prior: the power spectrum must be symmetric, p(−k) = p(k), for a real image (entry ${r},${c})`)
        }
      }
    }
    return prior
  }

  denoise(x: Float64Array, sigma: number, H: number, W: number): Float64Array {
    this.check(x, sigma, H, W)
    const s2 = sigma * sigma
    return this.shrink(x, (lam) => lam / (lam + s2), true)
  }

  denoiseVjp(x: Float64Array, sigma: number, r: Float64Array, H: number, W: number): DenoiseVjpResult {
    this.check(x, sigma, H, W)
    if (r.length !== x.length) throw new Error(`Gaussian prior: r has ${r.length} values, expected ${x.length}`)
    const s2 = sigma * sigma
    const gain = (lam: number): number => lam / (lam + s2)
    return { denoised: this.shrink(x, gain, true), vjp: this.shrink(r, gain, false) }
  }

  /** Per-pixel prior variance diag(Σ). */
  pixelVariance(): Float64Array {
    const n = this.height * this.width
    if (this.basis === 'pixel') return this.eigenvalues.slice()
    let s = 0
    for (let i = 0; i < n; i++) s += this.eigenvalues[i]
    return new Float64Array(n).fill(s / n)
  }

  /** Σ v. */
  applyCovariance(v: Float64Array): Float64Array {
    return this.shrink(v, (lam) => lam, false)
  }

  /** A draw x ~ N(μ, Σ): μ + Σ^{1/2} z with z white (Σ^{1/2} is real for a symmetric spectrum). */
  sample(rng: Rng): Float64Array {
    const n = this.height * this.width
    const z = new Float64Array(n)
    for (let i = 0; i < n; i++) z[i] = rng.normal()
    const x = this.shrink(z, Math.sqrt, false)
    for (let i = 0; i < n; i++) x[i] += this.mean[i]
    return x
  }

  /** f(Σ)v, or μ + f(Σ)(v − μ) when `affine`, for a spectral function f in the prior's basis. */
  private shrink(v: Float64Array, f: (lam: number) => number, affine: boolean): Float64Array {
    const n = this.height * this.width
    const mu = this.mean
    const lam = this.eigenvalues
    const out = new Float64Array(n)
    if (this.basis === 'pixel') {
      for (let i = 0; i < n; i++) out[i] = affine ? mu[i] + f(lam[i]) * (v[i] - mu[i]) : f(lam[i]) * v[i]
      return out
    }
    const re = new Float64Array(n)
    const im = new Float64Array(n)
    for (let i = 0; i < n; i++) re[i] = affine ? v[i] - mu[i] : v[i]
    const c = { re, im }
    fft2c(c, this.shape)
    for (let i = 0; i < n; i++) {
      const g = f(lam[i])
      re[i] *= g
      im[i] *= g
    }
    ifft2c(c, this.shape)
    // The imaginary part is rounding only (symmetric spectrum), so the real part is the answer.
    for (let i = 0; i < n; i++) out[i] = affine ? mu[i] + re[i] : re[i]
    return out
  }

  private check(x: Float64Array, sigma: number, H: number, W: number): void {
    if (H !== this.height || W !== this.width) throw new Error(`Gaussian prior is ${this.height}×${this.width}, asked to denoise ${H}×${W}`)
    if (x.length !== H * W) throw new Error(`Gaussian prior: x has ${x.length} values, expected ${H}×${W} = ${H * W}`)
    if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`Gaussian prior: sigma must be positive and finite, got ${sigma}`)
  }
}

/** Index of frequency −k on a centred axis of length n (DC at ⌊n/2⌋). */
export function negIndex(i: number, n: number): number {
  const c = Math.floor(n / 2)
  return (((2 * c - i) % n) + n) % n
}

/**
 * A smooth, symmetric power spectrum on the centred H×W grid,
 *   p(f) ∝ (1 + |f/f_c|²)^(−order),  f in cycles per pixel,
 * scaled so that every pixel has variance `pixelVariance` (mean(p) = pixelVariance). Larger
 * `cutoff` means shorter correlations; order ~1.5 resembles natural-image spectra.
 */
export function smoothSpectrum(H: number, W: number, pixelVariance: number, cutoff = 0.1, order = 1.5): Float64Array {
  if (!(pixelVariance >= 0) || !Number.isFinite(pixelVariance)) throw new Error(`smoothSpectrum: pixelVariance must be finite and ≥ 0, got ${pixelVariance}`)
  if (!(cutoff > 0) || !(order > 0)) throw new Error('smoothSpectrum: cutoff and order must be positive')
  const p = new Float64Array(H * W)
  const cy = Math.floor(H / 2)
  const cx = Math.floor(W / 2)
  let sum = 0
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      // A function of |f| only, so p(−k) = p(k) (the Nyquist row of an even size is its own −k).
      const fy = (r - cy) / H
      const fx = (c - cx) / W
      const v = Math.pow(1 + (fy * fy + fx * fx) / (cutoff * cutoff), -order)
      p[r * W + c] = v
      sum += v
    }
  }
  const scale = (pixelVariance * H * W) / sum
  for (let i = 0; i < H * W; i++) p[i] *= scale
  return p
}
