/**
 * The built desktop app, launched with Electron (playwright-core's _electron): the window
 * loads, the sandboxed page has `window.recon` with exactly the API and no Node, and calls
 * reach the real services through IPC. Skipped with a message where the Electron binary is not
 * installed (an offline `npm ci` leaves it out), the app is not built, or there is no display.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { API_METHODS, type ReconApi } from '../../src-main/api/contract.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Path of the Electron executable, or why there is none. */
function electronBinary(): { path: string } | { why: string } {
  try {
    // The electron package's main export is the path of the downloaded executable; it throws
    // when the download never happened.
    const path: unknown = createRequire(import.meta.url)('electron')
    if (typeof path === 'string' && existsSync(path)) return { path }
    return { why: `the Electron binary is missing (${String(path)})` }
  } catch (err) {
    return { why: `the Electron binary is not installed (${(err as Error).message.split('\n')[0]}); with internet access run \`node node_modules/electron/install.js\`` }
  }
}

test('the desktop app starts, exposes window.recon (exactly the API) in a sandboxed page, and answers over IPC', { timeout: 120000 }, async (t) => {
  const electron = electronBinary()
  if ('why' in electron) {
    t.skip(electron.why)
    return
  }
  if (!existsSync(join(root, 'out', 'main', 'index.js')) || !existsSync(join(root, 'out', 'preload', 'index.cjs'))) {
    t.skip('the app is not built (run `npx electron-vite build`)')
    return
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    t.skip('no display (run under xvfb-run to include this test)')
    return
  }
  const config = mkdtempSync(join(tmpdir(), 'recon-electron-'))
  t.after(() => rmSync(config, { recursive: true, force: true }))
  // userData (settings, recent files) in a scratch folder, not the user's; the built renderer,
  // not a dev server.
  const env: Record<string, string> = { ...(process.env as Record<string, string>), XDG_CONFIG_HOME: config }
  delete env.ELECTRON_RENDERER_URL
  const { _electron } = await import('playwright-core')
  const app = await _electron.launch({
    executablePath: electron.path,
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), root],
    env,
    timeout: 60000
  })
  t.after(() => app.close())
  const page = await app.firstWindow()
  await page.waitForLoadState('domcontentloaded')

  const seen = await page.evaluate(async () => {
    const w = window as unknown as Record<string, unknown>
    const recon = (window as unknown as { recon: ReconApi }).recon
    let openError = ''
    try {
      await recon.openPath('/definitely/not/here.dcm')
    } catch (e) {
      openError = (e as Error).message
    }
    return {
      keys: Object.keys(recon).sort(),
      info: await recon.info(),
      settings: await recon.getSettings(),
      recent: await recon.recentFiles(),
      openError,
      node: [typeof w.require, typeof w.process, typeof w.module, typeof w.ipcRenderer]
    }
  })
  assert.deepEqual(seen.keys, [...API_METHODS, 'onEvent'].sort())
  assert.equal(seen.info.shell, 'desktop')
  assert.equal(seen.info.name, 'Recon Studio')
  assert.ok(seen.settings.threads >= 1)
  assert.ok(Array.isArray(seen.recent))
  assert.match(seen.openError, /no such file or folder/)
  assert.ok(!seen.openError.includes('Error invoking remote method'), 'the service message, not the IPC wrapper')
  assert.deepEqual(seen.node, ['undefined', 'undefined', 'undefined', 'undefined'])
})
