/**
 * A minimal DICOM writer for tests: Part 10 files (or bare data sets) in Explicit VR Little
 * Endian, Implicit VR Little Endian or Explicit VR Big Endian, with native or encapsulated
 * pixel data. Just enough to build exact edge cases (and broken files) byte by byte.
 */

export type Value = string | number[] | Uint8Array

export interface El {
  tag: [number, number]
  vr: string
  value: Value
}

export type Encoding = 'explicit-le' | 'implicit-le' | 'explicit-be'

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT'])

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  explicitBE: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51'
}

export function el(group: number, element: number, vr: string, value: Value): El {
  return { tag: [group, element], vr, value }
}

/** Image pixel module elements for a simple greyscale (or RGB) image. */
export function imageModule(o: {
  rows: number
  columns: number
  bitsAllocated?: number
  bitsStored?: number
  signed?: boolean
  samples?: number
  photometric?: string
  frames?: number
  planar?: number
}): El[] {
  const ba = o.bitsAllocated ?? 16
  const out = [
    el(0x0028, 0x0002, 'US', [o.samples ?? 1]),
    el(0x0028, 0x0004, 'CS', o.photometric ?? ((o.samples ?? 1) === 3 ? 'RGB' : 'MONOCHROME2')),
    el(0x0028, 0x0010, 'US', [o.rows]),
    el(0x0028, 0x0011, 'US', [o.columns]),
    el(0x0028, 0x0100, 'US', [ba]),
    el(0x0028, 0x0101, 'US', [o.bitsStored ?? ba]),
    el(0x0028, 0x0102, 'US', [(o.bitsStored ?? ba) - 1]),
    el(0x0028, 0x0103, 'US', [o.signed ? 1 : 0])
  ]
  if (o.frames !== undefined) out.push(el(0x0028, 0x0008, 'IS', String(o.frames)))
  if (o.planar !== undefined) out.push(el(0x0028, 0x0006, 'US', [o.planar]))
  return out
}

/** Encapsulated pixel data value: Basic Offset Table item, then one item per fragment, then the delimiter. */
export function encapsulate(fragments: Uint8Array[], offsets?: number[]): Uint8Array {
  const parts: number[] = []
  const u32 = (v: number): void => {
    parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff)
  }
  const item = (tagEl: number, len: number): void => {
    parts.push(0xfe, 0xff, tagEl & 0xff, tagEl >> 8)
    u32(len)
  }
  item(0xe000, 4 * (offsets?.length ?? 0))
  for (const o of offsets ?? []) u32(o)
  const out: number[] = parts
  for (const f of fragments) {
    const padded = f.length % 2 ? [...f, 0] : [...f]
    item(0xe000, padded.length)
    out.push(...padded)
  }
  item(0xe0dd, 0)
  return Uint8Array.from(out)
}

export function buildDicom(elements: El[], o: { transferSyntax?: string; encoding?: Encoding; meta?: boolean } = {}): Uint8Array {
  const ts = o.transferSyntax ?? TS.explicitLE
  const enc: Encoding = o.encoding ?? (ts === TS.implicitLE ? 'implicit-le' : ts === TS.explicitBE ? 'explicit-be' : 'explicit-le')
  const body = encodeElements(elements, enc)
  if (o.meta === false) return body
  const metaEls = encodeElements(
    [
      el(0x0002, 0x0001, 'OB', Uint8Array.from([0, 1])),
      el(0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
      el(0x0002, 0x0003, 'UI', '1.2.3.4.5'),
      el(0x0002, 0x0010, 'UI', ts)
    ],
    'explicit-le'
  )
  const groupLength = encodeElements([el(0x0002, 0x0000, 'UL', [metaEls.length])], 'explicit-le')
  const out = new Uint8Array(132 + groupLength.length + metaEls.length + body.length)
  out.set([0x44, 0x49, 0x43, 0x4d], 128)
  out.set(groupLength, 132)
  out.set(metaEls, 132 + groupLength.length)
  out.set(body, 132 + groupLength.length + metaEls.length)
  return out
}

function encodeElements(elements: El[], enc: Encoding): Uint8Array {
  const le = enc !== 'explicit-be'
  const chunks: Uint8Array[] = []
  const sorted = [...elements].sort((a, b) => a.tag[0] - b.tag[0] || a.tag[1] - b.tag[1])
  for (const e of sorted) {
    const isPixel = e.tag[0] === 0x7fe0 && e.tag[1] === 0x0010
    const encapsulated = isPixel && e.value instanceof Uint8Array && (e as El & { encapsulated?: boolean }).encapsulated
    const value = encodeValue(e, le)
    const undefinedLength = encapsulated === true
    const header: number[] = []
    const u16 = (v: number): void => void (le ? header.push(v & 0xff, v >> 8) : header.push(v >> 8, v & 0xff))
    const u32 = (v: number): void =>
      void (le ? header.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24) : header.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff))
    // Group 0002 is always little-endian; tags of the data set follow the encoding.
    u16(e.tag[0])
    u16(e.tag[1])
    const length = undefinedLength ? 0xffffffff : value.length
    if (enc === 'implicit-le') {
      u32(length)
    } else {
      header.push(e.vr.charCodeAt(0), e.vr.charCodeAt(1))
      if (LONG_VRS.has(e.vr)) {
        header.push(0, 0)
        u32(length)
      } else {
        u16(length)
      }
    }
    chunks.push(Uint8Array.from(header), value)
  }
  const total = chunks.reduce((s, c) => s + c.length, 0)
  const out = new Uint8Array(total)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.length
  }
  return out
}

function encodeValue(e: El, le: boolean): Uint8Array {
  if (e.value instanceof Uint8Array) return e.value.length % 2 ? Uint8Array.from([...e.value, 0]) : e.value
  if (typeof e.value === 'string') {
    const s = e.value.length % 2 ? e.value + (e.vr === 'UI' ? '\0' : ' ') : e.value
    return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)
  }
  const size = e.vr === 'US' || e.vr === 'SS' ? 2 : e.vr === 'FD' ? 8 : 4
  const out = new Uint8Array(e.value.length * size)
  const dv = new DataView(out.buffer)
  e.value.forEach((v, i) => {
    if (e.vr === 'US') dv.setUint16(i * 2, v, le)
    else if (e.vr === 'SS') dv.setInt16(i * 2, v, le)
    else if (e.vr === 'UL') dv.setUint32(i * 4, v, le)
    else if (e.vr === 'SL') dv.setInt32(i * 4, v, le)
    else if (e.vr === 'FL') dv.setFloat32(i * 4, v, le)
    else if (e.vr === 'FD') dv.setFloat64(i * 8, v, le)
    else throw new Error(`numbers for VR ${e.vr} are not supported by the test writer`)
  })
  return out
}

/** Pixel data element holding encapsulated fragments (undefined length). */
export function encapsulatedPixelData(fragments: Uint8Array[], offsets?: number[]): El {
  return Object.assign(el(0x7fe0, 0x0010, 'OB', encapsulate(fragments, offsets)), { encapsulated: true })
}

/** Native 16-bit pixel data from numbers (two's complement for negatives). */
export function pixels16(values: number[], le = true): El {
  const out = new Uint8Array(values.length * 2)
  const dv = new DataView(out.buffer)
  values.forEach((v, i) => dv.setUint16(2 * i, v & 0xffff, le))
  return el(0x7fe0, 0x0010, 'OW', out)
}
