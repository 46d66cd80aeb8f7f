/**
 * The one API between the workbench (renderer) and the services of the main process.
 *
 * Two transports carry it, and the renderer cannot tell them apart: in the desktop app the
 * sandboxed preload exposes it on `window.recon` over Electron IPC (typed arrays travel by
 * structured clone); in browser mode (`npm run web`) a bridge script defines the same
 * `window.recon` over HTTP on 127.0.0.1 with a per-run token (typed arrays encoded by
 * src-main/api/wire.ts). Both ends validate what they receive.
 *
 * No Node or Electron import here: the renderer imports this file for its types, and the
 * experiment options reuse the CLI's schema (src-main/schema/options.ts), so a setting means
 * the same thing in the app, in a report and on the command line.
 */
import type { MapsOption, McData, MethodName, Task } from '../schema/options.ts'
import type { PatternName } from '../engine/patterns/index.ts'

/** A row-major float32 image (magnitude, phase, mask, error map, …). */
export interface ImagePlane {
  width: number
  height: number
  data: Float32Array
}

/** What `info()` resolves to. */
export interface AppInfo {
  name: string
  version: string
  platform: string
  /** e.g. "node 20.20.2" */
  engine: string
  /** 'desktop' or 'browser': shown in About; the UI behaves the same in both. */
  shell: 'desktop' | 'browser'
}

export interface SeriesSummary {
  index: number
  /** One line for the series browser, e.g. "MR 256×256×20 T1 AX (DICOM)". */
  description: string
  /** 'image': pixels; 'kspace': raw (possibly multi-coil, possibly undersampled) k-space. */
  domain: 'image' | 'kspace'
  width: number
  height: number
  /** Slices/frames (volumes, DICOM series); 1 for a plain image. */
  frames: number
  coils: number
  complex: boolean
  /** k-space that already lacks samples: its own mask is used, no pattern is simulated. */
  undersampled: boolean
  modality?: string
}

export interface ScanSummary {
  /** Handle for later calls; valid for this session of the service. */
  id: string
  /** File or folder name as the user sees it. */
  name: string
  /** Full path where known (desktop, recent files); absent for uploads. */
  path?: string
  format: string
  series: SeriesSummary[]
  /** Loader notes (sorting, rescale, decoder) worth showing. */
  notes: string[]
}

export interface FileUpload {
  /** Relative path inside a dropped/picked folder ("dir/IM0001.dcm") or a bare file name. */
  name: string
  bytes: Uint8Array
}

export interface SliceRequest {
  scanId: string
  series: number
  /** Frame/slice index; default: the middle one. */
  slice?: number
}

export interface SliceView {
  scanId: string
  series: number
  slice: number
  frames: number
  /** Magnitude in stored units (after rescale); for k-space input the zero-filled coil-combined image. */
  magnitude: ImagePlane
  /** Phase in radians, for complex data. */
  phase?: ImagePlane
  /** log(1 + |k|) of the (coil-combined) k-space, for the k-space view. */
  kspaceLog: ImagePlane
  /** Suggested window (DICOM window or a robust 1–99.5 % range). */
  window: { center: number; width: number }
  /** Coil images (magnitude) for multi-coil k-space, on request. */
  coilImages?: ImagePlane[]
}

/**
 * The experiment: which slice, which forward model and measurement. Field names and meanings
 * are those of ReconstructOptions (the CLI); the painted inpainting mask travels as pixels.
 */
export interface ExperimentSetup {
  scanId: string
  series: number
  slice?: number
  task: Task
  pattern: PatternName
  acceleration: number
  centerFraction?: number
  seed: number
  noise: number
  blurSigma: number
  factor: number
  /** Simulate this many coils from an image (MRI); 1 = single coil. */
  coils: number
  maps: MapsOption
  virtualCoils?: number
  /** Inpainting: height×width, 1 = missing pixel (painted by the user). */
  paintedMask?: Uint8Array
}

export interface MeasurementPreview {
  /** The sampling mask (k-space, 1 = sampled) or the missing-pixel mask (inpainting, 1 = missing). */
  mask: ImagePlane
  maskMeaning: 'sampled' | 'missing'
  /** H·W / samples for k-space tasks; null otherwise. */
  effectiveAcceleration: number | null
  sampledFraction: number
  /** Adjoint / zero-filled image (magnitude). */
  zeroFilled: ImagePlane
  /** The ground truth, when the measurement is simulated from an image. */
  reference?: ImagePlane
  /** One line, as in the CLI log ("Poisson disc 4× (3.98× effective), 256×256, 1 coil"). */
  description: string
  /** Coil sensitivity maps (magnitude), for multi-coil problems on request. */
  sensitivityMaps?: ImagePlane[]
}

export interface MethodSettings {
  /** Methods to run besides zero-filled (always computed). */
  methods: Exclude<MethodName, 'zero-filled'>[]
  lambda: number
  iterations: number
  innerIterations: number
  tolerance: number
  /** Diffusion prior id, shared by DPS and MC; absent = the installed prior for the task's domain. */
  model?: string
  /**
   * DPS: sampling steps, posterior samples (their mean is the result, their std is shown) and
   * the guidance step ζ (absent = the derived default 18·√(HW)/256). The CLI's --steps,
   * --samples and --zeta.
   */
  dps: { steps: number; samples: number; zeta?: number }
  /** Measurement consistency: steps, samples, the consistency weight λ in [0, 1] (--lambda-mc) and what it enforces (--mc-data). */
  mc: { steps: number; samples: number; lambdaMc: number; mcData: McData }
}

export interface RunRequest {
  setup: ExperimentSetup
  settings: MethodSettings
}

export interface MethodOutcome {
  name: MethodName
  label: string
  image: ImagePlane
  /** |result − reference|, when there is a reference. */
  errorMap?: ImagePlane
  /** Posterior standard deviation (several samples). */
  std?: ImagePlane
  psnr: number | null
  ssim: number | null
  nmse: number | null
  /** ‖A x − y‖ / ‖y‖. */
  dcResidual: number
  seconds: number
  params: Record<string, number | string | boolean>
}

export interface ModelInfo {
  id: string
  domain: string
  description: string
  parameters: number
  sha256: { denoiser: string; vjp?: string; saving?: string; pullback?: string }
  /** Card is valid and the files' hashes match. */
  usable: boolean
  problem?: string
}

export interface RunSummary {
  runId: string
  state: 'running' | 'done' | 'cancelled' | 'failed'
  created: string
  setup: RunRequest
  description: string
  reference?: ImagePlane
  /** The sampling mask (MRI), the missing-pixel mask (inpainting), or all ones (no mask: blur, downsampling). */
  mask: ImagePlane
  /** What a 1 in `mask` means: a sampled k-space point, a missing pixel, or nothing ('none': the task has no mask). */
  maskMeaning: 'sampled' | 'missing' | 'none'
  /** zero-filled first, then the requested methods in order, as each finishes. */
  outcomes: MethodOutcome[]
  /** Methods that failed, with a readable message. */
  failures: { name: MethodName; message: string }[]
  metricsConvention: string
  /** Display window shared by every image of the run: [0, windowMax]. */
  windowMax: number
  models: { id: string; sha256: { denoiser: string; vjp?: string; saving?: string; pullback?: string } }[]
}

export type RunEvent =
  | { type: 'progress'; runId: string; method: MethodName; step: number; total: number; elapsed: number; eta?: number }
  | { type: 'preview'; runId: string; method: MethodName; step: number; image: ImagePlane }
  | { type: 'method-done'; runId: string; outcome: MethodOutcome }
  | { type: 'method-failed'; runId: string; method: MethodName; message: string }
  | { type: 'run-finished'; runId: string; state: 'done' | 'cancelled' | 'failed'; message?: string }
  /** The desktop menu opened a scan (File → Open, recent files, drag onto the dock icon). */
  | { type: 'scan-opened'; scan: ScanSummary }

export const EXPORT_FORMATS = ['png', 'png16', 'npy', 'dicom', 'nifti', 'mask', 'html', 'pdf', 'csv', 'json'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface ExportRequest {
  runId: string
  /** Target folder; absent = `<settings.exportFolder>/<run id>`. Created if missing. */
  folder?: string
  formats: ExportFormat[]
  overwrite?: boolean
}

export interface ExportResult {
  folder: string
  /** Paths relative to `folder`. */
  files: string[]
}

export interface Settings {
  /** Worker threads for reconstructions (each job runs in one). */
  threads: number
  /** onnxruntime execution provider preference; CPU is the fallback. */
  executionProvider: 'cpu' | 'cuda' | 'dml' | 'coreml'
  /** Extra folder with user model cards (models/ in the app is always searched). */
  modelsFolder: string | null
  defaultMethods: Exclude<MethodName, 'zero-filled'>[]
  exportFolder: string
}

/** The API on `window.recon`. Every method is one IPC channel / one HTTP endpoint. */
export interface ReconApi {
  info(): Promise<AppInfo>
  openFiles(files: FileUpload[]): Promise<ScanSummary>
  /** Open a path on the machine running the services (recent files; desktop dialogs). */
  openPath(path: string): Promise<ScanSummary>
  recentFiles(): Promise<string[]>
  slice(request: SliceRequest, options?: { coils?: boolean }): Promise<SliceView>
  previewMeasurement(setup: ExperimentSetup, options?: { maps?: boolean }): Promise<MeasurementPreview>
  startRun(request: RunRequest): Promise<{ runId: string }>
  cancelRun(runId: string): Promise<void>
  getRun(runId: string): Promise<RunSummary>
  exportRun(request: ExportRequest): Promise<ExportResult>
  listModels(): Promise<ModelInfo[]>
  getSettings(): Promise<Settings>
  setSettings(patch: Partial<Settings>): Promise<Settings>
  /** Subscribe to run progress and scan-opened events; returns an unsubscribe function. */
  onEvent(listener: (event: RunEvent) => void): () => void
}

/** Request/response methods (everything but onEvent): the IPC channels and HTTP endpoints. */
export const API_METHODS = [
  'info',
  'openFiles',
  'openPath',
  'recentFiles',
  'slice',
  'previewMeasurement',
  'startRun',
  'cancelRun',
  'getRun',
  'exportRun',
  'listModels',
  'getSettings',
  'setSettings'
] as const satisfies readonly Exclude<keyof ReconApi, 'onEvent'>[]
export type ApiMethod = (typeof API_METHODS)[number]

/** Electron IPC channel of a method, and the event channel. */
export const ipcChannel = (method: ApiMethod): string => `recon:${method}`
export const EVENT_CHANNEL = 'recon:event'

/** Errors cross either transport as { name, message } and are rethrown as ApiError. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string = 'error'
  ) {
    super(message)
    this.name = 'ApiError'
  }
}
