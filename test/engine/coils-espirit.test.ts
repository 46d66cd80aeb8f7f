/**
 * ESPIRiT, the simple low-resolution estimator and coil combination on synthetic 8-coil data
 * with known smooth complex sensitivities (test/helpers/coil-phantom.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CArray } from '../../src-main/engine/complex.ts'
import { ifft2c } from '../../src-main/engine/fft.ts'
import { CancelledError } from '../../src-main/engine/progress.ts'
import { espirit } from '../../src-main/engine/coils/espirit.ts'
import { simpleSensitivities, tukeyWindow } from '../../src-main/engine/coils/simple.ts'
import { rss, senseCombine } from '../../src-main/engine/coils/combine.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { coilAgreement, coilPhantom, maskedMean, type CoilPhantom } from '../helpers/coil-phantom.ts'

const H = 96
const W = 80
const C = 8
// Coil profiles of width 0.4 (half FOV units) with up to ~3 rad of linear phase per half FOV,
// and k-space noise of 1e-3 per component (≈ 0.1 % of the brightest coil image pixel).
const phantom = coilPhantom(H, W, C, { coilWidth: 0.4, phaseSlope: 3, noise: 1e-3 })

function coilImages(p: CoilPhantom): CArray {
  const x = { re: p.kspace.re.slice(), im: p.kspace.im.slice() }
  ifft2c(x, p.shape)
  return x
}

/** ‖ |combined| − |object| ‖ / ‖object‖ over the whole image. */
function magnitudeError(combined: CArray, object: CArray): number {
  let e = 0
  let s = 0
  for (let i = 0; i < object.re.length; i++) {
    const m = Math.hypot(object.re[i], object.im[i])
    e += (Math.hypot(combined.re[i], combined.im[i]) - m) ** 2
    s += m * m
  }
  return Math.sqrt(e / s)
}

function minOver(values: ArrayLike<number>, mask: ArrayLike<number>): number {
  let m = Infinity
  for (let i = 0; i < values.length; i++) if (mask[i]) m = Math.min(m, values[i])
  return m
}

test('ESPIRiT recovers known sensitivities up to a per-pixel phase, and SENSE-combines to the phantom', () => {
  const t0 = performance.now()
  const r = espirit(phantom.kspace, phantom.shape)
  const ms = performance.now() - t0
  const agreement = coilAgreement(phantom.maps, r.maps, phantom.shape)
  const mean = maskedMean(agreement, phantom.support)
  const min = minOver(agreement, phantom.support)
  const err = magnitudeError(senseCombine(coilImages(phantom), r.maps, phantom.shape), phantom.object)
  const eigInside = maskedMean(r.eigenvalues, phantom.support)
  console.log(`ESPIRiT ${H}×${W}×${C}: ${ms.toFixed(0)} ms, calibration ${r.calibSize.join('×')}, ${r.kernelsKept}/${r.singularValues.length} kernels; ` +
    `|⟨S_true, S_est⟩| mean ${mean.toFixed(6)}, min ${min.toFixed(6)} inside the object; mean eigenvalue there ${eigInside.toFixed(5)}; SENSE combination error ${(100 * err).toFixed(3)} %`)
  assert.deepEqual(r.calibSize, [24, 24])
  assert.ok(mean > 0.999, `mean agreement ${mean} (required > 0.999; the brief asks > 0.99)`)
  assert.ok(min > 0.99, `min agreement ${min}`)
  assert.ok(eigInside > 0.99 && eigInside <= 1 + 1e-9, `mean eigenvalue inside ${eigInside}`)
  assert.ok(minOver(r.eigenvalues, phantom.support) > 0.8, 'no pixel of the object is cropped')
  assert.ok(err < 0.005, `combination error ${err} (required < 0.5 %; the brief asks < 2 %)`)
})

test('ESPIRiT output: unit-norm maps where kept, zeros where cropped, eigenvalues ≤ 1, kernels by BART\'s rule', () => {
  const r = espirit(phantom.kspace, phantom.shape)
  const plane = H * W
  let cropped = 0
  for (let i = 0; i < plane; i++) {
    assert.ok(r.eigenvalues[i] <= 1 + 1e-9 && r.eigenvalues[i] >= -1e-9, `eigenvalue ${r.eigenvalues[i]}`)
    let n2 = 0
    for (let c = 0; c < C; c++) n2 += r.maps.re[c * plane + i] ** 2 + r.maps.im[c * plane + i] ** 2
    if (r.eigenvalues[i] > 0.8) assert.ok(Math.abs(n2 - 1) < 1e-10, `norm² ${n2}`)
    else {
      assert.equal(n2, 0)
      cropped++
    }
  }
  assert.ok(cropped > 0.1 * plane, `only ${cropped} pixels cropped: the background should be`)
  const s = r.singularValues
  const ratio = Math.sqrt(0.001)
  assert.ok(s[r.kernelsKept - 1] / s[0] > ratio && s[r.kernelsKept] / s[0] <= ratio, 'kept exactly the σ/σ₁ > √0.001')
  const fewer = espirit(phantom.kspace, phantom.shape, { svThreshold: 0.01 })
  assert.ok(fewer.kernelsKept < r.kernelsKept)
  // A lower crop keeps more pixels.
  const looser = espirit(phantom.kspace, phantom.shape, { eigThreshold: 0.5 })
  let kept = 0
  let keptLoose = 0
  for (let i = 0; i < plane; i++) {
    if (r.maps.re[i] !== 0 || r.maps.im[i] !== 0) kept++
    if (looser.maps.re[i] !== 0 || looser.maps.im[i] !== 0) keptLoose++
  }
  assert.ok(keptLoose > kept)
})

test('ESPIRiT uses only the calibration region: undersampled data give the same maps, and scale does not matter', () => {
  // ACS 20×16 plus 25 % random samples elsewhere.
  const rng = new Rng(3)
  const under = { re: phantom.kspace.re.slice(), im: phantom.kspace.im.slice() }
  const plane = H * W
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const acs = y >= H / 2 - 10 && y < H / 2 + 10 && x >= W / 2 - 8 && x < W / 2 + 8
      if (!acs && rng.uniform() >= 0.25) {
        for (let c = 0; c < C; c++) {
          under.re[c * plane + y * W + x] = 0
          under.im[c * plane + y * W + x] = 0
        }
      }
    }
  }
  const fromUnder = espirit(under, phantom.shape)
  assert.deepEqual(fromUnder.calibSize, [20, 16])
  const fromFull = espirit(phantom.kspace, phantom.shape, { calibSize: [20, 16] })
  assert.deepEqual(fromUnder.maps, fromFull.maps)
  const agreement = maskedMean(coilAgreement(phantom.maps, fromUnder.maps, phantom.shape), phantom.support)
  assert.ok(agreement > 0.999, `agreement from a 20×16 ACS ${agreement}`)
  const scaled = { re: phantom.kspace.re.map((v) => v * 1e6), im: phantom.kspace.im.map((v) => v * 1e6) }
  const fromScaled = espirit(scaled, phantom.shape)
  const base = espirit(phantom.kspace, phantom.shape)
  let d = 0
  for (let i = 0; i < base.maps.re.length; i++) {
    d = Math.max(d, Math.abs(fromScaled.maps.re[i] - base.maps.re[i]), Math.abs(fromScaled.maps.im[i] - base.maps.im[i]))
  }
  assert.ok(d < 1e-8, `maps change by ${d} when k-space is scaled by 1e6`)
})

test('odd image sizes and other coil counts (centring conventions hold for odd H, W)', () => {
  for (const [h, w, c] of [[63, 55, 4], [64, 55, 6], [45, 45, 8]]) {
    const p = coilPhantom(h, w, c, { coilWidth: 0.4, phaseSlope: 3, noise: 1e-3 })
    const e = maskedMean(coilAgreement(p.maps, espirit(p.kspace, p.shape).maps, p.shape), p.support)
    const s = maskedMean(coilAgreement(p.maps, simpleSensitivities(p.kspace, p.shape).maps, p.shape), p.support)
    assert.ok(e > 0.999 && s > 0.995, `${h}×${w}×${c}: ESPIRiT ${e}, simple ${s}`)
  }
})

test('ESPIRiT errors, progress and cancellation', () => {
  assert.throws(() => espirit(phantom.kspace, phantom.shape, { calibSize: [5, 24] }), /smaller than the 6×6 kernel/)
  assert.throws(() => espirit(phantom.kspace, phantom.shape, { maps: 2 as 1 }), /only one set of maps/)
  assert.throws(() => espirit(phantom.kspace, [C, H, W + 1]), /do not match the shape/)
  const steps: number[] = []
  espirit(phantom.kspace, phantom.shape, {}, { onProgress: (p) => steps.push(p.step / p.total) })
  assert.ok(steps.length > 3 && steps.every((s, i) => i === 0 || s >= steps[i - 1]) && steps[steps.length - 1] === 1)
  const ac = new AbortController()
  let calls = 0
  assert.throws(() => espirit(phantom.kspace, phantom.shape, {}, {
    signal: ac.signal,
    onProgress: () => {
      if (++calls === 5) ac.abort()
    }
  }), CancelledError)
})

test('simple low-resolution maps: close to the truth (looser), magnitude-only combination', () => {
  const t0 = performance.now()
  const r = simpleSensitivities(phantom.kspace, phantom.shape)
  const ms = performance.now() - t0
  const agreement = coilAgreement(phantom.maps, r.maps, phantom.shape)
  const mean = maskedMean(agreement, phantom.support)
  const min = minOver(agreement, phantom.support)
  const combined = senseCombine(coilImages(phantom), r.maps, phantom.shape)
  const err = magnitudeError(combined, phantom.object)
  // The maps carry the low-resolution object phase, so the combination is nearly real: its
  // phase spread is far below the object's.
  let phaseComb = 0
  let phaseObj = 0
  let n = 0
  for (let i = 0; i < H * W; i++) {
    if (!phantom.support[i]) continue
    phaseComb += Math.abs(Math.atan2(combined.im[i], combined.re[i]))
    phaseObj += Math.abs(Math.atan2(phantom.object.im[i], phantom.object.re[i]))
    n++
  }
  console.log(`simple ${H}×${W}×${C}: ${ms.toFixed(0)} ms; |⟨S_true, S_est⟩| mean ${mean.toFixed(6)}, min ${min.toFixed(6)} inside the object; ` +
    `combination error ${(100 * err).toFixed(3)} %; mean |phase| of the combination ${(phaseComb / n).toFixed(3)} rad vs the object's ${(phaseObj / n).toFixed(3)} rad`)
  assert.ok(minOver(r.mask, phantom.support) === 1, 'the mask covers the object')
  assert.ok(mean > 0.995, `mean agreement ${mean} (looser bound for the simple estimator: > 0.995)`)
  assert.ok(min > 0.98, `min agreement ${min}`)
  assert.ok(err < 0.02, `combination error ${err}`)
  assert.ok(phaseComb / n < 0.1 * (phaseObj / n), 'combination phase is flattened')
  // Unit norm inside the mask, zero outside.
  const plane = H * W
  for (let i = 0; i < plane; i++) {
    let n2 = 0
    for (let c = 0; c < C; c++) n2 += r.maps.re[c * plane + i] ** 2 + r.maps.im[c * plane + i] ** 2
    assert.ok(r.mask[i] ? Math.abs(n2 - 1) < 1e-10 : n2 === 0)
  }
})

test('Tukey window: α = 0 is flat, α = 1 is Hann-shaped, centred on DC and positive', () => {
  assert.deepEqual([...tukeyWindow(6, 0)], [1, 1, 1, 1, 1, 1])
  const w = tukeyWindow(8, 1)
  assert.equal(w[4], 1)
  assert.ok(w.every((v) => v > 0))
  for (let d = 1; d < 4; d++) assert.ok(Math.abs(w[4 - d] - w[4 + d]) < 1e-15 && w[4 + d] < w[4 + d - 1])
  const odd = tukeyWindow(7, 0.5)
  assert.equal(odd[3], 1)
  assert.ok(Math.abs(odd[0] - odd[6]) < 1e-15)
})

test('rss and senseCombine: exact with the true maps (Σ|S|² = 1), zero where the maps are zero', () => {
  const p = coilPhantom(32, 24, 4)
  const r = rss(p.images, p.shape)
  const s = senseCombine(p.images, p.maps, p.shape)
  for (let i = 0; i < 32 * 24; i++) {
    assert.ok(Math.abs(r[i] - Math.hypot(p.object.re[i], p.object.im[i])) < 1e-12)
    assert.ok(Math.hypot(s.re[i] - p.object.re[i], s.im[i] - p.object.im[i]) < 1e-12)
  }
  // Maps scaled by 2 still give the object (the denominator normalises); zeroed maps give 0.
  const plane = 32 * 24
  const maps = { re: p.maps.re.map((v) => 2 * v), im: p.maps.im.map((v) => 2 * v) }
  for (let c = 0; c < 4; c++) {
    maps.re[c * plane + 5] = 0
    maps.im[c * plane + 5] = 0
  }
  const s2 = senseCombine(p.images, maps, p.shape)
  assert.equal(s2.re[5], 0)
  assert.equal(s2.im[5], 0)
  assert.ok(Math.hypot(s2.re[100] - p.object.re[100], s2.im[100] - p.object.im[100]) < 1e-12)
})
