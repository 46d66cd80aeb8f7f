/**
 * Browser-mode bridge: defines `window.recon` (ReconApi) over HTTP to src-main/web/server.ts,
 * as the preload does over Electron IPC in the desktop app. The server bundles this file with
 * esbuild and serves it as /bridge.js, injected into index.html before the app's own script,
 * so `window.recon` exists before the renderer's first line runs.
 *
 * - Calls: `POST /api/<method>` with `{args: [...]}` in the binary wire container
 *   (src-main/api/wire.ts: typed arrays as raw bytes, no base64); the reply is `{value}` in the
 *   same container, or `{error: {name, message, code}}` rethrown as ApiError.
 * - Events: one EventSource on `GET /api/events`, opened on the first onEvent(); it
 *   reconnects by itself after a dropped connection, and is recreated (with the last event id,
 *   so nothing is missed) when the browser gives up on it.
 * - Authentication: the HttpOnly cookie set by the first page load; this script never sees
 *   the token.
 */
import { ApiError, type ReconApi, type RunEvent } from '../api/contract.ts'
import { WIRE_BINARY_TYPE, WIRE_JSON_TYPE, decodeBinary, decodeJson, encodeBinary, errorFromWire } from '../api/wire.ts'

async function call(method: string, args: unknown[]): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': WIRE_BINARY_TYPE, Accept: WIRE_BINARY_TYPE },
      body: new Blob(encodeBinary({ args }) as BlobPart[]),
      credentials: 'same-origin',
      cache: 'no-store'
    })
  } catch (err) {
    throw new ApiError(
      `Recon Studio: the local server did not answer (${method}: ${(err as Error).message}). Is \`npm run web\` still running?`,
      'unreachable'
    )
  }
  const type = (res.headers.get('content-type') ?? '').toLowerCase()
  if (!res.ok) {
    if (type.startsWith(WIRE_JSON_TYPE)) {
      let body: { error?: unknown }
      try {
        body = (await res.json()) as { error?: unknown }
      } catch {
        throw new ApiError(`${method} failed (HTTP ${res.status})`, `http-${res.status}`)
      }
      throw errorFromWire(body.error)
    }
    const text = (await res.text()).trim()
    throw new ApiError(text || `${method} failed (HTTP ${res.status})`, `http-${res.status}`)
  }
  const bytes = new Uint8Array(await res.arrayBuffer())
  const payload = (type.startsWith(WIRE_BINARY_TYPE) ? decodeBinary(bytes) : decodeJson(new TextDecoder().decode(bytes))) as {
    value?: unknown
  }
  return payload.value
}

// --- events -------------------------------------------------------------------------------------

const listeners = new Set<(event: RunEvent) => void>()
let source: EventSource | null = null
let lastEventId = ''
let retryMs = 1000
const MAX_RETRY_MS = 15000

function deliver(message: MessageEvent<string>): void {
  if (message.lastEventId) lastEventId = message.lastEventId
  let event: RunEvent
  try {
    event = decodeJson(message.data) as RunEvent
  } catch (err) {
    console.error('recon: malformed event from the server', err)
    return
  }
  for (const listener of [...listeners]) {
    try {
      listener(event)
    } catch (err) {
      console.error('recon: an event listener threw', err)
    }
  }
}

function connect(): void {
  const es = new EventSource(lastEventId ? `/api/events?lastEventId=${encodeURIComponent(lastEventId)}` : '/api/events')
  source = es
  es.onopen = () => {
    retryMs = 1000
  }
  es.onmessage = deliver
  es.onerror = () => {
    // CONNECTING: the browser retries by itself (sending Last-Event-ID). CLOSED: it gave up
    // (e.g. an HTTP error while the server restarted): start a new one after a pause.
    if (es.readyState !== EventSource.CLOSED || source !== es) return
    source = null
    setTimeout(() => {
      if (source === null) connect()
    }, retryMs)
    retryMs = Math.min(2 * retryMs, MAX_RETRY_MS)
  }
}

// --- the API: one function per method, as in the preload ------------------------------------------

const api: ReconApi = {
  info: () => call('info', []) as ReturnType<ReconApi['info']>,
  openFiles: (files) => call('openFiles', [files]) as ReturnType<ReconApi['openFiles']>,
  openPath: (path) => call('openPath', [path]) as ReturnType<ReconApi['openPath']>,
  recentFiles: () => call('recentFiles', []) as ReturnType<ReconApi['recentFiles']>,
  slice: (request, options) => call('slice', [request, options]) as ReturnType<ReconApi['slice']>,
  previewMeasurement: (setup, options) => call('previewMeasurement', [setup, options]) as ReturnType<ReconApi['previewMeasurement']>,
  startRun: (request) => call('startRun', [request]) as ReturnType<ReconApi['startRun']>,
  cancelRun: (runId) => call('cancelRun', [runId]) as ReturnType<ReconApi['cancelRun']>,
  getRun: (runId) => call('getRun', [runId]) as ReturnType<ReconApi['getRun']>,
  exportRun: (request) => call('exportRun', [request]) as ReturnType<ReconApi['exportRun']>,
  listModels: () => call('listModels', []) as ReturnType<ReconApi['listModels']>,
  getSettings: () => call('getSettings', []) as ReturnType<ReconApi['getSettings']>,
  setSettings: (patch) => call('setSettings', [patch]) as ReturnType<ReconApi['setSettings']>,
  onEvent(listener) {
    if (typeof listener !== 'function') throw new TypeError('recon.onEvent: the listener must be a function')
    // Each subscription is its own entry, so subscribing one function twice needs two unsubscribes.
    const entry = (event: RunEvent): void => listener(event)
    listeners.add(entry)
    if (source === null) connect()
    return () => {
      listeners.delete(entry)
    }
  }
}

// Like contextBridge.exposeInMainWorld: a frozen object on a read-only property.
Object.defineProperty(window, 'recon', { value: Object.freeze(api), enumerable: true, writable: false, configurable: false })
