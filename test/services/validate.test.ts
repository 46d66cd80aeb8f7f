/**
 * Run requests through the IPC validator: absent diffusion steps/samples take each method's
 * defaults, given ones are kept, MC's data mode defaults to the schema's and a bad one is refused.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateRunRequest } from '../../src-main/services/validate.ts'
import { DIFFUSION_DEFAULTS, RECONSTRUCT_SPEC } from '../../src-main/schema/options.ts'

const setup = { scanId: 's1', series: 0, slice: 0, task: 'mri', pattern: 'poisson', acceleration: 4, seed: 0, noise: 0, blurSigma: 2, factor: 2, coils: 1, maps: 'espirit' }

test('absent diffusion steps and samples take the method defaults; MC data defaults to the schema', () => {
  const s = validateRunRequest({ setup, settings: { methods: ['dps', 'mc'] } }).settings
  assert.deepEqual({ steps: s.dps.steps, samples: s.dps.samples }, DIFFUSION_DEFAULTS.dps)
  assert.deepEqual({ steps: s.mc.steps, samples: s.mc.samples }, DIFFUSION_DEFAULTS.mc)
  assert.equal(s.mc.mcData, RECONSTRUCT_SPEC.find((o) => o.key === 'mcData')!.default)
  const own = validateRunRequest({ setup, settings: { methods: ['dps', 'mc'], dps: { steps: 7, samples: 3 }, mc: { mcData: 'noised' } } }).settings
  assert.deepEqual([own.dps.steps, own.dps.samples, own.mc.mcData], [7, 3, 'noised'])
  assert.throws(() => validateRunRequest({ setup, settings: { mc: { mcData: 'fresh' } } }), /settings\.mc\.mcData must be one of clean, noised/)
})
