/**
 * `npm run web` (scripts/web.mjs --no-build): exactly one line on stdout, the address with the
 * token; that address works (cookie, page with the bridge, the real WorkbenchService behind
 * the API); SIGTERM stops it with exit status 0 and nothing more on stdout.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const built = existsSync(join(root, 'out', 'renderer', 'index.html'))

test('scripts/web.mjs --no-build prints one line, the working address, and exits 0 on SIGTERM', async (t) => {
  if (!built) {
    t.skip('out/renderer is not built (run `npx electron-vite build` first)')
    return
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'recon-web-data-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const child = spawn(process.execPath, ['scripts/web.mjs', '--no-build', '--port', '0', '--data-dir', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (s: string) => (stderr += s))
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within 60 s; stderr:\n${stderr}`)), 60000)
    child.stdout.on('data', (s: string) => {
      stdout += s
      const nl = stdout.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(stdout.slice(0, nl))
      }
    })
    child.on('exit', (code) => reject(new Error(`web.mjs exited (${code}) before printing the address; stderr:\n${stderr}`)))
  })
  const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/.exec(firstLine)
  assert.ok(m, `unexpected first line: ${firstLine}`)
  const base = `http://127.0.0.1:${m[1]}`

  const first = await fetch(firstLine, { redirect: 'manual' })
  assert.equal(first.status, 303)
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]
  const page = await fetch(base + '/', { headers: { cookie } })
  assert.equal(page.status, 200)
  const html = await page.text()
  assert.ok(html.includes('<script type="module" src="/bridge.js"></script>'))
  assert.equal((await fetch(base + '/', { redirect: 'manual' })).status, 403)

  // The real services answer through the API.
  const post = (method: string, args: unknown[]): Promise<Response> =>
    fetch(`${base}/api/${method}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ args }) })
  const info = (await (await post('info', [])).json()) as { value: { shell: string } }
  assert.equal(info.value.shell, 'browser')
  const settings = (await (await post('getSettings', [])).json()) as { value: { threads: number } }
  assert.ok(settings.value.threads >= 1)
  const missing = await post('openPath', [join(dataDir, 'no-such-file.dcm')])
  assert.equal(missing.status, 404)
  assert.match(((await missing.json()) as { error: { message: string } }).error.message, /no such file or folder/)
  const badRun = await post('getRun', ['run-1-00000000'])
  assert.equal(badRun.status, 404)

  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  assert.equal(await exit, 0, stderr)
  assert.equal(stdout, firstLine + '\n', 'nothing but the address on stdout')
})
