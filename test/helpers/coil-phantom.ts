/**
 * Synthetic multi-coil data with known sensitivities, for testing sensitivity estimation.
 *
 * Object: a few ellipses covering about 70 % of the field of view, with a smooth phase, so
 * there is background around it. Coils: C Gaussian-like profiles centred on a ring just
 * outside the object, each with its own linear phase, normalised so that Σ_c |S_c|² = 1 at
 * every pixel (smooth, because the unnormalised RSS is smooth and bounded away from zero).
 * k-space is fully sampled: fft2c of S_c·m per coil.
 */
import { fft2c } from '../../src-main/engine/fft.ts'
import type { CArray } from '../../src-main/engine/complex.ts'
import { Rng } from '../../src-main/engine/rng.ts'

export interface CoilPhantom {
  shape: [number, number, number]
  /** H×W complex object. */
  object: CArray
  /** H×W, 1 inside the object's support. */
  support: Uint8Array
  /** C×H×W true sensitivities, Σ_c |S_c|² = 1 everywhere. */
  maps: CArray
  /** C×H×W coil images S_c·m. */
  images: CArray
  /** C×H×W centred k-space of the coil images. */
  kspace: CArray
}

export interface CoilPhantomOptions {
  /** Standard deviation of complex Gaussian k-space noise per component (default 0). */
  noise?: number
  seed?: number
  /** Width (σ, in units of the half field of view) of each coil's Gaussian profile (default 0.5). */
  coilWidth?: number
  /** Scale of each coil's linear phase, radians per half field of view (default 1.5). */
  phaseSlope?: number
}

export function coilPhantom(H: number, W: number, C: number, options: CoilPhantomOptions = {}): CoilPhantom {
  const { noise = 0, seed = 1, coilWidth = 0.5, phaseSlope = 1.5 } = options
  const plane = H * W
  // Ellipses: centre y, centre x, semi-axes y, x (in units of the half size), angle, value added.
  const ellipses: [number, number, number, number, number, number][] = [
    [0, 0, 0.72, 0.62, 0, 1],
    [-0.05, 0, 0.6, 0.5, 0, -0.4],
    [0.15, -0.2, 0.25, 0.1, 0.3, 0.4],
    [0.1, 0.22, 0.22, 0.12, -0.3, 0.25],
    [-0.35, 0.05, 0.12, 0.16, 0, 0.3]
  ]
  const object = { re: new Float64Array(plane), im: new Float64Array(plane) }
  const support = new Uint8Array(plane)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const py = (2 * r + 1) / H - 1
      const px = (2 * c + 1) / W - 1
      let v = 0
      for (const [cy, cx, ay, ax, ang, val] of ellipses) {
        const dy = py - cy
        const dx = px - cx
        const u = dx * Math.cos(ang) + dy * Math.sin(ang)
        const w = -dx * Math.sin(ang) + dy * Math.cos(ang)
        if ((u / ax) ** 2 + (w / ay) ** 2 <= 1) v += val
      }
      const phase = 0.8 * px - 0.5 * py + 0.6 * px * py
      const i = r * W + c
      object.re[i] = v * Math.cos(phase)
      object.im[i] = v * Math.sin(phase)
      support[i] = v > 0 ? 1 : 0
    }
  }
  const maps = { re: new Float64Array(C * plane), im: new Float64Array(C * plane) }
  for (let k = 0; k < C; k++) {
    const ang = (2 * Math.PI * k) / C + 0.3
    const ky = 0.95 * Math.sin(ang)
    const kx = 0.95 * Math.cos(ang)
    const gy = phaseSlope * Math.cos(1.3 * k)
    const gx = phaseSlope * Math.sin(0.7 * k + 0.4)
    for (let r = 0; r < H; r++) {
      for (let c = 0; c < W; c++) {
        const py = (2 * r + 1) / H - 1
        const px = (2 * c + 1) / W - 1
        const mag = Math.exp(-((py - ky) ** 2 + (px - kx) ** 2) / (2 * coilWidth ** 2))
        const ph = gy * py + gx * px + k
        const i = k * plane + r * W + c
        maps.re[i] = mag * Math.cos(ph)
        maps.im[i] = mag * Math.sin(ph)
      }
    }
  }
  for (let i = 0; i < plane; i++) {
    let s = 0
    for (let k = 0; k < C; k++) s += maps.re[k * plane + i] ** 2 + maps.im[k * plane + i] ** 2
    const n = 1 / Math.sqrt(s)
    for (let k = 0; k < C; k++) {
      maps.re[k * plane + i] *= n
      maps.im[k * plane + i] *= n
    }
  }
  const images = { re: new Float64Array(C * plane), im: new Float64Array(C * plane) }
  for (let k = 0; k < C; k++) {
    for (let i = 0; i < plane; i++) {
      const sr = maps.re[k * plane + i], si = maps.im[k * plane + i]
      images.re[k * plane + i] = sr * object.re[i] - si * object.im[i]
      images.im[k * plane + i] = sr * object.im[i] + si * object.re[i]
    }
  }
  const kspace = { re: images.re.slice(), im: images.im.slice() }
  fft2c(kspace, [C, H, W])
  if (noise > 0) {
    const rng = new Rng(seed)
    for (let i = 0; i < kspace.re.length; i++) {
      kspace.re[i] += noise * rng.normal()
      kspace.im[i] += noise * rng.normal()
    }
  }
  return { shape: [C, H, W], object, support, maps, images, kspace }
}

/** Per-pixel |Σ_c conj(a_c)·b_c| / (‖a‖‖b‖): 1 when the two coil vectors agree up to a phase. */
export function coilAgreement(a: CArray, b: CArray, shape: readonly [number, number, number]): Float64Array {
  const [C, H, W] = shape
  const plane = H * W
  const out = new Float64Array(plane)
  for (let i = 0; i < plane; i++) {
    let sr = 0
    let si = 0
    let na = 0
    let nb = 0
    for (let c = 0; c < C; c++) {
      const ar = a.re[c * plane + i], ai = a.im[c * plane + i]
      const br = b.re[c * plane + i], bi = b.im[c * plane + i]
      sr += ar * br + ai * bi
      si += ar * bi - ai * br
      na += ar * ar + ai * ai
      nb += br * br + bi * bi
    }
    out[i] = na > 0 && nb > 0 ? Math.hypot(sr, si) / Math.sqrt(na * nb) : 0
  }
  return out
}

/** Mean of values where mask is set. */
export function maskedMean(values: ArrayLike<number>, mask: ArrayLike<number>): number {
  let s = 0
  let n = 0
  for (let i = 0; i < values.length; i++) {
    if (mask[i]) {
      s += values[i]
      n++
    }
  }
  return n > 0 ? s / n : NaN
}
