/**
 * Building blocks of the diffusion samplers: the EDM noise schedule, the analytic Gaussian prior
 * (denoiser and VJP against brute-force dense matrices and finite differences), the
 * finite-difference VJP fallback, and the phase helpers for complex MRI data.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { karrasSchedule, snapLevel } from '../../src-main/engine/diffusion/schedule.ts'
import { GaussianPrior, negIndex, smoothSpectrum } from '../../src-main/engine/diffusion/gaussian-prior.ts'
import { callVjp, type Denoiser } from '../../src-main/engine/diffusion/denoiser.ts'
import { estimatePhase, withPhase } from '../../src-main/engine/diffusion/phase.ts'
import { fft2c } from '../../src-main/engine/fft.ts'
import { undersampledFourier, pixelMask } from '../../src-main/engine/linops/index.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { cdot, type CArray } from '../../src-main/engine/complex.ts'
import { denseDft, diagonalMatrix, mat, matvec, solveSpd, stationaryCovariance, type Mat } from '../helpers/gaussian-posterior.ts'
import { maxAbsDiff, randomComplex } from '../helpers/random.ts'

function randomReal(n: number, seed: number, scale = 1): Float64Array {
  const rng = new Rng(seed)
  return Float64Array.from({ length: n }, () => scale * rng.normal())
}

/** D(x) = μ + Σ(Σ + σ²I)⁻¹(x − μ) by a dense solve: (Σ + σ²I)⁻¹ then Σ. */
function denseDenoise(Sigma: Mat, mu: Float64Array, x: Float64Array, sigma: number): Float64Array {
  const n = mu.length
  const S = mat(n, n)
  S.a.set(Sigma.a)
  for (let i = 0; i < n; i++) S.a[i * n + i] += sigma * sigma
  const rhs = mat(n, 1)
  for (let i = 0; i < n; i++) rhs.a[i] = x[i] - mu[i]
  const w = solveSpd(S, rhs)
  const out = matvec(Sigma, w.a)
  for (let i = 0; i < n; i++) out[i] += mu[i]
  return out
}

test('Karras schedule: endpoints, ρ-spacing, monotone, trailing zero; snapping keeps order and count', () => {
  const s = karrasSchedule(10)
  assert.equal(s.length, 11)
  assert.ok(Math.abs(s[0] - 80) < 1e-12)
  assert.ok(Math.abs(s[9] - 0.002) < 1e-15)
  assert.equal(s[10], 0)
  for (let i = 0; i < 10; i++) assert.ok(s[i] > s[i + 1])
  // σ^{1/ρ} is evenly spaced.
  const d = Math.pow(s[1], 1 / 7) - Math.pow(s[0], 1 / 7)
  for (let i = 1; i < 9; i++) assert.ok(Math.abs(Math.pow(s[i + 1], 1 / 7) - Math.pow(s[i], 1 / 7) - d) < 1e-12)
  const custom = karrasSchedule(5, { sigmaMax: 10, sigmaMin: 0.1, rho: 3 })
  assert.ok(Math.abs(custom[0] - 10) < 1e-12 && Math.abs(custom[4] - 0.1) < 1e-14)
  assert.deepEqual([...karrasSchedule(1)], [80, 0])

  const snapped = karrasSchedule(50)
  const idx = snapLevel(snapped, 0.05)
  assert.ok(idx > 0)
  assert.equal(snapped[idx], 0.05)
  for (let i = 0; i < 50; i++) assert.ok(snapped[i] > snapped[i + 1])
  assert.equal(snapLevel(karrasSchedule(50), 1e-4), -1) // below σ_min: nothing to snap

  assert.throws(() => karrasSchedule(0), /steps must be a positive integer/)
  assert.throws(() => karrasSchedule(10, { sigmaMin: 0 }), /sigmaMin/)
  assert.throws(() => karrasSchedule(10, { sigmaMax: 0.001 }), /sigmaMax/)
  assert.throws(() => karrasSchedule(10, { rho: -1 }), /rho/)
})

test('dense DFT helper matches the engine FFT (fft2c convention), so the dense checks are independent', () => {
  for (const [H, W] of [[4, 4], [3, 5]]) {
    const n = H * W
    const F = denseDft(H, W)
    const x = randomComplex(n, 3)
    const y: CArray = { re: x.re.slice(), im: x.im.slice() }
    fft2c(y, [H, W])
    const yr = new Float64Array(n)
    const yi = new Float64Array(n)
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < n; j++) {
        yr[k] += F.re.a[k * n + j] * x.re[j] - F.im.a[k * n + j] * x.im[j]
        yi[k] += F.re.a[k * n + j] * x.im[j] + F.im.a[k * n + j] * x.re[j]
      }
    }
    assert.ok(maxAbsDiff(yr, y.re) < 1e-12 && maxAbsDiff(yi, y.im) < 1e-12, `${H}×${W}`)
  }
})

test('Gaussian prior denoiser equals μ + Σ(Σ + σ²I)⁻¹(x − μ) from dense matrices (4×4 and 3×5, both bases)', () => {
  for (const [H, W] of [[4, 4], [3, 5]]) {
    const n = H * W
    const rng = new Rng(H * 10 + W)
    const v = Float64Array.from({ length: n }, () => 0.005 + 0.05 * rng.uniform())
    const mu = Float64Array.from({ length: n }, () => rng.uniform())
    const p = smoothSpectrum(H, W, 0.03, 0.2)
    const { cov, maxImag } = stationaryCovariance(H, W, p)
    assert.ok(maxImag < 1e-15, 'symmetric spectrum ⇒ real covariance')
    const cases: [GaussianPrior, Mat][] = [
      [GaussianPrior.pixel(H, W, mu, v), diagonalMatrix(v)],
      [GaussianPrior.stationary(H, W, mu, p), cov]
    ]
    for (const [prior, Sigma] of cases) {
      for (const sigma of [0.01, 0.3, 5, 80]) {
        const x = Float64Array.from(mu, (m, i) => m + sigma * randomReal(n, 9)[i])
        const got = prior.denoise(x, sigma, H, W)
        const want = denseDenoise(Sigma, mu, x, sigma)
        assert.ok(maxAbsDiff(got, want) < 1e-12, `${prior.basis} ${H}×${W} σ=${sigma}: ${maxAbsDiff(got, want)}`)
      }
      // Pixel variances and Σv against the dense matrix.
      const pv = prior.pixelVariance()
      for (let i = 0; i < n; i++) assert.ok(Math.abs(pv[i] - Sigma.a[i * n + i]) < 1e-14)
      const r = randomReal(n, 4)
      assert.ok(maxAbsDiff(prior.applyCovariance(r), matvec(Sigma, r)) < 1e-14)
    }
  }
})

test('Gaussian prior VJP: Jᵀr matches central finite differences of D and ⟨Jᵀr, u⟩ = ⟨r, J u⟩', () => {
  const H = 4, W = 4, n = 16
  const priors = [
    GaussianPrior.pixel(H, W, 0.3, Float64Array.from({ length: n }, (_, i) => 0.01 + 0.003 * i)),
    GaussianPrior.stationary(H, W, 0.4, smoothSpectrum(H, W, 0.04, 0.15))
  ]
  for (const prior of priors) {
    for (const sigma of [0.02, 0.5, 10]) {
      const x = randomReal(n, 1, 0.5)
      const r = randomReal(n, 2)
      const { denoised, vjp } = prior.denoiseVjp(x, sigma, r, H, W)
      assert.deepEqual(denoised, prior.denoise(x, sigma, H, W))
      // J r by central differences (D is affine, so this is exact up to rounding); J is
      // symmetric, so it must equal Jᵀ r.
      const h = 1e-3
      const xp = Float64Array.from(x, (v, i) => v + h * r[i])
      const xm = Float64Array.from(x, (v, i) => v - h * r[i])
      const dp = prior.denoise(xp, sigma, H, W)
      const dm = prior.denoise(xm, sigma, H, W)
      const fd = Float64Array.from(dp, (v, i) => (v - dm[i]) / (2 * h))
      assert.ok(maxAbsDiff(fd, vjp) < 1e-9, `${prior.basis} σ=${sigma}: ${maxAbsDiff(fd, vjp)}`)
      // Adjointness with an independent direction u.
      const u = randomReal(n, 5)
      const ju = prior.denoiseVjp(x, sigma, u, H, W).vjp
      let a = 0, b = 0
      for (let i = 0; i < n; i++) {
        a += vjp[i] * u[i]
        b += r[i] * ju[i]
      }
      assert.ok(Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(a)))
    }
  }
})

test('Gaussian prior samples have the prior covariance (stationary 4×4, 4000 draws)', () => {
  const H = 4, W = 4, n = 16
  const p = smoothSpectrum(H, W, 0.04, 0.2)
  const prior = GaussianPrior.stationary(H, W, 0.5, p)
  const { cov } = stationaryCovariance(H, W, p)
  const rng = new Rng(12)
  const K = 4000
  const m = new Float64Array(n)
  const c = new Float64Array(n * n)
  for (let k = 0; k < K; k++) {
    const x = prior.sample(rng)
    for (let i = 0; i < n; i++) {
      m[i] += x[i] / K
      for (let j = 0; j < n; j++) c[i * n + j] += ((x[i] - 0.5) * (x[j] - 0.5)) / K
    }
  }
  // Sampling error of a covariance entry ≈ √((Σ_ii Σ_jj + Σ_ij²)/K) ≤ 0.04·√2/63 ≈ 1e-3.
  for (let i = 0; i < n; i++) assert.ok(Math.abs(m[i] - 0.5) < 5 * Math.sqrt(0.04 / K))
  assert.ok(maxAbsDiff(c, cov.a) < 5e-3, `max covariance error ${maxAbsDiff(c, cov.a)}`)
})

test('Gaussian prior rejects bad input: asymmetric spectrum, negative variance, size mismatch, σ ≤ 0', () => {
  const p = smoothSpectrum(4, 4, 0.04)
  p[1] *= 2 // breaks p(−k) = p(k)
  assert.throws(() => GaussianPrior.stationary(4, 4, 0, p), /symmetric/)
  assert.throws(() => GaussianPrior.pixel(4, 4, 0, -1), /≥ 0/)
  assert.throws(() => GaussianPrior.pixel(4, 4, new Float64Array(3), 1), /mean image has 3 values/)
  const prior = GaussianPrior.pixel(4, 4, 0, 1)
  assert.throws(() => prior.denoise(new Float64Array(16), 0, 4, 4), /sigma must be positive/)
  assert.throws(() => prior.denoise(new Float64Array(25), 1, 5, 5), /4×4, asked to denoise 5×5/)
  assert.throws(() => prior.denoise(new Float64Array(15), 1, 4, 4), /x has 15 values/)
  // negIndex: −k on a centred axis, its own inverse, DC and (even n) Nyquist fixed.
  for (const n of [4, 5, 8]) {
    for (let i = 0; i < n; i++) assert.equal(negIndex(negIndex(i, n), n), i)
    assert.equal(negIndex(Math.floor(n / 2), n), Math.floor(n / 2))
  }
  assert.equal(negIndex(0, 8), 0)
})

test('finite-difference VJP fallback equals the exact VJP for a symmetric-Jacobian denoiser', async () => {
  const H = 8, W = 8, n = 64
  const prior = GaussianPrior.stationary(H, W, 0.4, smoothSpectrum(H, W, 0.04, 0.15))
  const noVjp: Denoiser = { id: 'no-vjp', denoise: (x, s, h, w) => prior.denoise(x, s, h, w) }
  for (const sigma of [0.01, 1, 50]) {
    const x = randomReal(n, 8, 0.3 + sigma)
    const r = randomReal(n, 9)
    const D = prior.denoise(x, sigma, H, W)
    const fd = await callVjp(noVjp, x, D, sigma, r, H, W)
    const ex = await callVjp(prior, x, D, sigma, r, H, W)
    assert.equal(fd.exact, false)
    assert.equal(ex.exact, true)
    let num = 0, den = 0
    for (let i = 0; i < n; i++) {
      num += (fd.vjp[i] - ex.vjp[i]) ** 2
      den += ex.vjp[i] ** 2
    }
    assert.ok(Math.sqrt(num / den) < 1e-6, `σ=${sigma}: relative error ${Math.sqrt(num / den)}`)
  }
})

test('withPhase: A′(m) = A(m·e^{iφ}), exact adjoint, norm kept', () => {
  const H = 8, W = 8, n = 64
  const rng = new Rng(2)
  const phase = Float64Array.from({ length: n }, () => Math.PI * (2 * rng.uniform() - 1))
  const mask = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.4 ? 1 : 0))
  const A = undersampledFourier([H, W], mask)
  const Ap = withPhase(A, phase)
  assert.equal(Ap.norm, 1)
  const m = randomReal(n, 3)
  const direct = A.forward({
    re: Float64Array.from(m, (v, i) => v * Math.cos(phase[i])),
    im: Float64Array.from(m, (v, i) => v * Math.sin(phase[i]))
  })
  const viaPhase = Ap.forward({ re: m, im: new Float64Array(n) })
  assert.ok(maxAbsDiff(direct.re, viaPhase.re) < 1e-14 && maxAbsDiff(direct.im, viaPhase.im) < 1e-14)
  const x = randomComplex(n, 4)
  const y = randomComplex(n, 5)
  const lhs = cdot(Ap.forward(x), y)
  const rhs = cdot(x, Ap.adjoint(y))
  assert.ok(Math.abs(lhs.re - rhs.re) < 1e-12 && Math.abs(lhs.im - rhs.im) < 1e-12)
  assert.throws(() => withPhase(A, new Float64Array(10)), /phase map has 10 values/)
  assert.throws(() => withPhase(pixelMask([2, 4, 8], new Uint8Array(64)), new Float64Array(64)), /H×W image/)
})

test('estimatePhase recovers a smooth phase from undersampled k-space (fully sampled centre)', () => {
  const H = 32, W = 32, n = H * W
  const mag = new Float64Array(n)
  const phase = new Float64Array(n)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const dy = (r - 16) / 12, dx = (c - 16) / 10
      mag[r * W + c] = dx * dx + dy * dy < 1 ? 0.6 + 0.3 * Math.cos(dx * 3) : 0
      phase[r * W + c] = 0.8 * Math.sin((2 * Math.PI * r) / H) + 1.2 * ((c - 16) / W)
    }
  }
  const rng = new Rng(6)
  const mask = new Uint8Array(n)
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) if (Math.abs(r - 16) < 6 || rng.uniform() < 0.25) mask[r * W + c] = 1
  const A = undersampledFourier([H, W], mask)
  const y = A.forward({ re: Float64Array.from(mag, (m, i) => m * Math.cos(phase[i])), im: Float64Array.from(mag, (m, i) => m * Math.sin(phase[i])) })
  const est = estimatePhase(A.adjoint(y), H, W, { calibration: 12 })
  let worst = 0
  for (let i = 0; i < n; i++) {
    if (mag[i] < 0.5) continue
    const d = Math.abs(Math.atan2(Math.sin(est[i] - phase[i]), Math.cos(est[i] - phase[i])))
    worst = Math.max(worst, d)
  }
  assert.ok(worst < 0.3, `largest phase error inside the object: ${worst.toFixed(3)} rad`)
  assert.throws(() => estimatePhase(A.adjoint(y), 16, 16), /expected 16×16/)
})
