/**
 * Small Gaussian inverse problems for the diffusion-sampler tests, with their exact posteriors
 * (dense float64, gaussian-posterior.ts). In both, the operator measures coordinates of the
 * prior's eigenbasis, the setting in which measurement-consistency sampling is exact:
 * - inpainting: independent pixels with their own variances, a random pixel mask;
 * - Fourier: a stationary field (diagonal in the centred DFT), a k-space mask closed under
 *   k → −k, so each measured frequency pins the real cos/sin coordinates of the real image.
 * Measurement noise: N(0, s²) on every real and imaginary component of y.
 */
import type { CArray } from '../../src-main/engine/complex.ts'
import { GaussianPrior, negIndex, smoothSpectrum } from '../../src-main/engine/diffusion/gaussian-prior.ts'
import { pixelMask, undersampledFourier, type LinearOperator } from '../../src-main/engine/linops/index.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { diag, diagonalMatrix, gaussianPosterior, operatorMatrix, stackReal, stationaryCovariance, type Mat } from './gaussian-posterior.ts'

export interface GaussianProblem {
  H: number
  W: number
  prior: GaussianPrior
  A: LinearOperator
  y: CArray
  x0: Float64Array
  s: number
  Sigma: Mat
  /** Exact posterior mean and per-pixel variance. */
  postMean: Float64Array
  postVar: Float64Array
  priorVar: Float64Array
  /** Pixel problems: which pixels are measured. */
  known?: Uint8Array
}

/**
 * y = A x + AAᴴn, n white with standard deviation s per component: for the masks used here AAᴴ
 * is the projection onto the measured entries, so the noise is N(0, s²) there and zero on the
 * entries A never measures (which stay exactly 0, as in a zero-filled k-space array).
 */
export function measure(A: LinearOperator, x: Float64Array, s: number, rng: Rng): CArray {
  const y = A.forward({ re: x, im: new Float64Array(x.length) })
  const m = y.re.length
  const n = { re: new Float64Array(m), im: new Float64Array(m) }
  for (let i = 0; i < m; i++) {
    n.re[i] = s * rng.normal()
    n.im[i] = s * rng.normal()
  }
  const pn = A.forward(A.adjoint(n))
  for (let i = 0; i < m; i++) {
    y.re[i] += pn.re[i]
    y.im[i] += pn.im[i]
  }
  return y
}

function finish(H: number, W: number, prior: GaussianPrior, A: LinearOperator, Sigma: Mat, s: number, rng: Rng, known?: Uint8Array): GaussianProblem {
  const n = H * W
  const x0 = prior.sample(rng)
  const y = measure(A, x0, s, rng)
  const post = gaussianPosterior(Sigma, prior.mean, operatorMatrix(A, n), stackReal(y), s)
  return { H, W, prior, A, y, x0, s, Sigma, postMean: post.mean, postVar: diag(post.cov), priorVar: diag(Sigma), known }
}

/** 8×8 independent pixels, standard deviations 0.1–0.25 around 0.5, half the pixels measured. */
export function inpaintingProblem(s: number, seed = 7, H = 8, W = 8): GaussianProblem {
  const n = H * W
  const rng = new Rng(seed)
  const v = Float64Array.from({ length: n }, () => 0.01 + 0.05 * rng.uniform())
  const prior = GaussianPrior.pixel(H, W, 0.5, v)
  const known = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0))
  return finish(H, W, prior, pixelMask([H, W], known), diagonalMatrix(v), s, rng, known)
}

/** 8×8 stationary field (pixel std 0.2, correlated over a few pixels), ~35 % of k-space. */
export function fourierProblem(s: number, seed = 7, H = 8, W = 8): GaussianProblem {
  const rng = new Rng(seed)
  const p = smoothSpectrum(H, W, 0.04, 0.15)
  const prior = GaussianPrior.stationary(H, W, 0.4, p)
  const mask = new Uint8Array(H * W)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      if (rng.uniform() < 0.2) {
        mask[r * W + c] = 1
        mask[negIndex(r, H) * W + negIndex(c, W)] = 1
      }
    }
  }
  mask[Math.floor(H / 2) * W + Math.floor(W / 2)] = 1
  return finish(H, W, prior, undersampledFourier([H, W], mask), stationaryCovariance(H, W, p).cov, s, rng)
}
