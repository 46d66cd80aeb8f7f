/**
 * A minimal ZIP writer for .npz tests that must not depend on Python: stored or deflated
 * members, local headers, central directory and end record as in APPNOTE.TXT. `corrupt`
 * hooks let tests damage exactly one field.
 */
import { crc32, deflateRawSync } from 'node:zlib'

export interface ZipMember {
  name: string
  data: Uint8Array
  method?: 0 | 8
  /** Overrides the uncompressed size written to the central directory. */
  declaredSize?: number
  /** Extra bytes in the local header only (numpy writes a ZIP64 extra there). */
  localExtra?: Uint8Array
}

export function makeZip(members: ZipMember[]): Uint8Array {
  const locals: Uint8Array[] = []
  const centrals: Uint8Array[] = []
  let offset = 0
  for (const m of members) {
    const name = new TextEncoder().encode(m.name)
    const method = m.method ?? 0
    const body = method === 8 ? new Uint8Array(deflateRawSync(m.data)) : m.data
    const crc = crc32(m.data) >>> 0
    const extra = m.localExtra ?? new Uint8Array(0)
    const local = new Uint8Array(30 + name.length + extra.length + body.length)
    const lv = new DataView(local.buffer)
    lv.setUint32(0, 0x04034b50, true)
    lv.setUint16(4, 20, true)
    lv.setUint16(8, method, true)
    lv.setUint32(14, crc, true)
    lv.setUint32(18, body.length, true)
    lv.setUint32(22, m.data.length, true)
    lv.setUint16(26, name.length, true)
    lv.setUint16(28, extra.length, true)
    local.set(name, 30)
    local.set(extra, 30 + name.length)
    local.set(body, 30 + name.length + extra.length)
    const central = new Uint8Array(46 + name.length)
    const cv = new DataView(central.buffer)
    cv.setUint32(0, 0x02014b50, true)
    cv.setUint16(4, 20, true)
    cv.setUint16(6, 20, true)
    cv.setUint16(10, method, true)
    cv.setUint32(16, crc, true)
    cv.setUint32(20, body.length, true)
    cv.setUint32(24, m.declaredSize ?? m.data.length, true)
    cv.setUint16(28, name.length, true)
    cv.setUint32(42, offset, true)
    central.set(name, 46)
    locals.push(local)
    centrals.push(central)
    offset += local.length
  }
  const cdSize = centrals.reduce((a, c) => a + c.length, 0)
  const eocd = new Uint8Array(22)
  const ev = new DataView(eocd.buffer)
  ev.setUint32(0, 0x06054b50, true)
  ev.setUint16(8, members.length, true)
  ev.setUint16(10, members.length, true)
  ev.setUint32(12, cdSize, true)
  ev.setUint32(16, offset, true)
  const out = new Uint8Array(offset + cdSize + 22)
  let p = 0
  for (const part of [...locals, ...centrals, eocd]) {
    out.set(part, p)
    p += part.length
  }
  return out
}

/** Offset of the first central directory entry (for tests that patch one field). */
export function centralDirectoryOffset(zip: Uint8Array): number {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  return v.getUint32(zip.length - 22 + 16, true)
}
