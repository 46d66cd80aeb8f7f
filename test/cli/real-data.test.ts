/**
 * `recon-studio reconstruct` end to end on real images: a clinical brain MRI slice through the
 * real binary (MRI task, Poisson disc, R = 4), and a Set12 photograph crop for inpainting,
 * deblurring and super-resolution. Skipped, with the reason, when the shared data is absent.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  MRI_SLICES,
  SET12,
  assertOk,
  countWhite,
  filesIn,
  firstBrainSlice,
  method,
  psnrFastMri,
  psnrOf,
  readPng,
  readReport,
  readResult,
  runCli,
  spawnCli,
  tempDir,
  writePng,
  writeSet12Crop
} from '../helpers/cli.ts'
import { psnr as enginePsnr } from '../../src-main/engine/metrics.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { FISTA_TV_DEFAULTS } from '../../src-main/engine/fista-tv.ts'

const BRAIN = firstBrainSlice()
const NO_BRAIN = BRAIN ? false : `real brain MRI slices not found under ${MRI_SLICES}`
const NO_SET12 = fs.existsSync(path.join(SET12, '01.png')) ? false : `Set12 images not found in ${SET12}`

test('reconstruct a real 224×224 brain slice (binary, poisson R=4): files, report and metrics', { skip: NO_BRAIN }, () => {
  const input = BRAIN as string
  const out = path.join(tempDir(), 'out')
  const r = spawnCli(['reconstruct', input, '--pattern', 'poisson', '--acceleration', '4', '--out', out])
  assertOk(r, 'reconstruct on a brain slice')
  assert.match(r.stdout, /FISTA-TV\s+PSNR [\d.]+ dB/)

  const expected = ['fista-tv.npy', 'fista-tv.png', 'mask.png', 'reference.npy', 'reference.png', 'report.json', 'zero-filled.npy', 'zero-filled.png']
  assert.deepEqual(filesIn(out), expected, 'exactly the result files, no temporaries left behind')

  const report = readReport(out)
  const [H, W] = [224, 224]
  assert.equal(report.input, input)
  assert.equal(report.task, 'mri')
  assert.equal(report.pattern, 'poisson')
  assert.equal(report.acceleration, 4)
  assert.equal(report.seed, 0)
  assert.deepEqual(report.shape, [H, W])
  assert.match(report.metrics_convention, /fastMRI/)
  assert.match(report.metrics_convention, /max\(reference\)/)
  assert.deepEqual(
    report.methods.map((m) => m.name),
    ['zero-filled', 'fista-tv']
  )
  const eff = report.effective_acceleration as number
  assert.ok(Math.abs(eff - 4) / 4 <= 0.03, `effective acceleration ${eff} is not within 3 % of 4`)

  // The saved mask is the one that was used: its sampled fraction gives the reported acceleration.
  const mask = readPng(path.join(out, 'mask.png'))
  assert.deepEqual([mask.height, mask.width], [H, W])
  assert.ok(Math.abs((H * W) / countWhite(mask) - eff) < 1e-9, 'mask.png does not match effective_acceleration')
  assert.equal(mask.gray[Math.floor(H / 2) * W + Math.floor(W / 2)], 255, 'k-space centre (DC) must be sampled')

  // reference.npy is the JPEG scaled to [0, 1]; every result is float32 [H, W].
  const ref = readResult(path.join(out, 'reference.npy'), H, W)
  const jpg = readPng(input)
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ref[i] - jpg.gray[i] / 255) < 1e-6, `reference.npy differs from the JPEG/255 at ${i}`)
  const zf = readResult(path.join(out, 'zero-filled.npy'), H, W)
  const tv = readResult(path.join(out, 'fista-tv.npy'), H, W)

  for (const m of report.methods) {
    for (const f of [m.files.npy, m.files.png]) assert.ok(fs.existsSync(path.join(out, f)), `${m.name}: ${f} missing`)
    assert.ok(m.seconds >= 0 && m.seconds < 60, `${m.name}: seconds ${m.seconds}`)
    assert.ok((m.ssim as number) > 0 && (m.ssim as number) <= 1, `${m.name}: SSIM ${m.ssim}`)
    assert.ok((m.nmse as number) > 0, `${m.name}: NMSE ${m.nmse}`)
  }
  for (const f of ['reference.png', 'zero-filled.png', 'fista-tv.png']) {
    const png = readPng(path.join(out, f))
    assert.deepEqual([png.height, png.width], [H, W], `${f} size`)
  }

  // The report's PSNR is the fastMRI PSNR of the saved images (float32 rounding aside).
  const tvPsnr = psnrOf(report, 'fista-tv')
  const zfPsnr = psnrOf(report, 'zero-filled')
  assert.ok(Math.abs(psnrFastMri(ref, tv) - tvPsnr) < 1e-3, `fista-tv PSNR: report ${tvPsnr}, recomputed ${psnrFastMri(ref, tv)}`)
  assert.ok(Math.abs(psnrFastMri(ref, zf) - zfPsnr) < 1e-3, `zero-filled PSNR: report ${zfPsnr}, recomputed ${psnrFastMri(ref, zf)}`)
  assert.ok(Math.abs(enginePsnr(ref, tv) - tvPsnr) < 1e-3, 'engine psnr() disagrees with the report')
  assert.ok(tvPsnr > zfPsnr + 3, `FISTA-TV ${tvPsnr.toFixed(2)} dB does not beat zero-filled ${zfPsnr.toFixed(2)} dB by 3 dB`)
  assert.equal(method(report, 'fista-tv').params.max_iterations, FISTA_TV_DEFAULTS.maxIterations)
})

// One real photograph crop (96×80: not square, so swapped axes show) for the image tasks.
const CROP: [number, number, number, number] = [60, 90, 96, 80] // y0, x0, height, width (01.png)
function setupCrop(): { dir: string; input: string; H: number; W: number } {
  const dir = tempDir()
  const [y0, x0, H, W] = CROP
  const input = writeSet12Crop(path.join(dir, 'crop.png'), '01.png', y0, x0, H, W)
  return { dir, input, H, W }
}

test('inpainting a real Set12 crop with --mask missing.png (white = missing)', { skip: NO_SET12 }, async () => {
  const { dir, input, H, W } = setupCrop()
  // 40 % of pixels missing at random, plus a 12×30 block (a scratch).
  const rng = new Rng(7)
  const missing = new Uint8Array(H * W)
  for (let i = 0; i < missing.length; i++) missing[i] = rng.uniform() < 0.4 ? 1 : 0
  for (let y = 40; y < 52; y++) for (let x = 20; x < 50; x++) missing[y * W + x] = 1
  const maskFile = writePng(path.join(dir, 'missing.png'), missing, H, W)
  const out = path.join(dir, 'inpaint')

  const r = await runCli(['reconstruct', input, '--mask', maskFile, '--iterations', '30', '--out', out])
  assertOk(r)
  const report = readReport(out)
  assert.equal(report.task, 'inpaint')
  assert.equal(report.pattern, null)
  assert.equal(report.acceleration, null)
  assert.equal(report.mask?.meaning, 'white = missing pixel')
  assert.deepEqual(report.shape, [H, W])

  // mask.png is the mask given; the zero-filled image is the observed pixels and 0 where missing.
  const saved = readPng(path.join(out, 'mask.png'))
  assert.deepEqual([saved.height, saved.width], [H, W])
  for (let i = 0; i < missing.length; i++) assert.equal(saved.gray[i] > 127 ? 1 : 0, missing[i], `mask.png differs at ${i}`)
  const ref = readResult(path.join(out, 'reference.npy'), H, W)
  const zf = readResult(path.join(out, 'zero-filled.npy'), H, W)
  for (let i = 0; i < missing.length; i++) {
    const want = missing[i] ? 0 : ref[i]
    assert.ok(Math.abs(zf[i] - want) < 1e-6, `zero-filled at ${i} is ${zf[i]}, expected ${want} (mask polarity?)`)
  }

  const tv = readResult(path.join(out, 'fista-tv.npy'), H, W)
  assert.ok(Math.abs(psnrFastMri(ref, tv) - psnrOf(report, 'fista-tv')) < 1e-3)
  assert.ok(psnrOf(report, 'fista-tv') > psnrOf(report, 'zero-filled') + 3, `FISTA-TV ${psnrOf(report, 'fista-tv')} vs zero-filled ${psnrOf(report, 'zero-filled')}`)
})

test('--task blur and --task downsample --factor 2 on a real Set12 crop: FISTA-TV beats the baseline', { skip: NO_SET12 }, async () => {
  const { dir, input, H, W } = setupCrop()

  const blurOut = path.join(dir, 'blur')
  assertOk(await runCli(['reconstruct', input, '--task', 'blur', '--iterations', '30', '--out', blurOut]))
  const blur = readReport(blurOut)
  assert.equal(blur.task, 'blur')
  assert.equal(blur.blur_sigma, 2)
  assert.equal(blur.mask, null)
  assert.ok(!fs.existsSync(path.join(blurOut, 'mask.png')), 'no mask.png for deblurring')
  readResult(path.join(blurOut, 'fista-tv.npy'), H, W)
  assert.ok(psnrOf(blur, 'fista-tv') > psnrOf(blur, 'zero-filled') + 1, `blur: FISTA-TV ${psnrOf(blur, 'fista-tv')} vs ${psnrOf(blur, 'zero-filled')}`)

  const dsOut = path.join(dir, 'downsample')
  assertOk(await runCli(['reconstruct', input, '--task', 'downsample', '--factor', '2', '--iterations', '30', '--out', dsOut]))
  const ds = readReport(dsOut)
  assert.equal(ds.task, 'downsample')
  assert.equal(ds.factor, 2)
  assert.deepEqual(ds.shape, [H, W])
  // The back-projection is constant on each 2×2 block.
  const bp = readResult(path.join(dsOut, 'zero-filled.npy'), H, W)
  for (let y = 0; y < H; y += 2) {
    for (let x = 0; x < W; x += 2) {
      const v = bp[y * W + x]
      assert.ok(Math.abs(bp[y * W + x + 1] - v) < 1e-6 && Math.abs(bp[(y + 1) * W + x] - v) < 1e-6, `back-projection not blockwise at (${y}, ${x})`)
    }
  }
  assert.ok(psnrOf(ds, 'fista-tv') > psnrOf(ds, 'zero-filled'), `downsample: FISTA-TV ${psnrOf(ds, 'fista-tv')} vs ${psnrOf(ds, 'zero-filled')}`)
})
