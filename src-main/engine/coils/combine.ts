/**
 * Coil combination of C×H×W coil images into one H×W image.
 *
 * - rss: root sum of squares, √Σ_c |x_c|². Needs no maps; magnitude only, and it carries the
 *   coils' shading (it equals |m|·‖S‖ for x_c = S_c·m).
 * - senseCombine: the least-squares estimate of m from x_c = S_c·m at each pixel,
 *   Σ_c conj(S_c)·x_c / Σ_c |S_c|²; complex, and unshaded when the maps are right. Zero where
 *   the maps are zero (ESPIRiT's crop, or a mask): there is no estimate there.
 */
import type { CArray } from '../complex.ts'
import { checkShape } from './calibration.ts'

export function rss(images: CArray, shape: readonly [number, number, number]): Float64Array {
  checkShape(images, shape, 'rss')
  const [C, H, W] = shape
  const plane = H * W
  const out = new Float64Array(plane)
  for (let c = 0; c < C; c++) {
    const off = c * plane
    for (let i = 0; i < plane; i++) out[i] += images.re[off + i] ** 2 + images.im[off + i] ** 2
  }
  for (let i = 0; i < plane; i++) out[i] = Math.sqrt(out[i])
  return out
}

export function senseCombine(images: CArray, maps: CArray, shape: readonly [number, number, number]): CArray {
  checkShape(images, shape, 'senseCombine images')
  checkShape(maps, shape, 'senseCombine maps')
  const [C, H, W] = shape
  const plane = H * W
  const re = new Float64Array(plane)
  const im = new Float64Array(plane)
  const norm = new Float64Array(plane)
  for (let c = 0; c < C; c++) {
    const off = c * plane
    for (let i = 0; i < plane; i++) {
      const sr = maps.re[off + i], si = maps.im[off + i]
      const xr = images.re[off + i], xi = images.im[off + i]
      re[i] += sr * xr + si * xi
      im[i] += sr * xi - si * xr
      norm[i] += sr * sr + si * si
    }
  }
  for (let i = 0; i < plane; i++) {
    if (norm[i] > 0) {
      re[i] /= norm[i]
      im[i] /= norm[i]
    } else {
      re[i] = 0
      im[i] = 0
    }
  }
  return { re, im }
}
