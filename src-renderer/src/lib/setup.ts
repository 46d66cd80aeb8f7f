/**
 * The experiment and method forms, and how they become API requests. Pure functions: the
 * rules (raw k-space forces MRI, an optional centre fraction, the painted mask only for
 * inpainting, which prior to default to) are unit-tested in test/renderer/setup.test.ts.
 */
import type {
  ExperimentSetup,
  MethodSettings,
  ModelInfo,
  SeriesSummary,
  Settings
} from '../../../src-main/api/contract.ts'
import type { MapsOption, McData } from '../../../src-main/schema/options.ts'
import { checkNumber, DIFFUSION_DEFAULTS, numberDefault, field, OPTIONAL_METHODS, type OptionalMethod, type PatternName, type Task } from './options.ts'

export interface SetupForm {
  task: Task
  pattern: PatternName
  acceleration: number
  /** null = the pattern's own default (as when --center-fraction is not given). */
  centerFraction: number | null
  seed: number
  noise: number
  coils: number
  blurSigma: number
  factor: number
  maps: MapsOption
}

export interface MethodForm {
  methods: OptionalMethod[]
  lambda: number
  iterations: number
  innerIterations: number
  tolerance: number
  model: string | null
  /** DPS: its own steps and samples (the CLI's --steps/--samples, which it shares with MC). */
  dpsSteps: number
  dpsSamples: number
  /** null = the CLI's derived default (18·√(HW)/256). */
  zeta: number | null
  /** Measurement consistency: its own steps and samples. */
  mcSteps: number
  mcSamples: number
  lambdaMc: number
  /** What MC enforces: the measured data as they are, or noised to each level (--mc-data). */
  mcData: McData
}

export function defaultSetupForm(): SetupForm {
  return {
    task: 'mri',
    pattern: field('pattern').default as PatternName,
    acceleration: numberDefault('acceleration'),
    centerFraction: null,
    seed: numberDefault('seed'),
    noise: numberDefault('noise'),
    coils: numberDefault('coils'),
    blurSigma: numberDefault('blurSigma'),
    factor: numberDefault('factor'),
    maps: field('maps').default as MapsOption
  }
}

/** The CLI's default method list, minus the always-computed zero-filled. */
export function cliDefaultMethods(): OptionalMethod[] {
  const d = field('methods').default as string[]
  return OPTIONAL_METHODS.filter((m) => d.includes(m))
}

export function defaultMethodForm(settings?: Pick<Settings, 'defaultMethods'> | null): MethodForm {
  const chosen = settings?.defaultMethods
  return {
    methods: chosen ? OPTIONAL_METHODS.filter((m) => chosen.includes(m)) : cliDefaultMethods(),
    lambda: numberDefault('lambda'),
    iterations: numberDefault('iterations'),
    innerIterations: numberDefault('innerIterations'),
    tolerance: numberDefault('tolerance'),
    model: null,
    dpsSteps: DIFFUSION_DEFAULTS.dps.steps,
    dpsSamples: DIFFUSION_DEFAULTS.dps.samples,
    zeta: null,
    mcSteps: DIFFUSION_DEFAULTS.mc.steps,
    mcSamples: DIFFUSION_DEFAULTS.mc.samples,
    lambdaMc: numberDefault('lambdaMc'),
    mcData: field('mcData').default as McData
  }
}

/** Raw k-space can only be reconstructed as MRI; everything else takes the chosen task. */
export function effectiveTask(form: Pick<SetupForm, 'task'>, series: SeriesSummary | null): Task {
  return series?.domain === 'kspace' ? 'mri' : form.task
}

/** Undersampled k-space brings its own mask: no pattern is simulated. */
export function usesOwnMask(series: SeriesSummary | null): boolean {
  return series?.domain === 'kspace' && series.undersampled
}

export type FieldErrors = Partial<Record<keyof SetupForm | keyof MethodForm, string>>

export function validateSetup(form: SetupForm, series: SeriesSummary | null): FieldErrors {
  const e: FieldErrors = {}
  const task = effectiveTask(form, series)
  const put = (k: keyof SetupForm, msg: string | null): void => {
    if (msg) e[k] = msg
  }
  if (task === 'mri' && !usesOwnMask(series)) {
    put('acceleration', checkNumber('acceleration', 'Acceleration', form.acceleration))
    put('centerFraction', checkNumber('centerFraction', 'Centre fraction', form.centerFraction, true))
    if (series && series.domain === 'image') put('coils', checkNumber('coils', 'Coils', form.coils))
  }
  put('seed', checkNumber('seed', 'Seed', form.seed))
  put('noise', checkNumber('noise', 'Noise', form.noise))
  if (task === 'blur') put('blurSigma', checkNumber('blurSigma', 'Blur σ', form.blurSigma))
  if (task === 'downsample') put('factor', checkNumber('factor', 'Downsampling factor', form.factor))
  return e
}

export function validateMethods(form: MethodForm): FieldErrors {
  const e: FieldErrors = {}
  const put = (k: keyof MethodForm, msg: string | null): void => {
    if (msg) e[k] = msg
  }
  if (form.methods.includes('fista-tv')) {
    put('lambda', checkNumber('lambda', 'FISTA-TV λ', form.lambda))
    put('iterations', checkNumber('iterations', 'Iterations', form.iterations))
  }
  if (form.methods.includes('dps')) {
    put('dpsSteps', checkNumber('steps', 'DPS steps', form.dpsSteps))
    put('dpsSamples', checkNumber('samples', 'DPS samples', form.dpsSamples))
    put('zeta', checkNumber('zeta', 'DPS ζ', form.zeta, true))
  }
  if (form.methods.includes('mc')) {
    put('mcSteps', checkNumber('steps', 'MC steps', form.mcSteps))
    put('mcSamples', checkNumber('samples', 'MC samples', form.mcSamples))
    put('lambdaMc', checkNumber('lambdaMc', 'Measurement-consistency λ', form.lambdaMc))
  }
  return e
}

export interface SliceChoice {
  scanId: string
  series: SeriesSummary
  slice: number
}

export function buildSetup(form: SetupForm, choice: SliceChoice, paintedMask?: Uint8Array | null): ExperimentSetup {
  const task = effectiveTask(form, choice.series)
  const setup: ExperimentSetup = {
    scanId: choice.scanId,
    series: choice.series.index,
    slice: choice.slice,
    task,
    pattern: form.pattern,
    acceleration: form.acceleration,
    seed: form.seed,
    noise: form.noise,
    blurSigma: form.blurSigma,
    factor: form.factor,
    // Coils are simulated from an image only; k-space brings its own.
    coils: choice.series.domain === 'image' && task === 'mri' ? form.coils : 1,
    maps: form.maps
  }
  if (form.centerFraction !== null && !Number.isNaN(form.centerFraction)) setup.centerFraction = form.centerFraction
  if (task === 'inpaint' && paintedMask && paintedMask.some((v) => v !== 0)) setup.paintedMask = paintedMask
  return setup
}

export function buildMethodSettings(form: MethodForm): MethodSettings {
  const s: MethodSettings = {
    methods: OPTIONAL_METHODS.filter((m) => form.methods.includes(m)),
    lambda: form.lambda,
    iterations: form.iterations,
    innerIterations: form.innerIterations,
    tolerance: form.tolerance,
    dps: { steps: form.dpsSteps, samples: form.dpsSamples },
    mc: { steps: form.mcSteps, samples: form.mcSamples, lambdaMc: form.lambdaMc, mcData: form.mcData }
  }
  if (form.model) s.model = form.model
  if (form.zeta !== null && !Number.isNaN(form.zeta)) s.dps.zeta = form.zeta
  return s
}

/** The prior domain a task calls for (as the CLI's default: mri-brain or natural-gray). */
export function priorDomain(task: Task): string {
  return task === 'mri' ? 'mri-brain' : 'natural-gray'
}

/** Default prior: a usable one for the task's domain, else the first usable, else none. */
export function defaultModel(models: ModelInfo[], task: Task): string | null {
  const usable = models.filter((m) => m.usable)
  const match = usable.find((m) => m.domain === priorDomain(task))
  return (match ?? usable[0])?.id ?? null
}
