/**
 * What both posterior samplers share: option checks, the noise schedule, one seeded random
 * stream per sample (so a sample does not depend on how many came before it), per-pixel
 * statistics over the samples, data-consistency residuals, and progress / preview /
 * cancellation once per step.
 */
import { cfromReal, cnorm, type CArray } from '../complex.ts'
import type { LinearOperator } from '../linops/operator.ts'
import { throwIfCancelled, type RunControl } from '../progress.ts'
import { Rng } from '../rng.ts'
import { callDenoise, type Denoiser } from './denoiser.ts'
import { RealOperator } from './real-operator.ts'
import { karrasSchedule, SCHEDULE_DEFAULTS, type ScheduleOptions } from './schedule.ts'
import { SOLVERS, type Solver } from './solvers.ts'

export interface SamplerOptions {
  /** Number of noise levels N (denoiser evaluations per sample: N, or about 2N for Heun solvers). */
  steps?: number
  /** Independent posterior samples K. */
  samples?: number
  seed?: number
  solver?: Solver
  /** Karras et al.'s S_churn for the deterministic solvers ('euler', 'heun'); 0 = off. */
  churn?: number
  schedule?: ScheduleOptions
  /** Keep every sample in the result (mean and std are computed either way). */
  keepSamples?: boolean
  /**
   * Where the object can be nonzero (1) and where it is known to be zero (0), one entry per
   * pixel. Pixels outside are in A's null space, so the data never constrain them and a prior
   * would fill them with whatever it likes (for SENSE: beyond ESPIRiT's support, where the maps
   * are zero). They are held at the noised zero image, σ·n, every step and end at exactly 0.
   */
  support?: Uint8Array
}

export interface SamplerResult {
  method: 'dps' | 'measurement-consistency'
  height: number
  width: number
  /** Per-pixel mean of the samples: the posterior-mean (MMSE) estimate. */
  mean: Float64Array
  /** Per-pixel sample standard deviation (K − 1 in the denominator; zeros for K = 1). */
  std: Float64Array
  /** The K samples (empty when keepSamples is false). */
  samples: Float64Array[]
  /** ‖A x̂ − y‖ / ‖y‖ for each sample (‖A x̂ − y‖ when y = 0). */
  dcResidual: number[]
  seconds: number
  /** Every option as used, defaults filled in. */
  params: Record<string, string | number | boolean>
  warnings: string[]
}

export interface ResolvedCommon {
  steps: number
  samples: number
  seed: number
  solver: Solver
  churn: number
  keepSamples: boolean
  sigmas: Float64Array
  schedule: Required<ScheduleOptions>
}

export function resolveCommon(
  method: string,
  options: SamplerOptions,
  defaults: { steps: number; solver: Solver },
  allowed: readonly Solver[] = SOLVERS
): ResolvedCommon {
  const steps = options.steps ?? defaults.steps
  const samples = options.samples ?? 1
  const seed = options.seed ?? 0
  const solver = options.solver ?? defaults.solver
  const churnValue = options.churn ?? 0
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`${method}: steps must be a positive integer, got ${steps}`)
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`${method}: samples must be a positive integer, got ${samples}`)
  if (!Number.isInteger(seed)) throw new Error(`${method}: seed must be an integer, got ${seed}`)
  if (!allowed.includes(solver)) throw new Error(`${method}: solver must be one of ${allowed.join(', ')}; got ${String(solver)}`)
  if (!(churnValue >= 0) || !Number.isFinite(churnValue)) throw new Error(`${method}: churn must be a finite number ≥ 0, got ${churnValue}`)
  if (churnValue > 0 && solver !== 'euler' && solver !== 'heun') {
    throw new Error(`${method}: churn adds noise to the deterministic solvers only (euler, heun); solver ${solver} is already stochastic`)
  }
  const schedule = {
    sigmaMax: options.schedule?.sigmaMax ?? SCHEDULE_DEFAULTS.sigmaMax,
    sigmaMin: options.schedule?.sigmaMin ?? SCHEDULE_DEFAULTS.sigmaMin,
    rho: options.schedule?.rho ?? SCHEDULE_DEFAULTS.rho
  }
  const sigmas = karrasSchedule(steps, schedule)
  return { steps, samples, seed, solver, churn: churnValue, keepSamples: options.keepSamples ?? true, sigmas, schedule }
}

/** Checks the operator and measurement up front so a shape mistake fails before any sampling. */
export function prepareProblem(method: string, A: LinearOperator, y: CArray): RealOperator {
  let op: RealOperator
  try {
    op = new RealOperator(A)
    op.checkMeasurement(y)
  } catch (e) {
    throw new Error(`${method}: ${(e as Error).message}`)
  }
  return op
}

/** Checks a support mask against the image size; returns it, or null when there is none or it is all ones. */
export function resolveSupport(method: string, support: Uint8Array | undefined, n: number): Uint8Array | null {
  if (!support) return null
  if (support.length !== n) throw new Error(`${method}: support has ${support.length} entries for ${n} pixels`)
  return support.every((v) => v !== 0) ? null : support
}

/** How many pixels the support holds at zero (reported in the samplers' params). */
export function pixelsOutside(support: Uint8Array | null): number {
  return support ? support.reduce((a, v) => a + (v === 0 ? 1 : 0), 0) : 0
}

/** x outside the support ← σ·n: the noised image of a known zero (0 at σ = 0). */
export function holdOutsideSupport(x: Float64Array, support: Uint8Array | null, sigma: number, rng: Rng): void {
  if (!support) return
  for (let j = 0; j < x.length; j++) if (support[j] === 0) x[j] = sigma > 0 ? sigma * rng.normal() : 0
}

/** An independent, well-mixed seed for sample k of a run seeded with `seed`. */
export function sampleSeed(seed: number, k: number): number {
  let h = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(k + 1, 0x27d4eb2f)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  h = Math.imul(h, 0x297a2d39)
  h ^= h >>> 15
  return h >>> 0
}

/** Start of the chain: x ~ N(0, σ_max² I), standing in for the noised prior N(μ, Σ + σ_max² I). */
export function initialNoise(n: number, sigmaMax: number, rng: Rng): Float64Array {
  const x = new Float64Array(n)
  for (let i = 0; i < n; i++) x[i] = sigmaMax * rng.normal()
  return x
}

/** Lets queued events (an abort, a worker message) run; a macrotask, unlike `await`. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)))
}

/** Progress, previews, cancellation and cooperative yielding, counted in sample-steps. */
export class StepReporter {
  readonly total: number
  private done = 0
  private lastYield = Date.now()
  private readonly every: number

  constructor(
    samples: number,
    steps: number,
    private readonly control: RunControl | undefined
  ) {
    this.total = samples * steps
    this.every = Math.max(1, Math.floor(control?.previewEvery ?? 10))
  }

  check(): void {
    throwIfCancelled(this.control)
  }

  /** After a step: report it, maybe preview `estimate`, and let the event loop run now and then. */
  async stepDone(message: string, estimate: Float64Array): Promise<void> {
    this.done++
    this.control?.onProgress?.({ step: this.done, total: this.total, message })
    // A copy: the sampler keeps working on its buffers.
    if (this.control?.onPreview && this.done % this.every === 0) this.control.onPreview(cfromReal(estimate), this.done)
    // A synchronous denoiser never yields; without this an abort (or any message) arriving on
    // the event loop would only be seen after the whole run.
    if (Date.now() - this.lastYield > 20) {
      await yieldToEventLoop()
      this.lastYield = Date.now()
    }
    throwIfCancelled(this.control)
  }
}

/** Welford's running mean and variance per pixel. */
export class PixelStats {
  private k = 0
  readonly mean: Float64Array
  private readonly m2: Float64Array

  constructor(n: number) {
    this.mean = new Float64Array(n)
    this.m2 = new Float64Array(n)
  }

  add(x: Float64Array): void {
    this.k++
    for (let i = 0; i < x.length; i++) {
      const d = x[i] - this.mean[i]
      this.mean[i] += d / this.k
      this.m2[i] += d * (x[i] - this.mean[i])
    }
  }

  std(): Float64Array {
    const s = new Float64Array(this.mean.length)
    if (this.k < 2) return s
    for (let i = 0; i < s.length; i++) s[i] = Math.sqrt(this.m2[i] / (this.k - 1))
    return s
  }
}

/** ‖A x − y‖ / ‖y‖ (absolute when y = 0). */
export function dataResidual(op: RealOperator, x: Float64Array, y: CArray, yNorm: number): number {
  const ax = op.forward(x)
  let s = 0
  for (let i = 0; i < op.m; i++) s += (ax.re[i] - y.re[i]) ** 2 + (ax.im[i] - y.im[i]) ** 2
  return yNorm > 0 ? Math.sqrt(s) / yNorm : Math.sqrt(s)
}

/**
 * Throws when the chain has blown up: a non-finite value, or one far outside anything a noised
 * [0, 1] image can reach (|x| ≲ 1 + 6σ_max). An unstable explicit step grows geometrically and
 * would otherwise return a huge but finite "image".
 */
export function checkDiverged(method: string, x: Float64Array, sigma: number, sigmaMax: number, hint: string): void {
  const limit = 1e6 * (1 + sigmaMax)
  for (let i = 0; i < x.length; i++) {
    if (!(Math.abs(x[i]) <= limit)) throw new Error(`${method} diverged at σ = ${sigma.toPrecision(3)} (|x| > ${limit.toPrecision(2)} or non-finite)${hint}`)
  }
}

export function measurementNorm(y: CArray): number {
  return cnorm(y)
}

/** The denoiser bound to the run's image size. */
export function boundDenoiser(d: Denoiser, H: number, W: number): (x: Float64Array, sigma: number) => Promise<Float64Array> {
  return (x, sigma) => callDenoise(d, x, sigma, H, W)
}

export function checkNonNegative(method: string, name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`${method}: ${name} must be a finite number ≥ 0, got ${v}`)
}

export function commonParams(c: ResolvedCommon, d: Denoiser): Record<string, string | number | boolean> {
  return {
    denoiser: d.id,
    steps: c.steps,
    samples: c.samples,
    seed: c.seed,
    solver: c.solver,
    churn: c.churn,
    sigmaMax: c.schedule.sigmaMax,
    sigmaMin: c.schedule.sigmaMin,
    rho: c.schedule.rho
  }
}

/** The result object both samplers return, assembled in one place. */
export function finishRun(
  method: SamplerResult['method'], H: number, W: number, stats: PixelStats, samples: Float64Array[], dcResidual: number[],
  t0: number, params: SamplerResult['params'], warnings: string[]
): SamplerResult {
  return { method, height: H, width: W, mean: stats.mean, std: stats.std(), samples, dcResidual, seconds: (performance.now() - t0) / 1000, params, warnings }
}
