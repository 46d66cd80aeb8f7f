/**
 * Worker-thread entry: runs one reconstruction method per call, exposed through Comlink.
 *
 * Cancellation uses a SharedArrayBuffer flag instead of a message: FISTA-TV is a synchronous
 * loop that never returns to the event loop, so a "cancel" message would sit in the queue until
 * the run had finished. The loop does call `throwIfCancelled(control)` every iteration, which
 * reads `control.signal.aborted`; our `signal` is a minimal object whose `aborted` getter reads
 * the shared flag with `Atomics.load`, so the main thread's `Atomics.store` is seen on the next
 * iteration. (Only `aborted` is used by the methods; it is cast to AbortSignal for the type.)
 *
 * Progress and previews go the other way through a Comlink-proxied callback. Calling it from a
 * busy loop still works — `postMessage` sends immediately — but we do not await the replies and
 * we throttle in time, so a tight loop does not flood the port.
 */
import { parentPort } from 'node:worker_threads'
import * as Comlink from 'comlink'
import { nodeEndpoint } from './node-endpoint.ts'
import { METHODS } from '../methods/index.ts'
import { buildFromRecipe } from '../pipeline/recipe.ts'
import { recipeFromPlan, type ExperimentPlan } from '../pipeline/experiment.ts'
import type { RunControl } from '../engine/progress.ts'
import type { JobRequest, RecipeOutcome, WorkerApi, WorkerEvent, WorkerOutcome } from './protocol.ts'

/** Minimum time between progress (resp. preview) messages; the first and last step always go. */
const PROGRESS_INTERVAL_MS = 50
const PREVIEW_INTERVAL_MS = 200

export function sharedFlagSignal(flag: Int32Array): AbortSignal {
  const signal = {
    get aborted(): boolean {
      return Atomics.load(flag, 0) === 1
    },
    reason: undefined,
    throwIfAborted(): void {
      if (Atomics.load(flag, 0) === 1) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' })
    }
  }
  return signal as unknown as AbortSignal
}

export async function runMethod(
  request: JobRequest,
  events: (e: WorkerEvent) => void,
  cancelFlag: SharedArrayBuffer
): Promise<WorkerOutcome> {
  const flag = new Int32Array(cancelFlag)
  const t0 = performance.now()
  // Comlink-proxied calls return promises; a rejected one (port closed) must not crash the worker.
  const send = (e: WorkerEvent, transfer: Transferable[] = []): void => {
    try {
      const p = (transfer.length ? events(Comlink.transfer(e, transfer)) : events(e)) as unknown
      if (p instanceof Promise) p.catch(() => {})
    } catch {
      // the listener is gone; progress is best-effort
    }
  }
  try {
    const method = METHODS[request.method]
    if (!method) throw new Error(`unknown method '${request.method}'`)
    const problem = buildFromRecipe(request.recipe)
    let lastProgress = -Infinity
    let lastPreview = -Infinity
    const control: RunControl = {
      signal: sharedFlagSignal(flag),
      previewEvery: request.previewEvery,
      onProgress: (p) => {
        const now = performance.now()
        if (p.step <= 1 || p.step >= p.total || now - lastProgress >= PROGRESS_INTERVAL_MS) {
          lastProgress = now
          send({ type: 'progress', step: p.step, total: p.total, message: p.message })
        }
      },
      onPreview: request.wantPreview
        ? (img, step) => {
            const now = performance.now()
            if (now - lastPreview < PREVIEW_INTERVAL_MS) return
            lastPreview = now
            // Copies: the method's buffers may be reused; the copies are then transferred.
            const re = Float64Array.from(img.re)
            const im = Float64Array.from(img.im)
            send({ type: 'preview', step, re, im }, [re.buffer, im.buffer])
          }
        : undefined
    }
    const out = await method.run(problem, request.params, control)
    const image = { re: out.image.re.slice(), im: out.image.im.slice() }
    const std = out.std ? out.std.slice() : undefined
    const result = { image, params: out.params, std, sampleResiduals: out.sampleResiduals, seconds: (performance.now() - t0) / 1000 }
    const transfer: Transferable[] = [image.re.buffer, image.im.buffer]
    if (std) transfer.push(std.buffer)
    return Comlink.transfer({ ok: true, result }, transfer)
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    return { ok: false, error: { name: e.name, message: e.message, stack: e.stack } }
  } finally {
    // Lets the main thread close its end of the callback channel (otherwise it keeps the
    // process alive).
    const release = (events as unknown as Record<symbol, (() => void) | undefined>)[Comlink.releaseProxy]
    try {
      const p = release?.() as unknown
      if (p instanceof Promise) p.catch(() => {})
    } catch {
      // already released
    }
  }
}

/**
 * Prepare a problem off the main thread: estimating SENSE maps (ESPIRiT) takes seconds, which
 * would freeze an Electron main process. The recipe comes back as plain data.
 */
export async function buildRecipe(plan: ExperimentPlan): Promise<RecipeOutcome> {
  try {
    return { ok: true, recipe: recipeFromPlan(plan) }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    return { ok: false, error: { name: e.name, message: e.message, stack: e.stack } }
  }
}

const api: WorkerApi = { runMethod, buildRecipe }
if (parentPort) Comlink.expose(api, nodeEndpoint(parentPort))
