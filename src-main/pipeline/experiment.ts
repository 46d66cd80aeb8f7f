/**
 * The experiment, built once for every front end: from the opened scans (or an input already
 * selected from them) and the experiment options of the schema to the Problem — forward model,
 * measurement, reference — plus the plain-data ProblemRecipe that rebuilds it in a worker, the
 * shared display window and the notes worth showing. The CLI (`reconstruct`) and the app's
 * WorkbenchService both call this, so the same options give the same problem everywhere.
 *
 * Masks come already loaded (the CLI reads its files, the app passes the painted pixels).
 */
import { cabs, type CArray, type ComplexImage } from '../engine/complex.ts'
import { checkPeakRange, peakMagnitude } from '../io/value-range.ts'
import type { Scan } from '../io/scan.ts'
import { METHODS, type MethodResult } from '../methods/index.ts'
import { OptionError, type ReconstructOptions, type Task } from '../schema/options.ts'
import { buildMulticoilProblem, multicoilMeasurement, simulateCoils, type MulticoilMeasurement, type MulticoilSpec } from './multicoil.ts'
import { buildMeasuredProblem, buildProblem, type Problem, type ProblemSpec } from './problem.ts'
import { buildFromRecipe, multicoilRecipe, type ProblemRecipe } from './recipe.ts'
import { selectInput, type ReconInput } from './select-input.ts'
import type { MapsMethod } from './sensitivities.ts'

/** A mask with its own size (checked against the image) and a name for messages. */
export interface ExperimentMask {
  data: Uint8Array
  height: number
  width: number
  /** e.g. the file it came from: "mask holes.png is 32×32 but the image is 48×40". */
  name?: string
}

/**
 * The ReconstructOptions fields that define an experiment, with masks already loaded. `task`
 * defaults to 'inpaint' with a missing-pixel mask, else 'mri'.
 */
export interface ExperimentOptions
  extends Pick<
    ReconstructOptions,
    'series' | 'slice' | 'task' | 'pattern' | 'acceleration' | 'centerFraction' | 'seed' | 'blurSigma' | 'factor' | 'noise' | 'coils' | 'maps' | 'virtualCoils'
  > {
  /** MRI: explicit k-space mask (1 = sampled) instead of a generated pattern. A bare array must be H·W long. */
  kspaceMask?: Uint8Array | ExperimentMask
  /** Inpainting: missing pixels (1 = missing). A bare array must be H·W long. */
  missingMask?: Uint8Array | ExperimentMask
  /** How the input is named in errors ("input x.npy is all zeros"); default: the scan's path. */
  inputName?: string
}

export interface Experiment {
  problem: Problem
  /** Plain data that rebuilds `problem` in a worker (buildFromRecipe). */
  recipe: ProblemRecipe
  input: ReconInput
  task: Task
  height: number
  width: number
  /** Real undersampled data (no reference: data-consistency residuals instead of PSNR). */
  measured: boolean
  /** problem.description, one line. */
  description: string
  /** Loader and selection notes: the scan's provenance notes, then the input's. */
  notes: string[]
  /** Every image of the run is shown in [0, windowMax]: max |reference|, or max of zero-filled without one. */
  windowMax: number
}

/**
 * What an experiment will be built from, after every option check and before the (possibly
 * slow) build: a multi-coil SENSE spec, a measured single-coil acquisition, or a simulated
 * single-coil problem.
 */
export type ExperimentPlan =
  | { kind: 'multicoil'; task: 'mri'; height: number; width: number; spec: MulticoilSpec }
  | { kind: 'measured'; task: 'mri'; height: number; width: number; kspace: CArray; mask: Uint8Array }
  | { kind: 'simulated'; task: Task; height: number; width: number; reference: ComplexImage; spec: ProblemSpec }

/** Select the input (series, slice) from the scans and build the experiment. */
export function prepareExperiment(scans: Scan[], options: ExperimentOptions): Experiment {
  return experimentFromInput(selectInput(scans, { series: options.series, slice: options.slice }), options)
}

/** Build the experiment on an input already selected (the app caches selected inputs). */
export function experimentFromInput(input: ReconInput, options: ExperimentOptions): Experiment {
  return buildExperiment(input, planExperiment(input, options))
}

/** The image size of a selected input. */
export function inputSize(input: ReconInput): { height: number; width: number } {
  return input.kind === 'image' ? { height: input.reference.height, width: input.reference.width } : { height: input.height, width: input.width }
}

/** Every option check, in the order the command line has always made them; nothing slow. */
export function planExperiment(input: ReconInput, opts: ExperimentOptions): ExperimentPlan {
  const missingGiven = opts.missingMask !== undefined
  const task: Task = opts.task ?? (missingGiven ? 'inpaint' : 'mri')
  if (missingGiven && task !== 'inpaint') throw new OptionError('--mask is the inpainting mask; use --kspace-mask for MRI')
  if (opts.kspaceMask && task !== 'mri') throw new OptionError('--kspace-mask only applies to --task mri')
  const { height: H, width: W } = inputSize(input)
  const name = opts.inputName ?? input.scan.provenance.path
  /** A SENSE plan: the coil data and maps given, the sampling options from `opts`. */
  const sensePlan = (data: Pick<MulticoilSpec, 'kspace' | 'coils' | 'measuredMask' | 'reference' | 'maps'>): ExperimentPlan => ({
    kind: 'multicoil',
    task: 'mri',
    height: H,
    width: W,
    spec: {
      ...data,
      height: H,
      width: W,
      pattern: opts.pattern,
      acceleration: opts.acceleration,
      centerFraction: opts.centerFraction,
      kspaceMask: matchingMask(opts.kspaceMask, H, W, 'k-space'),
      seed: opts.seed,
      noise: opts.noise,
      virtualCoils: opts.virtualCoils
    }
  })
  if (opts.coils > 1 && input.kind !== 'image') throw new OptionError('--coils simulates coils from an image; this input is k-space')
  if (opts.maps === 'true' && !(input.kind === 'image' && opts.coils > 1)) {
    throw new OptionError('--maps true is only meaningful for simulated coils (--coils N on an image input)')
  }
  if (input.kind === 'multicoil') {
    if (task !== 'mri') throw new OptionError(`multi-coil k-space can only be reconstructed as MRI, not --task ${task}`)
    if (input.measuredMask && opts.kspaceMask) throw new OptionError('measured undersampled k-space uses its own sampling mask; drop --kspace-mask')
    checkDynamicRange(input.kspace, name)
    return sensePlan({ kspace: input.kspace, coils: input.coils, measuredMask: input.measuredMask, reference: input.reference, maps: opts.maps as MapsMethod })
  }
  if (input.kind === 'image' && opts.coils > 1) {
    if (task !== 'mri') throw new OptionError('--coils applies to MRI only')
    const ref = input.reference
    checkDynamicRange(ref, name)
    const sim = simulateCoils(ref, H, W, opts.coils)
    return sensePlan({ kspace: sim.kspace, coils: opts.coils, reference: cabs(ref), maps: opts.maps === 'true' ? { true: sim.maps } : (opts.maps as MapsMethod) })
  }
  if (input.kind === 'measured') {
    if (task !== 'mri') throw new OptionError(`measured k-space can only be reconstructed as MRI, not --task ${task}`)
    if (opts.kspaceMask) throw new OptionError('measured undersampled k-space uses its own sampling mask; drop --kspace-mask')
    checkDynamicRange(input.kspace, name)
    return { kind: 'measured', task: 'mri', height: H, width: W, kspace: input.kspace, mask: input.mask }
  }
  const ref = input.reference
  checkDynamicRange(ref, name)
  const spec: ProblemSpec = {
    task,
    pattern: opts.pattern,
    acceleration: opts.acceleration,
    centerFraction: opts.centerFraction,
    seed: opts.seed,
    kspaceMask: matchingMask(opts.kspaceMask, H, W, 'k-space'),
    missingMask: matchingMask(opts.missingMask, H, W, 'inpainting'),
    blurSigma: opts.blurSigma,
    factor: opts.factor,
    noise: opts.noise
  }
  return { kind: 'simulated', task, height: H, width: W, reference: ref, spec }
}

/** Build the problem (and for SENSE, estimate the maps) of a plan. */
export function buildExperiment(input: ReconInput, plan: ExperimentPlan): Experiment {
  let problem: Problem
  let recipe: ProblemRecipe
  switch (plan.kind) {
    case 'multicoil':
      problem = buildMulticoilProblem(plan.spec)
      recipe = multicoilRecipe(problem)
      break
    case 'measured':
      problem = buildMeasuredProblem(plan.kspace, plan.mask, plan.height, plan.width)
      recipe = { kind: 'measured', kspace: plan.kspace, mask: plan.mask, height: plan.height, width: plan.width }
      break
    case 'simulated':
      problem = buildProblem(plan.reference, plan.spec)
      recipe = { kind: 'simulated', reference: plan.reference, spec: plan.spec }
      break
  }
  return finishExperiment(input, plan, problem, recipe)
}

function finishExperiment(input: ReconInput, plan: ExperimentPlan, problem: Problem, recipe: ProblemRecipe): Experiment {
  const refMag = problem.referenceMagnitude
  return {
    problem,
    recipe,
    input,
    task: plan.task,
    height: plan.height,
    width: plan.width,
    measured: input.kind === 'measured' || (input.kind === 'multicoil' && Boolean(input.measuredMask)),
    description: problem.description,
    notes: [...input.scan.provenance.notes, ...input.notes],
    windowMax: maxOf(refMag ?? zeroFilledMagnitude(problem))
  }
}

/**
 * The recipe of a plan. Only a SENSE plan does real work here (its maps are estimated, which
 * can take seconds: the app runs this in a worker); the others just pack their inputs.
 */
export function recipeFromPlan(plan: ExperimentPlan): ProblemRecipe {
  switch (plan.kind) {
    case 'multicoil':
      return multicoilRecipe(buildMulticoilProblem(plan.spec))
    case 'measured':
      return { kind: 'measured', kspace: plan.kspace, mask: plan.mask, height: plan.height, width: plan.width }
    case 'simulated':
      return { kind: 'simulated', reference: plan.reference, spec: plan.spec }
  }
}

/** Whether building a plan's problem is slow enough to belong in a worker (coil maps to estimate). */
export function planIsSlow(plan: ExperimentPlan): boolean {
  return plan.kind === 'multicoil' && typeof plan.spec.maps === 'string'
}

/** The experiment of a plan whose recipe was made elsewhere (e.g. in a worker). */
export function experimentFromRecipe(input: ReconInput, plan: ExperimentPlan, recipe: ProblemRecipe): Experiment {
  return finishExperiment(input, plan, buildFromRecipe(recipe), recipe)
}

/** The multi-coil measurement of a plan without the coil maps (fast; for live previews). */
export function multicoilPreview(plan: ExperimentPlan & { kind: 'multicoil' }): MulticoilMeasurement {
  return multicoilMeasurement(plan.spec)
}

/** |zero-filled| of a problem: Aᴴy/‖A‖², or the RSS of the zero-filled coil images. */
export function zeroFilledMagnitude(problem: Problem): Float64Array {
  return cabs((METHODS['zero-filled'].run(problem, ZERO_FILLED_PARAMS) as MethodResult).image)
}

const ZERO_FILLED_PARAMS = { lambda: 0, iterations: 1, innerIterations: 1, tolerance: 0 }

function matchingMask(mask: Uint8Array | ExperimentMask | undefined, H: number, W: number, what: string): Uint8Array | undefined {
  if (mask === undefined) return undefined
  if (mask instanceof Uint8Array) {
    if (mask.length !== H * W) throw new OptionError(`the ${what} mask has ${mask.length} pixels but the image is ${H}×${W} = ${H * W}`)
    return mask
  }
  if (mask.height !== H || mask.width !== W) {
    throw new Error(`mask ${mask.name ?? `(${what})`} is ${mask.height}×${mask.width} but the image is ${H}×${W}`)
  }
  return mask.data
}

/** Refuse an all-zero input, or one whose values float32 cannot hold (see value-range.ts). */
function checkDynamicRange(image: CArray, name: string): void {
  const peak = peakMagnitude([image.re, image.im])
  if (peak === 0) throw new Error(`input ${name} is all zeros; there is nothing to reconstruct`)
  checkPeakRange(peak, `input ${name}`)
}

function maxOf(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i]
  return m
}
