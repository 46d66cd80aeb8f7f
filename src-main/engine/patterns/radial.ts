/**
 * Radial patterns: straight spokes through DC, rasterised onto the grid. Spokes run to the edge
 * of the rectangle (not a circle) so that enough spokes cover every grid point and R = 1 is
 * reachable.
 */
import { GridRaster, smallestTrajectoryCount } from './raster.ts'
import type { FamilyResult } from './types.ts'

const GOLDEN_RATIO = (1 + Math.sqrt(5)) / 2
/** 180°/φ ≈ 111.246°: each new spoke splits the largest angular gap, so any prefix is near-uniform. */
export const GOLDEN_ANGLE = Math.PI / GOLDEN_RATIO
/** Along-spoke step; half a pixel so that no grid point the spoke crosses is skipped. */
const STEP = 0.5

/** Plots the full-length spoke at `angle` (radians from the kx axis) through DC. */
export function plotSpoke(raster: GridRaster, angle: number): void {
  const c = Math.cos(angle)
  const s = Math.sin(angle)
  // Parameter range where the point rounds onto the grid (slab clipping against each axis).
  let tMin = -Infinity
  let tMax = Infinity
  const clip = (dir: number, lo: number, hi: number): void => {
    if (Math.abs(dir) < 1e-12) return
    const a = lo / dir
    const b = hi / dir
    tMin = Math.max(tMin, Math.min(a, b))
    tMax = Math.min(tMax, Math.max(a, b))
  }
  clip(c, -0.5 - raster.cx, raster.width - 0.5 - raster.cx)
  clip(s, -0.5 - raster.cy, raster.height - 0.5 - raster.cy)
  // Integer multiples of the step keep t = 0 (DC) on every spoke.
  const k0 = Math.ceil(tMin / STEP)
  const k1 = Math.floor(tMax / STEP)
  for (let k = k0; k <= k1; k++) raster.plot(k * STEP * c, k * STEP * s)
}

/** Enough spokes to be a quarter pixel apart at the farthest grid point, leaving no gaps anywhere. */
function maxSpokes(height: number, width: number): number {
  const rCorner = Math.hypot(height / 2 + 1, width / 2 + 1)
  return Math.ceil(4 * Math.PI * rCorner)
}

/** N spokes evenly spread over 180°, at k·π/N. */
export function radialRaster(height: number, width: number, n: number): GridRaster {
  const g = new GridRaster(height, width)
  for (let k = 0; k < n; k++) plotSpoke(g, (k * Math.PI) / n)
  return g
}

/** The first N spokes of the golden-angle sequence, at k·111.246°. */
export function goldenRadialRaster(height: number, width: number, n: number): GridRaster {
  const g = new GridRaster(height, width)
  for (let k = 0; k < n; k++) plotSpoke(g, (k * GOLDEN_ANGLE) % Math.PI)
  return g
}

/** N spokes at k·π/N, N the smallest reaching acceleration ≤ R. */
export function radialPattern(height: number, width: number, acceleration: number): FamilyResult {
  const build = (n: number): GridRaster => radialRaster(height, width, n)
  const { n, raster } = smallestTrajectoryCount(build, acceleration, maxSpokes(height, width), 'radial', 'spokes')
  return { mask: raster.mask, centerFraction: 0, detail: `${n} spokes` }
}

/**
 * Spokes at k·111.246°. The sets are nested (N+1 spokes add one to N), so spokes are added one
 * at a time until the bound holds, which gives exactly the smallest N (the same mask as
 * goldenRadialRaster(N), built once instead of per trial).
 */
export function goldenRadialPattern(height: number, width: number, acceleration: number): FamilyResult {
  const g = new GridRaster(height, width)
  const nMax = maxSpokes(height, width)
  let n = 0
  while (g.count === 0 || g.mask.length / g.count > acceleration) {
    if (n >= nMax) {
      throw new Error(
        `golden-radial: cannot reach ${acceleration}× even with ${nMax} spokes ` +
          `(${(g.mask.length / g.count).toFixed(3)}× effective); use a higher acceleration`
      )
    }
    plotSpoke(g, (n * GOLDEN_ANGLE) % Math.PI)
    n++
  }
  return { mask: g.mask, centerFraction: 0, detail: `${n} spokes at 111.246° increments` }
}
