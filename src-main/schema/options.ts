/**
 * The one schema for experiment options, shared by the command line and (later) the IPC
 * boundary of the desktop app: names, types, defaults, bounds and help text live here once,
 * and both front ends parse/validate through it.
 */
import { PATTERN_NAMES, type PatternName } from '../engine/patterns/index.ts'
import { FISTA_TV_DEFAULTS } from '../engine/fista-tv.ts'

export const TASKS = ['mri', 'inpaint', 'blur', 'downsample'] as const
export type Task = (typeof TASKS)[number]

export const METHOD_NAMES = ['zero-filled', 'fista-tv', 'dps', 'mc'] as const
export type MethodName = (typeof METHOD_NAMES)[number]

export const MAPS_OPTIONS = ['espirit', 'simple', 'true'] as const
export type MapsOption = (typeof MAPS_OPTIONS)[number]

/**
 * What measurement consistency enforces at each level: the measured data as they are ('clean',
 * the hard projection) or the data noised to the level of the sample ('noised', Song et al.'s
 * ỹ = y + σA z). 'clean' is the app's default: on training-split brain slices (mri-brain-unet,
 * 50 steps × 4 samples, Poisson and random 8×) it was 0.6–1.1 dB ahead, and on train400
 * inpainting crops ahead as well; 'noised' is exact for a Gaussian prior measured in its
 * eigenbasis (the engine's tests) and is the choice when the data carry noise.
 */
export const MC_DATA = ['clean', 'noised'] as const
export type McData = (typeof MC_DATA)[number]
export const MC_DATA_DEFAULT: McData = 'clean'

export const DOMAINS = ['image', 'kspace'] as const
export type Domain = (typeof DOMAINS)[number]

export interface ReconstructOptions {
  input: string
  domain?: Domain
  series?: number
  slice?: number
  task?: Task
  pattern: PatternName
  acceleration: number
  centerFraction?: number
  seed: number
  kspaceMask?: string
  mask?: string
  blurSigma: number
  factor: number
  noise: number
  coils: number
  maps: MapsOption
  virtualCoils?: number
  methods: MethodName[]
  lambda: number
  iterations: number
  innerIterations: number
  tolerance: number
  model?: string
  /** Absent: each method's own default (DIFFUSION_DEFAULTS). */
  steps?: number
  samples?: number
  zeta?: number
  lambdaMc: number
  mcData: McData
  out: string
  overwrite: boolean
}

export interface PatternCommandOptions {
  pattern: PatternName
  shape: [number, number]
  acceleration: number
  centerFraction?: number
  seed: number
  out: string
  overwrite: boolean
}

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'list' | 'shape'

export interface OptionSpec {
  /** camelCase key in the options object; the flag is its kebab-case form. */
  key: string
  kind: Kind
  help: string
  values?: readonly string[]
  default?: unknown
  min?: number
  max?: number
  required?: boolean
}

/**
 * Steps and posterior samples per diffusion method when none are given (CLI and app alike).
 * MC draws true posterior samples, so one sample carries the posterior's full spread and
 * scores about a sample's worth of variance below the posterior mean; the mean of 4 samples
 * at 50 steps is +0.9 to +1.3 dB over 1 sample at 100 steps on training-split brain slices
 * (Poisson and Cartesian random 4×) for twice the time, and gives a usable std map. DPS's
 * samples differ less (its guidance collapses the variance), but their mean still pays: 2
 * samples at 100 steps were +0.8 to +1.0 dB over 1 on training slices (Poisson 8×, random 4×)
 * and +0.2 to +0.7 dB on train400 inpainting (70 % random pixels, 80² box), ahead of 4 × 50
 * on MRI; about 39 s at 256² on 2 cores. (4 × 50 looked better for inpainting on 3 training
 * crops but tied with 2 × 100 on 6 held-out BSD68 crops, so one default serves every task.)
 */
export const DIFFUSION_DEFAULTS = {
  dps: { steps: 100, samples: 2 },
  mc: { steps: 50, samples: 4 }
} as const

export const RECONSTRUCT_SPEC: OptionSpec[] = [
  { key: 'domain', kind: 'enum', values: DOMAINS, help: 'what a .npy/.npz/.cfl input holds (default: image for NumPy, k-space for BART cfl)' },
  { key: 'series', kind: 'integer', min: 0, max: 100000, help: 'which series/scan of a folder or multi-series input (default 0; see inspect)' },
  { key: 'slice', kind: 'integer', min: 0, max: 1000000, help: 'which slice/frame of a volume (default: the middle one)' },
  { key: 'task', kind: 'enum', values: TASKS, help: 'forward model; default: mri, or inpaint when --mask is given' },
  { key: 'pattern', kind: 'enum', values: PATTERN_NAMES, default: 'poisson', help: 'k-space undersampling pattern (mri)' },
  { key: 'acceleration', kind: 'number', default: 4, min: 1, max: 1000, help: 'requested acceleration R (mri)' },
  { key: 'centerFraction', kind: 'number', min: 0, max: 0.99, help: 'fully sampled centre fraction (default depends on pattern and R)' },
  { key: 'seed', kind: 'integer', default: 0, min: 0, max: 2 ** 31 - 1, help: 'seed for pattern and noise' },
  { key: 'kspaceMask', kind: 'string', help: 'k-space mask file .png/.npy (1/white = sampled), instead of --pattern' },
  { key: 'mask', kind: 'string', help: 'inpainting mask .png/.npy (white/1 = missing pixel)' },
  { key: 'blurSigma', kind: 'number', default: 2, min: 0.1, max: 50, help: 'Gaussian blur σ in pixels (blur)' },
  { key: 'factor', kind: 'integer', default: 2, min: 1, max: 32, help: 'downsampling factor (downsample)' },
  { key: 'noise', kind: 'number', default: 0, min: 0, max: 10, help: 'measurement noise σ relative to max |reference|' },
  { key: 'coils', kind: 'integer', default: 1, min: 1, max: 32, help: 'simulate this many receive coils (synthetic sensitivities) from an image input (mri)' },
  { key: 'virtualCoils', kind: 'integer', min: 1, max: 64, help: 'compress multi-coil data to this many virtual coils (SVD) for speed' },
  { key: 'maps', kind: 'enum', values: MAPS_OPTIONS, default: 'espirit', help: 'coil sensitivities for multi-coil data: ESPIRiT, a simple low-resolution estimate, or the true synthetic maps (simulations only)' },
  { key: 'methods', kind: 'list', values: METHOD_NAMES, default: ['zero-filled', 'fista-tv'], help: 'comma-separated methods' },
  { key: 'lambda', kind: 'number', default: FISTA_TV_DEFAULTS.lambda, min: 0, max: 100, help: 'FISTA-TV λ relative to the data scale' },
  { key: 'iterations', kind: 'integer', default: FISTA_TV_DEFAULTS.maxIterations, min: 1, max: 100000, help: 'FISTA-TV iteration cap' },
  { key: 'innerIterations', kind: 'integer', default: FISTA_TV_DEFAULTS.innerIterations, min: 1, max: 1000, help: 'TV prox (FGP) iterations per step' },
  { key: 'tolerance', kind: 'number', default: FISTA_TV_DEFAULTS.tolerance, min: 0, max: 1, help: 'stop when the relative change falls below this' },
  { key: 'model', kind: 'string', help: 'diffusion prior id for dps/mc (default: the installed prior for the task: mri-brain or natural-gray)' },
  { key: 'steps', kind: 'integer', min: 1, max: 10000, help: `diffusion sampling steps for both dps and mc (default: each method’s own, dps ${DIFFUSION_DEFAULTS.dps.steps}, mc ${DIFFUSION_DEFAULTS.mc.steps})` },
  { key: 'samples', kind: 'integer', min: 1, max: 1000, help: `posterior samples for both dps and mc (default: dps ${DIFFUSION_DEFAULTS.dps.samples}, mc ${DIFFUSION_DEFAULTS.mc.samples}); their mean is the result, their std is saved` },
  { key: 'zeta', kind: 'number', min: 0, max: 1e6, help: 'DPS guidance step ζ (normalised by ‖y − A x̂₀‖; default 18·√(HW)/256, capped at a Landweber step)' },
  { key: 'lambdaMc', kind: 'number', default: 1, min: 0, max: 1, help: 'measurement-consistency weight λ in [0, 1]' },
  { key: 'mcData', kind: 'enum', values: MC_DATA, default: MC_DATA_DEFAULT, help: 'measurement consistency enforces the measured data as is (clean) or noised to each level as in Song et al. 2022 (noised)' },
  { key: 'out', kind: 'string', default: 'recon-out', help: 'output directory' },
  { key: 'overwrite', kind: 'boolean', default: false, help: 'replace existing files in the output directory' }
]

export const PATTERN_SPEC: OptionSpec[] = [
  { key: 'pattern', kind: 'enum', values: PATTERN_NAMES, default: 'poisson', help: 'undersampling pattern' },
  { key: 'shape', kind: 'shape', required: true, help: 'grid size HxW, e.g. 256x256' },
  { key: 'acceleration', kind: 'number', default: 4, min: 1, max: 1000, help: 'requested acceleration R' },
  { key: 'centerFraction', kind: 'number', min: 0, max: 0.99, help: 'fully sampled centre fraction' },
  { key: 'seed', kind: 'integer', default: 0, min: 0, max: 2 ** 31 - 1, help: 'random seed' },
  { key: 'out', kind: 'string', required: true, help: 'output mask file (.png or .npy)' },
  { key: 'overwrite', kind: 'boolean', default: false, help: 'replace an existing file' }
]

export interface InspectOptions {
  json: boolean
  domain?: Domain
}

export const INSPECT_SPEC: OptionSpec[] = [
  { key: 'json', kind: 'boolean', default: false, help: 'print JSON instead of text' },
  { key: 'domain', kind: 'enum', values: DOMAINS, help: 'what a .npy/.npz/.cfl input holds' }
]

export interface ConvertOptions {
  domain?: Domain
  series?: number
  slice?: number
  bitDepth: 8 | 16
  overwrite: boolean
}

export const CONVERT_SPEC: OptionSpec[] = [
  { key: 'domain', kind: 'enum', values: DOMAINS, help: 'what a .npy/.npz/.cfl input holds' },
  { key: 'series', kind: 'integer', min: 0, max: 100000, help: 'which series/scan to convert (default 0)' },
  { key: 'slice', kind: 'integer', min: 0, max: 1000000, help: 'which slice/frame for PNG output (default: the middle one)' },
  { key: 'bitDepth', kind: 'integer', default: 8, min: 8, max: 16, help: 'PNG bit depth: 8 (windowed for display) or 16 (linear, full range)' },
  { key: 'overwrite', kind: 'boolean', default: false, help: 'replace an existing output' }
]

export class OptionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OptionError'
  }
}

export function flagName(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
}

/** Validate and coerce one raw value (string from argv, or any JSON value from IPC). */
export function coerceOption(spec: OptionSpec, raw: unknown): unknown {
  const flag = flagName(spec.key)
  switch (spec.kind) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw
      if (raw === 'true' || raw === '1') return true
      if (raw === 'false' || raw === '0') return false
      throw new OptionError(`${flag} must be true or false`)
    case 'string':
      if (typeof raw !== 'string' || raw.length === 0) throw new OptionError(`${flag} needs a value`)
      return raw
    case 'enum':
      if (typeof raw !== 'string' || !spec.values!.includes(raw)) {
        throw new OptionError(`${flag} must be one of ${spec.values!.join(', ')}; got '${String(raw)}'`)
      }
      return raw
    case 'list': {
      const items = Array.isArray(raw) ? raw : String(raw).split(',').map((s) => s.trim()).filter(Boolean)
      if (items.length === 0) throw new OptionError(`${flag} needs at least one value`)
      for (const it of items) {
        if (!spec.values!.includes(it)) throw new OptionError(`${flag}: unknown value '${it}'; choose from ${spec.values!.join(', ')}`)
      }
      return [...new Set(items)]
    }
    case 'shape': {
      const m = /^(\d+)[x×](\d+)$/.exec(String(raw))
      if (!m) throw new OptionError(`${flag} must look like HxW, e.g. 256x256; got '${String(raw)}'`)
      const s = [Number(m[1]), Number(m[2])]
      if (s.some((v) => v < 1 || v > 8192)) throw new OptionError(`${flag}: each side must be between 1 and 8192`)
      return s
    }
    case 'number':
    case 'integer': {
      const v = typeof raw === 'number' ? raw : Number(raw)
      if (typeof raw === 'string' && raw.trim() === '') throw new OptionError(`${flag} needs a number`)
      if (!Number.isFinite(v)) throw new OptionError(`${flag} must be a finite number; got '${String(raw)}'`)
      if (spec.kind === 'integer' && !Number.isInteger(v)) throw new OptionError(`${flag} must be an integer; got ${v}`)
      if (spec.min !== undefined && v < spec.min) throw new OptionError(`${flag} must be ≥ ${spec.min}; got ${v}`)
      if (spec.max !== undefined && v > spec.max) throw new OptionError(`${flag} must be ≤ ${spec.max}; got ${v}`)
      return v
    }
  }
}

/** Apply defaults and validation to a partial options object (the IPC path). */
export function resolveOptions<T>(spec: OptionSpec[], raw: Record<string, unknown>): T {
  const out: Record<string, unknown> = {}
  const known = new Set(spec.map((s) => s.key))
  for (const k of Object.keys(raw)) {
    if (!known.has(k) && k !== 'input') throw new OptionError(`unknown option ${flagName(k)}`)
  }
  for (const s of spec) {
    const v = raw[s.key]
    if (v === undefined) {
      if (s.required) throw new OptionError(`${flagName(s.key)} is required`)
      if (s.default !== undefined) out[s.key] = Array.isArray(s.default) ? [...s.default] : s.default
      continue
    }
    out[s.key] = coerceOption(s, v)
  }
  if (raw.input !== undefined) out.input = raw.input
  return out as T
}

/** Parse `--flag value`, `--flag=value` and bare boolean flags into a raw object plus positionals. */
export function parseArgv(spec: OptionSpec[], argv: string[]): { raw: Record<string, unknown>; positionals: string[] } {
  const byFlag = new Map(spec.map((s) => [flagName(s.key), s]))
  const raw: Record<string, unknown> = {}
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) {
      positionals.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const flag = eq >= 0 ? a.slice(0, eq) : a
    const s = byFlag.get(flag)
    if (!s) throw new OptionError(`unknown option ${flag} (see --help)`)
    if (eq >= 0) raw[s.key] = a.slice(eq + 1)
    else if (s.kind === 'boolean') raw[s.key] = true
    else {
      // `--out --overwrite` is a forgotten value, not a directory named "--overwrite";
      // a value that really starts with -- can be given as --flag=value.
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new OptionError(`${flag} needs a value`)
      raw[s.key] = argv[++i]
    }
  }
  return { raw, positionals }
}

export function helpText(spec: OptionSpec[]): string {
  return spec
    .map((s) => {
      const arg = s.kind === 'boolean' ? '' : s.kind === 'enum' || s.kind === 'list' ? ` <${s.values!.join('|')}>` : ` <${s.kind}>`
      const def = s.default !== undefined ? ` (default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})` : ''
      return `  ${flagName(s.key)}${arg}\n      ${s.help}${def}`
    })
    .join('\n')
}
