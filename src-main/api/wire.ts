/**
 * The wire format of browser mode: how ReconApi arguments, results and events cross HTTP.
 *
 * JSON cannot carry typed arrays, NaN, ±Infinity, -0 or `undefined`, and the API is full of
 * Float32Array images (with NaN in error maps, say) and Uint8Array file bytes. Values are
 * therefore mapped to a JSON tree with a few tagged objects:
 *
 *   {"$typed":"f32","b64":"…"}              a typed array, little-endian bytes in base64
 *   {"$typed":"u8","at":0,"n":123}          the same, its bytes in the binary container (below)
 *   {"$num":"NaN"|"Infinity"|"-Infinity"|"-0"}
 *   {"$undef":1}                            undefined (kept in arrays: slice(req, undefined))
 *   {"$error":{"name","message","code"}}    an Error inside a value
 *   {"$obj":{…}}                            a plain object that itself has a "$…" tag key (escape)
 *
 * Two encodings of that tree:
 * - JSON text (`encodeJson`/`decodeJson`): everything inline, readable with curl;
 * - a binary container (`encodeBinary`/`decodeBinary`), used by the bridge in both directions:
 *     "RCW1" | u32 LE length of the JSON | JSON (UTF-8) | zero padding to 8 | the arrays' bytes,
 *   each starting at a multiple of 8 of the data section. No base64 (4/3 the size) and no one
 *   giant string: V8 strings stop near 512 MiB, far below the 2 GiB a folder upload may take.
 *   Decoding returns views into the received buffer where alignment allows (no copy).
 *
 * Errors in responses travel as {name, message, code} (`errorToWire`/`errorFromWire`) and are
 * rethrown as ApiError. No Node or DOM import: the server and the browser bridge share this file.
 */
import { ApiError } from './contract.ts'

export const WIRE_JSON_TYPE = 'application/json'
export const WIRE_BINARY_TYPE = 'application/vnd.recon-wire'
const MAGIC = [0x52, 0x43, 0x57, 0x31] // "RCW1"

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array

type TypedCtor = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TypedArray; readonly BYTES_PER_ELEMENT: number }

/** Tag of each supported typed array ('buf' is a bare ArrayBuffer). */
const KINDS: Record<string, TypedCtor> = {
  i8: Int8Array,
  u8: Uint8Array,
  u8c: Uint8ClampedArray,
  i16: Int16Array,
  u16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  f32: Float32Array,
  f64: Float64Array,
  i64: BigInt64Array,
  u64: BigUint64Array
}

function kindOf(v: ArrayBufferView): string | null {
  // Subclasses (Node's Buffer is a Uint8Array) travel as their base type.
  if (v instanceof Uint8ClampedArray) return 'u8c'
  for (const [k, ctor] of Object.entries(KINDS)) if (v instanceof (ctor as unknown as typeof Uint8Array)) return k
  return null
}

const TAGS = ['$typed', '$num', '$undef', '$error', '$obj'] as const
const hasTag = (o: object): boolean => TAGS.some((t) => Object.prototype.hasOwnProperty.call(o, t))

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** The array's bytes in little-endian order (a view when the host is little-endian). */
function leBytes(v: ArrayBufferView, elementSize: number): Uint8Array {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  return LITTLE_ENDIAN || elementSize === 1 ? bytes : swapped(bytes, elementSize)
}

function swapped(bytes: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length)
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]
  return out
}

/** Error as it crosses a transport. */
export interface WireError {
  name: string
  message: string
  code: string
}

export function errorToWire(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return { name: err.name || 'Error', message: err.message || String(err), code: typeof code === 'string' && code ? code : 'error' }
  }
  return { name: 'Error', message: typeof err === 'string' ? err : String(err), code: 'error' }
}

/** The error the caller sees: an ApiError with the remote message and code. */
export function errorFromWire(value: unknown): ApiError {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof WireError, unknown>>
  const message = typeof v.message === 'string' ? v.message : 'unknown error'
  return new ApiError(message, typeof v.code === 'string' ? v.code : 'error')
}

// ---------------------------------------------------------------------------------------------
// value ⇄ JSON tree

type Attach = (bytes: Uint8Array) => number

function toTree(value: unknown, attach: Attach | null, stack: Set<object>): unknown {
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return { $num: 'NaN' }
      if (value === Infinity) return { $num: 'Infinity' }
      if (value === -Infinity) return { $num: '-Infinity' }
      if (Object.is(value, -0)) return { $num: '-0' }
      return value
    case 'string':
    case 'boolean':
      return value
    case 'undefined':
      return { $undef: 1 }
    case 'bigint':
      throw new TypeError('wire: cannot encode a bigint outside a BigInt64Array')
    case 'function':
    case 'symbol':
      return { $undef: 1 }
  }
  if (value === null) return null
  const obj = value as object
  if (ArrayBuffer.isView(obj)) {
    if (obj instanceof DataView) throw new TypeError('wire: cannot encode a DataView')
    const kind = kindOf(obj)
    if (!kind) throw new TypeError(`wire: unsupported typed array ${obj.constructor.name}`)
    const bytes = leBytes(obj, KINDS[kind].BYTES_PER_ELEMENT)
    const n = (obj as TypedArray).length
    return attach ? { $typed: kind, at: attach(bytes), n } : { $typed: kind, b64: base64Encode(bytes) }
  }
  if (obj instanceof ArrayBuffer) {
    const bytes = new Uint8Array(obj)
    return attach ? { $typed: 'buf', at: attach(bytes), n: bytes.length } : { $typed: 'buf', b64: base64Encode(bytes) }
  }
  if (obj instanceof Error) return { $error: errorToWire(obj) }
  if (stack.has(obj)) throw new TypeError('wire: cannot encode a cyclic structure')
  stack.add(obj)
  try {
    if (Array.isArray(obj)) return obj.map((x) => toTree(x, attach, stack))
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue // as JSON: absent
      out[k] = toTree(v, attach, stack)
    }
    return hasTag(out) ? { $obj: out } : out
  } finally {
    stack.delete(obj)
  }
}

type Fetch = (kind: string, tag: Record<string, unknown>) => ArrayBufferView | ArrayBuffer

function fromTree(tree: unknown, fetch: Fetch): unknown {
  if (tree === null || typeof tree !== 'object') return tree
  if (Array.isArray(tree)) return tree.map((x) => fromTree(x, fetch))
  const o = tree as Record<string, unknown>
  if (hasTag(o)) {
    if ('$obj' in o) return plainFromTree(o.$obj, fetch)
    if ('$num' in o) {
      switch (o.$num) {
        case 'NaN':
          return NaN
        case 'Infinity':
          return Infinity
        case '-Infinity':
          return -Infinity
        case '-0':
          return -0
      }
      throw new TypeError(`wire: bad number tag ${JSON.stringify(o.$num)}`)
    }
    if ('$undef' in o) return undefined
    if ('$error' in o) return errorFromWire(o.$error)
    if ('$typed' in o) {
      const kind = o.$typed
      if (typeof kind !== 'string' || (kind !== 'buf' && !Object.prototype.hasOwnProperty.call(KINDS, kind))) {
        throw new TypeError(`wire: unknown typed array kind ${JSON.stringify(kind)}`)
      }
      return fetch(kind, o)
    }
  }
  return plainFromTree(o, fetch)
}

function plainFromTree(tree: unknown, fetch: Fetch): Record<string, unknown> {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) throw new TypeError('wire: $obj must hold an object')
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(tree)) {
    // Never let a payload reach Object.prototype through a "__proto__" key.
    Object.defineProperty(out, k, { value: fromTree(v, fetch), enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** A fresh copy (not `slice()`: on a Node Buffer that is a view into the same memory). */
function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length)
  out.set(bytes)
  return out
}

/** A typed array of `kind` from little-endian bytes (copied into a fresh, aligned buffer). */
function typedFromBytes(kind: string, bytes: Uint8Array): ArrayBufferView | ArrayBuffer {
  if (kind === 'buf') return copyBytes(bytes).buffer
  const ctor = KINDS[kind]
  const size = ctor.BYTES_PER_ELEMENT
  if (bytes.length % size !== 0) throw new TypeError(`wire: ${bytes.length} bytes is not a whole number of ${kind} elements`)
  const own = LITTLE_ENDIAN || size === 1 ? copyBytes(bytes) : swapped(bytes, size)
  return new ctor(own.buffer, 0, own.length / size)
}

// ---------------------------------------------------------------------------------------------
// JSON text

/** Encode any API value (arguments, results, events) as JSON text with inline base64 arrays. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(toTree(value, null, new Set()))
}

/** Inverse of encodeJson; throws SyntaxError/TypeError on malformed input. */
export function decodeJson(text: string): unknown {
  return fromTree(JSON.parse(text) as unknown, (kind, tag) => {
    if (typeof tag.b64 !== 'string') throw new TypeError('wire: inline typed array without b64')
    return typedFromBytes(kind, base64Decode(tag.b64))
  })
}

// ---------------------------------------------------------------------------------------------
// Binary container

const align8 = (n: number): number => (n + 7) & ~7
// (n + 7) & ~7 is wrong above 2^31; the data section can be bigger than that.
const align8big = (n: number): number => Math.ceil(n / 8) * 8

/**
 * Encode as the binary container: a list of byte chunks to send one after the other
 * (`new Blob(parts)` in a browser, `res.write` for each in Node). The arrays' own memory is
 * referenced, not copied, on little-endian hosts.
 */
export function encodeBinary(value: unknown): Uint8Array[] {
  const blobs: Uint8Array[] = []
  let offset = 0
  const tree = toTree(
    value,
    (bytes) => {
      const at = offset
      blobs.push(bytes)
      offset = align8big(offset + bytes.length)
      return at
    },
    new Set()
  )
  const json = new TextEncoder().encode(JSON.stringify(tree))
  const headLength = align8(8 + json.length)
  const head = new Uint8Array(headLength)
  head.set(MAGIC, 0)
  new DataView(head.buffer).setUint32(4, json.length, true)
  head.set(json, 8)
  const parts: Uint8Array[] = [head]
  const zeros = new Uint8Array(8)
  for (const b of blobs) {
    if (b.length) parts.push(b)
    const pad = align8big(b.length) - b.length
    if (pad) parts.push(zeros.subarray(0, pad))
  }
  return parts
}

/** Total length of encodeBinary's parts. */
export function byteLength(parts: Uint8Array[]): number {
  return parts.reduce((n, p) => n + p.length, 0)
}

/** True when `bytes` starts like a binary container. */
export function isBinaryWire(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && MAGIC.every((m, i) => bytes[i] === m)
}

/**
 * Decode a binary container. Arrays are views into `bytes` where their offset is aligned for
 * the element type (so keep `bytes` unshared if the caller will reuse it), copies otherwise.
 */
export function decodeBinary(bytes: Uint8Array): unknown {
  if (!isBinaryWire(bytes)) throw new TypeError('wire: not a Recon wire container (bad magic)')
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true)
  if (8 + jsonLength > bytes.length) throw new TypeError('wire: truncated container (header)')
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + jsonLength))
  const dataStart = align8(8 + jsonLength)
  return fromTree(JSON.parse(text) as unknown, (kind, tag) => {
    const { at, n } = tag
    const size = kind === 'buf' ? 1 : KINDS[kind].BYTES_PER_ELEMENT
    if (!Number.isSafeInteger(at) || !Number.isSafeInteger(n) || (at as number) < 0 || (n as number) < 0) {
      throw new TypeError('wire: attached array without a valid offset and length')
    }
    const start = dataStart + (at as number)
    const end = start + (n as number) * size
    if (end > bytes.length) throw new TypeError('wire: truncated container (array data)')
    if (kind !== 'buf' && (LITTLE_ENDIAN || size === 1) && (bytes.byteOffset + start) % size === 0) {
      return new KINDS[kind](bytes.buffer as ArrayBuffer, bytes.byteOffset + start, n as number)
    }
    return typedFromBytes(kind, bytes.subarray(start, end))
  })
}

// ---------------------------------------------------------------------------------------------
// Base64 (Node's Buffer when present, else a table-driven codec: the bridge runs in a browser)

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const DECODE = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i

interface NodeBufferLike {
  from(data: ArrayBufferLike, byteOffset: number, length: number): { toString(enc: 'base64'): string }
  from(data: string, enc: 'base64'): Uint8Array
}
const NodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer

export function base64Encode(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  return base64EncodeJs(bytes)
}

export function base64Decode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new TypeError('wire: malformed base64')
  if (NodeBuffer) {
    const b = NodeBuffer.from(text, 'base64')
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }
  return base64DecodeJs(text)
}

/** Portable encoder (exported for tests). */
export function base64EncodeJs(bytes: Uint8Array): string {
  const chunks: string[] = []
  const CHUNK = 3 * 8192
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK)
    let s = ''
    let i = start
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
      s += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63]
    }
    if (end - i === 1) {
      const n = bytes[i] << 16
      s += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + '=='
    } else if (end - i === 2) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8)
      s += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + '='
    }
    chunks.push(s)
  }
  return chunks.join('')
}

/** Portable decoder (exported for tests); expects validated, padded input. */
export function base64DecodeJs(text: string): Uint8Array {
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - pad)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    const a = DECODE[text.charCodeAt(i)]
    const b = DECODE[text.charCodeAt(i + 1)]
    const c = text[i + 2] === '=' ? 0 : DECODE[text.charCodeAt(i + 2)]
    const d = text[i + 3] === '=' ? 0 : DECODE[text.charCodeAt(i + 3)]
    if ((a | b | c | d) < 0) throw new TypeError('wire: malformed base64')
    const n = (a << 18) | (b << 12) | (c << 6) | d
    if (o < out.length) out[o++] = n >> 16
    if (o < out.length) out[o++] = (n >> 8) & 255
    if (o < out.length) out[o++] = n & 255
  }
  return out
}
