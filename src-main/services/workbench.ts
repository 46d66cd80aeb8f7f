/**
 * WorkbenchService: the main-process services behind the app's API (ReconServices), in plain
 * Node — no Electron import — so the desktop shell, browser mode and the tests drive the very
 * same object.
 *
 * - Scans: files and folders are loaded with loadScans; uploads are written to a private temp
 *   folder first (relative names only, a size cap). Scans stay in memory under an id (the most
 *   recent MAX_SCANS), with a cache of selected inputs, so live previews do not reload or
 *   re-select.
 * - Experiments: prepareExperiment (src-main/pipeline/experiment.ts), the same code the CLI
 *   runs, cached for the last few setups so a run after a preview reuses the problem (and the
 *   coil maps).
 * - Runs: zero-filled in-process, every other method in worker threads (JobService) on the
 *   experiment's ProblemRecipe; progress (≤ 10/s per method), previews, outcomes with metrics,
 *   failures that do not stop the other methods, cancellation within one iteration.
 * - Settings and recent files persist in `dataDir` (settings.ts).
 *
 * Every argument is validated (validate.ts) before use: the API is reachable from a browser
 * page in browser mode. Errors reach the caller as ApiError with a readable message.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Worker } from 'node:worker_threads'
import {
  ApiError,
  type ExperimentSetup,
  type ExportRequest,
  type ExportResult,
  type FileUpload,
  type MeasurementPreview,
  type MethodOutcome,
  type MethodSettings,
  type ModelInfo,
  type RunEvent,
  type RunRequest,
  type RunSummary,
  type ScanSummary,
  type Settings,
  type SliceRequest,
  type SliceView
} from '../api/contract.ts'
import { cabs } from '../engine/complex.ts'
import { computeMetrics, METRICS_CONVENTION } from '../engine/metrics.ts'
import { CancelledError } from '../engine/progress.ts'
import { FileExistsError } from '../io/atomic-write.ts'
import type { DicomSource } from '../io/dicom-write.ts'
import { loadScans } from '../io/load-scan.ts'
import { describeScan, type Scan } from '../io/scan.ts'
import { JobService, type JobHandle, type JobResult } from '../jobs/service.ts'
import { METHODS, type MethodParams, type MethodResult } from '../methods/index.ts'
import { builtinModelsDir } from '../models/registry.ts'
import type { ExecutionProvider } from '../models/session.ts'
import {
  buildExperiment,
  experimentFromRecipe,
  inputSize,
  multicoilPreview,
  planExperiment,
  planIsSlow,
  zeroFilledMagnitude,
  type Experiment,
  type ExperimentOptions,
  type ExperimentPlan
} from '../pipeline/experiment.ts'
import type { ProblemRecipe } from '../pipeline/recipe.ts'
import { rssOfKspace } from '../pipeline/multicoil.ts'
import { dataConsistency } from '../pipeline/problem.ts'
import { selectInput, type ReconInput } from '../pipeline/select-input.ts'
import { DIFFUSION_DEFAULTS, OptionError, type MethodName } from '../schema/options.ts'
import { VERSION } from '../version.ts'
import { resolvePrior, surveyModels } from './models.ts'
import { SettingsStore, defaultSettings } from './settings.ts'
import type { ReconServices } from './types.ts'
import {
  BAD_REQUEST,
  MAX_UPLOAD_BYTES,
  NOT_FOUND,
  badRequest,
  checkMaskLength,
  validateExperimentSetup,
  validateExportRequest,
  validateFlags,
  validateId,
  validatePath,
  validateRunRequest,
  validateSettingsPatch,
  validateSliceRequest,
  validateUploads
} from './validate.ts'
import { coilPlanes, magnitudePlane, maskPlane, plane, scanSummary, sliceView } from './views.ts'

export interface WorkbenchOptions {
  /** Where settings.json and recent.json live (created on the first save). */
  dataDir: string
  /** Model folders searched before settings.modelsFolder; default: the shipped models/. */
  modelsDirs?: string[]
  /** Worker threads for reconstructions; default: settings.threads. */
  workers?: number
  /** Default of settings.exportFolder when the settings file names none. */
  exportDefaultFolder?: string
  /** How reconstruction workers start (the packaged app's bundled worker); default spawnReconWorker. */
  spawn?: () => Worker
  /** After a cancel, how long a worker may take to stop before it is terminated (default 5 s). */
  cancelGraceMs?: number
  /** Cap on one openFiles call (default 4 GiB). */
  maxUploadBytes?: number
  /** Written into exports. */
  software?: { name: string; version: string }
  /** Receives notes worth logging (a corrupt settings file, a failed recent-files save). */
  log?: (message: string) => void
}

/** Scans kept open; the least recently used beyond this are dropped (uploads deleted). */
const MAX_SCANS = 16
/** Selected inputs cached per scan. */
const MAX_INPUTS = 6
/** Experiments cached (a run right after its preview reuses the problem and the coil maps). */
const MAX_EXPERIMENTS = 4
/** Finished runs kept for getRun/exportRun. */
const MAX_RUNS = 24
const PROGRESS_INTERVAL_MS = 100
const PREVIEW_INTERVAL_MS = 250

interface ScanEntry {
  id: string
  summary: ScanSummary
  scans: Scan[]
  /** Selected inputs by "series:slice". */
  inputs: Map<string, ReconInput>
  tempDir?: string
  lastUsed: number
}

interface RunState {
  summary: RunSummary
  experiment: Experiment
  jobs: Set<JobHandle>
  cancelled: boolean
  finished: boolean
  inputName: string
  inputDescription: string
  dicomSource: DicomSource | null
  /** Resolves when the run has finished (done, cancelled or failed). */
  done: Promise<void>
}

interface Pool {
  service: JobService
  size: number
  active: number
  retired: boolean
}

export class WorkbenchService implements ReconServices {
  private readonly store: SettingsStore
  private readonly scans = new Map<string, ScanEntry>()
  private readonly runs = new Map<string, RunState>()
  private readonly experiments = new Map<string, { scanId: string; experiment: Experiment }>()
  private readonly listeners = new Set<(event: RunEvent) => void>()
  private readonly tempDirs = new Set<string>()
  private readonly pools: Pool[] = []
  /** A one-worker pool that prepares SENSE problems (coil maps) off the main thread. */
  private prep?: JobService
  private readonly building = new Map<string, Promise<Experiment>>()
  private readonly log: (message: string) => void
  private counter = 0
  private disposed = false

  constructor(private readonly options: WorkbenchOptions) {
    if (!options || typeof options.dataDir !== 'string' || options.dataDir === '') throw new Error('WorkbenchService needs a dataDir')
    this.log = options.log ?? ((): void => {})
    const defaults = defaultSettings()
    if (options.exportDefaultFolder) defaults.exportFolder = path.resolve(options.exportDefaultFolder)
    this.store = new SettingsStore(path.resolve(options.dataDir), defaults)
    for (const note of this.store.notes) this.log(note)
  }

  /** Notes from reading the settings and recent files (e.g. a corrupt file replaced by defaults). */
  get notes(): string[] {
    return [...this.store.notes]
  }

  // ------------------------------------------------------------------------------------------
  // Scans

  async openFiles(files: FileUpload[]): Promise<ScanSummary> {
    this.alive()
    const uploads = validateUploads(files, this.options.maxUploadBytes ?? MAX_UPLOAD_BYTES)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-upload-'))
    this.tempDirs.add(dir)
    const removeDir = (): void => {
      this.tempDirs.delete(dir)
      fs.rmSync(dir, { recursive: true, force: true })
    }
    try {
      for (const u of uploads) {
        const target = path.join(dir, ...u.segments)
        await fs.promises.mkdir(path.dirname(target), { recursive: true })
        await fs.promises.writeFile(target, u.bytes, { flag: 'wx' })
      }
    } catch (err) {
      removeDir()
      throw new ApiError(`could not store the uploaded files: ${(err as Error).message}`)
    }
    const { target, name } = uploadTarget(dir, uploads.map((u) => u.segments))
    let scans: Scan[]
    try {
      scans = await loadScans(target)
    } catch (err) {
      removeDir()
      throw new ApiError(stripDir((err as Error).message, dir), BAD_REQUEST)
    }
    this.alive(removeDir)
    return this.register(scans, name, undefined, dir)
  }

  async openPath(file: string): Promise<ScanSummary> {
    this.alive()
    // Absolute only: a relative path would name a file relative to wherever the services run.
    const p = path.resolve(validatePath(file, 'path', { absolute: true }))
    if (!fs.existsSync(p)) throw new ApiError(`cannot open ${p}: no such file or folder`, NOT_FOUND)
    let scans: Scan[]
    try {
      scans = await loadScans(p)
    } catch (err) {
      throw new ApiError((err as Error).message, BAD_REQUEST)
    }
    this.alive()
    this.store.addRecent(p)
    return this.register(scans, path.basename(p) || p, p)
  }

  /** Open a path and tell every subscriber (scan-opened): for the desktop menu, recent files, dock drops. */
  async openAndAnnounce(file: string): Promise<ScanSummary> {
    const scan = await this.openPath(file)
    this.emit({ type: 'scan-opened', scan })
    return scan
  }

  async recentFiles(): Promise<string[]> {
    this.alive()
    return this.store.recentFiles()
  }

  async slice(request: SliceRequest, options?: { coils?: boolean }): Promise<SliceView> {
    this.alive()
    const req = validateSliceRequest(request)
    const { coils } = validateFlags(options, 'coils', 'options')
    const entry = this.scan(req.scanId)
    const scan = entry.scans[this.seriesIndex(entry, req.series)]
    try {
      return sliceView(entry.id, req.series, scan, req.slice, coils === true)
    } catch (err) {
      throw asApiError(err)
    }
  }

  // ------------------------------------------------------------------------------------------
  // Experiments

  async previewMeasurement(setup: ExperimentSetup, options?: { maps?: boolean }): Promise<MeasurementPreview> {
    this.alive()
    const s = validateExperimentSetup(setup)
    const { maps } = validateFlags(options, 'maps', 'options')
    this.scan(s.scanId)
    const key = experimentKey(s)
    const cached = this.experiments.get(key)
    if (cached) return previewOf(cached.experiment, maps === true)
    const { input, plan } = this.plan(s)
    if (plan.kind === 'multicoil' && maps !== true) {
      // The measurement without the coil maps: no ESPIRiT while the user moves a slider.
      const m = wrap(() => multicoilPreview(plan))
      const { height: H, width: W } = plan
      const sampled = count(m.sampled)
      const ref = plan.spec.reference
      return {
        mask: maskPlane(m.sampled, H, W),
        maskMeaning: 'sampled',
        effectiveAcceleration: m.effectiveAcceleration,
        sampledFraction: sampled / (H * W),
        zeroFilled: plane(rssOfKspace(m.data, m.coils, H, W), H, W),
        reference: ref ? plane(ref, H, W) : undefined,
        description: m.description
      }
    }
    return previewOf(await this.experiment(s, { input, plan }), maps === true)
  }

  async startRun(request: RunRequest): Promise<{ runId: string }> {
    this.alive()
    const { setup, settings } = validateRunRequest(request)
    const experiment = await this.experiment(setup)
    this.alive()
    const entry = this.scan(setup.scanId)
    const runId = this.newId('run')
    const { problem } = experiment
    const H = experiment.height
    const W = experiment.width
    const summary: RunSummary = {
      runId,
      state: 'running',
      created: new Date().toISOString(),
      setup: { setup, settings },
      description: experiment.description,
      reference: problem.referenceMagnitude ? plane(problem.referenceMagnitude, H, W) : undefined,
      mask: problem.mask ? maskPlane(problem.mask.data, H, W) : maskPlane(new Uint8Array(H * W).fill(1), H, W),
      maskMeaning: problem.mask?.meaning ?? 'none',
      outcomes: [],
      failures: [],
      metricsConvention: METRICS_CONVENTION,
      windowMax: experiment.windowMax,
      models: []
    }
    const input = experiment.input
    const frames = input.scan.kind === 'image' ? input.scan.frames : input.scan.slices
    let resolveDone!: () => void
    const run: RunState = {
      summary,
      experiment,
      jobs: new Set(),
      cancelled: false,
      finished: false,
      inputName: entry.summary.name,
      inputDescription: `${describeScan(input.scan)}${entry.scans.length > 1 ? `, series ${setup.series} of ${entry.scans.length}` : ''}${frames > 1 ? `, slice ${input.frame} of ${frames}` : ''}`,
      dicomSource: dicomSourceOf(input),
      done: new Promise<void>((r) => (resolveDone = r))
    }
    this.runs.set(runId, run)
    this.pruneRuns()
    // Events start after the caller has the run id.
    setImmediate(() => {
      this.execute(run).then(resolveDone, (err: unknown) => {
        this.log(`run ${runId} failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`)
        this.finish(run, 'failed', (err as Error)?.message ?? String(err))
        resolveDone()
      })
    })
    return { runId }
  }

  async cancelRun(runId: string): Promise<void> {
    this.alive()
    const run = this.run(runId)
    this.cancel(run)
  }

  async getRun(runId: string): Promise<RunSummary> {
    this.alive()
    const s = this.run(runId).summary
    return { ...s, outcomes: [...s.outcomes], failures: [...s.failures], models: [...s.models] }
  }

  /** Resolves when the run has finished (for tests and shutdown; not part of the API). */
  async waitForRun(runId: string): Promise<RunSummary> {
    const run = this.run(runId)
    await run.done
    return this.getRun(runId)
  }

  async exportRun(request: ExportRequest): Promise<ExportResult> {
    this.alive()
    const req = validateExportRequest(request)
    const run = this.run(req.runId)
    if (!run.finished) throw new ApiError(`run ${req.runId} is still running; export it when it has finished (or cancel it)`, BAD_REQUEST)
    const folder = req.folder ?? path.join(this.store.get().exportFolder, req.runId)
    const exporter = await loadExporter()
    try {
      return await exporter.exportRun(
        {
          summary: await this.getRun(req.runId),
          inputName: run.inputName,
          inputDescription: run.inputDescription,
          dicomSource: run.dicomSource,
          software: this.options.software ?? { name: 'Recon Studio', version: VERSION }
        },
        folder,
        req.formats,
        { overwrite: req.overwrite === true }
      )
    } catch (err) {
      if (err instanceof ApiError) throw err
      if (err instanceof FileExistsError || err instanceof exporter.ExportTargetExistsError) throw new ApiError(err.message, 'exists')
      throw new ApiError(`export failed: ${(err as Error)?.message ?? String(err)}`)
    }
  }

  // ------------------------------------------------------------------------------------------
  // Models and settings

  async listModels(): Promise<ModelInfo[]> {
    this.alive()
    return surveyModels(this.modelDirs()).infos
  }

  async getSettings(): Promise<Settings> {
    this.alive()
    return this.store.get()
  }

  async setSettings(patch: Partial<Settings>): Promise<Settings> {
    this.alive()
    validateSettingsPatch(patch)
    try {
      return this.store.set(patch)
    } catch (err) {
      throw asApiError(err)
    }
  }

  subscribe(listener: (event: RunEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function')
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    for (const run of this.runs.values()) this.cancel(run)
    const services = [...this.pools.splice(0).map((p) => p.service), ...(this.prep ? [this.prep] : [])]
    this.prep = undefined
    await Promise.all(services.map((service) => service.dispose()))
    for (const dir of this.tempDirs) fs.rmSync(dir, { recursive: true, force: true })
    this.tempDirs.clear()
    this.scans.clear()
    this.experiments.clear()
    this.listeners.clear()
  }

  // ------------------------------------------------------------------------------------------
  // Internals: scans, inputs, experiments

  private alive(cleanup?: () => void): void {
    if (!this.disposed) return
    cleanup?.()
    throw new ApiError('the reconstruction services have been shut down', 'disposed')
  }

  private newId(kind: string): string {
    return `${kind}-${++this.counter}-${randomBytes(4).toString('hex')}`
  }

  private register(scans: Scan[], name: string, file: string | undefined, tempDir?: string): ScanSummary {
    const id = this.newId('scan')
    const summary = scanSummary(id, name, file, scans)
    this.scans.set(id, { id, summary, scans, inputs: new Map(), tempDir, lastUsed: performance.now() })
    while (this.scans.size > MAX_SCANS) {
      let oldest: ScanEntry | undefined
      for (const e of this.scans.values()) if (!oldest || e.lastUsed < oldest.lastUsed) oldest = e
      if (!oldest) break
      this.dropScan(oldest)
    }
    return summary
  }

  private dropScan(entry: ScanEntry): void {
    this.scans.delete(entry.id)
    for (const [k, v] of this.experiments) if (v.scanId === entry.id) this.experiments.delete(k)
    if (entry.tempDir) {
      this.tempDirs.delete(entry.tempDir)
      fs.rmSync(entry.tempDir, { recursive: true, force: true })
    }
  }

  private scan(id: string): ScanEntry {
    const sid = validateId(id, 'scanId')
    const entry = this.scans.get(sid)
    if (!entry) throw new ApiError(`unknown scan id ${JSON.stringify(sid)}: open the file again`, NOT_FOUND)
    entry.lastUsed = performance.now()
    return entry
  }

  private seriesIndex(entry: ScanEntry, series: number): number {
    if (series >= entry.scans.length) {
      throw badRequest(`series ${series} does not exist; ${entry.summary.name} holds ${entry.scans.length} series (0…${entry.scans.length - 1})`)
    }
    return series
  }

  private input(entry: ScanEntry, series: number, slice: number | undefined): ReconInput {
    this.seriesIndex(entry, series)
    const key = `${series}:${slice ?? 'middle'}`
    let input = entry.inputs.get(key)
    if (!input) {
      input = wrap(() => selectInput(entry.scans, { series, slice }))
      entry.inputs.set(key, input)
      if (entry.inputs.size > MAX_INPUTS) entry.inputs.delete(entry.inputs.keys().next().value as string)
    }
    return input
  }

  private plan(setup: ExperimentSetup): { entry: ScanEntry; input: ReconInput; plan: ExperimentPlan } {
    const entry = this.scan(setup.scanId)
    const input = this.input(entry, setup.series, setup.slice)
    const { height: H, width: W } = inputSize(input)
    if (setup.paintedMask) checkMaskLength(setup.paintedMask, H, W, 'the painted mask')
    const options: ExperimentOptions = {
      task: setup.task,
      pattern: setup.pattern,
      acceleration: setup.acceleration,
      centerFraction: setup.centerFraction,
      seed: setup.seed,
      blurSigma: setup.blurSigma,
      factor: setup.factor,
      noise: setup.noise,
      coils: setup.coils,
      maps: setup.maps,
      virtualCoils: setup.virtualCoils,
      missingMask: setup.task === 'inpaint' ? setup.paintedMask : undefined,
      inputName: entry.summary.name
    }
    return { entry, input, plan: wrap(() => planExperiment(input, options)) }
  }

  /**
   * The experiment of a setup: cached, shared with a concurrent request for the same setup,
   * and built off the main thread when coil maps must be estimated (ESPIRiT takes seconds).
   */
  private async experiment(setup: ExperimentSetup, planned?: { input: ReconInput; plan: ExperimentPlan }): Promise<Experiment> {
    const key = experimentKey(setup)
    const cached = this.experiments.get(key)
    if (cached && this.scans.has(cached.scanId)) {
      // Most recently used last.
      this.experiments.delete(key)
      this.experiments.set(key, cached)
      return cached.experiment
    }
    const pending = this.building.get(key)
    if (pending) return pending
    const { input, plan } = planned ?? this.plan(setup)
    if (!planIsSlow(plan)) {
      const experiment = wrap(() => buildExperiment(input, plan))
      this.cacheExperiment(key, setup.scanId, experiment)
      return experiment
    }
    const build = (async (): Promise<Experiment> => {
      this.prep ??= new JobService({ workers: 1, spawn: this.options.spawn, cancelGraceMs: this.options.cancelGraceMs })
      let recipe: ProblemRecipe
      try {
        recipe = await this.prep.buildRecipe(plan).result
      } catch (err) {
        if (this.disposed) throw new ApiError('the reconstruction services have been shut down', 'disposed')
        throw asApiError(err)
      }
      const experiment = wrap(() => experimentFromRecipe(input, plan, recipe))
      this.cacheExperiment(key, setup.scanId, experiment)
      return experiment
    })()
    this.building.set(key, build)
    try {
      return await build
    } finally {
      this.building.delete(key)
    }
  }

  private cacheExperiment(key: string, scanId: string, experiment: Experiment): void {
    this.experiments.delete(key)
    this.experiments.set(key, { scanId, experiment })
    while (this.experiments.size > MAX_EXPERIMENTS) this.experiments.delete(this.experiments.keys().next().value as string)
  }

  private modelDirs(): string[] {
    const dirs = this.options.modelsDirs ? [...this.options.modelsDirs] : [builtinModelsDir()]
    const user = this.store.get().modelsFolder
    if (user && !dirs.includes(user)) dirs.push(user)
    return dirs
  }

  // ------------------------------------------------------------------------------------------
  // Internals: runs

  private run(id: string): RunState {
    const rid = validateId(id, 'runId')
    const run = this.runs.get(rid)
    if (!run) throw new ApiError(`unknown run id ${JSON.stringify(rid)}`, NOT_FOUND)
    return run
  }

  private pruneRuns(): void {
    if (this.runs.size <= MAX_RUNS) return
    for (const [id, run] of this.runs) {
      if (this.runs.size <= MAX_RUNS) break
      if (run.finished) this.runs.delete(id)
    }
  }

  private pool(): Pool {
    const size = this.options.workers ?? this.store.get().threads
    let current = this.pools.find((p) => !p.retired)
    if (current && current.size !== size) {
      current.retired = true
      this.releasePool(current)
      current = undefined
    }
    if (!current) {
      current = {
        service: new JobService({ workers: size, spawn: this.options.spawn, cancelGraceMs: this.options.cancelGraceMs }),
        size,
        active: 0,
        retired: false
      }
      this.pools.push(current)
    }
    return current
  }

  /** A retired pool (threads changed) is disposed once its last job has settled. */
  private releasePool(pool: Pool): void {
    if (!pool.retired || pool.active > 0) return
    const i = this.pools.indexOf(pool)
    if (i >= 0) this.pools.splice(i, 1)
    void pool.service.dispose()
  }

  private emit(event: RunEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event)
      } catch (err) {
        this.log(`an event listener threw: ${(err as Error)?.message ?? String(err)}`)
      }
    }
  }

  private cancel(run: RunState): void {
    if (run.finished || run.cancelled) return
    run.cancelled = true
    run.summary.state = 'cancelled'
    for (const job of run.jobs) job.cancel()
  }

  private finish(run: RunState, state: 'done' | 'cancelled' | 'failed', message?: string): void {
    if (run.finished) return
    run.finished = true
    run.summary.state = state
    this.emit({ type: 'run-finished', runId: run.summary.runId, state, ...(message ? { message } : {}) })
    this.pruneRuns()
  }

  private fail(run: RunState, method: MethodName, message: string): void {
    run.summary.failures.push({ name: method, message })
    this.emit({ type: 'method-failed', runId: run.summary.runId, method, message })
  }

  private async execute(run: RunState): Promise<void> {
    const { summary, experiment } = run
    const { problem } = experiment
    const runId = summary.runId
    const settings = summary.setup.settings
    if (run.cancelled) return this.finish(run, 'cancelled')

    // Zero-filled: in-process, cheap, always first.
    try {
      const t0 = performance.now()
      const zf = METHODS['zero-filled'].run(problem, methodParams('zero-filled', settings, summary.setup.setup, [], 'cpu')) as MethodResult
      const outcome = this.outcome(run, 'zero-filled', zf, (performance.now() - t0) / 1000)
      summary.outcomes.push(outcome)
      this.emit({ type: 'method-done', runId, outcome })
    } catch (err) {
      this.fail(run, 'zero-filled', (err as Error)?.message ?? String(err))
    }

    const userSettings = this.store.get()
    const dirs = this.modelDirs()
    const pool = this.pool()
    const pending: Promise<void>[] = []
    for (const name of settings.methods) {
      if (run.cancelled) break
      const params = methodParams(name, settings, summary.setup.setup, dirs, userSettings.executionProvider)
      if (name === 'dps' || name === 'mc') {
        try {
          const entry = resolvePrior(experiment.task, settings.model, dirs)
          params.diffusion!.model = entry.card.id
          const sha = entry.card.sha256
          if (!summary.models.some((m) => m.id === entry.card.id)) {
            summary.models.push({ id: entry.card.id, sha256: sha.vjp ? { denoiser: sha.denoiser, vjp: sha.vjp } : { denoiser: sha.denoiser } })
          }
        } catch (err) {
          this.fail(run, name, `${METHODS[name].label}: ${(err as Error).message}`)
          continue
        }
      }
      pending.push(this.runJob(run, pool, name, params))
    }
    await Promise.all(pending)

    if (run.cancelled) return this.finish(run, 'cancelled')
    const requested = settings.methods.length
    const failed = summary.failures.filter((f) => f.name !== 'zero-filled').length
    if (requested > 0 && failed === requested) {
      return this.finish(run, 'failed', `${failed === 1 ? 'the method' : `all ${failed} methods`} failed: ${summary.failures.map((f) => f.message).join('; ')}`)
    }
    this.finish(run, 'done', failed > 0 ? `${failed} of ${requested} methods failed` : undefined)
  }

  private async runJob(run: RunState, pool: Pool, name: Exclude<MethodName, 'zero-filled'>, params: MethodParams): Promise<void> {
    const runId = run.summary.runId
    const { height: H, width: W } = run.experiment
    const total = name === 'fista-tv' ? params.iterations : (params.diffusion?.steps ?? DIFFUSION_DEFAULTS[name].steps)
    let lastProgress = -Infinity
    let lastPreview = -Infinity
    const job = pool.service.run(name, run.experiment.recipe, params, {
      previewEvery: Math.max(1, Math.min(10, Math.round(total / 25))),
      onProgress: (p) => {
        if (run.cancelled || run.finished) return
        const now = performance.now()
        if (now - lastProgress < PROGRESS_INTERVAL_MS && p.step < p.total) return
        lastProgress = now
        this.emit({ type: 'progress', runId, method: name, step: p.step, total: p.total, elapsed: p.elapsed, ...(p.eta !== undefined ? { eta: p.eta } : {}) })
      },
      onPreview: (image, step) => {
        if (run.cancelled || run.finished) return
        const now = performance.now()
        if (now - lastPreview < PREVIEW_INTERVAL_MS) return
        lastPreview = now
        this.emit({ type: 'preview', runId, method: name, step, image: magnitudePlane(image, H, W) })
      }
    })
    pool.active++
    run.jobs.add(job)
    try {
      const r: JobResult = await job.result
      if (run.cancelled) return
      const outcome = this.outcome(run, name, r, r.seconds)
      run.summary.outcomes.push(outcome)
      this.emit({ type: 'method-done', runId, outcome })
    } catch (err) {
      if (run.cancelled || err instanceof CancelledError || (err as Error)?.name === 'CancelledError') return
      this.fail(run, name, readable(name, err))
    } finally {
      run.jobs.delete(job)
      pool.active--
      this.releasePool(pool)
    }
  }

  private outcome(run: RunState, name: MethodName, result: Pick<MethodResult, 'image' | 'params' | 'std' | 'sampleResiduals'>, seconds: number): MethodOutcome {
    const { problem, height: H, width: W } = run.experiment
    const mag = cabs(result.image)
    const ref = problem.referenceMagnitude
    const params = { ...result.params }
    if (result.sampleResiduals) params.sample_dc_residuals = result.sampleResiduals.map((v) => v.toExponential(3)).join(' ')
    const outcome: MethodOutcome = {
      name,
      label: METHODS[name].label,
      image: plane(mag, H, W),
      psnr: null,
      ssim: null,
      nmse: null,
      dcResidual: dataConsistency(problem, result.image),
      seconds,
      params
    }
    if (ref) {
      const m = computeMetrics(ref, mag, H, W)
      outcome.psnr = m.psnr
      outcome.ssim = m.ssim
      outcome.nmse = m.nmse
      const err = new Float32Array(H * W)
      for (let i = 0; i < err.length; i++) err[i] = Math.abs(mag[i] - ref[i])
      outcome.errorMap = { width: W, height: H, data: err }
    }
    if (result.std) outcome.std = plane(result.std, H, W)
    return outcome
  }
}

// --------------------------------------------------------------------------------------------
// Helpers

/** A method's parameters: DPS and measurement consistency each get their own diffusion settings. */
function methodParams(name: MethodName, settings: MethodSettings, setup: ExperimentSetup, dirs: string[], provider: ExecutionProvider): MethodParams {
  const params: MethodParams = {
    lambda: settings.lambda,
    iterations: settings.iterations,
    innerIterations: settings.innerIterations,
    tolerance: settings.tolerance
  }
  if (name === 'dps' || name === 'mc') {
    // DPS: steps, samples, ζ; MC: steps, samples, λ — the field names of DiffusionParams.
    const own = name === 'dps' ? settings.dps : settings.mc
    params.diffusion = { model: settings.model, ...own, seed: setup.seed, modelDirs: dirs, executionProviders: [provider] }
  }
  return params
}

/** A method's error as one readable line, prefixed by the method's label. */
function readable(name: MethodName, err: unknown): string {
  const message = (err as Error)?.message ?? String(err)
  const label = METHODS[name].label
  return message.startsWith(label) ? message : `${label}: ${message}`
}

function count(mask: Uint8Array): number {
  let n = 0
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0
  return n
}

function previewOf(experiment: Experiment, withMaps: boolean): MeasurementPreview {
  const { problem, height: H, width: W, task } = experiment
  const n = H * W
  const mask = problem.mask
  let sampledFraction = 1
  if (mask) {
    const ones = count(mask.data)
    sampledFraction = mask.meaning === 'sampled' ? ones / n : (n - ones) / n
  } else if (task === 'downsample') {
    sampledFraction = 1 / (experiment.recipe.kind === 'simulated' ? (experiment.recipe.spec.factor ?? 2) ** 2 : 1)
  }
  const preview: MeasurementPreview = {
    mask: mask ? maskPlane(mask.data, H, W) : maskPlane(new Uint8Array(n).fill(1), H, W),
    maskMeaning: mask?.meaning ?? 'sampled',
    effectiveAcceleration: task === 'mri' ? (problem.effectiveAcceleration ?? null) : null,
    sampledFraction,
    zeroFilled: plane(zeroFilledMagnitude(problem), H, W),
    reference: problem.referenceMagnitude ? plane(problem.referenceMagnitude, H, W) : undefined,
    description: experiment.description
  }
  if (withMaps && problem.maps && (problem.coils ?? 1) > 1) preview.sensitivityMaps = coilPlanes(problem.maps, problem.coils ?? 1, H, W)
  return preview
}

/** Cache key of a setup: every field, the painted mask by content. */
function experimentKey(s: ExperimentSetup): string {
  const { paintedMask, ...rest } = s
  const fields = Object.keys(rest).sort().map((k) => [k, (rest as Record<string, unknown>)[k]])
  let maskKey = ''
  if (paintedMask) {
    // FNV-1a over the bytes: cheap and collision-safe enough for a 4-entry cache keyed also by length.
    let h = 0x811c9dc5
    for (let i = 0; i < paintedMask.length; i++) h = Math.imul(h ^ paintedMask[i], 0x01000193)
    maskKey = `${paintedMask.length}:${(h >>> 0).toString(16)}`
  }
  return JSON.stringify(fields) + maskKey
}

/** Run `fn`, turning its errors (option conflicts, unusable inputs) into readable ApiErrors. */
function wrap<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw asApiError(err)
  }
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const message = (err as Error)?.message ?? String(err)
  return new ApiError(err instanceof OptionError || err instanceof Error ? appWording(message) : message, BAD_REQUEST)
}

/**
 * The engine's messages name command-line flags ("--coils applies to MRI only"); in the app the
 * same options are the setup's fields: "--center-fraction" reads "centerFraction".
 */
export function appWording(message: string): string {
  return message.replace(/(^|[\s(])--([a-z][a-z-]*)/g, (_m, pre: string, flag: string) => pre + flag.replace(/-([a-z])/g, (_x, c: string) => c.toUpperCase()))
}

/** Loader messages name the temp folder; the user knows only the names they dropped. */
function stripDir(message: string, dir: string): string {
  return message.split(dir + path.sep).join('').split(dir).join('upload')
}

/** What to load from an upload: the one file; a BART .cfl/.hdr pair's .cfl; else the folder. */
function uploadTarget(dir: string, files: string[][]): { target: string; name: string } {
  if (files.length === 1) return { target: path.join(dir, ...files[0]), name: files[0][files[0].length - 1] }
  const names = files.map((f) => f.join('/'))
  if (files.length === 2) {
    const cfl = names.find((n) => /\.cfl$/i.test(n))
    if (cfl && names.some((n) => n.toLowerCase() === cfl.slice(0, -4).toLowerCase() + '.hdr')) {
      return { target: path.join(dir, ...cfl.split('/')), name: cfl.split('/').pop()! }
    }
  }
  const top = files[0][0]
  const oneFolder = files.every((f) => f.length > 1 && f[0] === top)
  return oneFolder ? { target: path.join(dir, top), name: top } : { target: dir, name: `${files.length} files` }
}

/** Patient, study and plane geometry of a DICOM input's slice, for a derived DICOM export. */
function dicomSourceOf(input: ReconInput): DicomSource | null {
  const scan = input.scan
  if (scan.kind !== 'image' || scan.provenance.format !== 'dicom') return null
  const g = scan.geometry
  const position = g.positions?.[input.frame]
  return {
    metadata: { ...scan.metadata },
    geometry: {
      ...(g.pixelSpacing ? { pixelSpacing: g.pixelSpacing } : {}),
      ...(g.orientation ? { orientation: g.orientation } : {}),
      ...(g.sliceThickness !== undefined ? { sliceThickness: g.sliceThickness } : {}),
      ...(position ? { positions: [position] } : {})
    }
  }
}

/**
 * The export module (src-main/export/run-export.ts), loaded on first use: it pulls in the PDF
 * and DICOM writers, which startup need not wait for. A literal specifier, so bundlers split
 * it into its own chunk.
 */
async function loadExporter(): Promise<typeof import('../export/run-export.ts')> {
  try {
    return await import('../export/run-export.ts')
  } catch (err) {
    throw new ApiError(`export is not available in this build: ${(err as Error).message}`, 'not-implemented')
  }
}
