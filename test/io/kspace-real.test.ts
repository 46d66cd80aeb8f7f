/**
 * Real in-vivo k-space: the SigPy tutorial's 8-coil brain (.npy) and the BART workshop's
 * 8-coil brain (.cfl), both Poisson-disc undersampled. Their zero-filled RSS images are
 * written to test-output/ for a human to look at; numerically, the energy must sit in the
 * middle of the field of view (wrong centring splits the image into corner quadrants), and the
 * BART one must resemble BART's own reconstruction (img.cfl, 2 ESPIRiT maps).
 * Skipped, with the reason, when the shared data is absent.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { loadKspace, zeroFilledRss } from '../../src-main/io/kspace/index.ts'
import { readCfl } from '../../src-main/io/cfl.ts'
import { encodePng8 } from '../../src-main/io/image.ts'
import type { RssImage } from '../../src-main/io/kspace/recon.ts'
import { KSPACE_DATA, NO_NUMPY, PY_NUMPY, TEST_OUTPUT, runPython, tempDir } from '../helpers/kspace-fixtures.ts'
import { readNpyFile } from '../../src-main/io/npy.ts'

const SIGPY = path.join(KSPACE_DATA, 'sigpy-brain-8coil', 'cartesian_ksp.npy')
const BART = path.join(KSPACE_DATA, 'bart-workshop-brain-8coil', 'ksp.cfl')
const BART_IMG = path.join(KSPACE_DATA, 'bart-workshop-brain-8coil', 'img.cfl')
const NO_SIGPY = fs.existsSync(SIGPY) ? false : `real k-space not found at ${SIGPY}`
const NO_BART = fs.existsSync(BART) && fs.existsSync(BART_IMG) ? false : `real k-space not found at ${BART} (and img.cfl)`

/** Energy in the central half × half (a quarter of the area), and corner vs centre brightness. */
function energyLayout(img: RssImage): { centralFraction: number; cornerToCentre: number } {
  const { rows: H, columns: W, data } = img
  let total = 0
  let central = 0
  let centreSum = 0
  let centreN = 0
  let cornerSum = 0
  let cornerN = 0
  const ch = Math.floor(H / 8)
  const cw = Math.floor(W / 8)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const v = data[r * W + c]
      total += v * v
      const inCentre = r >= H / 4 && r < (3 * H) / 4 && c >= W / 4 && c < (3 * W) / 4
      if (inCentre) {
        central += v * v
        centreSum += v
        centreN++
      }
      if ((r < ch || r >= H - ch) && (c < cw || c >= W - cw)) {
        cornerSum += v
        cornerN++
      }
    }
  }
  return { centralFraction: central / total, cornerToCentre: cornerSum / cornerN / (centreSum / centreN) }
}

/** The image as it would look with wrong centring: its quadrants swapped (an fftshift). */
function quadrantSwapped(img: RssImage): RssImage {
  const { rows: H, columns: W } = img
  const data = new Float64Array(H * W)
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) data[((r + (H >> 1)) % H) * W + ((c + (W >> 1)) % W)] = img.data[r * W + c]
  return { rows: H, columns: W, data }
}

/**
 * The head must fill the middle: over a third of the energy in the central quarter of the
 * area (a uniform image has a quarter) and dark corners; the same image with its quadrants
 * swapped (what wrong centring produces) must fail both, so the check can tell them apart.
 */
function assertCentred(img: RssImage, t: { diagnostic(msg: string): void }, name: string): void {
  const good = energyLayout(img)
  const bad = energyLayout(quadrantSwapped(img))
  t.diagnostic(
    `${name}: central-quarter energy ${(100 * good.centralFraction).toFixed(1)} % (quadrant-swapped ${(100 * bad.centralFraction).toFixed(1)} %), ` +
      `corner/centre brightness ${good.cornerToCentre.toFixed(3)} (quadrant-swapped ${bad.cornerToCentre.toFixed(3)})`
  )
  assert.ok(good.centralFraction > 0.35, `central energy fraction ${good.centralFraction}`)
  assert.ok(good.cornerToCentre < 0.25, `corner/centre ${good.cornerToCentre}`)
  assert.ok(bad.centralFraction < 0.25 && bad.cornerToCentre > 0.5, `the check must reject a quadrant-swapped image: ${JSON.stringify(bad)}`)
}

function writePng(name: string, img: RssImage): string {
  fs.mkdirSync(TEST_OUTPUT, { recursive: true })
  const file = path.join(TEST_OUTPUT, name)
  // Window to the 99.5th percentile so that a few bright vessels do not make the brain grey.
  const sorted = Float64Array.from(img.data).sort()
  const max = sorted[Math.floor(0.995 * (sorted.length - 1))]
  fs.writeFileSync(file, encodePng8(img.data, img.rows, img.columns, { min: 0, max }))
  return file
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i]
    mb += b[i]
  }
  ma /= n
  mb /= n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb)
    saa += (a[i] - ma) ** 2
    sbb += (b[i] - mb) ** 2
  }
  return sab / Math.sqrt(saa * sbb)
}

test('real SigPy brain (.npy): 8 coils × 230×180, ≈12.4 % sampled, centred, brain in the middle', { skip: NO_SIGPY }, async (t) => {
  const scan = await loadKspace(SIGPY)
  assert.equal(scan.provenance.format, 'npy')
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [1, 8, 230, 180])
  assert.ok(Math.abs(scan.sampledFraction - 0.124) < 0.002, `sampled fraction ${scan.sampledFraction}`)
  assert.equal(scan.looksUndersampled, true)
  assert.equal(scan.mask[115 * 180 + 90], 1, 'DC is sampled')
  assert.ok(scan.provenance.notes.some((n) => /k-space centred/.test(n)), scan.provenance.notes.join('; '))
  const rss = zeroFilledRss(scan)
  assert.deepEqual([rss.rows, rss.columns], [230, 180])
  t.diagnostic(`sampled ${(100 * scan.sampledFraction).toFixed(2)} %, PNG ${writePng('kspace-sigpy-rss.png', rss)}`)
  assertCentred(rss, t, 'SigPy')
})

test('real BART workshop brain (.cfl): 8 coils × 230×180, ≈12.7 % sampled, matches BART’s own reconstruction', { skip: NO_BART }, async (t) => {
  const scan = await loadKspace(BART)
  assert.equal(scan.provenance.format, 'cfl')
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [1, 8, 230, 180])
  assert.ok(Math.abs(scan.sampledFraction - 0.127) < 0.002, `sampled fraction ${scan.sampledFraction}`)
  assert.equal(scan.looksUndersampled, true)
  assert.equal(scan.metadata.BartDims, '1 180 230 8')
  const rss = zeroFilledRss(scan)
  const png = writePng('kspace-bart-rss.png', rss)
  assertCentred(rss, t, 'BART')

  // BART's pics output [1 180 230 1 2]: the same plane layout, two ESPIRiT maps.
  const ref = readCfl(BART_IMG)
  assert.deepEqual(ref.dims.slice(0, 5), [1, 180, 230, 1, 2])
  const plane = 230 * 180
  const combined = new Float64Array(plane)
  const map0 = new Float64Array(plane)
  for (let i = 0; i < plane; i++) {
    map0[i] = Math.hypot(ref.data.re[i], ref.data.im[i])
    combined[i] = Math.hypot(map0[i], ref.data.re[plane + i], ref.data.im[plane + i])
  }
  const norm = (x: Float64Array): Float64Array => {
    let s = 0
    for (const v of x) s += v * v
    return x.map((v) => v / Math.sqrt(s))
  }
  const r = pearson(norm(rss.data), norm(combined))
  const r0 = pearson(rss.data, map0)
  // A rotated (or flipped) image correlates far worse: this guards the orientation too.
  const rotated = new Float64Array(plane)
  for (let y = 0; y < 230; y++) for (let x = 0; x < 180; x++) rotated[y * 180 + x] = rss.data[(229 - y) * 180 + (179 - x)]
  const rFlipped = pearson(rotated, combined)
  t.diagnostic(
    `sampled ${(100 * scan.sampledFraction).toFixed(2)} %, correlation with BART pics |img| ${r.toFixed(3)} (map 0 only ${r0.toFixed(3)}, ` +
      `rotated 180° ${rFlipped.toFixed(3)}), PNG ${png}`
  )
  assert.ok(r > 0.8, `correlation ${r}`)
  assert.ok(rFlipped < r - 0.2, `orientation: rotated ${rFlipped} vs ${r}`)
})

test('the two real files are the same scan, stored upside down relative to each other (a property of the data)', { skip: NO_SIGPY || NO_BART }, async (t) => {
  // Both files have the same memory layout (C-order (8, 230, 180) = BART [1 180 230 8]), so no
  // loader convention can make them differ; the SigPy tutorial's array is simply flipped along
  // y relative to the BART workshop's (with a one-row offset, as flipping an even-sized grid
  // about its DC row gives). NumPy shows the same.
  const a = zeroFilledRss(await loadKspace(SIGPY))
  const b = zeroFilledRss(await loadKspace(BART))
  const [H, W] = [230, 180]
  const flipped = new Float64Array(H * W)
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) flipped[y * W + x] = b.data[((H - y) % H) * W + x]
  const same = pearson(a.data, b.data)
  const upsideDown = pearson(a.data, flipped)
  t.diagnostic(`correlation of the SigPy and BART zero-filled RSS: as stored ${same.toFixed(3)}, BART flipped along y ${upsideDown.toFixed(3)}`)
  assert.ok(upsideDown > 0.95, `flipped correlation ${upsideDown}`)
  assert.ok(same < 0.7, `as-stored correlation ${same}`)
})

test('real SigPy brain: loader + zero-filled RSS agree with NumPy (np.load, fftshift/ifft2/ifftshift, RSS)', { skip: NO_SIGPY || NO_NUMPY }, async (t) => {
  const dir = tempDir()
  runPython(PY_NUMPY!, String.raw`
import sys, numpy as np
k = np.load(sys.argv[1]).astype(np.complex128)
img = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm='ortho'), axes=(-2, -1))
np.save(sys.argv[2], np.sqrt((np.abs(img) ** 2).sum(0)))
`, [SIGPY, path.join(dir, 'rss.npy')])
  const expected = readNpyFile(path.join(dir, 'rss.npy'))
  const rss = zeroFilledRss(await loadKspace(SIGPY))
  assert.deepEqual(expected.shape, [rss.rows, rss.columns])
  const e = expected.data as Float64Array
  let maxErr = 0
  let maxVal = 0
  for (let i = 0; i < e.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(e[i] - rss.data[i]))
    maxVal = Math.max(maxVal, e[i])
  }
  t.diagnostic(`max |ours − NumPy| / max = ${(maxErr / maxVal).toExponential(2)}`)
  assert.ok(maxErr / maxVal < 1e-12, `relative error ${maxErr / maxVal}`)
})
