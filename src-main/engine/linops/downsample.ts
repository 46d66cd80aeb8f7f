/**
 * Downsampling by an integer factor f: the mean over each f×f block (box anti-aliasing, then
 * decimation), the usual model of a low-resolution acquisition. Rows/columns past the last
 * whole block are not observed; the adjoint spreads each value/f² back over its block.
 */
import { czeros } from '../complex.ts'
import { checkLength, type LinearOperator } from './operator.ts'

export function downsample(height: number, width: number, factor: number): LinearOperator {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`downsample: factor must be a positive integer, got ${factor}`)
  const h = Math.floor(height / factor)
  const w = Math.floor(width / factor)
  if (h < 1 || w < 1) throw new Error(`downsample: factor ${factor} is larger than the image ${height}×${width}`)
  const inv = 1 / (factor * factor)
  const op: LinearOperator = {
    name: `downsample(×${factor})`,
    norm: 1 / factor,
    domain: [height, width],
    codomain: [h, w],
    forward(x) {
      checkLength(op, x, 'domain')
      const y = czeros(h * w)
      for (let by = 0; by < h; by++) {
        for (let bx = 0; bx < w; bx++) {
          let sr = 0
          let si = 0
          for (let dy = 0; dy < factor; dy++) {
            const row = (by * factor + dy) * width + bx * factor
            for (let dx = 0; dx < factor; dx++) {
              sr += x.re[row + dx]
              si += x.im[row + dx]
            }
          }
          y.re[by * w + bx] = sr * inv
          y.im[by * w + bx] = si * inv
        }
      }
      return y
    },
    adjoint(y) {
      checkLength(op, y, 'codomain')
      const x = czeros(height * width)
      for (let by = 0; by < h; by++) {
        for (let bx = 0; bx < w; bx++) {
          const vr = y.re[by * w + bx] * inv
          const vi = y.im[by * w + bx] * inv
          for (let dy = 0; dy < factor; dy++) {
            const row = (by * factor + dy) * width + bx * factor
            for (let dx = 0; dx < factor; dx++) {
              x.re[row + dx] = vr
              x.im[row + dx] = vi
            }
          }
        }
      }
      return x
    }
  }
  return op
}
