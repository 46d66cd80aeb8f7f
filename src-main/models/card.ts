/**
 * Model cards: `models/<id>.json` beside the ONNX files they describe. The card is what the app
 * trusts about a prior (sizes, sigma range, hashes), so it is validated field by field and every
 * problem is reported at once, with its JSON path.
 */
import { ModelError } from './errors.ts'

export const MODEL_DOMAINS = ['mri-brain', 'natural-gray', 'test'] as const
export type ModelDomain = (typeof MODEL_DOMAINS)[number]
/**
 * denoiser: D(x, σ). vjp: D and J_Dᵀr fused (x, σ, r). saving + pullback: the same VJP split in
 * two (x, σ → D, saved_*; σ, r, saved_* → J_Dᵀr) so DPS, which needs D before it knows r, pays
 * one forward and one backward per step rather than a forward plus the fused graph.
 */
export type ModelFileKind = 'denoiser' | 'vjp' | 'saving' | 'pullback'
export const MODEL_FILE_KINDS: readonly ModelFileKind[] = ['denoiser', 'vjp', 'saving', 'pullback']

export interface ModelTiming {
  /** e.g. "onnxruntime-node 1.30.0, CPU EP, 2 intra-op threads" */
  runtime: string
  machine: string
  /** Square image side the timings were taken at. */
  size: number
  forward_s: number
  vjp_s: number | null
  /** The network part of one DPS step: saving + pullback when the card has them, else forward + vjp. */
  dps_step_s?: number | null
  measured: string
}

export interface ModelCard {
  schema: 1
  id: string
  domain: ModelDomain
  description: string
  parameters: number
  training: { data: string; licences: string[]; steps: number | null; time_s: number | null }
  normalisation: { range: [number, number]; description?: string }
  /** EDM preconditioning lives inside the graphs; sigma is in image units. */
  sigma: { min: number; max: number; data: number; parameterisation: 'edm' }
  /** NCHW float32, one channel; H and W must be multiples of `multiple` (2^levels). */
  input: { layout: 'NCHW'; channels: 1; multiple: number }
  /** Paths relative to the folder holding the card. */
  files: { denoiser: string; vjp?: string; saving?: string; pullback?: string }
  sha256: { denoiser: string; vjp?: string; saving?: string; pullback?: string }
  validation: { psnr: { sigma: number; psnr_db: number | null }[] } | null
  timing: ModelTiming | null
}

type Json = Record<string, unknown>

/** Collects problems instead of stopping at the first, so one edit fixes a card. */
class Checker {
  readonly problems: string[] = []

  private fail(path: string, want: string, got: unknown): undefined {
    this.problems.push(`${path}: expected ${want}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`)
    return undefined
  }

  obj(parent: Json, key: string, path = key): Json | undefined {
    const v = parent[key]
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : this.fail(path, 'an object', v)
  }

  str(parent: Json, key: string, path: string, pattern?: RegExp, want = 'a non-empty string'): string | undefined {
    const v = parent[key]
    if (typeof v !== 'string' || v.trim() === '' || (pattern && !pattern.test(v))) return this.fail(path, want, v)
    return v
  }

  num(parent: Json, key: string, path: string, opts: { positive?: boolean; integer?: boolean; nullable?: boolean } = {}): void {
    const v = parent[key]
    if (v === null && opts.nullable) return
    const ok = typeof v === 'number' && Number.isFinite(v) && (!opts.positive || v > 0) && (!opts.integer || Number.isInteger(v))
    if (!ok) {
      const want = `${opts.positive ? 'a positive ' : 'a '}${opts.integer ? 'integer' : 'number'}${opts.nullable ? ' or null' : ''}`
      this.fail(path, want, v)
    }
  }

  oneOf(parent: Json, key: string, path: string, allowed: readonly unknown[]): void {
    if (!allowed.includes(parent[key])) this.fail(path, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, parent[key])
  }
}

/** A relative path inside the card's folder: no absolute paths, no `..`, no backslashes. */
const SAFE_ONNX_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+\.onnx$/
const SHA256 = /^[0-9a-f]{64}$/
export const MODEL_ID = /^[a-z0-9][a-z0-9._-]*$/

/** Validates parsed JSON as a model card; throws a ModelError listing every problem. */
export function parseModelCard(value: unknown, source: string): ModelCard {
  const c = new Checker()
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelError('card', `model card ${source} is invalid: expected a JSON object`)
  }
  const card = value as Json
  c.oneOf(card, 'schema', 'schema', [1])
  c.str(card, 'id', 'id', MODEL_ID, 'an id of lower-case letters, digits, ".", "_" and "-"')
  c.oneOf(card, 'domain', 'domain', MODEL_DOMAINS)
  c.str(card, 'description', 'description')
  c.num(card, 'parameters', 'parameters', { positive: true, integer: true })

  const training = c.obj(card, 'training')
  if (training) {
    c.str(training, 'data', 'training.data')
    const lic = training.licences
    if (!Array.isArray(lic) || lic.length === 0 || !lic.every((l) => typeof l === 'string' && l.trim() !== '')) {
      c.problems.push(`training.licences: expected a non-empty array of strings, got ${JSON.stringify(lic)}`)
    }
    c.num(training, 'steps', 'training.steps', { integer: true, nullable: true })
    c.num(training, 'time_s', 'training.time_s', { nullable: true })
  }

  const norm = c.obj(card, 'normalisation')
  if (norm) {
    const r = norm.range
    const ok = Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === 'number' && Number.isFinite(v)) && r[0] < r[1]
    if (!ok) c.problems.push(`normalisation.range: expected [low, high] with low < high, got ${JSON.stringify(r)}`)
  }

  const sigma = c.obj(card, 'sigma')
  if (sigma) {
    for (const k of ['min', 'max', 'data']) c.num(sigma, k, `sigma.${k}`, { positive: true })
    c.oneOf(sigma, 'parameterisation', 'sigma.parameterisation', ['edm'])
    if (typeof sigma.min === 'number' && typeof sigma.max === 'number' && !(sigma.min < sigma.max)) {
      c.problems.push(`sigma: expected min < max, got min ${sigma.min} and max ${sigma.max}`)
    }
  }

  const input = c.obj(card, 'input')
  if (input) {
    c.oneOf(input, 'layout', 'input.layout', ['NCHW'])
    c.oneOf(input, 'channels', 'input.channels', [1])
    const m = input.multiple
    if (!(typeof m === 'number' && Number.isInteger(m) && m >= 1 && (m & (m - 1)) === 0)) {
      c.problems.push(`input.multiple: expected a power of two (2^levels), got ${JSON.stringify(m)}`)
    }
  }

  const files = c.obj(card, 'files')
  const hashes = c.obj(card, 'sha256')
  if (files && hashes) {
    for (const kind of MODEL_FILE_KINDS) {
      // Only the denoiser is required: a prior may lack gradient graphs.
      if (kind !== 'denoiser' && files[kind] === undefined && hashes[kind] === undefined) continue
      c.str(files, kind, `files.${kind}`, SAFE_ONNX_PATH, 'a relative .onnx path inside the card folder')
      c.str(hashes, kind, `sha256.${kind}`, SHA256, '64 lower-case hex digits')
    }
    if ((files.saving === undefined) !== (files.pullback === undefined)) c.problems.push('files: saving and pullback come as a pair (one is missing)')
    for (const k of Object.keys(files)) {
      if (!(MODEL_FILE_KINDS as readonly string[]).includes(k)) c.problems.push(`files.${k}: unknown file kind (expected ${MODEL_FILE_KINDS.join(', ')})`)
    }
  }

  if (card.validation !== null) {
    const v = c.obj(card, 'validation')
    if (v && !(Array.isArray(v.psnr) && v.psnr.every((p) => typeof p === 'object' && p !== null && typeof (p as Json).sigma === 'number'))) {
      c.problems.push(`validation.psnr: expected an array of {sigma, psnr_db}, got ${JSON.stringify(v.psnr)}`)
    }
  }
  if (card.timing !== null) {
    const t = c.obj(card, 'timing')
    if (t) {
      c.num(t, 'size', 'timing.size', { positive: true, integer: true })
      c.num(t, 'forward_s', 'timing.forward_s', { positive: true })
      c.num(t, 'vjp_s', 'timing.vjp_s', { positive: true, nullable: true })
      if (t.dps_step_s !== undefined) c.num(t, 'dps_step_s', 'timing.dps_step_s', { positive: true, nullable: true })
    }
  }

  if (c.problems.length > 0) {
    throw new ModelError('card', `model card ${source} is invalid:\n  - ${c.problems.join('\n  - ')}`)
  }
  return card as unknown as ModelCard
}
