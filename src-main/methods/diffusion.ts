/**
 * DPS and measurement consistency as reconstruction methods: choose the prior for the task,
 * bring the measurement to the prior's [0, 1] units, fold the image phase into the operator
 * (the prior sees a real magnitude image), sample, and scale back.
 */
import { cabs, type CArray } from '../engine/complex.ts'
import { dps, measurementConsistency, withPhase, estimatePhase, type SamplerResult } from '../engine/diffusion/index.ts'
import type { LinearOperator } from '../engine/linops/operator.ts'
import type { RunControl } from '../engine/progress.ts'
import { findModel, listModels, modelDirs } from '../models/registry.ts'
import type { ExecutionProvider } from '../models/session.ts'
import { OnnxDenoiser } from '../models/onnx-denoiser.ts'
import type { Problem } from '../pipeline/problem.ts'
import { DIFFUSION_DEFAULTS, MC_DATA_DEFAULT, type McData } from '../schema/options.ts'

export interface DiffusionParams {
  model?: string
  /** Absent: the method's default (DIFFUSION_DEFAULTS in schema/options.ts). */
  steps?: number
  samples?: number
  /** DPS guidance step ζ (default: derived from the image size); MC ignores it. */
  zeta?: number
  /** Measurement-consistency weight λ in [0, 1] (default 1); DPS ignores it. */
  lambdaMc?: number
  /** What MC enforces: the data as they are (default) or noised to each level; DPS ignores it. */
  mcData?: McData
  seed: number
  /** Folders searched for model cards (default: the shipped models/ only). */
  modelDirs?: string[]
  /** onnxruntime execution providers to try, in order (default: CPU). */
  executionProviders?: ExecutionProvider[]
}

/** The prior for a task when none is named: MRI → mri-brain, image tasks → natural-gray. */
export function chooseModel(problem: Problem, requested?: string, dirs: string[] = modelDirs()): string {
  if (requested) return requested
  const domain = problem.task === 'mri' ? 'mri-brain' : 'natural-gray'
  const { models } = listModels(dirs)
  const match = models.find((m) => m.card.domain === domain)
  if (!match) {
    const have = models.map((m) => `${m.card.id} (${m.card.domain})`).join(', ') || 'none'
    throw new Error(`no ${domain} diffusion prior is installed (installed: ${have}); train one (models/README.md) or pass --model <id>`)
  }
  return match.card.id
}

/**
 * Pixels where the coil maps see anything: Σ_c |S_c|² above 1 % of its maximum. ESPIRiT zeroes
 * the maps outside the object's support, so there the SENSE operator is blind (its null space)
 * and the image is zero by the model, as in BART's pics; without this the prior invents
 * structure there, which no data can correct.
 */
export function mapsSupport(maps: CArray, coils: number, n: number): Uint8Array {
  if (maps.re.length !== coils * n) throw new Error(`coil maps have ${maps.re.length} values for ${coils} coils × ${n} pixels`)
  const energy = new Float64Array(n)
  for (let c = 0; c < coils; c++) {
    for (let i = 0; i < n; i++) energy[i] += maps.re[c * n + i] ** 2 + maps.im[c * n + i] ** 2
  }
  let max = 0
  for (const v of energy) max = Math.max(max, v)
  return Uint8Array.from(energy, (v) => (v > 0.01 * max ? 1 : 0))
}

export async function runDiffusion(
  which: 'dps' | 'mc', problem: Problem, zeroFilled: CArray, p: DiffusionParams, control?: RunControl
): Promise<{ image: CArray; std?: Float64Array; result: SamplerResult; modelId: string; scale: number }> {
  const dirs = p.modelDirs ?? modelDirs()
  const modelId = chooseModel(problem, p.model, dirs)
  const H = problem.height
  const W = problem.width
  // The prior works on [0, 1] magnitudes: scale by the zero-filled image's maximum.
  const mag = cabs(zeroFilled)
  let scale = 0
  for (const v of mag) scale = Math.max(scale, v)
  if (!(scale > 0)) throw new Error('the measurement is all zeros')
  const y = { re: problem.measurement.re.map((v) => v / scale), im: problem.measurement.im.map((v) => v / scale) }
  // Real images measured through A need no phase; complex data (scanner k-space, SENSE with
  // ESPIRiT's phase) get the low-resolution phase of the zero-filled image folded into A.
  const isReal = problem.reference !== undefined && problem.reference.im.every((v) => v === 0) && (problem.coils ?? 1) === 1
  const phase = isReal ? null : estimatePhase(zeroFilled, H, W)
  const A: LinearOperator = phase ? withPhase(problem.operator, phase) : problem.operator
  const support = problem.maps ? mapsSupport(problem.maps, problem.coils ?? 1, H * W) : undefined
  const denoiser = await OnnxDenoiser.fromEntry(findModel(modelId, dirs), { executionProviders: p.executionProviders })
  try {
    const samples = p.samples ?? DIFFUSION_DEFAULTS[which].samples
    const common = { steps: p.steps ?? DIFFUSION_DEFAULTS[which].steps, samples, seed: p.seed, support }
    const result = which === 'dps'
      ? await dps(A, y, denoiser, { ...common, zeta: p.zeta }, control)
      : await measurementConsistency(A, y, denoiser, { ...common, lambda: p.lambdaMc, noisedMeasurement: (p.mcData ?? MC_DATA_DEFAULT) === 'noised' }, control)
    const image = { re: result.mean.map((v) => v * scale), im: new Float64Array(H * W) }
    if (phase) {
      // Put the phase back so the image is consistent with the (complex) measurement.
      for (let i = 0; i < H * W; i++) {
        const m = image.re[i]
        image.re[i] = m * Math.cos(phase[i])
        image.im[i] = m * Math.sin(phase[i])
      }
    }
    // One sample has no spread to report (the sampler's std is all zeros then).
    return { image, std: samples > 1 ? result.std.map((v) => v * scale) : undefined, result, modelId, scale }
  } finally {
    await denoiser.dispose()
  }
}
