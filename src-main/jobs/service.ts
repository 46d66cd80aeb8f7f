/**
 * JobService: runs reconstruction methods in worker threads so the calling thread (Electron
 * main process, CLI) never blocks, with progress (+ elapsed / ETA), throttled previews,
 * cancellation within one solver iteration, and a service that stays usable after failures.
 *
 * A job is a method plus a ProblemRecipe (src-main/pipeline/recipe.ts): plain data from which
 * the worker rebuilds the problem — simulated single-coil, measured single-coil or multi-coil
 * SENSE with its maps already estimated.
 *
 * One worker per concurrent job (a pool of `workers`); further jobs queue. A job that throws
 * rejects with the method's own error name and message; a cancelled job rejects with a
 * CancelledError (from the engine). If a worker does not honour a cancel within
 * `cancelGraceMs` (e.g. blocked inside a long native ONNX call) or dies, it is terminated and
 * replaced, so the pool always recovers.
 */
import { Worker } from 'node:worker_threads'
import * as Comlink from 'comlink'
import { nodeEndpoint } from './node-endpoint.ts'
import { CancelledError, type Progress } from '../engine/progress.ts'
import type { CArray } from '../engine/complex.ts'
import type { MethodParams } from '../methods/index.ts'
import type { ProblemRecipe } from '../pipeline/recipe.ts'
import type { MethodName } from '../schema/options.ts'
import type { ExperimentPlan } from '../pipeline/experiment.ts'
import type { JobRequest, JobResult, RecipeOutcome, WorkerApi, WorkerEvent, WorkerOutcome } from './protocol.ts'

export type { JobResult } from './protocol.ts'
export type { ProblemRecipe } from '../pipeline/recipe.ts'

export interface JobProgress extends Progress {
  /** Seconds since the job started running in a worker (queueing excluded). */
  elapsed: number
  /** Estimated seconds left (linear in steps); undefined before the first step. */
  eta?: number
}

export interface RunOptions {
  onProgress?: (p: JobProgress) => void
  onPreview?: (image: CArray, step: number) => void
  previewEvery?: number
}

export interface JobHandle {
  id: number
  result: Promise<JobResult>
  cancel(): void
}

export interface JobServiceOptions {
  workers?: number
  /** After cancel(), how long to wait for the worker to stop before terminating it. */
  cancelGraceMs?: number
  /** Override how workers are created (the packaged Electron build points this at bundled JS). */
  spawn?: () => Worker
}

/**
 * Where the worker comes from — the single place to change for packaging.
 *
 * In this repository the TypeScript sources run through tsx. Passing `execArgv: ['--import',
 * 'tsx']` to the Worker is NOT enough on Node 20 (verified: the worker still fails with
 * ERR_UNKNOWN_FILE_EXTENSION for worker.ts), so the worker starts from a tiny eval'd ES-module
 * bootstrap that registers tsx's loader inside the worker (`tsx/esm/api` register()) and then
 * imports `worker.ts`. The packaged Electron build (electron-vite) bundles the worker to plain
 * JS and should pass `spawn: () => new Worker(pathToBundledWorkerJs)` to the JobService (or
 * call `spawnReconWorker(thatUrl)`), which needs no tsx.
 */
export function spawnReconWorker(entry: URL = new URL('./worker.ts', import.meta.url)): Worker {
  if (!/\.[cm]?ts$/.test(entry.pathname)) return new Worker(entry)
  const tsx = import.meta.resolve('tsx/esm/api')
  const bootstrap = [
    `const { register } = await import(${JSON.stringify(tsx)})`,
    'register()',
    `await import(${JSON.stringify(entry.href)})`
  ].join('\n')
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`))
}

interface Slot {
  worker: Worker
  remote: Comlink.Remote<WorkerApi>
  job?: Job
  /** Set when the worker exited or errored: the slot is replaced. */
  dead: boolean
}

/** What a job does in its worker: run a method, or prepare a problem (estimate coil maps). */
type Task = { kind: 'method'; request: JobRequest; options: RunOptions } | { kind: 'recipe'; plan: ExperimentPlan }

interface Job {
  id: number
  task: Task
  flag: Int32Array
  cancelled: boolean
  settled: boolean
  resolve(r: unknown): void
  reject(e: Error): void
  started?: number
  graceTimer?: ReturnType<typeof setTimeout>
}

export class JobService {
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private readonly size: number
  private readonly cancelGraceMs: number
  private readonly spawn: () => Worker
  private nextId = 1
  private disposed = false

  constructor({ workers = 1, cancelGraceMs = 5000, spawn = spawnReconWorker }: JobServiceOptions = {}) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`JobService: workers must be a positive integer, got ${workers}`)
    this.size = workers
    this.cancelGraceMs = cancelGraceMs
    this.spawn = spawn
  }

  /** Queue `method` on the problem `recipe` describes; the handle's promise settles with its result. */
  run(method: MethodName, recipe: ProblemRecipe, params: MethodParams, options: RunOptions = {}): JobHandle {
    const request: JobRequest = { method, recipe, params, previewEvery: options.previewEvery, wantPreview: Boolean(options.onPreview) }
    return this.submit<JobResult>({ kind: 'method', request, options })
  }

  /**
   * Prepare an experiment plan's problem in a worker and get its recipe: estimating SENSE coil
   * maps (ESPIRiT) takes seconds, which must not block the calling thread. Cancelling a job
   * that has started terminates its worker after the grace period (the estimation has no
   * cancellation points).
   */
  buildRecipe(plan: ExperimentPlan): { id: number; result: Promise<ProblemRecipe>; cancel(): void } {
    return this.submit<ProblemRecipe>({ kind: 'recipe', plan })
  }

  private submit<T>(task: Task): { id: number; result: Promise<T>; cancel(): void } {
    const id = this.nextId++
    let resolve!: (r: T) => void
    let reject!: (e: Error) => void
    const result = new Promise<T>((res, rej) => {
      resolve = res
      reject = rej
    })
    if (this.disposed) {
      reject(new Error('JobService has been disposed'))
      return { id, result, cancel: () => {} }
    }
    const job: Job = {
      id,
      task,
      flag: new Int32Array(new SharedArrayBuffer(4)),
      cancelled: false,
      settled: false,
      resolve: () => {},
      reject: () => {}
    }
    job.resolve = (r) => {
      if (job.settled) return
      job.settled = true
      resolve(r as T)
    }
    job.reject = (e) => {
      if (job.settled) return
      job.settled = true
      reject(e)
    }
    this.queue.push(job)
    this.pump()
    return { id, result, cancel: () => this.cancel(job) }
  }

  /** Terminates every worker; running and queued jobs reject. */
  async dispose(): Promise<void> {
    this.disposed = true
    for (const job of this.queue.splice(0)) job.reject(new Error('JobService disposed'))
    const slots = this.slots.splice(0)
    for (const s of slots) {
      if (s.job) {
        clearTimeout(s.job.graceTimer)
        s.job.reject(new Error('JobService disposed'))
      }
    }
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }

  private cancel(job: Job): void {
    if (job.settled || job.cancelled) return
    job.cancelled = true
    Atomics.store(job.flag, 0, 1)
    const queued = this.queue.indexOf(job)
    if (queued >= 0) {
      this.queue.splice(queued, 1)
      job.reject(new CancelledError())
      return
    }
    // Running: the method sees the flag on its next iteration. If it does not stop in time
    // (stuck in a native call), replace the worker.
    job.graceTimer = setTimeout(() => {
      const slot = this.slots.find((s) => s.job === job)
      if (slot) this.kill(slot, new CancelledError('cancelled (worker terminated)'))
    }, this.cancelGraceMs)
    job.graceTimer.unref?.()
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.job && !s.dead)
      if (!slot && this.slots.length < this.size) {
        try {
          slot = this.addSlot()
        } catch (err) {
          // No worker could be started: the job that needed it fails (it would otherwise wait
          // in the queue forever, and start much later with nobody waiting for it).
          const job = this.queue.shift()!
          job.reject(new Error(`could not start a reconstruction worker: ${(err as Error)?.message ?? String(err)}`))
          continue
        }
      }
      if (!slot) return
      const job = this.queue.shift()!
      this.start(slot, job)
    }
  }

  private addSlot(): Slot {
    const worker = this.spawn()
    const slot: Slot = { worker, remote: Comlink.wrap<WorkerApi>(nodeEndpoint(worker)), dead: false }
    worker.on('error', (err) => this.kill(slot, err instanceof Error ? err : new Error(String(err))))
    worker.on('exit', (code) => this.kill(slot, new Error(`reconstruction worker exited (code ${code})`)))
    this.slots.push(slot)
    return slot
  }

  /** Drops a slot (worker died, or cancel timed out), fails its job, and refills the pool. */
  private kill(slot: Slot, error: Error): void {
    if (slot.dead) return
    slot.dead = true
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
    const job = slot.job
    slot.job = undefined
    if (job) {
      clearTimeout(job.graceTimer)
      job.reject(job.cancelled ? new CancelledError() : error)
    }
    void slot.worker.terminate().catch(() => {})
    if (!this.disposed) this.pump()
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job
    const started = performance.now()
    job.started = started
    let call: Promise<WorkerOutcome | RecipeOutcome>
    if (job.task.kind === 'method') {
      const { onProgress, onPreview } = job.task.options
      const events = (e: WorkerEvent): void => {
        if (job.settled) return
        try {
          if (e.type === 'progress') {
            if (!onProgress) return
            const elapsed = (performance.now() - started) / 1000
            const eta = e.step > 0 ? (elapsed / e.step) * Math.max(0, e.total - e.step) : undefined
            onProgress({ step: e.step, total: e.total, message: e.message, elapsed, eta })
          } else {
            onPreview?.({ re: e.re, im: e.im }, e.step)
          }
        } catch {
          // A throwing listener must not break the job.
        }
      }
      call = slot.remote.runMethod(job.task.request, Comlink.proxy(events), job.flag.buffer as SharedArrayBuffer)
    } else {
      call = slot.remote.buildRecipe(job.task.plan)
    }
    call.then(
      (outcome) => {
        if (slot.job !== job) return // already failed through kill()
        slot.job = undefined
        clearTimeout(job.graceTimer)
        if (outcome.ok) job.resolve('recipe' in outcome ? outcome.recipe : outcome.result)
        else if (job.cancelled || outcome.error.name === 'CancelledError') job.reject(new CancelledError(outcome.error.message))
        else {
          const err = new Error(outcome.error.message)
          err.name = outcome.error.name
          job.reject(err)
        }
        if (!this.disposed) this.pump()
      },
      (err: unknown) => {
        if (slot.job !== job) return
        this.kill(slot, err instanceof Error ? err : new Error(String(err)))
      }
    )
  }
}
