/**
 * The workbench's pure logic (src-renderer/src/lib): quantisation for cornerstone, how run
 * events fold into the run view, and how the forms become API requests.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { MethodOutcome, ModelInfo, RunEvent, SeriesSummary } from '../../src-main/api/contract.ts'
import { DIFFUSION_DEFAULTS, RECONSTRUCT_SPEC } from '../../src-main/schema/options.ts'
import { quantise, realValue, STORED_MAX } from '../../src-renderer/src/lib/quantise.ts'
import { RunTracker, type RunView } from '../../src-renderer/src/lib/run-tracker.ts'
import {
  buildMethodSettings,
  buildSetup,
  defaultMethodForm,
  defaultModel,
  defaultSetupForm,
  effectiveTask,
  validateMethods,
  validateSetup
} from '../../src-renderer/src/lib/setup.ts'
import { PATTERN_LABELS, PATTERN_NAMES } from '../../src-renderer/src/lib/options.ts'

test('quantise maps the float range onto 0…65535 and back within half a step', () => {
  const data = Float32Array.from([-2, 0, 1.5, 3])
  const q = quantise(data)
  assert.equal(q.pixels[0], 0)
  assert.equal(q.pixels[3], STORED_MAX)
  assert.equal(q.min, -2)
  assert.equal(q.max, 3)
  for (let i = 0; i < data.length; i++) assert.ok(Math.abs(realValue(q, q.pixels[i]) - data[i]) <= q.slope / 2 + 1e-12)
})

test('quantise survives constant images and non-finite values', () => {
  const c = quantise(Float32Array.from([5, 5, 5]))
  assert.ok(c.slope > 0)
  assert.deepEqual([...c.pixels], [0, 0, 0])
  assert.equal(realValue(c, 0), 5)
  const n = quantise(Float32Array.from([NaN, 1, Infinity, 3, -Infinity]))
  assert.equal(n.min, 1)
  assert.equal(n.max, 3)
  assert.deepEqual([...n.pixels], [0, 0, STORED_MAX, STORED_MAX, 0])
})

const plane = { width: 1, height: 1, data: new Float32Array(1) }
const outcome = (name: MethodOutcome['name']): MethodOutcome => ({
  name,
  label: name,
  image: plane,
  psnr: 30,
  ssim: 0.9,
  nmse: 0.01,
  dcResidual: 0.1,
  seconds: 1,
  params: {}
})

test('run events that arrive before startRun resolves are replayed for that run only', () => {
  let view: RunView | null = null
  const t = new RunTracker((v) => (view = v))
  t.begin(['zero-filled', 'fista-tv'])
  t.handle({ type: 'progress', runId: 'r1', method: 'fista-tv', step: 3, total: 60, elapsed: 0.5, eta: 9.5 })
  t.handle({ type: 'progress', runId: 'other', method: 'fista-tv', step: 50, total: 60, elapsed: 5 })
  t.handle({ type: 'method-done', runId: 'r1', outcome: outcome('zero-filled') })
  assert.equal(view!.runId, null)
  t.assign('r1')
  assert.equal(view!.state, 'running')
  assert.equal(view!.progress['fista-tv'].step, 3)
  assert.equal(view!.progress['fista-tv'].eta, 9.5)
  assert.equal(view!.progress['zero-filled'].state, 'done')
  assert.deepEqual(view!.outcomes.map((o) => o.name), ['zero-filled'])
})

test('failures, completion and cancellation leave no bar looking busy', () => {
  let view: RunView | null = null
  const t = new RunTracker((v) => (view = v))
  t.begin(['zero-filled', 'fista-tv', 'dps'])
  t.assign('r2')
  const events: RunEvent[] = [
    { type: 'method-done', runId: 'r2', outcome: outcome('zero-filled') },
    { type: 'progress', runId: 'r2', method: 'fista-tv', step: 10, total: 60, elapsed: 1 },
    { type: 'preview', runId: 'r2', method: 'fista-tv', step: 10, image: plane },
    { type: 'method-failed', runId: 'r2', method: 'dps', message: 'no prior' },
    { type: 'run-finished', runId: 'r2', state: 'cancelled' }
  ]
  for (const e of events) t.handle(e)
  assert.equal(view!.state, 'cancelled')
  assert.equal(view!.progress['fista-tv'].state, 'cancelled')
  assert.ok(view!.progress['fista-tv'].preview)
  assert.equal(view!.progress.dps.state, 'failed')
  assert.deepEqual(view!.failures, [{ name: 'dps', message: 'no prior' }])
  // Late progress after the end changes nothing.
  const before = view
  t.handle({ type: 'progress', runId: 'r2', method: 'fista-tv', step: 11, total: 60, elapsed: 1.1 })
  assert.equal(view, before)
})

test('a rejected startRun marks the run failed with the message', () => {
  let view: RunView | null = null
  const t = new RunTracker((v) => (view = v))
  t.begin(['zero-filled'])
  t.fail('no scan')
  assert.equal(view!.state, 'failed')
  assert.equal(view!.message, 'no scan')
})

const imageSeries: SeriesSummary = { index: 0, description: 'x', domain: 'image', width: 8, height: 8, frames: 1, coils: 1, complex: false, undersampled: false }
const kspaceSeries: SeriesSummary = { ...imageSeries, index: 1, domain: 'kspace', coils: 4, complex: true, undersampled: true }

test('form defaults are the CLI schema defaults', () => {
  const spec = new Map(RECONSTRUCT_SPEC.map((s) => [s.key, s.default]))
  const f = defaultSetupForm()
  assert.equal(f.pattern, spec.get('pattern'))
  assert.equal(f.acceleration, spec.get('acceleration'))
  assert.equal(f.seed, spec.get('seed'))
  assert.equal(f.noise, spec.get('noise'))
  assert.equal(f.blurSigma, spec.get('blurSigma'))
  assert.equal(f.factor, spec.get('factor'))
  const m = defaultMethodForm()
  assert.equal(m.lambda, spec.get('lambda'))
  assert.equal(m.iterations, spec.get('iterations'))
  // Steps and samples: each diffusion method's own defaults, which the CLI uses too.
  assert.equal(spec.get('steps'), undefined)
  assert.equal(m.dpsSteps, DIFFUSION_DEFAULTS.dps.steps)
  assert.equal(m.mcSteps, DIFFUSION_DEFAULTS.mc.steps)
  assert.equal(m.dpsSamples, DIFFUSION_DEFAULTS.dps.samples)
  assert.equal(m.mcSamples, DIFFUSION_DEFAULTS.mc.samples)
  assert.equal(m.lambdaMc, spec.get('lambdaMc'))
  assert.equal(m.mcData, spec.get('mcData'))
  assert.deepEqual(m.methods, ['fista-tv'])
  assert.deepEqual(defaultMethodForm({ defaultMethods: ['mc', 'fista-tv'] }).methods, ['fista-tv', 'mc'])
})

test('every pattern has its label, in the order of PATTERN_NAMES', () => {
  assert.deepEqual(
    PATTERN_NAMES.map((p) => PATTERN_LABELS[p]),
    ['Cartesian random', 'Cartesian equispaced', 'Poisson disc', 'Radial', 'Spiral', 'Golden-angle radial']
  )
})

test('raw k-space forces MRI; coils are simulated only from images; the painted mask only for inpainting', () => {
  const f = { ...defaultSetupForm(), task: 'inpaint' as const, coils: 4, centerFraction: 0.08 }
  assert.equal(effectiveTask(f, kspaceSeries), 'mri')
  const k = buildSetup(f, { scanId: 's', series: kspaceSeries, slice: 2 }, Uint8Array.from([1]))
  assert.equal(k.task, 'mri')
  assert.equal(k.coils, 1)
  assert.equal(k.paintedMask, undefined)
  assert.equal(k.series, 1)
  assert.equal(k.centerFraction, 0.08)

  const mask = new Uint8Array(64)
  const empty = buildSetup(f, { scanId: 's', series: imageSeries, slice: 0 }, mask)
  assert.equal(empty.paintedMask, undefined, 'an empty mask is not sent')
  mask[3] = 1
  const painted = buildSetup(f, { scanId: 's', series: imageSeries, slice: 0 }, mask)
  assert.equal(painted.paintedMask, mask)
  const mri = buildSetup({ ...f, task: 'mri', centerFraction: null }, { scanId: 's', series: imageSeries, slice: 0 }, mask)
  assert.equal(mri.coils, 4)
  assert.equal(mri.paintedMask, undefined)
  assert.equal('centerFraction' in mri, false, 'empty centre fraction = the pattern default')
})

test('validation uses the schema bounds and ignores fields the task does not use', () => {
  const f = { ...defaultSetupForm(), acceleration: 0.5, blurSigma: -1 }
  assert.match(validateSetup(f, imageSeries).acceleration!, /at least 1/)
  assert.equal(validateSetup(f, imageSeries).blurSigma, undefined)
  assert.match(validateSetup({ ...f, task: 'blur' }, imageSeries).blurSigma!, /at least 0.1/)
  assert.equal(validateSetup(f, kspaceSeries).acceleration, undefined, 'undersampled k-space has its own mask')
  const m = { ...defaultMethodForm(), iterations: 2.5 }
  assert.match(validateMethods(m).iterations!, /whole number/)
  assert.deepEqual(validateMethods({ ...m, methods: [] }), {})
  // Each diffusion method's own steps and samples, checked only when the method is chosen.
  const d = { ...defaultMethodForm(), dpsSteps: 0, mcSamples: 1.5, methods: ['dps' as const] }
  assert.deepEqual(validateMethods(d), { dpsSteps: 'DPS steps must be at least 1' })
  assert.deepEqual(validateMethods({ ...d, methods: ['mc'] }), { mcSamples: 'MC samples must be a whole number' })
})

test('method settings carry only what is set; the default prior follows the task domain', () => {
  const s = buildMethodSettings({ ...defaultMethodForm(), methods: ['mc', 'fista-tv'], zeta: null, model: null })
  assert.deepEqual(s.methods, ['fista-tv', 'mc'])
  assert.equal('zeta' in s.dps, false)
  assert.equal('model' in s, false)
  const own = buildMethodSettings({ ...defaultMethodForm(), dpsSteps: 50, dpsSamples: 2, zeta: 3, mcSteps: 200, mcSamples: 4, lambdaMc: 0.5, mcData: 'noised' })
  assert.deepEqual(own.dps, { steps: 50, samples: 2, zeta: 3 })
  assert.deepEqual(own.mc, { steps: 200, samples: 4, lambdaMc: 0.5, mcData: 'noised' })
  const models: ModelInfo[] = [
    { id: 'tiny', domain: 'test', description: '', parameters: 1, sha256: { denoiser: '' }, usable: true },
    { id: 'brain', domain: 'mri-brain', description: '', parameters: 1, sha256: { denoiser: '' }, usable: true },
    { id: 'gray', domain: 'natural-gray', description: '', parameters: 1, sha256: { denoiser: '' }, usable: false }
  ]
  assert.equal(defaultModel(models, 'mri'), 'brain')
  assert.equal(defaultModel(models, 'inpaint'), 'tiny', 'natural-gray is not usable: first usable')
  assert.equal(defaultModel([], 'blur'), null)
})
