// The contract between the Electron main process, the preload bridge and the renderer.
// No `electron` import here: the renderer imports this file as types only, and the
// main process and preload share the channel names and the shape check at runtime.

/** What `window.recon.info()` resolves to. */
export interface AppInfo {
  /** Product name shown to the user ("Recon Studio"). */
  name: string
  /** The package version (package.json). */
  version: string
  /** `process.platform` of the main process. */
  platform: string
  /** The JavaScript engine the reconstruction runs on, e.g. "node 22.20.0". */
  engine: string
}

/** The API the preload exposes on `window.recon`. Keep it narrow: one method per IPC channel. */
export interface ReconApi {
  info(): Promise<AppInfo>
}

/** IPC channel names (invoke/handle). */
export const IPC = {
  appInfo: 'app:info'
} as const

/** Runtime shape check for values crossing the process boundary. */
export function isAppInfo(value: unknown): value is AppInfo {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.name === 'string' &&
    typeof v.version === 'string' &&
    typeof v.platform === 'string' &&
    typeof v.engine === 'string'
  )
}
