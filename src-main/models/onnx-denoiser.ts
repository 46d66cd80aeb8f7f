/**
 * A diffusion prior backed by onnxruntime-node: the `Denoiser` the samplers use
 * (src-main/engine/diffusion/denoiser.ts, matched structurally, not imported).
 *
 * Single real image, row-major H×W, [0, 1] units, sigma in the same units. Any H, W: the image
 * is padded to the model's size rule (reflect by default, see padding.ts) and cropped back, and
 * the VJP is the exact adjoint of that padded-then-cropped map.
 *
 * onnxruntime-node runs a session synchronously on the calling thread (its promise only defers
 * the start), so a long sampler belongs in a worker thread, not in Electron's main process.
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node'
import { MODEL_FILE_KINDS, type ModelCard, type ModelFileKind } from './card.ts'
import { ModelError } from './errors.ts'
import { crop, embed, pad, padAdjoint, planPadding, type PadMode, type PadPlan } from './padding.ts'
import { findModel, modelDirs, modelFilePath, readVerifiedModelFile, type ModelEntry } from './registry.ts'
import { createSessions, loadOrt, type ProviderChoice, type SessionSettings } from './session.ts'

export interface OnnxDenoiserOptions extends SessionSettings {
  padding?: PadMode
  /** Extra folder of user models (searched after the shipped models/). */
  userDir?: string
}

export class OnnxDenoiser {
  readonly id: string
  readonly card: ModelCard
  /** Provider the sessions run on, and why any requested one was not used. */
  readonly executionProvider: ProviderChoice
  /** Present only when the card ships a VJP graph, so `if (d.denoiseVjp)` is a real test. */
  readonly denoiseVjp?: (
    x: Float64Array,
    sigma: number,
    r: Float64Array,
    H: number,
    W: number
  ) => Promise<{ denoised: Float64Array; vjp: Float64Array }>
  /** Present only when the card ships the saving + pullback pair (see ModelFileKind). */
  readonly denoiseWithPullback?: (
    x: Float64Array,
    sigma: number,
    H: number,
    W: number
  ) => Promise<{ denoised: Float64Array; pullback: (r: Float64Array) => Promise<Float64Array> }>

  private readonly padMode: PadMode
  /** The saving graph's outputs at the last padded size, reused as its pre-allocated fetches. */
  private savedOutputs?: { key: string; tensors: Record<string, OrtTensor> }
  private savingGeneration = 0
  private readonly plans = new Map<string, PadPlan>()

  private constructor(
    entry: ModelEntry,
    private readonly denoiser: InferenceSession,
    private readonly vjpSession: InferenceSession | undefined,
    private readonly split: { saving: InferenceSession; pullback: InferenceSession } | undefined,
    choice: ProviderChoice,
    padding: PadMode
  ) {
    this.id = entry.card.id
    this.card = entry.card
    this.executionProvider = choice
    this.padMode = padding
    if (vjpSession) this.denoiseVjp = (x, sigma, r, H, W) => this.runVjp(x, sigma, r, H, W)
    if (split) this.denoiseWithPullback = (x, sigma, H, W) => this.runSaving(split, x, sigma, H, W)
  }

  /** Opens a model by id (shipped models/, then `userDir`), verifying both graphs' sha256 first. */
  static async open(id: string, options: OnnxDenoiserOptions = {}): Promise<OnnxDenoiser> {
    return OnnxDenoiser.fromEntry(findModel(id, modelDirs(options.userDir)), options)
  }

  static async fromEntry(entry: ModelEntry, options: OnnxDenoiserOptions = {}): Promise<OnnxDenoiser> {
    const kinds = MODEL_FILE_KINDS.filter((kind) => entry.card.files[kind] !== undefined)
    const graphs = kinds.map((kind) => ({
      label: `model "${entry.card.id}" ${kind} graph ${modelFilePath(entry, kind)}`,
      bytes: readVerifiedModelFile(entry, kind)
    }))
    const { sessions, choice } = await createSessions(graphs, options)
    const session = (kind: ModelFileKind) => (kinds.includes(kind) ? sessions[kinds.indexOf(kind)] : undefined)
    const saving = session('saving')
    const pullback = session('pullback')
    const split = saving && pullback ? { saving, pullback } : undefined
    return new OnnxDenoiser(entry, session('denoiser')!, session('vjp'), split, choice, options.padding ?? 'reflect')
  }

  async denoise(x: Float64Array, sigma: number, H: number, W: number): Promise<Float64Array> {
    const plan = this.check(x, sigma, H, W)
    const out = await this.run(this.denoiser, plan, { x: pad(x, plan) }, sigma)
    return crop(out.denoised, plan)
  }

  private async runVjp(x: Float64Array, sigma: number, r: Float64Array, H: number, W: number) {
    const plan = this.check(x, sigma, H, W)
    if (r.length !== H * W) throw new ModelError('input', `${this.id}: r has ${r.length} values, expected ${H}×${W} = ${H * W}`)
    // D̃(x) = C D(P x)  ⇒  J̃ᵀ r = Pᵀ J_Dᵀ (Cᵀ r)
    const out = await this.run(this.vjpSession!, plan, { x: pad(x, plan), r: embed(r, plan) }, sigma)
    return { denoised: crop(out.denoised, plan), vjp: padAdjoint(out.vjp, plan) }
  }

  /**
   * D(x) now and J_Dᵀr later, from the activations the saving graph returned (about 200 floats
   * per pixel for the shipped priors, ~55 MB at 256²). Those buffers are allocated once per image
   * size and reused by the next call, so a pullback is valid until the next
   * `denoiseWithPullback` on this denoiser (it throws after that rather than use overwritten
   * activations); the samplers call it in between.
   */
  private async runSaving(
    split: { saving: InferenceSession; pullback: InferenceSession }, x: Float64Array, sigma: number, H: number, W: number
  ): Promise<{ denoised: Float64Array; pullback: (r: Float64Array) => Promise<Float64Array> }> {
    const plan = this.check(x, sigma, H, W)
    const { Tensor } = await loadOrt()
    const sigmaT = new Tensor('float32', Float32Array.of(sigma), [1])
    const feeds = { x: new Tensor('float32', pad(x, plan), [1, 1, plan.Hp, plan.Wp]), sigma: sigmaT }
    const key = `${plan.Hp}x${plan.Wp}`
    const reuse = this.savedOutputs?.key === key ? this.savedOutputs.tensors : undefined
    const out = reuse ? await split.saving.run(feeds, reuse) : await split.saving.run(feeds)
    // The first run at a size lets onnxruntime allocate; later runs write into the same tensors.
    if (!reuse) this.savedOutputs = { key, tensors: out as Record<string, OrtTensor> }
    const generation = ++this.savingGeneration
    const saved: Record<string, OrtTensor> = {}
    for (const name of split.saving.outputNames) if (name !== 'denoised') saved[name] = out[name] as OrtTensor
    const pullback = async (r: Float64Array): Promise<Float64Array> => {
      if (generation !== this.savingGeneration) {
        throw new ModelError('input', `${this.id}: pullback used after a newer denoiseWithPullback call (its saved activations were reused)`)
      }
      if (r.length !== H * W) throw new ModelError('input', `${this.id}: r has ${r.length} values, expected ${H}×${W} = ${H * W}`)
      const res = await split.pullback.run({ ...saved, sigma: sigmaT, r: new Tensor('float32', embed(r, plan), [1, 1, plan.Hp, plan.Wp]) })
      return padAdjoint(res.vjp.data as Float32Array, plan)
    }
    return { denoised: crop(out.denoised.data as Float32Array, plan), pullback }
  }

  private check(x: Float64Array, sigma: number, H: number, W: number): PadPlan {
    if (!Number.isInteger(H) || !Number.isInteger(W) || H < 1 || W < 1) {
      throw new ModelError('input', `${this.id}: image size must be positive integers, got ${H}×${W}`)
    }
    if (x.length !== H * W) throw new ModelError('input', `${this.id}: x has ${x.length} values, expected ${H}×${W} = ${H * W}`)
    // sigma enters the graph as ln(sigma)/4, so 0 or negative gives NaN everywhere.
    if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ModelError('input', `${this.id}: sigma must be positive and finite, got ${sigma}`)
    const key = `${H}x${W}`
    let plan = this.plans.get(key)
    if (!plan) {
      plan = planPadding(H, W, this.card.input.multiple, this.padMode)
      this.plans.set(key, plan)
    }
    return plan
  }

  private async run(
    session: InferenceSession,
    plan: PadPlan,
    images: Record<string, Float32Array>,
    sigma: number
  ): Promise<Record<string, Float32Array>> {
    const { Tensor } = await loadOrt()
    const feeds: Record<string, InstanceType<typeof Tensor>> = { sigma: new Tensor('float32', Float32Array.of(sigma), [1]) }
    for (const [name, data] of Object.entries(images)) feeds[name] = new Tensor('float32', data, [1, 1, plan.Hp, plan.Wp])
    const results = await session.run(feeds)
    const out: Record<string, Float32Array> = {}
    for (const name of session.outputNames) out[name] = results[name].data as Float32Array
    return out
  }

  async dispose(): Promise<void> {
    await this.denoiser.release()
    await this.vjpSession?.release()
    await this.split?.saving.release()
    await this.split?.pullback.release()
  }
}
