/**
 * Real diagonal operators: the k-space sampling mask (MRI) and the pixel mask (inpainting).
 * Both keep the full grid (unmeasured entries are zero), as BART does, so zero-filling,
 * data consistency and the undersampled measurement all live on the same array.
 */
import { formatShape, shapeSize, type CArray, type Shape } from '../complex.ts'
import { selfAdjoint, type LinearOperator } from './operator.ts'

export function diagonal(name: string, shape: Shape, weights: ArrayLike<number>): LinearOperator {
  const n = shapeSize(shape)
  if (weights.length !== n) {
    throw new Error(`${name}: weights have ${weights.length} values, shape ${formatShape(shape)} needs ${n}`)
  }
  const w = Float64Array.from(weights)
  for (let i = 0; i < n; i++) if (!Number.isFinite(w[i])) throw new Error(`${name}: weights contain NaN or Infinity`)
  const apply = (v: CArray): CArray => {
    const re = new Float64Array(n)
    const im = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      re[i] = v.re[i] * w[i]
      im[i] = v.im[i] * w[i]
    }
    return { re, im }
  }
  let maxW = 0
  for (let i = 0; i < n; i++) maxW = Math.max(maxW, Math.abs(w[i]))
  return selfAdjoint(name, shape, apply, maxW)
}

/**
 * k-space sampling with a 0/1 mask of H×W, broadcast over any leading axes (coils), so the
 * same mask serves single- and multi-coil data.
 */
export function sampling(shape: Shape, mask: Uint8Array | ArrayLike<number>): LinearOperator {
  const H = shape[shape.length - 2]
  const W = shape[shape.length - 1]
  if (mask.length !== H * W) throw new Error(`sampling: mask has ${mask.length} values, expected ${H}×${W}`)
  const batch = shapeSize(shape) / (H * W)
  const w = new Float64Array(shapeSize(shape))
  for (let b = 0; b < batch; b++) for (let i = 0; i < H * W; i++) w[b * H * W + i] = mask[i] ? 1 : 0
  return diagonal('sampling', shape, w)
}

/** Inpainting: keeps the known pixels (mask 1) and zeroes the missing ones. */
export function pixelMask(shape: Shape, known: Uint8Array | ArrayLike<number>): LinearOperator {
  const w = new Float64Array(known.length)
  for (let i = 0; i < known.length; i++) w[i] = known[i] ? 1 : 0
  return diagonal('pixel-mask', shape, w)
}
