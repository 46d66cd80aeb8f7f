import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pushPullFill } from '../../src-main/engine/fill.ts'
import { Rng } from '../../src-main/engine/rng.ts'

function image(H: number, W: number, f: (y: number, x: number) => number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(H * W)
  const im = new Float64Array(H * W)
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    re[y * W + x] = f(y, x)
    im[y * W + x] = -0.5 * f(y, x)
  }
  return { re, im }
}

test('push–pull keeps known pixels, fills a constant exactly and leaves no NaN', () => {
  for (const [H, W] of [[32, 32], [37, 21], [1, 9], [9, 1]]) {
    const rng = new Rng(H * W)
    const known = Uint8Array.from({ length: H * W }, () => (rng.uniform() < 0.3 ? 1 : 0))
    known[0] = 1
    const c = image(H, W, () => 2.5)
    const filled = pushPullFill(c, known, H, W)
    for (let i = 0; i < H * W; i++) {
      assert.ok(Math.abs(filled.re[i] - 2.5) < 1e-12 && Math.abs(filled.im[i] + 1.25) < 1e-12)
    }
    const g = image(H, W, (y, x) => Math.sin(y / 3) + x / 7)
    const f2 = pushPullFill(g, known, H, W)
    for (let i = 0; i < H * W; i++) {
      assert.ok(Number.isFinite(f2.re[i]))
      if (known[i]) assert.equal(f2.re[i], g.re[i])
    }
  }
})

test('push–pull fills a hole with values from its surroundings', () => {
  const H = 40, W = 40
  const known = new Uint8Array(H * W).fill(1)
  for (let y = 10; y < 30; y++) for (let x = 10; x < 30; x++) known[y * W + x] = 0
  // Left half 0, right half 1: the filled hole must stay within [0, 1] and rise from left to right.
  const g = image(H, W, (_y, x) => (x < 20 ? 0 : 1))
  const f = pushPullFill(g, known, H, W)
  for (let i = 0; i < H * W; i++) assert.ok(f.re[i] >= -1e-12 && f.re[i] <= 1 + 1e-12)
  assert.ok(f.re[20 * W + 11] < f.re[20 * W + 28], 'the fill follows the surrounding values')
  assert.throws(() => pushPullFill(g, new Uint8Array(H * W), H, W), /no known pixels/)
})
