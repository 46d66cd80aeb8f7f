/**
 * Measurement noise (--noise, seeded) and complex-valued .npy inputs through `reconstruct`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as path from 'node:path'
import {
  assertOk,
  method,
  phantom,
  psnrFastMri,
  psnrOf,
  readReport,
  readResult,
  runCli,
  sameBytes,
  tempDir,
  writeNpy
} from '../helpers/cli.ts'

const H = 96
const W = 80

async function reconstruct(input: string, out: string, ...args: string[]): Promise<void> {
  assertOk(await runCli(['reconstruct', input, '--iterations', '30', '--out', out, ...args]), `reconstruct ${args.join(' ')}`)
}

test('--noise 0.02 lowers PSNR and is reproducible by seed', async () => {
  const dir = tempDir()
  const input = writeNpy(path.join(dir, 'phantom.npy'), phantom(H, W), [H, W], 'f4')
  // A fixed k-space mask, so that the seed changes only the noise.
  const mask = path.join(dir, 'k.npy')
  assertOk(await runCli(['pattern', '--pattern', 'poisson', '--shape', `${H}x${W}`, '--out', mask]))

  const clean = path.join(dir, 'clean')
  const noisyA = path.join(dir, 'noisy-a')
  const noisyB = path.join(dir, 'noisy-b')
  const noisyC = path.join(dir, 'noisy-c')
  await reconstruct(input, clean, '--kspace-mask', mask)
  await reconstruct(input, noisyA, '--kspace-mask', mask, '--noise', '0.02', '--seed', '5')
  await reconstruct(input, noisyB, '--kspace-mask', mask, '--noise', '0.02', '--seed', '5')
  await reconstruct(input, noisyC, '--kspace-mask', mask, '--noise', '0.02', '--seed', '6')

  const c = readReport(clean)
  const a = readReport(noisyA)
  assert.equal(c.noise, 0)
  assert.equal(a.noise, 0.02)
  assert.match(a.description, /noise/)
  // σ is per k-space sample (orthonormal FFT), so in the image it is spread thin: the aliasing
  // of the zero-filled image dominates and barely moves, while FISTA-TV, far more accurate,
  // loses clearly.
  assert.ok(psnrOf(a, 'zero-filled') < psnrOf(c, 'zero-filled'), 'zero-filled: noise did not lower PSNR')
  assert.ok(psnrOf(a, 'fista-tv') < psnrOf(c, 'fista-tv') - 2, `fista-tv: noisy ${psnrOf(a, 'fista-tv').toFixed(2)} dB vs clean ${psnrOf(c, 'fista-tv').toFixed(2)} dB`)
  for (const name of ['zero-filled', 'fista-tv']) {
    assert.ok(sameBytes(path.join(noisyA, `${name}.npy`), path.join(noisyB, `${name}.npy`)), `${name}: same seed, different result`)
    assert.ok(!sameBytes(path.join(noisyA, `${name}.npy`), path.join(noisyC, `${name}.npy`)), `${name}: seeds 5 and 6 gave the same noise`)
  }
  // The reference is never noisy.
  assert.ok(sameBytes(path.join(clean, 'reference.npy'), path.join(noisyA, 'reference.npy')))
})

test('large seeds still give distinct noise (no collisions from rounding the seed mix)', async () => {
  // 2147483647 and 2144879575 once mapped onto the same noise stream: seed × 2654435761 is above
  // 2^53 for large seeds, so the low bits that pick the stream were rounded away.
  const dir = tempDir()
  const input = writeNpy(path.join(dir, 'phantom.npy'), phantom(H, W), [H, W], 'f4')
  const outs: string[] = []
  for (const seed of ['2147483647', '2144879575']) {
    const out = path.join(dir, `seed-${seed}`)
    assertOk(await runCli(['reconstruct', input, '--task', 'blur', '--methods', 'zero-filled', '--noise', '0.05', '--seed', seed, '--out', out]))
    outs.push(out)
  }
  assert.ok(!sameBytes(path.join(outs[0], 'zero-filled.npy'), path.join(outs[1], 'zero-filled.npy')), 'two different seeds gave identical noise')
})

test('complex c8 input with a smooth phase: results are magnitudes and reconstruct well', async () => {
  const dir = tempDir()
  const mag = phantom(H, W)
  const re = new Float32Array(H * W)
  const im = new Float32Array(H * W)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const phase = 1.2 * ((x - W / 2) / W) + 0.8 * ((y - H / 2) / H) ** 2 + 0.4
      re[y * W + x] = mag[y * W + x] * Math.cos(phase)
      im[y * W + x] = mag[y * W + x] * Math.sin(phase)
    }
  }
  const input = writeNpy(path.join(dir, 'complex.npy'), { re, im }, [H, W], 'c8')
  const trueMag = Float64Array.from(re, (v, i) => Math.hypot(v, im[i]))

  // Fully sampled: zero-filled is the exact inverse, so it must return |x|, not Re x.
  const full = path.join(dir, 'full')
  await reconstruct(input, full, '--pattern', 'equispaced', '--acceleration', '1', '--methods', 'zero-filled')
  const fullReport = readReport(full)
  assert.match(fullReport.input_description, /c8/)
  assert.equal(fullReport.effective_acceleration, 1)
  const ref = readResult(path.join(full, 'reference.npy'), H, W)
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ref[i] - trueMag[i]) < 1e-6, `reference.npy is not |x| at ${i}`)
  let phaseEffect = 0
  for (let i = 0; i < ref.length; i++) phaseEffect = Math.max(phaseEffect, Math.abs(ref[i] - Math.abs(re[i])))
  assert.ok(phaseEffect > 0.1, 'test set-up: the phase must make Re x differ from |x|')
  const exact = readResult(path.join(full, 'zero-filled.npy'), H, W)
  const p = method(fullReport, 'zero-filled').psnr
  assert.ok(p === null || p > 100, `fully sampled zero-filled PSNR ${p}`)
  assert.ok(psnrFastMri(ref, exact) > 100, 'fully sampled zero-filled image is not |x|')

  const under = path.join(dir, 'under')
  await reconstruct(input, under, '--pattern', 'poisson', '--acceleration', '4')
  const report = readReport(under)
  const tv = readResult(path.join(under, 'fista-tv.npy'), H, W)
  for (const v of tv) assert.ok(v >= 0, 'a magnitude image cannot be negative')
  assert.ok(Math.abs(psnrFastMri(ref, tv) - psnrOf(report, 'fista-tv')) < 1e-3, 'report PSNR is not the PSNR of the saved magnitudes')
  assert.ok(psnrOf(report, 'fista-tv') > psnrOf(report, 'zero-filled') + 3, `complex: FISTA-TV ${psnrOf(report, 'fista-tv')} vs zero-filled ${psnrOf(report, 'zero-filled')}`)
})
