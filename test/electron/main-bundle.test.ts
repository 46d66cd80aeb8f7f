/**
 * The Electron main process as electron-vite bundles it, run anywhere: the main build of
 * electron.vite.config.ts goes to test-output/electron-main/, then runs in plain Node with a
 * fake `electron` module (fixtures/fake-electron.mjs) and is driven like Electron would
 * (fixtures/drive-main.mjs). Checks: one IPC handler per API method, answered only for the
 * app's own top-level page, arguments validated, errors as readable messages; a run whose
 * FISTA-TV executes in the bundled worker (main/worker.js) with events sent to the window;
 * files from the command line and OS open-file (before and after the app is ready) announced as 'scan-opened'; the File menu; the hardening hooks; and quitting
 * only after the services are disposed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PNG } from 'pngjs'
import { API_METHODS, EVENT_CHANNEL, ipcChannel } from '../../src-main/api/contract.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
// Inside the repository, so the bundle's external imports (comlink, pngjs, …) resolve.
const outDir = join(root, 'test-output', 'electron-main', 'main')

async function buildMain(): Promise<void> {
  process.env.NODE_ENV_ELECTRON_VITE = 'production'
  const { resolveConfig } = await import('electron-vite')
  const { build } = await import('vite')
  const resolved = await resolveConfig({ root, logLevel: 'silent' }, 'build', 'production')
  const main = resolved.config?.main
  if (!main) throw new Error('electron.vite.config.ts has no main configuration')
  rmSync(outDir, { recursive: true, force: true })
  await build({ ...main, logLevel: 'silent', build: { ...main.build, outDir } })
}

function phantomPng(path: string, size = 32): void {
  const png = new PNG({ width: size, height: size })
  for (let i = 0; i < size * size; i++) {
    const r = Math.hypot((i % size) - size / 2, Math.floor(i / size) - size / 2)
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = r < size * 0.3 ? 200 : 20
    png.data[4 * i + 3] = 255
  }
  writeFileSync(path, PNG.sync.write(png))
}

test('the bundled main process registers the API over IPC and runs reconstructions in the bundled worker', { timeout: 180000 }, async (t) => {
  await buildMain()
  const scratch = mkdtempSync(join(tmpdir(), 'recon-main-'))
  t.after(() => rmSync(scratch, { recursive: true, force: true }))
  const png = join(scratch, 'phantom.png')
  phantomPng(png)
  mkdirSync(join(scratch, 'userData'))
  const child = spawn(
    process.execPath,
    ['--import', './test/electron/fixtures/register-fake-electron.mjs', 'test/electron/fixtures/drive-main.mjs', join(outDir, 'index.js'), png],
    { cwd: root, env: { ...process.env, FAKE_ELECTRON_USER_DATA: join(scratch, 'userData') }, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  assert.equal(code, 0, stderr)
  const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')

  assert.deepEqual(r.channels, API_METHODS.map(ipcChannel).sort())
  assert.deepEqual(r.webPreferences && { ...r.webPreferences, preload: undefined }, { preload: undefined, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
  assert.match(r.webPreferences.preload, /preload[\\/]index\.cjs$/)
  assert.match(r.loadedUrl, /^file:.*\/renderer\/index\.html$/)

  assert.equal(r.info.ok, true)
  assert.equal(r.info.value.shell, 'desktop')
  assert.equal(r.info.value.name, 'Recon Studio')
  assert.equal(r.foreign.ok, false)
  assert.match(r.foreign.error.message, /untrusted frame refused: https:\/\/evil\.example/)
  assert.equal(r.subframe.ok, false)
  assert.deepEqual({ ok: r.badArgs.ok, code: r.badArgs.error.code }, { ok: false, code: 'bad-request' })
  assert.match(r.badArgs.error.message, /path must be a non-empty string/)
  assert.deepEqual({ ok: r.missing.ok, code: r.missing.error.code }, { ok: false, code: 'not-found' })
  assert.match(r.missing.error.message, /no such file or folder/)

  assert.equal(r.openedBeforeLoad, 0, 'nothing is announced before the renderer has loaded')
  assert.deepEqual(r.scanOpened, [
    { channel: EVENT_CHANNEL, name: 'phantom.png' }, // from macOS open-file before the app was ready
    { channel: EVENT_CHANNEL, name: 'phantom.png' }, // from the command line
    { channel: EVENT_CHANNEL, name: 'phantom.png' } // from macOS open-file
  ])
  assert.deepEqual(
    r.fileMenu.map((i: { label: string }) => i.label),
    ['Open File…', 'Open Folder…', 'Open Recent', 'separator', 'quit']
  )
  assert.equal(r.fileMenu[0].accelerator, 'CmdOrCtrl+O')
  assert.equal(r.fileMenu[1].accelerator, 'CmdOrCtrl+Shift+O')
  assert.deepEqual(r.fileMenu[2].recent, [png], 'the file opened from the OS is in Open Recent')

  assert.deepEqual(r.upload, { ok: true, name: 'phantom.png' })
  assert.equal(r.started, true)
  assert.deepEqual(r.run, { state: 'done', outcomes: ['zero-filled', 'fista-tv'], failures: [], f32: true })
  assert.ok(r.eventTypes.includes(`${EVENT_CHANNEL} progress`))
  assert.ok(r.eventTypes.includes(`${EVENT_CHANNEL} method-done`))
  assert.ok(r.eventTypes.includes(`${EVENT_CHANNEL} run-finished`))

  assert.equal(r.permission, false)
  assert.equal(r.headers['content-security-policy'], undefined)
  assert.match(r.headers['Content-Security-Policy'][0], /default-src 'self'.*frame-ancestors 'none'/)
  assert.deepEqual(r.headers['x-other'], ['1'])
  assert.deepEqual(r.windowOpen, { action: 'deny' })
  assert.equal(r.navigationPrevented, true)
  assert.equal(r.quitted, true)
  assert.equal(r.quitCalls, 2, 'quit waits for dispose, then quits again')
  assert.deepEqual(r.errorBoxes, [])
})
