/**
 * Native (uncompressed) pixel data → one frame of raw sample words, pixel-interleaved.
 *
 * Handles 1/8/16/32-bit words and 32/64-bit floats, either byte order (Explicit VR Big Endian
 * stores 16- and 32-bit words big-endian, so they are swapped here), PlanarConfiguration 1 and
 * YBR_FULL_422 (two luma samples sharing one chroma pair, expanded to full YBR here). 1-bit
 * frames are not byte-aligned: frame f starts at bit f × rows × columns.
 */
import type { PixelModule } from './pixel-module.ts'

export type RawWords = Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array

/** Bytes one frame occupies in the pixel data element (fractional for 1-bit data). */
export function nativeFrameBytes(pm: PixelModule): number {
  const perPixel = pm.photometric === 'YBR_FULL_422' ? 2 : pm.samples
  return (pm.rows * pm.columns * perPixel * pm.bitsAllocated) / 8
}

export function nativeFrame(bytes: Uint8Array, pm: PixelModule, frame: number, littleEndian: boolean): RawWords {
  const n = pm.rows * pm.columns
  if (pm.bitsAllocated === 1) return unpackBits(bytes, frame * n, n)

  const frameBytes = nativeFrameBytes(pm)
  const start = frame * frameBytes
  const raw = bytes.subarray(start, start + frameBytes)
  let words = toWords(raw, pm, littleEndian)
  if (pm.photometric === 'YBR_FULL_422') words = expand422(words as Uint8Array | Uint16Array | Uint32Array, pm.rows, pm.columns)
  else if (pm.samples === 3 && pm.planarConfiguration === 1) words = planarToInterleaved(words, n)
  return words
}

function toWords(raw: Uint8Array, pm: PixelModule, le: boolean): RawWords {
  const b = pm.bitsAllocated
  if (b === 8) return raw
  const size = b / 8
  const count = raw.length / size
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  if (pm.pixelTag === 'x7fe00008') {
    const out = new Float32Array(count)
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, le)
    return out
  }
  if (pm.pixelTag === 'x7fe00009') {
    const out = new Float64Array(count)
    for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, le)
    return out
  }
  if (b === 16) {
    const out = new Uint16Array(count)
    for (let i = 0; i < count; i++) out[i] = dv.getUint16(2 * i, le)
    return out
  }
  const out = new Uint32Array(count)
  for (let i = 0; i < count; i++) out[i] = dv.getUint32(4 * i, le)
  return out
}

/** DICOM packs 1-bit pixels least significant bit first. */
function unpackBits(bytes: Uint8Array, firstBit: number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const bit = firstBit + i
    out[i] = (bytes[bit >>> 3] >> (bit & 7)) & 1
  }
  return out
}

/** Y0 Y1 Cb Cr per pixel pair → Y Cb Cr per pixel (chroma shared by both pixels of a pair). */
function expand422(words: Uint8Array | Uint16Array | Uint32Array, rows: number, columns: number): RawWords {
  const n = rows * columns
  const out = new (words.constructor as new (n: number) => Uint8Array | Uint16Array | Uint32Array)(n * 3)
  for (let p = 0; p < n; p += 2) {
    const i = 2 * p
    const cb = words[i + 2]
    const cr = words[i + 3]
    out[3 * p] = words[i]
    out[3 * p + 1] = cb
    out[3 * p + 2] = cr
    if (p + 1 < n) {
      out[3 * p + 3] = words[i + 1]
      out[3 * p + 4] = cb
      out[3 * p + 5] = cr
    }
  }
  return out
}

function planarToInterleaved(words: RawWords, plane: number): RawWords {
  const out = new (words.constructor as new (n: number) => RawWords)(plane * 3)
  for (let s = 0; s < 3; s++) for (let i = 0; i < plane; i++) out[3 * i + s] = words[s * plane + i]
  return out
}
