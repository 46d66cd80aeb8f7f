/**
 * Synthetic coil sensitivities for simulating multi-coil acquisitions from single images:
 * N surface coils evenly spaced on an ellipse around the field of view, each a smooth
 * Gaussian-like magnitude falloff with a slowly varying phase (as real receive coils have),
 * normalised so that Σ_c |S_c|² = 1 everywhere. The normalisation makes the
 * root-sum-of-squares of the coil images equal |x|, so simulated data has an exact reference.
 */
import type { CArray } from '../complex.ts'

export function syntheticSensitivities(coils: number, height: number, width: number): CArray {
  if (!Number.isInteger(coils) || coils < 1 || coils > 64) throw new Error(`coils must be an integer from 1 to 64, got ${coils}`)
  const plane = height * width
  const re = new Float64Array(coils * plane)
  const im = new Float64Array(coils * plane)
  const cy = (height - 1) / 2
  const cx = (width - 1) / 2
  // Coil centres just outside the image; width of each profile ~ 60 % of the FOV.
  const ry = 0.65 * height
  const rx = 0.65 * width
  const sigma = 0.6 * Math.max(height, width)
  for (let c = 0; c < coils; c++) {
    const a = (2 * Math.PI * c) / coils
    const py = cy + ry * Math.sin(a)
    const px = cx + rx * Math.cos(a)
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const d2 = (y - py) ** 2 + (x - px) ** 2
        const mag = Math.exp(-d2 / (2 * sigma * sigma))
        // Phase: a gentle gradient pointing away from the coil, plus a per-coil offset.
        const phase = a + (Math.PI * ((y - cy) * Math.sin(a) + (x - cx) * Math.cos(a))) / (2 * Math.max(height, width))
        re[c * plane + y * width + x] = mag * Math.cos(phase)
        im[c * plane + y * width + x] = mag * Math.sin(phase)
      }
    }
  }
  for (let i = 0; i < plane; i++) {
    let s = 0
    for (let c = 0; c < coils; c++) s += re[c * plane + i] ** 2 + im[c * plane + i] ** 2
    const k = 1 / Math.sqrt(s)
    for (let c = 0; c < coils; c++) {
      re[c * plane + i] *= k
      im[c * plane + i] *= k
    }
  }
  return { re, im }
}
