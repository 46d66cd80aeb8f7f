/**
 * Sampler mechanics and a sanity run: determinism per seed (and per sample), progress /
 * preview / cancellation, option and shape validation, asynchronous denoisers, and 32×32
 * phantom reconstructions (inpainting, undersampled Fourier, Fourier with an image phase) that
 * must beat the zero-filled baseline.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dps, type DPSOptions } from '../../src-main/engine/diffusion/dps.ts'
import { measurementConsistency, type MeasurementConsistencyOptions } from '../../src-main/engine/diffusion/measurement-consistency.ts'
import { GaussianPrior, smoothSpectrum } from '../../src-main/engine/diffusion/gaussian-prior.ts'
import { estimatePhase, withPhase } from '../../src-main/engine/diffusion/phase.ts'
import type { Denoiser } from '../../src-main/engine/diffusion/denoiser.ts'
import type { SamplerResult } from '../../src-main/engine/diffusion/core.ts'
import { gaussianBlur, pixelMask, sense, undersampledFourier, type LinearOperator } from '../../src-main/engine/linops/index.ts'
import { CancelledError, type Progress } from '../../src-main/engine/progress.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import type { CArray } from '../../src-main/engine/complex.ts'
import { bernoulliMask, ellipsePhantom, mriMask } from '../helpers/tv-reference.ts'
import { fourierProblem, inpaintingProblem, measure } from '../helpers/diffusion-problems.ts'

type Sampler = (A: LinearOperator, y: CArray, d: Denoiser, o: DPSOptions & MeasurementConsistencyOptions, c?: Parameters<typeof dps>[4]) => Promise<SamplerResult>
const SAMPLERS: [string, Sampler][] = [
  ['DPS', (A, y, d, o, c) => dps(A, y, d, { zeta: 0.3, ...o }, c)],
  ['measurement consistency', (A, y, d, o, c) => measurementConsistency(A, y, d, o, c)]
]

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]))
}

/** Wraps a denoiser to count calls (and optionally answer asynchronously). */
function counting(d: Denoiser, async = false): { den: Denoiser; calls: () => number } {
  let calls = 0
  const den: Denoiser = {
    id: `counting(${d.id})`,
    denoise: (x, s, H, W) => {
      calls++
      const out = d.denoise(x, s, H, W) as Float64Array
      return async ? Promise.resolve(out) : out
    },
    denoiseVjp: (x, s, r, H, W) => {
      calls++
      const out = d.denoiseVjp!(x, s, r, H, W) as { denoised: Float64Array; vjp: Float64Array }
      return async ? new Promise((resolve) => setImmediate(() => resolve(out))) : out
    }
  }
  return { den, calls: () => calls }
}

for (const [name, run] of SAMPLERS) {
  test(`${name}: deterministic for a seed, different seeds differ, each sample independent of K`, async () => {
    const p = fourierProblem(0.05)
    const a = await run(p.A, p.y, p.prior, { samples: 2, steps: 20, seed: 5 })
    const b = await run(p.A, p.y, p.prior, { samples: 2, steps: 20, seed: 5 })
    const c = await run(p.A, p.y, p.prior, { samples: 2, steps: 20, seed: 6 })
    const one = await run(p.A, p.y, p.prior, { samples: 1, steps: 20, seed: 5 })
    assert.equal(a.samples.length, 2)
    for (let k = 0; k < 2; k++) assert.ok(sameBits(a.samples[k], b.samples[k]))
    assert.ok(sameBits(a.mean, b.mean) && sameBits(a.std, b.std))
    assert.deepEqual(a.dcResidual, b.dcResidual)
    assert.ok(!sameBits(a.samples[0], c.samples[0]))
    assert.ok(!sameBits(a.samples[0], a.samples[1]))
    assert.ok(sameBits(one.samples[0], a.samples[0]), 'sample 0 must not depend on how many samples are drawn')
    assert.ok(one.std.every((v) => v === 0), 'one sample: std is zero')
    // mean and std are the per-pixel statistics of the samples.
    for (let i = 0; i < 64; i++) {
      const m = (a.samples[0][i] + a.samples[1][i]) / 2
      assert.ok(Math.abs(a.mean[i] - m) < 1e-15)
      assert.ok(Math.abs(a.std[i] - Math.abs(a.samples[0][i] - a.samples[1][i]) / Math.SQRT2) < 1e-12)
    }
    assert.ok(a.seconds >= 0)
    assert.equal(a.params.steps, 20)
    assert.equal(a.params.seed, 5)
    assert.equal(a.params.denoiser, p.prior.id)
  })

  test(`${name}: progress once per step (total K·N), previews every k steps, async denoiser gives the same result`, async () => {
    const p = inpaintingProblem(0.05)
    const events: Progress[] = []
    const previews: [CArray, number][] = []
    const K = 2, N = 15
    const { den, calls } = counting(p.prior, true)
    const r = await run(p.A, p.y, den, { samples: K, steps: N, seed: 1 }, {
      onProgress: (e) => events.push(e),
      onPreview: (img, step) => previews.push([img, step]),
      previewEvery: 4
    })
    assert.equal(events.length, K * N)
    events.forEach((e, i) => {
      assert.equal(e.step, i + 1)
      assert.equal(e.total, K * N)
      assert.match(e.message ?? '', /σ = /)
    })
    assert.deepEqual(previews.map(([, s]) => s), [4, 8, 12, 16, 20, 24, 28])
    for (const [img] of previews) {
      assert.equal(img.re.length, 64)
      assert.ok(img.im.every((v) => v === 0))
    }
    assert.ok(calls() >= K * N)
    const sync = await run(p.A, p.y, p.prior, { samples: K, steps: N, seed: 1 })
    for (let k = 0; k < K; k++) assert.ok(sameBits(r.samples[k], sync.samples[k]))
  })

  test(`${name}: cancellation stops within one step, before the start, and from a timer with a synchronous denoiser`, async () => {
    const p = inpaintingProblem(0.05)
    const ac = new AbortController()
    const { den, calls } = counting(p.prior)
    let last = 0
    await assert.rejects(
      run(p.A, p.y, den, { samples: 3, steps: 50 }, {
        signal: ac.signal,
        onProgress: (e) => {
          last = e.step
          if (e.step === 5) ac.abort()
        }
      }),
      CancelledError
    )
    assert.equal(last, 5)
    // At most the evaluations of 5 steps (two per step for either sampler here).
    assert.ok(calls() <= 10, `${calls()} denoiser calls`)

    const pre = new AbortController()
    pre.abort()
    const c2 = counting(p.prior)
    await assert.rejects(run(p.A, p.y, c2.den, { samples: 1, steps: 10 }, { signal: pre.signal }), CancelledError)
    assert.equal(c2.calls(), 0)

    // A synchronous denoiser never yields by itself; the sampler must still see a timer's abort.
    const timed = new AbortController()
    const t0 = Date.now()
    setTimeout(() => timed.abort(), 30)
    await assert.rejects(run(p.A, p.y, p.prior, { samples: 1000, steps: 100 }, { signal: timed.signal }), CancelledError)
    assert.ok(Date.now() - t0 < 2000, `cancelled after ${Date.now() - t0} ms`)
  })

  test(`${name}: bad options and mismatched shapes give clear errors`, async () => {
    const p = inpaintingProblem(0.05)
    const bad: [Partial<DPSOptions & MeasurementConsistencyOptions>, RegExp][] = [
      [{ steps: 0 }, /steps must be a positive integer/],
      [{ steps: 2.5 }, /steps must be a positive integer/],
      [{ samples: 0 }, /samples must be a positive integer/],
      [{ seed: 1.5 }, /seed must be an integer/],
      [{ churn: -1 }, /churn must be/],
      [{ solver: 'ancestral', churn: 2 }, /churn adds noise to the deterministic solvers only/],
      [{ solver: 'rk4' as never }, /solver must be one of/],
      [{ measurementNoise: -0.1 }, /measurementNoise must be/],
      [{ schedule: { sigmaMin: -1 } }, /sigmaMin/]
    ]
    for (const [o, re] of bad) await assert.rejects(run(p.A, p.y, p.prior, o), re, JSON.stringify(o))
    // Shapes: y of the wrong size, an operator that is not on a 2-D image, a prior of another size.
    await assert.rejects(run(p.A, { re: new Float64Array(10), im: new Float64Array(10) }, p.prior, {}), /expected an array of shape 8×8 \(64 values\), got 10/)
    // SENSE maps an 8×8 image to 2×8×8 coil k-space: fine with coil data, an error with 8×8 data.
    const coil = sense({ re: new Float64Array(2 * 64).fill(Math.SQRT1_2), im: new Float64Array(2 * 64) }, [2, 8, 8], p.known!)
    await assert.rejects(run(coil, p.y, p.prior, { steps: 2 }), /expected an array of shape 2×8×8 \(128 values\), got 64/)
    const ok = await run(coil, coil.forward({ re: p.x0, im: new Float64Array(64) }), p.prior, { steps: 2 })
    assert.equal(ok.mean.length, 64)
    const threeD = pixelMask([1, 8, 8], new Uint8Array(64).fill(1))
    await assert.rejects(run(threeD, { re: new Float64Array(64), im: new Float64Array(64) }, p.prior, {}), /need an operator on a 2-D image \(H×W\), got domain 1×8×8/)
    const A16 = pixelMask([16, 16], new Uint8Array(256).fill(1))
    await assert.rejects(run(A16, A16.forward({ re: new Float64Array(256), im: new Float64Array(256) }), p.prior, { steps: 2 }), /8×8, asked to denoise 16×16/)
    const yNaN = { re: p.y.re.slice(), im: p.y.im.slice() }
    yNaN.re[3] = NaN
    await assert.rejects(run(p.A, yNaN, p.prior, {}), /measurement contains NaN/)
    const short: Denoiser = { id: 'short', denoise: () => new Float64Array(10) }
    await assert.rejects(run(p.A, p.y, short, { steps: 2 }), /denoiser short: denoise returned 10 values, expected 64/)
    const nan: Denoiser = { id: 'nan', denoise: (x) => x.map(() => NaN) }
    await assert.rejects(run(p.A, p.y, nan, { steps: 2 }), /denoiser nan: denoise returned NaN/)
  })
}

test('DPS-specific options: ζ ≥ 0, step-size kind, the likelihood step needs s; a diverging likelihood step is reported', async () => {
  const p = inpaintingProblem(0.01)
  await assert.rejects(dps(p.A, p.y, p.prior, { zeta: -1 }), /zeta must be a finite number ≥ 0/)
  await assert.rejects(dps(p.A, p.y, p.prior, { stepSize: 'adaptive' as never }), /stepSize must be 'normalized' or 'likelihood'/)
  await assert.rejects(dps(p.A, p.y, p.prior, { stepSize: 'likelihood' }), /needs measurementNoise > 0/)
  await assert.rejects(dps(p.A, p.y, p.prior, { solver: 'heun' }), /solver must be one of ancestral, euler, sde/)
  // s = 0.01 with 100 steps: the explicit 1/s²-weighted step is unstable (see dps.ts).
  await assert.rejects(dps(p.A, p.y, p.prior, { stepSize: 'likelihood', measurementNoise: 0.01, steps: 100 }), /DPS diverged at σ = .* use more steps/)
  // ζ = 0 is the unconditional sampler: no gradient evaluations at all.
  const { den, calls } = counting(p.prior)
  const r = await dps(p.A, p.y, den, { zeta: 0, steps: 10 })
  assert.equal(calls(), 10)
  assert.equal(r.params.zeta, 0)
  // The default ζ follows the image size (18 at 256², 0.5625 at 8²).
  const d = await dps(p.A, p.y, p.prior, { steps: 2 })
  assert.equal(d.params.zeta, 0.5625)
})

test('measurement-consistency-specific options: λ ∈ [0, 1], consistency kind, corrector steps, snr', async () => {
  const p = inpaintingProblem(0.05)
  for (const lambda of [-0.1, 1.5, NaN]) await assert.rejects(measurementConsistency(p.A, p.y, p.prior, { lambda }), /lambda must be in \[0, 1\]/)
  await assert.rejects(measurementConsistency(p.A, p.y, p.prior, { consistency: 'exact' as never }), /consistency must be 'auto', 'projection' or 'gradient'/)
  await assert.rejects(measurementConsistency(p.A, p.y, p.prior, { correctorSteps: -1 }), /correctorSteps must be an integer ≥ 0/)
  await assert.rejects(measurementConsistency(p.A, p.y, p.prior, { snr: 0 }), /snr must be a positive number/)
  // 'auto' picks the projection for masks and the gradient form otherwise.
  const blur = gaussianBlur(8, 8, 1)
  const yb = blur.forward({ re: p.x0, im: new Float64Array(64) })
  const rb = await measurementConsistency(blur, yb, p.prior, { steps: 5 })
  assert.equal(rb.params.consistency, 'gradient')
  const rm = await measurementConsistency(p.A, p.y, p.prior, { steps: 5 })
  assert.equal(rm.params.consistency, 'projection')
  // λ = 0 is the unconditional sampler; a corrector step adds one evaluation per level.
  const c0 = counting(p.prior)
  await measurementConsistency(p.A, p.y, c0.den, { steps: 10, solver: 'sde', correctorSteps: 1 })
  assert.equal(c0.calls(), 20)
  const free = await measurementConsistency(p.A, p.y, p.prior, { steps: 10, lambda: 0, seed: 3 })
  const zeroY = { re: new Float64Array(64), im: new Float64Array(64) }
  const free0 = await measurementConsistency(p.A, zeroY, p.prior, { steps: 10, lambda: 0, seed: 3 })
  assert.ok(sameBits(free.samples[0], free0.samples[0]), 'λ = 0 ignores the data')
  assert.equal(free.params.lambda, 0)
})

test('every solver (and churn for the deterministic ones) runs, is reproducible and ends on the data', async () => {
  const p = fourierProblem(0.05)
  for (const solver of ['euler', 'heun', 'ancestral', 'sde', 'sde-heun'] as const) {
    for (const churn of solver === 'euler' || solver === 'heun' ? [0, 10] : [0]) {
      const o = { samples: 2, steps: 25, seed: 9, solver, churn, measurementNoise: p.s }
      const a = await measurementConsistency(p.A, p.y, p.prior, o)
      const b = await measurementConsistency(p.A, p.y, p.prior, o)
      assert.ok(sameBits(a.samples[1], b.samples[1]), `${solver} churn ${churn}`)
      assert.equal(a.params.churn, churn)
      // Each sample starts from its own noise, so even the deterministic solvers differ per sample.
      assert.ok(!sameBits(a.samples[0], a.samples[1]))
      for (const d of a.dcResidual) assert.ok(d < 0.3, `${solver}: residual ${d}`)
      if (solver !== 'heun' && solver !== 'sde-heun') {
        const g = await dps(p.A, p.y, p.prior, { ...o, zeta: 0.3 })
        for (const d of g.dcResidual) assert.ok(d < 0.3, `DPS ${solver}: residual ${d}`)
      }
    }
  }
})

test('few steps: the default stochastic Heun solver stays stable (large steps fall back to the ancestral step)', async () => {
  // Unconditional samples (λ = 0) of the Gaussian prior. Plain stochastic Heun amplified each
  // step's noise by (3τ' − τ)/(2τ'): at 5 and 10 steps the sample variance came out 7e4× and
  // 14× the prior's. Coarse but sane now: a fraction of it (0.2–0.35 measured).
  const p = fourierProblem(0.05)
  for (const steps of [5, 10]) {
    const r = await measurementConsistency(p.A, p.y, p.prior, { steps, lambda: 0, samples: 300, seed: 4, keepSamples: false })
    let ratio = 0
    for (let i = 0; i < p.priorVar.length; i++) ratio += r.std[i] ** 2 / p.priorVar[i]
    ratio /= p.priorVar.length
    assert.ok(ratio > 0.1 && ratio < 1.5, `${steps} steps: sample variance ${ratio.toFixed(3)} × the prior's`)
  }
})

/** 32×32 ellipse phantom and a Gaussian prior centred on a blurred copy (an "atlas"). */
function phantomSetup(): { x: Float64Array; prior: GaussianPrior; err: (a: ArrayLike<number>) => number } {
  const H = 32, W = 32, n = H * W
  const x = ellipsePhantom(H, W)
  const atlas = gaussianBlur(H, W, 2).forward({ re: x, im: new Float64Array(n) }).re
  let v = 0
  for (let i = 0; i < n; i++) v += (x[i] - atlas[i]) ** 2
  const prior = GaussianPrior.stationary(H, W, atlas, smoothSpectrum(H, W, v / n, 0.1))
  const err = (a: ArrayLike<number>): number => {
    let s = 0, t = 0
    for (let i = 0; i < n; i++) {
      s += (a[i] - x[i]) ** 2
      t += x[i] ** 2
    }
    return Math.sqrt(s / t)
  }
  return { x, prior, err }
}

test('32×32 phantom: both samplers beat the zero-filled baseline for inpainting and undersampled Fourier', async () => {
  const { x, prior, err } = phantomSetup()
  const s = 0.02
  const rng = new Rng(21)
  const inpaint = pixelMask([32, 32], bernoulliMask(1024, 0.4, 3))
  const fourier = undersampledFourier([32, 32], mriMask(32, 32, 4, 6, 7))
  for (const [label, A, gain] of [['inpainting', inpaint, 0.5], ['Fourier R=4', fourier, 0.96]] as const) {
    const y = measure(A, x, s, rng)
    const zf = A.adjoint(y).re
    const base = err(zf)
    const mc = await measurementConsistency(A, y, prior, { samples: 8, measurementNoise: s, seed: 1 })
    const dp = await dps(A, y, prior, { samples: 8, seed: 1 })
    console.log(`  ${label}: zero-filled ${base.toFixed(3)}, MC mean ${err(mc.mean).toFixed(3)} (${mc.seconds.toFixed(2)} s, ‖Ax̂−y‖/‖y‖ ${mc.dcResidual[0].toFixed(3)}), DPS mean ${err(dp.mean).toFixed(3)} (ζ = ${dp.params.zeta}, ${dp.seconds.toFixed(2)} s, ‖Ax̂−y‖/‖y‖ ${dp.dcResidual[0].toFixed(3)})`)
    // The prior fills what is not measured from the blurred atlas, which is far better than
    // zeros for missing pixels and only somewhat better for missing high frequencies.
    assert.ok(err(mc.mean) < gain * base, `${label} MC`)
    assert.ok(err(dp.mean) < gain * base, `${label} DPS`)
    // Samples agree with the data to about the noise level (‖n‖/‖y‖ ≈ 0.05–0.1 here).
    for (const d of mc.dcResidual) assert.ok(d < 0.2, `${label} MC residual ${d}`)
    for (const d of dp.dcResidual) assert.ok(d < 0.3, `${label} DPS residual ${d}`)
  }
})

test('complex MRI data with an image phase: folding the estimated phase into A keeps the real prior usable', async () => {
  const { x, prior, err } = phantomSetup()
  const H = 32, W = 32, n = H * W
  const phase = new Float64Array(n)
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) phase[r * W + c] = 1.2 * Math.sin((Math.PI * r) / H) + (1.5 * (c - 16)) / W
  const A = undersampledFourier([H, W], mriMask(32, 32, 4, 8, 7))
  const xc = { re: Float64Array.from(x, (m, i) => m * Math.cos(phase[i])), im: Float64Array.from(x, (m, i) => m * Math.sin(phase[i])) }
  const y = A.forward(xc)
  const rng = new Rng(4)
  for (let i = 0; i < n; i++) {
    if (!y.re[i] && !y.im[i]) continue
    y.re[i] += 0.01 * rng.normal()
    y.im[i] += 0.01 * rng.normal()
  }
  const zf = A.adjoint(y)
  const zfMag = Float64Array.from(zf.re, (v, i) => Math.hypot(v, zf.im[i]))
  const Ap = withPhase(A, estimatePhase(zf, H, W, { calibration: 8 }))
  const withPh = await measurementConsistency(Ap, y, prior, { samples: 4, measurementNoise: 0.01, seed: 2 })
  const ignored = await measurementConsistency(A, y, prior, { samples: 4, measurementNoise: 0.01, seed: 2 })
  console.log(`  phase: zero-filled magnitude ${err(zfMag).toFixed(3)}, MC with phase ${err(withPh.mean).toFixed(3)}, MC ignoring the phase ${err(ignored.mean).toFixed(3)}`)
  assert.ok(err(withPh.mean) < err(zfMag))
  assert.ok(err(withPh.mean) < 0.6 * err(ignored.mean))
})

test('DPS on noiseless data converges to the data: the normalised step is capped at a Landweber step', async () => {
  // Uncapped, ζ/‖y − A x̂₀‖ grows as the residual shrinks and the last steps bounce with
  // ‖y − A x̂₀‖ ≈ ζ (measured here: 5–10 % of ‖y‖); capped, the end is a convergent gradient descent.
  const { x, prior, err } = phantomSetup()
  const A = undersampledFourier([32, 32], mriMask(32, 32, 4, 6, 7))
  const y = A.forward({ re: x, im: new Float64Array(x.length) })
  const r = await dps(A, y, prior, { samples: 2, steps: 60, seed: 3, zeta: 1 })
  console.log(`  DPS noiseless R=4: ‖Ax̂−y‖/‖y‖ ${r.dcResidual.map((d) => d.toExponential(1)).join(', ')}, error ${err(r.mean).toFixed(3)}`)
  for (const d of r.dcResidual) assert.ok(d < 0.01, `data residual ${d}`)
})

test('a support mask holds the pixels outside it at exactly zero; inside, the samplers work as before', async () => {
  const { x, prior } = phantomSetup()
  const n = 32 * 32
  const known = bernoulliMask(n, 0.5, 9)
  const A = pixelMask([32, 32], known)
  const y = A.forward({ re: x, im: new Float64Array(n) })
  // Outside: the left 8 columns, which the data only partly see.
  const support = new Uint8Array(n).fill(1)
  for (let r = 0; r < 32; r++) for (let c = 0; c < 8; c++) support[r * 32 + c] = 0
  for (const [name, run] of SAMPLERS) {
    const free = await run(A, y, prior, { steps: 30, seed: 4 })
    const held = await run(A, y, prior, { steps: 30, seed: 4, support })
    let outsideFree = 0
    for (let i = 0; i < n; i++) {
      if (support[i]) continue
      assert.equal(held.mean[i], 0, `${name}: pixel ${i} outside the support`)
      outsideFree += Math.abs(free.mean[i])
    }
    assert.ok(outsideFree > 1, `${name}: without the mask the prior fills those pixels (${outsideFree})`)
    assert.equal(held.params.pixelsOutsideSupport, 8 * 32)
    const all = await run(A, y, prior, { steps: 30, seed: 4, support: new Uint8Array(n).fill(1) })
    assert.ok(sameBits(all.mean, free.mean), `${name}: an all-ones support changes nothing`)
    await assert.rejects(run(A, y, prior, { steps: 3, support: new Uint8Array(5) }), /support has 5 entries for 1024 pixels/)
  }
})
