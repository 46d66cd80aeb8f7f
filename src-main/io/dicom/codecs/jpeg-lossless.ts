/**
 * JPEG Lossless (process 14, any predictor) through jpeg-lossless-decoder-js (pure JS).
 *
 * The library allocates its output from the stream's frame header and handles up to 16-bit
 * greyscale and 8-bit three-component streams; both are checked here first.
 */
import { createRequire } from 'node:module'
import { readJpegFrameHeader } from './jpeg-header.ts'
import { checkFrameSize, type CodecFrame, type FrameSpec } from './types.ts'

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array
}

// Not named `require`: electron-vite's ESM shim declares a top-level `require` in the bundle.
const requireCjs = createRequire(import.meta.url)
// The package declares types that it does not ship, so it is loaded untyped and typed here.
const { Decoder } = requireCjs('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }

export function decodeJpegLossless(data: Uint8Array, spec: FrameSpec): CodecFrame {
  const header = readJpegFrameHeader(data)
  if (header.sof !== 0xc3) throw new Error(`stream is not lossless JPEG (SOF marker 0xFF${header.sof.toString(16).toUpperCase()})`)
  checkFrameSize('lossless JPEG frame', header.width, header.height, header.components.length, spec)
  if (header.precision < 2 || header.precision > 16) throw new Error(`lossless JPEG precision ${header.precision} is out of range`)
  if (spec.samples === 3 && header.precision > 8) throw new Error(`lossless JPEG with 3 components of ${header.precision} bits is not supported`)
  const numBytes = header.precision <= 8 ? 1 : 2
  let out: Uint8Array | Uint16Array
  try {
    out = new Decoder().decode(data.buffer as ArrayBuffer, data.byteOffset, data.length, numBytes)
  } catch (e) {
    throw new Error(`lossless JPEG decoder failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
  const n = spec.rows * spec.columns * spec.samples
  if (!out || out.length < n) throw new Error(`lossless JPEG decoder returned ${out ? out.length : 0} samples, ${n} expected`)
  return { values: out.length === n ? out : out.slice(0, n), precision: header.precision, signed: false, rgb: false }
}
