import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { listNpz, parseNpz, readNpzFile } from '../../src-main/io/npz.ts'
import { encodeNpy, type NpyArray } from '../../src-main/io/npy.ts'
import { NO_NUMPY, PY_NUMPY, runPython, tempDir } from '../helpers/kspace-fixtures.ts'
import { centralDirectoryOffset, makeZip } from '../helpers/zip-writer.ts'

const complexData = { re: [1, -2, 3.5, 0, 5, -6], im: [0.5, 0, -1, 2, 0, 1e-3] }
const kspaceNpy = encodeNpy(complexData, [2, 3], 'c8')
const realNpy = encodeNpy([0, 1, 2, 3], [4], 'f8')

function values(a: NpyArray | undefined): number[] {
  assert.ok(a)
  return Array.from(a.data as ArrayLike<number>)
}

test('npz: stored and deflated members read back exactly (JS-written archive)', () => {
  for (const method of [0, 8] as const) {
    const zip = makeZip([
      { name: 'kspace.npy', data: kspaceNpy, method },
      { name: 'weights.npy', data: realNpy, method }
    ])
    const entries = listNpz(zip, 'a.npz')
    assert.deepEqual(entries.map((e) => [e.name, e.compression]), [['kspace', method ? 'deflate' : 'stored'], ['weights', method ? 'deflate' : 'stored']])
    const arrays = parseNpz(zip, 'a.npz')
    assert.deepEqual([...arrays.keys()], ['kspace', 'weights'])
    const k = arrays.get('kspace')!
    assert.equal(k.dtype, 'c8')
    assert.deepEqual(k.shape, [2, 3])
    assert.deepEqual(Array.from(k.complex!.re), complexData.re.map((v) => Math.fround(v)))
    assert.deepEqual(Array.from(k.complex!.im), complexData.im.map((v) => Math.fround(v)))
    assert.deepEqual(values(arrays.get('weights')), [0, 1, 2, 3])
  }
})

test('npz: a ZIP64 extra field in the local header (as numpy writes) is skipped correctly', () => {
  const extra = new Uint8Array(20)
  new DataView(extra.buffer).setUint16(0, 1, true)
  new DataView(extra.buffer).setUint16(2, 16, true)
  const zip = makeZip([{ name: 'kspace.npy', data: kspaceNpy, localExtra: extra }])
  assert.deepEqual(parseNpz(zip).get('kspace')!.shape, [2, 3])
})

test('npz: members option reads only the named members and names missing ones', () => {
  const zip = makeZip([
    { name: 'kspace.npy', data: kspaceNpy },
    { name: 'weights.npy', data: realNpy }
  ])
  assert.deepEqual([...parseNpz(zip, 'a.npz', { members: ['weights'] }).keys()], ['weights'])
  assert.throws(() => parseNpz(zip, 'a.npz', { members: ['maps'] }), /a\.npz: no member 'maps'; the archive holds 'kspace', 'weights'/)
})

test('npz: corrupt archives give specific errors', () => {
  const good = makeZip([{ name: 'kspace.npy', data: kspaceNpy, method: 8 }])
  assert.throws(() => parseNpz(new Uint8Array(10), 'x.npz'), /x\.npz: not a \.npz \(ZIP\) archive: only 10 bytes/)
  assert.throws(() => parseNpz(new TextEncoder().encode('hello, this is not a zip archive'), 'x.npz'), /missing the PK/)
  assert.throws(() => parseNpz(good.subarray(0, good.length - 30), 'x.npz'), /no end-of-central-directory record/)

  // A flipped byte inside the deflate stream: either inflate fails or the CRC does not match.
  const flipped = good.slice()
  flipped[30 + 'kspace.npy'.length + 5] ^= 0xff
  assert.throws(() => parseNpz(flipped, 'x.npz'), /x\.npz: corrupt ZIP archive: (cannot inflate|CRC-32 mismatch|member kspace\.npy inflates)/)

  // Stored data changed after the CRC was computed.
  const stored = makeZip([{ name: 'kspace.npy', data: kspaceNpy }])
  stored[30 + 'kspace.npy'.length + kspaceNpy.length - 1] ^= 0x01
  assert.throws(() => parseNpz(stored, 'x.npz'), /CRC-32 mismatch for member kspace\.npy/)

  // Declared size smaller than the stream: stopped by the output cap, not allocated.
  const lying = makeZip([{ name: 'kspace.npy', data: kspaceNpy, method: 8, declaredSize: 64 }])
  assert.throws(() => parseNpz(lying, 'x.npz'), /member kspace\.npy inflates to more than its declared 64 bytes/)
  const short = makeZip([{ name: 'kspace.npy', data: kspaceNpy, method: 8, declaredSize: kspaceNpy.length + 10 }])
  assert.throws(() => parseNpz(short, 'x.npz'), /inflates to \d+ bytes, but \d+ are declared/)

  // Size limit checked from the directory, before inflating.
  assert.throws(() => parseNpz(good, 'x.npz', { maxMemberBytes: 100 }), /is \d+ bytes uncompressed, above the limit of 100/)

  // The member's data cut off (directory intact but pointing past the end).
  const cut = good.slice()
  const cd = centralDirectoryOffset(cut)
  new DataView(cut.buffer).setUint32(cd + 20, 1_000_000, true)
  assert.throws(() => parseNpz(cut, 'x.npz'), /x\.npz: (truncated ZIP archive|corrupt ZIP archive)/)
})

test('npz: unsupported ZIP features are refused clearly', () => {
  const zip = makeZip([{ name: 'kspace.npy', data: kspaceNpy }])
  const cd = centralDirectoryOffset(zip)
  const encrypted = zip.slice()
  new DataView(encrypted.buffer).setUint16(cd + 8, 1, true)
  assert.throws(() => parseNpz(encrypted, 'x.npz'), /member kspace\.npy is encrypted/)
  const bzip = zip.slice()
  new DataView(bzip.buffer).setUint16(cd + 10, 12, true)
  assert.throws(() => parseNpz(bzip, 'x.npz'), /compression method 12 \(bzip2\); only stored and deflate/)
  const zip64 = zip.slice()
  new DataView(zip64.buffer).setUint32(zip64.length - 22 + 16, 0xffffffff, true)
  assert.throws(() => parseNpz(zip64, 'x.npz'), /ZIP64 archives \(over 4 GiB or 65535 members\) are not supported/)
  // A bad member is reported with the archive and member names.
  const junk = makeZip([{ name: 'kspace.npy', data: new TextEncoder().encode('not numpy at all') }])
  assert.throws(() => parseNpz(junk, 'x.npz'), /x\.npz \[kspace\]: not a NumPy \.npy file/)
})

test('npz: archives written by numpy.savez and savez_compressed', { skip: NO_NUMPY }, () => {
  const dir = tempDir('recon-npz-')
  runPython(PY_NUMPY!, String.raw`
import sys, numpy as np
d = sys.argv[1]
k = (np.arange(24).reshape(2, 3, 4) * (1 - 0.5j)).astype(np.complex64)
np.savez(d + '/s.npz', kspace=k, mask=np.eye(3, dtype=bool), scale=np.float64(2.5))
np.savez_compressed(d + '/c.npz', kspace=k.astype(np.complex128), big=np.zeros((200, 200)))
np.savez(d + '/f.npz', kspace=np.asfortranarray(k))
`, [dir])
  for (const [file, method, dtype] of [['s.npz', 'stored', 'c8'], ['c.npz', 'deflate', 'c16'], ['f.npz', 'stored', 'c8']] as const) {
    const p = path.join(dir, file)
    const entries = listNpz(fs.readFileSync(p), p)
    assert.ok(entries.every((e) => e.compression === method), `${file}: ${method}`)
    const arrays = readNpzFile(p)
    const k = arrays.get('kspace')!
    assert.equal(k.dtype, dtype)
    assert.deepEqual(k.shape, [2, 3, 4])
    for (let i = 0; i < 24; i++) {
      assert.equal(k.complex!.re[i], i)
      assert.ok(k.complex!.im[i] === -0.5 * i, `im[${i}]`)
    }
  }
  const s = readNpzFile(path.join(dir, 's.npz'))
  assert.deepEqual([...s.keys()].sort(), ['kspace', 'mask', 'scale'])
  assert.deepEqual(values(s.get('mask')), [1, 0, 0, 0, 1, 0, 0, 0, 1])
  assert.deepEqual(s.get('scale')!.shape, [])
  assert.deepEqual(values(s.get('scale')), [2.5])
  assert.equal(readNpzFile(path.join(dir, 'c.npz')).get('big')!.data.length, 40000)
  assert.throws(() => readNpzFile(path.join(dir, 'missing.npz')), /Cannot read .*missing\.npz/)
})
