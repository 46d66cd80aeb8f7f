/**
 * Painting primitives for the inpainting mask, in image pixel coordinates: pixel (i, j) covers
 * [i, i+1) × [j, j+1), so a point from cornerstone's pageToPixel lands in the pixel it is
 * drawn over at any zoom. Pure functions on Uint8Array masks (1 = missing), unit-tested.
 */

/** Set every pixel whose centre lies within a disc of the given diameter around (cx, cy). */
export function paintDisc(mask: Uint8Array, width: number, height: number, cx: number, cy: number, diameter: number, value: 0 | 1): void {
  const r = Math.max(0.5, diameter / 2)
  const r2 = r * r
  const x0 = Math.max(0, Math.floor(cx - r))
  const x1 = Math.min(width - 1, Math.ceil(cx + r))
  const y0 = Math.max(0, Math.floor(cy - r))
  const y1 = Math.min(height - 1, Math.ceil(cy + r))
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx
      if (dx * dx + dy * dy <= r2) mask[y * width + x] = value
    }
  }
  // A 1-pixel brush must always hit the pixel under the cursor, even off-centre.
  const px = Math.floor(cx)
  const py = Math.floor(cy)
  if (px >= 0 && px < width && py >= 0 && py < height) mask[py * width + px] = value
}

/** A brush stroke segment: discs stamped closely enough that no gaps appear. */
export function paintSegment(
  mask: Uint8Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  diameter: number,
  value: 0 | 1
): void {
  const len = Math.hypot(x1 - x0, y1 - y0)
  const step = Math.max(0.25, diameter / 4)
  const n = Math.max(1, Math.ceil(len / step))
  for (let k = 0; k <= n; k++) {
    const t = k / n
    paintDisc(mask, width, height, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, diameter, value)
  }
}

/** Fill the pixels spanned by two corner points (inclusive of both corner pixels). */
export function paintRect(mask: Uint8Array, width: number, height: number, ax: number, ay: number, bx: number, by: number, value: 0 | 1): void {
  const xa = Math.max(0, Math.floor(Math.min(ax, bx)))
  const xb = Math.min(width - 1, Math.floor(Math.max(ax, bx)))
  const ya = Math.max(0, Math.floor(Math.min(ay, by)))
  const yb = Math.min(height - 1, Math.floor(Math.max(ay, by)))
  for (let y = ya; y <= yb; y++) mask.fill(value, y * width + xa, y * width + xb + 1)
}

/**
 * A mask from RGBA pixels (a loaded PNG): white = missing, as the CLI's --mask. A pixel counts
 * as missing when its luminance is above half and it is not transparent.
 */
export function maskFromRgba(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height)
  for (let i = 0; i < out.length; i++) {
    const r = rgba[4 * i]
    const g = rgba[4 * i + 1]
    const b = rgba[4 * i + 2]
    const a = rgba[4 * i + 3]
    out[i] = a >= 128 && 0.299 * r + 0.587 * g + 0.114 * b >= 128 ? 1 : 0
  }
  return out
}

/** Opaque black/white RGBA for saving as PNG (white = missing). */
export function maskToRgba(mask: Uint8Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(mask.length * 4)
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i] ? 255 : 0
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = v
    out[4 * i + 3] = 255
  }
  return out
}

/** Nearest-neighbour resampling, for a loaded mask whose size differs from the image. */
export function resampleNearest(mask: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Uint8Array {
  const out = new Uint8Array(toWidth * toHeight)
  for (let y = 0; y < toHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / toHeight))
    for (let x = 0; x < toWidth; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / toWidth))
      out[y * toWidth + x] = mask[sy * width + sx]
    }
  }
  return out
}
