/**
 * Plain-data messages between the JobService (main thread) and the reconstruction worker.
 *
 * A Problem holds a LinearOperator made of closures, which cannot cross a thread boundary, so
 * the worker receives a ProblemRecipe (src-main/pipeline/recipe.ts: plain data — typed arrays,
 * numbers, strings — for simulated, measured and multi-coil problems) and rebuilds the
 * identical problem there with `buildFromRecipe`.
 */
import type { MethodParams } from '../methods/index.ts'
import type { ExperimentPlan } from '../pipeline/experiment.ts'
import type { ProblemRecipe } from '../pipeline/recipe.ts'
import type { MethodName } from '../schema/options.ts'

export interface JobRequest {
  method: MethodName
  recipe: ProblemRecipe
  params: MethodParams
  /** Preview cadence passed to the method (steps); previews are also time-throttled. */
  previewEvery?: number
  /** Whether previews are wanted at all (none are copied or sent otherwise). */
  wantPreview?: boolean
}

export interface JobResult {
  image: { re: Float64Array; im: Float64Array }
  params: Record<string, number | string | boolean>
  std?: Float64Array
  sampleResiduals?: number[]
  /** Seconds spent in the worker: problem build + method run. */
  seconds: number
}

/** Events the worker sends back through the proxied callback. */
export type WorkerEvent =
  | { type: 'progress'; step: number; total: number; message?: string }
  | { type: 'preview'; step: number; re: Float64Array; im: Float64Array }

/**
 * The worker never lets an exception cross Comlink: errors are returned as plain data, so the
 * main thread always gets the method's own name and message (no structured-clone surprises).
 */
export type WorkerOutcome = { ok: true; result: JobResult } | { ok: false; error: { name: string; message: string; stack?: string } }

export type WorkerError = { name: string; message: string; stack?: string }

/** The outcome of preparing a problem (coil maps estimated) in a worker. */
export type RecipeOutcome = { ok: true; recipe: ProblemRecipe } | { ok: false; error: WorkerError }

export interface WorkerApi {
  runMethod(request: JobRequest, events: (e: WorkerEvent) => void, cancelFlag: SharedArrayBuffer): Promise<WorkerOutcome>
  /** Build an experiment plan's problem (ESPIRiT for SENSE) and return it as a recipe. */
  buildRecipe(plan: ExperimentPlan): Promise<RecipeOutcome>
}
