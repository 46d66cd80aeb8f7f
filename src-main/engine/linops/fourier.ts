/** Centred orthonormal 2-D Fourier transform over the last two axes (see fft.ts for the convention). */
import { cclone, shapeSize, type CArray, type Shape } from '../complex.ts'
import { fft2c, ifft2c } from '../fft.ts'
import { checkLength, type LinearOperator } from './operator.ts'

export function fourier(shape: Shape): LinearOperator {
  if (shape.length < 2) throw new Error('fourier: shape needs at least two axes (H, W)')
  const op: LinearOperator = {
    name: 'fft2c',
    norm: 1,
    domain: shape,
    codomain: shape,
    forward(x) {
      checkLength(op, x, 'domain')
      const y = cclone(x)
      fft2c(y, shape)
      return y
    },
    adjoint(y) {
      checkLength(op, y, 'codomain')
      const x = cclone(y)
      ifft2c(x, shape)
      return x
    }
  }
  return op
}

/**
 * Undersampled Cartesian Fourier operator S∘F (single coil, or broadcast over leading coil
 * axes): the MRI forward model. Fused so each application is one copy, one FFT and one pass
 * of the mask, the hot path of every iterative method.
 */
export function undersampledFourier(shape: Shape, mask: Uint8Array | ArrayLike<number>): LinearOperator {
  if (shape.length < 2) throw new Error('undersampledFourier: shape needs at least two axes (H, W)')
  const H = shape[shape.length - 2]
  const W = shape[shape.length - 1]
  if (mask.length !== H * W) throw new Error(`undersampledFourier: mask has ${mask.length} values, expected ${H}×${W}`)
  const plane = H * W
  const total = shapeSize(shape)
  const keep = Uint8Array.from(mask, (v) => (v ? 1 : 0))
  const applyMask = (re: Float64Array, im: Float64Array): void => {
    for (let b = 0; b < total; b += plane) {
      for (let i = 0; i < plane; i++) {
        if (!keep[i]) {
          re[b + i] = 0
          im[b + i] = 0
        }
      }
    }
  }
  const op: LinearOperator = {
    name: 'undersampled-fft2c',
    // A projection after a unitary map: norm 1 if anything is sampled.
    norm: keep.some((v) => v === 1) ? 1 : 0,
    domain: shape,
    codomain: shape,
    forward(x, out) {
      checkLength(op, x, 'domain')
      const y = copyInto(x, out)
      fft2c(y, shape)
      applyMask(y.re, y.im)
      return y
    },
    adjoint(y, out) {
      checkLength(op, y, 'codomain')
      const x = copyInto(y, out)
      applyMask(x.re, x.im)
      ifft2c(x, shape)
      return x
    }
  }
  return op
}

function copyInto(src: CArray, out: CArray | undefined): CArray {
  if (!out || out.re.length !== src.re.length) return cclone(src)
  out.re.set(src.re)
  out.im.set(src.im)
  return out
}
