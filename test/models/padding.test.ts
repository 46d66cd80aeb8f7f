import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crop, embed, pad, padAdjoint, planPadding, roundUp } from '../../src-main/models/padding.ts'
import { Rng } from '../../src-main/engine/rng.ts'

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

function randomArray(n: number, rng: Rng): Float64Array {
  // float32-exact, so P's float32 output loses nothing and the identities hold to rounding
  return Float64Array.from({ length: n }, () => Math.fround(rng.normal()))
}

test('sizes round up to the multiple and the padding is split evenly (extra at bottom/right)', () => {
  assert.equal(roundUp(30, 4), 32)
  assert.equal(roundUp(32, 4), 32)
  const p = planPadding(30, 22, 4)
  assert.deepEqual([p.Hp, p.Wp, p.top, p.left], [32, 24, 1, 1])
  const q = planPadding(29, 21, 4)
  assert.deepEqual([q.Hp, q.Wp, q.top, q.left], [32, 24, 1, 1])
  const r = planPadding(256, 256, 16)
  assert.deepEqual([r.Hp, r.Wp, r.top, r.left], [256, 256, 0, 0])
})

test('reflect padding mirrors without repeating the edge (numpy/torch "reflect")', () => {
  // a 1×3 row [1, 2, 3] padded to width 8: left 2, right 3 → 3 2 | 1 2 3 | 2 1 2
  const p = planPadding(1, 3, 8)
  assert.deepEqual([p.Hp, p.Wp, p.top, p.left], [8, 8, 3, 2])
  const out = pad(Float64Array.of(1, 2, 3), p)
  assert.deepEqual(Array.from(out.subarray(0, 8)), [3, 2, 1, 2, 3, 2, 1, 2])
  // a single row is repeated for every padded row
  for (let i = 1; i < 8; i++) assert.deepEqual(Array.from(out.subarray(i * 8, i * 8 + 8)), [3, 2, 1, 2, 3, 2, 1, 2])
  // pads wider than the image keep mirroring (2 → 16: 7 on the left)
  const wide = pad(Float64Array.of(5, 6), planPadding(1, 2, 16))
  assert.deepEqual(Array.from(wide.subarray(0, 16)), [6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5])
})

test('zero padding fills zeros outside the image', () => {
  const out = pad(Float64Array.of(1, 2, 3), planPadding(1, 3, 4, 'zero'))
  // 1×3 → 4×4: top 1, left 0
  assert.deepEqual(Array.from(out), [0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0])
})

test('crop undoes pad, and padAdjoint / embed are the exact adjoints of pad / crop', () => {
  const rng = new Rng(4)
  for (const mode of ['reflect', 'zero'] as const) {
    for (const [H, W, m] of [[30, 22, 4], [29, 21, 4], [5, 3, 16], [1, 1, 8], [64, 64, 16]]) {
      const p = planPadding(H, W, m, mode)
      const x = randomArray(H * W, rng)
      assert.deepEqual(crop(pad(x, p), p), x, `${mode} ${H}×${W}: crop(pad(x)) = x`)
      const g = randomArray(p.Hp * p.Wp, rng)
      const lhs = dot(pad(x, p), g)
      assert.ok(Math.abs(lhs - dot(x, padAdjoint(g, p))) <= 1e-12 * (1 + Math.abs(lhs)), `${mode} ${H}×${W}: ⟨Px, g⟩ = ⟨x, Pᵀg⟩`)
      const r = randomArray(H * W, rng)
      const lhs2 = dot(crop(g, p), r)
      assert.ok(Math.abs(lhs2 - dot(g, embed(r, p))) <= 1e-12 * (1 + Math.abs(lhs2)), `${mode} ${H}×${W}: ⟨Cg, r⟩ = ⟨g, Cᵀr⟩`)
    }
  }
})
