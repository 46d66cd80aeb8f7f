import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { PNG } from 'pngjs'
import { exportRun } from '../../src-main/export/run-export.ts'
import { EXPORT_FORMATS } from '../../src-main/api/contract.ts'
import { fmtNmse, fmtPsnr, fmtResidual, fmtSsim } from '../../src-main/export/format.ts'
import { renderReportPdf } from '../../src-main/export/report-pdf.ts'
import { buildReportModel } from '../../src-main/export/report-model.ts'
import { maskMeaning, maskPng, panelPng8, runPanels } from '../../src-main/export/images.ts'
import { H, HOSTILE_NAME, W, makeRun, tmpDir } from './run-fixture.ts'
import { pdfText } from './pdf-text.ts'

const run = makeRun({ inputName: HOSTILE_NAME })
const s = run.summary
const out = path.join(tmpDir(), 'all')
const result = exportRun(run, out, [...EXPORT_FORMATS])
const read = (rel: string): string => fs.readFileSync(path.join(out, rel), 'utf8')

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += c
  }
  assert.equal(field, '', 'the last record ends with CRLF')
  return rows
}

test('every format writes its files, report.json last in the list', async () => {
  const r = await result
  for (const f of ['report.json', 'metrics.csv', 'report.html', 'report.pdf', 'mask.png', 'dicom/fista-tv/IM_0001.dcm', 'png/reference.png']) {
    assert.ok(r.files.includes(f), f)
    assert.ok(fs.existsSync(path.join(out, f)), f)
  }
  assert.equal(r.files.at(-1), 'report.json')
})

test('report.json has every field', async () => {
  const r = await result
  const j = JSON.parse(read('report.json'))
  assert.deepEqual(j.software, run.software)
  assert.equal(j.created, s.created)
  assert.ok(!Number.isNaN(Date.parse(j.exported)))
  assert.deepEqual(j.input, { name: HOSTILE_NAME, description: run.inputDescription })
  assert.equal(j.run_id, s.runId)
  assert.equal(j.description, s.description)
  assert.deepEqual(j.shape, [H, W])
  const e = s.setup.setup
  assert.deepEqual(j.setup, {
    scan_id: e.scanId,
    series: e.series,
    slice: e.slice,
    task: e.task,
    pattern: e.pattern,
    acceleration: e.acceleration,
    effective_acceleration: (W * H) / s.mask.data.reduce((a, v) => a + (v ? 1 : 0), 0),
    sampled_fraction: s.mask.data.reduce((a, v) => a + (v ? 1 : 0), 0) / (W * H),
    center_fraction: e.centerFraction,
    seed: e.seed,
    noise: e.noise,
    blur_sigma: e.blurSigma,
    factor: e.factor,
    coils: e.coils,
    maps: e.maps,
    virtual_coils: null,
    painted_mask: null
  })
  const st = s.setup.settings
  assert.deepEqual(j.settings, {
    methods: st.methods,
    lambda: st.lambda,
    iterations: st.iterations,
    inner_iterations: st.innerIterations,
    tolerance: st.tolerance,
    model: st.model,
    dps: { steps: st.dps.steps, samples: st.dps.samples, zeta: st.dps.zeta },
    mc: { steps: st.mc.steps, samples: st.mc.samples, lambda_mc: st.mc.lambdaMc, mc_data: st.mc.mcData }
  })
  assert.equal(j.format_version, 2)
  assert.equal(j.metrics_convention, s.metricsConvention)
  assert.equal(j.has_reference, true)
  assert.equal(j.methods.length, s.outcomes.length)
  s.outcomes.forEach((o, i) => {
    const m = j.methods[i]
    assert.equal(m.name, o.name)
    assert.equal(m.label, o.label)
    assert.equal(m.psnr_db, o.psnr)
    assert.equal(m.ssim, o.ssim)
    assert.equal(m.nmse, o.nmse)
    assert.equal(m.dc_residual, o.dcResidual)
    assert.equal(m.seconds, o.seconds)
    assert.deepEqual(m.params, o.params)
    assert.ok(m.files.includes(`png/${o.name}.png`))
    assert.ok(m.files.includes(`dicom/${o.name}/IM_0001.dcm`))
  })
  assert.deepEqual(j.failures, s.failures)
  assert.deepEqual(j.models, s.models)
  assert.deepEqual(j.files, r.files)
  assert.equal(j.mask.file, 'mask.png')
  assert.equal(j.mask.white, 'white = sampled k-space')
  assert.equal(j.windows.image.max, s.windowMax)
})

test('metrics.csv parses (RFC 4180) and its numbers match the summary exactly', async () => {
  await result
  const text = read('metrics.csv')
  assert.ok(text.endsWith('\r\n'))
  const rows = parseCsv(text)
  assert.deepEqual(rows[0], ['method', 'psnr_db', 'ssim', 'nmse', 'dc_residual', 'seconds'])
  assert.equal(rows.length, s.outcomes.length + 1)
  s.outcomes.forEach((o, i) => {
    const [name, psnr, ssim, nmse, dc, sec] = rows[i + 1]
    assert.equal(name, o.name)
    assert.equal(Number(psnr), o.psnr)
    assert.equal(Number(ssim), o.ssim)
    assert.equal(Number(nmse), o.nmse)
    assert.equal(Number(dc), o.dcResidual)
    assert.equal(Number(sec), o.seconds)
  })
})

test('report.html is self-contained, shows the metrics and escapes hostile strings', async () => {
  await result
  const html = read('report.html')
  assert.ok(html.startsWith('<!DOCTYPE html>'))
  const no = (re: RegExp, what: string): void => assert.ok(!re.test(html), what)
  no(/<script/i, 'no <script')
  no(/https?:\/\//i, 'no http(s) URL')
  no(/<link|<iframe|<object|<embed|<base|<form|@import|url\(/i, 'nothing that loads or sends elsewhere')
  // Element tags only ('<' in text is escaped): no event handlers, and the only sources are data: PNGs.
  const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? []
  assert.ok(tags.length > 50)
  for (const tag of tags) {
    assert.ok(!/\son[a-z]+\s*=/i.test(tag), `event handler in ${tag.slice(0, 80)}`)
    assert.ok(!/\shref\s*=/i.test(tag), `link in ${tag.slice(0, 80)}`)
    const src = /\ssrc\s*=\s*"([^"]*)"/i.exec(tag)
    if (src) assert.ok(src[1].startsWith('data:image/png;base64,'), `source ${src[1].slice(0, 40)}`)
    if (/^<img/i.test(tag)) assert.ok(src, 'every image has a data: source')
  }
  assert.ok(html.includes('Content-Security-Policy'))
  // The hostile input name appears only escaped.
  assert.ok(!html.includes(HOSTILE_NAME))
  assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;&#34;&#38;&#39;.png'))
  // The failure message too.
  assert.ok(html.includes('prior &#60;test-tiny&#62; failed: &#34;out of memory&#34; &#38; more'))
  for (const o of s.outcomes) {
    assert.ok(html.includes(fmtPsnr(o.psnr)), `${o.name} PSNR`)
    assert.ok(html.includes(fmtSsim(o.ssim)), `${o.name} SSIM`)
    assert.ok(html.includes(fmtNmse(o.nmse)), `${o.name} NMSE`)
    assert.ok(html.includes(fmtResidual(o.dcResidual)), `${o.name} DC`)
    assert.ok(html.includes(o.label))
  }
  assert.ok(html.includes('Convention: Metrics follow fastMRI'))
  assert.ok(html.includes(s.models[0].sha256.denoiser) && html.includes(s.models[0].sha256.vjp!))
  assert.ok(html.includes(run.software.version))
  assert.ok(html.includes('<th scope="row">Seed</th><td>1234</td>'))
  // Each diffusion method's own settings.
  assert.ok(html.includes('<th scope="row">DPS steps / samples</th><td>50 / 4</td>'))
  assert.ok(html.includes('<th scope="row">DPS ζ</th><td>1</td>'))
  assert.ok(html.includes('<th scope="row">MC steps / samples</th><td>200 / 2</td>'))
  assert.ok(html.includes('<th scope="row">MC λ</th><td>0.5</td>'))
  assert.ok(html.includes('white = sampled k-space'))
  // Every embedded image is a decodable PNG of the run's size: reference, 3 methods, 3 error maps, 1 std map, the mask.
  const images = [...html.matchAll(/src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)]
  assert.equal(images.length, 9)
  for (const [, b64] of images) {
    const png = PNG.sync.read(Buffer.from(b64, 'base64'))
    assert.equal(png.width, W)
    assert.equal(png.height, H)
  }
})

test('report.pdf is a valid PDF naming the methods, metrics and model hashes', async () => {
  await result
  const pdf = new Uint8Array(fs.readFileSync(path.join(out, 'report.pdf')))
  const head = Buffer.from(pdf.subarray(0, 8)).toString('latin1')
  assert.ok(head.startsWith('%PDF-'), head)
  assert.match(Buffer.from(pdf.subarray(pdf.length - 8)).toString('latin1'), /%%EOF\s*$/)
  const text = pdfText(pdf)
  for (const o of s.outcomes) {
    assert.ok(text.includes(o.label), o.label)
    assert.ok(text.includes(fmtPsnr(o.psnr)), `${o.label} PSNR`)
  }
  assert.ok(text.includes(HOSTILE_NAME), 'the input name, as plain text')
  assert.ok(text.includes(s.models[0].sha256.denoiser))
  assert.ok(text.includes(`Recon Studio ${run.software.version}`))
  // The image grid: 8 images and the mask, embedded as image XObjects.
  const raw = Buffer.from(pdf).toString('latin1')
  assert.equal(raw.match(/\/Subtype \/Image/g)?.length, 9)
})

test('the PDF is deterministic for one report and readable uncompressed', async () => {
  const { panels, windows } = runPanels(s)
  const model = buildReportModel({
    run,
    width: W,
    height: H,
    panels,
    windows,
    png8: panelPng8,
    maskMeaning: maskMeaning(s),
    maskPng: maskPng(s.mask),
    maskFile: 'mask.png',
    methodFiles: new Map(),
    files: ['report.pdf'],
    notes: [],
    exported: new Date('2025-03-14T10:00:00Z')
  })
  const a = await renderReportPdf(model)
  const b = await renderReportPdf(model)
  assert.deepEqual(Buffer.from(a), Buffer.from(b))
  const plain = Buffer.from(await renderReportPdf(model, { compress: false })).toString('latin1')
  assert.ok(plain.startsWith('%PDF-'))
  assert.ok(plain.includes('(D:20250314092653Z)'), 'the creation date is the run\'s')
  assert.ok(plain.includes('] TJ'))
  assert.equal(pdfText(new TextEncoder().encode(plain)), pdfText(a).replace(/\r/g, ''))
})

test('a run without a reference reports data-consistency residuals and no PSNR', async () => {
  const ref = makeRun({ reference: false })
  const dir = path.join(tmpDir(), 'measured')
  const r = await exportRun(ref, dir, ['png', 'npy', 'csv', 'json', 'html', 'pdf'])
  assert.ok(!r.files.includes('png/reference.png'))
  assert.ok(!r.files.some((f) => f.includes('-error')))
  const rows = parseCsv(fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8'))
  for (const [i, o] of ref.summary.outcomes.entries()) {
    const [name, psnr, ssim, nmse, dc] = rows[i + 1]
    assert.equal(name, o.name)
    assert.deepEqual([psnr, ssim, nmse], ['', '', ''])
    assert.equal(Number(dc), o.dcResidual)
  }
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'))
  assert.equal(j.has_reference, false)
  assert.ok(j.methods.every((m: { psnr_db: unknown; dc_residual: unknown }) => m.psnr_db === null && typeof m.dc_residual === 'number'))
  assert.equal(j.windows.error, null)
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8')
  assert.ok(!html.includes('<th>PSNR</th>'), 'no PSNR column')
  assert.ok(!/\d dB/.test(html), 'no PSNR value')
  assert.ok(html.includes('<th>Method</th><th>DC residual</th><th>Time</th>'))
  for (const o of ref.summary.outcomes) assert.ok(html.includes(`DC residual ${fmtResidual(o.dcResidual)}`), 'residual under each image')
  assert.ok(html.includes('No reference'))
  const text = pdfText(new Uint8Array(fs.readFileSync(path.join(dir, 'report.pdf'))))
  assert.ok(!text.split('\n').includes('PSNR'), 'no PSNR column in the PDF')
  assert.ok(!/\d dB/.test(text), 'no PSNR value in the PDF')
  assert.ok(text.split('\n').includes('DC residual'))
  for (const o of ref.summary.outcomes) assert.ok(text.includes(fmtResidual(o.dcResidual)))
})
