/**
 * The preload bridge (src-main/electron/preload.ts), run anywhere: bundled as the app bundles it
 * (CommonJS, only `electron` left to require) and executed against a fake `electron` module
 * with contextBridge/ipcRenderer stubs. It must expose exactly the API methods + onEvent on
 * `window.recon`, map each to its own IPC channel with its arguments, rethrow the main
 * process's errors with their message, deliver events and unsubscribe — and expose nothing
 * else (no ipcRenderer, no generic invoke); and once more as electron-vite builds it for the
 * app (the real preload configuration).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { API_METHODS, EVENT_CHANNEL, ipcChannel, type ReconApi, type RunEvent } from '../../src-main/api/contract.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const source = join(root, 'src-main', 'electron', 'preload.ts')

interface Harness {
  exposed: Map<string, unknown>
  invoked: { channel: string; args: unknown[] }[]
  listeners: Map<string, ((event: unknown, ...args: unknown[]) => void)[]>
  required: string[]
  reply: (channel: string, args: unknown[]) => unknown
}

/** Run CommonJS preload code with a fake `electron`; any other require() fails, as in a sandbox. */
function runPreload(code: string): Harness {
  const h: Harness = { exposed: new Map(), invoked: [], listeners: new Map(), required: [], reply: () => ({ ok: true, value: null }) }
  const electron = {
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown) {
        h.exposed.set(key, api)
      }
    },
    ipcRenderer: {
      async invoke(channel: string, ...args: unknown[]) {
        h.invoked.push({ channel, args })
        return h.reply(channel, args)
      },
      on(channel: string, fn: (event: unknown, ...args: unknown[]) => void) {
        h.listeners.set(channel, [...(h.listeners.get(channel) ?? []), fn])
      },
      removeListener(channel: string, fn: (event: unknown, ...args: unknown[]) => void) {
        h.listeners.set(channel, (h.listeners.get(channel) ?? []).filter((f) => f !== fn))
      }
    }
  }
  const sandboxRequire = (name: string): unknown => {
    h.required.push(name)
    if (name === 'electron') return electron
    throw new Error(`a sandboxed preload cannot require ${JSON.stringify(name)}`)
  }
  const module = { exports: {} as unknown }
  new Function('require', 'module', 'exports', code)(sandboxRequire, module, module.exports)
  return h
}

/** Sample arguments for each method, as the renderer would pass them. */
const SAMPLE_ARGS: Record<(typeof API_METHODS)[number], unknown[]> = {
  info: [],
  openFiles: [[{ name: 'a.dcm', bytes: new Uint8Array([1, 2, 3]) }]],
  openPath: ['/data/a.dcm'],
  recentFiles: [],
  slice: [{ scanId: 's', series: 0 }, { coils: true }],
  previewMeasurement: [{ scanId: 's', series: 0 }, { maps: false }],
  startRun: [{ setup: { scanId: 's', series: 0 }, settings: {} }],
  cancelRun: ['run-1'],
  getRun: ['run-1'],
  exportRun: [{ runId: 'run-1', formats: ['png'] }],
  listModels: [],
  getSettings: [],
  setSettings: [{ threads: 2 }]
}

async function checkPreload(code: string): Promise<void> {
  const h = runPreload(code)
  assert.deepEqual([...h.exposed.keys()], ['recon'], 'exactly one global: window.recon')
  assert.deepEqual([...new Set(h.required)], ['electron'], 'requires only electron')
  const recon = h.exposed.get('recon') as ReconApi & Record<string, unknown>
  assert.deepEqual(Object.keys(recon).sort(), [...API_METHODS, 'onEvent'].sort())
  for (const [k, v] of Object.entries(recon)) assert.equal(typeof v, 'function', k)
  for (const forbidden of ['invoke', 'send', 'on', 'ipcRenderer', 'sendSync']) assert.ok(!(forbidden in recon), forbidden)

  // Each method: its own channel, its own arguments, the value from { ok: true, value }.
  for (const method of API_METHODS) {
    h.invoked.length = 0
    h.reply = (channel) => ({ ok: true, value: { echo: channel } })
    const value = await (recon[method] as (...a: unknown[]) => Promise<unknown>)(...SAMPLE_ARGS[method])
    assert.deepEqual(h.invoked, [{ channel: ipcChannel(method), args: SAMPLE_ARGS[method] }], method)
    assert.deepEqual(value, { echo: ipcChannel(method) })
  }
  // Typed arrays pass through untouched (structured clone does the rest).
  h.reply = (_c, args) => ({ ok: true, value: args[0] })
  const upload = [{ name: 'x', bytes: new Uint8Array([9]) }]
  assert.equal(((await recon.openFiles(upload)) as unknown as typeof upload)[0].bytes, upload[0].bytes)

  // Errors: the main process's message and code, as ApiError.
  h.reply = () => ({ ok: false, error: { name: 'ApiError', message: 'unknown run id "run-1": it may have been discarded', code: 'not-found' } })
  await assert.rejects(recon.getRun('run-1'), (e: Error & { code?: string }) => {
    assert.equal(e.name, 'ApiError')
    assert.equal(e.message, 'unknown run id "run-1": it may have been discarded')
    assert.equal(e.code, 'not-found')
    return true
  })
  h.reply = () => undefined
  await assert.rejects(recon.info(), /no reply from the main process/)

  // Events: one IPC listener on EVENT_CHANNEL, fanned out; unsubscribe works; a throwing
  // listener does not stop the others.
  assert.equal(h.listeners.get(EVENT_CHANNEL)?.length ?? 0, 0, 'no IPC listener before the first subscription')
  const a: RunEvent[] = []
  const b: RunEvent[] = []
  const offA = recon.onEvent((e) => a.push(e))
  const offThrow = recon.onEvent(() => {
    throw new Error('listener bug')
  })
  recon.onEvent((e) => b.push(e))
  assert.deepEqual(
    [...h.listeners.keys()].filter((k) => (h.listeners.get(k) ?? []).length),
    [EVENT_CHANNEL]
  )
  assert.equal(h.listeners.get(EVENT_CHANNEL)?.length, 1)
  const fire = (e: RunEvent): void => {
    for (const fn of h.listeners.get(EVENT_CHANNEL) ?? []) fn({ sender: 'ipc event object, not passed on' }, e)
  }
  const errors: unknown[] = []
  const consoleError = console.error
  console.error = (...args: unknown[]) => errors.push(args)
  try {
    fire({ type: 'run-finished', runId: 'r1', state: 'done' })
    offA()
    offThrow()
    fire({ type: 'run-finished', runId: 'r2', state: 'cancelled' })
  } finally {
    console.error = consoleError
  }
  assert.deepEqual(a, [{ type: 'run-finished', runId: 'r1', state: 'done' }])
  assert.deepEqual(
    b.map((e) => (e as { runId: string }).runId),
    ['r1', 'r2']
  )
  assert.equal(errors.length, 1)
  assert.throws(() => recon.onEvent('not a function' as never), TypeError)
}

test('preload.ts, bundled as the app bundles it, exposes exactly the API + onEvent over IPC', async () => {
  const result = await build({
    entryPoints: [source],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'browser',
    external: ['electron'],
    logLevel: 'silent'
  })
  await checkPreload(result.outputFiles[0].text)
})

test('the preload as electron-vite builds it for the app exposes exactly the API + onEvent', { timeout: 120_000 }, async () => {
  // The real build configuration (CommonJS, everything but `electron` bundled), into test-output.
  process.env.NODE_ENV_ELECTRON_VITE = 'production'
  const { resolveConfig } = await import('electron-vite')
  const vite = await import('vite')
  const resolved = await resolveConfig({ root, logLevel: 'silent' }, 'build', 'production')
  const preload = resolved.config?.preload
  if (!preload) throw new Error('electron.vite.config.ts has no preload configuration')
  const outDir = join(root, 'test-output', 'electron-preload')
  rmSync(outDir, { recursive: true, force: true })
  await vite.build({ ...preload, logLevel: 'silent', build: { ...preload.build, outDir } })
  await checkPreload(readFileSync(join(outDir, 'index.cjs'), 'utf8'))
})
