import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  chain, compose, fourier, sampling, pixelMask, gaussianBlur, downsample, operatorNorm, powerIterationNorm, scaled, identity,
  undersampledFourier, sense,
  type LinearOperator
} from '../../src-main/engine/linops/index.ts'
import { cdot, shapeSize } from '../../src-main/engine/complex.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { randomComplex } from '../helpers/random.ts'

/** ⟨Ax, y⟩ = ⟨x, Aᴴy⟩ on random complex inputs, relative to ‖Ax‖‖y‖. */
function assertAdjoint(op: LinearOperator, seed: number): void {
  const x = randomComplex(shapeSize(op.domain), seed)
  const y = randomComplex(shapeSize(op.codomain), seed + 1)
  const ax = op.forward(x)
  const ahy = op.adjoint(y)
  const lhs = cdot(ax, y)
  const rhs = cdot(x, ahy)
  const scale = Math.sqrt(cdot(ax, ax).re * cdot(y, y).re) + 1e-300
  const err = Math.hypot(lhs.re - rhs.re, lhs.im - rhs.im) / scale
  assert.ok(err < 1e-12, `${op.name}: adjoint mismatch ${err}`)
}

function randomMask(n: number, p: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  return Uint8Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0))
}

const SHAPES: [number, number][] = [[16, 16], [23, 18], [32, 20], [9, 7]]

for (const [H, W] of SHAPES) {
  test(`adjoint identity holds for every operator, ${H}×${W}`, () => {
    const F = fourier([H, W])
    const S = sampling([H, W], randomMask(H * W, 0.3, 1))
    const M = pixelMask([H, W], randomMask(H * W, 0.6, 2))
    const B = gaussianBlur(H, W, 1.3)
    const D = downsample(H, W, 2)
    const D3 = downsample(H, W, 3)
    const U = undersampledFourier([H, W], randomMask(H * W, 0.3, 1))
    for (const op of [F, S, M, B, D, D3, U, compose(S, F), chain(D, B), chain(S, F, B), scaled(F, 2.5), identity([H, W])]) {
      assertAdjoint(op, H * 31 + W)
    }
  })
}

test('multi-coil Fourier sampling broadcasts the mask over coils and stays adjoint', () => {
  const shape = [4, 12, 10]
  const mask = randomMask(120, 0.4, 3)
  const A = compose(sampling(shape, mask), fourier(shape))
  assertAdjoint(A, 5)
  const y = A.forward(randomComplex(480, 9))
  for (let c = 0; c < 4; c++) for (let i = 0; i < 120; i++) if (!mask[i]) assert.equal(Math.abs(y.re[c * 120 + i]), 0)
})

test('operator norms by power iteration match closed forms', () => {
  const H = 32, W = 24
  // Unitary FFT followed by a 0/1 mask with at least one sample: norm exactly 1 (composition
  // declares no norm, so this is the power iteration).
  assert.ok(Math.abs(operatorNorm(compose(sampling([H, W], randomMask(H * W, 0.25, 4)), fourier([H, W]))) - 1) < 1e-6)
  // Box-average downsampling: A Aᴴ = I / f², so ‖A‖ = 1/f.
  assert.ok(Math.abs(powerIterationNorm(downsample(H, W, 2)) - 0.5) < 1e-6)
  assert.ok(Math.abs(powerIterationNorm(downsample(H, W, 4)) - 0.25) < 1e-6)
  // Normalised Gaussian: ‖B‖ ≤ 1, attained near 1 by smooth inputs.
  const b = operatorNorm(gaussianBlur(H, W, 1.5), { iterations: 300, tolerance: 1e-9 })
  assert.ok(b <= 1 + 1e-9 && b > 0.9, `blur norm ${b}`)
  assert.ok(Math.abs(powerIterationNorm(scaled(fourier([H, W]), 3)) - 3) < 1e-6)
})

test('declared operator norms agree with power iteration', () => {
  const H = 24, W = 20
  const mask = randomMask(H * W, 0.3, 8)
  for (const op of [fourier([H, W]), undersampledFourier([H, W], mask), sampling([H, W], mask), pixelMask([H, W], mask),
    downsample(H, W, 2), downsample(H, W, 3), scaled(downsample(H, W, 2), -3), identity([H, W])]) {
    assert.ok(op.norm !== undefined, `${op.name} declares its norm`)
    const p = powerIterationNorm(op, { iterations: 500, tolerance: 1e-12 })
    assert.ok(Math.abs(p - op.norm!) < 1e-6 * Math.max(1, op.norm!), `${op.name}: declared ${op.norm}, power iteration ${p}`)
  }
  assert.equal(undersampledFourier([H, W], new Uint8Array(H * W)).norm, 0)
})

test('undersampled Fourier equals sampling after the FFT, also with coils', () => {
  const shape = [3, 10, 12]
  const mask = randomMask(120, 0.4, 11)
  const x = randomComplex(360, 12)
  const a = undersampledFourier(shape, mask).forward(x)
  const b = compose(sampling(shape, mask), fourier(shape)).forward(x)
  for (let i = 0; i < 360; i++) assert.ok(Math.abs(a.re[i] - b.re[i]) < 1e-14 && Math.abs(a.im[i] - b.im[i]) < 1e-14)
})

test('shape mismatches give clear errors', () => {
  const F = fourier([8, 8])
  assert.throws(() => F.forward(randomComplex(10, 1)), /expected an array of shape 8×8/)
  assert.throws(() => compose(downsample(8, 8, 2), fourier([6, 6])), /cannot compose/)
  assert.throws(() => sampling([8, 8], new Uint8Array(10)), /mask has 10 values/)
  assert.throws(() => downsample(4, 4, 5), /larger than the image/)
  assert.throws(() => gaussianBlur(8, 8, -1), /sigma must be a positive/)
})

test('SENSE: adjoint identity, coil broadcast, and the declared norm bound', () => {
  const C = 4, H = 20, W = 18
  const maps = randomComplex(C * H * W, 21)
  const mask = randomMask(H * W, 0.35, 22)
  const A = sense(maps, [C, H, W], mask)
  assertAdjoint(A, 23)
  // Each coil equals the single-coil undersampled FFT of S_c·x.
  const x = randomComplex(H * W, 24)
  const y = A.forward(x)
  for (let c = 0; c < C; c++) {
    const sx = { re: new Float64Array(H * W), im: new Float64Array(H * W) }
    for (let i = 0; i < H * W; i++) {
      const a = maps.re[c * H * W + i], b = maps.im[c * H * W + i]
      sx.re[i] = a * x.re[i] - b * x.im[i]
      sx.im[i] = a * x.im[i] + b * x.re[i]
    }
    const yc = undersampledFourier([H, W], mask).forward(sx)
    for (let i = 0; i < H * W; i++) assert.ok(Math.abs(yc.re[i] - y.re[c * H * W + i]) < 1e-12 && Math.abs(yc.im[i] - y.im[c * H * W + i]) < 1e-12)
  }
  const p = powerIterationNorm(A, { iterations: 300, tolerance: 1e-10 })
  assert.ok(p <= A.normBound! * (1 + 1e-9), `power iteration ${p} exceeds the bound ${A.normBound}`)
  // With full sampling the bound is attained.
  const full = sense(maps, [C, H, W], new Uint8Array(H * W).fill(1))
  const pf = powerIterationNorm(full, { iterations: 2000, tolerance: 1e-12 })
  assert.ok(Math.abs(pf - full.normBound!) < 1e-3 * full.normBound!, `full sampling: ${pf} vs ${full.normBound}`)
  assert.throws(() => sense(maps, [C, H, W], new Uint8Array(5)), /mask has 5 values/)
})
