/** JPEG 2000 (Part 1, lossless and lossy) through OpenJPEG (WASM). */
import { WasmCodec, type EmbindObject, type EmscriptenModule } from './wasm.ts'
import { readJ2kHeader } from './j2k-header.ts'
import { checkFrameSize, type CodecFrame, type FrameSpec } from './types.ts'

interface J2kDecoder extends EmbindObject {
  getEncodedBuffer(length: number): Uint8Array
  getDecodedBuffer(): Uint8Array
  decode(): void
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean }
}

interface OpenJpeg extends EmscriptenModule {
  J2KDecoder: new () => J2kDecoder
}

const openjpeg = new WasmCodec<OpenJpeg>('JPEG 2000 (OpenJPEG)', '@cornerstonejs/codec-openjpeg/decodewasmjs')

export async function decodeJpeg2000(data: Uint8Array, spec: FrameSpec): Promise<CodecFrame> {
  const header = readJ2kHeader(data)
  checkFrameSize('JPEG 2000 codestream', header.width, header.height, header.components.length, spec)
  for (const c of header.components) {
    if (c.dx !== 1 || c.dy !== 1) throw new Error('JPEG 2000 components with subsampling are not supported')
    if (c.precision > 16) throw new Error(`JPEG 2000 precision ${c.precision} is above 16 bits`)
  }
  return openjpeg.use((m) => {
    const dec = new m.J2KDecoder()
    try {
      dec.getEncodedBuffer(data.length).set(data)
      dec.decode()
      const info = dec.getFrameInfo()
      checkFrameSize('decoded JPEG 2000 frame', info.width, info.height, info.componentCount, spec)
      const bytes = info.bitsPerSample <= 8 ? 1 : 2
      const n = spec.rows * spec.columns * spec.samples
      const out = dec.getDecodedBuffer()
      if (out.length < n * bytes) throw new Error(`decoder returned ${out.length} bytes, ${n * bytes} expected`)
      const copy = out.slice(0, n * bytes)
      const values =
        bytes === 1 ? (info.isSigned ? new Int8Array(copy.buffer, 0, n) : copy) : info.isSigned ? new Int16Array(copy.buffer, 0, n) : new Uint16Array(copy.buffer, 0, n)
      // OpenJPEG applies the inverse component transform (YBR_ICT / YBR_RCT) itself; a stream
      // labelled YBR_FULL carries no transform and is converted by the caller.
      const rgb = spec.samples === 3 && spec.photometric !== 'YBR_FULL' && spec.photometric !== 'YBR_FULL_422'
      return { values, precision: info.bitsPerSample, signed: info.isSigned, rgb }
    } finally {
      dec.delete()
    }
  })
}
