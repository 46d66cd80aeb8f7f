/**
 * DICOM RLE Lossless (PS3.5 Annex G) decoder for one frame.
 *
 * A frame is a 64-byte header (segment count, then up to 15 little-endian segment offsets)
 * followed by PackBits-coded segments. Each segment holds one byte plane: for every sample
 * (colour component), its most significant byte first. So 16-bit greyscale has 2 segments,
 * 8-bit RGB 3, 32-bit RGB 12. The output here is pixel-interleaved words of BitsAllocated bits.
 */

export type RleWords = Uint8Array | Uint16Array | Uint32Array

/** PackBits can expand one 2-byte run to 128 bytes, so no segment decodes to more than 64× its size. */
const MAX_EXPANSION = 64

export function decodeRleFrame(frame: Uint8Array, rows: number, columns: number, samples: number, bitsAllocated: 8 | 16 | 32): RleWords {
  if (frame.length < 64) throw new Error(`RLE frame is ${frame.length} bytes, shorter than its 64-byte header`)
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const nseg = dv.getUint32(0, true)
  const bytesPerSample = bitsAllocated / 8
  const expected = samples * bytesPerSample
  if (nseg !== expected) {
    throw new Error(`RLE frame has ${nseg} segments; ${samples} sample(s) of ${bitsAllocated} bits need ${expected}`)
  }
  const offsets: number[] = []
  for (let i = 0; i < nseg; i++) offsets.push(dv.getUint32(4 + 4 * i, true))
  offsets.push(frame.length)
  const plane = rows * columns
  for (let i = 0; i < nseg; i++) {
    const start = offsets[i]
    const end = offsets[i + 1]
    if (start < 64 || end > frame.length || end < start) throw new Error(`RLE segment ${i + 1} has an invalid offset (${start})`)
    // Checked before allocating: a few corrupt header bytes must not make us allocate gigabytes.
    if ((end - start) * MAX_EXPANSION < plane) throw new Error(`RLE segment ${i + 1} is too short (${end - start} bytes) for ${plane} pixels`)
  }

  const out = bitsAllocated === 8 ? new Uint8Array(plane * samples) : bitsAllocated === 16 ? new Uint16Array(plane * samples) : new Uint32Array(plane * samples)
  const bytes = new Uint8Array(plane)
  for (let s = 0; s < samples; s++) {
    for (let b = 0; b < bytesPerSample; b++) {
      const seg = s * bytesPerSample + b
      const got = unpackBits(frame, offsets[seg], offsets[seg + 1], bytes)
      if (got < plane) throw new Error(`RLE segment ${seg + 1} decodes to ${got} bytes; ${plane} are needed`)
      // Segment 0 of a sample is its most significant byte.
      const shift = 8 * (bytesPerSample - 1 - b)
      if (bitsAllocated === 32) {
        // Keep 32-bit words unsigned: `<<` by 24 would go negative in int32 arithmetic.
        const mul = 2 ** shift
        for (let i = 0, o = s; i < plane; i++, o += samples) out[o] += bytes[i] * mul
      } else {
        for (let i = 0, o = s; i < plane; i++, o += samples) out[o] |= bytes[i] << shift
      }
    }
  }
  return out
}

/** PackBits into `out`; returns how many bytes were produced (stops when `out` is full). */
function unpackBits(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let i = start
  let o = 0
  const n = out.length
  while (i < end && o < n) {
    const h = src[i++]
    if (h < 128) {
      // Literal run of h + 1 bytes.
      const count = Math.min(h + 1, end - i, n - o)
      out.set(src.subarray(i, i + count), o)
      o += count
      i += h + 1
    } else if (h > 128) {
      // Replicate the next byte 257 - h times.
      if (i >= end) break
      const count = Math.min(257 - h, n - o)
      out.fill(src[i++], o, o + count)
      o += count
    }
    // h === 128: no operation.
  }
  return o
}
