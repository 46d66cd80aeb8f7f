import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  parseNpy,
  encodeNpy,
  readNpyFile,
  writeNpyFile,
  toFloat64,
  toCArray,
  toRealImage,
  toComplexImage,
  type NpyArray,
  type NpyWritableDtype
} from '../../src-main/io/npy.ts'
import { FileExistsError } from '../../src-main/io/atomic-write.ts'

// NumPy is the independent reference: files it writes must read back exactly, and files we write
// must load in it. /usr/bin/python3 is tried first because a pyenv python3 may lack numpy.
function findPython(modules: string): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', `import ${modules}`], { stdio: 'ignore' })
    if (r.status === 0) return exe
  }
  return null
}
const PY = findPython('numpy')
const NO_NUMPY = PY ? false : 'numpy not available (tried /usr/bin/python3 and python3 with "import numpy")'

// Outside the repository: <repo>/../shared/data, found from this file so that the cwd does not matter.
const KSPACE = fileURLToPath(new URL('../../../shared/data/kspace/sigpy-brain-8coil/cartesian_ksp.npy', import.meta.url))
const NO_KSPACE = fs.existsSync(KSPACE) ? false : `real k-space data not found at ${KSPACE}`

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'recon-'))
}

function runPython(script: string, args: string[]): string {
  const r = spawnSync(PY!, ['-c', script, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}\n${r.stdout}`)
  return r.stdout
}

/** A .npy file with an arbitrary header (version 1.0) for malformed-input tests. */
function makeNpy(header: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12
  const text = new TextEncoder().encode(header)
  const out = new Uint8Array(pre + text.length + data.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0])
  new DataView(out.buffer).setUint16(8, text.length, true)
  if (major !== 1) new DataView(out.buffer).setUint32(8, text.length, true)
  out.set(text, pre)
  out.set(data, pre + text.length)
  return out
}

function flat(arr: NpyArray): { re: Float64Array; im: Float64Array | null } {
  return arr.complex ? { re: arr.complex.re, im: arr.complex.im } : { re: Float64Array.from(arr.data), im: null }
}

// ---------------------------------------------------------------------------------------------
// Round trips through our own writer and reader

const SAMPLE = [0, 1, -1.5, 3.25, 1e-30, -2.5e38, 123456.789, Math.PI, -0, Infinity, -Infinity, NaN]

for (const dtype of ['f4', 'f8', 'c8', 'c16', 'u1'] as NpyWritableDtype[]) {
  test(`encodeNpy/parseNpy round trip: ${dtype}`, () => {
    for (const shape of [[], [7], [2, 3, 4], [0, 5]]) {
      const n = shape.reduce((a, b) => a * b, 1)
      const re = Array.from({ length: n }, (_, i) => (dtype === 'u1' ? (i * 37) % 256 : SAMPLE[i % SAMPLE.length] * (i + 1)))
      const im = Array.from({ length: n }, (_, i) => (i % 3) - 1.25 * i)
      const isComplex = dtype === 'c8' || dtype === 'c16'
      const bytes = encodeNpy(isComplex ? { re, im } : re, shape, dtype)

      // numpy's layout: v1.0, header padded with spaces to a 64-byte boundary, ending in '\n'
      assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
      const hlen = bytes[8] | (bytes[9] << 8)
      assert.equal((10 + hlen) % 64, 0)
      assert.equal(bytes[10 + hlen - 1], 0x0a)

      const arr = parseNpy(bytes)
      assert.deepEqual(arr.shape, shape)
      assert.equal(arr.dtype, dtype)
      assert.equal(arr.fortranOrder, false)
      const single = dtype === 'f4' || dtype === 'c8'
      const expRe = Float64Array.from(re, (v) => (single ? Math.fround(v) : v))
      const got = flat(arr)
      assert.deepEqual(got.re, expRe)
      if (isComplex) assert.deepEqual(got.im, Float64Array.from(im, (v) => (single ? Math.fround(v) : v)))
    }
  })
}

test('encodeNpy rejects mismatched or invalid input', () => {
  assert.throws(() => encodeNpy([1, 2, 3], [2, 2], 'f8'), /3 elements but shape \(2, 2\) needs 4/)
  assert.throws(() => encodeNpy([1, 2], [2], 'c16'), /needs \{re, im\}/)
  assert.throws(() => encodeNpy({ re: [1], im: [2] }, [1], 'f4'), /needs a real array/)
  assert.throws(() => encodeNpy({ re: [1, 2], im: [2] }, [2], 'c8'), /1 elements but shape/)
  assert.throws(() => encodeNpy([1, 256], [2], 'u1'), /value 256 at flat index 1 does not fit uint8/)
  assert.throws(() => encodeNpy([1.5], [1], 'u1'), /does not fit uint8/)
  assert.throws(() => encodeNpy([1], [-1], 'f8'), /invalid shape/)
  assert.throws(() => encodeNpy([1], [1], 'i4' as NpyWritableDtype), /cannot write dtype "i4"/)
})

// ---------------------------------------------------------------------------------------------
// Conversions

test('toRealImage / toComplexImage / toFloat64 / toCArray', () => {
  const real = parseNpy(encodeNpy([1, 2, 3, 4, 5, 6], [2, 3], 'f8'))
  assert.deepEqual(toRealImage(real), { height: 2, width: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6]) })
  const lead = parseNpy(encodeNpy([1, 2, 3, 4, 5, 6], [1, 3, 2], 'u1'))
  assert.deepEqual(toRealImage(lead), { height: 3, width: 2, data: Float64Array.from([1, 2, 3, 4, 5, 6]) })
  const c = toComplexImage(real)
  assert.equal(c.height, 2)
  assert.deepEqual(c.im, new Float64Array(6))
  assert.deepEqual(toFloat64(lead), Float64Array.from([1, 2, 3, 4, 5, 6]))

  const cplx = parseNpy(encodeNpy({ re: [1, 2], im: [3, 4] }, [1, 2], 'c16'))
  assert.throws(() => toRealImage(cplx), /complex.*use toComplexImage/)
  assert.throws(() => toFloat64(cplx), /complex/)
  assert.deepEqual(toComplexImage(cplx), { height: 1, width: 2, re: Float64Array.from([1, 2]), im: Float64Array.from([3, 4]) })
  assert.deepEqual(toCArray(cplx), { re: Float64Array.from([1, 2]), im: Float64Array.from([3, 4]) })

  const vol = parseNpy(encodeNpy(new Float64Array(12), [2, 2, 3], 'f8'))
  assert.throws(() => toRealImage(vol), /expected a 2-D image array \(H, W\) or \(1, H, W\), got shape \(2, 2, 3\)/)
  assert.throws(() => toRealImage(parseNpy(encodeNpy([1, 2], [2], 'f8'))), /got shape \(2\)/)
  assert.throws(() => toRealImage(parseNpy(encodeNpy([], [0, 4], 'f8'))), /empty/)
})

// ---------------------------------------------------------------------------------------------
// Malformed input: every case must throw a specific message, never crash or return garbage

test('rejects bad magic, truncation and trailing bytes', () => {
  const good = encodeNpy([1, 2, 3, 4], [2, 2], 'f8')
  assert.throws(() => parseNpy(new Uint8Array(0), 'x.npy'), /^Error: x\.npy: not a NumPy \.npy file \(only 0 bytes\)/)
  const badMagic = good.slice()
  badMagic[1] = 0x4f
  assert.throws(() => parseNpy(badMagic, 'x.npy'), /x\.npy: not a NumPy \.npy file \(missing the \\x93NUMPY magic/)
  assert.throws(() => parseNpy(good.subarray(0, good.length - 1), 'x.npy'), /x\.npy: truncated data: shape \(2, 2\) of <f8 needs 32 bytes but only 31/)
  assert.throws(() => parseNpy(good.subarray(0, 40), 'x.npy'), /x\.npy: truncated header: it claims 118 bytes/)
  assert.throws(() => parseNpy(good.subarray(0, 9)), /only 9 bytes/)
  const extra = new Uint8Array(good.length + 3)
  extra.set(good)
  assert.throws(() => parseNpy(extra), /3 unexpected bytes after the array data/)
  const v4 = good.slice()
  v4[6] = 4
  assert.throws(() => parseNpy(v4), /unsupported \.npy format version 4\.0/)
})

test('rejects unsupported dtypes with a clear reason', () => {
  const h = (descr: string): string => `{'descr': ${descr}, 'fortran_order': False, 'shape': (2,), }\n`
  assert.throws(() => parseNpy(makeNpy(h("'<U5'"), new Uint8Array(40))), /dtype <U5 is a string array/)
  assert.throws(() => parseNpy(makeNpy(h("'|S3'"), new Uint8Array(6))), /dtype \|S3 is a string array/)
  assert.throws(() => parseNpy(makeNpy(h("'|O'"), new Uint8Array(16))), /dtype \|O is an object array \(pickled/)
  assert.throws(() => parseNpy(makeNpy(h("[('a', '<f4'), ('b', '<i2')]"), new Uint8Array(12))), /structured \(record\) arrays are not supported/)
  assert.throws(() => parseNpy(makeNpy(h("'|V8'"), new Uint8Array(16))), /void\/structured/)
  assert.throws(() => parseNpy(makeNpy(h("'<M8[s]'"), new Uint8Array(16))), /unsupported dtype "<M8\[s\]"/)
  assert.throws(() => parseNpy(makeNpy(h("'<f16'"), new Uint8Array(32))), /extended precision/)
  assert.throws(() => parseNpy(makeNpy(h("'|f8'"), new Uint8Array(16))), /no byte order/)
  assert.throws(() => parseNpy(makeNpy(h("'<q8'"), new Uint8Array(16))), /unsupported dtype "<q8"/)
})

test('rejects headers that are not a valid dict literal, without evaluating them', () => {
  const bad = [
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2,)", /unexpected end of header|expected ',' or '}'/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (1+1,), }", /expected ',' or '\)'/],
    ["__import__('os').system('echo pwned')", /invalid header/],
    ["{'descr': '<f8', 'fortran_order': false, 'shape': (2,), }", /unexpected "false/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } junk", /unexpected text after the dict/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2.0,), }", /only plain integers/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", /duplicate key "shape"/],
    ["{'descr': '<f8', 'shape': (2,), }", /expected exactly descr, fortran_order and shape/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}", /expected exactly/],
    ["{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }", /fortran_order must be True or False, got the integer 0/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': [2], }", /shape must be a tuple, got a list/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (2), }", /shape must be a tuple, got the integer 2/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", /negative dimension -2/],
    ["{'descr': '<f8', 'fortran_order': False, 'shape': ('2',), }", /shape entries must be integers/],
    ["{'descr': 5, 'fortran_order': False, 'shape': (2,), }", /descr must be a string/],
    ['[' .repeat(1000), /nesting too deep/],
    ["{'descr': '<f8, 'fortran_order': False, 'shape': (2,), }", /expected ':'|expected ','/]
  ] as const
  for (const [header, re] of bad) {
    assert.throws(() => parseNpy(makeNpy(header + '\n', new Uint8Array(16)), 'h.npy'), (err: Error) => {
      assert.match(err.message, /^h\.npy: /)
      assert.match(err.message, re, `header ${header.slice(0, 60)} gave: ${err.message}`)
      return true
    })
  }
  // Valid Python that numpy itself accepts: double quotes, Python 2 long suffix and unicode prefix.
  const ok = parseNpy(makeNpy(`{u"descr": "<f8", "fortran_order": False, "shape": (1L, 2L)}`, new Uint8Array(16)))
  assert.deepEqual(ok.shape, [1, 2])
})

test('rejects absurd sizes before allocating anything', () => {
  const h = (shape: string): string => `{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }\n`
  assert.throws(() => parseNpy(makeNpy(h('(1099511627776, 1099511627776)'))), /dimension 1099511627776 is absurdly large/)
  assert.throws(() => parseNpy(makeNpy(h('(65536, 65536)'))), /has 4294967296 elements; refusing arrays over 2147483648/)
  assert.throws(() => parseNpy(makeNpy(h('(99999999999999999999999999999999999999999999,)'))), /integer literal too long/)
  assert.throws(() => parseNpy(makeNpy(h('(1000, 1000)'))), /needs 8000000 bytes but only 0 follow/)
  // A version 2 header length that points beyond the file.
  const v2 = makeNpy(h('(1,)'), new Uint8Array(8), 2)
  new DataView(v2.buffer).setUint32(8, 0xfffffff0, true)
  assert.throws(() => parseNpy(v2), /truncated header: it claims 4294967280 bytes/)
})

test('int64 beyond 2^53 is refused rather than rounded', () => {
  const data = new Uint8Array(16)
  const dv = new DataView(data.buffer)
  dv.setBigInt64(0, 2n ** 53n, true)
  dv.setBigInt64(8, -(2n ** 53n), true)
  const ok = parseNpy(makeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", data))
  assert.deepEqual(ok.data, Float64Array.from([2 ** 53, -(2 ** 53)]))
  dv.setBigInt64(8, 2n ** 53n + 1n, true)
  assert.throws(
    () => parseNpy(makeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", data)),
    /int64 value 9007199254740993 at flat index 1 cannot be represented exactly/
  )
  dv.setBigUint64(8, 2n ** 64n - 1n, false)
  assert.throws(() => parseNpy(makeNpy("{'descr': '>u8', 'fortran_order': False, 'shape': (2,), }\n", data)), /uint64 value 18446744073709551615/)
})

test('fortran_order is converted to C order (hand-made file)', () => {
  // 2×3 array [[1,2,3],[4,5,6]] stored column-major: 1 4 2 5 3 6, big-endian int16
  const data = new Uint8Array(12)
  const dv = new DataView(data.buffer)
  ;[1, 4, 2, 5, 3, 6].forEach((v, i) => dv.setInt16(2 * i, v, false))
  const arr = parseNpy(makeNpy("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }\n", data))
  assert.equal(arr.dtype, 'i2')
  assert.ok(arr.data instanceof Int16Array)
  assert.deepEqual([...arr.data], [1, 2, 3, 4, 5, 6])
  assert.equal(arr.fortranOrder, false)
})

// ---------------------------------------------------------------------------------------------
// Files and the atomic writer

test('writeNpyFile / readNpyFile: atomic, refuses to overwrite, errors name the file', () => {
  const dir = tmpDir()
  try {
    const f = path.join(dir, 'a.npy')
    writeNpyFile(f, [1, 2, 3, 4], [2, 2], 'f4')
    assert.deepEqual(toFloat64(readNpyFile(f)), Float64Array.from([1, 2, 3, 4]))
    assert.throws(() => writeNpyFile(f, [5, 6, 7, 8], [2, 2], 'f4'), FileExistsError)
    writeNpyFile(f, [5, 6, 7, 8], [4], 'f8', { overwrite: true })
    assert.deepEqual(readNpyFile(f).shape, [4])
    assert.throws(() => writeNpyFile(path.join(dir, 'b.npy'), [1], [2], 'f8'), /Cannot write .*b\.npy: data has 1 elements/)
    assert.throws(() => readNpyFile(path.join(dir, 'missing.npy')), /Cannot read .*missing\.npy: ENOENT/)
    fs.writeFileSync(path.join(dir, 'c.npy'), 'hello')
    assert.throws(() => readNpyFile(path.join(dir, 'c.npy')), /c\.npy: not a NumPy \.npy file/)
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.npy', 'c.npy'])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('real 8-coil k-space file (complex64) reads with the right shape', { skip: NO_KSPACE }, () => {
  const arr = readNpyFile(KSPACE)
  assert.deepEqual(arr.shape, [8, 230, 180])
  assert.equal(arr.dtype, 'c8')
  assert.ok(arr.complex)
  let nonzero = 0
  for (let i = 0; i < arr.complex.re.length; i++) if (arr.complex.re[i] !== 0 || arr.complex.im[i] !== 0) nonzero++
  // Poisson-disc undersampled, ≈12 % of samples (see the data README)
  const frac = nonzero / arr.complex.re.length
  assert.ok(frac > 0.1 && frac < 0.15, `sampled fraction ${frac}`)
})

test('real k-space file matches numpy exactly', { skip: NO_NUMPY || NO_KSPACE }, () => {
  const dir = tmpDir()
  try {
    runPython(
      `import numpy as np, sys
a = np.load(sys.argv[1])
np.ascontiguousarray(a.real, dtype=np.float64).tofile(sys.argv[2] + '/re.bin')
np.ascontiguousarray(a.imag, dtype=np.float64).tofile(sys.argv[2] + '/im.bin')`,
      [KSPACE, dir]
    )
    const arr = readNpyFile(KSPACE)
    assert.deepEqual(arr.complex!.re, readF64(path.join(dir, 're.bin')))
    assert.deepEqual(arr.complex!.im, readF64(path.join(dir, 'im.bin')))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

function readF64(file: string): Float64Array {
  const b = fs.readFileSync(file)
  const out = new Float64Array(b.length / 8)
  new Uint8Array(out.buffer).set(b)
  return out
}

// ---------------------------------------------------------------------------------------------
// Against numpy

const NUMPY_WRITER = String.raw`
import numpy as np, json, sys, os
out = sys.argv[1]
cases = []
def save(name, a, ours, version=None, expect=None):
    p = os.path.join(out, name + '.npy')
    if version is None:
        np.save(p, a)
    else:
        with open(p, 'wb') as f:
            np.lib.format.write_array(f, a, version=version)
    e = np.asarray(a if expect is None else expect)
    c = np.iscomplexobj(e)
    np.ascontiguousarray(e.real if c else e, dtype=np.float64).tofile(p + '.re')
    if c:
        np.ascontiguousarray(e.imag, dtype=np.float64).tofile(p + '.im')
    cases.append({'name': name, 'file': p, 'shape': list(e.shape), 'dtype': ours, 'descr': a.dtype.str, 'complex': bool(c)})

base = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], dtype=np.float64)
vals = {
  'f2': np.array([[0, 1, -1, 0.5], [65504, -65504, 6e-8, np.inf], [-np.inf, np.nan, 1/3, -0.0]]),
  'f4': np.array([[0, 1, -1, 0.1], [3.4e38, -3.4e38, 1e-45, np.inf], [-np.inf, np.nan, 1/3, -0.0]]),
  'f8': np.array([[0, 1, -1, 0.1], [1.7e308, -1.7e308, 5e-324, np.inf], [-np.inf, np.nan, 1/3, -0.0]]),
  'c8': base * (1 + 0.5j) - 2.25j,
  'c16': np.array([[0.1 + 0.2j, -1e300 + 1e-300j, np.inf - 1j, np.nan + 0j]] * 3),
  'b1': (base % 3 == 0),
  'i1': np.array([[-128, 127, 0, -1]] * 3),
  'u1': np.array([[0, 255, 1, 128]] * 3),
  'i2': np.array([[-32768, 32767, 0, -1]] * 3),
  'u2': np.array([[0, 65535, 1, 32768]] * 3),
  'i4': np.array([[-2**31, 2**31 - 1, 0, -1]] * 3),
  'u4': np.array([[0, 2**32 - 1, 1, 2**31]] * 3),
  'i8': np.array([[-2**53, 2**53, 0, -1]] * 3),
  'u8': np.array([[0, 2**53, 1, 2**40]] * 3),
}
npname = {'f2': 'f2', 'f4': 'f4', 'f8': 'f8', 'c8': 'c8', 'c16': 'c16', 'b1': '?', 'i1': 'i1', 'u1': 'u1',
          'i2': 'i2', 'u2': 'u2', 'i4': 'i4', 'u4': 'u4', 'i8': 'i8', 'u8': 'u8'}
for ours, v in vals.items():
    for order in '<>':
        dt = np.dtype(npname[ours]).newbyteorder(order)
        a = np.asarray(v).astype(dt)
        save(ours + order.replace('<', 'le').replace('>', 'be'), a, ours, expect=a.astype(np.complex128 if ours[0] == 'c' else np.float64))

rng = np.random.default_rng(0)
cube = rng.standard_normal((2, 3, 4))
save('fortran3d_f8', np.asfortranarray(cube), 'f8')
save('fortran3d_c16_be', np.asfortranarray(cube + 1j * cube[::-1]).astype('>c16'), 'c16')
save('fortran2d_u2', np.asfortranarray(np.arange(35, dtype='<u2').reshape(5, 7)), 'u2')
save('fortran4d_c8', np.asfortranarray((rng.standard_normal((2, 3, 2, 5)) + 1j).astype(np.complex64)), 'c8')
save('v2_f4', rng.standard_normal((3, 5)).astype(np.float32), 'f4', version=(2, 0))
save('v3_i2', np.arange(-6, 6, dtype='>i2').reshape(3, 4), 'i2', version=(3, 0))
save('zero_d', np.array(3.5), 'f8')
save('one_d', np.arange(10, dtype=np.int32), 'i4')
save('three_d', rng.standard_normal((2, 5, 3)).astype(np.float32), 'f4')
save('empty', np.zeros((0, 4)), 'f8')
save('complex_image', (rng.standard_normal((6, 5)) + 1j * rng.standard_normal((6, 5))).astype(np.complex64), 'c8')
json.dump(cases, open(os.path.join(out, 'cases.json'), 'w'))
`

test('reads every dtype, byte order, Fortran order and version exactly as numpy wrote it', { skip: NO_NUMPY }, () => {
  const dir = tmpDir()
  try {
    runPython(NUMPY_WRITER, [dir])
    const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as {
      name: string
      file: string
      shape: number[]
      dtype: string
      descr: string
      complex: boolean
    }[]
    assert.ok(cases.length >= 39)
    for (const c of cases) {
      const arr = readNpyFile(c.file)
      assert.deepEqual(arr.shape, c.shape, c.name)
      assert.equal(arr.dtype, c.dtype, c.name)
      assert.equal(arr.descr, c.descr, c.name)
      const got = flat(arr)
      assert.deepEqual(got.re, readF64(c.file + '.re'), `${c.name}: real part`)
      if (c.complex) assert.deepEqual(got.im, readF64(c.file + '.im'), `${c.name}: imaginary part`)
      else assert.equal(got.im, null, c.name)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('numpy-written unsupported files are refused clearly', { skip: NO_NUMPY }, () => {
  const dir = tmpDir()
  try {
    runPython(
      String.raw`import numpy as np, sys, os
d = sys.argv[1]
np.save(os.path.join(d, 'str.npy'), np.array(['ab', 'cde']))
np.save(os.path.join(d, 'obj.npy'), np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
np.save(os.path.join(d, 'rec.npy'), np.zeros(3, dtype=[('x', '<f4'), ('y', '<i2')]))
np.save(os.path.join(d, 'ld.npy'), np.zeros(3, dtype=np.longdouble))
np.save(os.path.join(d, 'big.npy'), np.array([2**60], dtype=np.int64))`,
      [dir]
    )
    const f = (n: string): string => path.join(dir, n)
    assert.throws(() => readNpyFile(f('str.npy')), /str\.npy: dtype <U3 is a string array/)
    assert.throws(() => readNpyFile(f('obj.npy')), /obj\.npy: dtype \|O is an object array/)
    assert.throws(() => readNpyFile(f('rec.npy')), /rec\.npy: structured \(record\) arrays are not supported/)
    assert.throws(() => readNpyFile(f('ld.npy')), /ld\.npy: dtype <f16 \(extended precision\)/)
    assert.throws(() => readNpyFile(f('big.npy')), /big\.npy: int64 value 1152921504606846976 .* cannot be represented exactly/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('numpy loads what we write, with the same values, dtype and shape', { skip: NO_NUMPY }, () => {
  const dir = tmpDir()
  try {
    const specs: { name: string; dtype: NpyWritableDtype; shape: number[] }[] = [
      { name: 'f4_2d', dtype: 'f4', shape: [3, 5] },
      { name: 'f8_3d', dtype: 'f8', shape: [2, 3, 4] },
      { name: 'c8_2d', dtype: 'c8', shape: [4, 3] },
      { name: 'c16_3d', dtype: 'c16', shape: [2, 2, 5] },
      { name: 'u1_2d', dtype: 'u1', shape: [6, 7] },
      { name: 'f8_0d', dtype: 'f8', shape: [] },
      { name: 'f4_1d', dtype: 'f4', shape: [9] },
      { name: 'c16_empty', dtype: 'c16', shape: [0, 3] }
    ]
    for (const s of specs) {
      const n = s.shape.reduce((a, b) => a * b, 1)
      const re = Float64Array.from({ length: n }, (_, i) => (s.dtype === 'u1' ? (i * 41) % 256 : Math.sin(i + 1) * 10 ** (i % 7)))
      const im = Float64Array.from({ length: n }, (_, i) => Math.cos(i) - i)
      const isComplex = s.dtype === 'c8' || s.dtype === 'c16'
      writeNpyFile(path.join(dir, `${s.name}.npy`), isComplex ? { re, im } : re, s.shape, s.dtype)
      fs.writeFileSync(path.join(dir, `${s.name}.re`), new Uint8Array(re.buffer))
      fs.writeFileSync(path.join(dir, `${s.name}.im`), new Uint8Array(im.buffer))
    }
    fs.writeFileSync(path.join(dir, 'specs.json'), JSON.stringify(specs))
    const out = runPython(
      String.raw`import numpy as np, json, sys, os
d = sys.argv[1]
names = {'f4': 'float32', 'f8': 'float64', 'c8': 'complex64', 'c16': 'complex128', 'u1': 'uint8'}
for s in json.load(open(os.path.join(d, 'specs.json'))):
    p = os.path.join(d, s['name'] + '.npy')
    a = np.load(p, allow_pickle=False)
    assert a.dtype == np.dtype(names[s['dtype']]), (s, a.dtype)
    assert list(a.shape) == s['shape'], (s, a.shape)
    assert a.flags['C_CONTIGUOUS']
    re = np.fromfile(os.path.join(d, s['name'] + '.re'), dtype='<f8').reshape(s['shape'])
    im = np.fromfile(os.path.join(d, s['name'] + '.im'), dtype='<f8').reshape(s['shape'])
    exp = (re + 1j * im) if s['dtype'][0] == 'c' else re
    assert np.array_equal(a, exp.astype(a.dtype)), s['name']
    with open(p, 'rb') as f:
        version = np.lib.format.read_magic(f)
        assert version == (1, 0), version
        f.seek(0)
        raw = f.read()
    hlen = int.from_bytes(raw[8:10], 'little')
    assert (10 + hlen) % 64 == 0 and raw[10 + hlen - 1:10 + hlen] == b'\n'
    print('ok', s['name'])`,
      [dir]
    )
    assert.equal(out.trim().split('\n').length, specs.length, out)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
