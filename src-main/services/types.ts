/**
 * What the transports (Electron IPC in src-main/electron, the local HTTP bridge in
 * src-main/web) need from the main-process services. The WorkbenchService
 * (src-main/services/workbench.ts) implements it; it never imports Electron, so the desktop
 * app, browser mode and the tests drive the very same object.
 */
import type { ReconApi, RunEvent } from '../api/contract.ts'

/** The API minus the two parts that belong to a transport: `info` (which shell) and `onEvent`. */
export type ServiceMethods = Omit<ReconApi, 'info' | 'onEvent'>

export interface ReconServices extends ServiceMethods {
  /** Receive every RunEvent (all runs); returns an unsubscribe function. */
  subscribe(listener: (event: RunEvent) => void): () => void
  /** Cancel running jobs, stop the workers, remove temporary uploads. Idempotent. */
  dispose(): Promise<void>
}
