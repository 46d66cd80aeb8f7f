/**
 * Total variation (tv.ts): tvValue against closed forms and its norm properties, and TVProx
 * certified by a duality gap computed here, independently of the implementation (reference
 * D, Dᵀ and dual solver in test/helpers/tv-reference.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TVProx, tvValue } from '../../src-main/engine/tv.ts'
import type { CArray } from '../../src-main/engine/complex.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { randomComplex } from '../helpers/random.ts'
import {
  addNoise, complexFromReal, dualMaxNorm, ellipsePhantom, grad, gradAdjoint, gradZeros, norm2, proxDual, proxPrimal,
  solveProxDual, tvRef, type Grad
} from '../helpers/tv-reference.ts'

function zeros(n: number): CArray {
  return { re: new Float64Array(n), im: new Float64Array(n) }
}

/** Image from a function of (row, column) returning [re, im]. */
function image(H: number, W: number, f: (r: number, c: number) => [number, number]): CArray {
  const x = zeros(H * W)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const [a, b] = f(r, c)
      x.re[r * W + c] = a
      x.im[r * W + c] = b
    }
  }
  return x
}

function assertClose(actual: number, expected: number, rel: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300)
  assert.ok(err <= rel || Math.abs(actual - expected) <= 1e-300, `${what}: got ${actual}, expected ${expected} (relative error ${err.toExponential(2)})`)
}

function mul(x: CArray, ar: number, ai: number): CArray {
  const out = zeros(x.re.length)
  for (let i = 0; i < x.re.length; i++) {
    out.re[i] = ar * x.re[i] - ai * x.im[i]
    out.im[i] = ar * x.im[i] + ai * x.re[i]
  }
  return out
}

function add(a: CArray, b: CArray): CArray {
  const out = zeros(a.re.length)
  for (let i = 0; i < a.re.length; i++) {
    out.re[i] = a.re[i] + b.re[i]
    out.im[i] = a.im[i] + b.im[i]
  }
  return out
}

function transpose(x: CArray, H: number, W: number): CArray {
  const out = zeros(H * W)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      out.re[c * H + r] = x.re[r * W + c]
      out.im[c * H + r] = x.im[r * W + c]
    }
  }
  return out
}

function maxDiff(a: CArray, b: CArray): number {
  let m = 0
  for (let i = 0; i < a.re.length; i++) m = Math.max(m, Math.hypot(a.re[i] - b.re[i], a.im[i] - b.im[i]))
  return m
}

function sameBits(a: CArray, b: CArray): boolean {
  for (let i = 0; i < a.re.length; i++) if (!Object.is(a.re[i], b.re[i]) || !Object.is(a.im[i], b.im[i])) return false
  return true
}

function proxOf(z: CArray, H: number, W: number, lambda: number, iterations: number): CArray {
  return new TVProx(H, W).apply(z, lambda, iterations, zeros(H * W))
}

/**
 * Relative duality gap of x as the prox of λTV at z: (P(x) − D(q))/P(x) with q from the
 * reference dual solver, scaled into the feasible set (|q_i| ≤ λ) so weak duality holds
 * exactly. Also returns the gap of the reference's own primal z − Dᵀq, which shows how tight
 * the certificate is.
 */
function proxGap(x: CArray, z: CArray, lambda: number, H: number, W: number, refIterations: number): { gap: number; refGap: number; primal: number } {
  const q: Grad = solveProxDual(z, lambda, H, W, refIterations)
  const s = Math.min(1, lambda / dualMaxNorm(q))
  for (let i = 0; i < q.all.length; i++) q.all[i] *= s
  const dual = proxDual(q, z, H, W)
  const xq = gradAdjoint(q, H, W)
  for (let i = 0; i < H * W; i++) {
    xq.re[i] = z.re[i] - xq.re[i]
    xq.im[i] = z.im[i] - xq.im[i]
  }
  const primal = proxPrimal(x, z, lambda, H, W)
  const refPrimal = proxPrimal(xq, z, lambda, H, W)
  return { gap: (primal - dual) / primal, refGap: (refPrimal - dual) / refPrimal, primal }
}

/** A complex test image: the ellipse phantom with a smooth phase, plus complex noise. */
function complexPhantom(H: number, W: number, noise: number, seed: number): CArray {
  const mag = ellipsePhantom(H, W)
  const x = image(H, W, (r, c) => {
    const ph = 1.2 * Math.sin((2 * Math.PI * r) / H) + (0.8 * c) / W
    const m = mag[r * W + c]
    return [m * Math.cos(ph), m * Math.sin(ph)]
  })
  return addNoise(x, noise, seed)
}

// -------------------------------------------------------------------------------------------
// The reference itself

test('reference: Dᵀ is the adjoint of D and ‖D‖² < 8, on non-square grids', () => {
  for (const [H, W] of [[9, 7], [1, 11], [11, 1], [16, 24]]) {
    const n = H * W
    const x = randomComplex(n, H * 100 + W)
    const g = gradZeros(n)
    const rng = new Rng(H + W)
    for (let i = 0; i < g.all.length; i++) g.all[i] = rng.normal()
    const dx = grad(x, H, W)
    const dtg = gradAdjoint(g, H, W)
    let lhs = 0
    for (let i = 0; i < g.all.length; i++) lhs += dx.all[i] * g.all[i]
    let rhs = 0
    for (let i = 0; i < n; i++) rhs += x.re[i] * dtg.re[i] + x.im[i] * dtg.im[i]
    assert.ok(Math.abs(lhs - rhs) <= 1e-12 * Math.sqrt(norm2(x)) * Math.sqrt(g.all.reduce((s, v) => s + v * v, 0)), `${H}×${W}: ⟨Dx,g⟩ ${lhs} vs ⟨x,Dᵀg⟩ ${rhs}`)
    // ‖D‖² by power iteration on DᵀD (the FGP step 1/8 relies on ‖D‖² ≤ 8).
    let v = randomComplex(n, 7)
    let est = 0
    for (let k = 0; k < 300; k++) {
      const w = gradAdjoint(grad(v, H, W), H, W)
      est = Math.sqrt(norm2(w) / norm2(v))
      const s = 1 / Math.sqrt(norm2(w))
      v = { re: w.re.map((t) => t * s), im: w.im.map((t) => t * s) }
    }
    assert.ok(est < 8, `${H}×${W}: ‖D‖² ≈ ${est}`)
  }
})

// -------------------------------------------------------------------------------------------
// tvValue

test('tvValue: constant images (real and complex, any shape) have zero TV', () => {
  for (const [H, W] of [[1, 1], [1, 9], [9, 1], [7, 5], [24, 20]]) {
    assert.equal(tvValue(image(H, W, () => [3.25, 0]), H, W), 0)
    assert.equal(tvValue(image(H, W, () => [-1.5, 2.75]), H, W), 0)
  }
})

test('tvValue: a vertical step edge of complex height h gives H·|h|, a horizontal one W·|h|', () => {
  const H = 13, W = 10
  const hr = 0.75, hi = -1.25
  const habs = Math.hypot(hr, hi)
  for (const k of [1, 4, W - 1]) {
    // Columns < k hold a, columns ≥ k hold a + h.
    const x = image(H, W, (_r, c) => [0.5 + (c >= k ? hr : 0), -0.2 + (c >= k ? hi : 0)])
    assertClose(tvValue(x, H, W), H * habs, 1e-14, `vertical edge at column ${k}`)
  }
  for (const k of [1, 6, H - 1]) {
    const x = image(H, W, (r) => [2 + (r >= k ? hr : 0), 1 + (r >= k ? hi : 0)])
    assertClose(tvValue(x, H, W), W * habs, 1e-14, `horizontal edge at row ${k}`)
  }
})

test('tvValue: linear ramps follow the Neumann-boundary closed form', () => {
  // x = a·c + b·r: interior pixels (c < W−1, r < H−1) contribute √(|a|²+|b|²), the last column
  // |b| (no x difference), the last row |a| (no y difference), the last pixel nothing:
  // TV = (H−1)(W−1)√(|a|²+|b|²) + (H−1)|b| + (W−1)|a|.
  const cases: { H: number; W: number; a: [number, number]; b: [number, number] }[] = [
    { H: 12, W: 17, a: [0.3, 0], b: [0, 0] }, // pure x ramp: H(W−1)|a|
    { H: 12, W: 17, a: [0, 0], b: [-0.7, 0] }, // pure y ramp: W(H−1)|b|
    { H: 9, W: 6, a: [0.4, -0.3], b: [1.1, 0.2] },
    { H: 1, W: 8, a: [2, 1], b: [5, 5] }, // one row: only (W−1)|a|
    { H: 8, W: 1, a: [5, 5], b: [-1, 3] } // one column: only (H−1)|b|
  ]
  for (const { H, W, a, b } of cases) {
    const x = image(H, W, (r, c) => [0.1 + a[0] * c + b[0] * r, -0.4 + a[1] * c + b[1] * r])
    const A = Math.hypot(...a)
    const B = Math.hypot(...b)
    const expected = (H - 1) * (W - 1) * Math.hypot(A, B) + (H - 1) * B + (W - 1) * A
    assertClose(tvValue(x, H, W), expected, 1e-13, `ramp ${H}×${W} a=${a} b=${b}`)
  }
  // Pure x ramp as the brief states it: (W−1)·H·|a|.
  const H = 12, W = 17
  assertClose(tvValue(image(H, W, (_r, c) => [0.3 * c, 0]), H, W), (W - 1) * H * 0.3, 1e-13, 'x ramp')
})

test('tvValue: isotropic, not anisotropic: a single impulse and a checkerboard', () => {
  const H = 7, W = 9
  const v: [number, number] = [1.5, -2]
  const vabs = Math.hypot(...v)
  const impulse = (r0: number, c0: number): CArray => image(H, W, (r, c) => (r === r0 && c === c0 ? v : [0, 0]))
  // Interior: the pixel itself (both differences −v): √2|v|; its left and upper neighbours: |v| each.
  assertClose(tvValue(impulse(3, 4), H, W), (2 + Math.SQRT2) * vabs, 1e-14, 'interior impulse')
  // Top-left corner: only the pixel itself, √2|v|.
  assertClose(tvValue(impulse(0, 0), H, W), Math.SQRT2 * vabs, 1e-14, 'top-left impulse')
  // Bottom-right corner: no differences of its own; left and upper neighbours |v| each.
  assertClose(tvValue(impulse(H - 1, W - 1), H, W), 2 * vabs, 1e-14, 'bottom-right impulse')
  // Checkerboard ±1: interior 2√2, last column and last row 2 each, corner 0.
  const cb = image(H, W, (r, c) => [(r + c) % 2 === 0 ? 1 : -1, 0])
  assertClose(tvValue(cb, H, W), (H - 1) * (W - 1) * 2 * Math.SQRT2 + 2 * (H - 1) + 2 * (W - 1), 1e-14, 'checkerboard')
})

test('tvValue: agrees with the reference on random complex images; transposition invariant', () => {
  for (const [H, W] of [[1, 1], [1, 13], [13, 1], [5, 8], [24, 20]]) {
    const x = randomComplex(H * W, 17 * H + W)
    const t = tvValue(x, H, W)
    assertClose(t, tvRef(x, H, W), 1e-13, `${H}×${W} vs reference`)
    assertClose(tvValue(transpose(x, H, W), W, H), t, 1e-13, `${H}×${W} transposed`)
  }
})

test('tvValue: phase rotation, conjugation, absolute homogeneity, translation, triangle inequality', () => {
  const H = 16, W = 11
  const n = H * W
  for (let seed = 1; seed <= 5; seed++) {
    const x = randomComplex(n, seed)
    const y = randomComplex(n, seed + 100)
    const tx = tvValue(x, H, W)
    const ty = tvValue(y, H, W)
    for (const theta of [0.3, Math.PI / 2, 2.9, -1.7]) {
      assertClose(tvValue(mul(x, Math.cos(theta), Math.sin(theta)), H, W), tx, 1e-13, `e^{i${theta}}·x`)
    }
    const conj: CArray = { re: x.re.slice(), im: x.im.map((v) => -v) }
    assertClose(tvValue(conj, H, W), tx, 1e-14, 'conj(x)')
    for (const [ar, ai] of [[-2.5, 0], [0.01, 0], [3, -4], [0, 1e6]] as [number, number][]) {
      assertClose(tvValue(mul(x, ar, ai), H, W), Math.hypot(ar, ai) * tx, 1e-13, `(${ar}+${ai}i)·x`)
    }
    const shifted = add(x, image(H, W, () => [7.5, -3]))
    assertClose(tvValue(shifted, H, W), tx, 1e-12, 'x + constant')
    const txy = tvValue(add(x, y), H, W)
    assert.ok(txy <= tx + ty, `triangle inequality: ${txy} > ${tx} + ${ty}`)
    // Strict for independent random images, equality for positive multiples.
    assert.ok(txy < 0.99 * (tx + ty), 'triangle inequality is strict for random images')
    assertClose(tvValue(add(x, mul(x, 2, 0)), H, W), 3 * tx, 1e-13, 'TV(x + 2x) = 3TV(x)')
  }
})

// -------------------------------------------------------------------------------------------
// TVProx

test('TVProx: duality gap certifies the prox on 32×28 (real and complex images, several λ)', () => {
  const H = 32, W = 28
  const cases: { name: string; z: CArray; lambda: number }[] = [
    { name: 'real phantom + noise', z: addNoise(complexFromReal(ellipsePhantom(H, W)), 0.1, 7, false), lambda: 0.1 },
    { name: 'complex phantom + noise', z: complexPhantom(H, W, 0.1, 8), lambda: 0.05 },
    { name: 'complex phantom, small λ', z: complexPhantom(H, W, 0.05, 9), lambda: 0.02 }
  ]
  for (const { name, z, lambda } of cases) {
    const zCopy = { re: z.re.slice(), im: z.im.slice() }
    const early = proxGap(proxOf(z, H, W, lambda, 20), z, lambda, H, W, 3000)
    const x = proxOf(z, H, W, lambda, 2000)
    assert.ok(sameBits(z, zCopy), `${name}: apply modified z`)
    const { gap, refGap } = proxGap(x, z, lambda, H, W, 3000)
    // The certificate is tight: the reference's own primal–dual pair closes the gap.
    assert.ok(refGap >= -1e-12 && refGap < 1e-8, `${name}: reference gap ${refGap}`)
    assert.ok(gap >= -1e-12, `${name}: negative gap ${gap} (weak duality violated: the objective is wrong)`)
    assert.ok(gap <= 1e-6, `${name}: relative duality gap ${gap.toExponential(2)} after 2000 FGP iterations`)
    // And it measures something: after 20 iterations the gap is still open.
    assert.ok(early.gap > 10 * Math.max(gap, 1e-9), `${name}: gap after 20 iterations ${early.gap} vs 2000 ${gap}`)
  }
})

test('TVProx: exact solution for a step edge (2-D, 1×W and H×1)', () => {
  // z = a + h·[position ≥ m] along one axis (constant along the other). The prox moves the two
  // plateaus towards each other by λ/m and λ/(len − m) along h/|h| (while they do not meet):
  // dual certificate p = ramp from 0 to h/|h| across each plateau, p_y = 0.
  const m = 9
  const h: [number, number] = [1.5, -0.8]
  const a: [number, number] = [0.2, 0.1]
  const lambda = 0.9
  const habs = Math.hypot(...h)
  for (const [H, W] of [[20, 24], [1, 24], [24, 1]]) {
    const alongColumns = W > 1
    const len = alongColumns ? W : H
    const z = image(H, W, (r, c) => {
      const up = (alongColumns ? c : r) >= m ? 1 : 0
      return [a[0] + up * h[0], a[1] + up * h[1]]
    })
    const expected = image(H, W, (r, c) => {
      const right = (alongColumns ? c : r) >= m
      const s = right ? -lambda / (len - m) : lambda / m
      return [a[0] + (right ? h[0] : 0) + (s * h[0]) / habs, a[1] + (right ? h[1] : 0) + (s * h[1]) / habs]
    })
    const x = proxOf(z, H, W, lambda, 3000)
    const err = maxDiff(x, expected)
    assert.ok(err < 1e-6, `${H}×${W}: max error ${err} against the closed form`)
  }
})

test('TVProx: λ = 0 returns z exactly; the mean is preserved exactly for any λ', () => {
  const H = 12, W = 9
  const z = randomComplex(H * W, 21)
  const x0 = new TVProx(H, W).apply(z, 0, 50, zeros(H * W))
  assert.ok(sameBits(x0, z), 'λ = 0 must return z')
  // Σ Dᵀp = 0 for every p, so Σx = Σz whatever λ and the iteration count.
  let sr = 0
  let si = 0
  for (let i = 0; i < H * W; i++) {
    sr += z.re[i]
    si += z.im[i]
  }
  for (const [lambda, its] of [[0.1, 3], [1, 40], [100, 7]]) {
    const x = proxOf(z, H, W, lambda, its)
    let xr = 0
    let xi = 0
    for (let i = 0; i < H * W; i++) {
      xr += x.re[i]
      xi += x.im[i]
    }
    assert.ok(Math.abs(xr - sr) < 1e-11 && Math.abs(xi - si) < 1e-11, `λ=${lambda}: Σx = ${xr}+${xi}i, Σz = ${sr}+${si}i`)
    // And TV never increases (the prox of a convex function shrinks TV).
    assert.ok(tvRef(x, H, W) < tvRef(z, H, W))
  }
})

test('TVProx: huge λ flattens the image to the complex mean of z', () => {
  const H = 16, W = 12
  const n = H * W
  const z = randomComplex(n, 5)
  let mr = 0
  let mi = 0
  for (let i = 0; i < n; i++) {
    mr += z.re[i] / n
    mi += z.im[i] / n
  }
  const x = proxOf(z, H, W, 1e4, 3000)
  let err = 0
  for (let i = 0; i < n; i++) err = Math.max(err, Math.hypot(x.re[i] - mr, x.im[i] - mi))
  assert.ok(err < 1e-6, `max |x − mean(z)| = ${err}`)
})

test('TVProx: warm start — 10 calls of 50 iterations match one call of 500; reset() and 0-iteration calls', () => {
  const H = 32, W = 28
  const n = H * W
  // At this λ one call of 500 is converged to a relative gap of ~1e-7; one of 50 only to ~1e-4.
  const lambda = 0.05
  const z = addNoise(complexFromReal(ellipsePhantom(H, W)), 0.1, 7, false)
  const warm = new TVProx(H, W)
  const xw = zeros(n)
  for (let k = 0; k < 10; k++) warm.apply(z, lambda, 50, xw)
  const x500 = proxOf(z, H, W, lambda, 500)
  const fw = proxPrimal(xw, z, lambda, H, W)
  const f500 = proxPrimal(x500, z, lambda, H, W)
  assert.ok(Math.abs(fw - f500) <= 1e-6 * f500, `warm ${fw} vs single call ${f500}`)
  // Without the warm start (reset before every call) 10×50 is no better than 50 iterations.
  const cold = new TVProx(H, W)
  const xc = zeros(n)
  for (let k = 0; k < 10; k++) {
    cold.reset()
    cold.apply(z, lambda, 50, xc)
  }
  const fc = proxPrimal(xc, z, lambda, H, W)
  assert.ok(fc - f500 > 1e-5 * f500, `cold restarts should be visibly worse: ${fc} vs ${f500}`)
  assert.ok(sameBits(xc, proxOf(z, H, W, lambda, 50)), 'reset() then apply must equal a fresh TVProx')
  // A 0-iteration call returns the primal point of the stored dual: the previous result again.
  const again = warm.apply(z, lambda, 0, zeros(n))
  assert.ok(sameBits(again, xw), '0 iterations after a call must reproduce that call')
  // After reset() the dual is zero, so 0 iterations return z itself.
  warm.reset()
  assert.ok(sameBits(warm.apply(z, lambda, 0, zeros(n)), z), 'reset(), then 0 iterations, must return z')
  // reset() after use on other data gives exactly what a fresh object gives.
  const used = new TVProx(H, W)
  used.apply(randomComplex(n, 99), 0.5, 30, zeros(n))
  used.reset()
  assert.ok(sameBits(used.apply(z, lambda, 37, zeros(n)), proxOf(z, H, W, lambda, 37)), 'reset() must clear all state')
})

test('TVProx: non-square, 1×W and H×1 images are certified by the duality gap', () => {
  for (const [H, W, lambda] of [[12, 40, 0.08], [40, 12, 0.08], [1, 64, 0.3], [64, 1, 0.3], [1, 1, 0.3]]) {
    const n = H * W
    const z = addNoise(image(H, W, (r, c) => [r + c > (H + W) / 2 ? 1 : 0, 0.3]), 0.1, H * 7 + W)
    // 1-D chains of 64 with long plateaus converge more slowly: 5000 iterations there.
    const iterations = n <= 64 ? 5000 : 2000
    const x = proxOf(z, H, W, lambda, iterations)
    if (n === 1) {
      assert.ok(sameBits(x, z), '1×1: TV is zero, the prox is the identity')
      continue
    }
    const { gap, refGap } = proxGap(x, z, lambda, H, W, n <= 64 ? 8000 : 4000)
    assert.ok(refGap < 1e-8, `${H}×${W}: reference gap ${refGap}`)
    assert.ok(gap >= -1e-12 && gap <= 1e-6, `${H}×${W}: relative duality gap ${gap}`)
    // The transposed problem has the transposed solution (catches swapped axes).
    const xt = proxOf(transpose(z, H, W), W, H, lambda, iterations)
    assert.ok(maxDiff(xt, transpose(x, H, W)) < 1e-9, `${H}×${W}: prox does not commute with transposition`)
  }
})
