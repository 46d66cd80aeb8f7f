/**
 * SENSE forward model for multi-coil MRI (Pruessmann et al. 1999): the image x (H×W) is
 * weighted by each coil's sensitivity S_c, Fourier transformed (centred, orthonormal) and
 * sampled: y_c = M·F(S_c·x). The adjoint combines the coils: x = Σ_c conj(S_c)·Fᴴ(M·y_c).
 * Composed from the same pieces as BART's `pics` model (fmac ∘ fft ∘ sampling).
 */
import { formatShape, type CArray, type Shape } from '../complex.ts'
import { fft2c, ifft2c } from '../fft.ts'
import { checkLength, type LinearOperator } from './operator.ts'

export function sense(maps: CArray, shape: Shape, mask: Uint8Array | ArrayLike<number>): LinearOperator {
  if (shape.length !== 3) throw new Error(`sense: maps shape must be coils × H × W, got ${formatShape(shape)}`)
  const [C, H, W] = shape
  const plane = H * W
  if (maps.re.length !== C * plane) throw new Error(`sense: maps have ${maps.re.length} values, ${formatShape(shape)} needs ${C * plane}`)
  if (mask.length !== plane) throw new Error(`sense: mask has ${mask.length} values, expected ${H}×${W}`)
  const keep = Uint8Array.from(mask, (v) => (v ? 1 : 0))
  const { re: sr, im: si } = maps
  // ‖A‖² ≤ max_x Σ_c |S_c(x)|² (F is unitary, M a projection); equality with full sampling.
  let bound = 0
  for (let i = 0; i < plane; i++) {
    let s = 0
    for (let c = 0; c < C; c++) s += sr[c * plane + i] ** 2 + si[c * plane + i] ** 2
    if (s > bound) bound = s
  }
  const op: LinearOperator = {
    name: `sense(${C} coils)`,
    normBound: Math.sqrt(bound),
    domain: [H, W],
    codomain: [C, H, W],
    forward(x, out) {
      checkLength(op, x, 'domain')
      const y = out && out.re.length === C * plane ? out : { re: new Float64Array(C * plane), im: new Float64Array(C * plane) }
      for (let c = 0; c < C; c++) {
        const o = c * plane
        for (let i = 0; i < plane; i++) {
          const a = sr[o + i], b = si[o + i]
          y.re[o + i] = a * x.re[i] - b * x.im[i]
          y.im[o + i] = a * x.im[i] + b * x.re[i]
        }
      }
      fft2c(y, shape)
      for (let c = 0; c < C; c++) {
        const o = c * plane
        for (let i = 0; i < plane; i++) {
          if (!keep[i]) {
            y.re[o + i] = 0
            y.im[o + i] = 0
          }
        }
      }
      return y
    },
    adjoint(y, out) {
      checkLength(op, y, 'codomain')
      const t = { re: new Float64Array(C * plane), im: new Float64Array(C * plane) }
      for (let c = 0; c < C; c++) {
        const o = c * plane
        for (let i = 0; i < plane; i++) {
          if (keep[i]) {
            t.re[o + i] = y.re[o + i]
            t.im[o + i] = y.im[o + i]
          }
        }
      }
      ifft2c(t, shape)
      const x = out && out.re.length === plane ? out : { re: new Float64Array(plane), im: new Float64Array(plane) }
      x.re.fill(0)
      x.im.fill(0)
      for (let c = 0; c < C; c++) {
        const o = c * plane
        for (let i = 0; i < plane; i++) {
          const a = sr[o + i], b = si[o + i]
          // conj(S)·t
          x.re[i] += a * t.re[o + i] + b * t.im[o + i]
          x.im[i] += a * t.im[o + i] - b * t.re[o + i]
        }
      }
      return x
    }
  }
  return op
}
