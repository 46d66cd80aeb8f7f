import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { PNG } from 'pngjs'
import type { RunSummary } from '../../src-main/api/contract.ts'
import { exportRun } from '../../src-main/export/run-export.ts'
import { parseNpy } from '../../src-main/io/npy.ts'
import { axialSlice, readNiftiFile } from '../../src-main/io/nifti.ts'
import { H, W, makeRun, tmpDir } from './run-fixture.ts'

const run = makeRun()
const s = run.summary
const out = path.join(tmpDir(), 'export')
const result = exportRun(run, out, ['png', 'png16', 'npy', 'nifti', 'mask'])
const report = async (): Promise<Record<string, unknown>> => {
  // The windows are stated in report.json; a second export into another folder gives the same ones.
  const dir = path.join(tmpDir(), 'json')
  await exportRun(run, dir, ['json'])
  return JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Record<string, unknown>
}

function readPng(rel: string): PNG {
  return PNG.sync.read(fs.readFileSync(path.join(out, rel)), { skipRescale: true } as never)
}

/** Gray samples of a grayscale PNG (pngjs expands to RGBA; 16-bit data kept with skipRescale). */
function gray(png: PNG): number[] {
  const px: number[] = []
  for (let i = 0; i < png.width * png.height; i++) {
    const [r, g, b] = [png.data[4 * i], png.data[4 * i + 1], png.data[4 * i + 2]]
    assert.ok(r === g && g === b, 'grayscale')
    px.push(r)
  }
  return px
}

function expected8(data: Float32Array, max: number): number[] {
  return Array.from(data, (v) => Math.min(255, Math.max(0, Math.round(v * (255 / max)))))
}

function maxDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length)
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)
}

test('the image formats write the expected files', async () => {
  const r = await result
  assert.equal(r.folder, path.resolve(out))
  assert.deepEqual(
    [...r.files].sort(),
    [
      'mask.png',
      'nifti/dps.nii.gz',
      'nifti/fista-tv.nii.gz',
      'nifti/reference.nii.gz',
      'nifti/zero-filled.nii.gz',
      'npy/dps-std.npy',
      'npy/dps.npy',
      'npy/fista-tv.npy',
      'npy/reference.npy',
      'npy/zero-filled.npy',
      'png/dps-error.png',
      'png/dps-std.png',
      'png/dps.png',
      'png/fista-tv-error.png',
      'png/fista-tv.png',
      'png/reference.png',
      'png/zero-filled-error.png',
      'png/zero-filled.png',
      'png16/dps.png',
      'png16/fista-tv.png',
      'png16/reference.png',
      'png16/zero-filled.png'
    ]
  )
  for (const f of r.files) assert.ok(fs.statSync(path.join(out, f)).isFile(), f)
  // Nothing else: no temporary files left behind.
  const all = fs.readdirSync(out, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
  assert.equal(all.length, r.files.length)
})

test('8-bit PNGs decode to the image size in the shared window [0, windowMax]', async () => {
  await result
  for (const [rel, data] of [
    ['png/reference.png', s.reference!.data],
    ['png/zero-filled.png', s.outcomes[0].image.data],
    ['png/fista-tv.png', s.outcomes[1].image.data],
    ['png/dps.png', s.outcomes[2].image.data]
  ] as const) {
    const png = readPng(rel)
    assert.equal(png.width, W, rel)
    assert.equal(png.height, H, rel)
    assert.ok(maxDiff(gray(png), expected8(data, s.windowMax)) <= 1, rel)
  }
  // The reference's brightest pixel is white in its window; a noisy method clips above it.
  assert.equal(Math.max(...gray(readPng('png/reference.png'))), 255)
})

test('error and std maps use their own stated windows', async () => {
  await result
  const json = await report()
  const windows = json.windows as Record<string, { min: number; max: number; rule: string }>
  assert.equal(windows.image.max, s.windowMax)
  assert.ok(windows.error.max > 0 && windows.error.max < s.windowMax, 'error window differs from the image window')
  assert.match(windows.error.rule, /99\.5th percentile/)
  const err = readPng('png/fista-tv-error.png')
  assert.ok(maxDiff(gray(err), expected8(s.outcomes[1].errorMap!.data, windows.error.max)) <= 1)
  const std = readPng('png/dps-std.png')
  assert.ok(maxDiff(gray(std), expected8(s.outcomes[2].std!.data, windows.std.max)) <= 1)
})

test('16-bit PNGs are linear with the scale stated in the report', async () => {
  await result
  const json = await report()
  const w = (json.windows as Record<string, { min: number; max: number; scale: number }>).png16
  assert.equal(w.min, 0)
  assert.ok(w.max >= s.windowMax)
  assert.ok(Math.abs(w.scale - (w.max - w.min) / 65535) < 1e-15)
  for (const [rel, data] of [
    ['png16/reference.png', s.reference!.data],
    ['png16/dps.png', s.outcomes[2].image.data]
  ] as const) {
    const png = readPng(rel)
    assert.equal(png.width, W)
    assert.equal(png.height, H)
    // pngjs keeps 16-bit samples in a Uint16Array-backed buffer when skipRescale is set.
    const samples = new Uint16Array(png.data.buffer, png.data.byteOffset, png.data.byteLength / 2)
    for (let i = 0; i < W * H; i++) {
      const v = w.min + samples[4 * i] * w.scale
      assert.ok(Math.abs(v - data[i]) <= w.scale / 2 + 1e-9, `${rel} pixel ${i}: ${v} vs ${data[i]}`)
    }
  }
})

test('npy files round-trip the float32 values exactly', async () => {
  await result
  for (const [rel, data] of [
    ['npy/reference.npy', s.reference!.data],
    ['npy/zero-filled.npy', s.outcomes[0].image.data],
    ['npy/fista-tv.npy', s.outcomes[1].image.data],
    ['npy/dps.npy', s.outcomes[2].image.data],
    ['npy/dps-std.npy', s.outcomes[2].std!.data]
  ] as const) {
    const arr = parseNpy(fs.readFileSync(path.join(out, rel)), rel)
    assert.equal(arr.descr, '<f4', rel)
    assert.deepEqual(arr.shape, [H, W], rel)
    assert.ok(!arr.complex)
    assert.deepEqual(Array.from(arr.data as Float32Array), Array.from(data), rel)
  }
})

test('NIfTI files hold the image as one float32 slice', async () => {
  await result
  const vol = readNiftiFile(path.join(out, 'nifti/fista-tv.nii.gz'))
  assert.deepEqual(vol.dims.slice(0, 3), [W, H, 1])
  const slice = axialSlice(vol, 0)
  assert.equal(slice.width, W)
  assert.equal(slice.height, H)
  assert.deepEqual(Array.from(slice.data), Array.from(s.outcomes[1].image.data))
})

test('mask.png is white where the mask is 1 (sampled k-space for MRI)', async () => {
  await result
  const png = readPng('mask.png')
  assert.equal(png.width, W)
  assert.equal(png.height, H)
  assert.deepEqual(
    gray(png),
    Array.from(s.mask.data, (v) => (v ? 255 : 0))
  )
  const json = await report()
  assert.deepEqual((json.mask as Record<string, unknown>).white, 'white = sampled k-space')
})

test('an inpainting run states white = missing pixel; a deblurring run writes no mask and says why', async () => {
  const dir = tmpDir()
  const inpaint = await exportRun(makeRun({ task: 'inpaint' }), path.join(dir, 'inpaint'), ['mask', 'json'])
  assert.deepEqual(inpaint.files, ['mask.png', 'report.json'])
  const j1 = JSON.parse(fs.readFileSync(path.join(dir, 'inpaint', 'report.json'), 'utf8'))
  assert.equal(j1.mask.meaning, 'missing')
  assert.equal(j1.mask.white, 'white = missing pixel')
  assert.equal(j1.setup.effective_acceleration, null)

  // A task without a mask may carry an empty plane.
  const blurRun = makeRun({ task: 'blur' })
  blurRun.summary.mask = { width: 0, height: 0, data: new Float32Array(0) }
  const blur = await exportRun(blurRun, path.join(dir, 'blur'), ['mask', 'json', 'html'])
  assert.deepEqual(blur.files, ['report.html', 'report.json'])
  const j2 = JSON.parse(fs.readFileSync(path.join(dir, 'blur', 'report.json'), 'utf8'))
  assert.equal(j2.mask, null)
  assert.ok(j2.notes.some((n: string) => /mask\.png not written/.test(n)))
})

test('the mask meaning is the run\'s own (summary.maskMeaning); a summary without it falls back to the task', async () => {
  const dir = tmpDir()
  // The run's word wins over the task: a mask of missing pixels stays one whatever the task says.
  const stated = makeRun({ task: 'mri' })
  stated.summary.maskMeaning = 'missing'
  await exportRun(stated, path.join(dir, 'stated'), ['mask', 'json'])
  const j1 = JSON.parse(fs.readFileSync(path.join(dir, 'stated', 'report.json'), 'utf8'))
  assert.equal(j1.mask.white, 'white = missing pixel')
  assert.equal(j1.mask.effective_acceleration, null)

  const none = makeRun({ task: 'mri' })
  none.summary.maskMeaning = 'none'
  const r = await exportRun(none, path.join(dir, 'none'), ['mask', 'json'])
  assert.deepEqual(r.files, ['report.json'])

  // A summary from before the field existed: MRI means sampled k-space.
  const older = makeRun({ task: 'mri' })
  delete (older.summary as Partial<RunSummary>).maskMeaning
  await exportRun(older, path.join(dir, 'older'), ['mask', 'json'])
  const j3 = JSON.parse(fs.readFileSync(path.join(dir, 'older', 'report.json'), 'utf8'))
  assert.equal(j3.mask.white, 'white = sampled k-space')

  const bad = makeRun()
  bad.summary.maskMeaning = 'holes' as never
  await assert.rejects(exportRun(bad, path.join(dir, 'bad'), ['json']), /summary\.maskMeaning "holes" is not sampled, missing or none/)
})
