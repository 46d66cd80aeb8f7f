/**
 * Diffusion posterior sampling (DPS; Chung, Kim, Mccann, Klasky & Ye, ICLR 2023; the
 * textbook's Algorithm 7.1) for y = A x + n with any denoiser.
 *
 * The intractable likelihood p(y | x_t) is approximated by p(y | x̂₀) at the denoised estimate
 * x̂₀ = D(x_t, σ_t), so the guidance is the gradient of the data misfit through the denoiser:
 *   g = ∇_{x_t} ‖y − A D(x_t)‖² = −2 J_Dᵀ Re Aᴴ(y − A x̂₀),
 * exact through `denoiseVjp` (finite differences otherwise, with a warning). Each step is
 *   x̂₀ = D(x_t, σ_t);  x' = Step(x_t, x̂₀; σ_t → σ_{t+1});  x_{t+1} = x' − ζ_t·g,
 * with Step one of the first-order solvers of solvers.ts ('ancestral', the VE analogue of the
 * DDPM sampler DPS was published with, by default) and the step size
 * - 'normalized' (default; DPS's Algorithm 1 and official code): ζ_t = ζ / ‖y − A x̂₀‖. The
 *   official code's `scale` multiplies ∇‖y − A x̂₀‖ = g / (2‖y − A x̂₀‖), so scale = 2ζ. We cap
 *   it at ζ_t ≤ 1/(2‖A‖²), a full Landweber step, so that the chain can converge to the data.
 * - 'likelihood' (the textbook's Algorithm 7.1, DPS Eq. with ρ = 1/s²): the approximate
 *   conditional denoiser D̃ = D + σ_t²·J_Dᵀ Re Aᴴ(y − A x̂₀)/s² is used in place of D, which is
 *   ζ_t = ζ·(σ_t² − σ_{t+1}²)/(2s²) for ancestral/sde and ζ·σ_t(σ_t − σ_{t+1})/(2s²) for euler;
 *   ζ = 1 is the textbook weighting. Needs the measurement noise s. It is stiff when s is small
 *   (explicit steps diverge unless (σ_t² − σ_{t+1}²)‖J‖‖A‖²/s² stays below about 2) and it shows
 *   DPS's known variance collapse along the rows of A (the textbook's Figure 7.11).
 * Per step: one forward and one backward pass when the denoiser has a pullback
 * (`denoiseWithPullback`), else one denoiser call plus one denoiseVjp call (or a second
 * denoiser call for the finite difference).
 */
import type { CArray } from '../complex.ts'
import { lipschitzConstant } from '../linops/norm.ts'
import type { LinearOperator } from '../linops/operator.ts'
import type { RunControl } from '../progress.ts'
import { Rng } from '../rng.ts'
import {
  boundDenoiser, checkDiverged, checkNonNegative, commonParams, finishRun, dataResidual, initialNoise, measurementNorm, PixelStats, prepareProblem,
  pixelsOutside, resolveCommon, resolveSupport, holdOutsideSupport, sampleSeed, StepReporter, type SamplerOptions, type SamplerResult
} from './core.ts'
import { callDenoiseForVjp, FINITE_DIFFERENCE_WARNING, type Denoiser } from './denoiser.ts'
import { churn, solverStep, type Solver } from './solvers.ts'

export type DPSStepSize = 'normalized' | 'likelihood'

export interface DPSOptions extends SamplerOptions {
  /** Guidance strength ζ (≥ 0; 0 gives unconditional samples). Default: `defaultZeta(H, W)` for
   * the normalised step, 1 for the likelihood step. */
  zeta?: number
  stepSize?: DPSStepSize
  /** Measurement noise standard deviation s per real/imaginary component (for 'likelihood'). */
  measurementNoise?: number
}

export const DPS_DEFAULTS = {
  steps: 100,
  solver: 'ancestral' as Solver,
  stepSize: 'normalized' as DPSStepSize
}

/**
 * Default ζ for an H×W image: 18·√(HW)/256. The normalised step moves the image by about 2ζ in
 * ℓ2 whatever its size, i.e. 2ζ/√(HW) per pixel (rms), so ζ must grow with the image to act
 * alike. Chosen on training-split brain slices (224², mri-brain-unet, 100 steps, 3 slices; never
 * the test slices; `bench/diffusion-eval.ts --tune`) with the Landweber cap in place: DPS PSNR at
 * ζ = 4 / 8 / 16 / 32 was 37.71 / 37.76 / 37.77 / – dB (Poisson 4×), 27.85 / 28.64 / 28.72 / –
 * (Cartesian random 4×), – / 30.62 / 30.67 / 30.67 (Poisson 8×) and – / 22.19 / 22.29 / 22.29
 * (random 8×): from about 16 at 224² the cap binds in the late steps and larger ζ changes
 * nothing. (Before the cap, larger ζ overshot and ζ ≈ 4 was best, 4–5 dB lower.)
 */
export function defaultZeta(H: number, W: number): number {
  return (18 * Math.sqrt(H * W)) / 256
}

const DPS_SOLVERS: readonly Solver[] = ['ancestral', 'euler', 'sde']

export async function dps(
  A: LinearOperator,
  y: CArray,
  denoiser: Denoiser,
  options: DPSOptions = {},
  control?: RunControl
): Promise<SamplerResult> {
  const t0 = performance.now()
  const c = resolveCommon('DPS', options, DPS_DEFAULTS, DPS_SOLVERS)
  const stepSize = options.stepSize ?? DPS_DEFAULTS.stepSize
  const s = options.measurementNoise ?? 0
  if (options.zeta !== undefined) checkNonNegative('DPS', 'zeta', options.zeta)
  checkNonNegative('DPS', 'measurementNoise', s)
  if (stepSize !== 'normalized' && stepSize !== 'likelihood') throw new Error(`DPS: stepSize must be 'normalized' or 'likelihood', got ${String(stepSize)}`)
  if (stepSize === 'likelihood' && !(s > 0)) throw new Error('DPS: the likelihood step size needs measurementNoise > 0 (it weights the data by 1/s²)')
  const op = prepareProblem('DPS', A, y)
  const { height: H, width: W, n } = op
  const support = resolveSupport('DPS', options.support, n)
  // The likelihood step's ζ is a plain weight on the textbook's 1/s² (1 = Algorithm 7.1).
  const zeta = options.zeta ?? (stepSize === 'likelihood' ? 1 : defaultZeta(H, W))
  const den = boundDenoiser(denoiser, H, W)
  const maxCoef = 1 / (2 * lipschitzConstant(A))
  const yNorm = measurementNorm(y)
  const sig = c.sigmas
  const N = c.steps
  const reporter = new StepReporter(c.samples, N, control)
  const stats = new PixelStats(n)
  const samples: Float64Array[] = []
  const dcResidual: number[] = []
  const warnings: string[] = []
  let exact = true
  const v = new Float64Array(n)

  for (let k = 0; k < c.samples; k++) {
    const rng = new Rng(sampleSeed(c.seed, k))
    const x = initialNoise(n, sig[0], rng)
    holdOutsideSupport(x, support, sig[0], rng)
    for (let i = 0; i < N; i++) {
      reporter.check()
      const next = sig[i + 1]
      const sigma = churn(x, sig[i], c.churn, N, rng)
      const { denoised: D, pullback } = await callDenoiseForVjp(denoiser, x, sigma, H, W)
      // r = y − A x̂₀ and v = Re Aᴴ r: half the guidance, before the Jacobian.
      const ax = op.forward(D)
      let rr = 0
      for (let j = 0; j < op.m; j++) {
        ax.re[j] = y.re[j] - ax.re[j]
        ax.im[j] = y.im[j] - ax.im[j]
        rr += ax.re[j] * ax.re[j] + ax.im[j] * ax.im[j]
      }
      const rNorm = Math.sqrt(rr)
      op.adjointRe(ax, v)
      let coef = 0
      if (stepSize === 'normalized') {
        // Capped at a Landweber step: near σ = 0 the Jacobian is the identity and the update is a
        // gradient step of length 2·coef on ½‖y − A x‖², stable only below 2/‖A‖². Uncapped,
        // ζ/‖r‖ grows as the residual shrinks and the chain bounces with ‖r‖ ≈ ζ for ever
        // (measured: ‖y − A x‖/‖y‖ stuck at 5 % on noiseless brain k-space).
        if (rNorm > 0) coef = Math.min(zeta / rNorm, maxCoef)
      } else {
        const span = c.solver === 'euler' ? sigma * (sigma - next) : sigma * sigma - next * next
        coef = (zeta * span) / (2 * s * s)
      }
      let jtv: Float64Array | null = null
      if (coef > 0) {
        const g = await pullback(v)
        if (!g.exact) exact = false
        jtv = g.vjp
        reporter.check()
      }
      await solverStep(c.solver, x, D, sigma, next, rng, den)
      // x ← x' − ζ_t·g with g = −2 J_Dᵀ v.
      if (jtv) for (let j = 0; j < n; j++) x[j] += 2 * coef * jtv[j]
      holdOutsideSupport(x, support, next, rng)
      checkDiverged('DPS', x, sigma, sig[0], stepSize === 'likelihood'
        ? '; the likelihood step is stiff for small measurement noise: use more steps, a smaller ζ or the normalized step'
        : '; reduce ζ')
      await reporter.stepDone(`DPS sample ${k + 1}/${c.samples}, σ = ${sigma.toPrecision(3)}, ‖y − A x̂₀‖ = ${rNorm.toPrecision(3)}`, D)
    }
    stats.add(x)
    dcResidual.push(dataResidual(op, x, y, yNorm))
    if (c.keepSamples) samples.push(x)
  }
  if (!exact) warnings.push(FINITE_DIFFERENCE_WARNING)
  return finishRun('dps', H, W, stats, samples, dcResidual, t0, {
    ...commonParams(c, denoiser),
    pixelsOutsideSupport: pixelsOutside(support),
    zeta,
    stepSize,
    measurementNoise: s,
    gradient: denoiser.denoiseWithPullback || denoiser.denoiseVjp ? 'vjp' : 'finite-difference',
    // Same numbers either way; the split pair skips one forward pass per step.
    vjpRoute: denoiser.denoiseWithPullback ? 'saving+pullback' : denoiser.denoiseVjp ? 'fused' : 'none'
  }, warnings)
}
