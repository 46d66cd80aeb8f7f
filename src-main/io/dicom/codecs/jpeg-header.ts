/**
 * Reads the frame header of a JPEG (ISO 10918-1) or JPEG-LS (ISO 14495-1) stream without
 * decoding it, so that its size and precision can be checked against the DICOM header before a
 * codec allocates anything, and so that 12-bit DCT streams can be routed to a decoder that
 * handles them.
 */

export interface JpegFrameHeader {
  /** The SOF marker's low byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, 0xF7 JPEG-LS… */
  sof: number
  precision: number
  height: number
  width: number
  components: { id: number; h: number; v: number; tq: number }[]
  /** Adobe APP14 colour transform flag when present (0: none/RGB, 1: YCbCr, 2: YCCK). */
  adobeTransform?: number
  jfif: boolean
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7])

/** Throws an Error with a short reason when the stream has no readable frame header. */
export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader {
  const n = data.length
  if (n < 4 || data[0] !== 0xff || data[1] !== 0xd8) throw new Error('JPEG stream does not start with an SOI marker')
  let pos = 2
  let adobeTransform: number | undefined
  let jfif = false
  while (pos + 4 <= n) {
    if (data[pos] !== 0xff) throw new Error(`JPEG marker expected at byte ${pos}`)
    const marker = data[pos + 1]
    if (marker === 0xff) {
      // Fill bytes before a marker are allowed.
      pos++
      continue
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2
      continue
    }
    if (marker === 0xd9 || marker === 0xda) throw new Error('JPEG stream has no frame header before its scan')
    const len = (data[pos + 2] << 8) | data[pos + 3]
    if (len < 2 || pos + 2 + len > n) throw new Error(`JPEG marker segment 0xFF${hex(marker)} runs past the end of the data`)
    const seg = pos + 4
    if (marker === 0xe0 && len >= 7 && String.fromCharCode(...data.subarray(seg, seg + 4)) === 'JFIF') jfif = true
    if (marker === 0xee && len >= 14 && String.fromCharCode(...data.subarray(seg, seg + 5)) === 'Adobe') adobeTransform = data[seg + 11]
    if (SOF_MARKERS.has(marker)) {
      if (len < 8) throw new Error('JPEG frame header too short')
      const precision = data[seg]
      const height = (data[seg + 1] << 8) | data[seg + 2]
      const width = (data[seg + 3] << 8) | data[seg + 4]
      const nc = data[seg + 5]
      if (len < 8 + 3 * nc) throw new Error('JPEG frame header too short for its components')
      const components = []
      for (let i = 0; i < nc; i++) {
        const o = seg + 6 + 3 * i
        components.push({ id: data[o], h: data[o + 1] >> 4, v: data[o + 1] & 15, tq: data[o + 2] })
      }
      return { sof: marker, precision, height, width, components, adobeTransform, jfif }
    }
    pos += 2 + len
  }
  throw new Error('JPEG stream ends before its frame header')
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0')
}
