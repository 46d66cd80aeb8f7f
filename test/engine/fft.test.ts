import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fft1, ifft1, fft2, ifft2, fft2c, ifft2c, factorize } from '../../src-main/engine/fft.ts'
import { cclone, cnorm, type CArray } from '../../src-main/engine/complex.ts'
import { randomComplex, maxAbsDiff } from '../helpers/random.ts'

/** Direct O(n²) DFT in float64, the independent reference. */
function naiveDft(x: CArray, sign: number): CArray {
  const n = x.re.length
  const re = new Float64Array(n)
  const im = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    let sr = 0
    let si = 0
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n
      const c = Math.cos(a)
      const s = Math.sin(a)
      sr += x.re[j] * c - x.im[j] * s
      si += x.re[j] * s + x.im[j] * c
    }
    re[k] = sr
    im[k] = si
  }
  return { re, im }
}

function relErr(a: CArray, b: CArray): number {
  const d = Math.max(maxAbsDiff(a.re, b.re), maxAbsDiff(a.im, b.im))
  return d / Math.max(1e-300, Math.max(...Array.from(b.re, Math.abs), ...Array.from(b.im, Math.abs)))
}

const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 25, 30, 31, 37, 49, 64, 97, 128, 180, 210, 230, 256, 320, 368, 509, 640]

test('factorize puts radix 4 first and covers n', () => {
  assert.deepEqual(factorize(320), [4, 4, 4, 5])
  assert.deepEqual(factorize(230), [2, 5, 23])
  assert.equal(factorize(368).reduce((a, b) => a * b, 1), 368)
})

for (const n of SIZES) {
  test(`fft1 matches the naive DFT, n=${n}`, () => {
    const x = randomComplex(n, n)
    const ref = naiveDft(x, -1)
    const y = cclone(x)
    fft1(y)
    assert.ok(relErr(y, ref) < 1e-12 * Math.max(1, Math.log2(n)), `forward rel err ${relErr(y, ref)}`)
    const refInv = naiveDft(x, +1)
    for (let i = 0; i < n; i++) {
      refInv.re[i] /= n
      refInv.im[i] /= n
    }
    const z = cclone(x)
    ifft1(z)
    assert.ok(relErr(z, refInv) < 1e-12 * Math.max(1, Math.log2(n)), `inverse rel err ${relErr(z, refInv)}`)
  })
}

function naiveDft2(x: CArray, H: number, W: number, sign: number): CArray {
  const out = { re: new Float64Array(H * W), im: new Float64Array(H * W) }
  for (let ky = 0; ky < H; ky++) {
    for (let kx = 0; kx < W; kx++) {
      let sr = 0
      let si = 0
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          const a = sign * 2 * Math.PI * (((ky * y) % H) / H + ((kx * xx) % W) / W)
          const c = Math.cos(a)
          const s = Math.sin(a)
          const i = y * W + xx
          sr += x.re[i] * c - x.im[i] * s
          si += x.re[i] * s + x.im[i] * c
        }
      }
      out.re[ky * W + kx] = sr
      out.im[ky * W + kx] = si
    }
  }
  return out
}

/** numpy-style fftshift / ifftshift over both axes of an H×W array. */
function shift2(x: CArray, H: number, W: number, inverse: boolean): CArray {
  const out = { re: new Float64Array(H * W), im: new Float64Array(H * W) }
  const sh = inverse ? -Math.floor(H / 2) : Math.floor(H / 2)
  const sw = inverse ? -Math.floor(W / 2) : Math.floor(W / 2)
  for (let y = 0; y < H; y++) {
    for (let xx = 0; xx < W; xx++) {
      const ty = (((y + sh) % H) + H) % H
      const tx = (((xx + sw) % W) + W) % W
      out.re[ty * W + tx] = x.re[y * W + xx]
      out.im[ty * W + tx] = x.im[y * W + xx]
    }
  }
  return out
}

for (const [H, W] of [[8, 8], [6, 10], [7, 5], [23, 18], [9, 16], [1, 7]]) {
  test(`fft2 and centred orthonormal fft2c match the naive 2-D DFT, ${H}×${W}`, () => {
    const x = randomComplex(H * W, H * 100 + W)
    const ref = naiveDft2(x, H, W, -1)
    const y = cclone(x)
    fft2(y, [H, W])
    assert.ok(relErr(y, ref) < 1e-12, `fft2 ${relErr(y, ref)}`)
    const z = cclone(y)
    ifft2(z, [H, W])
    assert.ok(relErr(z, x) < 1e-12, 'ifft2 inverts fft2')

    // fft2c = fftshift(fft2(ifftshift(x))) / sqrt(HW)
    const refC = shift2(naiveDft2(shift2(x, H, W, true), H, W, -1), H, W, false)
    const s = 1 / Math.sqrt(H * W)
    for (let i = 0; i < H * W; i++) {
      refC.re[i] *= s
      refC.im[i] *= s
    }
    const c = cclone(x)
    fft2c(c, [H, W])
    assert.ok(relErr(c, refC) < 1e-12, `fft2c ${relErr(c, refC)}`)
    assert.ok(Math.abs(cnorm(c) - cnorm(x)) < 1e-12 * cnorm(x), 'fft2c is unitary')
    ifft2c(c, [H, W])
    assert.ok(relErr(c, x) < 1e-12, 'ifft2c inverts fft2c')
  })
}

test('fft2c puts the DC of a constant image at (⌊H/2⌋, ⌊W/2⌋)', () => {
  for (const [H, W] of [[6, 8], [7, 9]]) {
    const x = { re: new Float64Array(H * W).fill(1), im: new Float64Array(H * W) }
    fft2c(x, [H, W])
    const dc = Math.floor(H / 2) * W + Math.floor(W / 2)
    assert.ok(Math.abs(x.re[dc] - Math.sqrt(H * W)) < 1e-12)
    for (let i = 0; i < H * W; i++) if (i !== dc) assert.ok(Math.hypot(x.re[i], x.im[i]) < 1e-12)
  }
})

test('batched fft2c transforms each leading slice independently', () => {
  const H = 12, W = 10, C = 3
  const x = randomComplex(C * H * W, 7)
  const batched = cclone(x)
  fft2c(batched, [C, H, W])
  for (let c = 0; c < C; c++) {
    const slice = { re: x.re.slice(c * H * W, (c + 1) * H * W), im: x.im.slice(c * H * W, (c + 1) * H * W) }
    fft2c(slice, [H, W])
    assert.ok(maxAbsDiff(slice.re, batched.re.subarray(c * H * W, (c + 1) * H * W)) < 1e-14)
  }
})

test('bad FFT shapes are rejected with a clear error', () => {
  const x = randomComplex(10, 1)
  assert.throws(() => fft2(x, [3, 4]), /does not match shape/)
  assert.throws(() => fft2(x, [10]), /two axes/)
})
