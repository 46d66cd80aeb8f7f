/**
 * Archimedean spiral interleaves (r ∝ θ) from DC to the farthest grid corner, rasterised.
 *
 * The number of turns per interleave is fixed by the grid: the reference (fully sampled)
 * design has NYQUIST_INTERLEAVES interleaves of rMax/NYQUIST_INTERLEAVES turns each (at least one
 * turn), so adjacent turns of the union are 1 pixel apart; undersampling drops interleaves, which
 * widens the gap to about R pixels. An Archimedean spiral samples uniformly except near DC, where
 * the M interleaves fan out like M spokes and sample densely out to a radius of about M/2π, so
 * many short interleaves rather than a few long ones give a denser centre and finer steps
 * between reachable accelerations (≈ 1/M).
 */
import { GridRaster, smallestTrajectoryCount } from './raster.ts'
import type { FamilyResult } from './types.ts'

const NYQUIST_INTERLEAVES = 256
/** Arc-length step; under half a pixel so that no grid point the curve crosses is skipped. */
const STEP = 0.45

/** Radius reaching the centre of the farthest grid point, so that the corners can be sampled. */
export function spiralMaxRadius(height: number, width: number): number {
  const cx = Math.floor(width / 2)
  const cy = Math.floor(height / 2)
  return Math.hypot(Math.max(cx, width - 1 - cx), Math.max(cy, height - 1 - cy)) + 0.5
}

/** Turns per interleave: at least one, so that every interleave actually spirals. */
export function spiralTurns(height: number, width: number): number {
  return Math.max(1, spiralMaxRadius(height, width) / NYQUIST_INTERLEAVES)
}

/** Points of one unrotated interleave r = a·θ, θ ∈ [0, 2π·turns], at most STEP pixels apart. */
export function interleavePoints(rMax: number, turns: number): { x: Float64Array; y: Float64Array } {
  const thetaMax = 2 * Math.PI * turns
  const a = rMax / thetaMax
  const xs: number[] = []
  const ys: number[] = []
  // |dp/dθ| = sqrt(r² + a²), so this θ step moves at most STEP pixels along the curve.
  for (let theta = 0; theta < thetaMax; theta += STEP / Math.hypot(a * theta, a)) {
    xs.push(a * theta * Math.cos(theta))
    ys.push(a * theta * Math.sin(theta))
  }
  xs.push(rMax * Math.cos(thetaMax))
  ys.push(rMax * Math.sin(thetaMax))
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) }
}

/** M interleaves rotated by 2πj/M; `curve` may be passed in to share it between calls. */
export function spiralRaster(
  height: number,
  width: number,
  m: number,
  curve = interleavePoints(spiralMaxRadius(height, width), spiralTurns(height, width))
): GridRaster {
  const g = new GridRaster(height, width)
  for (let j = 0; j < m; j++) {
    const c = Math.cos((2 * Math.PI * j) / m)
    const s = Math.sin((2 * Math.PI * j) / m)
    for (let i = 0; i < curve.x.length; i++) g.plot(c * curve.x[i] - s * curve.y[i], s * curve.x[i] + c * curve.y[i])
  }
  return g
}

/** M interleaves rotated by 2πj/M, M the smallest reaching acceleration ≤ R. */
export function spiralPattern(height: number, width: number, acceleration: number): FamilyResult {
  const rMax = spiralMaxRadius(height, width)
  const turns = spiralTurns(height, width)
  // Every interleave is a rotated copy of one curve, computed once.
  const curve = interleavePoints(rMax, turns)
  const build = (m: number): GridRaster => spiralRaster(height, width, m, curve)
  // Turns a quarter pixel apart leave no gaps anywhere.
  const mMax = Math.ceil((4 * rMax) / turns) + 8
  const { n, raster } = smallestTrajectoryCount(build, acceleration, mMax, 'spiral', 'interleaves')
  return { mask: raster.mask, centerFraction: 0, detail: `${n} interleaves × ${turns.toFixed(2)} turns` }
}
