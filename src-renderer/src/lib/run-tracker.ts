/**
 * The live state of one reconstruction run, folded from RunEvents.
 *
 * Events may arrive before startRun() has resolved with the run id (the service starts work
 * at once), so events for ids not yet known are held in a short buffer and replayed when the
 * id is assigned. Pure logic (no DOM, no Svelte) so the ordering rules are unit-tested.
 */
import type { ImagePlane, MethodOutcome, RunEvent, RunSummary } from '../../../src-main/api/contract.ts'
import type { MethodName } from '../../../src-main/schema/options.ts'

export type MethodState = 'waiting' | 'running' | 'done' | 'failed' | 'cancelled'

export interface MethodProgress {
  method: MethodName
  state: MethodState
  step: number
  total: number
  /** Seconds since the method started (from the service). */
  elapsed: number
  /** Seconds left, as the service estimates it. */
  eta?: number
  preview?: ImagePlane
  message?: string
}

export type RunState = 'starting' | 'running' | 'done' | 'cancelled' | 'failed'

export interface RunView {
  runId: string | null
  state: RunState
  methods: MethodName[]
  progress: Record<string, MethodProgress>
  outcomes: MethodOutcome[]
  failures: { name: MethodName; message: string }[]
  /** Why the run as a whole failed or stopped, if the service said. */
  message?: string
  /** The full summary (reference, mask, convention, window) once fetched. */
  summary?: RunSummary
}

export function newRunView(methods: MethodName[]): RunView {
  const progress: Record<string, MethodProgress> = {}
  for (const m of methods) progress[m] = { method: m, state: 'waiting', step: 0, total: 0, elapsed: 0 }
  return { runId: null, state: 'starting', methods: [...methods], progress, outcomes: [], failures: [] }
}

export function isActive(view: RunView | null): boolean {
  return view !== null && (view.state === 'starting' || view.state === 'running')
}

function withMethod(view: RunView, method: MethodName, patch: Partial<MethodProgress>): RunView {
  const prev = view.progress[method] ?? { method, state: 'waiting' as const, step: 0, total: 0, elapsed: 0 }
  const methods = view.methods.includes(method) ? view.methods : [...view.methods, method]
  return { ...view, methods, progress: { ...view.progress, [method]: { ...prev, ...patch } } }
}

/** Fold one event into the view; events of other runs (and scan-opened) leave it unchanged. */
export function applyEvent(view: RunView, event: RunEvent): RunView {
  if (event.type === 'scan-opened' || event.runId !== view.runId) return view
  const finished = view.state === 'done' || view.state === 'cancelled' || view.state === 'failed'
  switch (event.type) {
    case 'progress': {
      if (finished) return view
      const cur = view.progress[event.method]
      if (cur && (cur.state === 'done' || cur.state === 'failed')) return view
      return withMethod({ ...view, state: 'running' }, event.method, {
        state: 'running',
        step: event.step,
        total: event.total,
        elapsed: event.elapsed,
        eta: event.eta
      })
    }
    case 'preview': {
      const cur = view.progress[event.method]
      if (finished || (cur && cur.state !== 'running' && cur.state !== 'waiting')) return view
      return withMethod(view, event.method, { preview: event.image })
    }
    case 'method-done': {
      const o = event.outcome
      const outcomes = [...view.outcomes.filter((x) => x.name !== o.name), o]
      const cur = view.progress[o.name]
      return withMethod({ ...view, outcomes }, o.name, {
        state: 'done',
        step: cur?.total || cur?.step || 1,
        total: cur?.total || 1,
        eta: 0,
        elapsed: o.seconds
      })
    }
    case 'method-failed': {
      const failures = [...view.failures.filter((f) => f.name !== event.method), { name: event.method, message: event.message }]
      return withMethod({ ...view, failures }, event.method, { state: 'failed', message: event.message })
    }
    case 'run-finished': {
      let next: RunView = { ...view, state: event.state, message: event.message ?? view.message }
      // Methods still open when the run ends were cut short: say so instead of leaving a
      // progress bar that looks stuck.
      for (const m of next.methods) {
        const p = next.progress[m]
        if (p.state === 'waiting' || p.state === 'running') next = withMethod(next, m, { state: event.state === 'failed' ? 'failed' : 'cancelled' })
      }
      return next
    }
  }
}

/**
 * Holds the current run and routes events to it. `onChange` receives every new view (the
 * Svelte store assigns it to reactive state).
 */
export class RunTracker {
  private view: RunView | null = null
  private pending: RunEvent[] = []
  private static readonly PENDING_LIMIT = 2000

  constructor(private readonly onChange: (view: RunView | null) => void) {}

  get current(): RunView | null {
    return this.view
  }

  /** A run was requested; its id is not known yet. */
  begin(methods: MethodName[]): void {
    this.pending = []
    this.set(newRunView(methods))
  }

  /** startRun() resolved: adopt the id and replay what arrived meanwhile. */
  assign(runId: string): void {
    if (!this.view) return
    let v: RunView = { ...this.view, runId, state: this.view.state === 'starting' ? 'running' : this.view.state }
    for (const e of this.pending) if ('runId' in e && e.runId === runId) v = applyEvent(v, e)
    this.pending = []
    this.set(v)
  }

  /** startRun() rejected. */
  fail(message: string): void {
    if (!this.view) return
    this.set({ ...this.view, state: 'failed', message })
  }

  handle(event: RunEvent): void {
    if (event.type === 'scan-opened') return
    if (this.view && this.view.runId === null && this.view.state === 'starting') {
      this.pending.push(event)
      if (this.pending.length > RunTracker.PENDING_LIMIT) this.pending.shift()
      return
    }
    if (!this.view || event.runId !== this.view.runId) return
    const next = applyEvent(this.view, event)
    if (next !== this.view) this.set(next)
  }

  /** Merge the service's summary (reference, mask, convention, final outcomes). */
  setSummary(summary: RunSummary): void {
    if (!this.view || summary.runId !== this.view.runId) return
    let v: RunView = { ...this.view, summary }
    // The summary is authoritative for outcomes and failures it already holds.
    if (summary.outcomes.length >= v.outcomes.length) v = { ...v, outcomes: summary.outcomes }
    for (const f of summary.failures) if (!v.failures.some((x) => x.name === f.name)) v = { ...v, failures: [...v.failures, f] }
    if (summary.state !== 'running' && (v.state === 'running' || v.state === 'starting')) v = { ...v, state: summary.state }
    this.set(v)
  }

  private set(v: RunView | null): void {
    this.view = v
    this.onChange(v)
  }
}
