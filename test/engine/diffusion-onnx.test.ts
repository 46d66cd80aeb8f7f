/**
 * The same sampler code drives the ONNX prior: DPS (exact VJP graph) and measurement
 * consistency with the tiny test model on a small inpainting problem, through onnxruntime-node.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dps, measurementConsistency } from '../../src-main/engine/diffusion/index.ts'
import { OnnxDenoiser } from '../../src-main/models/onnx-denoiser.ts'
import { pixelMask } from '../../src-main/engine/linops/index.ts'
import { Rng } from '../../src-main/engine/rng.ts'

function disc(H: number, W: number): Float64Array {
  const x = new Float64Array(H * W)
  for (let y = 0; y < H; y++) for (let c = 0; c < W; c++) {
    const r = Math.hypot((y - H / 2) / (0.35 * H), (c - W / 2) / (0.3 * W))
    x[y * W + c] = r < 1 ? 0.8 : 0.1
  }
  return x
}

test('DPS and measurement consistency run on the ONNX test model and use the measurement', async () => {
  const H = 32, W = 32
  const truth = disc(H, W)
  const rng = new Rng(5)
  const known = Uint8Array.from({ length: H * W }, () => (rng.uniform() < 0.5 ? 1 : 0))
  const A = pixelMask([H, W], known)
  const y = A.forward({ re: truth, im: new Float64Array(H * W) })
  const denoiser = await OnnxDenoiser.open('test-tiny')
  try {
    assert.ok(denoiser.denoiseVjp, 'the test model ships an exact VJP graph')
    const err = (x: Float64Array): number => {
      let s = 0
      for (let i = 0; i < x.length; i++) s += (x[i] - truth[i]) ** 2
      return Math.sqrt(s / x.length)
    }
    const zeroFilled = err(Float64Array.from(truth, (v, i) => (known[i] ? v : 0)))
    const mc = await measurementConsistency(A, y, denoiser, { steps: 20, samples: 1, seed: 1 })
    const d = await dps(A, y, denoiser, { steps: 20, samples: 1, seed: 1 })
    assert.equal(d.warnings.length, 0, `DPS used the exact VJP graph: ${d.warnings.join('; ')}`)
    for (const r of [mc, d]) {
      assert.equal(r.mean.length, H * W)
      assert.ok(r.mean.every(Number.isFinite))
      assert.ok(err(r.mean) < zeroFilled, `${r.method}: RMSE ${err(r.mean).toFixed(3)} vs zero-filled ${zeroFilled.toFixed(3)}`)
    }
    assert.ok(mc.dcResidual[0] < 0.1, `measurement consistency keeps the known pixels (${mc.dcResidual[0]})`)
  } finally {
    denoiser.dispose()
  }
})
