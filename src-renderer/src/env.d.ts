/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { ReconApi } from '../../src-main/api/contract.ts'

declare global {
  interface Window {
    /**
     * The services, defined before the app script runs: by the sandboxed preload in the desktop
     * app, by the bridge script in browser mode. The renderer cannot (and must not) tell which.
     * Absent only when the page is opened on its own, which the app reports instead of failing.
     */
    readonly recon?: ReconApi
  }
}

export {}
