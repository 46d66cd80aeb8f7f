/**
 * Raw decoded samples of one frame → float32 output values.
 *
 * 1. Stored value: native and RLE words keep only bits [HighBit−BitsStored+1, HighBit], sign-
 *    extended when PixelRepresentation is 1 (PS3.5 8.1.1); codec output is already the value,
 *    except that unsigned codec output for signed data is sign-extended from the codec's
 *    precision (what pydicom does for JPEG 2000).
 * 2. Colour: YBR_FULL / YBR_FULL_422 (as stored) → RGB with the PS3.3 C.7.6.3.1.2 equations,
 *    rounded and clamped; PALETTE COLOR → RGB through the palette.
 * 3. Modality transform for greyscale: the Modality LUT Sequence, else Rescale Slope/Intercept,
 *    computed in double precision and rounded once to float32.
 * Nothing is windowed or inverted: MONOCHROME1 stays as stored and is flagged for display.
 */
import type { Palette } from './palette.ts'

export type Words = ArrayLike<number>

export type Interpretation =
  | { kind: 'stored'; bitsStored: number; highBit: number; signed: boolean; bitsAllocated: number }
  | { kind: 'codec'; precision: number; codecSigned: boolean; signed: boolean }
  | { kind: 'float' }

export type ModalityTransform =
  | { kind: 'none' }
  | { kind: 'rescale'; slope: number; intercept: number }
  | { kind: 'lut'; firstMapped: number; data: Uint16Array }

export interface FramePlan {
  pixels: number
  /** Samples per pixel in the raw words (1 or 3). */
  inSamples: 1 | 3
  colour: 'none' | 'ybr' | 'palette'
  /** For YBR: the largest sample value (255 for 8-bit). */
  ybrMax: number
  palette?: Palette
}

export function interpreter(i: Interpretation): (v: number) => number {
  if (i.kind === 'float') return (v) => v
  if (i.kind === 'codec') {
    if (i.codecSigned || !i.signed || i.precision >= 32) return (v) => v
    const top = 2 ** i.precision
    const half = top / 2
    return (v) => (v >= half ? v - top : v)
  }
  const shift = i.highBit + 1 - i.bitsStored
  if (i.bitsStored === 32) return i.signed ? (v) => v | 0 : (v) => v >>> 0
  const top = 2 ** i.bitsStored
  const half = top / 2
  const div = 2 ** shift
  // Arithmetic on doubles: `>>`/`&` would misread 32-bit words as negative.
  if (i.signed) {
    return (v) => {
      const u = Math.floor(v / div) % top
      return u >= half ? u - top : u
    }
  }
  return (v) => Math.floor(v / div) % top
}

export function modality(t: ModalityTransform): ((v: number) => number) | null {
  if (t.kind === 'none') return null
  if (t.kind === 'rescale') {
    const { slope, intercept } = t
    return (v) => v * slope + intercept
  }
  const { firstMapped, data } = t
  const last = data.length - 1
  return (v) => {
    const i = v - firstMapped
    return data[i <= 0 ? 0 : i >= last ? last : i]
  }
}

export function writeFrame(
  words: Words,
  out: Float32Array,
  offset: number,
  plan: FramePlan,
  interpret: (v: number) => number,
  transform: ((v: number) => number) | null
): void {
  const n = plan.pixels
  if (plan.colour === 'palette') {
    const p = plan.palette!
    const last = p.red.length - 1
    for (let i = 0; i < n; i++) {
      let k = interpret(words[i]) - p.firstMapped
      k = k <= 0 ? 0 : k >= last ? last : k
      const o = offset + 3 * i
      out[o] = p.red[k]
      out[o + 1] = p.green[Math.min(k, p.green.length - 1)]
      out[o + 2] = p.blue[Math.min(k, p.blue.length - 1)]
    }
    return
  }
  if (plan.colour === 'ybr') {
    const max = plan.ybrMax
    const mid = (max + 1) / 2
    // pydicom's matrix form of PS3.3 C.7.6.3.1.2 (so results agree to rounding).
    const gcb = (-0.114 * 1.772) / 0.587
    const gcr = (-0.299 * 1.402) / 0.587
    for (let i = 0; i < n; i++) {
      const j = 3 * i
      const y = interpret(words[j])
      const cb = interpret(words[j + 1]) - mid
      const cr = interpret(words[j + 2]) - mid
      const o = offset + j
      out[o] = clampRound(y + 1.402 * cr, max)
      out[o + 1] = clampRound(y + gcb * cb + gcr * cr, max)
      out[o + 2] = clampRound(y + 1.772 * cb, max)
    }
    return
  }
  const m = n * plan.inSamples
  if (transform) {
    for (let i = 0; i < m; i++) out[offset + i] = transform(interpret(words[i]))
  } else {
    for (let i = 0; i < m; i++) out[offset + i] = interpret(words[i])
  }
}

function clampRound(v: number, max: number): number {
  const r = Math.floor(v + 0.5)
  return r < 0 ? 0 : r > max ? max : r
}
