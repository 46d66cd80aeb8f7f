/**
 * PALETTE COLOR lookup tables (PS3.3 C.7.6.3.1.5–6 and C.7.9.2): descriptor, 8- or 16-bit
 * entries, and segmented tables (discrete, linear and indirect segments).
 *
 * The entry width follows the data length, as pydicom does: 8-bit entries are sometimes
 * written one per byte, sometimes one per 16-bit word, whatever the descriptor says.
 */
import { uint16s, valueBytes, type ValueReader } from './values.ts'

export interface Palette {
  /** Index = stored value − firstMapped, clamped to [0, entries − 1]. */
  firstMapped: number
  red: Uint16Array
  green: Uint16Array
  blue: Uint16Array
}

const MAX_ENTRIES = 65536
const MAX_SEGMENT_DEPTH = 4
const MAX_SEGMENT_STEPS = 1_000_000

export function readPalette(r: ValueReader, pixelRepresentation: 0 | 1): Palette {
  const tables: Uint16Array[] = []
  let firstMapped = 0
  let entries = 0
  for (const [i, colour] of ['Red', 'Green', 'Blue'].entries()) {
    const desc = uint16s(r, `x0028110${i + 1}`)
    if (desc.length < 3) throw new Error(`${colour} palette LUT descriptor is missing or incomplete`)
    const n = desc[0] === 0 ? MAX_ENTRIES : desc[0]
    // The first mapped value is signed (SS) when pixel values are.
    const first = pixelRepresentation === 1 && desc[1] >= 0x8000 ? desc[1] - 0x10000 : desc[1]
    const bits = desc[2]
    if (i === 0) {
      firstMapped = first
      entries = n
    } else if (n !== entries || first !== firstMapped) {
      throw new Error('palette LUT descriptors differ between colours')
    }
    const data = valueBytes(r, `x0028120${i + 1}`)
    const segmented = valueBytes(r, `x0028122${i + 1}`)
    let lut: Uint16Array
    if (data) lut = plainLut(data, n, r.littleEndian)
    else if (segmented) lut = segmentedLut(segmented, bits, r.littleEndian)
    else throw new Error(`${colour} palette LUT data is missing`)
    if (lut.length < 1) throw new Error(`${colour} palette LUT is empty`)
    tables.push(lut)
  }
  return { firstMapped, red: tables[0], green: tables[1], blue: tables[2] }
}

function plainLut(data: Uint8Array, entries: number, le: boolean): Uint16Array {
  if (data.length === entries || data.length === entries + 1) return Uint16Array.from(data.subarray(0, entries))
  if (data.length < 2 * entries) throw new Error(`palette LUT data has ${data.length} bytes for ${entries} entries`)
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const out = new Uint16Array(entries)
  for (let i = 0; i < entries; i++) out[i] = dv.getUint16(2 * i, le)
  return out
}

function segmentedLut(data: Uint8Array, bits: number, le: boolean): Uint16Array {
  const words: number[] = []
  if (bits === 8) {
    for (const b of data) words.push(b)
  } else {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
    for (let o = 0; o + 1 < data.length; o += 2) words.push(dv.getUint16(o, le))
  }
  const out: number[] = []
  expandSegments(words, 0, bits === 8, le, out, Infinity, 0, { steps: 0 })
  return Uint16Array.from(out)
}

/** PS3.3 C.7.9.2 segment expansion (after pydicom's _expand_segmented_lut), bounded in size and depth. */
function expandSegments(
  data: number[],
  start: number,
  eightBit: boolean,
  le: boolean,
  lut: number[],
  maxSegments: number,
  depth: number,
  budget: { steps: number }
): void {
  if (depth > MAX_SEGMENT_DEPTH) throw new Error('segmented palette LUT nests indirect segments too deeply')
  let offset = start
  let read = 0
  while (offset + 1 < data.length && read < maxSegments) {
    // Indirect segments can point at each other; bound the total work, not just the output.
    if (++budget.steps > MAX_SEGMENT_STEPS) throw new Error('segmented palette LUT has too many segments')
    const opcode = data[offset]
    const length = data[offset + 1]
    offset += 2
    if (opcode === 0) {
      for (let i = 0; i < length && offset + i < data.length; i++) lut.push(data[offset + i])
      offset += length
    } else if (opcode === 1) {
      if (lut.length === 0) throw new Error('segmented palette LUT starts with a linear segment')
      const y0 = lut[lut.length - 1]
      const y1 = data[offset++]
      if (y0 === y1 || length === 1) {
        for (let i = 0; i < length; i++) lut.push(y1)
      } else {
        // numpy.around(numpy.linspace(y0 + step, y1, length)): rounds half to even.
        const a = y0 + (y1 - y0) / length
        const step = (y1 - a) / (length - 1)
        for (let i = 0; i < length; i++) lut.push(roundHalfEven(i === length - 1 ? y1 : a + i * step))
      }
    } else if (opcode === 2) {
      if (lut.length === 0) throw new Error('segmented palette LUT starts with an indirect segment')
      let target: number
      if (eightBit) {
        const b = data.slice(offset, offset + 4)
        target = le ? (((b[3] << 8) | b[2]) << 16) | ((b[1] << 8) | b[0]) : (((b[2] << 8) | b[3]) << 16) | ((b[0] << 8) | b[1])
        offset += 4
      } else {
        target = ((data[offset + 1] << 16) | data[offset]) >>> 0
        offset += 2
      }
      // Used as an index into the entries, as pydicom and GDCM do.
      if (target >= data.length) throw new Error('segmented palette LUT has an invalid indirect offset')
      expandSegments(data, target, eightBit, le, lut, length, depth + 1, budget)
    } else {
      throw new Error(`segmented palette LUT has an unknown segment type ${opcode}`)
    }
    if (lut.length > MAX_ENTRIES) throw new Error('segmented palette LUT expands to more than 65536 entries')
    read++
  }
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}
