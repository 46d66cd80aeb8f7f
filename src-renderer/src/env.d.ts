/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { ReconApi } from '../../src-main/electron/api-types.ts'

declare global {
  interface Window {
    /** The desktop bridge from the preload script; absent when the page runs in a plain browser. */
    readonly recon?: ReconApi
  }
}

export {}
