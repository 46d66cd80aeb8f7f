import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { axialSlice, encodeNifti, niftiVolumeFromImage, parseNifti, readNiftiFile, writeNiftiFile } from '../../src-main/io/nifti.ts'
import { FileExistsError } from '../../src-main/io/atomic-write.ts'
import { findPython, runPython } from '../helpers/python-oracle.ts'

const PY = findPython('numpy, nibabel')
const NO_NIBABEL = PY ? false : 'nibabel not available (tried /usr/bin/python3 and python3)'

function withTmp(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-nifti-'))
  try {
    fn(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Deterministic float32 values with fractions, negatives and a wide range. */
function volumeData(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 1000 + (i % 7) * 0.125 - 3)
}

test('encodeNifti round trips through parseNifti, plain and gzip', () => {
  const dims = [5, 4, 3]
  const data = volumeData(60)
  for (const gzip of [false, true]) {
    const bytes = encodeNifti({ dims, spacing: [0.5, 0.75, 2], data, description: 'test volume' }, { gzip })
    assert.equal(bytes[0] === 0x1f && bytes[1] === 0x8b, gzip)
    const v = parseNifti(bytes)
    assert.deepEqual(v.dims, dims)
    assert.deepEqual(v.spacing, [0.5, 0.75, 2])
    assert.equal(v.datatype, 'float32')
    assert.deepEqual(Array.from(v.data), Array.from(data))
  }
})

test('NIfTI header: n+1, float32, vox_offset 352, scl_slope 1, diagonal qform and sform', () => {
  const bytes = encodeNifti({ dims: [3, 2, 2], spacing: [0.9, 1.1, 3], data: new Float32Array(12), description: 'x'.repeat(100) })
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  assert.equal(bytes.length, 352 + 48)
  assert.equal(v.getInt32(0, true), 348)
  assert.equal(Buffer.from(bytes.subarray(344, 348)).toString('latin1'), 'n+1\0')
  assert.deepEqual([v.getInt16(40, true), v.getInt16(42, true), v.getInt16(44, true), v.getInt16(46, true)], [3, 3, 2, 2])
  assert.deepEqual([v.getInt16(70, true), v.getInt16(72, true)], [16, 32])
  assert.equal(v.getFloat32(108, true), 352)
  assert.deepEqual([v.getFloat32(112, true), v.getFloat32(116, true)], [1, 0])
  assert.deepEqual([v.getInt16(252, true), v.getInt16(254, true)], [2, 2])
  const srow = Array.from({ length: 12 }, (_, i) => v.getFloat32(280 + 4 * i, true))
  assert.deepEqual(srow, [Math.fround(0.9), 0, 0, 0, 0, Math.fround(1.1), 0, 0, 0, 0, 3, 0])
  // The description is cut to 79 characters plus the terminating NUL.
  assert.equal(bytes[148 + 78], 0x78)
  assert.equal(bytes[148 + 79], 0)
})

test('image stacks map to NIfTI as the inverse of axialSlice', () => {
  // A volume, cut into slices for display the way the viewer does…
  const [nx, ny, nz] = [6, 5, 4]
  const vol = parseNifti(encodeNifti({ dims: [nx, ny, nz], spacing: [0.8, 0.9, 2.5], data: volumeData(nx * ny * nz) }))
  const stack = new Float32Array(nx * ny * nz)
  for (let z = 0; z < nz; z++) {
    const s = axialSlice(vol, z)
    assert.deepEqual([s.height, s.width], [ny, nx])
    stack.set(s.data, z * nx * ny)
  }
  // …and written back from that stack, gives the same voxels, dims and spacing.
  const back = niftiVolumeFromImage({ frames: nz, rows: ny, columns: nx, data: stack }, { pixelSpacing: [0.9, 0.8], sliceSpacing: 2.5 })
  const again = parseNifti(encodeNifti(back))
  assert.deepEqual(again.dims, vol.dims)
  assert.deepEqual(again.spacing, vol.spacing)
  assert.deepEqual(Array.from(again.data), Array.from(vol.data))
})

test('writeNiftiFile: gzip by name, atomic, refuses to overwrite unless asked', () => {
  withTmp((dir) => {
    const vol = { dims: [4, 3, 2], spacing: [1, 1, 1], data: volumeData(24) }
    const plain = path.join(dir, 'a.nii')
    const gz = path.join(dir, 'a.nii.gz')
    writeNiftiFile(plain, vol)
    writeNiftiFile(gz, vol)
    assert.equal(fs.readFileSync(plain)[0], 0x5c) // sizeof_hdr 348 = 0x15c, little-endian
    assert.deepEqual([...fs.readFileSync(gz).subarray(0, 2)], [0x1f, 0x8b])
    assert.deepEqual(Array.from(readNiftiFile(gz).data), Array.from(vol.data))
    assert.throws(() => writeNiftiFile(plain, vol), FileExistsError)
    writeNiftiFile(plain, { ...vol, data: new Float32Array(24).fill(7) }, { overwrite: true })
    assert.deepEqual(new Set(readNiftiFile(plain).data), new Set([7]))
    assert.throws(() => writeNiftiFile(path.join(dir, 'a.img'), vol), /must end in \.nii or \.nii\.gz/)
    assert.throws(() => writeNiftiFile(path.join(dir, 'nan.nii'), { ...vol, data: new Float32Array(24).fill(NaN) }), /Cannot write .*nan\.nii: cannot encode NIfTI: value NaN at voxel 0/)
    assert.throws(() => writeNiftiFile(path.join(dir, 'b.nii'), { ...vol, dims: [4, 3, 3] }), /24 values for dims 4×3×3 \(needs 36\)/)
    assert.throws(() => encodeNifti({ dims: [40000, 1, 1], data: new Float32Array(40000) }), /dimension 40000 is not an integer in 1…32767/)
    // Nothing but the three good files: no temporary files left by the failures.
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.nii', 'a.nii.gz'])
  })
})

const NIBABEL_READ = String.raw`
import json, sys
import numpy as np
import nibabel as nib
out = {}
for f in sys.argv[1:]:
    img = nib.load(f)
    h = img.header
    out[f] = {
        'shape': list(img.shape), 'dtype': str(img.get_data_dtype()),
        'zooms': [float(z) for z in h.get_zooms()],
        'qform_code': int(h['qform_code']), 'sform_code': int(h['sform_code']),
        'affine': img.affine.tolist(), 'qform': img.get_qform().tolist(),
        'slope': float(img.dataobj.slope), 'inter': float(img.dataobj.inter),
        'vox_offset': int(img.dataobj.offset), 'descrip': h['descrip'].tobytes().rstrip(b'\0').decode(),
        'data': np.asarray(img.dataobj).ravel(order='F').astype(float).tolist(),
    }
json.dump(out, sys.stdout)
`

const NIBABEL_WRITE = String.raw`
import sys
import numpy as np
import nibabel as nib
data = (np.sin(np.arange(4 * 3 * 5) * 0.37) * 1000).astype(np.float32).reshape((4, 3, 5), order='F')
img = nib.Nifti1Image(data, np.diag([0.7, 0.8, 3.0, 1.0]))
nib.save(img, sys.argv[1])
nib.save(nib.Nifti1Image(data.astype(np.int16), np.eye(4)), sys.argv[2])
`

test('nibabel reads what we write, and we read what nibabel writes', { skip: NO_NIBABEL }, () => {
  withTmp((dir) => {
    const vol3 = { dims: [5, 4, 3], spacing: [0.5, 0.75, 2], data: volumeData(60), description: 'recon-studio test' }
    const vol4 = { dims: [3, 2, 2, 2], spacing: [1.5, 1.5, 4, 2], data: volumeData(24) }
    const files = [path.join(dir, 'v3.nii'), path.join(dir, 'v3.nii.gz'), path.join(dir, 'v4.nii.gz')]
    writeNiftiFile(files[0], vol3)
    writeNiftiFile(files[1], vol3)
    writeNiftiFile(files[2], vol4)
    const info = JSON.parse(runPython(PY!, NIBABEL_READ, files)) as Record<string, Record<string, unknown>>
    for (const [f, vol] of [[files[0], vol3], [files[1], vol3], [files[2], vol4]] as const) {
      const r = info[f]
      assert.deepEqual(r.shape, vol.dims, f)
      assert.equal(r.dtype, 'float32')
      assert.deepEqual(r.zooms, vol.spacing.map((s) => Math.fround(s)))
      assert.equal(r.vox_offset, 352)
      assert.deepEqual([r.slope, r.inter], [1, 0])
      assert.deepEqual([r.qform_code, r.sform_code], [2, 2])
      const [dx, dy, dz] = vol.spacing.map((s) => Math.fround(s))
      const diag = [[dx, 0, 0, 0], [0, dy, 0, 0], [0, 0, dz, 0], [0, 0, 0, 1]]
      assert.deepEqual(r.affine, diag, `${f} sform`)
      assert.deepEqual(r.qform, diag, `${f} qform`)
      assert.deepEqual(r.data, Array.from(vol.data), f)
    }
    assert.equal(info[files[0]].descrip, 'recon-studio test')

    const fromNib = path.join(dir, 'nib.nii.gz')
    const fromNibInt = path.join(dir, 'nib16.nii')
    runPython(PY!, NIBABEL_WRITE, [fromNib, fromNibInt])
    const v = readNiftiFile(fromNib)
    assert.deepEqual(v.dims, [4, 3, 5])
    assert.deepEqual(v.spacing, [Math.fround(0.7), Math.fround(0.8), 3])
    const want = Array.from({ length: 60 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 1000))
    const maxErr = Math.max(...Array.from(v.data, (x, i) => Math.abs(x - want[i])))
    // numpy's sin and V8's may differ in the last bit before rounding to float32.
    assert.ok(maxErr <= 1e-4, `max error ${maxErr}`)
    // Read back and written out again by us, the voxels are bit-identical.
    const again = parseNifti(encodeNifti({ dims: v.dims, spacing: v.spacing, data: Float32Array.from(v.data) }))
    assert.deepEqual(Array.from(again.data), Array.from(v.data))
    assert.equal(readNiftiFile(fromNibInt).datatype, 'int16')
  })
})
