/**
 * Rasterising continuous trajectories (radial spokes, spirals) onto the centred k-space grid,
 * and the search for the smallest trajectory count that reaches an acceleration.
 */

/** Number of sampled points. */
export function countSampled(mask: Uint8Array): number {
  let n = 0
  for (let i = 0; i < mask.length; i++) n += mask[i]
  return n
}

/** H·W / sampled points (Infinity for an empty mask, which samples nothing). */
export function effectiveAcceleration(mask: Uint8Array): number {
  const n = countSampled(mask)
  return n === 0 ? Infinity : mask.length / n
}

/** A mask that counts distinct samples as trajectory points land on it. */
export class GridRaster {
  readonly mask: Uint8Array
  readonly cx: number
  readonly cy: number
  count = 0

  constructor(
    readonly height: number,
    readonly width: number
  ) {
    this.mask = new Uint8Array(height * width)
    this.cx = Math.floor(width / 2)
    this.cy = Math.floor(height / 2)
  }

  /** Plots (kx, ky) given in pixels relative to DC at the nearest grid point; off-grid points are dropped. */
  plot(kx: number, ky: number): void {
    const x = Math.round(this.cx + kx)
    const y = Math.round(this.cy + ky)
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return
    const i = y * this.width + x
    if (this.mask[i] === 0) {
      this.mask[i] = 1
      this.count++
    }
  }
}

/**
 * Smallest n in [1, nMax] whose rasterised pattern reaches acceleration ≤ R, assuming the
 * sample count grows with n (exactly so for nested sets, very nearly so otherwise): gallop up
 * to a bracket, then bisect. The returned raster always satisfies the bound.
 */
export function smallestTrajectoryCount(
  build: (n: number) => GridRaster,
  acceleration: number,
  nMax: number,
  pattern: string,
  unit: string
): { n: number; raster: GridRaster } {
  const ok = (g: GridRaster): boolean => g.count > 0 && g.mask.length / g.count <= acceleration
  let lo = 0
  let hi = 1
  let hiRaster = build(hi)
  while (!ok(hiRaster)) {
    if (hi >= nMax) {
      const eff = hiRaster.mask.length / hiRaster.count
      throw new Error(
        `${pattern}: cannot reach ${acceleration}× even with ${nMax} ${unit} (${eff.toFixed(3)}× effective); use a higher acceleration`
      )
    }
    lo = hi
    hi = Math.min(nMax, hi * 2)
    hiRaster = build(hi)
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    const g = build(mid)
    if (ok(g)) {
      hi = mid
      hiRaster = g
    } else lo = mid
  }
  return { n: hi, raster: hiRaster }
}
