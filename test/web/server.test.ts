/**
 * Browser-mode server (src-main/web/server.ts) against a fake ReconServices: the token, cookie,
 * Host and Origin gate; static files with CSP, nosniff and the injected bridge; API round trips
 * with typed arrays in both encodings; errors with status codes; SSE events with replay; bad
 * requests answered without harming the server; and the bridge script itself, run against the
 * server as the renderer would use it.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { request, type IncomingHttpHeaders } from 'node:http'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { API_METHODS, type ReconApi, type RunEvent, type SliceView } from '../../src-main/api/contract.ts'
import { WIRE_BINARY_TYPE, decodeBinary, decodeJson, encodeBinary, encodeJson } from '../../src-main/api/wire.ts'
import { contentSecurityPolicy } from '../../src-main/electron/csp.ts'
import { BRIDGE_TAG, cookieName, startWebServer, type WebServer } from '../../src-main/web/server.ts'
import { FakeServices } from './fake-services.ts'

const INDEX = `<!doctype html>
<html><head><meta charset="UTF-8" /><title>t</title>
<script type="module" crossorigin src="./assets/app.js"></script>
</head><body><div id="app"></div></body></html>`

let dir: string
let services: FakeServices
let server: WebServer
let base: string

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recon-web-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), INDEX)
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log("app")\n')
  writeFileSync(join(renderer, 'assets', 'style.css'), 'body{}\n')
  writeFileSync(join(dir, 'secret.txt'), 'SECRET OUTSIDE THE RENDERER\n')
  symlinkSync(join(dir, 'secret.txt'), join(renderer, 'assets', 'link.txt'))
  services = new FakeServices()
  server = await startWebServer({ services, rendererDir: renderer, maxBodyBytes: 1024 * 1024, log: () => {} })
  base = `http://127.0.0.1:${server.port}`
})

after(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A raw HTTP request (node:http: any path bytes and any Host header can be sent). */
function raw(path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

const auth = (): Record<string, string> => ({ 'X-Recon-Token': server.token })

async function api(method: string, args: unknown[], headers: Record<string, string> = {}): Promise<{ status: number; value?: unknown; error?: { message: string; code: string; name: string } }> {
  const r = await raw(`/api/${method}`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json', ...headers }, body: encodeJson({ args }) })
  const payload = decodeJson(r.body.toString('utf8')) as { value?: unknown; error?: { message: string; code: string; name: string } }
  return { status: r.status, ...payload }
}

test('startWebServer binds 127.0.0.1 and returns the address with a fresh 256-bit token', () => {
  assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{43}$`))
  assert.ok(server.url.endsWith(server.token))
})

test('403 without a token, with a wrong token, with a bad Host, and from a foreign Origin', async () => {
  for (const path of ['/', '/index.html', '/assets/app.js', '/bridge.js', '/api/events']) {
    const r = await raw(path)
    assert.equal(r.status, 403, path)
    assert.match(r.body.toString(), /needs the access token/)
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8')
  }
  assert.equal((await raw('/api/info', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"args":[]}' })).status, 403)
  assert.equal(services.calls.length, 0, 'nothing reached the service')
  const wrong = server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A')
  assert.equal((await raw('/?token=' + wrong)).status, 403)
  assert.equal((await raw('/', { headers: { 'X-Recon-Token': wrong } })).status, 403)
  assert.equal((await raw('/', { headers: { Cookie: `${cookieName(server.port)}=${wrong}` } })).status, 403)
  assert.equal((await raw('/', { headers: { 'X-Recon-Token': 'short' } })).status, 403)
  // The right token under another port's cookie name does not count either.
  assert.equal((await raw('/', { headers: { Cookie: `${cookieName(server.port + 1)}=${server.token}` } })).status, 403)
  // DNS rebinding: a foreign host name that resolves to 127.0.0.1, even with the token.
  for (const host of [`evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, '127.0.0.1', `localhost.evil:${server.port}`]) {
    const r = await raw('/?token=' + server.token, { headers: { Host: host, ...auth() } })
    assert.equal(r.status, 403, host)
    assert.match(r.body.toString(), /answers only at/)
  }
  assert.equal((await raw('/', { headers: { Host: `localhost:${server.port}`, ...auth() } })).status, 200)
  // Cross-origin requests from another page, token or not.
  for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`]) {
    const r = await raw('/api/info', { method: 'POST', headers: { Origin: origin, ...auth(), 'Content-Type': 'application/json' }, body: '{"args":[]}' })
    assert.equal(r.status, 403, origin)
    assert.match(r.body.toString(), /other web pages/)
  }
  const same = await raw('/api/info', { method: 'POST', headers: { Origin: base, ...auth(), 'Content-Type': 'application/json' }, body: '{"args":[]}' })
  assert.equal(same.status, 200)
})

test('the cookie flow: /?token= sets an HttpOnly SameSite=Strict cookie and redirects; the cookie admits later requests', async () => {
  const first = await raw('/?token=' + server.token)
  assert.equal(first.status, 303)
  assert.equal(first.headers.location, '/')
  const setCookie = first.headers['set-cookie']?.[0] ?? ''
  assert.match(setCookie, new RegExp(`^${cookieName(server.port)}=${server.token};`))
  assert.match(setCookie, /; HttpOnly/)
  assert.match(setCookie, /; SameSite=Strict/)
  assert.match(setCookie, /; Path=\//)
  const cookie = setCookie.split(';')[0]
  const page = await raw('/', { headers: { Cookie: `other=1; ${cookie}` } })
  assert.equal(page.status, 200)
  const html = page.body.toString()
  assert.ok(html.indexOf(BRIDGE_TAG) >= 0, 'bridge injected')
  assert.ok(html.indexOf(BRIDGE_TAG) < html.indexOf('./assets/app.js'), 'bridge before the app module script')
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8')
  assert.equal(page.headers['cache-control'], 'no-store')
  assert.equal(page.headers['content-security-policy'], contentSecurityPolicy({ dev: false, header: true }))
  assert.equal(page.headers['x-content-type-options'], 'nosniff')
  const js = await raw('/assets/app.js', { headers: { Cookie: cookie } })
  assert.equal(js.status, 200)
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8')
  const css = await raw('/assets/style.css', { headers: { Cookie: cookie } })
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8')
  assert.equal(css.headers['x-content-type-options'], 'nosniff')
  const bridge = await raw('/bridge.js', { headers: { Cookie: cookie } })
  assert.equal(bridge.status, 200)
  assert.equal(bridge.headers['content-type'], 'text/javascript; charset=utf-8')
  assert.match(bridge.body.toString(), /defineProperty\(window, "recon"/)
  const info = await raw('/api/info', { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{"args":[]}' })
  assert.equal(info.status, 200)
})

test('path traversal and symlinks out of the renderer folder are refused', async () => {
  for (const path of [
    '/../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..\\secret.txt',
    '/assets/link.txt',
    '/%00index.html',
    '/%E0%A4%A',
    '//etc/passwd',
    '/assets'
  ]) {
    const r = await raw(path, { headers: auth() })
    assert.ok([400, 403, 404].includes(r.status), `${path}: ${r.status}`)
    assert.ok(!r.body.toString().includes('SECRET'), path)
  }
  assert.equal((await raw('/nope.js', { headers: auth() })).status, 404)
  assert.equal((await raw('/', { method: 'DELETE', headers: auth() })).status, 405)
})

test('API round trip with typed arrays (JSON and binary encodings), trailing undefined dropped', async () => {
  const r = await api('slice', [{ scanId: 'scan-1', series: 0, slice: 2 }, { coils: true }])
  assert.equal(r.status, 200)
  const view = r.value as SliceView
  assert.ok(view.magnitude.data instanceof Float32Array)
  assert.equal(view.magnitude.data.length, 12)
  assert.ok(Number.isNaN(view.magnitude.data[5]))
  assert.equal(view.magnitude.data[6], Infinity)
  assert.ok(Object.is(view.coilImages?.[1].data[0], -0))
  assert.deepEqual(services.calls.at(-1), { method: 'slice', args: [{ scanId: 'scan-1', series: 0, slice: 2 }, { coils: true }] })

  // The bridge's encoding: binary container both ways, an upload with raw bytes.
  const bytes = Uint8Array.from({ length: 300001 }, (_, i) => (i * 7) & 255)
  const body = Buffer.concat(encodeBinary({ args: [[{ name: 'dir/IM0001.dcm', bytes }]] }))
  const up = await raw('/api/openFiles', { method: 'POST', headers: { ...auth(), 'Content-Type': WIRE_BINARY_TYPE, Accept: WIRE_BINARY_TYPE }, body })
  assert.equal(up.status, 200)
  assert.equal(up.headers['content-type'], WIRE_BINARY_TYPE)
  const scan = (decodeBinary(up.body) as { value: { name: string } }).value
  assert.equal(scan.name, 'dir/IM0001.dcm')
  const received = (services.calls.at(-1)?.args[0] as { bytes: Uint8Array }[])[0].bytes
  assert.ok(received instanceof Uint8Array)
  assert.deepEqual(received, bytes)

  // undefined in the last position (slice(req, undefined)) is no extra argument.
  const r2 = await api('slice', [{ scanId: 'scan-1', series: 0 }, undefined])
  assert.equal(r2.status, 200)
  assert.deepEqual(services.calls.at(-1)?.args, [{ scanId: 'scan-1', series: 0 }, undefined])
  // void results
  const c = await api('cancelRun', ['run-9'])
  assert.equal(c.status, 200)
  assert.equal(c.value, undefined)
  const i = await api('info', [])
  assert.equal((i.value as { shell: string }).shell, 'browser')
})

test('errors: service errors keep their message and map to 404/500; bad arguments are 400 and never reach the service', async () => {
  const missing = await api('getRun', ['run-404'])
  assert.equal(missing.status, 404)
  assert.equal(missing.error?.message, 'unknown run run-404')
  assert.equal(missing.error?.code, 'not-found')
  const failing = await api('cancelRun', ['run-crash'])
  assert.equal(failing.status, 500)
  assert.equal(failing.error?.message, 'the worker of run-crash died')
  const before = services.calls.length
  for (const [method, args, pattern] of [
    ['openPath', [], /takes 1 argument, got 0/],
    ['openPath', [42], /must be a non-empty string/],
    ['openPath', ['a', 'b'], /takes 1 argument, got 2/],
    ['openPath', ['scans/brain.dcm'], /path must be an absolute path/],
    ['slice', [{ scanId: 'scan-1', series: -1 }], /series must be between 0/],
    ['slice', [{ scanId: 'scan-1', series: 0 }, { coils: 'yes' }], /coils must be true or false/],
    ['slice', [{ scanId: '../../etc', series: 0 }], /not a valid id/],
    ['openFiles', [[{ name: 'a', bytes: [1, 2] }]], /bytes must be a Uint8Array/],
    ['openFiles', [[{ name: '../a', bytes: new Uint8Array(1) }]], /must not contain "\.\."/],
    ['openFiles', [[]], /non-empty list/],
    ['startRun', [{ setup: { scanId: 'scan-1', series: 0, acceleration: -4 }, settings: {} }], /acceleration must be/],
    ['startRun', [{ setup: { scanId: 'scan-1', series: 0 }, settings: { dps: { steps: 0 } } }], /settings\.dps\.steps must be ≥ 1/],
    ['startRun', [{ setup: { scanId: 'scan-1', series: 0 }, settings: { mc: 'fast' } }], /settings\.mc must be an object/],
    ['exportRun', [{ runId: 'r', formats: ['exe'] }], /got "exe"/],
    ['getRun', [null], /non-empty string/],
    ['setSettings', [{ threads: 0 }], /threads must be between 1/],
    ['setSettings', ['threads=2'], /must be an object/]
  ] as const) {
    const r = await api(method, [...args])
    assert.equal(r.status, 400, `${method} ${JSON.stringify(args)}`)
    assert.match(r.error?.message ?? '', pattern)
  }
  assert.equal(services.calls.length, before, 'no bad request reached the service')
  const unknown = await api('subscribe', [])
  assert.equal(unknown.status, 404)
  assert.equal((await api('dispose', [])).status, 404)
  assert.equal((await api('__proto__', [])).status, 404)
  assert.equal((await raw('/api/info', { headers: auth() })).status, 405)
  assert.equal((await raw('/api/info', { method: 'POST', headers: { ...auth(), 'Content-Type': 'text/plain' }, body: '{"args":[]}' })).status, 415)
})

test('malformed bodies are 400, oversized ones 413, and the server keeps serving', async () => {
  const post = (body: string | Buffer, type = 'application/json'): Promise<Reply> =>
    raw('/api/getSettings', { method: 'POST', headers: { ...auth(), 'Content-Type': type }, body })
  for (const body of ['{"args":', 'null', '[]', '{"args":{}}', '{"args":[{"$typed":"f32","b64":"!!"}]}', '\u0000\u0001']) {
    const r = await post(body)
    assert.equal(r.status, 400, body)
    const e = JSON.parse(r.body.toString()) as { error: { message: string } }
    assert.ok(e.error.message.length > 0)
  }
  assert.equal((await post(Buffer.from('RCW1\xff\xff\xff\xff', 'latin1'), WIRE_BINARY_TYPE)).status, 400)
  const tooBig = await post(Buffer.alloc(1024 * 1024 + 1, 32))
  assert.equal(tooBig.status, 413)
  assert.match(tooBig.body.toString(), /exceeds the limit/)
  // A request with a lying Content-Length and a broken connection do not take the server down.
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/api/getSettings', method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json', 'Content-Length': '1000' } })
    req.on('error', () => resolve())
    req.write('{"args":')
    setTimeout(() => {
      req.destroy()
      resolve()
    }, 50)
  })
  const ok = await post('{"args":[]}')
  assert.equal(ok.status, 200)
})

/** A minimal EventSource over node:http (Node 20 has none), enough for the bridge and the tests. */
class NodeEventSource {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSED = 2
  readyState = 0
  onopen: (() => void) | null = null
  onmessage: ((m: { data: string; lastEventId: string }) => void) | null = null
  onerror: (() => void) | null = null
  private req
  constructor(url: string, headers: Record<string, string> = auth()) {
    const u = new URL(url, base)
    this.req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        this.readyState = 2
        this.onerror?.()
        return
      }
      this.readyState = 1
      this.onopen?.()
      let buffer = ''
      let data: string[] = []
      let id = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let nl
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl)
          buffer = buffer.slice(nl + 1)
          if (line === '') {
            if (data.length) this.onmessage?.({ data: data.join('\n'), lastEventId: id })
            data = []
          } else if (line.startsWith('data: ')) data.push(line.slice(6))
          else if (line.startsWith('id: ')) id = line.slice(4)
        }
      })
      res.on('end', () => {
        this.readyState = 2
        this.onerror?.()
      })
    })
    this.req.on('error', () => {
      this.readyState = 2
      this.onerror?.()
    })
    this.req.end()
  }
  close(): void {
    this.readyState = 2
    this.req.destroy()
  }
}

function collect(source: NodeEventSource, until: (e: RunEvent) => boolean): Promise<{ events: RunEvent[]; ids: string[] }> {
  const events: RunEvent[] = []
  const ids: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no events within 5 s')), 5000)
    source.onmessage = (m) => {
      const e = decodeJson(m.data) as RunEvent
      events.push(e)
      ids.push(m.lastEventId)
      if (until(e)) {
        clearTimeout(timer)
        resolve({ events, ids })
      }
    }
  })
}

test('SSE: run events arrive with typed arrays intact; a reconnect with Last-Event-ID gets what it missed', async () => {
  const source = new NodeEventSource('/api/events')
  await new Promise<void>((resolve) => (source.onopen = resolve))
  const done = collect(source, (e) => e.type === 'run-finished')
  const { value } = await api('startRun', [{ setup: { scanId: 'scan-1', series: 0 }, settings: {} }])
  const { runId } = value as { runId: string }
  const { events, ids } = await done
  source.close()
  assert.deepEqual(
    events.map((e) => e.type),
    ['progress', 'preview', 'run-finished']
  )
  assert.ok(events.every((e) => 'runId' in e && e.runId === runId))
  const preview = events[1] as Extract<RunEvent, { type: 'preview' }>
  assert.ok(preview.image.data instanceof Float32Array)
  assert.ok(Number.isNaN(preview.image.data[0]))
  // Replay after the progress event: the finish (previews are not kept for replay).
  const again = new NodeEventSource('/api/events', { ...auth(), 'Last-Event-ID': ids[0] })
  const replay = await collect(again, (e) => e.type === 'run-finished')
  again.close()
  assert.deepEqual(
    replay.events.map((e) => e.type),
    ['run-finished']
  )
  const unauth = new NodeEventSource('/api/events', {})
  await new Promise<void>((resolve) => (unauth.onerror = resolve))
  assert.equal(unauth.readyState, 2)
})

test('bridge.js gives the renderer a ReconApi with exactly the API methods + onEvent, over this server', async () => {
  const js = (await raw('/bridge.js', { headers: auth() })).body.toString()
  const window: Record<string, unknown> = {}
  // The bridge's fetch of relative URLs goes to this server; the header stands in for the cookie.
  const fakeFetch = (url: string, init: RequestInit): Promise<Response> =>
    fetch(new URL(url, base), { ...init, headers: { ...(init.headers as Record<string, string>), ...auth() } })
  // (Its reconnection timers must not keep the test process alive once the server is gone.)
  const unrefTimeout = (fn: () => void, ms: number): NodeJS.Timeout => setTimeout(fn, ms).unref()
  new Function('window', 'fetch', 'EventSource', 'setTimeout', js)(window, fakeFetch, NodeEventSource, unrefTimeout)
  const recon = window.recon as ReconApi
  assert.deepEqual(Object.keys(recon).sort(), [...API_METHODS, 'onEvent'].sort())
  assert.ok(Object.isFrozen(recon))
  assert.throws(() => {
    window.recon = {}
  }, TypeError)

  const info = await recon.info()
  assert.equal(info.shell, 'browser')
  assert.equal(info.name, 'Recon Studio')
  const view = await recon.slice({ scanId: 'scan-1', series: 0 })
  assert.ok(view.magnitude.data instanceof Float32Array)
  assert.ok(Number.isNaN(view.magnitude.data[5]))
  const scan = await recon.openFiles([{ name: 'a.png', bytes: new Uint8Array([1, 2, 3]) }])
  assert.match(scan.notes[0], /1 files, 3 bytes/)
  await assert.rejects(recon.getRun('run-x'), (err: Error) => err.name === 'ApiError' && err.message === 'unknown run run-x' && (err as Error & { code: string }).code === 'not-found')
  await assert.rejects(recon.openPath(17 as unknown as string), (err: Error) => err.name === 'ApiError' && /non-empty string/.test(err.message))

  const received: RunEvent[] = []
  let finished!: () => void
  const finishedP = new Promise<void>((r) => (finished = r))
  const unsubscribe = recon.onEvent((e) => {
    received.push(e)
    if (e.type === 'run-finished') finished()
  })
  // The event stream connects asynchronously; give it a moment before starting the run.
  await new Promise((r) => setTimeout(r, 200))
  const { runId } = await recon.startRun({ setup: { scanId: 'scan-1', series: 0 } as never, settings: {} as never })
  await finishedP
  unsubscribe()
  assert.ok(received.some((e) => e.type === 'progress' && e.runId === runId))
  assert.ok(received.some((e) => e.type === 'preview' && e.image.data instanceof Float32Array))
})
