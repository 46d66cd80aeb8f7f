/**
 * ESPIRiT on real 8-coil brain k-space against BART's `ecalib -m 1` (same data, BART's
 * defaults on both sides), timings at 230×180×8 for ESPIRiT and the simple estimator, and a
 * picture of both sets of maps in test-output/espirit-maps.png. Skipped where bart or the
 * shared data are missing.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CArray } from '../../src-main/engine/complex.ts'
import { espirit } from '../../src-main/engine/coils/espirit.ts'
import { simpleSensitivities } from '../../src-main/engine/coils/simple.ts'
import { encodePng8 } from '../../src-main/io/image.ts'
import { bartAvailable, bartVersion } from '../../bench/bart.ts'
import { BART_BRAIN, bartEcalib, loadSlice } from '../helpers/bart-ecalib.ts'
import { coilAgreement } from '../helpers/coil-phantom.ts'

const TEST_OUTPUT = fileURLToPath(new URL('../../test-output', import.meta.url))
const skipData = existsSync(BART_BRAIN) ? false : `${BART_BRAIN} is absent`
const skipBart = skipData || (bartAvailable() ? false : 'bart is not installed (apt-get install bart)')

function nonzeroMask(maps: CArray, C: number, plane: number): Uint8Array {
  const m = new Uint8Array(plane)
  for (let c = 0; c < C; c++) for (let i = 0; i < plane; i++) if (maps.re[c * plane + i] !== 0 || maps.im[c * plane + i] !== 0) m[i] = 1
  return m
}

function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i]
    na += a[i]
    nb += b[i]
  }
  return (2 * both) / (na + nb)
}

/** Best of `runs` wall times in ms (the first run includes JIT warm-up). */
function timeIt(runs: number, f: () => void): number[] {
  const out: number[] = []
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    f()
    out.push(performance.now() - t0)
  }
  return out
}

test('ESPIRiT matches BART ecalib -m 1 on the BART workshop brain', { skip: skipBart }, async () => {
  const { kspace, shape } = await loadSlice(BART_BRAIN)
  const [C, H, W] = shape
  const plane = H * W
  const ours = espirit(kspace, shape)
  const bart = bartEcalib(kspace, shape)
  const agreement = coilAgreement(ours.maps, bart.maps, shape)
  const mOurs = nonzeroMask(ours.maps, C, plane)
  const mBart = nonzeroMask(bart.maps, C, plane)
  let sum = 0
  let n = 0
  let min = 1
  // Phase coherence: |Σ_x ⟨s_ours, s_bart⟩| / Σ_x |⟨s_ours, s_bart⟩| is 1 when the two differ by
  // one global phase (BART's phase reference is LAPACK's arbitrary eigenvector phase).
  let cr = 0
  let ci = 0
  let cabs = 0
  let eigDiff = 0
  for (let i = 0; i < plane; i++) {
    if (!(mOurs[i] && mBart[i])) continue
    sum += agreement[i]
    min = Math.min(min, agreement[i])
    n++
    let sr = 0
    let si = 0
    for (let c = 0; c < C; c++) {
      const ar = ours.maps.re[c * plane + i], ai = ours.maps.im[c * plane + i]
      const br = bart.maps.re[c * plane + i], bi = bart.maps.im[c * plane + i]
      sr += ar * br + ai * bi
      si += ar * bi - ai * br
    }
    cr += sr
    ci += si
    cabs += Math.hypot(sr, si)
    eigDiff = Math.max(eigDiff, Math.abs(ours.eigenvalues[i] - bart.eigenvalues[i]))
  }
  const mean = sum / n
  const d = dice(mOurs, mBart)
  const coherence = Math.hypot(cr, ci) / cabs
  const bartKernels = /Using (\d+)\/(\d+) kernels/.exec(bart.log)
  console.log(`${bartVersion()} vs ours on ${C}×${H}×${W}: calibration ${ours.calibSize.join('×')}, kernels ${ours.kernelsKept} (BART ${bartKernels?.[1] ?? '?'}); ` +
    `mean |⟨s_ours, s_bart⟩| ${mean.toFixed(6)} (min ${min.toFixed(4)}) over ${n} pixels kept by both; phase coherence ${coherence.toFixed(6)}; ` +
    `Dice of the masks ${d.toFixed(4)} (ours ${mOurs.reduce((s, v) => s + v, 0)}, BART ${mBart.reduce((s, v) => s + v, 0)} pixels); max eigenvalue difference ${eigDiff.toExponential(2)}`)
  assert.ok(mean > 0.95, `mean agreement ${mean}`)
  assert.ok(mean > 0.999, `mean agreement ${mean}: measured 0.99992 when written`)
  assert.ok(d > 0.9, `Dice ${d}`)
  assert.ok(coherence > 0.99, `phase coherence ${coherence}: the maps should differ from BART's by one global phase`)
  assert.equal(ours.kernelsKept, Number(bartKernels?.[1]))

  // Picture: |maps| of ours (top row), BART's (middle) and 10 × |ours·e^{iφ} − BART| (bottom),
  // φ the global phase between them; 8 coils across.
  const gap = 2
  const rows = 3
  const width = C * W + (C - 1) * gap
  const height = rows * H + (rows - 1) * gap
  const img = new Float64Array(width * height).fill(0.5)
  const pr = cr / Math.hypot(cr, ci)
  const pi = ci / Math.hypot(cr, ci)
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = c * plane + y * W + x
        const ar = ours.maps.re[i], ai = ours.maps.im[i]
        const br = bart.maps.re[i], bi = bart.maps.im[i]
        const values = [Math.hypot(ar, ai), Math.hypot(br, bi), 10 * Math.hypot(ar * pr - ai * pi - br, ar * pi + ai * pr - bi)]
        for (let r = 0; r < rows; r++) img[(r * (H + gap) + y) * width + c * (W + gap) + x] = values[r]
      }
    }
  }
  mkdirSync(TEST_OUTPUT, { recursive: true })
  writeFileSync(join(TEST_OUTPUT, 'espirit-maps.png'), encodePng8(img, height, width, { min: 0, max: 1 }))
})

test('timings at 230×180×8 (BART workshop brain): ESPIRiT, simple estimator, and BART', { skip: skipData }, async () => {
  const { kspace, shape } = await loadSlice(BART_BRAIN)
  const esp = timeIt(3, () => espirit(kspace, shape))
  const simple = timeIt(3, () => simpleSensitivities(kspace, shape))
  const bart = skipBart ? null : bartEcalib(kspace, shape).seconds
  console.log(`ESPIRiT ${esp.map((t) => t.toFixed(0)).join(', ')} ms; simple ${simple.map((t) => t.toFixed(0)).join(', ')} ms` +
    (bart === null ? '' : `; bart ecalib -m 1 (float32, OpenMP, process start and .cfl I/O included) ${(1000 * bart).toFixed(0)} ms`))
  // Generous bounds (a loaded 2-core CI machine): the point is "seconds, not minutes".
  assert.ok(Math.min(...esp) < 10000)
  assert.ok(Math.min(...simple) < 2000)
})

test('simple estimator on the real brain: masks and maps close to ESPIRiT\'s', { skip: skipData }, async () => {
  const { kspace, shape } = await loadSlice(BART_BRAIN)
  const [C, H, W] = shape
  const plane = H * W
  const e = espirit(kspace, shape)
  const s = simpleSensitivities(kspace, shape)
  const me = nonzeroMask(e.maps, C, plane)
  const agreement = coilAgreement(e.maps, s.maps, shape)
  let sum = 0
  let n = 0
  for (let i = 0; i < plane; i++) {
    if (me[i] && s.mask[i]) {
      sum += agreement[i]
      n++
    }
  }
  const d = dice(me, s.mask)
  console.log(`simple vs ESPIRiT on the workshop brain: mean |⟨s_simple, s_espirit⟩| ${(sum / n).toFixed(4)} over ${n} pixels; Dice of the masks ${d.toFixed(4)}`)
  assert.ok(sum / n > 0.98, `agreement ${sum / n}`)
  assert.ok(d > 0.9, `Dice ${d}`)
})
