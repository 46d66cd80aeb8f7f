/**
 * fastMRI and ISMRMRD HDF5 k-space, on small files written by h5py in the real layouts from a
 * known phantom (test/helpers/kspace-fixtures.ts): the zero-filled RSS of the fully sampled
 * files must reproduce |phantom| to float32 precision, fastMRI's own reconstruction_rss must be
 * matched after the recon-matrix crop, and undersampled variants must report the exact
 * sampled fraction. Plus the HDF5 failure modes. Skipped when h5py is unavailable.
 */
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { loadKspace, isKspaceFile, zeroFilledRss } from '../../src-main/io/kspace/index.ts'
import { readNpyFile } from '../../src-main/io/npy.ts'
import type { KspaceScan } from '../../src-main/io/scan.ts'
import {
  NO_H5PY,
  PY_H5,
  makeFastMriFiles,
  makeIsmrmrdFiles,
  runPython,
  tempDir,
  type FastMriFixture,
  type IsmrmrdFixture
} from '../helpers/kspace-fixtures.ts'

let fastmri: FastMriFixture
let ismrmrd: IsmrmrdFixture

before(() => {
  if (NO_H5PY) return
  fastmri = makeFastMriFiles()
  ismrmrd = makeIsmrmrdFiles()
})

/** max |RSS(slice) − expected| / max(expected), over every slice. */
function rssError(scan: KspaceScan, expected: ArrayLike<number>, crop = false): number {
  let err = 0
  let top = 0
  for (let s = 0; s < scan.slices; s++) {
    const img = zeroFilledRss(scan, s, { crop })
    const n = img.data.length
    for (let i = 0; i < n; i++) {
      err = Math.max(err, Math.abs(img.data[i] - expected[s * n + i]))
      top = Math.max(top, expected[s * n + i])
    }
  }
  return err / top
}

test('fastMRI multicoil: shape, header, attrs, reference; RSS reproduces the phantom and reconstruction_rss', { skip: NO_H5PY }, async (t) => {
  const file = path.join(fastmri.dir, 'multicoil_full.h5')
  assert.equal(isKspaceFile(file, fs.readFileSync(file).subarray(0, 16)), true)
  const scan = await loadKspace(file)
  assert.equal(scan.provenance.format, 'fastmri-h5')
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [3, 4, 64, 40])
  assert.equal(scan.sampledFraction, 1)
  assert.equal(scan.looksUndersampled, false)
  assert.deepEqual(scan.reconSize, [32, 32])
  assert.ok(scan.reference)
  assert.deepEqual([scan.reference.rows, scan.reference.columns, scan.reference.data.length], [32, 32, 3 * 32 * 32])
  const m = scan.metadata
  assert.equal(m.Acquisition, 'AXT2')
  assert.equal(m.PatientID, 'c3f1a8e0d2b64c1f9e7a5b3d1f0e2c4a6b8d0f1e3a5c7e9b2d4f6a8c0e1b3d5')
  assert.equal(typeof m.Max, 'number')
  assert.equal(typeof m.Norm, 'number')
  assert.equal(m.EncodedMatrix, '64×40×1')
  assert.equal(m.ReconMatrix, '32×32×1')
  assert.equal(m.Manufacturer, 'SIEMENS')
  assert.equal(m.MagneticFieldStrength, 2.89362)
  assert.equal(m.RepetitionTime, 6000)
  assert.equal(m.Dtype, 'complex64')
  const notes = scan.provenance.notes.join('; ')
  assert.match(notes, /fastMRI multicoil \(4 coils\)/)
  assert.match(notes, /recon matrix 32×32/)
  assert.match(notes, /k-space centred \(peak at row 32, column 20 of 64×40\)/)

  const phantom = readNpyFile(path.join(fastmri.dir, 'phantom.npy')).data as Float64Array
  const full = rssError(scan, phantom)
  const cropped = rssError(scan, scan.reference.data, true)
  t.diagnostic(`RSS vs |phantom|: ${full.toExponential(2)}; cropped RSS vs reconstruction_rss: ${cropped.toExponential(2)} (relative to max)`)
  assert.ok(full < 1e-6, `RSS vs phantom ${full}`)
  assert.ok(cropped < 1e-6, `cropped RSS vs reconstruction_rss ${cropped}`)
  assert.equal(m.Max, Math.max(...scan.reference.data), 'attrs max is the reference maximum')
})

test('fastMRI multicoil with a column mask: exact sampled fraction, undersampled, mask recorded', { skip: NO_H5PY }, async () => {
  const scan = await loadKspace(path.join(fastmri.dir, 'multicoil_r4.h5'))
  assert.equal(scan.sampledFraction, fastmri.maskColumns / fastmri.W)
  assert.equal(scan.looksUndersampled, true)
  assert.equal(scan.metadata.MaskColumns, fastmri.maskColumns)
  assert.equal(scan.metadata.Acceleration, 4)
  assert.equal(scan.metadata.NumLowFrequency, 6)
  assert.equal(scan.reference, undefined)
  assert.deepEqual(scan.reconSize, [32, 32], 'from the (fixed-length string) header')
  // Whole columns: every row of a sampled column is sampled, no row of an unsampled one.
  for (let c = 0; c < scan.columns; c++) {
    const first = scan.mask[c]
    for (let r = 1; r < scan.rows; r++) assert.equal(scan.mask[r * scan.columns + c], first)
  }
})

test('fastMRI singlecoil: (slices, H, W) with reconstruction_esc', { skip: NO_H5PY }, async () => {
  const scan = await loadKspace(path.join(fastmri.dir, 'singlecoil_full.h5'))
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [3, 1, 64, 40])
  assert.ok(scan.reference)
  assert.match(scan.provenance.notes.join('; '), /fastMRI singlecoil.*reconstruction_esc/s)
  assert.ok(rssError(scan, scan.reference.data, true) < 1e-6)
})

test('ISMRMRD: readouts gridded (noise skipped, averages averaged); RSS reproduces the phantom', { skip: NO_H5PY }, async (t) => {
  const file = path.join(ismrmrd.dir, 'full.h5')
  const scan = await loadKspace(file)
  assert.equal(scan.provenance.format, 'ismrmrd-h5')
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [2, 4, 48, 64])
  assert.equal(scan.sampledFraction, 1)
  assert.equal(scan.looksUndersampled, false)
  assert.deepEqual(scan.reconSize, [48, 32], 'recon matrix y × x (readout oversampling removed)')
  const m = scan.metadata
  assert.equal(m.Manufacturer, 'Synthetic & Co', 'XML entities decoded')
  assert.equal(m.ProtocolName, 'gre_2d')
  assert.equal(m.EchoTime, 4.5)
  assert.equal(m.Readouts, 2 * (48 + 1))
  const notes = scan.provenance.notes.join('; ')
  assert.match(notes, /skipped 1 noise readout/)
  assert.match(notes, /2 lines acquired more than once were averaged/)
  assert.match(notes, /rows = ky \(phase encoding\), columns = kx \(readout\)/)
  const phantom = readNpyFile(path.join(ismrmrd.dir, 'phantom.npy')).data as Float64Array
  const err = rssError(scan, phantom)
  t.diagnostic(`ISMRMRD RSS vs |phantom|: ${err.toExponential(2)} (relative to max)`)
  assert.ok(err < 1e-6, `RSS vs phantom ${err}`)
})

test('ISMRMRD undersampled with partial Fourier counters (center ≠ ny/2): lines land on the right rows', { skip: NO_H5PY }, async () => {
  const full = await loadKspace(path.join(ismrmrd.dir, 'full.h5'))
  const scan = await loadKspace(path.join(ismrmrd.dir, 'undersampled.h5'))
  assert.equal(scan.sampledFraction, ismrmrd.kept / ismrmrd.NY)
  assert.equal(scan.looksUndersampled, true)
  assert.equal(scan.metadata.AcquiredLines, 2 * ismrmrd.kept)
  // Every acquired line equals the fully sampled file's line at the same row; the rest are zero.
  for (let i = 0; i < scan.re.length; i++) {
    const row = Math.floor(i / scan.columns) % scan.rows
    if (scan.mask[row * scan.columns]) {
      assert.equal(scan.re[i], full.re[i])
      assert.equal(scan.im[i], full.im[i])
    } else {
      assert.equal(scan.re[i], 0)
    }
  }
  assert.equal(scan.mask[24 * scan.columns], 1, 'the DC row is sampled')
  assert.equal(scan.mask[0], 0, 'partial Fourier: the first lines were never acquired')
})

test('HDF5 errors: missing dataset lists the contents; wrong rank, real or non-finite data; options.dataset', { skip: NO_H5PY }, async () => {
  const dir = tempDir()
  runPython(PY_H5!, String.raw`
import sys, numpy as np, h5py
d = sys.argv[1]
with h5py.File(d + '/other.h5', 'w') as f:
    f['images'] = np.zeros((2, 8, 8), np.float32)
    f.create_group('meta')['info'] = np.arange(3)
with h5py.File(d + '/rank.h5', 'w') as f:
    f['kspace'] = np.ones((2, 2, 2, 8, 8), np.complex64)
with h5py.File(d + '/real.h5', 'w') as f:
    f['kspace'] = np.ones((2, 8, 8), np.float32)
k = np.ones((2, 3, 8, 8), np.complex64)
k[1, 2, 5, 4] = np.nan
with h5py.File(d + '/nan.h5', 'w') as f:
    f['kspace'] = k
with h5py.File(d + '/named.h5', 'w') as f:
    f['raw/ksp'] = np.ones((1, 2, 8, 8), np.complex128)
with h5py.File(d + '/huge.h5', 'w') as f:
    f.create_dataset('kspace', shape=(64, 32, 1024, 1024), dtype=np.complex64, chunks=(1, 1, 64, 64))
`, [dir])
  const p = (n: string): string => path.join(dir, n)
  await assert.rejects(loadKspace(p('other.h5')), (e: Error) => {
    assert.match(e.message, /other\.h5: no k-space found: neither a fastMRI 'kspace' dataset nor ISMRMRD '\/dataset\/data'/)
    assert.match(e.message, /\/images float32 \(2, 8, 8\)/)
    assert.match(e.message, /\/meta\/info int64 \(3\)/)
    return true
  })
  await assert.rejects(loadKspace(p('other.h5'), { dataset: 'kspace' }), /'kspace' is neither a k-space dataset nor an ISMRMRD group; the file holds .*\/images/)
  await assert.rejects(loadKspace(p('rank.h5')), /dataset 'kspace' has shape \(2, 2, 2, 8, 8\); fastMRI k-space is \(slices, H, W\) or \(slices, coils, H, W\)/)
  await assert.rejects(loadKspace(p('real.h5')), /dataset 'kspace' is float32 \(2, 8, 8\); k-space must be complex/)
  await assert.rejects(loadKspace(p('nan.h5')), /nan\.h5: k-space contains NaN or Infinity \(first at slice 1, coil 2, row 5, column 4/)
  const named = await loadKspace(p('named.h5'), { dataset: 'raw/ksp' })
  assert.deepEqual([named.slices, named.coils, named.rows, named.columns], [1, 2, 8, 8])
  assert.equal(named.metadata.Dtype, 'complex128')
  assert.match(named.provenance.notes.join('; '), /no ismrmrd_header/)
  // Refused from the shape alone: the file is tiny, the declared data 16 GiB.
  assert.ok(fs.statSync(p('huge.h5')).size < 1e6)
  await assert.rejects(loadKspace(p('huge.h5')), /dataset 'kspace' of shape \(64, 32, 1024, 1024\) has 2147483648 complex samples \(16\.0 GiB as complex64\), above the limit/)
})

test('HDF5 errors: truncated and corrupt files name the file and HDF5’s reason', { skip: NO_H5PY }, async () => {
  const dir = tempDir()
  const bytes = fs.readFileSync(path.join(fastmri.dir, 'multicoil_full.h5'))
  fs.writeFileSync(path.join(dir, 'half.h5'), bytes.subarray(0, bytes.length >> 1))
  await assert.rejects(loadKspace(path.join(dir, 'half.h5')), /half\.h5: cannot open as HDF5 \(truncated or corrupt file\?\): truncated file: eof = \d+/)
  const junk = Buffer.concat([bytes.subarray(0, 8), Buffer.alloc(4000, 0x78)])
  fs.writeFileSync(path.join(dir, 'junk.h5'), junk)
  await assert.rejects(loadKspace(path.join(dir, 'junk.h5')), /junk\.h5: cannot open as HDF5 \(truncated or corrupt file\?\): .*superblock/)
  fs.writeFileSync(path.join(dir, 'text.h5'), 'this is not HDF5')
  await assert.rejects(loadKspace(path.join(dir, 'text.h5')), /text\.h5: not an HDF5 file \(no HDF5 signature\)/)
  await assert.rejects(loadKspace(path.join(dir, 'absent.h5')), /cannot read k-space .*absent\.h5/)
})

test('a file that fails mid-read does not poison later loads of the same path', { skip: NO_H5PY }, async () => {
  // libhdf5 objects left open by a failed read keep the file open inside the library, with its
  // metadata cache: without a fresh instance, a good file saved over the broken one would be
  // read with the broken one's structure ("invalid link name").
  const p = path.join(tempDir(), 'scan.h5')
  const bytes = Buffer.from(fs.readFileSync(path.join(ismrmrd.dir, 'full.h5')))
  const tree = bytes.indexOf('TREE') // the root group's B-tree node
  assert.ok(tree > 0)
  bytes.write('XXXX', tree)
  fs.writeFileSync(p, bytes)
  await assert.rejects(loadKspace(p), /scan\.h5: cannot list \/ \(truncated or corrupt file\?\): wrong B-tree signature/)
  fs.copyFileSync(path.join(fastmri.dir, 'multicoil_full.h5'), p)
  const scan = await loadKspace(p)
  assert.deepEqual([scan.slices, scan.coils, scan.rows, scan.columns], [3, 4, 64, 40])
})

test('fastMRI with an unparsable ismrmrd_header still loads, without the recon matrix', { skip: NO_H5PY }, async () => {
  const dir = tempDir()
  const p = path.join(dir, 'bad-header.h5')
  fs.copyFileSync(path.join(fastmri.dir, 'multicoil_full.h5'), p)
  runPython(PY_H5!, String.raw`
import sys, h5py
with h5py.File(sys.argv[1], 'a') as f:
    del f['ismrmrd_header']
    del f['reconstruction_rss']
    f['ismrmrd_header'] = b'<ismrmrdHeader><encoding></ismrmrdHeader>'
`, [p])
  const scan = await loadKspace(p)
  assert.equal(scan.reconSize, undefined)
  assert.match(scan.provenance.notes.join('; '), /ismrmrd_header: the ISMRMRD XML header cannot be parsed: malformed XML .*end tag <\/ismrmrdHeader> does not match <encoding>; recon matrix unknown/)
})

test('ISMRMRD errors: non-Cartesian trajectory and 3-D encoding are refused', { skip: NO_H5PY }, async () => {
  const dir = tempDir()
  const src = fs.readFileSync(path.join(ismrmrd.dir, 'full.h5'))
  fs.writeFileSync(path.join(dir, 'radial.h5'), src)
  fs.writeFileSync(path.join(dir, '3d.h5'), src)
  runPython(PY_H5!, String.raw`
import sys, h5py
d = sys.argv[1]
with h5py.File(d + '/radial.h5', 'a') as f:
    x = f['dataset/xml'][0]
    x = x.decode() if isinstance(x, bytes) else x
    f['dataset/xml'][0] = x.replace('<trajectory>cartesian</trajectory>', '<trajectory>radial</trajectory>')
with h5py.File(d + '/3d.h5', 'a') as f:
    a = f['dataset/data'][...]
    a['head']['idx']['kspace_encode_step_2'][5:] = 1
    f['dataset/data'][...] = a
`, [dir])
  await assert.rejects(loadKspace(path.join(dir, 'radial.h5')), /radial\.h5: the trajectory is 'radial'; only Cartesian ISMRMRD data/)
  await assert.rejects(loadKspace(path.join(dir, '3d.h5')), /3d\.h5: 3-D acquisition \(2 kspace_encode_step_2 values\)/)
})
