/**
 * Padding to the size rule of a U-Net prior (H, W multiples of 2^levels) and its adjoints.
 *
 * Reflect padding is the default: zero padding would put an artificial edge (image → black) at
 * the border of any image whose border is not black (natural images, cropped MRI), and the
 * denoiser would treat that edge as structure, changing the pixels next to it; mirroring keeps
 * local statistics continuous. The padding is split evenly (extra pixel at the bottom/right).
 *
 * The padded denoiser is D̃(x) = C D(P x) (P pads, C crops), so its exact VJP is
 * Pᵀ J_Dᵀ Cᵀ r: Cᵀ embeds r with zeros outside the image, and Pᵀ folds the gradient that landed
 * on mirrored pixels back onto their sources. Both are built from one index map per axis.
 */
export type PadMode = 'reflect' | 'zero'

export interface PadPlan {
  H: number
  W: number
  /** Padded size. */
  Hp: number
  Wp: number
  top: number
  left: number
  /** Source row (column) of each padded row (column); -1 = zero. */
  rows: Int32Array
  cols: Int32Array
}

/** Index of padded position `i` (original index i - before) mirrored into [0, n) without repeating the edge. */
function axisMap(n: number, padded: number, before: number, mode: PadMode): Int32Array {
  const map = new Int32Array(padded)
  const period = 2 * (n - 1)
  for (let i = 0; i < padded; i++) {
    const src = i - before
    if (src >= 0 && src < n) map[i] = src
    else if (mode === 'zero') map[i] = -1
    else if (n === 1) map[i] = 0
    else {
      // Repeated mirroring, so pads wider than the image (tiny images, big 2^levels) still work.
      const m = ((src % period) + period) % period
      map[i] = m < n ? m : period - m
    }
  }
  return map
}

export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple
}

export function planPadding(H: number, W: number, multiple: number, mode: PadMode = 'reflect'): PadPlan {
  const Hp = roundUp(H, multiple)
  const Wp = roundUp(W, multiple)
  const top = Math.floor((Hp - H) / 2)
  const left = Math.floor((Wp - W) / 2)
  return { H, W, Hp, Wp, top, left, rows: axisMap(H, Hp, top, mode), cols: axisMap(W, Wp, left, mode) }
}

/** P x, as float32 (the graphs' input type). */
export function pad(x: ArrayLike<number>, p: PadPlan): Float32Array {
  const out = new Float32Array(p.Hp * p.Wp)
  for (let i = 0; i < p.Hp; i++) {
    const r = p.rows[i]
    if (r < 0) continue
    for (let j = 0; j < p.Wp; j++) {
      const c = p.cols[j]
      if (c >= 0) out[i * p.Wp + j] = x[r * p.W + c]
    }
  }
  return out
}

/** Pᵀ g: every padded pixel's value added onto the pixel it was copied from. */
export function padAdjoint(g: ArrayLike<number>, p: PadPlan): Float64Array {
  const out = new Float64Array(p.H * p.W)
  for (let i = 0; i < p.Hp; i++) {
    const r = p.rows[i]
    if (r < 0) continue
    for (let j = 0; j < p.Wp; j++) {
      const c = p.cols[j]
      if (c >= 0) out[r * p.W + c] += g[i * p.Wp + j]
    }
  }
  return out
}

/** C y: the H×W window of the padded array. */
export function crop(y: ArrayLike<number>, p: PadPlan): Float64Array {
  const out = new Float64Array(p.H * p.W)
  for (let i = 0; i < p.H; i++) {
    const base = (i + p.top) * p.Wp + p.left
    for (let j = 0; j < p.W; j++) out[i * p.W + j] = y[base + j]
  }
  return out
}

/** Cᵀ r: r placed in the H×W window, zeros elsewhere; float32 for the graph. */
export function embed(r: ArrayLike<number>, p: PadPlan): Float32Array {
  const out = new Float32Array(p.Hp * p.Wp)
  for (let i = 0; i < p.H; i++) {
    const base = (i + p.top) * p.Wp + p.left
    for (let j = 0; j < p.W; j++) out[base + j] = r[i * p.W + j]
  }
  return out
}
