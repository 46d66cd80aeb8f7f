/**
 * Noise levels for the samplers: the EDM schedule of Karras et al. (2022, Eq. 5),
 *   σ_i = (σ_max^{1/ρ} + i/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ,  i = 0 … N−1,  σ_N = 0,
 * which spends most steps at small σ where image detail is decided. Units are those of the
 * [0, 1] image; σ_max = 80 makes the start N(0, σ_max²) indistinguishable from the noised prior.
 */

export interface ScheduleOptions {
  sigmaMax?: number
  sigmaMin?: number
  rho?: number
}

export const SCHEDULE_DEFAULTS = { sigmaMax: 80, sigmaMin: 0.002, rho: 7 } as const

/** N + 1 levels, strictly decreasing, the last one 0 (N steps). */
export function karrasSchedule(steps: number, options: ScheduleOptions = {}): Float64Array {
  const sigmaMax = options.sigmaMax ?? SCHEDULE_DEFAULTS.sigmaMax
  const sigmaMin = options.sigmaMin ?? SCHEDULE_DEFAULTS.sigmaMin
  const rho = options.rho ?? SCHEDULE_DEFAULTS.rho
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`schedule: steps must be a positive integer, got ${steps}`)
  if (!(sigmaMin > 0) || !Number.isFinite(sigmaMin)) throw new Error(`schedule: sigmaMin must be positive and finite, got ${sigmaMin}`)
  if (!(sigmaMax >= sigmaMin) || !Number.isFinite(sigmaMax)) {
    throw new Error(`schedule: sigmaMax must be finite and ≥ sigmaMin (${sigmaMin}), got ${sigmaMax}`)
  }
  if (!(rho > 0) || !Number.isFinite(rho)) throw new Error(`schedule: rho must be positive and finite, got ${rho}`)
  const out = new Float64Array(steps + 1)
  if (steps === 1) {
    out[0] = sigmaMax
    return out
  }
  const a = Math.pow(sigmaMax, 1 / rho)
  const b = Math.pow(sigmaMin, 1 / rho)
  for (let i = 0; i < steps; i++) out[i] = Math.pow(a + (i / (steps - 1)) * (b - a), rho)
  out[steps] = 0
  return out
}

/**
 * Moves the level nearest to `sigma` (in log σ) onto it, keeping the number of steps and the
 * order. Used to put the measurement-noise level s on the grid, where the noise-aware
 * measurement-consistency sampler switches from enforcing the data to plain denoising.
 * Returns the index of that level, or −1 when sigma is outside (σ_min, σ_max).
 */
export function snapLevel(sigmas: Float64Array, sigma: number): number {
  const last = sigmas.length - 2 // the smallest positive level
  if (!(sigma > sigmas[last]) || !(sigma < sigmas[0])) return -1
  let best = 0
  let bestDist = Infinity
  for (let i = 0; i <= last; i++) {
    const d = Math.abs(Math.log(sigmas[i] / sigma))
    if (d < bestDist) {
      bestDist = d
      best = i
    }
  }
  // The nearest level is one of the two neighbours of sigma, so replacing it keeps the order;
  // the ends stay (σ_max starts the chain, σ_min is the last positive level).
  if (best === 0 || best === last) return -1
  sigmas[best] = sigma
  return best
}
