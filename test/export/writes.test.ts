import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { exportRun, ExportTargetExistsError } from '../../src-main/export/run-export.ts'
import { csvField } from '../../src-main/export/report-csv.ts'
import { escapeHtml } from '../../src-main/export/report-html.ts'
import { pdfText as pdfSafe } from '../../src-main/export/report-pdf.ts'
import { EXPORT_FORMATS, type ExportFormat } from '../../src-main/api/contract.ts'
import { makeRun, tmpDir } from './run-fixture.ts'

/** Every file under dir (relative, '/'-separated) with its bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  if (!fs.existsSync(dir)) return out
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const abs = path.join(e.parentPath, e.name)
    out.set(path.relative(dir, abs).split(path.sep).join('/'), fs.readFileSync(abs))
  }
  return out
}

test('the folder is created, nested, when missing', async () => {
  const dir = path.join(tmpDir(), 'a', 'b', 'c')
  const r = await exportRun(makeRun(), dir, ['csv'])
  assert.deepEqual(r.files, ['metrics.csv'])
  assert.ok(fs.statSync(path.join(dir, 'metrics.csv')).isFile())
})

test('existing targets: refused before anything is written, and left untouched', async () => {
  const dir = path.join(tmpDir(), 'out')
  fs.mkdirSync(path.join(dir, 'png'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'png', 'fista-tv.png'), 'mine')
  fs.writeFileSync(path.join(dir, 'report.json'), '{"mine": true}')
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'unrelated')
  const before = snapshot(dir)
  await assert.rejects(exportRun(makeRun(), dir, [...EXPORT_FORMATS]), (err: unknown) => {
    assert.ok(err instanceof ExportTargetExistsError)
    assert.deepEqual(err.existing, ['png/fista-tv.png', 'report.json'])
    assert.match(err.message, /2 files already exist \(png\/fista-tv\.png, report\.json\); nothing was written/)
    return true
  })
  assert.deepEqual(snapshot(dir), before, 'no file added, changed or removed')
  assert.deepEqual(fs.readdirSync(dir).sort(), ['notes.txt', 'png', 'report.json'], 'no new folders either')
})

test('an existing DICOM file counts as a clash too', async () => {
  const dir = path.join(tmpDir(), 'out')
  fs.mkdirSync(path.join(dir, 'dicom', 'dps'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'dicom', 'dps', 'IM_0001.dcm'), 'mine')
  const before = snapshot(dir)
  await assert.rejects(exportRun(makeRun(), dir, ['dicom', 'png']), ExportTargetExistsError)
  assert.deepEqual(snapshot(dir), before)
})

test('overwrite replaces the files and leaves unrelated ones alone', async () => {
  const dir = path.join(tmpDir(), 'out')
  const first = await exportRun(makeRun(), dir, ['json', 'csv', 'png', 'dicom'])
  fs.writeFileSync(path.join(dir, 'metrics.csv'), 'stale')
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'unrelated')
  const second = await exportRun(makeRun(), dir, ['json', 'csv', 'png', 'dicom'], { overwrite: true })
  assert.deepEqual(second.files, first.files)
  assert.match(fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8'), /^method,psnr_db/)
  assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'unrelated')
  // No temporary files left behind.
  assert.deepEqual([...snapshot(dir).keys()].filter((f) => f.endsWith('.tmp')), [])
})

/**
 * A run whose export fails after writing has started: its description is read by validation,
 * then again by the report, which fails — after the DICOM series (written first) are on disk.
 * `reset()` arms it again for another export.
 */
function failingWhileRendering(): { run: ReturnType<typeof makeRun>; reset: () => void } {
  const run = makeRun()
  let reads = 0
  const description = run.summary.description
  Object.defineProperty(run.summary, 'description', {
    get() {
      if (++reads > 1) throw new Error('simulated failure while rendering')
      return description
    }
  })
  return { run, reset: () => (reads = 0) }
}

test('a failure after writing started removes what this export wrote', async () => {
  const dir = path.join(tmpDir(), 'out')
  const { run, reset } = failingWhileRendering()
  await assert.rejects(exportRun(run, dir, ['dicom', 'png', 'json']), /simulated failure/)
  assert.equal(fs.existsSync(dir), false, 'the folder this call created is gone again')

  // In an existing folder: its own files stay, the export's are removed.
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'unrelated')
  reset()
  await assert.rejects(exportRun(run, dir, ['dicom', 'png', 'json']), /simulated failure/)
  assert.deepEqual([...snapshot(dir).keys()], ['notes.txt'])
  assert.deepEqual(fs.readdirSync(dir), ['notes.txt'])
})

test('overwrite: a failure after writing started restores the previous set, byte for byte', async () => {
  const dir = path.join(tmpDir(), 'out')
  await exportRun(makeRun(), dir, ['dicom', 'png', 'json', 'csv'])
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'unrelated')
  const before = snapshot(dir)
  const { run } = failingWhileRendering()
  // The DICOM series are replaced before the reports are rendered: the failure comes after that.
  await assert.rejects(exportRun(run, dir, ['dicom', 'png', 'json', 'csv'], { overwrite: true }), /simulated failure/)
  assert.deepEqual(snapshot(dir), before, 'the old files are back, nothing new or set aside is left')
  // And a successful overwrite leaves no set-aside copies behind.
  await exportRun(makeRun(), dir, ['dicom', 'png', 'json', 'csv'], { overwrite: true })
  assert.deepEqual([...snapshot(dir).keys()].sort(), [...before.keys()].sort())
})

test('bad input gives readable errors and writes nothing', async () => {
  const base = tmpDir()
  const cases: [string, (run: ReturnType<typeof makeRun>) => void, RegExp][] = [
    ['short data', (r) => (r.summary.outcomes[1].image.data = new Float32Array(10)), /method fista-tv image: data holds 10 values but width × height = 48×40 = 1920/],
    ['size mismatch', (r) => (r.summary.outcomes[2].std = { width: 40, height: 48, data: new Float32Array(1920) }), /method dps standard-deviation map is 40×48 .* other images are 48×40/],
    ['NaN', (r) => (r.summary.outcomes[0].image.data[45] = NaN), /method zero-filled image: value NaN at pixel \(x=45, y=0\)/],
    ['zero width', (r) => (r.summary.reference = { width: 0, height: 40, data: new Float32Array(0) }), /reference image: width must be a positive integer, got 0/],
    ['running', (r) => (r.summary.state = 'running'), /run run-0001 is still running/],
    ['unknown method', (r) => ((r.summary.outcomes[1] as { name: string }).name = '../evil'), /unknown method name "..\/evil"/],
    ['duplicate method', (r) => (r.summary.outcomes[2] = { ...r.summary.outcomes[1] }), /method fista-tv appears twice/],
    ['windowMax', (r) => (r.summary.windowMax = Infinity), /windowMax must be a finite number/],
    ['bad param', (r) => ((r.summary.outcomes[1].params as Record<string, unknown>).x = { a: 1 }), /parameter x must be a number, string or boolean/]
  ]
  for (const [name, spoil, message] of cases) {
    const run = makeRun()
    spoil(run)
    const dir = path.join(base, name)
    await assert.rejects(exportRun(run, dir, ['png', 'json']), (err: Error) => {
      assert.match(err.message, /^cannot export run: /, name)
      assert.match(err.message, message, name)
      return true
    })
    assert.equal(fs.existsSync(dir), false, `${name}: nothing written`)
  }
  await assert.rejects(exportRun(makeRun(), path.join(base, 'f'), ['png', 'gif' as ExportFormat]), /unknown format "gif"/)
  await assert.rejects(exportRun(makeRun(), path.join(base, 'f'), []), /no formats given/)
  // A file where the folder (or one of the layout's folders) must go.
  fs.writeFileSync(path.join(base, 'file'), 'x')
  await assert.rejects(exportRun(makeRun(), path.join(base, 'file'), ['json']), /exists and is not a folder/)
  fs.mkdirSync(path.join(base, 'clash'))
  fs.writeFileSync(path.join(base, 'clash', 'png'), 'x')
  await assert.rejects(exportRun(makeRun(), path.join(base, 'clash'), ['png']), /png exists and is not a folder/)
})

test('a run where every method failed still exports its report', async () => {
  const run = makeRun()
  run.summary.state = 'failed'
  run.summary.outcomes = []
  run.summary.failures = [{ name: 'zero-filled', message: 'out of memory' }]
  const dir = path.join(tmpDir(), 'failed')
  const r = await exportRun(run, dir, ['json', 'csv', 'html', 'pdf', 'png'])
  assert.deepEqual(r.files, ['png/reference.png', 'metrics.csv', 'report.html', 'report.pdf', 'report.json'])
  assert.equal(fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8'), 'method,psnr_db,ssim,nmse,dc_residual,seconds\r\n')
  assert.ok(fs.readFileSync(path.join(dir, 'report.html'), 'utf8').includes('out of memory'))
})

test('text helpers: CSV quoting, HTML escaping, PDF-safe text', () => {
  assert.equal(csvField('plain'), 'plain')
  assert.equal(csvField('a,b'), '"a,b"')
  assert.equal(csvField('say "hi"'), '"say ""hi"""')
  assert.equal(csvField('two\r\nlines'), '"two\r\nlines"')
  assert.equal(escapeHtml(`<a href="x" onclick='y'>&\``), '&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#96;')
  assert.equal(pdfSafe('λ = 0.1, σ ≈ 2 × 3 – ok\u0007'), 'lambda = 0.1, sigma ~ 2 × 3 – ok')
  assert.equal(pdfSafe('日本'), '??')
})
