/**
 * DPS and measurement consistency on a SENSE problem with ESPIRiT maps, through the method
 * layer the app and CLI use (test-tiny prior, so quality is not the point): where ESPIRiT
 * zeroes the maps the operator is blind, and the image must be zero there (as in BART's pics),
 * not whatever the prior invents.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { METHODS, type MethodParams } from '../../src-main/methods/index.ts'
import { mapsSupport } from '../../src-main/methods/diffusion.ts'
import { buildMulticoilProblem } from '../../src-main/pipeline/multicoil.ts'
import { coilPhantom } from '../helpers/coil-phantom.ts'

const H = 48
const W = 40
const ph = coilPhantom(H, W, 4)
const rss = Float64Array.from(ph.object.re, (v, i) => Math.hypot(v, ph.object.im[i]))
const problem = buildMulticoilProblem({
  kspace: ph.kspace, coils: 4, height: H, width: W, reference: rss,
  pattern: 'poisson', acceleration: 3, centerFraction: 0.3, seed: 2, noise: 0, maps: 'espirit'
})

test('mapsSupport marks where the coil maps see anything, and checks its sizes', () => {
  const support = mapsSupport(problem.maps!, 4, H * W)
  const outside = support.reduce((a, v) => a + (v ? 0 : 1), 0)
  // ESPIRiT crops the background around the ellipses: a real part of the image, not all of it.
  assert.ok(outside > 0.05 * H * W && outside < 0.6 * H * W, `${outside} of ${H * W} pixels outside`)
  // Every pixel of the object is inside.
  for (let i = 0; i < H * W; i++) if (ph.support[i]) assert.equal(support[i], 1, `object pixel ${i} marked outside`)
  assert.throws(() => mapsSupport(problem.maps!, 3, H * W), /coil maps have 7680 values for 3 coils × 1920 pixels/)
})

for (const method of ['dps', 'mc'] as const) {
  test(`${method} on SENSE: zero outside the maps' support, consistent with the data inside`, async () => {
    const params: MethodParams = { lambda: 0, iterations: 1, innerIterations: 1, tolerance: 0, diffusion: { model: 'test-tiny', steps: 12, samples: 1, seed: 0 } }
    const r = await METHODS[method].run(problem, params)
    const support = mapsSupport(problem.maps!, 4, H * W)
    let inside = 0
    for (let i = 0; i < H * W; i++) {
      if (support[i]) inside += Math.hypot(r.image.re[i], r.image.im[i])
      else assert.ok(r.image.re[i] === 0 && r.image.im[i] === 0, `pixel ${i} outside the support is ${r.image.re[i]}, ${r.image.im[i]}`)
    }
    assert.ok(inside > 0, 'an image inside the support')
    assert.ok(Number(r.params.pixelsOutsideSupport) > 0)
    assert.ok(r.sampleResiduals![0] < 0.5, `data residual ${r.sampleResiduals![0]}`)
  })
}
