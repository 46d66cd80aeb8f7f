/**
 * Validation and defaults for PatternOptions. Options arrive from the UI and the CLI, so every
 * field is checked at runtime with a message that says what was wrong and what is allowed.
 */
import { PATTERN_NAMES, type PatternName, type PatternOptions } from './types.ts'

export const MAX_GRID_SIZE = 8192

export interface ResolvedOptions {
  pattern: PatternName
  height: number
  width: number
  acceleration: number
  /** As given; undefined when the family default applies. */
  centerFraction: number | undefined
  seed: number
}

/**
 * fastMRI pairs 0.08 with 4× and 0.04 with 8× (0.32/R), clamped so that low R keeps a usable
 * centre and high R still has one. Poisson's calibration square defaults to 8 %; radial and
 * spiral trajectories are dense at the centre by themselves.
 */
export function defaultCenterFraction(pattern: PatternName, acceleration: number): number {
  switch (pattern) {
    case 'random':
    case 'equispaced':
      return Math.min(0.25, Math.max(0.02, 0.32 / acceleration))
    case 'poisson':
      return 0.08
    default:
      return 0
  }
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v)
}

function checkSize(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_GRID_SIZE) {
    throw new Error(`${name} must be a positive integer ≤ ${MAX_GRID_SIZE} (got ${describe(v)})`)
  }
  return v
}

export function resolveOptions(opts: PatternOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw new Error('pattern options must be an object')
  const pattern = opts.pattern
  if (!PATTERN_NAMES.includes(pattern)) {
    throw new Error(`unknown pattern ${describe(pattern)}; valid patterns are: ${PATTERN_NAMES.join(', ')}`)
  }
  const height = checkSize('height', opts.height)
  const width = checkSize('width', opts.width)
  const acceleration = opts.acceleration
  if (typeof acceleration !== 'number' || !Number.isFinite(acceleration) || acceleration < 1) {
    throw new Error(`acceleration must be a finite number ≥ 1 (got ${describe(acceleration)})`)
  }
  const centerFraction = opts.centerFraction
  if (
    centerFraction !== undefined &&
    (typeof centerFraction !== 'number' || !Number.isFinite(centerFraction) || centerFraction < 0 || centerFraction >= 1)
  ) {
    throw new Error(`centerFraction must be a number in [0, 1) (got ${describe(centerFraction)})`)
  }
  const seed = opts.seed ?? 0
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`seed must be an integer (got ${describe(seed)})`)
  }
  return { pattern, height, width, acceleration, centerFraction, seed }
}
