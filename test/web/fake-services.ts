/**
 * A small in-memory ReconServices for transport tests: deterministic answers with typed arrays
 * (NaN included), errors with codes, and run events pushed to subscribers. It records every
 * call so tests can check what reached the service (and what did not).
 */
import { ApiError } from '../../src-main/api/contract.ts'
import type {
  ExperimentSetup,
  ExportRequest,
  ExportResult,
  FileUpload,
  MeasurementPreview,
  ModelInfo,
  RunEvent,
  RunRequest,
  RunSummary,
  ScanSummary,
  Settings,
  SliceRequest,
  SliceView
} from '../../src-main/api/contract.ts'
import type { ReconServices } from '../../src-main/services/types.ts'

export const plane = (width: number, height: number, fill: (i: number) => number) => ({
  width,
  height,
  data: Float32Array.from({ length: width * height }, (_, i) => fill(i))
})

export class FakeServices implements ReconServices {
  calls: { method: string; args: unknown[] }[] = []
  disposed = 0
  private listeners = new Set<(e: RunEvent) => void>()
  private settings: Settings = { threads: 1, executionProvider: 'cpu', modelsFolder: null, defaultMethods: ['fista-tv'], exportFolder: '/tmp/exports' }

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args })
  }

  emit(event: RunEvent): void {
    for (const l of [...this.listeners]) l(event)
  }

  subscribe(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get subscribers(): number {
    return this.listeners.size
  }

  async dispose(): Promise<void> {
    this.disposed++
  }

  async openFiles(files: FileUpload[]): Promise<ScanSummary> {
    this.record('openFiles', [files])
    const total = files.reduce((n, f) => n + f.bytes.length, 0)
    let sum = 0
    for (const f of files) for (let i = 0; i < f.bytes.length; i += 4099) sum = (sum + f.bytes[i]) % 1000003
    return {
      id: 'scan-1',
      name: files[0].name,
      format: 'fake',
      series: [],
      notes: [`${files.length} files, ${total} bytes, sampled sum ${sum}`]
    }
  }

  async openPath(path: string): Promise<ScanSummary> {
    this.record('openPath', [path])
    throw new ApiError(`no such file or folder: ${path}`, 'not-found')
  }

  async recentFiles(): Promise<string[]> {
    this.record('recentFiles', [])
    return ['/data/a.dcm', '/data/b.nii.gz']
  }

  async slice(request: SliceRequest, options?: { coils?: boolean }): Promise<SliceView> {
    this.record('slice', [request, options])
    if (request.scanId !== 'scan-1') throw new ApiError(`unknown scan ${request.scanId}`, 'not-found')
    return {
      scanId: request.scanId,
      series: request.series,
      slice: request.slice ?? 1,
      frames: 3,
      magnitude: plane(4, 3, (i) => (i === 5 ? NaN : i === 6 ? Infinity : i * 0.5)),
      kspaceLog: plane(4, 3, (i) => Math.log1p(i)),
      window: { center: 2, width: 4 },
      coilImages: options?.coils ? [plane(4, 3, () => 1), plane(4, 3, () => -0)] : undefined
    }
  }

  async previewMeasurement(setup: ExperimentSetup, options?: { maps?: boolean }): Promise<MeasurementPreview> {
    this.record('previewMeasurement', [setup, options])
    return {
      mask: plane(4, 3, (i) => i % 2),
      maskMeaning: 'sampled',
      effectiveAcceleration: 2,
      sampledFraction: 0.5,
      zeroFilled: plane(4, 3, (i) => i),
      description: `${setup.pattern} ${setup.acceleration}×`
    }
  }

  async startRun(request: RunRequest): Promise<{ runId: string }> {
    this.record('startRun', [request])
    const runId = 'run-' + this.calls.filter((c) => c.method === 'startRun').length
    // Events after the reply, as a real run would send them.
    setTimeout(() => {
      this.emit({ type: 'progress', runId, method: 'fista-tv', step: 1, total: 2, elapsed: 0.1, eta: 0.1 })
      this.emit({ type: 'preview', runId, method: 'fista-tv', step: 1, image: plane(2, 2, (i) => (i === 0 ? NaN : i)) })
      this.emit({ type: 'run-finished', runId, state: 'done' })
    }, 20)
    return { runId }
  }

  async cancelRun(runId: string): Promise<void> {
    this.record('cancelRun', [runId])
    if (runId === 'run-crash') throw new Error('the worker of run-crash died')
  }

  async getRun(runId: string): Promise<RunSummary> {
    this.record('getRun', [runId])
    throw new ApiError(`unknown run ${runId}`, 'not-found')
  }

  async exportRun(request: ExportRequest): Promise<ExportResult> {
    this.record('exportRun', [request])
    return { folder: request.folder ?? '/tmp/exports/' + request.runId, files: request.formats.map((f) => `result.${f}`) }
  }

  async listModels(): Promise<ModelInfo[]> {
    this.record('listModels', [])
    return []
  }

  async getSettings(): Promise<Settings> {
    this.record('getSettings', [])
    return { ...this.settings }
  }

  async setSettings(patch: Partial<Settings>): Promise<Settings> {
    this.record('setSettings', [patch])
    if (patch.threads !== undefined && patch.threads < 1) throw new RangeError('threads must be at least 1')
    this.settings = { ...this.settings, ...patch }
    return { ...this.settings }
  }
}
