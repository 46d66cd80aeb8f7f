/**
 * Reads the SIZ marker of a JPEG 2000 codestream (bare, or inside a JP2 file as some encoders
 * wrongly write into DICOM) so that its size, components and precision can be checked against
 * the DICOM header before OpenJPEG allocates anything.
 */

export interface J2kHeader {
  width: number
  height: number
  components: { precision: number; signed: boolean; dx: number; dy: number }[]
  /** Byte offset of the codestream (0 unless wrapped in JP2 boxes). */
  offset: number
}

export function readJ2kHeader(data: Uint8Array): J2kHeader {
  const offset = findCodestream(data)
  if (offset + 2 > data.length || data[offset] !== 0xff || data[offset + 1] !== 0x4f) throw new Error('JPEG 2000 codestream does not start with an SOC marker')
  let p = offset + 2
  if (p + 4 > data.length || data[p] !== 0xff || data[p + 1] !== 0x51) throw new Error('JPEG 2000 codestream has no SIZ marker after SOC')
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const lsiz = dv.getUint16(p + 2)
  if (lsiz < 41 || p + 2 + lsiz > data.length) throw new Error('JPEG 2000 SIZ marker is truncated')
  p += 4
  const xsiz = dv.getUint32(p + 2)
  const ysiz = dv.getUint32(p + 6)
  const xosiz = dv.getUint32(p + 10)
  const yosiz = dv.getUint32(p + 14)
  const csiz = dv.getUint16(p + 34)
  if (lsiz !== 38 + 3 * csiz) throw new Error(`JPEG 2000 SIZ marker length ${lsiz} does not match its ${csiz} components`)
  if (xsiz <= xosiz || ysiz <= yosiz) throw new Error('JPEG 2000 image area is empty')
  const components = []
  for (let i = 0; i < csiz; i++) {
    const o = p + 36 + 3 * i
    const ssiz = data[o]
    components.push({ precision: (ssiz & 0x7f) + 1, signed: (ssiz & 0x80) !== 0, dx: data[o + 1], dy: data[o + 2] })
  }
  return { width: xsiz - xosiz, height: ysiz - yosiz, components, offset }
}

function findCodestream(data: Uint8Array): number {
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0x4f) return 0
  // JP2 file format: a sequence of boxes (length, type); the codestream is the 'jp2c' box.
  const isJp2 = data.length >= 12 && data[4] === 0x6a && data[5] === 0x50 && data[6] === 0x20 && data[7] === 0x20
  if (isJp2) {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
    let p = 0
    while (p + 8 <= data.length) {
      let len = dv.getUint32(p)
      let header = 8
      if (len === 1) {
        if (p + 16 > data.length) break
        len = dv.getUint32(p + 8) * 2 ** 32 + dv.getUint32(p + 12)
        header = 16
      } else if (len === 0) {
        len = data.length - p
      }
      const type = String.fromCharCode(data[p + 4], data[p + 5], data[p + 6], data[p + 7])
      if (type === 'jp2c') return p + header
      if (len < header) break
      p += len
    }
  }
  throw new Error('no JPEG 2000 codestream (SOC marker) found')
}
