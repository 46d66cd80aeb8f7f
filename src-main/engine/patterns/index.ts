/**
 * k-space undersampling patterns. Every pattern is a pure function of its options (seeded where
 * random), so a reconstruction can be reproduced from the options alone.
 */
import { cartesianPattern } from './cartesian.ts'
import { defaultCenterFraction, resolveOptions } from './options.ts'
import { poissonPattern } from './poisson.ts'
import { goldenRadialPattern, radialPattern } from './radial.ts'
import { countSampled, effectiveAcceleration } from './raster.ts'
import { spiralPattern } from './spiral.ts'
import type { FamilyResult, PatternName, PatternOptions, SamplingPattern } from './types.ts'

export { PATTERN_NAMES } from './types.ts'
export type { PatternName, PatternOptions, SamplingPattern } from './types.ts'
export { defaultCenterFraction, effectiveAcceleration }

const LABELS: Record<PatternName, string> = {
  random: 'Random columns',
  equispaced: 'Equispaced columns',
  poisson: 'Poisson disc',
  radial: 'Radial',
  spiral: 'Archimedean spiral',
  'golden-radial': 'Golden-angle radial'
}

/** 4 → '4', 2.5 → '2.5', 3.14159 → '3.142'. */
function formatFactor(x: number): string {
  return String(Number(x.toFixed(3)))
}

export function generatePattern(opts: PatternOptions): SamplingPattern {
  const o = resolveOptions(opts)
  const { height: h, width: w, acceleration: r } = o
  let family: FamilyResult
  switch (o.pattern) {
    case 'random':
    case 'equispaced':
      family = cartesianPattern(o.pattern, h, w, r, o.centerFraction ?? defaultCenterFraction(o.pattern, r), o.seed)
      break
    case 'poisson':
      family = poissonPattern(h, w, r, o.centerFraction, o.seed)
      break
    case 'radial':
      family = radialPattern(h, w, r)
      break
    case 'golden-radial':
      family = goldenRadialPattern(h, w, r)
      break
    case 'spiral':
      family = spiralPattern(h, w, r)
      break
  }
  const count = countSampled(family.mask)
  const effective = count === 0 ? Infinity : (h * w) / count
  return {
    height: h,
    width: w,
    mask: family.mask,
    pattern: o.pattern,
    acceleration: r,
    effectiveAcceleration: effective,
    sampledFraction: count / (h * w),
    centerFraction: family.centerFraction,
    seed: o.seed,
    description: `${LABELS[o.pattern]}, ${effective.toFixed(2)}× effective (${formatFactor(r)}× requested), ${family.detail}`
  }
}
