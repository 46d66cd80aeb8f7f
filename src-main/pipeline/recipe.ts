/**
 * A Problem as plain data, so it can cross a thread boundary.
 *
 * A Problem holds a LinearOperator made of closures, which structured clone cannot copy. A
 * ProblemRecipe holds only what rebuilds the identical Problem — typed arrays, numbers and
 * strings — and `buildFromRecipe` rebuilds it in the worker:
 *
 * - `simulated`: a single-coil reference image and the ProblemSpec (`buildProblem`), the
 *   measurement and its seeded noise are re-simulated bit for bit;
 * - `measured`: real undersampled single-coil k-space with its own mask (`buildMeasuredProblem`);
 * - `multicoil`: the finished SENSE problem's data — the (noisy, possibly coil-compressed)
 *   measurement, the sampling mask and the sensitivity maps already estimated — so ESPIRiT runs
 *   once in the process that prepared the experiment, never once per worker.
 */
import { cfromReal, type CArray, type ComplexImage } from '../engine/complex.ts'
import { sense } from '../engine/linops/index.ts'
import type { SamplingPattern } from '../engine/patterns/index.ts'
import { buildMeasuredProblem, buildProblem, type Problem, type ProblemSpec } from './problem.ts'

export interface SimulatedRecipe {
  kind: 'simulated'
  reference: ComplexImage
  spec: ProblemSpec
}

export interface MeasuredRecipe {
  kind: 'measured'
  /** Centred single-coil k-space, H×W (unsampled positions are zeroed by the problem). */
  kspace: CArray
  /** H×W, 1 = sampled. */
  mask: Uint8Array
  height: number
  width: number
}

export interface MulticoilRecipe {
  kind: 'multicoil'
  height: number
  width: number
  /** Coils of the measurement and the maps (virtual coils after compression). */
  coils: number
  /** coils × H × W: the measured (masked, noisy, compressed) k-space. */
  measurement: CArray
  /** coils × H × W sensitivity maps, as estimated (or the true synthetic maps). */
  maps: CArray
  /** H×W, 1 = sampled. */
  mask: Uint8Array
  /** Magnitude reference (RSS or |x|), absent for real undersampled data. */
  reference?: Float64Array
  pattern?: SamplingPattern
  effectiveAcceleration: number
  noiseStd: number
  description: string
}

export type ProblemRecipe = SimulatedRecipe | MeasuredRecipe | MulticoilRecipe

/** The Problem a recipe describes; the same inputs give the same operator and measurement. */
export function buildFromRecipe(recipe: ProblemRecipe): Problem {
  switch (recipe.kind) {
    case 'simulated':
      return buildProblem(recipe.reference, recipe.spec)
    case 'measured':
      return buildMeasuredProblem(recipe.kspace, recipe.mask, recipe.height, recipe.width)
    case 'multicoil': {
      const { height: H, width: W, coils: C } = recipe
      if (recipe.measurement.re.length !== C * H * W) {
        throw new Error(`multi-coil recipe: the measurement has ${recipe.measurement.re.length} values, ${C}×${H}×${W} needs ${C * H * W}`)
      }
      const reference = recipe.reference
      return {
        task: 'mri',
        height: H,
        width: W,
        operator: sense(recipe.maps, [C, H, W], recipe.mask),
        measurement: recipe.measurement,
        reference: reference ? { height: H, width: W, ...cfromReal(reference) } : undefined,
        referenceMagnitude: reference ? Float64Array.from(reference) : undefined,
        mask: { data: recipe.mask, meaning: 'sampled' },
        pattern: recipe.pattern,
        effectiveAcceleration: recipe.effectiveAcceleration,
        noiseStd: recipe.noiseStd,
        description: recipe.description,
        coils: C,
        maps: recipe.maps
      }
    }
    default:
      throw new Error(`unknown problem recipe kind '${String((recipe as { kind?: unknown }).kind)}'`)
  }
}

/** The recipe of a SENSE problem built by buildMulticoilProblem (its arrays are shared, not copied). */
export function multicoilRecipe(problem: Problem): MulticoilRecipe {
  if (!problem.maps || !problem.mask || (problem.coils ?? 1) < 1) throw new Error('multicoilRecipe: not a SENSE problem (no coil maps)')
  return {
    kind: 'multicoil',
    height: problem.height,
    width: problem.width,
    coils: problem.coils ?? 1,
    measurement: problem.measurement,
    maps: problem.maps,
    mask: problem.mask.data,
    reference: problem.referenceMagnitude,
    pattern: problem.pattern,
    effectiveAcceleration: problem.effectiveAcceleration ?? Infinity,
    noiseStd: problem.noiseStd,
    description: problem.description
  }
}
