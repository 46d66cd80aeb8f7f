/**
 * Gaussian blur as a separable 'same'-size convolution with zero boundary.
 * With a symmetric kernel and zero padding the operator matrix is symmetric, so the
 * adjoint is the operator itself (a circular or reflecting boundary would not be).
 */
import { type CArray } from '../complex.ts'
import { selfAdjoint, type LinearOperator } from './operator.ts'

export function gaussianKernel(sigma: number, radius = Math.ceil(3 * sigma)): Float64Array {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`blur: sigma must be a positive number, got ${sigma}`)
  const k = new Float64Array(2 * radius + 1)
  let s = 0
  for (let i = -radius; i <= radius; i++) {
    k[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma))
    s += k[i + radius]
  }
  for (let i = 0; i < k.length; i++) k[i] /= s
  return k
}

function convolveAxis(src: Float64Array, H: number, W: number, k: Float64Array, alongRows: boolean): Float64Array {
  const r = (k.length - 1) >> 1
  const out = new Float64Array(H * W)
  if (alongRows) {
    for (let y = 0; y < H; y++) {
      const row = y * W
      for (let x = 0; x < W; x++) {
        let s = 0
        const lo = Math.max(-r, -x)
        const hi = Math.min(r, W - 1 - x)
        for (let t = lo; t <= hi; t++) s += k[t + r] * src[row + x + t]
        out[row + x] = s
      }
    }
  } else {
    for (let y = 0; y < H; y++) {
      const lo = Math.max(-r, -y)
      const hi = Math.min(r, H - 1 - y)
      for (let x = 0; x < W; x++) {
        let s = 0
        for (let t = lo; t <= hi; t++) s += k[t + r] * src[(y + t) * W + x]
        out[y * W + x] = s
      }
    }
  }
  return out
}

export function gaussianBlur(height: number, width: number, sigma: number): LinearOperator {
  const k = gaussianKernel(sigma)
  const shape = [height, width]
  const apply = (v: CArray): CArray => ({
    re: convolveAxis(convolveAxis(v.re, height, width, k, true), height, width, k, false),
    im: convolveAxis(convolveAxis(v.im, height, width, k, true), height, width, k, false)
  })
  return selfAdjoint(`gaussian-blur(σ=${sigma})`, shape, apply)
}
