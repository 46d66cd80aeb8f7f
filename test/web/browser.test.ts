/**
 * Browser mode in a real browser (headless Chromium through playwright-core, skipped where no
 * Chromium is installed): the printed address logs in (cookie), the bridge defines
 * `window.recon` before the app's own module runs, under the app's CSP, and calls, typed arrays,
 * errors and events work as the renderer will use them.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { API_METHODS, type ReconApi } from '../../src-main/api/contract.ts'
import { contentSecurityPolicy } from '../../src-main/electron/csp.ts'
import { startWebServer, type WebServer } from '../../src-main/web/server.ts'
import { FakeServices } from './fake-services.ts'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']
const chromium = CANDIDATES.find((p): p is string => !!p && existsSync(p))

const INDEX = `<!doctype html>
<html lang="en"><head><meta charset="UTF-8" />
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy({ dev: false, header: false })}" />
<title>test</title>
<script type="module" crossorigin src="./assets/app.js"></script>
</head><body><div id="app"></div></body></html>`

// The "app": records what it found at its first line, as the renderer's main.ts would see it.
const APP = `window.__atStart = { type: typeof window.recon, keys: window.recon ? Object.keys(window.recon).sort() : [] }
document.getElementById('app').textContent = 'started'
`

let dir: string
let server: WebServer
let services: FakeServices

before(async () => {
  if (!chromium) return
  dir = mkdtempSync(join(tmpdir(), 'recon-browser-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), INDEX)
  writeFileSync(join(dir, 'assets', 'app.js'), APP)
  services = new FakeServices()
  server = await startWebServer({ services, rendererDir: dir, log: () => {} })
})

after(async () => {
  if (!chromium) return
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

test('headless Chromium: login by address, window.recon before the app, calls, typed arrays, errors, events', { timeout: 120000 }, async (t) => {
  if (!chromium) {
    t.skip('no Chromium found (set CHROMIUM_PATH to run this test)')
    return
  }
  const { chromium: launcher } = await import('playwright-core')
  const browser = await launcher.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox'] })
  t.after(() => browser.close())
  const page = await browser.newPage()
  const problems: string[] = []
  const failed: string[] = []
  page.on('console', (m) => {
    // (Failed loads are checked by URL below.)
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(e.message))
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`)
  })

  const response = await page.goto(server.url)
  assert.equal(response?.status(), 200)
  assert.equal(new URL(page.url()).search, '', 'the token is gone from the address bar')
  await page.waitForFunction(() => document.getElementById('app')?.textContent === 'started')
  const atStart = await page.evaluate(() => (window as unknown as { __atStart: { type: string; keys: string[] } }).__atStart)
  assert.deepEqual(atStart, { type: 'object', keys: [...API_METHODS, 'onEvent'].sort() })

  const result = await page.evaluate(async () => {
    const recon = (window as unknown as { recon: ReconApi }).recon
    const info = await recon.info()
    const view = await recon.slice({ scanId: 'scan-1', series: 0 }, { coils: true })
    const bytes = new Uint8Array(100000).map((_, i) => i & 255)
    const scan = await recon.openFiles([{ name: 'folder/IM1.dcm', bytes }])
    let error = ''
    try {
      await recon.getRun('run-7')
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`
    }
    const events: string[] = []
    let previewIsF32 = false
    const finished = new Promise<void>((resolve) => {
      const off = recon.onEvent((e) => {
        events.push(e.type)
        if (e.type === 'preview') previewIsF32 = e.image.data instanceof Float32Array && Number.isNaN(e.image.data[0])
        if (e.type === 'run-finished') {
          off()
          resolve()
        }
      })
    })
    await new Promise((r) => setTimeout(r, 300)) // let the event stream connect
    await recon.startRun({ setup: { scanId: 'scan-1', series: 0 }, settings: {} } as never)
    await finished
    return {
      shell: info.shell,
      f32: view.magnitude.data instanceof Float32Array,
      nan: Number.isNaN(view.magnitude.data[5]),
      inf: view.magnitude.data[6] === Infinity,
      coils: view.coilImages?.length,
      note: scan.notes[0],
      error,
      events,
      previewIsF32
    }
  })
  assert.equal(result.shell, 'browser')
  assert.ok(result.f32 && result.nan && result.inf)
  assert.equal(result.coils, 2)
  assert.match(result.note, /1 files, 100000 bytes/)
  assert.equal(result.error, 'ApiError: unknown run run-7')
  assert.deepEqual(result.events, ['progress', 'preview', 'run-finished'])
  assert.ok(result.previewIsF32)
  // A CSP violation or a script error would have been reported on the console; the only failed
  // request is the deliberate one.
  assert.deepEqual(problems, [])
  assert.deepEqual(failed, ['404 /api/getRun'])

  // Another page (origin) cannot call the API, even though the browser holds the cookie.
  const other = await browser.newPage()
  await other.goto('about:blank')
  const status = await other.evaluate(async (url) => {
    try {
      const r = await fetch(url + 'api/info', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"args":[]}' })
      return r.status
    } catch {
      return 'blocked'
    }
  }, `http://127.0.0.1:${server.port}/`)
  assert.notEqual(status, 200)
})
