/**
 * Small previews (mask, zero-filled image, live solver previews) drawn straight onto a
 * <canvas>: cheaper than a cornerstone viewport for images that are only glanced at.
 */
import type { ImagePlane } from '../../../src-main/api/contract.ts'

/** A robust display range: the 0.5th and 99.5th percentiles of a subsample (never empty). */
export function robustRange(data: Float32Array, lowQ = 0.005, highQ = 0.995): { lo: number; hi: number } {
  const stride = Math.max(1, Math.floor(data.length / 65536))
  const vals: number[] = []
  for (let i = 0; i < data.length; i += stride) if (Number.isFinite(data[i])) vals.push(data[i])
  if (vals.length === 0) return { lo: 0, hi: 1 }
  vals.sort((a, b) => a - b)
  const lo = vals[Math.floor(lowQ * (vals.length - 1))]
  let hi = vals[Math.ceil(highQ * (vals.length - 1))]
  if (!(hi > lo)) hi = vals[vals.length - 1] > lo ? vals[vals.length - 1] : lo + 1
  return { lo, hi }
}

/** Draw a plane in grey levels with the window [lo, hi] (default: robust range). */
export function drawPlane(canvas: HTMLCanvasElement, plane: ImagePlane, range?: { lo: number; hi: number }): void {
  const { width, height, data } = plane
  if (canvas.width !== width) canvas.width = width
  if (canvas.height !== height) canvas.height = height
  const ctx = canvas.getContext('2d')
  if (!ctx) return
  const { lo, hi } = range ?? robustRange(data)
  const scale = 255 / (hi - lo || 1)
  const img = ctx.createImageData(width, height)
  const px = img.data
  for (let i = 0; i < data.length; i++) {
    const v = (data[i] - lo) * scale
    const g = v > 255 ? 255 : v > 0 ? v : 0
    px[4 * i] = px[4 * i + 1] = px[4 * i + 2] = g
    px[4 * i + 3] = 255
  }
  ctx.putImageData(img, 0, 0)
}
