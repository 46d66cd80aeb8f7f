/**
 * The samplers against posteriors known in closed form (the textbook's Example 7.4): a Gaussian
 * prior N(μ, Σ), y = A x + n with n ~ N(0, s²I), posterior mean μ + ΣAᵀ(AΣAᵀ + s²I)⁻¹(y − Aμ)
 * and covariance Σ − ΣAᵀ(AΣAᵀ + s²I)⁻¹AΣ computed densely in the test.
 *
 * Measurement-consistency sampling is exact here (up to the SDE discretisation) because A
 * measures coordinates of Σ's eigenbasis: above the noise level s the measured coordinates are
 * set to ỹ = y + √(σ² − s²)·(noise), which has exactly the law of x_σ given y; from s down to 0
 * the reverse SDE turns x_s = y into a draw of p(x₀ | x_s = y), which is the posterior of a
 * coordinate observed with noise s; unmeasured coordinates are independent of the measured ones
 * and follow the prior. (With a correlated prior and a pixel mask the replacement is not exact:
 * it conditions the unmeasured pixels on the noised ỹ rather than on y.)
 *
 * Tolerances. Per pixel the sample mean has standard error √(C_ii/K), so with 64 pixels a
 * 4.5σ bound fails by chance with probability ≈ 4e-4. A sample variance from K = 1000 draws has
 * relative standard error √(2/K) ≈ 4.5 %; its largest deviation over 64 pixels is ~±12 %, and
 * the stochastic Heun solver's discretisation bias at 100 steps is −1…−3 % (exact propagation
 * of the same recursion for a scalar Gaussian), hence [0.75, 1.25] per pixel and ±8 % for the
 * average over pixels.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { measurementConsistency } from '../../src-main/engine/diffusion/measurement-consistency.ts'
import { dps } from '../../src-main/engine/diffusion/dps.ts'
import type { Denoiser } from '../../src-main/engine/diffusion/denoiser.ts'
import type { SamplerResult } from '../../src-main/engine/diffusion/core.ts'
import { fourierProblem, inpaintingProblem, type GaussianProblem } from '../helpers/diffusion-problems.ts'

interface Agreement {
  /** max_i |m̂_i − m_i| / √(C_ii / K) */
  meanZ: number
  /** max_i |m̂_i − m_i| / √Σ_ii */
  meanVsPrior: number
  ratios: number[]
  meanRatio: number
}

function agreement(p: GaussianProblem, r: SamplerResult, K: number, pixels?: (i: number) => boolean): Agreement {
  let meanZ = 0
  let meanVsPrior = 0
  const ratios: number[] = []
  for (let i = 0; i < p.postMean.length; i++) {
    if (pixels && !pixels(i)) continue
    const e = Math.abs(r.mean[i] - p.postMean[i])
    meanZ = Math.max(meanZ, e / Math.sqrt(p.postVar[i] / K))
    meanVsPrior = Math.max(meanVsPrior, e / Math.sqrt(p.priorVar[i]))
    ratios.push(r.std[i] ** 2 / p.postVar[i])
  }
  return { meanZ, meanVsPrior, ratios, meanRatio: ratios.reduce((a, b) => a + b, 0) / ratios.length }
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y)
  return s[s.length >> 1]
}

function describe(a: Agreement): string {
  return `mean error ≤ ${a.meanZ.toFixed(2)} standard errors (${a.meanVsPrior.toFixed(3)} prior std); variance ratio mean ${a.meanRatio.toFixed(3)}, range ${Math.min(...a.ratios).toFixed(3)}–${Math.max(...a.ratios).toFixed(3)}`
}

const K = 1000

test('measurement consistency samples the exact posterior: inpainting, independent-pixel prior (K = 1000)', async () => {
  const p = inpaintingProblem(0.05)
  const r = await measurementConsistency(p.A, p.y, p.prior, { samples: K, measurementNoise: p.s, seed: 1, keepSamples: false })
  assert.equal(r.params.consistency, 'projection')
  assert.equal(r.params.solver, 'sde-heun')
  const a = agreement(p, r, K)
  console.log(`  inpainting MC (${r.seconds.toFixed(1)} s): ${describe(a)}`)
  assert.ok(a.meanZ < 4.5, describe(a))
  assert.ok(a.meanVsPrior < 0.15, describe(a))
  assert.ok(Math.abs(a.meanRatio - 1) < 0.08, describe(a))
  for (const q of a.ratios) assert.ok(q > 0.75 && q < 1.25, describe(a))
  // The measured pixels really are posterior draws, not copies of y: their spread is ≈ s.
  const measured = agreement(p, r, K, (i) => p.known![i] === 1)
  assert.ok(Math.abs(measured.meanRatio - 1) < 0.1, describe(measured))
})

test('measurement consistency samples the exact posterior: undersampled Fourier, stationary prior (K = 1000)', async () => {
  const p = fourierProblem(0.05)
  const r = await measurementConsistency(p.A, p.y, p.prior, { samples: K, measurementNoise: p.s, seed: 2, keepSamples: false })
  const a = agreement(p, r, K)
  console.log(`  Fourier MC (${r.seconds.toFixed(1)} s): ${describe(a)}`)
  assert.ok(a.meanZ < 4.5, describe(a))
  assert.ok(a.meanVsPrior < 0.15, describe(a))
  assert.ok(Math.abs(a.meanRatio - 1) < 0.08, describe(a))
  for (const q of a.ratios) assert.ok(q > 0.75 && q < 1.25, describe(a))
})

test('the clean-data variant (the app default) is exact in the eigenbasis too: undersampled Fourier (K = 1000)', async () => {
  // Measured coordinates held at y from σ_max down to s, then the reverse SDE: x_s = y is again
  // exactly what p(x₀ | x_s = y) needs, and the unmeasured coordinates never see the measured
  // ones. (With learned priors and correlated pixels the two variants differ; see the docs.)
  const p = fourierProblem(0.05)
  const r = await measurementConsistency(p.A, p.y, p.prior, { samples: K, measurementNoise: p.s, noisedMeasurement: false, seed: 7, keepSamples: false })
  assert.equal(r.params.noisedMeasurement, false)
  const a = agreement(p, r, K)
  console.log(`  Fourier MC, clean data (${r.seconds.toFixed(1)} s): ${describe(a)}`)
  assert.ok(a.meanZ < 4.5, describe(a))
  assert.ok(a.meanVsPrior < 0.15, describe(a))
  assert.ok(Math.abs(a.meanRatio - 1) < 0.08, describe(a))
  for (const q of a.ratios) assert.ok(q > 0.75 && q < 1.25, describe(a))
})

test('the noise level matters: enforcing y down to σ = 0 (noise ignored) collapses the measured pixels', async () => {
  // Song et al.'s original rule (ỹ = y + σ·noise at every level, final replacement) treats y as
  // noiseless, so measured pixels end exactly at y: zero spread where the posterior has ≈ s².
  const p = inpaintingProblem(0.05)
  const r = await measurementConsistency(p.A, p.y, p.prior, { samples: 200, seed: 3, keepSamples: false })
  const measured = agreement(p, r, 200, (i) => p.known![i] === 1)
  assert.ok(measured.meanRatio < 1e-12, describe(measured))
  // … and fit y as well as a real image can: only Im y (pure noise for a real mask) is left.
  let imag = 0
  let total = 0
  for (let i = 0; i < p.y.re.length; i++) {
    imag += p.y.im[i] ** 2
    total += p.y.re[i] ** 2 + p.y.im[i] ** 2
  }
  for (const d of r.dcResidual) assert.ok(Math.abs(d - Math.sqrt(imag / total)) < 1e-12, `${d} vs ${Math.sqrt(imag / total)}`)
})

test('DPS variance collapse at small measurement noise (textbook Fig. 7.11), where measurement consistency is right', async () => {
  // Small noise: s = 0.02 against prior standard deviations 0.1–0.25.
  const p = inpaintingProblem(0.02)
  const isMeasured = (i: number): boolean => p.known![i] === 1
  // Algorithm 7.1's weighting (likelihood 1/s², ζ = 1) with the deterministic DDIM/Euler sampler;
  // 200 steps keep the stiff explicit update stable at this s.
  const textbook = await dps(p.A, p.y, p.prior, { samples: 200, steps: 200, solver: 'euler', stepSize: 'likelihood', measurementNoise: p.s, seed: 4, keepSamples: false })
  const dpsMeasured = agreement(p, textbook, 200, isMeasured)
  const dpsFree = agreement(p, textbook, 200, (i) => !isMeasured(i))
  // The same sampler with stochastic (ancestral) steps re-injects some spread but not enough.
  const ancestral = await dps(p.A, p.y, p.prior, { samples: 200, steps: 400, solver: 'ancestral', stepSize: 'likelihood', measurementNoise: p.s, seed: 5, keepSamples: false })
  const ancMeasured = agreement(p, ancestral, 200, isMeasured)
  const mc = await measurementConsistency(p.A, p.y, p.prior, { samples: 300, measurementNoise: p.s, seed: 6, keepSamples: false })
  const mcMeasured = agreement(p, mc, 300, isMeasured)
  console.log(`  DPS (Euler) measured pixels: ${describe(dpsMeasured)}`)
  console.log(`  DPS (Euler) unmeasured pixels: ${describe(dpsFree)}`)
  console.log(`  DPS (ancestral) measured pixels: ${describe(ancMeasured)}`)
  console.log(`  MC measured pixels: ${describe(mcMeasured)}`)
  assert.ok(median(dpsMeasured.ratios) < 0.3, describe(dpsMeasured))
  assert.ok(median(ancMeasured.ratios) < 0.65, describe(ancMeasured))
  assert.ok(Math.abs(median(mcMeasured.ratios) - 1) < 0.2, describe(mcMeasured))
  // The DPS mean still sits on the posterior mean where measured (≈ y for small s) …
  assert.ok(dpsMeasured.meanVsPrior < 0.1, describe(dpsMeasured))
  // … and the unmeasured pixels (independent of the data here) keep their prior spread.
  assert.ok(Math.abs(dpsFree.meanRatio - 1) < 0.25, describe(dpsFree))
})

test('DPS without denoiseVjp falls back to finite differences, with a warning, and matches the exact gradient here', async () => {
  const p = fourierProblem(0.05)
  const noVjp: Denoiser = { id: 'fd-only', denoise: (x, s, h, w) => p.prior.denoise(x, s, h, w) }
  const opts = { samples: 3, steps: 30, zeta: 0.3, seed: 8 }
  const exact = await dps(p.A, p.y, p.prior, opts)
  const fd = await dps(p.A, p.y, noVjp, opts)
  assert.deepEqual(exact.warnings, [])
  assert.equal(fd.warnings.length, 1)
  assert.match(fd.warnings[0], /finite-difference/)
  assert.equal(fd.params.gradient, 'finite-difference')
  assert.equal(exact.params.gradient, 'vjp')
  // The Gaussian denoiser is affine with a symmetric Jacobian, so J·r = Jᵀr up to rounding.
  let worst = 0
  for (let k = 0; k < 3; k++) for (let i = 0; i < 64; i++) worst = Math.max(worst, Math.abs(fd.samples[k][i] - exact.samples[k][i]))
  assert.ok(worst < 1e-6, `largest difference ${worst}`)
})
