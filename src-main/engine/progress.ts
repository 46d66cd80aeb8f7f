/**
 * Progress and cancellation shared by every long-running solver and sampler, so the CLI, the
 * worker threads and the UI observe and stop all methods the same way.
 */
export interface Progress {
  step: number
  total: number
  /** Optional short status, e.g. the current relative change. */
  message?: string
}

export interface RunControl {
  onProgress?: (p: Progress) => void
  /** Called with the current estimate every `previewEvery` steps (live preview, convergence traces). */
  onPreview?: (image: import('./complex.ts').CArray, step: number) => void
  previewEvery?: number
  /** Checked once per iteration; an aborted signal stops the run with CancelledError. */
  signal?: AbortSignal
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message)
    this.name = 'CancelledError'
  }
}

export function throwIfCancelled(control: RunControl | undefined): void {
  if (control?.signal?.aborted) throw new CancelledError()
}
