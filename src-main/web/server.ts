/**
 * Browser mode: the workbench served on 127.0.0.1 for machines without the Electron binary.
 *
 * The renderer (out/renderer) is served as static files with the desktop app's CSP; a bridge
 * script (/bridge.js, bundled on the fly from ./bridge-client.ts) defines the same
 * `window.recon` the preload exposes, over `POST /api/<method>` and Server-Sent Events on
 * `GET /api/events`.
 *
 * Anything on the machine can connect to 127.0.0.1, and any web page the user visits can make
 * the browser send requests there, so every request must prove it comes from the page we
 * served:
 * - a random per-run token: the printed address `/?token=…` sets it as an HttpOnly,
 *   SameSite=Strict cookie (named per port: cookies are shared between the ports of a host)
 *   and redirects to `/`; later requests carry the cookie or an `X-Recon-Token` header.
 *   Tokens are compared in constant time. Anything else: 403 with a plain explanation.
 * - the Host header must be 127.0.0.1:PORT or localhost:PORT (defeats DNS rebinding), and an
 *   Origin header, when sent, must be this server's own origin.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { realpathSync, promises as fsp } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AppInfo, RunEvent } from '../api/contract.ts'
import { WIRE_BINARY_TYPE, WIRE_JSON_TYPE, decodeBinary, decodeJson, encodeBinary, encodeJson, errorToWire } from '../api/wire.ts'
import { contentSecurityPolicy } from '../electron/csp.ts'
import type { ReconServices } from '../services/types.ts'
import { VERSION } from '../version.ts'
import { BadRequestError, callService, isApiMethod } from './dispatch.ts'

export interface WebServerOptions {
  services: ReconServices
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** 0 (default): any free port. */
  port?: number
  /** Default: 32 random bytes, base64url. */
  token?: string
  /** Diagnostics (default: stderr). Never stdout: `npm run web` prints only the address there. */
  log?: (line: string) => void
  /** Largest request body of openFiles (default 2 GiB) and of every other method (default 64 MiB). */
  maxUploadBytes?: number
  maxBodyBytes?: number
}

export interface WebServer {
  /** The address to open: `http://127.0.0.1:PORT/?token=…`. */
  url: string
  port: number
  token: string
  close(): Promise<void>
}

export const TOKEN_HEADER = 'x-recon-token'
export const cookieName = (port: number): string => `recon_token_${port}`

const BRIDGE_SOURCE = fileURLToPath(new URL('./bridge-client.ts', import.meta.url))
export const BRIDGE_TAG = '<script type="module" src="/bridge.js"></script>'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8'
}

/** Recent events kept for a reconnecting EventSource (Last-Event-ID); previews are not kept. */
const REPLAY_EVENTS = 512
const HEARTBEAT_MS = 15000

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

const FORBIDDEN_TOKEN =
  'Recon Studio (browser mode): this address needs the access token of the running server.\n' +
  'Open the full address that `npm run web` printed (it ends in /?token=...). The token changes every time the server starts.\n'

/** Bundle the bridge for the browser (esbuild, imported lazily: only browser mode needs it). */
export async function buildBridge(): Promise<string> {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    entryPoints: [BRIDGE_SOURCE],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: false,
    legalComments: 'none',
    logLevel: 'silent'
  })
  return result.outputFiles[0].text
}

/** Put the bridge script before the first <script> (the app's module script) or at the end of <head>. */
export function injectBridge(html: string): string {
  const m = /<script\b/i.exec(html)
  if (m) return html.slice(0, m.index) + BRIDGE_TAG + '\n    ' + html.slice(m.index)
  const head = /<\/head>/i.exec(html)
  if (head) return html.slice(0, head.index) + BRIDGE_TAG + '\n  ' + html.slice(head.index)
  return BRIDGE_TAG + html
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    out.set(part.slice(0, i).trim(), part.slice(i + 1).trim())
  }
  return out
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { services } = options
  const token = options.token ?? randomBytes(32).toString('base64url')
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token)) throw new Error('startWebServer: the token must be at least 16 base64url characters')
  const tokenDigest = sha256(token)
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'))
  const maxUpload = options.maxUploadBytes ?? 2 * 1024 ** 3
  const maxBody = options.maxBodyBytes ?? 64 * 1024 ** 2
  const rendererDir = resolve(options.rendererDir)
  let rendererReal: string
  try {
    rendererReal = realpathSync(rendererDir)
  } catch {
    throw new Error(`startWebServer: the renderer folder ${rendererDir} does not exist (build it with \`npx electron-vite build\`)`)
  }
  const csp = contentSecurityPolicy({ dev: false, header: true })
  const bridgeJs = await buildBridge()
  const info = (): AppInfo => ({
    name: 'Recon Studio',
    version: VERSION,
    platform: process.platform,
    engine: 'node ' + process.versions.node,
    shell: 'browser'
  })

  let port = 0
  const validHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`]
  const validOrigins = (): string[] => [`http://127.0.0.1:${port}`, `http://localhost:${port}`]

  // --- events: one subscription, fanned out to every open EventSource -----------------------
  interface Client {
    res: ServerResponse
  }
  const clients = new Set<Client>()
  const recent: { id: number; data: string }[] = []
  let nextEventId = 1
  const unsubscribe = services.subscribe((event: RunEvent) => {
    let data: string
    try {
      data = encodeJson(event)
    } catch (err) {
      log(`web: could not encode a ${event.type} event: ${(err as Error).message}`)
      return
    }
    const id = nextEventId++
    if (event.type !== 'preview') {
      recent.push({ id, data })
      if (recent.length > REPLAY_EVENTS) recent.shift()
    }
    for (const c of clients) {
      // A slow client skips previews rather than letting them pile up in memory.
      if (event.type === 'preview' && c.res.writableNeedDrain) continue
      c.res.write(`id: ${id}\ndata: ${data}\n\n`)
    }
  })
  const heartbeat = setInterval(() => {
    for (const c of clients) c.res.write(': keep-alive\n\n')
  }, HEARTBEAT_MS)
  heartbeat.unref()

  // --- helpers -------------------------------------------------------------------------------
  function baseHeaders(res: ServerResponse): void {
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Content-Security-Policy', csp)
    res.setHeader('Referrer-Policy', 'no-referrer')
    res.setHeader('X-Frame-Options', 'DENY')
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
  }

  function sendText(res: ServerResponse, status: number, text: string): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    res.statusCode = status
    res.setHeader('Content-Type', 'text/plain; charset=utf-8')
    res.setHeader('Cache-Control', 'no-store')
    res.end(text.endsWith('\n') ? text : text + '\n')
  }

  function sendError(res: ServerResponse, status: number, err: unknown): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    res.statusCode = status
    res.setHeader('Content-Type', `${WIRE_JSON_TYPE}; charset=utf-8`)
    res.setHeader('Cache-Control', 'no-store')
    res.end(JSON.stringify({ error: errorToWire(err) }))
  }

  function tokenMatches(candidate: string | undefined): boolean {
    if (!candidate) return false
    return timingSafeEqual(sha256(candidate), tokenDigest)
  }

  /** Host, Origin and token checks; on failure the response is sent and false returned. */
  function admitted(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const host = (req.headers.host ?? '').toLowerCase()
    if (!validHosts().includes(host)) {
      sendText(res, 403, `Recon Studio (browser mode) answers only at http://127.0.0.1:${port}/ or http://localhost:${port}/ (Host header "${host}" refused).`)
      return false
    }
    const origin = req.headers.origin
    if (origin !== undefined && !validOrigins().includes(origin.toLowerCase())) {
      sendText(res, 403, `Recon Studio (browser mode) refuses requests from other web pages (Origin "${origin}").`)
      return false
    }
    // The first page load: /?token=… sets the cookie and drops the token from the address bar.
    const query = url.searchParams.get('token')
    if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html') && tokenMatches(query ?? undefined)) {
      res.statusCode = 303
      res.setHeader('Set-Cookie', `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`)
      res.setHeader('Location', '/')
      res.setHeader('Cache-Control', 'no-store')
      res.end()
      return false
    }
    const header = req.headers[TOKEN_HEADER]
    const cookie = parseCookies(req.headers.cookie).get(cookieName(port))
    if (tokenMatches(typeof header === 'string' ? header : undefined) || tokenMatches(cookie)) return true
    sendText(res, 403, FORBIDDEN_TOKEN)
    return false
  }

  async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    const declared = req.headers['content-length']
    if (declared !== undefined) {
      const n = Number(declared)
      if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, 'bad Content-Length')
      if (n > limit) throw new HttpError(413, `request body of ${n} bytes exceeds the limit of ${limit} bytes`)
    }
    // One allocation when the length is declared (an upload may be gigabytes).
    let buf = declared !== undefined ? Buffer.allocUnsafeSlow(Number(declared)) : Buffer.alloc(0)
    let length = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (length + chunk.length > limit) throw new HttpError(413, `request body exceeds the limit of ${limit} bytes`)
      if (length + chunk.length > buf.length) {
        if (declared !== undefined) throw new HttpError(400, 'request body longer than its Content-Length')
        const grown = Buffer.allocUnsafeSlow(Math.min(limit, Math.max(2 * buf.length, length + chunk.length, 65536)))
        buf.copy(grown, 0, 0, length)
        buf = grown
      }
      chunk.copy(buf, length)
      length += chunk.length
    }
    if (declared !== undefined && length !== buf.length) throw new HttpError(400, 'request body shorter than its Content-Length')
    return buf.subarray(0, length)
  }

  function statusOf(err: unknown): number {
    if (err instanceof HttpError) return err.status
    if (err instanceof BadRequestError) return 400
    const code = (err as { code?: unknown } | null)?.code
    const name = (err as { name?: unknown } | null)?.name
    if (code === 'not-found' || code === 'ENOENT' || name === 'NotFoundError') return 404
    if (code === 'bad-request' || code === 'invalid' || code === 'validation' || name === 'ValidationError') return 400
    if (code === 'too-large') return 413
    if (code === 'exists') return 409
    if (code === 'disposed') return 503
    if (code === 'not-implemented') return 501
    return 500
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!isApiMethod(method)) throw new HttpError(404, `unknown API method ${JSON.stringify(method)}`)
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      throw new HttpError(405, `${method}: use POST`)
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
    if (type !== WIRE_JSON_TYPE && type !== WIRE_BINARY_TYPE) {
      throw new HttpError(415, `request body must be ${WIRE_JSON_TYPE} or ${WIRE_BINARY_TYPE}`)
    }
    const body = await readBody(req, method === 'openFiles' ? maxUpload : maxBody)
    let payload: unknown
    try {
      payload = type === WIRE_BINARY_TYPE ? decodeBinary(body) : decodeJson(body.toString('utf8'))
    } catch (err) {
      throw new HttpError(400, `malformed request body: ${(err as Error).message}`)
    }
    if (typeof payload !== 'object' || payload === null || !Array.isArray((payload as { args?: unknown }).args)) {
      throw new HttpError(400, 'request body must be {"args": [...]}')
    }
    const value = await callService(services, method, (payload as { args: unknown[] }).args, info)
    res.statusCode = 200
    res.setHeader('Cache-Control', 'no-store')
    if ((req.headers.accept ?? '').includes(WIRE_BINARY_TYPE)) {
      const parts = encodeBinary({ value })
      res.setHeader('Content-Type', WIRE_BINARY_TYPE)
      res.setHeader('Content-Length', parts.reduce((n, p) => n + p.length, 0))
      for (const p of parts) res.write(p)
      res.end()
    } else {
      const text = encodeJson({ value })
      res.setHeader('Content-Type', `${WIRE_JSON_TYPE}; charset=utf-8`)
      res.setHeader('Content-Length', Buffer.byteLength(text))
      res.end(text)
    }
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET')
      throw new HttpError(405, 'events: use GET')
    }
    res.statusCode = 200
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8')
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Accel-Buffering', 'no')
    req.socket.setNoDelay(true)
    req.socket.setTimeout(0)
    res.write('retry: 1000\n\n')
    // Replay what a reconnecting client missed (EventSource sends Last-Event-ID by itself; the
    // bridge passes ?lastEventId= when it had to create a new EventSource).
    const last = Number(req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? NaN)
    if (Number.isSafeInteger(last)) for (const e of recent) if (e.id > last) res.write(`id: ${e.id}\ndata: ${e.data}\n\n`)
    const client: Client = { res }
    clients.add(client)
    const drop = (): void => {
      clients.delete(client)
    }
    req.on('close', drop)
    res.on('close', drop)
    res.on('error', drop)
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      throw new HttpError(405, 'only GET and HEAD')
    }
    if (url.pathname === '/bridge.js') {
      res.statusCode = 200
      res.setHeader('Content-Type', CONTENT_TYPES['.js'])
      res.setHeader('Cache-Control', 'no-store')
      res.end(req.method === 'HEAD' ? undefined : bridgeJs)
      return
    }
    let rel: string
    try {
      rel = decodeURIComponent(url.pathname)
    } catch {
      throw new HttpError(400, 'malformed path')
    }
    if (rel.includes('\0') || rel.includes('\\')) throw new HttpError(400, 'malformed path')
    if (rel === '/' || rel === '') rel = '/index.html'
    const file = resolve(rendererDir, '.' + rel)
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) throw new HttpError(403, 'outside the renderer folder')
    let real: string
    try {
      real = await fsp.realpath(file)
    } catch {
      // Browsers ask for a favicon on their own; without one, say "nothing" rather than 404.
      if (url.pathname === '/favicon.ico') {
        res.statusCode = 204
        res.end()
        return
      }
      throw new HttpError(404, `not found: ${url.pathname}`)
    }
    if (!real.startsWith(rendererReal + sep)) throw new HttpError(403, 'outside the renderer folder')
    const stat = await fsp.stat(real)
    if (!stat.isFile()) throw new HttpError(404, `not found: ${url.pathname}`)
    const isIndex = real === resolve(rendererReal, 'index.html')
    let body: Buffer = await fsp.readFile(real)
    if (isIndex) body = Buffer.from(injectBridge(body.toString('utf8')), 'utf8')
    res.statusCode = 200
    res.setHeader('Content-Type', CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream')
    res.setHeader('Content-Length', body.length)
    // index.html: never cached (it names the current assets); hashed assets: revalidate.
    res.setHeader('Cache-Control', isIndex ? 'no-store' : 'no-cache')
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    baseHeaders(res)
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1')
    } catch {
      sendText(res, 400, 'malformed request URL')
      return
    }
    if (!admitted(req, res, url)) return
    const api = /^\/api\/([^/]+)$/.exec(url.pathname)
    try {
      if (url.pathname === '/api/events') handleEvents(req, res, url)
      else if (api) await handleApi(req, res, api[1])
      else if (url.pathname.startsWith('/api/')) throw new HttpError(404, `no such endpoint ${url.pathname}`)
      else await handleStatic(req, res, url)
    } catch (err) {
      const status = statusOf(err)
      if (status >= 500) log(`web: ${req.method} ${url.pathname} failed: ${(err as Error)?.stack ?? String(err)}`)
      if (url.pathname.startsWith('/api/')) sendError(res, status, err)
      else sendText(res, status, (err as Error)?.message ?? String(err))
      // Stop reading an over-long upload: the client gets the 413, the socket goes.
      if (status === 413) res.on('finish', () => req.destroy())
    }
  }

  const server = createServer((req, res) => {
    req.on('error', () => {})
    res.on('error', () => {})
    handle(req, res).catch((err: unknown) => {
      log(`web: unexpected failure: ${(err as Error)?.stack ?? String(err)}`)
      if (!res.headersSent) sendText(res, 500, 'internal error')
      else res.destroy()
    })
  })
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })
  // Uploads of a few GiB on a slow disk: do not cut them off after Node's default 5 minutes.
  server.requestTimeout = 0

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', rejectListen)
      resolveListen()
    })
  }).catch((err: unknown) => {
    unsubscribe()
    clearInterval(heartbeat)
    throw err
  })
  port = (server.address() as AddressInfo).port

  let closing: Promise<void> | null = null
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolveClose) => {
        unsubscribe()
        clearInterval(heartbeat)
        for (const c of clients) c.res.end()
        clients.clear()
        server.close(() => resolveClose())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), 1000).unref()
      })
      return closing
    }
  }
}
