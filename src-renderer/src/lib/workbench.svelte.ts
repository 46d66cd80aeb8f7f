/**
 * The workbench's state, in one place: what is open, which slice is shown, the experiment
 * and method forms, the live measurement preview, the painted mask and the current run.
 *
 * Components read these fields and call the methods; only this module calls the API for
 * scans, slices, previews and runs. Server calls that follow typing (slice scrolling, the
 * preview) are "latest wins": at most one request in flight, and a newer request replaces a
 * queued one, so fast scrolling never piles up work or shows a stale answer.
 */
import type {
  AppInfo,
  FileUpload,
  MeasurementPreview,
  ModelInfo,
  ScanSummary,
  SeriesSummary,
  Settings,
  SliceView
} from '../../../src-main/api/contract.ts'
import { untrack } from 'svelte'
import { errorMessage, hasBridge, onEvent, recon } from './api.ts'
import { debounce } from './debounce.ts'
import { MaskHistory } from './mask-history.ts'
import { notices } from './notify.svelte.ts'
import { METHOD_LABELS, type MethodName } from './options.ts'
import { RunTracker, isActive, type RunView } from './run-tracker.ts'
import {
  buildMethodSettings,
  buildSetup,
  defaultMethodForm,
  defaultModel,
  defaultSetupForm,
  effectiveTask,
  validateMethods,
  validateSetup,
  type FieldErrors,
  type MethodForm,
  type SetupForm
} from './setup.ts'

export type ViewMode = 'magnitude' | 'phase' | 'kspace' | 'coils' | 'maps'
export type CentreTab = 'scan' | 'compare'
export type MaskTool = 'brush' | 'eraser' | 'rectangle'

const PREVIEW_DEBOUNCE_MS = 150

/** Single-flight, latest-wins runner for idempotent requests. */
class Latest<K, V> {
  private inFlight = false
  private queued: K | null = null
  private generation = 0

  constructor(
    private readonly fetch: (key: K) => Promise<V>,
    private readonly done: (value: V, key: K) => void,
    private readonly failed: (err: unknown, key: K) => void
  ) {}

  request(key: K): void {
    this.queued = key
    if (!this.inFlight) void this.pump()
  }

  /** Forget queued work and drop the answer of the request in flight. */
  reset(): void {
    this.queued = null
    this.generation++
  }

  private async pump(): Promise<void> {
    while (this.queued !== null) {
      const key = this.queued
      this.queued = null
      this.inFlight = true
      const gen = this.generation
      try {
        const value = await this.fetch(key)
        // Only the newest answer is shown: skip it if another request is already waiting.
        if (gen === this.generation && this.queued === null) this.done(value, key)
      } catch (err) {
        if (gen === this.generation && this.queued === null) this.failed(err, key)
      } finally {
        this.inFlight = false
      }
    }
  }
}

interface SliceKey {
  scanId: string
  series: number
  slice: number
  coils: boolean
}

class Workbench {
  readonly bridge = hasBridge()
  info = $state.raw<AppInfo | null>(null)

  // --- scans -------------------------------------------------------------------------------
  scans = $state.raw<ScanSummary[]>([])
  scan = $state.raw<ScanSummary | null>(null)
  seriesIndex = $state(0)
  slice = $state(0)
  sliceView = $state.raw<SliceView | null>(null)
  sliceError = $state<string | null>(null)
  opening = $state<string | null>(null)
  viewMode = $state<ViewMode>('magnitude')
  /** Which coil image / sensitivity map the viewer shows. */
  channel = $state(0)

  // --- experiment ----------------------------------------------------------------------------
  setup = $state<SetupForm>(defaultSetupForm())
  methods = $state<MethodForm>(defaultMethodForm())
  models = $state.raw<ModelInfo[]>([])
  modelsError = $state<string | null>(null)
  settings = $state.raw<Settings | null>(null)
  /** The user picked a prior: stop re-choosing one when the task changes. */
  modelChosen = false
  preview = $state.raw<MeasurementPreview | null>(null)
  previewError = $state<string | null>(null)
  previewPending = $state(false)

  // --- inpainting mask -------------------------------------------------------------------------
  mask: MaskHistory | null = null
  /** Bumped on every mask change (the history object itself is not reactive). */
  maskVersion = $state(0)
  maskTool = $state<MaskTool>('brush')
  brushSize = $state(12)
  /** A stroke in progress, shown live but not yet committed to the history. */
  maskDraft: Uint8Array | null = null

  // --- run -------------------------------------------------------------------------------------
  run = $state.raw<RunView | null>(null)
  centreTab = $state<CentreTab>('scan')
  private tracker = new RunTracker((v) => (this.run = v))

  private sliceLoader = new Latest<SliceKey, SliceView>(
    (k) => recon().slice({ scanId: k.scanId, series: k.series, slice: k.slice }, k.coils ? { coils: true } : undefined),
    (view) => this.adoptSlice(view),
    (err) => {
      this.sliceError = errorMessage(err)
    }
  )

  private previewLoader = new Latest<{ maps: boolean; token: number }, MeasurementPreview>(
    ({ maps }) => {
      const setup = this.currentSetup()
      if (!setup) return Promise.reject(new Error('no scan'))
      return recon().previewMeasurement(setup, maps ? { maps: true } : undefined)
    },
    (p) => {
      this.preview = p
      this.previewError = null
      this.previewPending = false
    },
    (err) => {
      this.previewError = errorMessage(err)
      this.previewPending = false
    }
  )

  private previewToken = 0
  private schedulePreview = debounce(() => {
    this.previewLoader.request({ maps: this.viewMode === 'maps', token: ++this.previewToken })
  }, PREVIEW_DEBOUNCE_MS)

  // --- derived ---------------------------------------------------------------------------------
  get series(): SeriesSummary | null {
    return this.scan?.series[this.seriesIndex] ?? null
  }

  get task() {
    return effectiveTask(this.setup, this.series)
  }

  get setupErrors(): FieldErrors {
    return validateSetup(this.setup, this.series)
  }

  get methodErrors(): FieldErrors {
    return validateMethods(this.methods)
  }

  /** Inpainting without any painted pixel: nothing to measure yet. */
  get needsMask(): boolean {
    void this.maskVersion
    return this.task === 'inpaint' && (!this.mask || this.mask.count() === 0)
  }

  get running(): boolean {
    return isActive(this.run)
  }

  /** Why "Reconstruct" is disabled, or null when it can run. */
  get runBlocker(): string | null {
    if (!this.bridge) return 'Not connected to the Recon Studio services.'
    if (!this.scan) return 'Open a scan or an image first.'
    if (!this.sliceView) return this.sliceError ? 'The slice could not be loaded.' : 'Loading the slice…'
    if (this.running) return 'A reconstruction is running; cancel it or wait for it to finish.'
    if (this.needsMask) return 'Inpainting: paint the missing pixels on the image (or load a mask) first.'
    const se = Object.values(this.setupErrors)
    if (se.length) return se[0]!
    const me = Object.values(this.methodErrors)
    if (me.length) return me[0]!
    if ((this.methods.methods.includes('dps') || this.methods.methods.includes('mc')) && !this.models.some((m) => m.usable)) {
      return 'DPS and measurement consistency need an installed diffusion prior; none is usable.'
    }
    return null
  }

  // --- start-up --------------------------------------------------------------------------------
  /** Load settings, models and app info; subscribe to events; start the reactive loaders. */
  start(): () => void {
    if (!this.bridge) return () => {}
    const api = recon()
    api.info().then(
      (i) => (this.info = i),
      (err) => notices.error('Could not reach the Recon Studio services', err)
    )
    api.getSettings().then(
      (s) => {
        this.settings = s
        this.methods.methods = defaultMethodForm(s).methods
      },
      (err) => notices.error('Could not read the settings', err)
    )
    this.loadModels()
    const off = onEvent((event) => {
      if (event.type === 'scan-opened') this.adoptScan(event.scan)
      else {
        this.tracker.handle(event)
        if (event.type === 'method-failed') notices.push('error', `${labelOf(event.method)} failed`, event.message)
        if (event.type === 'run-finished') this.finished(event.runId, event.state, event.message)
      }
    })
    const stopEffects = $effect.root(() => {
      // Slice: reload when the scan, series, slice or the wish for coil images changes.
      let lastSlice = ''
      $effect(() => {
        const scan = this.scan
        if (!scan) return
        const key: SliceKey = { scanId: scan.id, series: this.seriesIndex, slice: this.slice, coils: this.viewMode === 'coils' }
        const k = JSON.stringify(key)
        if (k === lastSlice && untrack(() => this.sliceView) !== null) return
        lastSlice = k
        this.sliceLoader.request(key)
      })
      // Preview: every field of the experiment, the slice and the mask (debounced).
      let lastPreview = ''
      $effect(() => {
        const key = JSON.stringify([this.setup, this.scan?.id, this.seriesIndex, this.slice, this.maskVersion, this.viewMode === 'maps'])
        if (!this.scan || !this.sliceView || Object.keys(this.setupErrors).length || this.needsMask) {
          untrack(() => {
            this.previewLoader.reset()
            if (this.preview) this.preview = null
            this.previewError = null
            this.previewPending = false
          })
          this.schedulePreview.cancel()
          lastPreview = ''
          return
        }
        if (key === lastPreview) return
        lastPreview = key
        untrack(() => (this.previewPending = true))
        this.schedulePreview()
      })
      // Default prior follows the task until the user picks one.
      $effect(() => {
        const task = this.task
        const models = this.models
        untrack(() => {
          if (this.modelChosen && models.some((m) => m.id === this.methods.model && m.usable)) return
          const id = defaultModel(models, task)
          if (this.methods.model !== id) this.methods.model = id
        })
      })
    })
    return () => {
      off()
      stopEffects()
      this.schedulePreview.cancel()
    }
  }

  loadModels(): void {
    recon()
      .listModels()
      .then(
        (m) => {
          this.models = m
          this.modelsError = null
        },
        (err) => {
          this.modelsError = errorMessage(err)
        }
      )
  }

  // --- opening ---------------------------------------------------------------------------------
  async openUploads(uploads: FileUpload[], what: string): Promise<void> {
    if (uploads.length === 0) return
    this.opening = `Opening ${what}…`
    try {
      this.adoptScan(await recon().openFiles(uploads))
    } catch (err) {
      notices.error(`Could not open ${what}`, err)
    } finally {
      this.opening = null
    }
  }

  async openPath(path: string): Promise<void> {
    this.opening = `Opening ${path}…`
    try {
      this.adoptScan(await recon().openPath(path))
    } catch (err) {
      notices.error(`Could not open ${path}`, err)
    } finally {
      this.opening = null
    }
  }

  adoptScan(scan: ScanSummary): void {
    this.scans = [scan, ...this.scans.filter((s) => s.id !== scan.id)]
    this.scan = scan
    this.selectSeries(0)
    // (The loader's notes are listed in the scan browser, not repeated as notifications.)
    this.centreTab = 'scan'
  }

  selectScan(id: string): void {
    const s = this.scans.find((x) => x.id === id)
    if (s && s !== this.scan) {
      this.scan = s
      this.selectSeries(0)
    }
  }

  selectSeries(index: number): void {
    const s = this.scan?.series[index]
    if (!s) return
    this.sliceLoader.reset()
    this.seriesIndex = index
    this.slice = Math.floor(s.frames / 2)
    this.sliceView = null
    this.sliceError = null
    this.preview = null
    this.previewError = null
    this.channel = 0
    if (this.viewMode !== 'magnitude') this.viewMode = 'magnitude'
    if (s.domain === 'kspace') this.setup.task = 'mri'
  }

  setSlice(n: number): void {
    const s = this.series
    if (!s) return
    const clamped = Math.max(0, Math.min(s.frames - 1, Math.round(n)))
    if (clamped !== this.slice) this.slice = clamped
  }

  stepSlice(d: 1 | -1): void {
    this.setSlice(this.slice + d)
  }

  private adoptSlice(view: SliceView): void {
    this.sliceView = view
    this.sliceError = null
    const { width, height } = view.magnitude
    // One mask per image size: kept across slices of a series (the usual "same holes on
    // every slice" experiment), replaced when the size changes.
    if (!this.mask || this.mask.width !== width || this.mask.height !== height) {
      this.mask = new MaskHistory(width, height)
      this.maskDraft = null
      this.maskVersion++
    }
  }

  // --- mask --------------------------------------------------------------------------------------
  /** The mask shown: the stroke in progress if any, else the committed one. */
  get maskPixels(): Uint8Array | null {
    return this.maskDraft ?? this.mask?.current ?? null
  }

  maskChanged(): void {
    this.maskVersion++
  }

  // --- run ---------------------------------------------------------------------------------------
  currentSetup() {
    const scan = this.scan
    const series = this.series
    if (!scan || !series) return null
    return buildSetup(this.setup, { scanId: scan.id, series, slice: this.slice }, this.mask?.current ?? null)
  }

  async startRun(): Promise<void> {
    if (this.runBlocker) return
    const setup = this.currentSetup()
    if (!setup) return
    const settings = buildMethodSettings(this.methods)
    const methods: MethodName[] = ['zero-filled', ...settings.methods]
    this.tracker.begin(methods)
    try {
      const { runId } = await recon().startRun({ setup, settings })
      this.tracker.assign(runId)
      // The summary brings the reference, the mask and the shared display window early.
      recon()
        .getRun(runId)
        .then(
          (s) => this.tracker.setSummary(s),
          () => {}
        )
    } catch (err) {
      this.tracker.fail(errorMessage(err))
      notices.error('The reconstruction could not start', err)
    }
  }

  async cancelRun(): Promise<void> {
    const id = this.run?.runId
    if (!id) return
    try {
      await recon().cancelRun(id)
    } catch (err) {
      notices.error('Could not cancel the run', err)
    }
  }

  private finished(runId: string, state: 'done' | 'cancelled' | 'failed', message?: string): void {
    if (this.run?.runId !== runId) return
    if (state === 'failed') notices.push('error', 'The reconstruction failed', message)
    else if (state === 'cancelled') notices.push('warning', 'Reconstruction cancelled', message)
    recon()
      .getRun(runId)
      .then(
        (s) => {
          this.tracker.setSummary(s)
          if (s.outcomes.length) this.centreTab = 'compare'
        },
        (err) => notices.error('Could not fetch the run results', err)
      )
  }

  async saveSettings(patch: Partial<Settings>): Promise<boolean> {
    try {
      this.settings = await recon().setSettings(patch)
      if (patch.modelsFolder !== undefined) this.loadModels()
      return true
    } catch (err) {
      notices.error('Could not save the settings', err)
      return false
    }
  }
}

function labelOf(m: MethodName): string {
  return METHOD_LABELS[m] ?? m
}

export const workbench = new Workbench()
