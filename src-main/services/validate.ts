/**
 * Validation of everything that reaches the services, shared by the WorkbenchService and the
 * transports (Electron IPC, the local HTTP bridge): the API is reachable from a browser page,
 * so every argument is checked for type, range and size, and a bad one becomes an ApiError
 * with a message that names the field — never an exception from deep inside the engine.
 *
 * Ranges are those of the CLI's option schema (RECONSTRUCT_SPEC), so a value the app accepts
 * is one the command line accepts too. Absent optional fields take the schema's defaults;
 * unknown fields are refused (they are a caller's bug, and the boundary stays narrow).
 *
 * Error codes: 'bad-request' (a bad argument or an unusable input: HTTP 400), 'not-found'
 * (unknown scan/run id or path: 404), 'too-large' (an upload over the cap).
 */
import * as path from 'node:path'
import {
  ApiError,
  EXPORT_FORMATS,
  type ApiMethod,
  type ExperimentSetup,
  type ExportFormat,
  type ExportRequest,
  type FileUpload,
  type MethodSettings,
  type RunRequest,
  type Settings,
  type SliceRequest
} from '../api/contract.ts'
import { DIFFUSION_DEFAULTS, METHOD_NAMES, RECONSTRUCT_SPEC, TASKS, type MethodName, type OptionSpec } from '../schema/options.ts'

export const BAD_REQUEST = 'bad-request'
export const NOT_FOUND = 'not-found'
export const TOO_LARGE = 'too-large'

/** Total size of one openFiles call. */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3
/** Files in one openFiles call (a DICOM folder of a few thousand slices fits). */
export const MAX_UPLOAD_FILES = 100_000
export const MAX_PATH_LENGTH = 4096
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'dml', 'coreml'] as const
export const RUN_METHODS = METHOD_NAMES.filter((m): m is Exclude<MethodName, 'zero-filled'> => m !== 'zero-filled')
export const MAX_THREADS = 64

export function badRequest(message: string): ApiError {
  return new ApiError(message, BAD_REQUEST)
}

type Obj = Record<string, unknown>

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v)
}

function object(v: unknown, what: string, allowed: readonly string[]): Obj {
  if (!isObject(v)) throw badRequest(`${what} must be an object`)
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw badRequest(`${what}: unknown field "${k}" (expected ${allowed.join(', ')})`)
  }
  return v
}

function str(v: unknown, what: string, max = MAX_PATH_LENGTH): string {
  if (typeof v !== 'string' || v.length === 0) throw badRequest(`${what} must be a non-empty string`)
  if (v.length > max) throw badRequest(`${what} is longer than ${max} characters`)
  if (v.includes('\0')) throw badRequest(`${what} must not contain NUL characters`)
  return v
}

function oneOf<T extends string>(v: unknown, values: readonly T[], what: string): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw badRequest(`${what} must be one of ${values.join(', ')}; got ${JSON.stringify(v) ?? String(v)}`)
  }
  return v as T
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw badRequest(`${what} must be true or false`)
  return v
}

function integer(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badRequest(`${what} must be an integer; got ${describe(v)}`)
  if (v < min || v > max) throw badRequest(`${what} must be between ${min} and ${max}; got ${v}`)
  return v
}

function describe(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (ArrayBuffer.isView(v)) return v.constructor.name
  return typeof v
}

const SPEC = new Map<string, OptionSpec>(RECONSTRUCT_SPEC.map((s) => [s.key, s]))

/** A number or integer option of RECONSTRUCT_SPEC: its type and bounds; its default when absent. */
function option(o: Obj, key: string, what: string, required = true): number | undefined {
  const s = SPEC.get(key)
  if (!s || (s.kind !== 'number' && s.kind !== 'integer')) throw new Error(`validate: ${key} is not a numeric option`)
  const v = o[key]
  const name = `${what}.${key}`
  if (v === undefined || v === null) {
    if (s.default !== undefined) return s.default as number
    if (required) throw badRequest(`${name} is required`)
    return undefined
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`${name} must be a finite number; got ${describe(v)}`)
  if (s.kind === 'integer' && !Number.isInteger(v)) throw badRequest(`${name} must be an integer; got ${v}`)
  if (s.min !== undefined && v < s.min) throw badRequest(`${name} must be ≥ ${s.min}; got ${v}`)
  if (s.max !== undefined && v > s.max) throw badRequest(`${name} must be ≤ ${s.max}; got ${v}`)
  return v
}

/** An enum option of RECONSTRUCT_SPEC: one of its values; its default when absent. */
function choice<T extends string>(o: Obj, key: string, what: string): T {
  const s = SPEC.get(key)
  if (!s || s.kind !== 'enum' || !s.values || s.default === undefined) throw new Error(`validate: ${key} is not an enum option with a default`)
  return (o[key] === undefined ? s.default : oneOf(o[key], s.values, `${what}.${key}`)) as T
}

/** A scan or run handle: short, printable. */
export function validateId(v: unknown, what: string): string {
  const id = str(v, what, 200)
  if (!/^[A-Za-z0-9._:-]+$/.test(id)) throw badRequest(`${what} ${JSON.stringify(id)} is not a valid id`)
  return id
}

/** A path on the machine running the services (openPath, export folders). */
export function validatePath(v: unknown, what = 'path', { absolute = false } = {}): string {
  const p = str(v, what)
  if (absolute && !path.isAbsolute(p)) throw badRequest(`${what} must be an absolute path; got ${JSON.stringify(p)}`)
  return p
}

export interface ValidUpload {
  /** Path segments below the upload folder, each a plain name (no "..", no separators). */
  segments: string[]
  bytes: Uint8Array
}

/**
 * Uploaded files: a non-empty list of { name, bytes }, names relative ("dir/IM1.dcm") without
 * "..", absolute paths, drive letters or control characters, no duplicates, at most
 * `maxBytes` in all.
 */
export function validateUploads(v: unknown, maxBytes = MAX_UPLOAD_BYTES): ValidUpload[] {
  if (!Array.isArray(v) || v.length === 0) throw badRequest('files must be a non-empty list of { name, bytes }')
  if (v.length > MAX_UPLOAD_FILES) throw new ApiError(`too many files (${v.length}); at most ${MAX_UPLOAD_FILES} can be opened at once`, TOO_LARGE)
  let total = 0
  const seen = new Set<string>()
  const out: ValidUpload[] = []
  v.forEach((f: unknown, i) => {
    const what = `files[${i}]`
    const o = object(f, what, ['name', 'bytes'] satisfies (keyof FileUpload)[])
    const name = str(o.name, `${what}.name`, 1024)
    if (!(o.bytes instanceof Uint8Array)) throw badRequest(`${what}.bytes must be a Uint8Array; got ${describe(o.bytes)}`)
    if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) throw badRequest(`${what}.name ${JSON.stringify(name)} must be a relative name, not an absolute path`)
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(name)) throw badRequest(`${what}.name ${JSON.stringify(name)} contains control characters`)
    const segments = name.split(/[/\\]/).filter((s) => s !== '' && s !== '.')
    if (segments.length === 0) throw badRequest(`${what}.name ${JSON.stringify(name)} names no file`)
    if (segments.some((s) => s === '..')) throw badRequest(`${what}.name ${JSON.stringify(name)} must not contain ".."`)
    const key = segments.join('/')
    if (seen.has(key)) throw badRequest(`${what}.name ${JSON.stringify(name)} appears twice`)
    seen.add(key)
    total += o.bytes.byteLength
    if (total > maxBytes) {
      throw new ApiError(`the files are larger than the ${formatBytes(maxBytes)} an upload may hold; open them from disk instead`, TOO_LARGE)
    }
    out.push({ segments, bytes: o.bytes })
  })
  // "a/b" and "a/b/c" cannot both be files.
  for (const u of out) {
    for (let k = 1; k < u.segments.length; k++) {
      const prefix = u.segments.slice(0, k).join('/')
      if (seen.has(prefix)) throw badRequest(`"${prefix}" is both a file and a folder in the upload`)
    }
  }
  return out
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GiB`
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MiB`
  return `${n} bytes`
}

export function validateSliceRequest(v: unknown): SliceRequest {
  const o = object(v, 'slice request', ['scanId', 'series', 'slice'])
  return {
    scanId: validateId(o.scanId, 'scanId'),
    series: integer(o.series ?? 0, 'series', 0, 100000),
    slice: o.slice === undefined || o.slice === null ? undefined : integer(o.slice, 'slice', 0, 1000000)
  }
}

/** `{ coils?: boolean }` / `{ maps?: boolean }`: the optional second argument of slice / previewMeasurement. */
export function validateFlags<K extends string>(v: unknown, key: K, what: string): { [P in K]?: boolean } {
  if (v === undefined || v === null) return {}
  const o = object(v, what, [key])
  return o[key] === undefined ? {} : ({ [key]: bool(o[key], `${what}.${key}`) } as { [P in K]?: boolean })
}

const SETUP_KEYS = [
  'scanId', 'series', 'slice', 'task', 'pattern', 'acceleration', 'centerFraction', 'seed', 'noise', 'blurSigma', 'factor',
  'coils', 'maps', 'virtualCoils', 'paintedMask'
] as const satisfies readonly (keyof ExperimentSetup)[]

/**
 * An experiment setup, with the schema's defaults for absent fields. Size-dependent checks (the
 * painted mask's length against the image) are the service's, which knows the image.
 */
export function validateExperimentSetup(v: unknown, what = 'setup'): ExperimentSetup {
  const o = object(v, what, SETUP_KEYS)
  const task = o.task === undefined ? (o.paintedMask !== undefined ? 'inpaint' : 'mri') : oneOf(o.task, TASKS, `${what}.task`)
  const setup: ExperimentSetup = {
    scanId: validateId(o.scanId, `${what}.scanId`),
    series: option(o, 'series', what, false) ?? 0,
    slice: option(o, 'slice', what, false),
    task,
    pattern: choice(o, 'pattern', what),
    acceleration: option(o, 'acceleration', what)!,
    centerFraction: option(o, 'centerFraction', what, false),
    seed: option(o, 'seed', what)!,
    noise: option(o, 'noise', what)!,
    blurSigma: option(o, 'blurSigma', what)!,
    factor: option(o, 'factor', what)!,
    coils: option(o, 'coils', what)!,
    maps: choice(o, 'maps', what),
    virtualCoils: option(o, 'virtualCoils', what, false)
  }
  if (o.paintedMask !== undefined && o.paintedMask !== null) {
    if (!(o.paintedMask instanceof Uint8Array)) throw badRequest(`${what}.paintedMask must be a Uint8Array (height×width, 1 = missing); got ${describe(o.paintedMask)}`)
    setup.paintedMask = o.paintedMask
  }
  if (setup.task === 'inpaint' && !setup.paintedMask) throw badRequest(`${what}: inpainting needs a painted mask (paintedMask, 1 = missing pixel)`)
  if (setup.task !== 'inpaint' && setup.paintedMask) throw badRequest(`${what}.paintedMask is the inpainting mask; it only applies to task 'inpaint', not '${setup.task}'`)
  if (setup.coils > 1 && setup.task !== 'mri') throw badRequest(`${what}.coils: simulated coils apply to MRI only, not task '${setup.task}'`)
  if (setup.maps === 'true' && setup.coils < 2) throw badRequest(`${what}.maps 'true' (the true synthetic maps) needs simulated coils (coils ≥ 2)`)
  if (setup.virtualCoils !== undefined && setup.maps === 'true') throw badRequest(`${what}: coil compression (virtualCoils) cannot be combined with the true synthetic maps`)
  return setup
}

const METHOD_SETTINGS_KEYS = [
  'methods', 'lambda', 'iterations', 'innerIterations', 'tolerance', 'model', 'dps', 'mc'
] as const satisfies readonly (keyof MethodSettings)[]
const DPS_KEYS = ['steps', 'samples', 'zeta'] as const satisfies readonly (keyof MethodSettings['dps'])[]
const MC_KEYS = ['steps', 'samples', 'lambdaMc', 'mcData'] as const satisfies readonly (keyof MethodSettings['mc'])[]

/** A model id as cards spell them. */
export function validateModelId(v: unknown, what: string): string {
  const id = str(v, what, 128)
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw badRequest(`${what} ${JSON.stringify(id)} is not a valid model id`)
  return id
}

function methodList(v: unknown, what: string): Exclude<MethodName, 'zero-filled'>[] {
  if (!Array.isArray(v)) throw badRequest(`${what} must be a list of method names (${RUN_METHODS.join(', ')})`)
  const out: Exclude<MethodName, 'zero-filled'>[] = []
  for (const m of v) {
    if (m === 'zero-filled') continue // always computed
    const name = oneOf(m, RUN_METHODS, `${what} entry`)
    if (!out.includes(name)) out.push(name)
  }
  return out
}

export function validateMethodSettings(v: unknown, what = 'settings'): MethodSettings {
  const o = object(v, what, METHOD_SETTINGS_KEYS)
  return {
    methods: o.methods === undefined ? ['fista-tv'] : methodList(o.methods, `${what}.methods`),
    lambda: option(o, 'lambda', what)!,
    iterations: option(o, 'iterations', what)!,
    innerIterations: option(o, 'innerIterations', what)!,
    tolerance: option(o, 'tolerance', what)!,
    model: o.model === undefined || o.model === null ? undefined : validateModelId(o.model, `${what}.model`),
    dps: dpsSettings(o.dps, `${what}.dps`),
    mc: mcSettings(o.mc, `${what}.mc`)
  }
}

/** DPS's own steps, samples and ζ; absent fields (or an absent object) take the schema's defaults. */
function dpsSettings(v: unknown, what: string): MethodSettings['dps'] {
  const o = object(v ?? {}, what, DPS_KEYS)
  const out: MethodSettings['dps'] = {
    steps: option(o, 'steps', what, false) ?? DIFFUSION_DEFAULTS.dps.steps,
    samples: option(o, 'samples', what, false) ?? DIFFUSION_DEFAULTS.dps.samples
  }
  const zeta = option(o, 'zeta', what, false)
  if (zeta !== undefined) out.zeta = zeta
  return out
}

/** Measurement consistency's own steps, samples and λ; absent fields take the schema's defaults. */
function mcSettings(v: unknown, what: string): MethodSettings['mc'] {
  const o = object(v ?? {}, what, MC_KEYS)
  return {
    steps: option(o, 'steps', what, false) ?? DIFFUSION_DEFAULTS.mc.steps,
    samples: option(o, 'samples', what, false) ?? DIFFUSION_DEFAULTS.mc.samples,
    lambdaMc: option(o, 'lambdaMc', what)!,
    mcData: choice(o, 'mcData', what)
  }
}

export function validateRunRequest(v: unknown): RunRequest {
  const o = object(v, 'run request', ['setup', 'settings'])
  return { setup: validateExperimentSetup(o.setup, 'setup'), settings: validateMethodSettings(o.settings ?? {}, 'settings') }
}

export function validateExportRequest(v: unknown): ExportRequest {
  const o = object(v, 'export request', ['runId', 'folder', 'formats', 'overwrite'] satisfies (keyof ExportRequest)[])
  if (!Array.isArray(o.formats) || o.formats.length === 0) throw badRequest(`formats must be a non-empty list (${EXPORT_FORMATS.join(', ')})`)
  const formats: ExportFormat[] = []
  for (const f of o.formats) {
    const fmt = oneOf(f, EXPORT_FORMATS, 'formats entry')
    if (!formats.includes(fmt)) formats.push(fmt)
  }
  return {
    runId: validateId(o.runId, 'runId'),
    folder: o.folder === undefined || o.folder === null ? undefined : validatePath(o.folder, 'folder', { absolute: true }),
    formats,
    overwrite: o.overwrite === undefined ? undefined : bool(o.overwrite, 'overwrite')
  }
}

const SETTINGS_KEYS = ['threads', 'executionProvider', 'modelsFolder', 'defaultMethods', 'exportFolder'] as const satisfies readonly (keyof Settings)[]

/** A settings patch: any subset of Settings, each value checked. */
export function validateSettingsPatch(v: unknown, what = 'settings'): Partial<Settings> {
  const o = object(v, what, SETTINGS_KEYS)
  const out: Partial<Settings> = {}
  if (o.threads !== undefined) out.threads = integer(o.threads, `${what}.threads`, 1, MAX_THREADS)
  if (o.executionProvider !== undefined) out.executionProvider = oneOf(o.executionProvider, EXECUTION_PROVIDERS, `${what}.executionProvider`)
  if (o.modelsFolder !== undefined) out.modelsFolder = o.modelsFolder === null ? null : validatePath(o.modelsFolder, `${what}.modelsFolder`, { absolute: true })
  if (o.defaultMethods !== undefined) out.defaultMethods = methodList(o.defaultMethods, `${what}.defaultMethods`)
  if (o.exportFolder !== undefined) out.exportFolder = validatePath(o.exportFolder, `${what}.exportFolder`, { absolute: true })
  return out
}

/**
 * A settings file's contents: a (possibly partial) Settings object. Keys this version does not
 * know (written by a newer one) are ignored rather than refused.
 */
export function validateSettings(v: unknown): Partial<Settings> {
  if (!isObject(v)) throw badRequest('settings must be an object')
  const known = Object.fromEntries(Object.entries(v).filter(([k]) => (SETTINGS_KEYS as readonly string[]).includes(k)))
  return validateSettingsPatch(known, 'settings')
}

/** A mask sent with a request must cover the image exactly. */
export function checkMaskLength(mask: Uint8Array, height: number, width: number, what: string): void {
  if (mask.length !== height * width) {
    throw badRequest(`${what} has ${mask.length} pixels but the image is ${height}×${width} = ${height * width}`)
  }
}

type Check = (v: unknown) => unknown

/**
 * Per API method: the checks of its required, then its optional arguments. The transports apply
 * them before a call reaches the service (src-main/web/dispatch.ts); the WorkbenchService runs
 * the same validators on each argument itself.
 */
export const API_ARGUMENTS: Record<ApiMethod, { required: Check[]; optional?: Check[] }> = {
  info: { required: [] },
  openFiles: { required: [(v) => validateUploads(v)] },
  openPath: { required: [(v) => validatePath(v, 'path', { absolute: true })] },
  recentFiles: { required: [] },
  slice: { required: [validateSliceRequest], optional: [(v) => validateFlags(v, 'coils', 'options')] },
  previewMeasurement: { required: [(v) => validateExperimentSetup(v)], optional: [(v) => validateFlags(v, 'maps', 'options')] },
  startRun: { required: [validateRunRequest] },
  cancelRun: { required: [(v) => validateId(v, 'runId')] },
  getRun: { required: [(v) => validateId(v, 'runId')] },
  exportRun: { required: [validateExportRequest] },
  listModels: { required: [] },
  getSettings: { required: [] },
  setSettings: { required: [(v) => validateSettingsPatch(v)] }
}
