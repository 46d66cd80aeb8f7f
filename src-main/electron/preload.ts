// Preload bridge: `window.recon` (ReconApi, src-main/api/contract.ts) over Electron IPC.
// Runs sandboxed (built as CommonJS), so it may import only `electron`; everything else it
// needs is bundled in. It exposes one explicit function per API method and onEvent — never
// ipcRenderer itself, never a generic invoke(channel, ...).
//
// The main process answers every call with { ok: true, value } or { ok: false, error:
// { name, message, code } } (src-main/electron/main.ts), so errors keep their own message
// instead of Electron's "Error invoking remote method …" wrapping; they are rethrown here as
// ApiError. (contextBridge copies errors into the page with their message only.)
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { ApiError, EVENT_CHANNEL, ipcChannel, type ApiMethod, type ReconApi, type RunEvent } from '../api/contract.ts'

type Reply = { ok: true; value: unknown } | { ok: false; error?: { name?: string; message?: string; code?: string } }

async function invoke(method: ApiMethod, ...args: unknown[]): Promise<unknown> {
  const reply = (await ipcRenderer.invoke(ipcChannel(method), ...args)) as Reply | undefined
  if (reply && reply.ok === true) return reply.value
  const error = reply?.error
  throw new ApiError(typeof error?.message === 'string' ? error.message : `${method}: no reply from the main process`, error?.code ?? 'error')
}

// One IPC listener for all subscribers, registered on the first subscription.
const listeners = new Set<(event: RunEvent) => void>()
let listening = false
function onIpcEvent(_e: IpcRendererEvent, event: RunEvent): void {
  for (const listener of [...listeners]) {
    try {
      listener(event)
    } catch (err) {
      console.error('recon: an event listener threw', err)
    }
  }
}

const api: ReconApi = {
  info: () => invoke('info') as ReturnType<ReconApi['info']>,
  openFiles: (files) => invoke('openFiles', files) as ReturnType<ReconApi['openFiles']>,
  openPath: (path) => invoke('openPath', path) as ReturnType<ReconApi['openPath']>,
  recentFiles: () => invoke('recentFiles') as ReturnType<ReconApi['recentFiles']>,
  slice: (request, options) => invoke('slice', request, options) as ReturnType<ReconApi['slice']>,
  previewMeasurement: (setup, options) => invoke('previewMeasurement', setup, options) as ReturnType<ReconApi['previewMeasurement']>,
  startRun: (request) => invoke('startRun', request) as ReturnType<ReconApi['startRun']>,
  cancelRun: (runId) => invoke('cancelRun', runId) as ReturnType<ReconApi['cancelRun']>,
  getRun: (runId) => invoke('getRun', runId) as ReturnType<ReconApi['getRun']>,
  exportRun: (request) => invoke('exportRun', request) as ReturnType<ReconApi['exportRun']>,
  listModels: () => invoke('listModels') as ReturnType<ReconApi['listModels']>,
  getSettings: () => invoke('getSettings') as ReturnType<ReconApi['getSettings']>,
  setSettings: (patch) => invoke('setSettings', patch) as ReturnType<ReconApi['setSettings']>,
  onEvent(listener) {
    if (typeof listener !== 'function') throw new TypeError('recon.onEvent: the listener must be a function')
    // Each subscription is its own entry, so subscribing one function twice needs two unsubscribes.
    const entry = (event: RunEvent): void => listener(event)
    listeners.add(entry)
    if (!listening) {
      ipcRenderer.on(EVENT_CHANNEL, onIpcEvent)
      listening = true
    }
    return () => {
      listeners.delete(entry)
    }
  }
}

contextBridge.exposeInMainWorld('recon', api)
