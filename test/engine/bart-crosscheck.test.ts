/**
 * Cross-checks against BART, the reference MRI toolbox, on the same inputs: the centred FFT
 * convention, the cfl reader/writer, and FISTA-TV's quality against `bart pics -R T` at each
 * one's best λ. Skipped where `bart` is not installed (Debian: apt-get install bart).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bartAvailable, bartFft, bartPhantom, bartPicsTV } from '../../bench/bart.ts'
import { cabs, cclone } from '../../src-main/engine/complex.ts'
import { fft2c } from '../../src-main/engine/fft.ts'
import { undersampledFourier } from '../../src-main/engine/linops/index.ts'
import { generatePattern } from '../../src-main/engine/patterns/index.ts'
import { fistaTV } from '../../src-main/engine/fista-tv.ts'
import { psnr } from '../../src-main/engine/metrics.ts'
import { randomComplex } from '../helpers/random.ts'

const skip = bartAvailable() ? false : 'bart is not installed (apt-get install bart)'

test('fft2c equals BART fft -u 3 on even non-square sizes', { skip }, () => {
  for (const [H, W] of [[16, 24], [64, 40]]) {
    const x = randomComplex(H * W, H + W)
    const ours = cclone(x)
    fft2c(ours, [H, W])
    const theirs = bartFft(x, H, W)
    let err = 0
    let ref = 0
    for (let i = 0; i < H * W; i++) {
      err = Math.max(err, Math.hypot(ours.re[i] - theirs.re[i], ours.im[i] - theirs.im[i]))
      ref = Math.max(ref, Math.hypot(ours.re[i], ours.im[i]))
    }
    // BART computes in float32.
    assert.ok(err / ref < 1e-5, `${H}×${W}: relative difference ${err / ref}`)
  }
})

test('FISTA-TV reaches BART pics -R T quality (best λ of each) on the Shepp–Logan phantom', { skip }, () => {
  const n = 128
  const ph = bartPhantom(n)
  const ref = cabs(ph)
  const p = generatePattern({ pattern: 'poisson', height: n, width: n, acceleration: 4, seed: 0 })
  const A = undersampledFourier([n, n], p.mask)
  const y = A.forward(ph)
  const ours = Math.max(...[0.001, 0.003].map((l) => psnr(ref, cabs(fistaTV(A, y, { lambda: l }).image))))
  const bart = Math.max(...[0.01, 0.03, 0.1].map((l) => psnr(ref, cabs(bartPicsTV(y, n, n, l, 100).image))))
  assert.ok(ours >= bart - 0.3, `FISTA-TV ${ours.toFixed(2)} dB vs BART ${bart.toFixed(2)} dB`)
})
