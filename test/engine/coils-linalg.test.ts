/**
 * Dense complex linear algebra for coil calibration: Hermitian eigendecomposition against
 * closed forms and constructed spectra, residual and orthonormality on random matrices up to
 * the ESPIRiT Gram size (288), and the Gram-matrix SVD route with its precision limit.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CArray } from '../../src-main/engine/complex.ts'
import { eigHermitian, gramMatrix, HermitianEigenSolver, svdViaGram, type HermitianEig } from '../../src-main/engine/coils/linalg.ts'
import { randomComplex } from '../helpers/random.ts'

function randomHermitian(n: number, seed: number): CArray {
  const x = randomComplex(n * n, seed)
  const a = { re: new Float64Array(n * n), im: new Float64Array(n * n) }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      a.re[i * n + j] = x.re[i * n + j] + x.re[j * n + i]
      a.im[i * n + j] = x.im[i * n + j] - x.im[j * n + i]
    }
  }
  return a
}

/** Random unitary: modified Gram–Schmidt on the columns of a random complex matrix. */
function randomUnitary(n: number, seed: number): CArray {
  const q = randomComplex(n * n, seed)
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let sr = 0
      let si = 0
      for (let i = 0; i < n; i++) {
        sr += q.re[i * n + k] * q.re[i * n + j] + q.im[i * n + k] * q.im[i * n + j]
        si += q.re[i * n + k] * q.im[i * n + j] - q.im[i * n + k] * q.re[i * n + j]
      }
      for (let i = 0; i < n; i++) {
        q.re[i * n + j] -= sr * q.re[i * n + k] - si * q.im[i * n + k]
        q.im[i * n + j] -= sr * q.im[i * n + k] + si * q.re[i * n + k]
      }
    }
    let nrm = 0
    for (let i = 0; i < n; i++) nrm += q.re[i * n + j] ** 2 + q.im[i * n + j] ** 2
    nrm = Math.sqrt(nrm)
    for (let i = 0; i < n; i++) {
      q.re[i * n + j] /= nrm
      q.im[i * n + j] /= nrm
    }
  }
  return q
}

/** Q diag(λ) Qᴴ. */
function withSpectrum(q: CArray, lambda: number[]): CArray {
  const n = lambda.length
  const a = { re: new Float64Array(n * n), im: new Float64Array(n * n) }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sr = 0
      let si = 0
      for (let k = 0; k < n; k++) {
        // q_ik λ_k conj(q_jk)
        const ar = q.re[i * n + k], ai = q.im[i * n + k]
        const br = q.re[j * n + k], bi = -q.im[j * n + k]
        sr += lambda[k] * (ar * br - ai * bi)
        si += lambda[k] * (ar * bi + ai * br)
      }
      a.re[i * n + j] = sr
      a.im[i * n + j] = si
    }
  }
  return a
}

/** max |A V − V Λ| / max|A| and max |Vᴴ V − I|. */
function errors(a: CArray, eig: HermitianEig): { residual: number; orthogonality: number } {
  const { n, values, vectors: v } = eig
  let scale = 0
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.hypot(a.re[i], a.im[i]))
  let residual = 0
  let orthogonality = 0
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sr = 0
      let si = 0
      let or = 0
      let oi = 0
      for (let k = 0; k < n; k++) {
        sr += a.re[i * n + k] * v.re[k * n + j] - a.im[i * n + k] * v.im[k * n + j]
        si += a.re[i * n + k] * v.im[k * n + j] + a.im[i * n + k] * v.re[k * n + j]
        or += v.re[k * n + i] * v.re[k * n + j] + v.im[k * n + i] * v.im[k * n + j]
        oi += v.re[k * n + i] * v.im[k * n + j] - v.im[k * n + i] * v.re[k * n + j]
      }
      residual = Math.max(residual, Math.hypot(sr - values[j] * v.re[i * n + j], si - values[j] * v.im[i * n + j]))
      orthogonality = Math.max(orthogonality, Math.hypot(or - (i === j ? 1 : 0), oi))
    }
  }
  return { residual: residual / (scale || 1), orthogonality }
}

test('2×2 Hermitian matches the closed form (values and vector up to phase)', () => {
  const a = 2.5, d = -1.25, br = 0.75, bi = -1.5
  const eig = eigHermitian({ re: Float64Array.from([a, br, br, d]), im: Float64Array.from([0, bi, -bi, 0]) }, 2)
  const mean = (a + d) / 2
  const rad = Math.sqrt(((a - d) / 2) ** 2 + br * br + bi * bi)
  assert.ok(Math.abs(eig.values[0] - (mean + rad)) < 1e-14)
  assert.ok(Math.abs(eig.values[1] - (mean - rad)) < 1e-14)
  // (A − λ₁I) v = 0 → v ∝ (b, λ₁ − a).
  const l1 = mean + rad
  const tr = br, ti = bi, ur = l1 - a
  const nrm = Math.hypot(tr, ti, ur)
  const v0r = eig.vectors.re[0], v0i = eig.vectors.im[0], v1r = eig.vectors.re[2], v1i = eig.vectors.im[2]
  const ipr = (tr * v0r + ti * v0i + ur * v1r) / nrm
  const ipi = (tr * v0i - ti * v0r + ur * v1i) / nrm
  assert.ok(Math.abs(Math.hypot(ipr, ipi) - 1) < 1e-14, `|⟨v, v_true⟩| = ${Math.hypot(ipr, ipi)}`)
})

test('constructed spectra, degenerate ones included, are recovered', () => {
  const cases: number[][] = [
    [5, 3, 3, 1, -2, 0, 0.5, 7],
    [1, 1, 1, 1, 1],
    [1e6, 1, 1e-6, -1e3],
    [0, 0, 0]
  ]
  for (const [seed, lambda] of cases.entries()) {
    const n = lambda.length
    const a = withSpectrum(randomUnitary(n, 10 + seed), lambda)
    const eig = eigHermitian(a, n)
    const sorted = [...lambda].sort((x, y) => y - x)
    const scale = Math.max(1, ...lambda.map(Math.abs))
    for (let j = 0; j < n; j++) assert.ok(Math.abs(eig.values[j] - sorted[j]) <= 1e-12 * scale, `spectrum ${lambda}: λ${j} = ${eig.values[j]}, expected ${sorted[j]}`)
    const e = errors(a, eig)
    assert.ok(e.residual <= 1e-12 && e.orthogonality <= 1e-12, `spectrum ${lambda}: ${JSON.stringify(e)}`)
  }
})

test('diagonal and block-diagonal matrices (no reflections, split tridiagonals)', () => {
  const n = 6
  const diag = { re: new Float64Array(n * n), im: new Float64Array(n * n) }
  const values = [3, -1, 4, 1, -5, 9]
  values.forEach((v, i) => (diag.re[i * n + i] = v))
  const e1 = eigHermitian(diag, n)
  assert.deepEqual([...e1.values], [...values].sort((x, y) => y - x))
  assert.ok(errors(diag, e1).residual === 0)
  // Two uncoupled 3×3 blocks.
  const block = { re: new Float64Array(n * n), im: new Float64Array(n * n) }
  const b = randomHermitian(3, 5)
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      block.re[i * n + j] = b.re[i * 3 + j]
      block.im[i * n + j] = b.im[i * 3 + j]
      block.re[(i + 3) * n + j + 3] = 2 * b.re[i * 3 + j]
      block.im[(i + 3) * n + j + 3] = 2 * b.im[i * 3 + j]
    }
  }
  const e2 = errors(block, eigHermitian(block, n))
  assert.ok(e2.residual <= 1e-13 && e2.orthogonality <= 1e-13, JSON.stringify(e2))
})

test('random Hermitian matrices up to 288×288: A V = V Λ and Vᴴ V = I to 1e-10', () => {
  for (const n of [1, 2, 3, 4, 8, 17, 64, 288]) {
    const a = randomHermitian(n, n)
    const eig = eigHermitian(a, n)
    for (let j = 1; j < n; j++) assert.ok(eig.values[j - 1] >= eig.values[j], 'descending')
    const e = errors(a, eig)
    assert.ok(e.residual <= 1e-10 && e.orthogonality <= 1e-10, `n = ${n}: ${JSON.stringify(e)}`)
    // Trace is preserved.
    let tr = 0
    for (let i = 0; i < n; i++) tr += a.re[i * n + i]
    const sum = eig.values.reduce((s, v) => s + v, 0)
    assert.ok(Math.abs(tr - sum) <= 1e-10 * n, `n = ${n}: trace ${tr} vs Σλ ${sum}`)
  }
})

test('the reusable solver gives the same result as a fresh one, and reads only the lower triangle', () => {
  const solver = new HermitianEigenSolver(8)
  const first = randomHermitian(8, 100)
  const second = randomHermitian(8, 101)
  solver.solve(first.re, first.im)
  // Garbage in the strict upper triangle must not matter.
  const junk = { re: second.re.slice(), im: second.im.slice() }
  for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) junk.re[i * 8 + j] = junk.im[i * 8 + j] = 1e9
  const r = solver.solve(junk.re, junk.im)
  const fresh = eigHermitian(second, 8)
  for (let j = 0; j < 8; j++) assert.ok(Math.abs(r.values[j] - fresh.values[j]) < 1e-12)
  assert.ok(errors(second, { n: 8, values: r.values, vectors: r.vectors }).residual < 1e-12)
})

test('gramMatrix equals AᴴA computed directly', () => {
  const m = 7, n = 5
  const a = randomComplex(m * n, 3)
  const g = gramMatrix(a, m, n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sr = 0
      let si = 0
      for (let r = 0; r < m; r++) {
        sr += a.re[r * n + i] * a.re[r * n + j] + a.im[r * n + i] * a.im[r * n + j]
        si += a.re[r * n + i] * a.im[r * n + j] - a.im[r * n + i] * a.re[r * n + j]
      }
      assert.ok(Math.hypot(g.re[i * n + j] - sr, g.im[i * n + j] - si) < 1e-12)
    }
  }
})

test('SVD via the Gram matrix: σ and V of a tall matrix with known singular values; tiny σ are lost as stated', () => {
  const m = 60, n = 6
  const sigma = [10, 4, 1, 0.1, 1e-3, 1e-9]
  // A = U Σ Vᴴ with U the first n columns of a random m×m unitary, V a random n×n unitary.
  const uFull = randomUnitary(m, 7)
  const vTrue = randomUnitary(n, 8)
  const a = { re: new Float64Array(m * n), im: new Float64Array(m * n) }
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let sr = 0
      let si = 0
      for (let k = 0; k < n; k++) {
        // U_rk σ_k conj(V_ck)
        const ur = uFull.re[r * m + k], ui = uFull.im[r * m + k]
        const vr = vTrue.re[c * n + k], vi = -vTrue.im[c * n + k]
        sr += sigma[k] * (ur * vr - ui * vi)
        si += sigma[k] * (ur * vi + ui * vr)
      }
      a.re[r * n + c] = sr
      a.im[r * n + c] = si
    }
  }
  const { singularValues, v } = svdViaGram(a, m, n)
  // Relative error ≈ ε·(σ_max/σ)²: fine down to 1e-3·σ_max …
  for (let k = 0; k < 5; k++) {
    const rel = Math.abs(singularValues[k] - sigma[k]) / sigma[k]
    assert.ok(rel < 1e-8, `σ${k}: ${singularValues[k]} vs ${sigma[k]} (relative error ${rel})`)
  }
  // … while 1e-9·σ_max lies below the √ε·σ_max floor: only its bound holds.
  assert.ok(singularValues[5] < 1e-6 * sigma[0], `σ5 = ${singularValues[5]}`)
  // Right singular vectors of the well-separated values agree up to phase, and ‖A v_k‖ = σ_k.
  for (let k = 0; k < 4; k++) {
    let ipr = 0
    let ipi = 0
    for (let c = 0; c < n; c++) {
      ipr += vTrue.re[c * n + k] * v.re[c * n + k] + vTrue.im[c * n + k] * v.im[c * n + k]
      ipi += vTrue.re[c * n + k] * v.im[c * n + k] - vTrue.im[c * n + k] * v.re[c * n + k]
    }
    assert.ok(Math.abs(Math.hypot(ipr, ipi) - 1) < 1e-10, `v${k}: |⟨v, v_true⟩| = ${Math.hypot(ipr, ipi)}`)
    let norm2 = 0
    for (let r = 0; r < m; r++) {
      let sr = 0
      let si = 0
      for (let c = 0; c < n; c++) {
        sr += a.re[r * n + c] * v.re[c * n + k] - a.im[r * n + c] * v.im[c * n + k]
        si += a.re[r * n + c] * v.im[c * n + k] + a.im[r * n + c] * v.re[c * n + k]
      }
      norm2 += sr * sr + si * si
    }
    assert.ok(Math.abs(Math.sqrt(norm2) - sigma[k]) < 1e-10 * sigma[0])
  }
})
