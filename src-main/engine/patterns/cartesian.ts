/**
 * Cartesian line patterns with fastMRI's semantics (fastMRI/data/subsample.py): whole columns
 * (phase encodes along the width axis) are sampled, plus a fully sampled block of low
 * frequencies. Python's round() and np.around() round half to even, so we do too, to get the
 * same column counts and positions as fastMRI for the same parameters.
 */
import { Rng } from '../rng.ts'
import type { FamilyResult } from './types.ts'

/** Python 3 round(): ties go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  if (d > 0.5) return f + 1
  if (d < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

/**
 * fastMRI's low-frequency block: num_low_freqs = round(W·cf) columns starting at
 * pad = floor((W − num_low_freqs + 1)/2), which always contains the DC column floor(W/2).
 */
export function centreBlock(width: number, centerFraction: number): { start: number; count: number } {
  const count = Math.min(width, roundHalfEven(width * centerFraction))
  return { start: Math.floor((width - count + 1) / 2), count }
}

/** Spreads a per-column selection over all rows. */
function columnsToMask(columns: Uint8Array, height: number): Uint8Array {
  const width = columns.length
  const mask = new Uint8Array(height * width)
  for (let y = 0; y < height; y++) mask.set(columns, y * width)
  return mask
}

function countColumns(columns: Uint8Array): number {
  let n = 0
  for (let i = 0; i < columns.length; i++) n += columns[i]
  return n
}

/** RandomMaskFunc: each column independently with the probability that makes W/R columns on average. */
export function randomColumns(width: number, acceleration: number, centerFraction: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  const { start, count } = centreBlock(width, centerFraction)
  // Centre alone over budget (or covering everything): fastMRI's prob is ≤ 0 there, i.e. centre only.
  const prob = count < width ? (width / acceleration - count) / (width - count) : 0
  const columns = new Uint8Array(width)
  // One draw per column including the centre ones, as fastMRI draws for the whole row.
  for (let x = 0; x < width; x++) if (rng.uniform() < prob) columns[x] = 1
  columns.fill(1, start, start + count)
  return columns
}

/**
 * EquispacedMaskFractionFunc: the spacing is stretched ("adjusted") so that lines falling inside
 * the centre block are not wasted and the total is W/R columns.
 */
export function equispacedColumns(width: number, acceleration: number, centerFraction: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  const { start, count } = centreBlock(width, centerFraction)
  const columns = new Uint8Array(width)
  // When the centre alone meets the budget the adjusted spacing is negative or infinite.
  if (count * acceleration < width) {
    const adjusted = (acceleration * (count - width)) / (count * acceleration - width)
    const offset = rng.int(roundHalfEven(adjusted))
    // fastMRI takes np.arange(offset, num_cols - 1, adjusted_accel), which drops the last column
    // even at R = 1; we keep every rounded position that lies on the grid.
    for (let k = 0; ; k++) {
      const x = roundHalfEven(offset + k * adjusted)
      if (x >= width) break
      columns[x] = 1
    }
  }
  columns.fill(1, start, start + count)
  return columns
}

export function cartesianPattern(
  kind: 'random' | 'equispaced',
  height: number,
  width: number,
  acceleration: number,
  centerFraction: number,
  seed: number
): FamilyResult {
  const columns =
    kind === 'random'
      ? randomColumns(width, acceleration, centerFraction, seed)
      : equispacedColumns(width, acceleration, centerFraction, seed)
  const { count } = centreBlock(width, centerFraction)
  return {
    mask: columnsToMask(columns, height),
    centerFraction,
    detail: `${countColumns(columns)} of ${width} columns, ${count} centre columns, seed ${seed}`
  }
}
