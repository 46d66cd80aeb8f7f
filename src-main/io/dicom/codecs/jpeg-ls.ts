/** JPEG-LS (lossless and near-lossless) through CharLS (WASM). */
import { WasmCodec, type EmbindObject, type EmscriptenModule } from './wasm.ts'
import { readJpegFrameHeader } from './jpeg-header.ts'
import { checkFrameSize, type CodecFrame, type FrameSpec } from './types.ts'

interface JpegLsDecoder extends EmbindObject {
  getEncodedBuffer(length: number): Uint8Array
  getDecodedBuffer(): Uint8Array
  decode(): void
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number }
  getInterleaveMode(): number
}

interface CharLs extends EmscriptenModule {
  JpegLSDecoder: new () => JpegLsDecoder
}

const charls = new WasmCodec<CharLs>('JPEG-LS (CharLS)', '@cornerstonejs/codec-charls/decodewasmjs')

export async function decodeJpegLs(data: Uint8Array, spec: FrameSpec): Promise<CodecFrame> {
  const header = readJpegFrameHeader(data)
  if (header.sof !== 0xf7) throw new Error('stream is not JPEG-LS (no SOF55 marker)')
  checkFrameSize('JPEG-LS frame', header.width, header.height, header.components.length, spec)
  if (header.precision < 2 || header.precision > 16) throw new Error(`JPEG-LS precision ${header.precision} is out of range`)
  return charls.use((m) => {
    const dec = new m.JpegLSDecoder()
    try {
      dec.getEncodedBuffer(data.length).set(data)
      dec.decode()
      const info = dec.getFrameInfo()
      checkFrameSize('decoded JPEG-LS frame', info.width, info.height, info.componentCount, spec)
      const bytes = info.bitsPerSample <= 8 ? 1 : 2
      const n = spec.rows * spec.columns * spec.samples
      const out = dec.getDecodedBuffer()
      if (out.length < n * bytes) throw new Error(`decoder returned ${out.length} bytes, ${n * bytes} expected`)
      // WASM memory is little-endian, as is every platform Node runs on, so the bytes can be
      // copied into a 16-bit array directly.
      const copy = out.slice(0, n * bytes)
      let values: Uint8Array | Uint16Array = bytes === 1 ? copy : new Uint16Array(copy.buffer, 0, n)
      // Interleave mode 0 ("none") comes back as separate colour planes.
      if (spec.samples === 3 && dec.getInterleaveMode() === 0) values = planarToInterleaved(values, spec.rows * spec.columns)
      return { values, precision: info.bitsPerSample, signed: false, rgb: false }
    } finally {
      dec.delete()
    }
  })
}

function planarToInterleaved<T extends Uint8Array | Uint16Array>(planar: T, plane: number): T {
  const out = new (planar.constructor as new (n: number) => T)(planar.length)
  for (let s = 0; s < 3; s++) for (let i = 0; i < plane; i++) out[3 * i + s] = planar[s * plane + i]
  return out
}
