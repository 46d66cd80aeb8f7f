/**
 * Reconstruction methods behind one interface, so the CLI, the workers and the UI run any of
 * them the same way (the solver part of the physics / prior / solver split).
 */
import { cfromReal, type CArray } from '../engine/complex.ts'
import { rssOfKspace } from '../pipeline/multicoil.ts'
import { fistaTV } from '../engine/fista-tv.ts'
import { pushPullFill } from '../engine/fill.ts'
import { lipschitzConstant } from '../engine/linops/norm.ts'
import type { RunControl } from '../engine/progress.ts'
import type { Problem } from '../pipeline/problem.ts'
import type { MethodName } from '../schema/options.ts'
import { runDiffusion, type DiffusionParams } from './diffusion.ts'

export interface MethodParams {
  lambda: number
  iterations: number
  innerIterations: number
  tolerance: number
  /** Diffusion methods (dps, mc). */
  diffusion?: DiffusionParams
}

export interface MethodResult {
  image: CArray
  /** The parameters that actually governed the run, for the report. */
  params: Record<string, number | string | boolean>
  /** Per-pixel posterior standard deviation, when several samples were drawn. */
  std?: Float64Array
  /** Per-sample data-consistency residuals ‖A x̂ − y‖/‖y‖ (diffusion methods). */
  sampleResiduals?: number[]
}

export interface ReconMethod {
  name: MethodName
  label: string
  run(problem: Problem, params: MethodParams, control?: RunControl): MethodResult | Promise<MethodResult>
}

const lipschitzCache = new WeakMap<Problem, number>()
function lipschitz(problem: Problem): number {
  let L = lipschitzCache.get(problem)
  if (L === undefined) {
    L = lipschitzConstant(problem.operator)
    lipschitzCache.set(problem, L)
  }
  return L
}

/** Aᴴy/‖A‖²: the back-projection, complex. */
function scaledAdjoint(problem: Problem): CArray {
  const L = lipschitz(problem)
  const x = problem.operator.adjoint(problem.measurement)
  for (let i = 0; i < x.re.length; i++) {
    x.re[i] /= L
    x.im[i] /= L
  }
  return x
}

export const zeroFilled: ReconMethod = {
  name: 'zero-filled',
  label: 'Zero-filled',
  run(problem) {
    const C = problem.coils ?? 1
    if (C > 1) {
      // Multi-coil: root-sum-of-squares of the zero-filled coil images (the fastMRI baseline).
      const params: MethodResult['params'] = { combination: 'root-sum-of-squares' }
      return { image: cfromReal(rssOfKspace(problem.measurement, C, problem.height, problem.width)), params }
    }
    // Aᴴy/‖A‖²: the inverse FFT of the zero-filled k-space for MRI (‖A‖ = 1), the observed
    // pixels for inpainting, and a correctly scaled back-projection for blur/downsampling.
    return { image: scaledAdjoint(problem), params: {} }
  }
}

/**
 * Start for iterative methods: Aᴴy/L, except for inpainting, where the holes are pre-filled
 * by push–pull so TV need not diffuse values across large holes one pixel per iteration.
 */
function initialImage(problem: Problem): CArray | undefined {
  if (problem.task !== 'inpaint' || !problem.mask) return undefined
  const known = Uint8Array.from(problem.mask.data, (v) => (v ? 0 : 1))
  return pushPullFill(problem.measurement, known, problem.height, problem.width)
}

export const fistaTvMethod: ReconMethod = {
  name: 'fista-tv',
  label: 'FISTA-TV',
  run(problem, params, control) {
    const r = fistaTV(
      problem.operator,
      problem.measurement,
      {
        lambda: params.lambda,
        maxIterations: params.iterations,
        innerIterations: params.innerIterations,
        tolerance: params.tolerance,
        lipschitz: lipschitz(problem),
        initial: initialImage(problem)
      },
      control
    )
    return {
      image: r.image,
      params: {
        lambda: params.lambda,
        lambda_absolute: r.lambdaAbsolute,
        max_iterations: params.iterations,
        inner_iterations: params.innerIterations,
        tolerance: params.tolerance,
        iterations_run: r.iterations,
        converged: r.converged,
        final_relative_change: r.relativeChange
      }
    }
  }
}

function diffusionMethod(name: 'dps' | 'mc', label: string): ReconMethod {
  return {
    name,
    label,
    async run(problem, params, control) {
      if (!params.diffusion) throw new Error(`${label}: diffusion parameters missing`)
      // The phase the prior cannot model is estimated from this image, so it must be the complex
      // Aᴴy/‖A‖²: for several coils the zero-filled baseline is an RSS magnitude, which has none
      // of the phase the SENSE maps carry (ESPIRiT's phase reference) and would fold in zero.
      const start = (problem.coils ?? 1) > 1 ? scaledAdjoint(problem) : (zeroFilled.run(problem, params) as MethodResult).image
      const r = await runDiffusion(name, problem, start, params.diffusion, control)
      return {
        image: r.image,
        std: r.std,
        sampleResiduals: r.result.dcResidual,
        params: { ...r.result.params, model: r.modelId, scale: r.scale, warnings: r.result.warnings.join(' ') }
      }
    }
  }
}

export const METHODS: Record<MethodName, ReconMethod> = {
  'zero-filled': zeroFilled,
  'fista-tv': fistaTvMethod,
  dps: diffusionMethod('dps', 'DPS'),
  mc: diffusionMethod('mc', 'Meas. consistency')
}
