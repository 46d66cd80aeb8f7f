/**
 * FISTA-TV (fista-tv.ts): agreement with an independent Chambolle–Pock (PDHG) solver and with
 * fixed-point/duality certificates computed here, the relative-λ convention, quality against
 * the back-projection baseline on realistic small problems, continuation, progress/preview/
 * cancellation, input and option validation, and determinism.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fistaTV, FISTA_TV_DEFAULTS, type FistaTVOptions } from '../../src-main/engine/fista-tv.ts'
import {
  downsample, gaussianBlur, identity, pixelMask, undersampledFourier, type LinearOperator
} from '../../src-main/engine/linops/index.ts'
import { CancelledError, type Progress } from '../../src-main/engine/progress.ts'
import type { CArray } from '../../src-main/engine/complex.ts'
import {
  addNoise, bernoulliMask, complexFromReal, diffNorm2, dualMaxNorm, ellipsePhantom, gradAdjoint, mriMask, norm2, objective,
  pdhgProjection, proxDual, proxPrimal, relErr, solveProxDual
} from '../helpers/tv-reference.ts'

const NO_CONTINUATION = { start: 1, decay: 0.5 }

function sameBits(a: CArray, b: CArray): boolean {
  if (a.re.length !== b.re.length) return false
  for (let i = 0; i < a.re.length; i++) if (!Object.is(a.re[i], b.re[i]) || !Object.is(a.im[i], b.im[i])) return false
  return true
}

function clone(x: CArray): CArray {
  return { re: x.re.slice(), im: x.im.slice() }
}

function scale(x: CArray, s: number): CArray {
  return { re: x.re.map((v) => v * s), im: x.im.map((v) => v * s) }
}

function maxAbs(x: CArray): number {
  let m = 0
  for (let i = 0; i < x.re.length; i++) m = Math.max(m, Math.hypot(x.re[i], x.im[i]))
  return m
}

/** The ellipse phantom with a smooth phase (an MRI-like complex image). */
function complexPhantom(H: number, W: number): CArray {
  const mag = ellipsePhantom(H, W)
  const x: CArray = { re: new Float64Array(H * W), im: new Float64Array(H * W) }
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const i = r * W + c
      const ph = 0.6 * Math.sin((2 * Math.PI * r) / H) + (0.4 * c) / W
      x.re[i] = mag[i] * Math.cos(ph)
      x.im[i] = mag[i] * Math.sin(ph)
    }
  }
  return x
}

/** y = A x + noise, with the noise kept only where A measures (AAᴴ is a projection for masks). */
function measure(A: LinearOperator, x: CArray, sigma: number, seed: number, complexNoise = true): CArray {
  return addNoise(A.forward(x), sigma, seed, complexNoise)
}

function maskedMeasure(A: LinearOperator, x: CArray, sigma: number, seed: number): CArray {
  return A.forward(A.adjoint(measure(A, x, sigma, seed)))
}

/**
 * Proximal-gradient fixed-point residual ‖x − prox_{λ/L·TV}(x − Aᴴ(Ax − y)/L)‖/‖x‖ with the
 * prox from the reference dual solver: zero exactly at a minimiser, for any operator.
 */
function fixedPointResidual(A: LinearOperator, y: CArray, x: CArray, lambda: number, L: number, H: number, W: number): number {
  const r = A.forward(x)
  for (let i = 0; i < r.re.length; i++) {
    r.re[i] -= y.re[i]
    r.im[i] -= y.im[i]
  }
  const g = A.adjoint(r)
  const v: CArray = { re: x.re.map((t, i) => t - g.re[i] / L), im: x.im.map((t, i) => t - g.im[i] / L) }
  const q = solveProxDual(v, lambda / L, H, W, 4000)
  const p = gradAdjoint(q, H, W)
  const xp: CArray = { re: v.re.map((t, i) => t - p.re[i]), im: v.im.map((t, i) => t - p.im[i]) }
  return Math.sqrt(diffNorm2(xp, x) / norm2(x))
}

// -------------------------------------------------------------------------------------------
// Against independent solvers

test('FISTA-TV reaches the minimiser found by an independent PDHG solver (MRI and inpainting, 32×32)', () => {
  const H = 32, W = 32
  const gt = complexPhantom(H, W)
  const cases: { name: string; A: LinearOperator }[] = [
    { name: 'undersampled Fourier, random mask', A: undersampledFourier([H, W], mriMask(H, W, 3, 6, 11)) },
    { name: 'inpainting, 40 % missing', A: pixelMask([H, W], bernoulliMask(H * W, 0.6, 12)) }
  ]
  for (const { name, A } of cases) {
    const y = maskedMeasure(A, gt, 0.02, 5)
    // The PDHG reference needs AᴴA to be an orthogonal projection; check that it is.
    const v = complexPhantom(H, W)
    const pv = A.adjoint(A.forward(v))
    const ppv = A.adjoint(A.forward(pv))
    assert.ok(Math.sqrt(diffNorm2(pv, ppv) / norm2(pv)) < 1e-12, `${name}: AᴴA is not a projection`)

    const lambdaRel = 0.01
    const res = fistaTV(A, y, { lambda: lambdaRel, maxIterations: 400, innerIterations: 50, tolerance: 0, continuation: NO_CONTINUATION })
    assert.equal(res.iterations, 400)
    assert.equal(res.lipschitz, 1)
    // λ is relative: λ_abs = λ·max|Aᴴy|/L, computed here.
    const dataScale = maxAbs(A.adjoint(y)) / 1
    assert.ok(Math.abs(res.dataScale - dataScale) <= 1e-15 * dataScale, `${name}: dataScale ${res.dataScale} vs ${dataScale}`)
    assert.ok(Math.abs(res.lambdaAbsolute - lambdaRel * dataScale) <= 1e-15 * dataScale, `${name}: lambdaAbsolute`)
    const lam = res.lambdaAbsolute

    const ours = objective(A, y, res.image, lam, H, W)
    assert.ok(Math.abs(res.objective - ours) <= 1e-12 * ours, `${name}: reported objective ${res.objective}, computed ${ours}`)

    const ref = pdhgProjection(A, y, lam, H, W, 10000, 2)
    const fRef = objective(A, y, ref, lam, H, W)
    const relObj = Math.abs(res.objective - fRef) / fRef
    // Observed ~1e-12 (MRI) and ~1e-9 (inpainting, where PDHG is the less converged of the two).
    assert.ok(relObj <= 1e-7, `${name}: objective ${res.objective} vs PDHG ${fRef} (relative ${relObj.toExponential(2)})`)
    const relImg = relErr(res.image, ref)
    // Observed ~2e-11 and ~1e-7.
    assert.ok(relImg <= 1e-5, `${name}: image differs from PDHG by ${relImg.toExponential(2)} relative`)
    // And the minimiser is not trivial: far from both y's back-projection and the ground truth.
    assert.ok(relErr(A.adjoint(y), ref) > 1e-2)
  }
})

test('FISTA-TV with the identity operator is the TV prox of y, certified by a duality gap', () => {
  const H = 24, W = 20
  const n = H * W
  const A = identity([H, W])
  const y = addNoise(complexPhantom(H, W), 0.08, 3)
  const res = fistaTV(A, y, { lambda: 0.05, maxIterations: 200, innerIterations: 10, tolerance: 0, continuation: NO_CONTINUATION })
  const lam = res.lambdaAbsolute
  assert.ok(Math.abs(lam - 0.05 * maxAbs(y)) <= 1e-15 * lam)
  const q = solveProxDual(y, lam, H, W, 4000)
  const s = Math.min(1, lam / dualMaxNorm(q))
  for (let i = 0; i < q.all.length; i++) q.all[i] *= s
  const primal = proxPrimal(res.image, y, lam, H, W)
  const gap = (primal - proxDual(q, y, H, W)) / primal
  assert.ok(gap >= -1e-12 && gap <= 1e-8, `relative duality gap ${gap}`)
  assert.ok(Math.abs(res.objective - primal) <= 1e-12 * primal)
  assert.equal(res.image.re.length, n)
})

test('FISTA-TV satisfies the proximal-gradient fixed point for blur and downsampling', () => {
  const H = 24, W = 24
  const gt = complexFromReal(ellipsePhantom(H, W))
  for (const A of [gaussianBlur(H, W, 1.2), downsample(H, W, 2)]) {
    const y = measure(A, gt, 0.01, 8, false)
    const res = fistaTV(A, y, { lambda: 0.01, maxIterations: 2000, innerIterations: 20, tolerance: 0, continuation: NO_CONTINUATION })
    const fp = fixedPointResidual(A, y, res.image, res.lambdaAbsolute, res.lipschitz, H, W)
    // Observed ~1e-7 (blur) and ~4e-7 (downsampling; 60 iterations: ~7e-6, 5 iterations: ~5e-3).
    assert.ok(fp < 1e-6, `${A.name}: fixed-point residual ${fp.toExponential(2)}`)
    const ours = objective(A, y, res.image, res.lambdaAbsolute, H, W)
    assert.ok(Math.abs(res.objective - ours) <= 1e-12 * ours, `${A.name}: reported objective ${res.objective}, computed ${ours}`)
    // The certificate is sensitive: a 5-iteration run is visibly not at the fixed point.
    const short = fistaTV(A, y, { lambda: 0.01, maxIterations: 5, innerIterations: 20, tolerance: 0, continuation: NO_CONTINUATION })
    assert.ok(fixedPointResidual(A, y, short.image, short.lambdaAbsolute, short.lipschitz, H, W) > 1e-3)
  }
})

// -------------------------------------------------------------------------------------------
// λ is relative

test('λ is relative to the data scale: scaling y scales the result, λ_abs = λ·dataScale', () => {
  const H = 32, W = 24
  const gt = complexPhantom(H, W)
  const ops = [undersampledFourier([H, W], mriMask(H, W, 3, 6, 2)), gaussianBlur(H, W, 1.2), downsample(H, W, 2), pixelMask([H, W], bernoulliMask(H * W, 0.5, 3))]
  for (const A of ops) {
    const y = measure(A, gt, 0.01, 4)
    for (const opts of [{}, { maxIterations: 80, tolerance: 0 }] as FistaTVOptions[]) {
      const a = fistaTV(A, y, opts)
      // dataScale = max|Aᴴy|/L (L = ‖A‖²; exactly 1/4 for 2× block averaging, 1 for the masks).
      assert.ok(Math.abs(a.dataScale - maxAbs(A.adjoint(y)) / a.lipschitz) <= 1e-15 * a.dataScale, `${A.name}: dataScale`)
      if (A.name.startsWith('downsample')) assert.equal(a.lipschitz, 0.25)
      for (const s of [1000, 1e-3]) {
        const b = fistaTV(A, scale(y, s), opts)
        assert.equal(b.iterations, a.iterations, `${A.name} ×${s}: iteration count`)
        const err = Math.sqrt(diffNorm2(b.image, scale(a.image, s)) / norm2(scale(a.image, s)))
        assert.ok(err <= 1e-9, `${A.name} ×${s}: relative difference ${err}`)
        assert.ok(Math.abs(b.lambdaAbsolute / (s * a.lambdaAbsolute) - 1) <= 1e-12, `${A.name} ×${s}: λ_abs`)
        assert.ok(Math.abs(b.dataScale / (s * a.dataScale) - 1) <= 1e-12, `${A.name} ×${s}: dataScale`)
        assert.ok(Math.abs(b.objective / (s * s * a.objective) - 1) <= 1e-9, `${A.name} ×${s}: objective`)
        assert.equal(b.lambdaAbsolute, (opts.lambda ?? FISTA_TV_DEFAULTS.lambda) * b.dataScale)
      }
      // A power of two commutes with every rounding: the result is then bitwise s·x.
      const c = fistaTV(A, scale(y, 1024), opts)
      assert.ok(sameBits(c.image, scale(a.image, 1024)), `${A.name}: ×1024 not bitwise`)
    }
  }
  // With a scaled initial image too.
  const A = ops[0]
  const y = measure(A, gt, 0.01, 4)
  const x0 = complexFromReal(ellipsePhantom(H, W))
  const a = fistaTV(A, y, { initial: x0, maxIterations: 30, tolerance: 0 })
  const b = fistaTV(A, scale(y, 1000), { initial: scale(x0, 1000), maxIterations: 30, tolerance: 0 })
  assert.ok(Math.sqrt(diffNorm2(b.image, scale(a.image, 1000)) / norm2(scale(a.image, 1000))) <= 1e-9)
})

// -------------------------------------------------------------------------------------------
// Quality with default settings

test('defaults beat the back-projection baseline Aᴴy/L on realistic 64×64 problems', () => {
  const H = 64, W = 64
  const real = complexFromReal(ellipsePhantom(H, W))
  // Observed relative errors ‖x − gt‖/‖gt‖ (FISTA-TV / baseline): MRI 0.066/0.310, inpainting
  // 0.133/0.703, blur 0.155/0.295 (the blurred y itself: 0.254), downsampling 0.144/0.199.
  const cases: { name: string; A: LinearOperator; gt: CArray; sigma: number; complexNoise: boolean; ratio: number }[] = [
    { name: 'MRI 4× (random mask, 8×8 centre)', A: undersampledFourier([H, W], mriMask(H, W, 4, 8, 21)), gt: complexPhantom(H, W), sigma: 0.005, complexNoise: true, ratio: 0.4 },
    { name: 'inpainting, 50 % missing', A: pixelMask([H, W], bernoulliMask(H * W, 0.5, 22)), gt: real, sigma: 0, complexNoise: false, ratio: 0.35 },
    { name: 'Gaussian blur σ=1.5, noise 0.01', A: gaussianBlur(H, W, 1.5), gt: real, sigma: 0.01, complexNoise: false, ratio: 0.7 },
    { name: 'downsampling ×2', A: downsample(H, W, 2), gt: real, sigma: 0.005, complexNoise: false, ratio: 0.85 }
  ]
  for (const { name, A, gt, sigma, complexNoise, ratio } of cases) {
    const y = measure(A, gt, sigma, 9, complexNoise)
    const res = fistaTV(A, y)
    const base = scale(A.adjoint(y), 1 / res.lipschitz)
    const eF = relErr(res.image, gt)
    const eB = relErr(base, gt)
    assert.ok(eF < ratio * eB, `${name}: FISTA-TV error ${eF.toFixed(4)} vs baseline ${eB.toFixed(4)} (needs < ${ratio}×)`)
    if (name.startsWith('Gaussian')) assert.ok(eF < 0.75 * relErr(y, gt), `${name}: no better than the blurred input itself`)
    assert.ok(res.iterations <= FISTA_TV_DEFAULTS.maxIterations)
  }
})

// -------------------------------------------------------------------------------------------
// Continuation

test('continuation does not change the minimiser', () => {
  const H = 32, W = 32
  const gt = complexPhantom(H, W)
  for (const A of [undersampledFourier([H, W], mriMask(H, W, 4, 6, 2)), gaussianBlur(H, W, 1.2)]) {
    const y = measure(A, gt, 0.01, 4)
    const run = (continuation: { start: number; decay: number }, maxIterations: number) =>
      fistaTV(A, y, { maxIterations, tolerance: 0, innerIterations: 10, continuation })
    const withC = run({ start: 10, decay: 0.9 }, 400)
    const without = run({ start: 1, decay: 0.9 }, 400)
    assert.equal(withC.lambdaAbsolute, without.lambdaAbsolute)
    const rel = Math.abs(withC.objective - without.objective) / without.objective
    assert.ok(rel <= 1e-6, `${A.name}: objectives ${withC.objective} vs ${without.objective} (${rel.toExponential(2)})`)
    assert.ok(relErr(withC.image, without.image) < 1e-4, `${A.name}: images differ`)
    // Continuation is really active early on (so the comparison above means something).
    assert.ok(relErr(run({ start: 10, decay: 0.9 }, 5).image, run({ start: 1, decay: 0.9 }, 5).image) > 1e-2)
  }
})

// -------------------------------------------------------------------------------------------
// Control

function smallProblem(): { A: LinearOperator; y: CArray } {
  const H = 16, W = 16
  const A = undersampledFourier([H, W], mriMask(H, W, 3, 4, 1))
  return { A, y: A.forward(complexPhantom(H, W)) }
}

test('onProgress: once per iteration, increasing steps, total = maxIterations', () => {
  const { A, y } = smallProblem()
  const seen: Progress[] = []
  const res = fistaTV(A, y, { maxIterations: 17, tolerance: 0 }, { onProgress: (p) => seen.push({ ...p }) })
  assert.equal(res.iterations, 17)
  assert.deepEqual(seen.map((p) => p.step), Array.from({ length: 17 }, (_, k) => k + 1))
  for (const p of seen) assert.equal(p.total, 17)
  // Early convergence: one call per iteration actually run, total still maxIterations.
  const seen2: Progress[] = []
  const conv = fistaTV(A, y, { maxIterations: 500, tolerance: 1e-2 }, { onProgress: (p) => seen2.push({ ...p }) })
  assert.ok(conv.converged && conv.iterations < 500)
  assert.deepEqual(seen2.map((p) => p.step), Array.from({ length: conv.iterations }, (_, k) => k + 1))
  for (const p of seen2) assert.equal(p.total, 500)
})

test('onPreview: every previewEvery steps with the current estimate; default every 10', () => {
  const { A, y } = smallProblem()
  const steps: number[] = []
  const res = fistaTV(A, y, { maxIterations: 13, tolerance: 0 }, { previewEvery: 4, onPreview: (_x, k) => steps.push(k) })
  assert.deepEqual(steps, [4, 8, 12])
  // The preview at the last step is the returned image.
  let last: CArray | null = null
  const r2 = fistaTV(A, y, { maxIterations: 12, tolerance: 0 }, { previewEvery: 4, onPreview: (x) => (last = clone(x)) })
  assert.ok(last !== null && sameBits(last, r2.image))
  const dflt: number[] = []
  fistaTV(A, y, { maxIterations: 25, tolerance: 0 }, { onPreview: (_x, k) => dflt.push(k) })
  assert.deepEqual(dflt, [10, 20])
  assert.equal(res.iterations, 13)
})

test('onPreview images stay valid after the callback returns', () => {
  // A consumer that keeps previews (e.g. a convergence trace) finds them silently rewritten,
  // since fistaTV rotates its image buffers and hands onPreview the live one.
  const { A, y } = smallProblem()
  const kept: CArray[] = []
  const copies: CArray[] = []
  fistaTV(A, y, { maxIterations: 12, tolerance: 0 }, { previewEvery: 3, onPreview: (x) => { kept.push(x); copies.push(clone(x)) } })
  kept.forEach((x, k) => assert.ok(sameBits(x, copies[k]), `preview ${k + 1} was modified after the callback`))
})

test('an AbortSignal aborted inside onProgress at step 3 stops the run with CancelledError', () => {
  const { A, y } = smallProblem()
  const ac = new AbortController()
  const steps: number[] = []
  assert.throws(
    () => fistaTV(A, y, { maxIterations: 100, tolerance: 0 }, {
      signal: ac.signal,
      onProgress: (p) => {
        steps.push(p.step)
        if (p.step === 3) ac.abort()
      }
    }),
    (e: unknown) => e instanceof CancelledError && e.name === 'CancelledError'
  )
  assert.ok(steps.length <= 4, `ran ${steps.length} iterations after abort at 3`)
  assert.deepEqual(steps.slice(0, 3), [1, 2, 3])
  // An already aborted signal: nothing runs.
  const ac2 = new AbortController()
  ac2.abort()
  let calls = 0
  assert.throws(() => fistaTV(A, y, {}, { signal: ac2.signal, onProgress: () => calls++ }), CancelledError)
  assert.equal(calls, 0)
})

test('NaN or Infinity in measured data or the initial image gives a clear error', () => {
  const { A, y } = smallProblem()
  const mask = mriMask(16, 16, 3, 4, 1)
  const sampled = mask.indexOf(1)
  const message = /NaN|Infinity|finite/
  const yNaN = clone(y)
  yNaN.re[sampled] = NaN
  assert.throws(() => fistaTV(A, yNaN), message)
  const yInf = clone(y)
  yInf.im[sampled] = Infinity
  assert.throws(() => fistaTV(A, yInf), message)
  // Inpainting, NaN in a pixel marked unknown (AᴴA still multiplies it by 0 → NaN).
  const known = bernoulliMask(256, 0.5, 3)
  const P = pixelMask([16, 16], known)
  const yp = P.forward(complexPhantom(16, 16))
  yp.re[known.indexOf(0)] = NaN
  assert.throws(() => fistaTV(P, yp), message)
  const x0: CArray = { re: new Float64Array(256), im: new Float64Array(256) }
  x0.im[7] = NaN
  assert.throws(() => fistaTV(A, y, { initial: x0 }), message)
})

test('NaN in an unsampled k-space entry of y: clear error, or a finite result throughout', () => {
  // undersampledFourier's adjoint zeroes unsampled entries, so the NaN never reaches the
  // iteration; fistaTV then computes the objective from the raw y and reports NaN.
  const { A, y } = smallProblem()
  const mask = mriMask(16, 16, 3, 4, 1)
  const yNaN = clone(y)
  yNaN.re[mask.indexOf(0)] = NaN
  let res: ReturnType<typeof fistaTV> | null = null
  try {
    res = fistaTV(A, yNaN)
  } catch (e) {
    assert.match((e as Error).message, /NaN|Infinity|finite/)
    return
  }
  assert.ok(Number.isFinite(res.objective), `objective is ${res.objective}`)
})

test('bad options and a 3-D operator domain throw clear errors', () => {
  const { A, y } = smallProblem()
  assert.throws(() => fistaTV(A, y, { lambda: -0.1 }), /lambda/)
  assert.throws(() => fistaTV(A, y, { lambda: NaN }), /lambda/)
  assert.throws(() => fistaTV(A, y, { lambda: Infinity }), /lambda/)
  assert.throws(() => fistaTV(A, y, { maxIterations: 0 }), /iterations/)
  assert.throws(() => fistaTV(A, y, { maxIterations: -5 }), /iterations/)
  assert.throws(() => fistaTV(A, y, { maxIterations: 2.5 }), /iterations/)
  assert.throws(() => fistaTV(A, y, { continuation: { start: 10, decay: 1 } }), /continuation/)
  assert.throws(() => fistaTV(A, y, { continuation: { start: 10, decay: 1.5 } }), /continuation/)
  assert.throws(() => fistaTV(A, y, { continuation: { start: 10, decay: 0 } }), /continuation/)
  assert.throws(() => fistaTV(A, y, { continuation: { start: 0.5, decay: 0.9 } }), /continuation/)
  assert.throws(() => fistaTV(A, y, { lipschitz: -1 }))
  assert.throws(() => fistaTV(A, y, { lipschitz: 0 }))
  // Wrong-sized inputs are reported by the operator.
  assert.throws(() => fistaTV(A, { re: new Float64Array(5), im: new Float64Array(5) }), /expected an array/)
  assert.throws(() => fistaTV(A, y, { initial: { re: new Float64Array(5), im: new Float64Array(5) } }), /expected an array/)
  // A multi-coil (3-D) domain is not a 2-D image.
  const A3 = undersampledFourier([2, 8, 8], mriMask(8, 8, 2, 2, 1))
  assert.throws(() => fistaTV(A3, A3.forward({ re: new Float64Array(128).fill(1), im: new Float64Array(128) })), /2-D/)
})

test('options that silently disable or break the solve are rejected', () => {
  const { A, y } = smallProblem()
  // innerIterations ≤ 0 (or NaN) runs the prox with no FGP step: TV is never applied and the
  // result is plain least squares, while the reported objective still includes λ·TV.
  assert.throws(() => fistaTV(A, y, { innerIterations: 0 }), /inner/i)
  assert.throws(() => fistaTV(A, y, { innerIterations: -3 }), /inner/i)
  assert.throws(() => fistaTV(A, y, { innerIterations: NaN }), /inner/i)
  // lipschitz = Infinity gives step 0 and returns an all-zero image.
  assert.throws(() => fistaTV(A, y, { lipschitz: Infinity }), /lipschitz|Lipschitz/)
})

test('inputs are not modified; different starts reach the same minimiser', () => {
  const H = 24, W = 20
  const A = pixelMask([H, W], bernoulliMask(H * W, 0.6, 4))
  const gt = complexPhantom(H, W)
  const y = maskedMeasure(A, gt, 0.02, 6)
  const yCopy = clone(y)
  const x0 = clone(gt)
  const opts = { lambda: 0.02, maxIterations: 400, innerIterations: 20, tolerance: 0, continuation: NO_CONTINUATION }
  const fromGt = fistaTV(A, y, { ...opts, initial: x0 })
  const fromZero = fistaTV(A, y, { ...opts, initial: { re: new Float64Array(H * W), im: new Float64Array(H * W) } })
  const fromDefault = fistaTV(A, y, opts)
  assert.ok(sameBits(y, yCopy), 'y was modified')
  assert.ok(sameBits(x0, gt), 'initial was modified')
  for (const r of [fromGt, fromZero]) {
    assert.ok(Math.abs(r.objective - fromDefault.objective) <= 1e-8 * fromDefault.objective, `objective ${r.objective} vs ${fromDefault.objective}`)
  }
  assert.ok(relErr(fromGt.image, fromDefault.image) < 1e-5)
  assert.ok(relErr(fromZero.image, fromDefault.image) < 1e-5)
})

// -------------------------------------------------------------------------------------------
// Determinism

test('two runs give bitwise identical results', () => {
  const H = 32, W = 28
  const gt = complexPhantom(H, W)
  for (const A of [undersampledFourier([H, W], mriMask(H, W, 4, 6, 8)), gaussianBlur(H, W, 1.5)]) {
    const y = measure(A, gt, 0.01, 2)
    const a = fistaTV(A, y)
    const b = fistaTV(A, y)
    assert.ok(sameBits(a.image, b.image), `${A.name}: images differ`)
    assert.equal(a.iterations, b.iterations)
    assert.ok(Object.is(a.objective, b.objective) && Object.is(a.relativeChange, b.relativeChange) && Object.is(a.lipschitz, b.lipschitz))
  }
})
