/**
 * The wire format of browser mode (src-main/api/wire.ts): typed arrays, non-finite numbers,
 * -0 and undefined round-trip exactly through both the JSON text and the binary container;
 * tag look-alikes in user data are escaped; errors become ApiErrors; malformed input throws.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError } from '../../src-main/api/contract.ts'
import {
  base64DecodeJs,
  base64EncodeJs,
  decodeBinary,
  decodeJson,
  encodeBinary,
  encodeJson,
  errorFromWire,
  errorToWire,
  isBinaryWire
} from '../../src-main/api/wire.ts'

/** Concatenate the binary container's parts as a server or browser would receive them. */
function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

const viaJson = (v: unknown): unknown => decodeJson(encodeJson(v))
const viaBinary = (v: unknown): unknown => decodeBinary(joined(encodeBinary(v)))

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.constructor !== b.constructor || a.byteLength !== b.byteLength) return false
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  return x.every((v, i) => v === y[i])
}

for (const [name, roundTrip] of [
  ['JSON', viaJson],
  ['binary', viaBinary]
] as const) {
  test(`${name}: every typed array kind round-trips bit for bit, NaN/Infinity/-0 inside Float32Array included`, () => {
    const f32 = new Float32Array([0, -0, 1.5, NaN, Infinity, -Infinity, 3.4e38, 1e-45, -1e-45])
    // A NaN with a payload other than the canonical one must survive too.
    new Uint32Array(f32.buffer)[0] = 0x7fc12345
    const value = {
      f32,
      f64: new Float64Array([Math.PI, NaN, -Infinity, -0, Number.MIN_VALUE]),
      u8: new Uint8Array([0, 1, 255]),
      u8c: new Uint8ClampedArray([0, 128, 255]),
      i8: new Int8Array([-128, 0, 127]),
      u16: new Uint16Array([0, 65535]),
      i16: new Int16Array([-32768, 32767]),
      u32: new Uint32Array([0, 4294967295]),
      i32: new Int32Array([-2147483648, 2147483647]),
      i64: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      u64: new BigUint64Array([0n, 2n ** 64n - 1n]),
      empty: new Float32Array(0),
      buf: new Uint16Array([1, 2, 3]).buffer
    }
    const out = roundTrip(value) as typeof value
    for (const k of Object.keys(value) as (keyof typeof value)[]) {
      if (k === 'buf') continue
      assert.ok(sameBits(out[k] as ArrayBufferView, value[k] as ArrayBufferView), `${name} ${k}`)
    }
    assert.ok(out.buf instanceof ArrayBuffer)
    assert.deepEqual([...new Uint16Array(out.buf)], [1, 2, 3])
  })

  test(`${name}: subarray views and Node Buffers travel as their own elements only`, () => {
    const base = new Float32Array([1, 2, 3, 4, 5, 6])
    const out = roundTrip({ a: base.subarray(2, 5), b: Buffer.from('hello') }) as { a: Float32Array; b: Uint8Array }
    assert.ok(out.a instanceof Float32Array)
    assert.deepEqual([...out.a], [3, 4, 5])
    assert.equal(out.b.constructor, Uint8Array)
    assert.equal(new TextDecoder().decode(out.b), 'hello')
  })

  test(`${name}: plain numbers, undefined in arrays, nested structures, tag look-alikes`, () => {
    const value = {
      n: [NaN, Infinity, -Infinity, -0, 0, 1.25, Number.MAX_SAFE_INTEGER],
      args: [{ scanId: 's1', series: 0 }, undefined],
      missing: undefined,
      nested: { deep: [{ image: { width: 2, height: 1, data: new Float32Array([NaN, 1]) } }] },
      text: 'ünïcødé ✓ "quoted" \n',
      nil: null,
      flags: [true, false],
      lookalike: { $typed: 'f32', b64: 'not an array' },
      lookalike2: { $obj: 1, $num: 'NaN' }
    }
    const out = roundTrip(value) as Record<string, unknown>
    const n = out.n as number[]
    assert.ok(Number.isNaN(n[0]))
    assert.equal(n[1], Infinity)
    assert.equal(n[2], -Infinity)
    assert.ok(Object.is(n[3], -0))
    assert.ok(Object.is(n[4], 0))
    assert.deepEqual(n.slice(5), [1.25, Number.MAX_SAFE_INTEGER])
    assert.equal((out.args as unknown[]).length, 2)
    assert.equal((out.args as unknown[])[1], undefined)
    assert.ok(!('missing' in out), 'undefined properties are absent, as in JSON')
    const img = (out.nested as { deep: { image: { data: Float32Array } }[] }).deep[0].image
    assert.ok(Number.isNaN(img.data[0]))
    assert.equal(img.data[1], 1)
    assert.equal(out.text, value.text)
    assert.equal(out.nil, null)
    assert.deepEqual(out.flags, [true, false])
    assert.deepEqual(out.lookalike, value.lookalike)
    assert.deepEqual(out.lookalike2, value.lookalike2)
  })

  test(`${name}: a large Float32Array (4 M elements) round-trips exactly`, () => {
    const big = new Float32Array(4 * 1024 * 1024)
    let s = 12345
    for (let i = 0; i < big.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0
      big[i] = (s / 2 ** 32 - 0.5) * 1e6
    }
    big[17] = NaN
    big[big.length - 1] = -Infinity
    const out = roundTrip({ big }) as { big: Float32Array }
    assert.ok(sameBits(out.big, big))
  })
}

test('binary: arrays come back as aligned views of the received bytes, several arrays of odd lengths', () => {
  const value = { a: new Uint8Array([1, 2, 3]), b: new Float64Array([1, 2]), c: new Float32Array([7]), d: new Uint8Array(0), e: new Int16Array([-1]) }
  const bytes = joined(encodeBinary(value))
  assert.ok(isBinaryWire(bytes))
  const out = decodeBinary(bytes) as typeof value
  assert.equal(out.b.buffer, bytes.buffer, 'no copy when aligned')
  assert.deepEqual([...out.a], [1, 2, 3])
  assert.deepEqual([...out.b], [1, 2])
  assert.deepEqual([...out.c], [7])
  assert.equal(out.d.length, 0)
  assert.deepEqual([...out.e], [-1])
  // The same container at an odd offset inside a bigger buffer: copies, still exact.
  const shifted = new Uint8Array(bytes.length + 3)
  shifted.set(bytes, 3)
  const out2 = decodeBinary(shifted.subarray(3)) as typeof value
  assert.deepEqual([...out2.b], [1, 2])
  assert.deepEqual([...out2.e], [-1])
})

test('binary: the header JSON carries no array bytes (no base64)', () => {
  const parts = encodeBinary({ x: new Float32Array(1000) })
  const head = new TextDecoder().decode(parts[0])
  assert.ok(!head.includes('b64'))
  assert.ok(parts[0].length < 100)
})

test('base64: the portable codec (used in the browser) agrees with Node for every length mod 3', () => {
  for (let n = 0; n < 40; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 255)
    const js = base64EncodeJs(bytes)
    assert.equal(js, Buffer.from(bytes).toString('base64'))
    assert.deepEqual([...base64DecodeJs(js)], [...bytes])
  }
  const big = Uint8Array.from({ length: 100003 }, (_, i) => (i * 31) & 255)
  assert.equal(base64EncodeJs(big), Buffer.from(big).toString('base64'))
})

test('errors: {name, message, code} out, ApiError back; Errors inside values too', () => {
  const err = Object.assign(new RangeError('slice 40 is out of range (20 slices)'), { code: 'out-of-range' })
  const wire = errorToWire(err)
  assert.deepEqual(wire, { name: 'RangeError', message: 'slice 40 is out of range (20 slices)', code: 'out-of-range' })
  const back = errorFromWire(JSON.parse(JSON.stringify(wire)))
  assert.ok(back instanceof ApiError)
  assert.equal(back.message, wire.message)
  assert.equal(back.code, 'out-of-range')
  assert.deepEqual(errorToWire('plain string'), { name: 'Error', message: 'plain string', code: 'error' })
  assert.equal(errorFromWire(null).message, 'unknown error')
  const inValue = viaJson({ e: new Error('boom') }) as { e: ApiError }
  assert.ok(inValue.e instanceof ApiError)
  assert.equal(inValue.e.message, 'boom')
})

test('malformed input throws instead of producing garbage', () => {
  assert.throws(() => decodeJson('{"a":'), SyntaxError)
  assert.throws(() => decodeJson('{"$typed":"f99","b64":""}'), /unknown typed array kind/)
  assert.throws(() => decodeJson('{"$typed":"f32","b64":"AAA"}'), /base64/)
  assert.throws(() => decodeJson('{"$typed":"f32","b64":"AAAAAAA="}'), /whole number/)
  assert.throws(() => decodeJson('{"$num":"1e999"}'), /bad number/)
  assert.throws(() => decodeBinary(new Uint8Array(4)), /magic/)
  const bytes = joined(encodeBinary({ x: new Float64Array(8) }))
  assert.throws(() => decodeBinary(bytes.subarray(0, bytes.length - 8)), /truncated/)
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  assert.throws(() => encodeJson(cyclic), /cyclic/)
  assert.throws(() => encodeJson({ n: 1n }), /bigint/)
})

test('a "__proto__" key in a payload stays data and never reaches Object.prototype', () => {
  const out = decodeJson('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.equal(Object.getPrototypeOf(out), Object.prototype)
  assert.deepEqual(Object.keys(out).sort(), ['__proto__', 'a'])
})
