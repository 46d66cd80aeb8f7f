/**
 * Encapsulated pixel data → the compressed bytes of each frame.
 *
 * Fragments are found by dicom-parser; every fragment is checked to lie inside the buffer
 * before any is read (its own helpers would allocate the sum of whatever lengths a corrupt file
 * claims). Frames are then assigned to fragments, in order of preference:
 *  1. the Extended Offset Table (7FE0,0001/0002), when present;
 *  2. the Basic Offset Table, when it has one entry per frame that matches fragment starts;
 *  3. one frame: every fragment;
 *  4. as many fragments as frames: one each;
 *  5. otherwise the fragments that begin a codestream (JPEG SOI, JPEG 2000 SOC / JP2 signature).
 */
import { dicomParser, type DataSet, type Element, type Fragment } from './parser-lib.ts'
import type { PixelCodec } from './transfer-syntax.ts'

export function encapsulatedFrames(ds: DataSet, pixel: Element, frames: number, codec: PixelCodec, notes: string[]): Uint8Array[] {
  const el = withFragments(ds, pixel)
  const fragments = el.fragments!
  const buf = ds.byteArray
  if (fragments.length === 0) throw new Error('encapsulated pixel data has no fragments')
  for (let i = 0; i < fragments.length; i++) {
    const f = fragments[i]
    if (f.position < 0 || f.length < 0 || f.position + f.length > buf.length) {
      throw new Error(`pixel data fragment ${i + 1} of ${fragments.length} runs past the end of the file (truncated?)`)
    }
  }
  const read = (start: number, count: number): Uint8Array =>
    count === 1
      ? buf.subarray(fragments[start].position, fragments[start].position + fragments[start].length)
      : dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, start, count, fragments)

  const eot = extendedOffsets(ds, frames)
  if (eot) return eot
  const bot = el.basicOffsetTable ?? []
  if (bot.length > 0 && frames > 1) {
    const starts = bot.map((offset) => fragments.findIndex((f) => f.offset === offset))
    const valid = bot.length === frames && starts.every((s, i) => s >= 0 && (i === 0 || s > starts[i - 1]))
    if (valid) return starts.map((s, i) => read(s, (i + 1 < frames ? starts[i + 1] : fragments.length) - s))
    notes.push('Basic Offset Table does not match the fragments; frames found from the fragments instead')
  }
  if (frames === 1) return [read(0, fragments.length)]
  if (fragments.length === frames) return fragments.map((_, i) => read(i, 1))
  if (fragments.length < frames) throw new Error(`${frames} frames declared but the pixel data has only ${fragments.length} fragment(s)`)

  const starts: number[] = []
  for (let i = 0; i < fragments.length; i++) if (beginsCodestream(buf, fragments[i], codec)) starts.push(i)
  if (starts.length !== frames || starts[0] !== 0) {
    throw new Error(`cannot tell which of the ${fragments.length} fragments belong to which of the ${frames} frames (no usable offset table)`)
  }
  return starts.map((s, i) => read(s, (i + 1 < frames ? starts[i + 1] : fragments.length) - s))
}

/** Implicit VR data sets (wrongly) holding encapsulated data come back without fragments: find them. */
function withFragments(ds: DataSet, pixel: Element): Element {
  if (pixel.fragments) return pixel
  const el: Element = { tag: pixel.tag, length: pixel.length, dataOffset: pixel.dataOffset, hadUndefinedLength: true }
  // Item tags and lengths in encapsulated data are always little-endian.
  const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, ds.byteArray, pixel.dataOffset)
  dicomParser.findEndOfEncapsulatedElement(stream, el, [])
  return el
}

function beginsCodestream(buf: Uint8Array, f: Fragment, codec: PixelCodec): boolean {
  const p = f.position
  if (f.length < 4) return false
  if (codec === 'jpeg-2000') {
    return (buf[p] === 0xff && buf[p + 1] === 0x4f && buf[p + 2] === 0xff && buf[p + 3] === 0x51) || (f.length >= 8 && buf[p + 4] === 0x6a && buf[p + 5] === 0x50 && buf[p + 6] === 0x20 && buf[p + 7] === 0x20)
  }
  if (codec === 'rle') return false // PS3.5 G.2: one fragment per RLE frame, so this never helps
  return buf[p] === 0xff && buf[p + 1] === 0xd8
}

/** Frames from the Extended Offset Table (64-bit offsets and lengths), or null when absent/unusable. */
function extendedOffsets(ds: DataSet, frames: number): Uint8Array[] | null {
  const offEl = ds.elements.x7fe00001
  const lenEl = ds.elements.x7fe00002
  const pix = ds.elements.x7fe00010
  if (!offEl || !lenEl || !pix) return null
  if (offEl.length !== 8 * frames || lenEl.length !== 8 * frames) return null
  const buf = ds.byteArray
  if (offEl.dataOffset + offEl.length > buf.length || lenEl.dataOffset + lenEl.length > buf.length) return null
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  // Offsets count from the first byte of the first fragment's item tag, after the (empty) BOT item.
  const botLength = dv.getUint32(pix.dataOffset + 4, true)
  const base = pix.dataOffset + 8 + botLength
  const out: Uint8Array[] = []
  for (let i = 0; i < frames; i++) {
    const off = Number(dv.getBigUint64(offEl.dataOffset + 8 * i, true))
    const len = Number(dv.getBigUint64(lenEl.dataOffset + 8 * i, true))
    const start = base + off + 8
    if (!Number.isSafeInteger(start) || start + len > buf.length) return null
    out.push(buf.subarray(start, start + len))
  }
  return out
}
