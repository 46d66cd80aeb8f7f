/**
 * Multi-coil through the command line: real undersampled 8-coil k-space reconstructed with
 * SENSE and estimated maps, and coils simulated from an image (true and estimated maps).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { DATA, assertCliError, assertOk, readReport, runCli, tempDir, writeNpy, phantom, readNpy } from '../helpers/cli.ts'

const BART = path.join(DATA, 'kspace', 'bart-workshop-brain-8coil', 'ksp.cfl')
const skip = fs.existsSync(BART) ? false : `shared data not found at ${DATA}`

type MReport = { measured: boolean; coils: number; maps: string | null; reference: unknown; description: string; methods: { name: string; psnr: number | null; dc_residual: number }[] }

test('real undersampled 8-coil k-space: SENSE with ESPIRiT maps, no reference, close to the data', { skip }, async () => {
  const out = path.join(tempDir(), 'r')
  assertOk(await runCli(['reconstruct', BART, '--iterations', '15', '--out', out]))
  const r = readReport(out) as unknown as MReport
  assert.equal(r.measured, true)
  assert.equal(r.coils, 8)
  assert.equal(r.maps, 'espirit')
  assert.equal(r.reference, null)
  assert.match(r.description, /ESPIRiT maps \(calibration 20×20/)
  const tv = r.methods.find((m) => m.name === 'fista-tv')!
  assert.ok(tv.dc_residual < 0.1, `data-consistency residual ${tv.dc_residual}`)
  // The image is a brain: bright in the middle, dark in the corners.
  const img = readNpy(path.join(out, 'fista-tv.npy'))
  assert.deepEqual(img.shape, [230, 180])
  const d = img.data as Float32Array
  const centre = d[115 * 180 + 90]
  const corner = d[3 * 180 + 3]
  assert.ok(centre > 5 * corner, `centre ${centre} vs corner ${corner}`)

  // Four virtual coils (SVD compression, ≈98 % of the energy): nearly the same image, in less time.
  const out4 = path.join(tempDir(), 'r4')
  assertOk(await runCli(['reconstruct', BART, '--iterations', '15', '--virtual-coils', '4', '--out', out4]))
  const r4 = readReport(out4) as unknown as MReport
  assert.match(r4.description, /compressed to 4 virtual coils \(9\d\.\d % energy\)/)
  const d4 = readNpy(path.join(out4, 'fista-tv.npy')).data as Float32Array
  let num = 0
  let den = 0
  for (let i = 0; i < d.length; i++) {
    num += (d4[i] - d[i]) ** 2
    den += d[i] ** 2
  }
  assert.ok(num / den < 0.01, `NMSE between 4 virtual and 8 physical coils: ${num / den}`)
})

const COLIN = path.join(DATA, 'mri-volumes', 'colin27', 'ch2.nii.gz')

test('coils simulated from a brain slice: true maps and ESPIRiT both beat single-coil at 8×', { skip: fs.existsSync(COLIN) ? false : `Colin27 not found at ${COLIN}` }, async () => {
  const dir = tempDir()
  const run = async (extra: string[], name: string): Promise<MReport> => {
    const out = path.join(dir, name)
    assertOk(await runCli(['reconstruct', COLIN, '--slice', '90', '--acceleration', '8', '--iterations', '40', '--out', out, ...extra]))
    return readReport(out) as unknown as MReport
  }
  const single = await run([], 'single')
  const trueMaps = await run(['--coils', '8', '--maps', 'true'], 'true')
  const espirit = await run(['--coils', '8'], 'espirit')
  const psnr = (r: MReport): number => r.methods.find((m) => m.name === 'fista-tv')!.psnr!
  assert.equal(trueMaps.coils, 8)
  assert.ok(psnr(trueMaps) > psnr(single) + 3, `8 coils (true maps) ${psnr(trueMaps)} vs 1 coil ${psnr(single)}`)
  assert.ok(psnr(espirit) > psnr(single) + 3, `8 coils (ESPIRiT) ${psnr(espirit)} vs 1 coil ${psnr(single)}`)
})

test('multi-coil option errors are clear', async () => {
  const dir = tempDir()
  const H = 96, W = 80
  const input = writeNpy(path.join(dir, 'x.npy'), phantom(H, W), [H, W], 'f4')
  assertCliError(await runCli(['reconstruct', input, '--maps', 'true', '--out', path.join(dir, 'x1')]), 2, /--maps true is only meaningful for simulated coils/)
  assertCliError(await runCli(['reconstruct', input, '--coils', '4', '--task', 'blur', '--out', path.join(dir, 'x2')]), 2, /--coils applies to MRI only/)
  // A tiny calibration square (the 8×8 minimum) is too small for ESPIRiT's 6×6 kernel.
  assertCliError(await runCli(['reconstruct', input, '--coils', '8', '--acceleration', '8', '--center-fraction', '0.01', '--out', path.join(dir, 'x3')]), 1, /calibration region is \d+×\d+, smaller than the 6×6 kernel/)
})
