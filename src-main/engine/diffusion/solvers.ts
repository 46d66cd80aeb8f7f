/**
 * Unconditional steps σ → σ' of the variance-exploding diffusion x_σ = x₀ + σn, written with the
 * denoiser D = D(x, σ) (score = (D − x)/σ²). All are exact for the trivial prior (a point mass)
 * and differ in how they treat D's dependence on x:
 * - 'euler'     probability-flow ODE, Euler (Karras et al. 2022, Alg. 1 without the Heun
 *               correction; = DDIM with η = 0): x' = D + (σ'/σ)(x − D). Deterministic.
 * - 'heun'      the same ODE with Heun's second-order correction (Karras Alg. 1). Deterministic.
 * - 'ancestral' the DDPM posterior step for D frozen over the step (= k-diffusion's
 *               euler_ancestral): x' = D + (σ'/σ)²(x − D) + σ'·√(1 − σ'²/σ²)·z.
 * - 'sde'       Euler–Maruyama on the reverse SDE (Song et al. 2021's reverse-diffusion
 *               predictor, used by Song et al. 2022): x' = x − (1 − σ'²/σ²)(x − D) + √(σ² − σ'²)·z.
 * - 'sde-heun'  stochastic Heun on the reverse SDE in τ = σ² (additive noise, so weak order 2):
 *               x̃ = EM step with noise w; x' = x + (τ' − τ)/2·[(x − D)/τ + (x̃ − D(x̃, σ'))/τ'] + w.
 * 'ancestral' and 'sde' have the same mean and bracket the exact transition of a Gaussian prior
 * (too little / too much injected noise, first order in the step); 'sde-heun' is second order.
 * Only the reverse SDE (ancestral, sde, sde-heun) carries the right conditional spread from a
 * fixed start, which the measurement-consistency sampler needs below the data-noise level.
 * The last step (σ' = 0) returns D for every solver (Tweedie's estimate, no noise added).
 *
 * 'sde-heun' is an explicit two-stage method and only stable for small steps: its second stage
 * multiplies the step's noise w by (3τ' − τ)/(2τ'), which is ≈ 1 for τ' ≈ τ but −9.5 for the
 * τ/τ' ≈ 20 of a 5-step schedule (measured: a 5-step MC reconstruction of a brain slice at
 * −17 dB, the noise never removed). Steps with τ/τ' above SDE_HEUN_MAX_RATIO = 3 (where that
 * coefficient would turn negative) therefore take the 'ancestral' step, which is exact for a
 * frozen D at any size. The default 50- and 100-step schedules stay below 3 everywhere (their
 * largest ratio is 2.66 and 1.63, at the small-σ end), so only short runs are affected.
 */
import type { Rng } from '../rng.ts'

export type Solver = 'euler' | 'heun' | 'ancestral' | 'sde' | 'sde-heun'

export const SOLVERS: readonly Solver[] = ['euler', 'heun', 'ancestral', 'sde', 'sde-heun']

/** τ/τ' above which an 'sde-heun' step is replaced by an 'ancestral' one (see above). */
export const SDE_HEUN_MAX_RATIO = 3

/** Solvers that evaluate the denoiser twice per step (except the last). */
export function isSecondOrder(s: Solver): boolean {
  return s === 'heun' || s === 'sde-heun'
}

export function isStochastic(s: Solver): boolean {
  return s === 'ancestral' || s === 'sde' || s === 'sde-heun'
}

/**
 * One step from `sigma` to `next` < sigma, in place on x. `D` = D(x, sigma). `denoise` is used
 * only by the second-order solvers (at `next` > 0).
 */
export async function solverStep(
  solver: Solver,
  x: Float64Array,
  D: Float64Array,
  sigma: number,
  next: number,
  rng: Rng,
  denoise: (x: Float64Array, sigma: number) => Promise<Float64Array>
): Promise<void> {
  const n = x.length
  if (next === 0) {
    x.set(D)
    return
  }
  if (solver === 'sde-heun' && sigma * sigma > SDE_HEUN_MAX_RATIO * next * next) solver = 'ancestral'
  switch (solver) {
    case 'euler': {
      const r = next / sigma
      for (let i = 0; i < n; i++) x[i] = D[i] + r * (x[i] - D[i])
      return
    }
    case 'heun': {
      const r = next / sigma
      const xt = new Float64Array(n)
      for (let i = 0; i < n; i++) xt[i] = D[i] + r * (x[i] - D[i])
      const D2 = await denoise(xt, next)
      const h = next - sigma
      for (let i = 0; i < n; i++) x[i] += (h / 2) * ((x[i] - D[i]) / sigma + (xt[i] - D2[i]) / next)
      return
    }
    case 'ancestral': {
      const r = (next * next) / (sigma * sigma)
      const s = next * Math.sqrt(1 - r)
      for (let i = 0; i < n; i++) x[i] = D[i] + r * (x[i] - D[i]) + s * rng.normal()
      return
    }
    case 'sde': {
      const r = (next * next) / (sigma * sigma)
      const s = Math.sqrt(sigma * sigma - next * next)
      for (let i = 0; i < n; i++) x[i] = D[i] + r * (x[i] - D[i]) + s * rng.normal()
      return
    }
    case 'sde-heun': {
      const tau = sigma * sigma
      const tau2 = next * next
      const s = Math.sqrt(tau - tau2)
      const w = new Float64Array(n)
      const xt = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        w[i] = s * rng.normal()
        xt[i] = x[i] + ((tau2 - tau) * (x[i] - D[i])) / tau + w[i]
      }
      const D2 = await denoise(xt, next)
      const h = (tau2 - tau) / 2
      for (let i = 0; i < n; i++) x[i] += h * ((x[i] - D[i]) / tau + (xt[i] - D2[i]) / tau2) + w[i]
      return
    }
  }
}

/**
 * Karras et al.'s stochastic "churn" (Alg. 2): raise the level from σ to σ̂ = σ(1 + γ),
 * γ = min(S_churn/N, √2 − 1), by adding fresh noise, before a deterministic step. Returns σ̂.
 */
export function churn(x: Float64Array, sigma: number, sChurn: number, steps: number, rng: Rng): number {
  if (!(sChurn > 0) || !(sigma > 0)) return sigma
  const gamma = Math.min(sChurn / steps, Math.SQRT2 - 1)
  const hat = sigma * (1 + gamma)
  const s = Math.sqrt(hat * hat - sigma * sigma)
  for (let i = 0; i < x.length; i++) x[i] += s * rng.normal()
  return hat
}
