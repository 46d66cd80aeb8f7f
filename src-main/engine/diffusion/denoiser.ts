/**
 * The one thing the diffusion samplers need from a prior: a denoiser D(x, σ) ≈ E[x₀ | x₀ + σn]
 * (Tweedie: the score is (D − x)/σ²), optionally with the exact vector–Jacobian product J_Dᵀr
 * that DPS needs. Any prior fits behind it: the analytic Gaussian prior of the tests
 * (gaussian-prior.ts) or a trained network (src-main/models/onnx-denoiser.ts).
 *
 * Units and data. The prior sees a single REAL image, row-major H×W, float64, in [0, 1] units
 * (an MRI magnitude image divided by its maximum); σ is in the same units and always > 0 (the
 * samplers never evaluate D at σ = 0). How complex MRI data meets a real prior:
 * - The sampler's image x is real; the measurement operator A acts on it as a complex image
 *   with zero imaginary part, and gradients with respect to x are Re(Aᴴ·). k-space simulated
 *   from magnitude images is therefore modelled exactly.
 * - Real scanner data carries a (smooth) image phase φ. Estimate the low-resolution phase from
 *   the calibration region or the zero-filled image (`estimatePhase` in phase.ts) and fold it
 *   into the operator, A' = A∘diag(e^{iφ}) (`withPhase`), so that the prior still sees a real
 *   magnitude: y ≈ A(|x|·e^{iφ}) = A'(|x|).
 *
 * Both methods may return a value or a promise (an ONNX session is asynchronous); the samplers
 * await either.
 */

export interface DenoiseVjpResult {
  denoised: Float64Array
  /** J_D(x)ᵀ r. */
  vjp: Float64Array
}

export interface Denoiser {
  /** Stable identifier, reported in the sampler's parameters. */
  readonly id: string
  /** D(x, σ) ≈ E[x₀ | x₀ + σn = x] for one real H×W image; σ > 0. */
  denoise(x: Float64Array, sigma: number, H: number, W: number): Promise<Float64Array> | Float64Array
  /** D(x, σ) and J_D(x, σ)ᵀ r in one evaluation (exact DPS gradient); optional. */
  denoiseVjp?(
    x: Float64Array,
    sigma: number,
    r: Float64Array,
    H: number,
    W: number
  ): Promise<DenoiseVjpResult> | DenoiseVjpResult
  /**
   * D(x, σ) now, and a pullback r ↦ J_D(x, σ)ᵀ r from the same evaluation (JAX's `vjp`): for
   * DPS, which needs D before it can form r. Optional; saves the second forward pass that
   * `denoiseVjp` makes.
   */
  denoiseWithPullback?(
    x: Float64Array,
    sigma: number,
    H: number,
    W: number
  ): Promise<{ denoised: Float64Array; pullback: (r: Float64Array) => Promise<Float64Array> }>
}

/** Calls the denoiser and checks what came back (a wrong length or NaN must not poison a run). */
export async function callDenoise(d: Denoiser, x: Float64Array, sigma: number, H: number, W: number): Promise<Float64Array> {
  const out = await d.denoise(x, sigma, H, W)
  checkOutput(d, out, H * W, 'denoise', sigma)
  return out
}

/**
 * D(x, σ) and a function r ↦ J_Dᵀ r at the same x, by the cheapest route the denoiser offers:
 * its pullback, else `callVjp` (fused graph or finite difference). The caller must not change
 * x before the last pullback call.
 */
export async function callDenoiseForVjp(
  d: Denoiser, x: Float64Array, sigma: number, H: number, W: number
): Promise<{ denoised: Float64Array; pullback: (r: Float64Array) => Promise<{ vjp: Float64Array; exact: boolean }> }> {
  if (d.denoiseWithPullback) {
    const { denoised, pullback } = await d.denoiseWithPullback(x, sigma, H, W)
    checkOutput(d, denoised, H * W, 'denoiseWithPullback', sigma)
    return {
      denoised,
      pullback: async (r) => {
        const vjp = await pullback(r)
        checkOutput(d, vjp, H * W, 'pullback', sigma)
        return { vjp, exact: true }
      }
    }
  }
  const denoised = await callDenoise(d, x, sigma, H, W)
  return { denoised, pullback: (r) => callVjp(d, x, denoised, sigma, r, H, W) }
}

/**
 * J_Dᵀ r through `denoiseVjp` when the denoiser has one; otherwise a one-sided finite
 * difference of D along r, which is J r: equal to Jᵀ r only for a symmetric Jacobian (true for
 * exact MMSE denoisers, whose Jacobian is a posterior covariance / σ²). Measured on a trained
 * U-Net (shared/notes/dps-gradient-in-onnx.md) that assumption is off by 4 % at σ = 0.02,
 * 13–27 % at σ = 0.1–2 and 36–39 % at σ ≥ 10 (cosine 0.92–0.999), hence the warning the
 * samplers attach to their result.
 */
export async function callVjp(
  d: Denoiser,
  x: Float64Array,
  denoised: Float64Array,
  sigma: number,
  r: Float64Array,
  H: number,
  W: number
): Promise<{ vjp: Float64Array; exact: boolean }> {
  const n = H * W
  if (d.denoiseVjp) {
    const out = await d.denoiseVjp(x, sigma, r, H, W)
    checkOutput(d, out.vjp, n, 'denoiseVjp', sigma)
    return { vjp: out.vjp, exact: true }
  }
  let rn = 0
  for (let i = 0; i < n; i++) rn += r[i] * r[i]
  rn = Math.sqrt(rn)
  if (rn === 0) return { vjp: new Float64Array(n), exact: false }
  // A step of 1e-3·σ per pixel (rms): small against the scale σ on which D varies, large
  // against float32 rounding in a network (relative error ~1e-4).
  const h = 1e-3 * sigma * Math.sqrt(n)
  const xp = new Float64Array(n)
  for (let i = 0; i < n; i++) xp[i] = x[i] + (h * r[i]) / rn
  const dp = await callDenoise(d, xp, sigma, H, W)
  const vjp = new Float64Array(n)
  const s = rn / h
  for (let i = 0; i < n; i++) vjp[i] = (dp[i] - denoised[i]) * s
  return { vjp, exact: false }
}

export const FINITE_DIFFERENCE_WARNING =
  'the denoiser has no denoiseVjp: DPS uses a finite-difference J·r in place of Jᵀr (symmetric-Jacobian ' +
  'assumption); measured on a trained U-Net this is off by 4 % at σ = 0.02, 13–27 % at σ = 0.1–2 and ' +
  '36–39 % at σ ≥ 10 (shared/notes/dps-gradient-in-onnx.md)'

function checkOutput(d: Denoiser, out: Float64Array, n: number, what: string, sigma: number): void {
  if (!out || out.length !== n) throw new Error(`denoiser ${d.id}: ${what} returned ${out?.length ?? 'nothing'} values, expected ${n}`)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) throw new Error(`denoiser ${d.id}: ${what} returned NaN or Infinity at σ = ${sigma}`)
  }
}
