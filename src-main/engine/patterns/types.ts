/**
 * Shared types for k-space undersampling patterns. Kept apart from index.ts so that the
 * per-family modules can use them without importing the dispatcher.
 */

export type PatternName = 'random' | 'equispaced' | 'poisson' | 'radial' | 'spiral' | 'golden-radial'

export const PATTERN_NAMES: readonly PatternName[] = Object.freeze([
  'random',
  'equispaced',
  'poisson',
  'radial',
  'spiral',
  'golden-radial'
] as PatternName[])

export interface PatternOptions {
  pattern: PatternName
  height: number
  width: number
  /** Requested acceleration R ≥ 1 (H·W / sampled points). */
  acceleration: number
  /** Fully sampled centre: columns for random/equispaced, calibration square side for poisson; ignored by radial/spiral. */
  centerFraction?: number
  seed?: number
}

export interface SamplingPattern {
  height: number
  width: number
  /** Row-major H×W, 1 = sampled; DC at (floor(H/2), floor(W/2)). */
  mask: Uint8Array
  pattern: PatternName
  /** As requested. */
  acceleration: number
  /** H·W / number of sampled points. */
  effectiveAcceleration: number
  sampledFraction: number
  /**
   * Centre fraction actually used: the fastMRI parameter for random/equispaced, calibration
   * side / min(H, W) for poisson (its side is rounded and has a floor), 0 for radial/spiral.
   */
  centerFraction: number
  seed: number
  /** One human-readable line. */
  description: string
}

/** What a family generator hands back to the dispatcher. */
export interface FamilyResult {
  mask: Uint8Array
  centerFraction: number
  /** Family-specific tail of the description, e.g. '24×24 calibration, seed 0'. */
  detail: string
}
