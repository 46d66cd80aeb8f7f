/**
 * `--methods dps,mc` through the command line with the ONNX test prior: outputs, the posterior
 * std file when several samples are drawn, report fields, and the error when no prior for the
 * task is installed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { assertCliError, assertOk, readNpy, readReport, runCli, tempDir, writeNpy, phantom } from '../helpers/cli.ts'
import { builtinModelsDir } from '../../src-main/models/registry.ts'
import { chooseModel } from '../../src-main/methods/diffusion.ts'
import { buildProblem } from '../../src-main/pipeline/problem.ts'

test('dps and mc run with --model test-tiny, save the mean, the std and the report', async () => {
  const dir = tempDir()
  const H = 40, W = 32
  const input = writeNpy(path.join(dir, 'x.npy'), phantom(H, W), [H, W], 'f4')
  const out = path.join(dir, 'r')
  assertOk(await runCli(['reconstruct', input, '--methods', 'zero-filled,dps,mc', '--model', 'test-tiny', '--steps', '8', '--samples', '2', '--out', out]))
  const report = readReport(out) as unknown as { methods: { name: string; psnr: number; dc_residual: number; files: { std?: string }; params: Record<string, unknown> }[] }
  for (const name of ['dps', 'mc']) {
    const m = report.methods.find((x) => x.name === name)!
    assert.ok(Number.isFinite(m.psnr), `${name} PSNR`)
    assert.equal(m.params.model, 'test-tiny')
    assert.equal(m.params.samples, 2)
    assert.equal(m.files.std, `${name}-std.npy`)
    const std = readNpy(path.join(out, `${name}-std.npy`))
    assert.deepEqual(std.shape, [H, W])
    assert.ok((std.data as Float32Array).some((v) => v > 0), `${name}: two samples differ somewhere`)
  }
  assert.equal(report.methods.find((x) => x.name === 'dps')!.params.gradient, 'vjp')
  // One sample: no std file.
  const out1 = path.join(dir, 'r1')
  assertOk(await runCli(['reconstruct', input, '--methods', 'mc', '--model', 'test-tiny', '--steps', '4', '--samples', '1', '--out', out1]))
  assert.ok(!fs.existsSync(path.join(out1, 'mc-std.npy')))
  // No --samples: each method's own default (MC averages 4 samples, DPS 2; both save their std).
  const out2 = path.join(dir, 'r2')
  assertOk(await runCli(['reconstruct', input, '--methods', 'dps,mc', '--model', 'test-tiny', '--steps', '3', '--out', out2]))
  const r2 = readReport(out2) as unknown as { methods: { name: string; params: Record<string, unknown> }[] }
  assert.equal(r2.methods.find((x) => x.name === 'mc')!.params.samples, 4)
  assert.equal(r2.methods.find((x) => x.name === 'dps')!.params.samples, 2)
  assert.ok(fs.existsSync(path.join(out2, 'mc-std.npy')) && fs.existsSync(path.join(out2, 'dps-std.npy')))
  // MC enforces the data as measured unless --mc-data noised asks for Song et al.'s noising.
  const mc2 = r2.methods.find((x) => x.name === 'mc')!.params
  assert.equal(mc2.noisedMeasurement, false)
  const out3 = path.join(dir, 'r3')
  assertOk(await runCli(['reconstruct', input, '--methods', 'mc', '--model', 'test-tiny', '--steps', '3', '--samples', '1', '--mc-data', 'noised', '--out', out3]))
  const r3 = readReport(out3) as unknown as { methods: { name: string; params: Record<string, unknown> }[] }
  assert.equal(r3.methods.find((x) => x.name === 'mc')!.params.noisedMeasurement, true)
})

test('dps without an installed prior for the task, or with an unknown model, is a clear error', async () => {
  const dir = tempDir()
  const input = writeNpy(path.join(dir, 'x.npy'), phantom(40, 32), [40, 32], 'f4')
  // With only test-tiny installed, the MRI task has no prior of its domain.
  const modelsDir = tempDir()
  fs.cpSync(path.join(builtinModelsDir(), 'test-tiny.json'), path.join(modelsDir, 'test-tiny.json'))
  const problem = buildProblem({ re: phantom(40, 32), im: new Float64Array(40 * 32), height: 40, width: 32 }, { task: 'mri', pattern: 'poisson', acceleration: 4, seed: 0, noise: 0 })
  assert.throws(() => chooseModel(problem, undefined, [modelsDir]), /no mri-brain diffusion prior is installed \(installed: test-tiny \(test\)\); .*--model/)
  assertCliError(await runCli(['reconstruct', input, '--methods', 'mc', '--model', 'no-such-model', '--out', path.join(dir, 'b')]), 1, /no-such-model/)
  assertCliError(await runCli(['reconstruct', input, '--methods', 'mc', '--lambda-mc', '2', '--out', path.join(dir, 'c')]), 2, /--lambda-mc must be ≤ 1/)
  assertCliError(await runCli(['reconstruct', input, '--methods', 'mc', '--mc-data', 'fresh', '--out', path.join(dir, 'd')]), 2, /--mc-data/)
})
