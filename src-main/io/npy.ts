/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), read and write.
 *
 * Reading accepts numeric dtypes in either byte order and Fortran order, and always returns
 * native-endian, C-order (row-major) data, so that callers never have to think about either.
 * The header is a Python dict literal; it is parsed by a small literal parser here (never
 * evaluated), so a hostile file cannot run code and an odd one gets a precise error.
 *
 * Writing produces what numpy.save does: a version 1.0 header (2.0 only if the header would not
 * fit), little-endian data, C order, padded so that the data starts on a 64-byte boundary.
 *
 * Format reference: numpy/lib/format.py (NEP 1).
 */
import * as fs from 'node:fs'
import type { CArray, ComplexImage, RealImage } from '../engine/complex.ts'
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.ts'

/** Element types that can be read. Byte order is not part of it: data is always native-endian. */
export type NpyDtype = 'b1' | 'i1' | 'u1' | 'i2' | 'u2' | 'i4' | 'u4' | 'i8' | 'u8' | 'f2' | 'f4' | 'f8' | 'c8' | 'c16'
export type NpyRealDtype = Exclude<NpyDtype, 'c8' | 'c16'>
export type NpyComplexDtype = 'c8' | 'c16'
/** Element types that can be written. */
export type NpyWritableDtype = 'f4' | 'f8' | 'c8' | 'c16' | 'u1'

/**
 * Storage per dtype: b1 → Uint8Array of 0/1; i1/u1/i2/u2/i4/u4 → the matching typed array;
 * i8/u8 → Float64Array (exact: values beyond ±2^53 are rejected on reading); f2/f4 → Float32Array;
 * f8 → Float64Array.
 */
export type NpyRealData = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array

interface NpyArrayBase {
  /** Shape in C order, e.g. [coils, height, width]; [] for a 0-d array (one element). */
  shape: number[]
  /** Always false: Fortran-ordered files are transposed to C order on reading. */
  fortranOrder: false
  /** The descr string exactly as in the file header, e.g. '>f8', for messages. */
  descr: string
}

export interface NpyRealArray extends NpyArrayBase {
  dtype: NpyRealDtype
  data: NpyRealData
  complex?: undefined
}

export interface NpyComplexArray extends NpyArrayBase {
  dtype: NpyComplexDtype
  /** Interleaved re, im, re, im … as stored (Float32Array for c8, Float64Array for c16). */
  data: Float32Array | Float64Array
  /** The same values split, in float64 (exact for both c8 and c16). */
  complex: { re: Float64Array; im: Float64Array }
}

export type NpyArray = NpyRealArray | NpyComplexArray

/** Arrays with more elements than this are refused: no legitimate input here is that large. */
export const NPY_MAX_ELEMENTS = 2 ** 31

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
const MAX_SAFE = 2 ** 53
const MAX_SAFE_BIG = 2n ** 53n

const ITEMSIZE: Record<NpyDtype, number> = {
  b1: 1,
  i1: 1,
  u1: 1,
  i2: 2,
  u2: 2,
  i4: 4,
  u4: 4,
  i8: 8,
  u8: 8,
  f2: 2,
  f4: 4,
  f8: 8,
  c8: 8,
  c16: 16
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parse the bytes of a .npy file. `source` names the file in error messages.
 * Throws an Error with a specific message for every malformed or unsupported input.
 */
export function parseNpy(buf: Uint8Array, source = 'NPY data'): NpyArray {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`)
  }
  if (buf.length < 10) fail(`not a NumPy .npy file (only ${buf.length} bytes)`)
  for (let i = 0; i < MAGIC.length; i++) {
    if (buf[i] !== MAGIC[i]) fail('not a NumPy .npy file (missing the \\x93NUMPY magic string)')
  }
  const major = buf[6]
  const minor = buf[7]
  let headerLen: number
  let headerStart: number
  if (major === 1) {
    headerLen = buf[8] | (buf[9] << 8)
    headerStart = 10
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail(`truncated header (file is ${buf.length} bytes)`)
    headerLen = (buf[8] | (buf[9] << 8) | (buf[10] << 16)) + buf[11] * 2 ** 24
    headerStart = 12
  } else {
    return fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`)
  }
  if (minor !== 0) fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`)
  const dataStart = headerStart + headerLen
  if (dataStart > buf.length) {
    fail(`truncated header: it claims ${headerLen} bytes but the file has only ${buf.length - headerStart} after the preamble`)
  }
  const headerBytes = buf.subarray(headerStart, dataStart)
  // Versions 1 and 2 store the header in latin-1, version 3 in UTF-8 (for non-ASCII field names).
  let header = ''
  let dict: Map<string, PyValue>
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes)
    const value = parsePythonLiteral(header)
    if (!(value instanceof Map)) throw new Error('the header is not a dict')
    dict = value
  } catch (err) {
    return fail(`invalid header ${JSON.stringify(header.trim().slice(0, 200))}: ${(err as Error).message}`)
  }

  const keys = [...dict.keys()].sort()
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    fail(`header keys are {${keys.join(', ')}}; expected exactly descr, fortran_order and shape`)
  }
  const descrValue = dict.get('descr')
  const fortranValue = dict.get('fortran_order')
  const shapeValue = dict.get('shape')

  if (typeof descrValue !== 'string') {
    if (descrValue instanceof PyList || descrValue instanceof PyTuple) {
      fail('structured (record) arrays are not supported; save a plain numeric array')
    }
    fail(`descr must be a string, got ${describePy(descrValue)}`)
  }
  const descr = descrValue as string
  const { dtype, littleEndian } = parseDescr(descr, fail)

  if (typeof fortranValue !== 'boolean') fail(`fortran_order must be True or False, got ${describePy(fortranValue)}`)
  const fortran = fortranValue as boolean

  if (!(shapeValue instanceof PyTuple)) fail(`shape must be a tuple, got ${describePy(shapeValue)}`)
  const shape: number[] = []
  let count = 1n
  for (const d of (shapeValue as PyTuple).items) {
    if (typeof d !== 'bigint') fail(`shape entries must be integers, got ${describePy(d)}`)
    const dim = d as bigint
    if (dim < 0n) fail(`negative dimension ${dim} in shape`)
    count *= dim
    if (dim > BigInt(NPY_MAX_ELEMENTS)) fail(`dimension ${dim} is absurdly large (limit ${NPY_MAX_ELEMENTS} elements)`)
    shape.push(Number(dim))
  }
  if (count > BigInt(NPY_MAX_ELEMENTS)) {
    fail(`shape (${shape.join(', ')}) has ${count} elements; refusing arrays over ${NPY_MAX_ELEMENTS} elements`)
  }
  const n = Number(count)
  const itemsize = ITEMSIZE[dtype]
  const nbytes = n * itemsize
  const available = buf.length - dataStart
  if (available < nbytes) {
    fail(`truncated data: shape (${shape.join(', ')}) of ${descr} needs ${nbytes} bytes but only ${available} follow the header`)
  }
  if (available > nbytes) {
    fail(`${available - nbytes} unexpected bytes after the array data (shape (${shape.join(', ')}) of ${descr} needs ${nbytes})`)
  }

  // Copy into a fresh, aligned buffer: the input may sit at any offset inside a pooled Buffer,
  // and typed arrays need element-aligned offsets.
  const bytes = new Uint8Array(nbytes)
  bytes.set(buf.subarray(dataStart, dataStart + nbytes))
  const componentSize = dtype === 'c8' || dtype === 'c16' ? itemsize / 2 : itemsize
  if (componentSize > 1 && littleEndian !== HOST_LITTLE_ENDIAN) byteswap(bytes, componentSize)

  const raw = viewAs(bytes, dtype, n, fail)
  const perElement = dtype === 'c8' || dtype === 'c16' ? 2 : 1
  const data = fortran && shape.length > 1 ? fortranToC(raw, shape, perElement) : raw

  if (dtype === 'c8' || dtype === 'c16') {
    const inter = data as Float32Array | Float64Array
    const re = new Float64Array(n)
    const im = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      re[i] = inter[2 * i]
      im[i] = inter[2 * i + 1]
    }
    return { shape, dtype, fortranOrder: false, descr, data: inter, complex: { re, im } }
  }
  return { shape, dtype, fortranOrder: false, descr, data: data as NpyRealData }
}

/** Read and parse a .npy file; errors name the file. */
export function readNpyFile(file: string): NpyArray {
  let buf: Buffer
  try {
    buf = fs.readFileSync(file)
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseNpy(buf, file)
}

function parseDescr(descr: string, fail: (msg: string) => never): { dtype: NpyDtype; littleEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr)
  if (!m) return fail(`unsupported dtype ${JSON.stringify(descr)}`)
  const [, order, kind, sizeText] = m
  switch (kind) {
    case 'O':
      return fail(`dtype ${descr} is an object array (pickled Python objects); these are not supported and never loaded`)
    case 'U':
    case 'S':
    case 'a':
      return fail(`dtype ${descr} is a string array; only numeric arrays are supported`)
    case 'V':
      return fail(`dtype ${descr} is a void/structured type; only numeric arrays are supported`)
    case 'M':
    case 'm':
      return fail(`dtype ${descr} is a datetime/timedelta type; only numeric arrays are supported`)
  }
  const code = `${kind}${sizeText}`
  if (!(code in ITEMSIZE)) {
    if (kind === 'f' || kind === 'c') {
      return fail(`dtype ${descr} (extended precision) is not supported; convert to float64/complex128 first`)
    }
    return fail(`unsupported dtype ${JSON.stringify(descr)}`)
  }
  const dtype = code as NpyDtype
  const size = ITEMSIZE[dtype]
  if (order === '|' && size > 1) fail(`dtype ${descr} has no byte order ('|') but ${size}-byte elements need one`)
  // '=' means the writer's native order, which the file does not record; numpy itself never
  // writes it, and practically every machine that could have is little-endian.
  const littleEndian = order !== '>'
  return { dtype, littleEndian }
}

function byteswap(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]
      bytes[a] = bytes[b]
      bytes[b] = t
    }
  }
}

type AnyData = NpyRealData

function viewAs(bytes: Uint8Array, dtype: NpyDtype, n: number, fail: (msg: string) => never): AnyData {
  const ab = bytes.buffer
  switch (dtype) {
    case 'b1': {
      // numpy only ever stores 0/1, but normalise so that downstream code can rely on it.
      for (let i = 0; i < n; i++) bytes[i] = bytes[i] !== 0 ? 1 : 0
      return bytes
    }
    case 'u1':
      return bytes
    case 'i1':
      return new Int8Array(ab)
    case 'i2':
      return new Int16Array(ab)
    case 'u2':
      return new Uint16Array(ab)
    case 'i4':
      return new Int32Array(ab)
    case 'u4':
      return new Uint32Array(ab)
    case 'i8':
    case 'u8': {
      const big = dtype === 'i8' ? new BigInt64Array(ab) : new BigUint64Array(ab)
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const v = Number(big[i])
        // Number() rounds beyond 2^53, which would silently change the value. The rounded value
        // cannot tell 2^53 from 2^53 + 1, so the exact BigInt decides near the edge.
        if ((v >= MAX_SAFE || v <= -MAX_SAFE) && (big[i] > MAX_SAFE_BIG || big[i] < -MAX_SAFE_BIG)) {
          fail(`${dtype === 'i8' ? 'int64' : 'uint64'} value ${big[i]} at flat index ${i} cannot be represented exactly (|value| > 2^53)`)
        }
        out[i] = v
      }
      return out
    }
    case 'f2':
      return halfToFloat32(new Uint16Array(ab))
    case 'f4':
    case 'c8':
      return new Float32Array(ab)
    case 'f8':
    case 'c16':
      return new Float64Array(ab)
  }
}

function halfToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length)
  for (let i = 0; i < h.length; i++) {
    const x = h[i]
    const sign = x & 0x8000 ? -1 : 1
    const exp = (x >> 10) & 0x1f
    const frac = x & 0x3ff
    if (exp === 0) out[i] = sign * frac * 2 ** -24
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15)
  }
  return out
}

/** Reorder column-major data (first index fastest) into row-major (last index fastest). */
function fortranToC<T extends AnyData>(src: T, shape: number[], perElement: number): T {
  const ndim = shape.length
  const n = src.length / perElement
  const out = new (src.constructor as new (len: number) => T)(src.length)
  if (n === 0) return out
  const fStride = new Array<number>(ndim)
  fStride[0] = 1
  for (let k = 1; k < ndim; k++) fStride[k] = fStride[k - 1] * shape[k - 1]
  const idx = new Array<number>(ndim).fill(0)
  let f = 0
  for (let c = 0; c < n; c++) {
    if (perElement === 1) {
      out[c] = src[f]
    } else {
      out[2 * c] = src[2 * f]
      out[2 * c + 1] = src[2 * f + 1]
    }
    for (let k = ndim - 1; k >= 0; k--) {
      idx[k]++
      f += fStride[k]
      if (idx[k] < shape[k]) break
      f -= fStride[k] * shape[k]
      idx[k] = 0
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Conversions for the engine

/** All elements of a real array as float64 (a copy). Complex arrays are refused. */
export function toFloat64(arr: NpyArray): Float64Array {
  if (arr.complex) {
    throw new Error(`array is complex (${arr.descr}, shape (${arr.shape.join(', ')})); use toCArray or toComplexImage`)
  }
  return Float64Array.from(arr.data)
}

/** All elements as a complex array (copies); real arrays get a zero imaginary part. */
export function toCArray(arr: NpyArray): CArray {
  if (arr.complex) return { re: arr.complex.re.slice(), im: arr.complex.im.slice() }
  const re = Float64Array.from(arr.data)
  return { re, im: new Float64Array(re.length) }
}

/** A 2-D real array (or 1×H×W) as an image. Complex arrays are refused. */
export function toRealImage(arr: NpyArray): RealImage {
  const [height, width] = imageDims(arr)
  if (arr.complex) {
    throw new Error(
      `array is complex (${arr.descr}, shape (${arr.shape.join(', ')})); use toComplexImage, or take its magnitude explicitly`
    )
  }
  return { height, width, data: Float64Array.from(arr.data) }
}

/** A 2-D array (or 1×H×W) as a complex image; real arrays get a zero imaginary part. */
export function toComplexImage(arr: NpyArray): ComplexImage {
  const [height, width] = imageDims(arr)
  return { height, width, ...toCArray(arr) }
}

function imageDims(arr: NpyArray): [number, number] {
  const s = arr.shape
  let dims: number[] | null = null
  if (s.length === 2) dims = s
  else if (s.length === 3 && s[0] === 1) dims = s.slice(1)
  if (!dims) {
    throw new Error(`expected a 2-D image array (H, W) or (1, H, W), got shape (${s.join(', ')})`)
  }
  if (dims[0] === 0 || dims[1] === 0) throw new Error(`image array is empty: shape (${s.join(', ')})`)
  return [dims[0], dims[1]]
}

// ---------------------------------------------------------------------------------------------
// Writing

export type NpyComplexInput = { re: ArrayLike<number>; im: ArrayLike<number> }

/**
 * Encode an array as .npy bytes (little-endian, C order). Real dtypes take an array of numbers;
 * complex dtypes take {re, im}. 'u1' requires integers 0..255: anything else is refused rather
 * than silently clamped or wrapped.
 */
export function encodeNpy(data: ArrayLike<number> | NpyComplexInput, shape: readonly number[], dtype: NpyWritableDtype): Uint8Array {
  if (!['f4', 'f8', 'c8', 'c16', 'u1'].includes(dtype)) {
    throw new Error(`cannot write dtype ${JSON.stringify(dtype)}; writable dtypes are f4, f8, c8, c16, u1`)
  }
  let n = 1
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`invalid shape (${shape.join(', ')}): dimensions must be non-negative integers`)
    n *= d
  }
  if (n > NPY_MAX_ELEMENTS) throw new Error(`shape (${shape.join(', ')}) has ${n} elements; refusing arrays over ${NPY_MAX_ELEMENTS}`)
  const isComplex = dtype === 'c8' || dtype === 'c16'
  const isComplexInput = typeof data === 'object' && data !== null && 're' in data && 'im' in data && !('length' in data)
  if (isComplex !== isComplexInput) {
    throw new Error(isComplex ? `dtype ${dtype} needs {re, im} data` : `dtype ${dtype} needs a real array, got {re, im}`)
  }
  const lengths = isComplexInput
    ? [(data as NpyComplexInput).re.length, (data as NpyComplexInput).im.length]
    : [(data as ArrayLike<number>).length]
  for (const len of lengths) {
    if (len !== n) throw new Error(`data has ${len} elements but shape (${shape.join(', ')}) needs ${n}`)
  }

  const header = npyHeader(dtype, shape)
  const itemsize = ITEMSIZE[dtype]
  const out = new Uint8Array(header.length + n * itemsize)
  out.set(header)
  const dv = new DataView(out.buffer, header.length)
  if (dtype === 'u1') {
    const src = data as ArrayLike<number>
    for (let i = 0; i < n; i++) {
      const v = src[i]
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new Error(`value ${v} at flat index ${i} does not fit uint8 (integers 0..255); scale and round it first`)
      }
      out[header.length + i] = v
    }
  } else if (dtype === 'f4' || dtype === 'f8') {
    const src = data as ArrayLike<number>
    if (dtype === 'f4') for (let i = 0; i < n; i++) dv.setFloat32(4 * i, src[i], true)
    else for (let i = 0; i < n; i++) dv.setFloat64(8 * i, src[i], true)
  } else {
    const { re, im } = data as NpyComplexInput
    if (dtype === 'c8') {
      for (let i = 0; i < n; i++) {
        dv.setFloat32(8 * i, re[i], true)
        dv.setFloat32(8 * i + 4, im[i], true)
      }
    } else {
      for (let i = 0; i < n; i++) {
        dv.setFloat64(16 * i, re[i], true)
        dv.setFloat64(16 * i + 8, im[i], true)
      }
    }
  }
  return out
}

function npyHeader(dtype: NpyWritableDtype, shape: readonly number[]): Uint8Array {
  const descr = dtype === 'u1' ? '|u1' : `<${dtype}`
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`
  // Same layout as numpy: pad with spaces and end in '\n' so that the data is 64-byte aligned.
  for (const [major, preamble] of [
    [1, 10],
    [2, 12]
  ] as const) {
    const total = Math.ceil((preamble + dict.length + 1) / 64) * 64
    const headerLen = total - preamble
    if (major === 1 && headerLen > 0xffff) continue
    const out = new Uint8Array(total)
    out.set(MAGIC)
    out[6] = major
    out[7] = 0
    out[8] = headerLen & 0xff
    out[9] = (headerLen >> 8) & 0xff
    if (major === 2) {
      out[10] = (headerLen >> 16) & 0xff
      out[11] = (headerLen >>> 24) & 0xff
    }
    const text = dict.padEnd(headerLen - 1, ' ') + '\n'
    for (let i = 0; i < text.length; i++) out[preamble + i] = text.charCodeAt(i)
    return out
  }
  throw new Error('unreachable: a version 2.0 header always fits')
}

export type NpyWriteOptions = AtomicWriteOptions

/** Encode and write a .npy file atomically (see writeFileAtomic; refuses to overwrite by default). */
export function writeNpyFile(
  file: string,
  data: ArrayLike<number> | NpyComplexInput,
  shape: readonly number[],
  dtype: NpyWritableDtype,
  options: NpyWriteOptions = {}
): void {
  let bytes: Uint8Array
  try {
    bytes = encodeNpy(data, shape, dtype)
  } catch (err) {
    throw new Error(`Cannot write ${file}: ${(err as Error).message}`, { cause: err })
  }
  writeFileAtomic(file, bytes, options)
}

// ---------------------------------------------------------------------------------------------
// A parser for the subset of Python literal syntax that .npy headers use: dicts, tuples, lists,
// strings, integers, True/False/None. Anything else is an error.

class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
class PyList {
  constructor(readonly items: PyValue[]) {}
}
type PyValue = string | bigint | boolean | null | PyTuple | PyList | Map<string, PyValue>

const MAX_DEPTH = 32

function describePy(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'None'
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`
  if (typeof v === 'bigint') return `the integer ${v}`
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (v instanceof PyTuple) return 'a tuple'
  if (v instanceof PyList) return 'a list'
  return 'a dict'
}

function parsePythonLiteral(text: string): PyValue {
  let pos = 0
  const err = (msg: string): never => {
    throw new Error(`${msg} at character ${pos}`)
  }
  const skipWs = (): void => {
    while (pos < text.length && ' \t\n\r\f\v'.includes(text[pos])) pos++
  }
  const expect = (ch: string): void => {
    skipWs()
    if (text[pos] !== ch) err(`expected '${ch}'`)
    pos++
  }

  const parseValue = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) err('nesting too deep')
    skipWs()
    if (pos >= text.length) err('unexpected end of header')
    const ch = text[pos]
    if (ch === '{') return parseDict(depth)
    if (ch === '(') return parseSequence(depth, ')')
    if (ch === '[') return parseSequence(depth, ']')
    if (ch === "'" || ch === '"') return parseString()
    if ((ch === 'u' || ch === 'U') && (text[pos + 1] === "'" || text[pos + 1] === '"')) {
      pos++ // Python 2 unicode prefix, as in headers written by old numpy
      return parseString()
    }
    if (/[-+0-9]/.test(ch)) return parseInt()
    const word = /^[A-Za-z_]\w*/.exec(text.slice(pos, pos + 64))?.[0]
    if (word === 'True' || word === 'False' || word === 'None') {
      pos += word.length
      return word === 'None' ? null : word === 'True'
    }
    return err(`unexpected ${JSON.stringify(text.slice(pos, pos + 10))}`)
  }

  const parseDict = (depth: number): Map<string, PyValue> => {
    pos++ // {
    const map = new Map<string, PyValue>()
    for (;;) {
      skipWs()
      if (text[pos] === '}') {
        pos++
        return map
      }
      const key = parseValue(depth + 1)
      if (typeof key !== 'string') err('dict keys must be strings')
      if (map.has(key as string)) err(`duplicate key ${JSON.stringify(key)}`)
      expect(':')
      map.set(key as string, parseValue(depth + 1))
      skipWs()
      if (text[pos] === ',') pos++
      else if (text[pos] !== '}') err("expected ',' or '}'")
    }
  }

  const parseSequence = (depth: number, close: ')' | ']'): PyValue => {
    pos++ // ( or [
    const items: PyValue[] = []
    let sawComma = false
    for (;;) {
      skipWs()
      if (text[pos] === close) {
        pos++
        break
      }
      items.push(parseValue(depth + 1))
      skipWs()
      if (text[pos] === ',') {
        pos++
        sawComma = true
      } else if (text[pos] !== close) {
        err(`expected ',' or '${close}'`)
      }
    }
    if (close === ']') return new PyList(items)
    // As in Python, (x) is just x; only a comma makes a tuple.
    if (items.length === 1 && !sawComma) return items[0]
    return new PyTuple(items)
  }

  const parseString = (): string => {
    const quote = text[pos++]
    let out = ''
    for (;;) {
      if (pos >= text.length) err('unterminated string')
      const ch = text[pos++]
      if (ch === quote) return out
      if (ch === '\n') err('newline inside string')
      if (ch !== '\\') {
        out += ch
        continue
      }
      const e = text[pos++]
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' }
      if (e in simple) out += simple[e]
      else if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4
        const hex = text.slice(pos, pos + len)
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) err('bad escape in string')
        out += String.fromCharCode(parseInt16(hex))
        pos += len
      } else err(`unsupported escape \\${e ?? ''} in string`)
    }
  }

  const parseInt = (): bigint => {
    const re = /[-+]?\d+/y
    re.lastIndex = pos
    const m = re.exec(text)
    if (!m) return err('bad number')
    // Far beyond any real dimension; also keeps BigInt parsing of hostile input cheap.
    if (m[0].length > 40) err('integer literal too long')
    pos += m[0].length
    if (text[pos] === 'L' || text[pos] === 'l') pos++ // Python 2 long suffix
    if (/^[.eEjJxX_\d]/.test(text[pos] ?? '')) err('only plain integers are allowed here')
    return BigInt(m[0])
  }

  const value = parseValue(0)
  skipWs()
  if (pos !== text.length) err('unexpected text after the dict')
  return value
}

function parseInt16(hex: string): number {
  return Number.parseInt(hex, 16)
}
