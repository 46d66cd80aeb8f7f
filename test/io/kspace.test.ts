/**
 * k-space from NumPy (.npy/.npz) and BART (.cfl/.hdr) files written here from a known image
 * through the engine's own centred FFT, so that the zero-filled RSS must give the image back;
 * axis order, re-centring of DC-at-corner data, the file-type check and the error messages.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { loadKspace, isKspaceFile, zeroFilledRss, coilImages, MAX_KSPACE_SAMPLES } from '../../src-main/io/kspace/index.ts'
import { centerCrop } from '../../src-main/io/kspace/recon.ts'
import { encodeNpy, writeNpyFile } from '../../src-main/io/npy.ts'
import { writeCfl } from '../../src-main/io/cfl.ts'
import { fft2, fft2c } from '../../src-main/engine/fft.ts'
import type { CArray } from '../../src-main/engine/complex.ts'
import { KSPACE_DATA, tempDir } from '../helpers/kspace-fixtures.ts'
import { makeZip } from '../helpers/zip-writer.ts'

/** An off-centre ellipse with a smooth phase: every flip, transpose or shift changes it. */
function testImage(H: number, W: number): CArray {
  const re = new Float64Array(H * W)
  const im = new Float64Array(H * W)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = (x - W / 2 - 1.5) / (W / 3)
      const v = (y - H / 2 + 1) / (H / 4)
      const mag = u * u + v * v <= 1 ? 1 + 0.3 * u : x === Math.floor(W / 2) && y === Math.floor(H / 3) ? 0.5 : 0
      re[y * W + x] = mag * Math.cos(0.7 * u + 0.2 * v)
      im[y * W + x] = mag * Math.sin(0.7 * u + 0.2 * v)
    }
  }
  return { re, im }
}

/** slices × coils copies of the image, scaled by (s + 1)(c + 1), transformed with fft2c. */
function kspaceOf(img: CArray, slices: number, coils: number, H: number, W: number): CArray {
  const n = H * W
  const out = { re: new Float64Array(slices * coils * n), im: new Float64Array(slices * coils * n) }
  for (let s = 0; s < slices; s++) {
    for (let c = 0; c < coils; c++) {
      const off = (s * coils + c) * n
      for (let i = 0; i < n; i++) {
        out.re[off + i] = (s + 1) * (c + 1) * img.re[i]
        out.im[off + i] = (s + 1) * (c + 1) * img.im[i]
      }
    }
  }
  fft2c(out, [slices * coils, H, W])
  return out
}

function magnitude(img: CArray): Float64Array {
  return img.re.map((r, i) => Math.hypot(r, img.im[i]))
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0
  let m = 0
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]))
    m = Math.max(m, Math.abs(b[i]))
  }
  return e / m
}

test('npy (H, W) complex128: RSS of the fully sampled k-space is |image|', async () => {
  const [H, W] = [24, 20]
  const img = testImage(H, W)
  const file = path.join(tempDir(), 'k.npy')
  writeNpyFile(file, kspaceOf(img, 1, 1, H, W), [H, W], 'c16')
  const scan = await loadKspace(file)
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [1, 1, H, W])
  assert.equal(scan.sampledFraction, 1)
  assert.equal(scan.looksUndersampled, false)
  assert.equal(scan.metadata.Dtype, 'complex128')
  assert.equal(scan.metadata.Shape, '24×20')
  assert.match(scan.provenance.notes.join('; '), /k-space centred/)
  assert.ok(relErr(zeroFilledRss(scan).data, magnitude(img)) < 1e-6)
})

test('npy (slices, coils, H, W) complex64: slices × coils × rows × columns order kept', async () => {
  const [S, C, H, W] = [3, 2, 16, 12]
  const img = testImage(H, W)
  const file = path.join(tempDir(), 'k.npy')
  writeNpyFile(file, kspaceOf(img, S, C, H, W), [S, C, H, W], 'c8')
  const scan = await loadKspace(file)
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [S, C, H, W])
  const mag = magnitude(img)
  for (let s = 0; s < S; s++) {
    const coilsOf = coilImages(scan, s)
    assert.deepEqual([coilsOf.coils, coilsOf.rows, coilsOf.columns], [C, H, W])
    for (let c = 0; c < C; c++) {
      const m = magnitude({ re: coilsOf.data.re.subarray(c * H * W, (c + 1) * H * W), im: coilsOf.data.im.subarray(c * H * W, (c + 1) * H * W) })
      assert.ok(relErr(m, mag.map((v) => v * (s + 1) * (c + 1))) < 1e-6, `slice ${s} coil ${c}`)
    }
    // RSS over coils 1 and 2: √5 · (s + 1) · |image|.
    assert.ok(relErr(zeroFilledRss(scan, s).data, mag.map((v) => v * (s + 1) * Math.sqrt(5))) < 1e-6)
  }
  assert.equal(zeroFilledRss(scan).data.length, H * W, 'middle slice by default')
  assert.throws(() => zeroFilledRss(scan, 3), /slice 3 does not exist; the k-space has 3 \(0…2\)/)
})

test('npy (coils, H, W) with zeroed columns: sampled fraction and mask from exact zeros', async () => {
  const [C, H, W] = [4, 16, 20]
  const k = kspaceOf(testImage(H, W), 1, C, H, W)
  const keep = (x: number): boolean => x % 4 === 0 || Math.abs(x - W / 2) <= 1
  for (let i = 0; i < k.re.length; i++) if (!keep(i % W)) k.re[i] = k.im[i] = 0
  const file = path.join(tempDir(), 'k.npy')
  writeNpyFile(file, k, [C, H, W], 'c8')
  const scan = await loadKspace(file)
  const kept = Array.from({ length: W }, (_, x) => x).filter(keep).length
  assert.equal(scan.sampledFraction, kept / W)
  assert.equal(scan.looksUndersampled, true)
  assert.deepEqual(Array.from(scan.mask.subarray(0, W)), Array.from({ length: W }, (_, x) => (keep(x) ? 1 : 0)))
  assert.match(scan.provenance.notes.join('; '), /axis 0 of the 3-D array read as 4 coils/)
})

test('DC-at-corner k-space is re-centred; which fix is chosen by where the image lands', async () => {
  for (const [H, W] of [
    [24, 20],
    [23, 19]
  ]) {
    const img = testImage(H, W)
    const mag = magnitude(img)
    // np.fft.fft2(image, norm='ortho'): DC at (0, 0), image meant as stored.
    const bare = { re: img.re.slice(), im: img.im.slice() }
    fft2(bare, [H, W])
    const scale = 1 / Math.sqrt(H * W)
    for (let i = 0; i < H * W; i++) {
      bare.re[i] *= scale
      bare.im[i] *= scale
      if (i % W === 3) bare.re[i] = bare.im[i] = 0 // an unsampled column must stay exactly zero
    }
    const file = path.join(tempDir(), 'bare.npy')
    writeNpyFile(file, bare, [H, W], 'c16')
    const scan = await loadKspace(file)
    assert.equal(scan.metadata.CentringFix, 'fftshift+phase', `${H}×${W}`)
    assert.match(scan.provenance.notes.join('; '), /DC at the corner \(as from a bare fft2\(image\)\)/)
    assert.equal(scan.sampledFraction, (W - 1) / W, 'zeros preserved')
    const full = { re: img.re.slice(), im: img.im.slice() }
    fft2(full, [H, W])
    fs.writeFileSync(file, encodeNpy({ re: full.re.map((v) => v * scale), im: full.im.map((v) => v * scale) }, [H, W], 'c16'))
    assert.ok(relErr(zeroFilledRss(await loadKspace(file)).data, mag) < 1e-6, `${H}×${W}: image back in place`)

    // ifftshift(fft2c(image)): DC at (0, 0) too, but a plain fftshift restores it exactly.
    const centred = kspaceOf(img, 1, 1, H, W)
    const shifted = { re: new Float64Array(H * W), im: new Float64Array(H * W) }
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const to = ((y - Math.floor(H / 2) + H) % H) * W + ((x - Math.floor(W / 2) + W) % W)
        shifted.re[to] = centred.re[y * W + x]
        shifted.im[to] = centred.im[y * W + x]
      }
    }
    fs.writeFileSync(file, encodeNpy(shifted, [H, W], 'c8'))
    const fixed = await loadKspace(file)
    assert.equal(fixed.metadata.CentringFix, 'fftshift')
    assert.deepEqual(Array.from(fixed.re), Array.from(Float32Array.from(centred.re)))
    assert.ok(relErr(zeroFilledRss(fixed).data, mag) < 1e-6)
  }
})

test('npz: the kspace member, the only complex member, or the named one; stored and deflated', async () => {
  const [C, H, W] = [2, 12, 10]
  const k = kspaceOf(testImage(H, W), 1, C, H, W)
  const kNpy = encodeNpy(k, [C, H, W], 'c8')
  const real = encodeNpy([1, 2, 3], [3], 'f4')
  const dir = tempDir()
  for (const method of [0, 8] as const) {
    const file = path.join(dir, `a${method}.npz`)
    fs.writeFileSync(file, makeZip([{ name: 'mask.npy', data: real, method }, { name: 'kspace.npy', data: kNpy, method }, { name: 'maps.npy', data: kNpy, method }]))
    const scan = await loadKspace(file)
    assert.equal(scan.provenance.format, 'npz')
    assert.deepEqual([scan.coils, scan.rows, scan.columns], [C, H, W])
    assert.equal(scan.metadata.Member, 'kspace')
    assert.equal(scan.metadata.Compression, method ? 'deflated' : 'stored')
    assert.deepEqual(Array.from(scan.re), Array.from(Float32Array.from(k.re)))
    assert.equal((await loadKspace(file, { dataset: 'maps' })).metadata.Member, 'maps')
    await assert.rejects(loadKspace(file, { dataset: 'coils' }), /a\d\.npz: no member 'coils'; the archive holds 'mask', 'kspace', 'maps'/)
  }
  const only = path.join(dir, 'only.npz')
  fs.writeFileSync(only, makeZip([{ name: 'mask.npy', data: real }, { name: 'raw.npy', data: kNpy, method: 8 }]))
  const scan = await loadKspace(only)
  assert.equal(scan.metadata.Member, 'raw')
  assert.match(scan.provenance.notes.join('; '), /member 'raw' used: the archive's only complex array/)
  const two = path.join(dir, 'two.npz')
  fs.writeFileSync(two, makeZip([{ name: 'mask.npy', data: real }, { name: 'a.npy', data: kNpy }, { name: 'b.npy', data: kNpy, method: 8 }]))
  await assert.rejects(
    loadKspace(two),
    /two\.npz: 2 complex members and no member named 'kspace'; choose one with the dataset option\. Members: 'mask' float32 \(3\), 'a' complex64 \(2, 12, 10\), 'b' complex64 \(2, 12, 10\)/
  )
  const none = path.join(dir, 'none.npz')
  fs.writeFileSync(none, makeZip([{ name: 'mask.npy', data: real }]))
  await assert.rejects(loadKspace(none), /no complex member and no member named 'kspace'/)
  const realK = path.join(dir, 'realk.npz')
  fs.writeFileSync(realK, makeZip([{ name: 'kspace.npy', data: encodeNpy(new Float64Array(H * W), [H, W], 'f8') }]))
  await assert.rejects(loadKspace(realK), /realk\.npz \[kspace\]: k-space must be complex \(complex64 or complex128\), but the array is float64 of shape \(12, 10\)/)
})

test('npy errors: real data, wrong rank, NaN, size limit, truncation, unknown files', async () => {
  const dir = tempDir()
  const p = (n: string): string => path.join(dir, n)
  fs.writeFileSync(p('real.npy'), encodeNpy(new Float64Array(64), [8, 8], 'f8'))
  await assert.rejects(loadKspace(p('real.npy')), /real\.npy: k-space must be complex \(complex64 or complex128\), but the array is float64 of shape \(8, 8\); a real array is an image/)
  const zeros = (n: number): CArray => ({ re: new Float64Array(n), im: new Float64Array(n) })
  fs.writeFileSync(p('rank1.npy'), encodeNpy(zeros(64), [64], 'c8'))
  await assert.rejects(loadKspace(p('rank1.npy')), /k-space must have shape \(H, W\), \(coils, H, W\) or \(slices, coils, H, W\); got 1-D shape \(64\)/)
  fs.writeFileSync(p('rank5.npy'), encodeNpy(zeros(64), [2, 2, 2, 2, 4], 'c8'))
  await assert.rejects(loadKspace(p('rank5.npy')), /got 5-D shape \(2, 2, 2, 2, 4\)/)
  const nan = zeros(2 * 8 * 8)
  nan.im[8 * 8 + 3 * 8 + 5] = Infinity
  fs.writeFileSync(p('nan.npy'), encodeNpy(nan, [2, 8, 8], 'c8'))
  await assert.rejects(loadKspace(p('nan.npy')), /nan\.npy: k-space contains NaN or Infinity \(first at slice 0, coil 1, row 3, column 5/)
  fs.writeFileSync(p('big.npy'), encodeNpy(zeros(4 * 16 * 16), [4, 16, 16], 'c8'))
  await assert.rejects(loadKspace(p('big.npy'), { maxSamples: 1000 }), /big\.npy: the array of shape \(4, 16, 16\) has 1024 complex samples .* above the limit of 1000/)
  assert.equal(MAX_KSPACE_SAMPLES, 2 ** 28)
  const whole = fs.readFileSync(p('big.npy'))
  fs.writeFileSync(p('cut.npy'), whole.subarray(0, whole.length - 100))
  await assert.rejects(loadKspace(p('cut.npy')), /cut\.npy: truncated data/)
  fs.writeFileSync(p('notes.txt'), 'hello')
  await assert.rejects(loadKspace(p('notes.txt')), /notes\.txt: unsupported k-space file; expected fastMRI\/ISMRMRD HDF5 \(\.h5\), BART \.cfl\/\.hdr, or NumPy \.npy\/\.npz/)
  fs.writeFileSync(p('empty.npy'), '')
  await assert.rejects(loadKspace(p('empty.npy')), /cannot read k-space .*empty\.npy: the file is empty/)
})

test('BART cfl: fastest spatial dimension → columns; coils, slices and extra dimensions', async () => {
  const [C, H, W] = [3, 12, 10]
  const img = testImage(H, W)
  const k = kspaceOf(img, 1, C, H, W)
  const dir = tempDir()
  // [kx ky 1 coils] and the workshop's [1 kx ky coils] describe the same memory layout.
  for (const dims of [
    [W, H, 1, C],
    [1, W, H, C],
    [W, 1, H, C]
  ]) {
    const file = path.join(dir, `k${dims.join('_')}`)
    writeCfl(file, dims, k)
    const scan = await loadKspace(file + '.hdr')
    assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [1, C, H, W], dims.join(' '))
    assert.deepEqual(scan.provenance.files, [file + '.cfl', file + '.hdr'])
    assert.ok(relErr(zeroFilledRss(scan).data, magnitude(img).map((v) => v * Math.sqrt(14))) < 1e-6)
  }
  const two = kspaceOf(img, 2, C, H, W)
  writeCfl(path.join(dir, 'slices'), [W, H, 1, C, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2], two)
  const sl = await loadKspace(path.join(dir, 'slices.cfl'))
  assert.deepEqual([sl.slices, sl.coils], [2, C])
  assert.ok(relErr(zeroFilledRss(sl, 1).data, magnitude(img).map((v) => v * 2 * Math.sqrt(14))) < 1e-6)
  writeCfl(path.join(dir, 'time'), [W, H, 1, C, 1, 1, 1, 1, 1, 1, 2], two)
  assert.match((await loadKspace(path.join(dir, 'time.cfl'))).provenance.notes.join('; '), /BART dimension 10 \(TIME\) of size 2 read as slices/)
  writeCfl(path.join(dir, 'two'), [W, H, 1, 1, 3, 1, 1, 1, 1, 1, 2], two)
  await assert.rejects(loadKspace(path.join(dir, 'two.cfl')), /more than one non-spatial, non-coil dimension is set \(4 \(MAPS\) = 3, 10 \(TIME\) = 2\)/)
  writeCfl(path.join(dir, 'vol'), [W, H, 2, C], two)
  await assert.rejects(loadKspace(path.join(dir, 'vol.cfl')), /3-D k-space \[10 12 2 3\] is not supported/)
  fs.writeFileSync(path.join(dir, 'bad.hdr'), '# Dimensions\n10 12 1 4\n')
  fs.writeFileSync(path.join(dir, 'bad.cfl'), new Uint8Array(16))
  await assert.rejects(loadKspace(path.join(dir, 'bad.cfl')), /bad\.cfl holds 16 bytes but the header's dimensions \[10 12 1 4\] need 3840/)
  await assert.rejects(loadKspace(path.join(dir, 'bad.cfl'), { maxSamples: 100 }), /has 480 complex samples .* above the limit of 100/)
})

test('isKspaceFile: HDF5 and BART always; NumPy only when complex and named as k-space', () => {
  const hdf5 = new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])
  assert.equal(isKspaceFile('scan.h5', hdf5), true)
  assert.equal(isKspaceFile('scan.whatever', hdf5), true)
  const userBlock = new Uint8Array(600)
  userBlock.set(hdf5.subarray(0, 8), 512)
  assert.equal(isKspaceFile('scan.h5', userBlock), true, 'HDF5 signature after a 512-byte user block')
  assert.equal(isKspaceFile('ksp.cfl', new Uint8Array(8)), true)
  assert.equal(isKspaceFile('ksp.hdr', new TextEncoder().encode('# Dimensions')), true)
  const c8 = encodeNpy({ re: [0, 0], im: [0, 0] }, [1, 2], 'c8')
  const f4 = encodeNpy([0, 0], [1, 2], 'f4')
  assert.equal(isKspaceFile('cartesian_ksp.npy', c8), true)
  assert.equal(isKspaceFile('brain_kspace.npy', c8), true)
  assert.equal(isKspaceFile('image.npy', c8), false, 'a complex image')
  assert.equal(isKspaceFile('kspace_magnitude.npy', f4), false, 'real data')
  assert.equal(isKspaceFile('kspace.npz', new Uint8Array([0x50, 0x4b, 0x03, 0x04])), true)
  assert.equal(isKspaceFile('photo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47])), false)
})

test('centerCrop follows fastMRI: start at ⌊(H − h)/2⌋', () => {
  const img = { rows: 5, columns: 4, data: Float64Array.from({ length: 20 }, (_, i) => i) }
  assert.deepEqual(Array.from(centerCrop(img, 2, 2).data), [5, 6, 9, 10])
  assert.deepEqual(Array.from(centerCrop(img, 3, 3).data), [4, 5, 6, 8, 9, 10, 12, 13, 14])
  assert.throws(() => centerCrop(img, 6, 2), /cannot crop 5×4 to 6×2/)
})

test('real SigPy k-space repackaged as a deflated .npz loads identically to the .npy', { skip: fs.existsSync(path.join(KSPACE_DATA, 'sigpy-brain-8coil', 'cartesian_ksp.npy')) ? false : 'real k-space not found' }, async () => {
  const npy = path.join(KSPACE_DATA, 'sigpy-brain-8coil', 'cartesian_ksp.npy')
  const npz = path.join(tempDir(), 'brain.npz')
  fs.writeFileSync(npz, makeZip([{ name: 'kspace.npy', data: fs.readFileSync(npy), method: 8 }]))
  const a = await loadKspace(npy)
  const b = await loadKspace(npz)
  assert.deepEqual([b.coils, b.rows, b.columns, b.sampledFraction], [a.coils, a.rows, a.columns, a.sampledFraction])
  assert.ok(Buffer.from(a.re.buffer).equals(Buffer.from(b.re.buffer)))
  assert.ok(Buffer.from(a.im.buffer).equals(Buffer.from(b.im.buffer)))
})
