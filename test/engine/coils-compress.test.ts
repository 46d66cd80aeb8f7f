/**
 * SVD coil compression: lossless at K = C, exact for data of known coil rank, and the energy
 * kept with K = 4 virtual coils on the two real 8-coil brain scans.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { cnorm2, type CArray } from '../../src-main/engine/complex.ts'
import { coilCompression, compressCoils, expandCoils } from '../../src-main/engine/coils/compress.ts'
import { extractCalibration } from '../../src-main/engine/coils/calibration.ts'
import { randomComplex } from '../helpers/random.ts'
import { BART_BRAIN, SIGPY_BRAIN, loadSlice } from '../helpers/bart-ecalib.ts'

test('K = C is unitary: energy kept 1, compress then expand reproduces the data', () => {
  const C = 6, n = 500
  const data = randomComplex(C * n, 1)
  const cc = coilCompression(data, C, { virtualCoils: C })
  assert.equal(cc.energyKept, 1)
  const v = compressCoils(data, cc)
  assert.ok(Math.abs(cnorm2(v) - cnorm2(data)) < 1e-10 * cnorm2(data))
  const back = expandCoils(v, cc)
  let d = 0
  for (let i = 0; i < data.re.length; i++) d = Math.max(d, Math.abs(back.re[i] - data.re[i]), Math.abs(back.im[i] - data.im[i]))
  assert.ok(d < 1e-12, `round trip error ${d}`)
  // Rows of the matrix are orthonormal.
  for (let a = 0; a < C; a++) {
    for (let b = 0; b < C; b++) {
      let sr = 0
      let si = 0
      for (let c = 0; c < C; c++) {
        sr += cc.matrix.re[a * C + c] * cc.matrix.re[b * C + c] + cc.matrix.im[a * C + c] * cc.matrix.im[b * C + c]
        si += cc.matrix.im[a * C + c] * cc.matrix.re[b * C + c] - cc.matrix.re[a * C + c] * cc.matrix.im[b * C + c]
      }
      assert.ok(Math.hypot(sr - (a === b ? 1 : 0), si) < 1e-12)
    }
  }
})

test('8 coils mixing 3 sources: K = 3 keeps all the energy; virtual coils carry the eigenvalues; energy picks K', () => {
  const C = 8, S = 3, n = 400
  const sources = randomComplex(S * n, 2)
  const mix = randomComplex(C * S, 3)
  const data: CArray = { re: new Float64Array(C * n), im: new Float64Array(C * n) }
  for (let c = 0; c < C; c++) {
    for (let s = 0; s < S; s++) {
      const mr = mix.re[c * S + s], mi = mix.im[c * S + s]
      for (let i = 0; i < n; i++) {
        data.re[c * n + i] += mr * sources.re[s * n + i] - mi * sources.im[s * n + i]
        data.im[c * n + i] += mr * sources.im[s * n + i] + mi * sources.re[s * n + i]
      }
    }
  }
  const cc = coilCompression(data, C, { virtualCoils: 3 })
  assert.ok(1 - cc.energyKept < 1e-12, `energy lost ${1 - cc.energyKept}`)
  const v = compressCoils(data, cc)
  assert.ok(Math.abs(cnorm2(v) / cnorm2(data) - 1) < 1e-12)
  for (let j = 0; j < 3; j++) {
    let e = 0
    for (let i = 0; i < n; i++) e += v.re[j * n + i] ** 2 + v.im[j * n + i] ** 2
    assert.ok(Math.abs(e - cc.eigenvalues[j]) < 1e-9 * cc.eigenvalues[0], `virtual coil ${j}: energy ${e} vs λ ${cc.eigenvalues[j]}`)
  }
  const back = expandCoils(v, cc)
  let d = 0
  for (let i = 0; i < data.re.length; i++) d = Math.max(d, Math.abs(back.re[i] - data.re[i]), Math.abs(back.im[i] - data.im[i]))
  assert.ok(d < 1e-10, `rank-3 data rebuilt from 3 virtual coils to ${d}`)
  assert.equal(coilCompression(data, C, { energy: 0.999999 }).virtualCoils, 3)
  assert.equal(coilCompression(data, C).virtualCoils, C)
  assert.throws(() => coilCompression(data, C, { virtualCoils: 9 }), /integer in 1…8/)
})

for (const [name, path] of [['BART workshop brain', BART_BRAIN], ['SigPy brain', SIGPY_BRAIN]] as const) {
  test(`real data (${name}): 4 virtual coils keep ≥ 95 % of the energy; 8 lose nothing`, { skip: existsSync(path) ? false : `${path} is absent` }, async () => {
    const { kspace, shape } = await loadSlice(path)
    const C = shape[0]
    const cal = extractCalibration(kspace, shape)
    const total = cnorm2(kspace)
    const line: string[] = []
    for (const [source, samples] of [['calibration region', cal.data], ['whole k-space', kspace]] as const) {
      const cc4 = coilCompression(samples, C, { virtualCoils: 4 })
      const kept = cnorm2(compressCoils(kspace, cc4)) / total
      line.push(`fitted on the ${source}: ${(100 * cc4.energyKept).toFixed(2)} % there, ${(100 * kept).toFixed(2)} % of all k-space`)
      assert.ok(kept >= 0.95, `${source}: K = 4 keeps ${kept}`)
      const cc8 = coilCompression(samples, C, { virtualCoils: C })
      assert.ok(Math.abs(cnorm2(compressCoils(kspace, cc8)) / total - 1) < 1e-12)
    }
    const spectrum = coilCompression(cal.data, C).eigenvalues
    const sum = spectrum.reduce((s, v) => s + v, 0)
    console.log(`${name}, K = 4: ${line.join('; ')}. Calibration energy per virtual coil: ${[...spectrum].map((v) => (v / sum).toFixed(3)).join(' ')}`)
  })
}
