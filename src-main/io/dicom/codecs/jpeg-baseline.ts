/**
 * JPEG DCT streams (Baseline and Extended): 8-bit ones through libjpeg-turbo (WASM), 12-bit ones
 * through our own IJG-compatible decoder, since the WASM build only handles 8-bit samples.
 */
import { WasmCodec, type EmbindObject, type EmscriptenModule } from './wasm.ts'
import { readJpegFrameHeader, type JpegFrameHeader } from './jpeg-header.ts'
import { decodeDctJpeg } from './jpeg-dct.ts'
import { checkFrameSize, type CodecFrame, type FrameSpec } from './types.ts'

interface JpegDecoder extends EmbindObject {
  getEncodedBuffer(length: number): Uint8Array
  getDecodedBuffer(): Uint8Array
  decode(): void
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number }
}

interface LibJpegTurbo extends EmscriptenModule {
  JPEGDecoder: new () => JpegDecoder
}

const libjpeg = new WasmCodec<LibJpegTurbo>('JPEG (libjpeg-turbo)', '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')

export async function decodeJpegDct(data: Uint8Array, spec: FrameSpec): Promise<CodecFrame> {
  const header = readJpegFrameHeader(data)
  checkFrameSize('JPEG frame', header.width, header.height, header.components.length, spec)
  if (header.sof === 0xc3 || header.sof === 0xc7 || header.sof === 0xf7) throw new Error('stream is lossless JPEG or JPEG-LS, not a DCT process')
  if (header.precision === 12) {
    const d = decodeDctJpeg(data, spec.rows * spec.columns * spec.samples)
    checkFrameSize('decoded JPEG frame', d.width, d.height, d.components, spec)
    return { values: d.data, precision: 12, signed: false, rgb: false }
  }
  if (header.precision !== 8) throw new Error(`JPEG precision ${header.precision} is not 8 or 12`)
  const stream = spec.samples === 3 && spec.photometric === 'RGB' && signalsNoColourSpace(header) ? markAsRgb(data) : data
  return libjpeg.use((m) => {
    const dec = new m.JPEGDecoder()
    try {
      dec.getEncodedBuffer(stream.length).set(stream)
      dec.decode()
      const info = dec.getFrameInfo()
      checkFrameSize('decoded JPEG frame', info.width, info.height, info.componentCount, spec)
      const out = dec.getDecodedBuffer()
      const n = spec.rows * spec.columns * spec.samples
      if (out.length < n) throw new Error(`decoder returned ${out.length} bytes, ${n} expected`)
      // A copy: the view points into WASM memory, which the next decode may reuse or grow.
      const values = new Uint8Array(n)
      values.set(out.subarray(0, n))
      // libjpeg-turbo hands back RGB for 3-component streams (converting from YCbCr when the
      // stream says so), whatever the DICOM Photometric Interpretation claims.
      const note = stream !== data ? 'JPEG stream has no colour-space marker: decoded as RGB without a colour transform, as PhotometricInterpretation RGB says' : undefined
      return { values, precision: 8, signed: false, rgb: spec.samples === 3, note }
    } finally {
      dec.delete()
    }
  })
}

/**
 * A three-component stream with neither a JFIF nor an Adobe marker and component ids other
 * than 'R','G','B' is assumed to be YCbCr by libjpeg. DICOM says the Photometric
 * Interpretation describes the compressed data, and DCMTK, GDCM and pydicom follow it: RGB means
 * no colour transform. So such a stream labelled RGB is decoded without one.
 */
function signalsNoColourSpace(h: JpegFrameHeader): boolean {
  const ids = h.components.map((c) => c.id)
  return !h.jfif && h.adobeTransform === undefined && !(ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42)
}

/** The stream with an Adobe APP14 segment saying "transform 0" (RGB) inserted after SOI. */
function markAsRgb(data: Uint8Array): Uint8Array {
  // FF EE, length 14, "Adobe", version 100, flags0, flags1, transform 0.
  const app14 = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]
  const out = new Uint8Array(data.length + app14.length)
  out.set(data.subarray(0, 2))
  out.set(app14, 2)
  out.set(data.subarray(2), 2 + app14.length)
  return out
}
