/**
 * The one door to the main process: `window.recon` (ReconApi), whichever transport defined it
 * (Electron preload or the browser-mode bridge). Components never touch window.recon directly,
 * so a missing bridge becomes a readable message instead of a TypeError, and run events reach
 * every listener through one subscription.
 */
import type { ReconApi, RunEvent } from '../../../src-main/api/contract.ts'

export class NoBridgeError extends Error {
  constructor() {
    super(
      'Not connected to the Recon Studio services: this page was opened on its own. Start the desktop app with `npm start`, or browser mode with `npm run web` and open the address it prints.'
    )
    this.name = 'NoBridgeError'
  }
}

export function hasBridge(): boolean {
  return typeof window !== 'undefined' && window.recon !== undefined
}

export function recon(): ReconApi {
  const r = typeof window !== 'undefined' ? window.recon : undefined
  if (!r) throw new NoBridgeError()
  return r
}

/** A message fit for the notification area, from whatever an API call rejected with. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  if (typeof err === 'string') return err
  if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    return (err as { message: string }).message
  }
  return 'Unknown error: ' + String(err)
}

type Listener = (event: RunEvent) => void
const listeners = new Set<Listener>()
let unsubscribe: (() => void) | null = null

/** Listen to run and scan events; the first listener opens the one bridge subscription. */
export function onEvent(listener: Listener): () => void {
  listeners.add(listener)
  if (!unsubscribe && hasBridge()) {
    unsubscribe = recon().onEvent((event) => {
      for (const l of [...listeners]) {
        try {
          l(event)
        } catch (err) {
          // One faulty listener must not starve the others (or the run's progress).
          console.error('run event listener failed', err)
        }
      }
    })
  }
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0 && unsubscribe) {
      unsubscribe()
      unsubscribe = null
    }
  }
}
