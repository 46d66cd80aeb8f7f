/**
 * Problem recipes through the JobService: a multi-coil SENSE problem (maps estimated once, in
 * the calling thread) and a measured single-coil acquisition run in a worker give the image the
 * same method gives in-process, bit for bit; every recipe survives structured clone.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { JobService } from '../../src-main/jobs/service.ts'
import { METHODS, type MethodParams } from '../../src-main/methods/index.ts'
import { buildMulticoilProblem } from '../../src-main/pipeline/multicoil.ts'
import { buildFromRecipe, multicoilRecipe, type ProblemRecipe } from '../../src-main/pipeline/recipe.ts'
import { generatePattern } from '../../src-main/engine/patterns/index.ts'
import { fft2c } from '../../src-main/engine/fft.ts'
import type { CArray } from '../../src-main/engine/complex.ts'
import { coilPhantom } from '../helpers/coil-phantom.ts'
import { phantom } from '../helpers/cli.ts'

const service = new JobService({ workers: 1 })
after(() => service.dispose())

const params: MethodParams = { lambda: 0.003, iterations: 25, innerIterations: 5, tolerance: 0 }

function sameBits(a: CArray, b: CArray): boolean {
  if (a.re.length !== b.re.length) return false
  for (let i = 0; i < a.re.length; i++) if (!Object.is(a.re[i], b.re[i]) || !Object.is(a.im[i], b.im[i])) return false
  return true
}

test('a 4-coil SENSE recipe (ESPIRiT maps estimated once) gives the in-process FISTA-TV image in a worker', async () => {
  const H = 48
  const W = 40
  const ph = coilPhantom(H, W, 4)
  const rssRef = new Float64Array(H * W)
  for (let i = 0; i < H * W; i++) rssRef[i] = Math.hypot(ph.object.re[i], ph.object.im[i])
  const problem = buildMulticoilProblem({
    kspace: ph.kspace, coils: 4, height: H, width: W, reference: rssRef,
    pattern: 'poisson', acceleration: 3, centerFraction: 0.3, seed: 2, noise: 0.01, maps: 'espirit'
  })
  const recipe = multicoilRecipe(problem)
  assert.equal(recipe.coils, 4)
  // Plain data: survives structured clone, and the clone rebuilds an equivalent problem.
  const clone = structuredClone(recipe)
  const rebuilt = buildFromRecipe(clone)
  assert.equal(rebuilt.description, problem.description)
  assert.equal(rebuilt.operator.normBound, problem.operator.normBound)

  let steps = 0
  const r = await service.run('fista-tv', recipe, params, { onProgress: () => steps++ }).result
  const local = await METHODS['fista-tv'].run(problem, params)
  assert.ok(sameBits(r.image, local.image), 'worker and in-process multi-coil results differ')
  assert.deepEqual(r.params, local.params)
  assert.ok(steps >= 1, 'no progress from the multi-coil job')
  // Zero-filled of a SENSE problem is the RSS of the zero-filled coil images, in the worker too.
  const zf = await service.run('zero-filled', recipe, params).result
  assert.ok(sameBits(zf.image, (await METHODS['zero-filled'].run(problem, params)).image))
})

test('buildRecipe estimates SENSE maps in a worker: the same recipe as in-process', async () => {
  const H = 40
  const W = 40
  const ph = coilPhantom(H, W, 4)
  const spec = { kspace: ph.kspace, coils: 4, height: H, width: W, pattern: 'poisson' as const, acceleration: 3, centerFraction: 0.3, seed: 5, noise: 0, maps: 'espirit' as const }
  const remote = await service.buildRecipe({ kind: 'multicoil', task: 'mri', height: H, width: W, spec }).result
  const local = multicoilRecipe(buildMulticoilProblem(spec))
  assert.equal(remote.kind, 'multicoil')
  if (remote.kind !== 'multicoil') return
  assert.ok(sameBits(remote.maps, local.maps), 'maps differ')
  assert.ok(sameBits(remote.measurement, local.measurement), 'measurements differ')
  assert.equal(remote.description, local.description)
  await assert.rejects(
    service.buildRecipe({ kind: 'multicoil', task: 'mri', height: H, width: W, spec: { ...spec, acceleration: 8, centerFraction: 0.01 } }).result,
    /calibration region/
  )
})

test('a measured single-coil recipe (own mask, no reference) runs in a worker', async () => {
  const H = 40
  const W = 32
  const k = { re: phantom(H, W), im: new Float64Array(H * W) }
  fft2c(k, [H, W])
  const mask = generatePattern({ pattern: 'random', height: H, width: W, acceleration: 3, seed: 4 }).mask
  for (let i = 0; i < H * W; i++) if (!mask[i]) k.re[i] = k.im[i] = 0
  const recipe: ProblemRecipe = { kind: 'measured', kspace: k, mask, height: H, width: W }
  const problem = buildFromRecipe(recipe)
  assert.equal(problem.reference, undefined)
  const r = await service.run('fista-tv', recipe, params).result
  const local = await METHODS['fista-tv'].run(problem, params)
  assert.ok(sameBits(r.image, local.image), 'worker and in-process measured results differ')
})

test('an unknown recipe kind fails the job with a clear message, and the worker stays usable', async () => {
  const bad = { kind: 'nonsense' } as unknown as ProblemRecipe
  await assert.rejects(service.run('zero-filled', bad, params).result, /unknown problem recipe kind 'nonsense'/)
  const H = 16
  const W = 16
  const ok = await service.run('zero-filled', { kind: 'simulated', reference: { height: H, width: W, re: phantom(H, W), im: new Float64Array(H * W) }, spec: { task: 'blur', seed: 0, noise: 0 } }, params).result
  assert.equal(ok.image.re.length, H * W)
})
