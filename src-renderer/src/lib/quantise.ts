/**
 * Float images → 16-bit stored values for cornerstone-core.
 *
 * cornerstone-core's grayscale path builds a lookup table indexed by stored pixel value, so it
 * assumes integer pixel data. Quantising with a slope and intercept (real = stored·slope +
 * intercept, as a DICOM modality LUT) keeps window/level, readouts and the shared display
 * window in the image's real units; 65 536 levels are far below display precision.
 */

export const STORED_MAX = 65535

export interface Quantised {
  pixels: Uint16Array
  slope: number
  intercept: number
  /** Real-valued range of the finite input values ([0, 0] when there are none). */
  min: number
  max: number
  minStored: number
  maxStored: number
}

export function finiteRange(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v < min) min = v
    if (v > max) max = v
  }
  // NaN fails both comparisons above; ±Infinity would poison the slope, so drop it too.
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = Infinity
    max = -Infinity
    for (let i = 0; i < data.length; i++) {
      const v = data[i]
      if (!Number.isFinite(v)) continue
      if (v < min) min = v
      if (v > max) max = v
    }
    if (min > max) return { min: 0, max: 0 }
  }
  return { min, max }
}

export function quantise(data: ArrayLike<number>): Quantised {
  const { min, max } = finiteRange(data)
  // A constant image still needs a non-zero slope (the LUT divides by nothing, but W/L
  // readouts would collapse); any positive slope maps every pixel to stored 0 = min.
  const span = max - min
  const slope = span > 0 ? span / STORED_MAX : 1
  const pixels = new Uint16Array(data.length)
  const inv = 1 / slope
  let maxStored = 0
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (!Number.isFinite(v)) {
      // NaN shows as the minimum; +∞/−∞ as the ends of the range.
      if (v === Infinity) maxStored = pixels[i] = STORED_MAX
      continue
    }
    let q = Math.round((v - min) * inv)
    if (q > STORED_MAX) q = STORED_MAX
    else if (q < 0) q = 0
    pixels[i] = q
    if (q > maxStored) maxStored = q
  }
  return { pixels, slope, intercept: min, min, max, minStored: 0, maxStored }
}

/** The real value a stored value stands for. */
export function realValue(q: Quantised, stored: number): number {
  return stored * q.slope + q.intercept
}
