/**
 * Calibration-region detection: synthetic masks with a known fully sampled block, the limit,
 * the all-coils rule, and the two real brain scans (sizes reported, and checked against
 * BART's own detection when bart is installed).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { extractCalibration, extractRegion, findCalibrationRegion, sampledInAllCoils } from '../../src-main/engine/coils/calibration.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { randomComplex } from '../helpers/random.ts'
import { bartAvailable } from '../../bench/bart.ts'
import { BART_BRAIN, SIGPY_BRAIN, bartCalibrationSize, bartEcalib, loadSlice } from '../helpers/bart-ecalib.ts'

const HAVE_BART = bartAvailable()

/** Random mask (p = 0.4) with a fully sampled rows×columns block centred on DC and the rows and columns around it empty. */
function blockMask(H: number, W: number, rows: number, columns: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  const mask = Uint8Array.from({ length: H * W }, () => (rng.uniform() < 0.4 ? 1 : 0))
  const top = Math.floor(H / 2) - Math.floor(rows / 2)
  const left = Math.floor(W / 2) - Math.floor(columns / 2)
  for (let r = top - 1; r <= top + rows; r++) {
    for (let c = left - 1; c <= left + columns; c++) {
      const inside = r >= top && r < top + rows && c >= left && c < left + columns
      mask[r * W + c] = inside ? 1 : 0
    }
  }
  return mask
}

test('finds a known fully sampled block of even and odd sizes, centred on DC', () => {
  for (const [H, W, rows, columns] of [[64, 50, 14, 11], [63, 51, 9, 20], [40, 40, 7, 7]]) {
    const region = findCalibrationRegion(blockMask(H, W, rows, columns, H + W), H, W, [64, 64])
    assert.deepEqual(region, {
      rows,
      columns,
      top: Math.floor(H / 2) - Math.floor(rows / 2),
      left: Math.floor(W / 2) - Math.floor(columns / 2)
    }, `${H}×${W} with a ${rows}×${columns} block`)
  }
})

test('the limit caps the region; full sampling gives the limit (default 24×24, as BART)', () => {
  const full = new Uint8Array(96 * 80).fill(1)
  assert.deepEqual(findCalibrationRegion(full, 96, 80), { rows: 24, columns: 24, top: 36, left: 28 })
  assert.deepEqual(findCalibrationRegion(full, 96, 80, [20, 13]), { rows: 20, columns: 13, top: 38, left: 34 })
  assert.deepEqual(findCalibrationRegion(new Uint8Array(60).fill(1), 10, 6, [64, 64]), { rows: 10, columns: 6, top: 0, left: 0 })
  const block = blockMask(64, 64, 30, 30, 1)
  assert.deepEqual(findCalibrationRegion(block, 64, 64, [16, 40]), { rows: 16, columns: 30, top: 24, left: 17 })
})

test('a position counts as sampled only when every coil has it; unsampled DC is an error', () => {
  const C = 3, H = 32, W = 32
  const k = randomComplex(C * H * W, 5)
  // Coil 2 misses one point 3 rows above DC: the region must stop below it (rows ≤ 5).
  const hole = (16 - 3) * W + 16
  k.re[2 * H * W + hole] = 0
  k.im[2 * H * W + hole] = 0
  const mask = sampledInAllCoils(k, [C, H, W])
  assert.equal(mask[hole], 0)
  const region = findCalibrationRegion(mask, H, W)
  assert.ok(region.top > 13 && region.rows <= 5, JSON.stringify(region))
  const empty = new Uint8Array(H * W).fill(1)
  empty[16 * W + 16] = 0
  assert.throws(() => findCalibrationRegion(empty, H, W), /DC\) is not sampled/)
})

test('extractRegion copies exactly the region of every coil', () => {
  const C = 2, H = 12, W = 10
  const k = randomComplex(C * H * W, 9)
  const region = { rows: 4, columns: 3, top: 5, left: 2 }
  const out = extractRegion(k, [C, H, W], region)
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < 4; r++) {
      for (let q = 0; q < 3; q++) {
        assert.equal(out.re[c * 12 + r * 3 + q], k.re[c * H * W + (5 + r) * W + 2 + q])
        assert.equal(out.im[c * 12 + r * 3 + q], k.im[c * H * W + (5 + r) * W + 2 + q])
      }
    }
  }
  assert.throws(() => extractRegion(k, [C, H, W], { rows: 4, columns: 3, top: 10, left: 2 }), /outside/)
})

for (const [name, path] of [['BART workshop brain', BART_BRAIN], ['SigPy brain', SIGPY_BRAIN]] as const) {
  test(`calibration region of the ${name} (real, Poisson-disc undersampled)`, { skip: existsSync(path) ? false : `${path} is absent` }, async () => {
    const { kspace, shape } = await loadSlice(path)
    const capped = extractCalibration(kspace, shape)
    const uncapped = extractCalibration(kspace, shape, [shape[1], shape[2]])
    console.log(`${name}: ${shape.join('×')}; calibration region ${capped.region.rows}×${capped.region.columns} (limit 24×24), ${uncapped.region.rows}×${uncapped.region.columns} without a limit, at row ${uncapped.region.top}, column ${uncapped.region.left}`)
    // Every sample of the region is non-zero in every coil …
    for (let i = 0; i < uncapped.data.re.length; i++) assert.ok(uncapped.data.re[i] !== 0 || uncapped.data.im[i] !== 0)
    // … and the scans were made with a calibration block of about 20–24 lines.
    assert.ok(uncapped.region.rows >= 16 && uncapped.region.columns >= 16 && uncapped.region.rows <= 40 && uncapped.region.columns <= 40)
    if (HAVE_BART) {
      const bart = bartCalibrationSize(bartEcalib(kspace, shape, ['-m', '1', '-r', '256']).log)
      console.log(`${name}: BART ecalib -r 256 finds ${bart?.join('×')}`)
      assert.deepEqual(bart, [uncapped.region.rows, uncapped.region.columns])
    }
  })
}
