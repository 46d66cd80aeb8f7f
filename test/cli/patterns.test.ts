/**
 * Sampling patterns through the command line: every --pattern name, --seed reproducibility,
 * masks written by `recon-studio pattern` fed back with --kspace-mask, and the pattern command
 * itself through the real binary.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { PATTERN_NAMES } from '../../src-main/engine/patterns/index.ts'
import {
  assertOk,
  countWhite,
  method,
  phantom,
  psnrOf,
  readNpy,
  readPng,
  readReport,
  readResult,
  runCli,
  sameBytes,
  spawnCli,
  tempDir,
  writeNpy
} from '../helpers/cli.ts'

const H = 96
const W = 80

function setup(): { dir: string; input: string } {
  const dir = tempDir()
  return { dir, input: writeNpy(path.join(dir, 'phantom.npy'), phantom(H, W), [H, W], 'f4') }
}

async function reconstruct(input: string, out: string, ...args: string[]): Promise<void> {
  assertOk(await runCli(['reconstruct', input, '--iterations', '30', '--out', out, ...args]), `reconstruct ${args.join(' ')}`)
}

test('every pattern name works through reconstruct', async () => {
  assert.deepEqual([...PATTERN_NAMES].sort(), ['equispaced', 'golden-radial', 'poisson', 'radial', 'random', 'spiral'])
  const { dir, input } = setup()
  for (const name of PATTERN_NAMES) {
    const out = path.join(dir, name)
    await reconstruct(input, out, '--pattern', name, '--acceleration', '4')
    const report = readReport(out)
    assert.equal(report.task, 'mri', name)
    assert.equal(report.pattern, name)
    assert.equal(report.acceleration, 4, name)
    const mask = readPng(path.join(out, 'mask.png'))
    assert.deepEqual([mask.height, mask.width], [H, W], `${name}: mask.png size`)
    const eff = report.effective_acceleration as number
    assert.ok(Math.abs((H * W) / countWhite(mask) - eff) < 1e-9, `${name}: mask.png does not give effective_acceleration ${eff}`)
    assert.ok(eff > 2.5 && eff < 6, `${name}: effective acceleration ${eff} is far from the requested 4`)
    assert.ok(report.description.includes(eff.toFixed(2)), `${name}: description '${report.description}'`)
    readResult(path.join(out, 'fista-tv.npy'), H, W)
    assert.ok(psnrOf(report, 'fista-tv') > psnrOf(report, 'zero-filled'), `${name}: FISTA-TV does not beat zero-filled`)
  }
})

test('--seed reproduces a run exactly; another seed gives another random/poisson mask', async () => {
  const { dir, input } = setup()
  for (const name of ['random', 'poisson']) {
    const a = path.join(dir, `${name}-a`)
    const b = path.join(dir, `${name}-b`)
    const c = path.join(dir, `${name}-c`)
    await reconstruct(input, a, '--pattern', name, '--seed', '11')
    await reconstruct(input, b, '--pattern', name, '--seed', '11')
    await reconstruct(input, c, '--pattern', name, '--seed', '12')
    assert.ok(sameBytes(path.join(a, 'mask.png'), path.join(b, 'mask.png')), `${name}: same seed, different mask.png`)
    assert.ok(sameBytes(path.join(a, 'fista-tv.npy'), path.join(b, 'fista-tv.npy')), `${name}: same seed, different fista-tv.npy`)
    assert.equal(readReport(a).seed, 11)
    assert.equal(readReport(c).seed, 12)
    assert.ok(!sameBytes(path.join(a, 'mask.png'), path.join(c, 'mask.png')), `${name}: seeds 11 and 12 gave the same mask`)
  }
})

test('--kspace-mask from `pattern` (.png and .npy) reproduces the equivalent --pattern run', async () => {
  const { dir, input } = setup()
  const common = ['--pattern', 'poisson', '--acceleration', '5', '--seed', '3']
  const png = path.join(dir, 'm.png')
  const npy = path.join(dir, 'm.npy')
  for (const file of [png, npy]) {
    const r = await runCli(['pattern', ...common, '--shape', `${H}x${W}`, '--out', file])
    assertOk(r, `pattern --out ${file}`)
    assert.match(r.stdout, /Poisson disc, [\d.]+× effective/)
  }
  const arr = readNpy(npy)
  assert.equal(arr.dtype, 'u1')
  assert.deepEqual(arr.shape, [H, W])

  const byPattern = path.join(dir, 'by-pattern')
  await reconstruct(input, byPattern, ...common)
  const want = readReport(byPattern)
  // The pattern command wrote the very mask the reconstruction used, in both formats.
  assert.ok(sameBytes(png, path.join(byPattern, 'mask.png')), 'pattern m.png differs from reconstruct mask.png')
  const saved = readPng(png)
  for (let i = 0; i < H * W; i++) assert.equal(arr.data[i], saved.gray[i] > 127 ? 1 : 0, `m.npy and m.png differ at ${i}`)

  for (const file of [png, npy]) {
    const out = path.join(dir, `by-${path.extname(file).slice(1)}`)
    await reconstruct(input, out, '--kspace-mask', file)
    const got = readReport(out)
    assert.equal(got.pattern, 'file')
    assert.equal(got.kspace_mask_file, file)
    assert.equal(got.acceleration, null)
    assert.equal(got.effective_acceleration, want.effective_acceleration)
    for (const name of ['zero-filled', 'fista-tv']) {
      assert.ok(sameBytes(path.join(out, `${name}.npy`), path.join(byPattern, `${name}.npy`)), `${file}: ${name}.npy differs from the --pattern run`)
      assert.equal(method(got, name).psnr, method(want, name).psnr)
    }
    assert.ok(sameBytes(path.join(out, 'mask.png'), path.join(byPattern, 'mask.png')), `${file}: mask.png differs`)
  }
})

test('binary: pattern --pattern radial --shape 128x96 --acceleration 6 --out m.png', async () => {
  const out = path.join(tempDir(), 'm.png')
  const r = spawnCli(['pattern', '--pattern', 'radial', '--shape', '128x96', '--acceleration', '6', '--out', out])
  assertOk(r, 'pattern')
  const m = /([\d.]+)× effective \(6× requested\)/.exec(r.stdout)
  assert.ok(m, `no effective acceleration printed: ${r.stdout}`)
  const printed = Number(m[1])
  const mask = readPng(out)
  assert.deepEqual([mask.height, mask.width], [128, 96], 'mask PNG must be 128 rows × 96 columns')
  assert.equal(mask.bitDepth, 8)
  for (const v of mask.gray) assert.ok(v === 0 || v === 255, `mask PNG is not binary: ${v}`)
  const actual = (128 * 96) / countWhite(mask)
  assert.ok(Math.abs(printed - actual) < 0.005 + 1e-9, `printed ${printed}× but the file holds ${actual.toFixed(4)}×`)
  assert.ok(actual > 6 * 0.85 && actual < 6 * 1.15, `radial mask at ${actual}×, requested 6×`)
  assert.ok(r.stdout.includes(out), 'the output file is named')
  // Radial patterns are deterministic: a second run with --overwrite writes the same bytes.
  const before = fs.readFileSync(out)
  assertOk(await runCli(['pattern', '--pattern', 'radial', '--shape', '128x96', '--acceleration', '6', '--out', out, '--overwrite']))
  assert.ok(Buffer.compare(before, fs.readFileSync(out)) === 0, 'a second radial mask differs')
})
