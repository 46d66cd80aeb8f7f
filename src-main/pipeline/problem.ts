/**
 * A reconstruction problem: the forward operator A, the simulated measurement y = A x + n, and
 * the reference x, built from options (the physics, in deepinv's split; methods are separate).
 */
import { cabs, cmaxAbs, cnorm, type CArray, type ComplexImage } from '../engine/complex.ts'
import { Rng } from '../engine/rng.ts'
import { generatePattern, effectiveAcceleration, type SamplingPattern, type PatternName } from '../engine/patterns/index.ts'
import { undersampledFourier, pixelMask, gaussianBlur, downsample, type LinearOperator } from '../engine/linops/index.ts'
import type { Task } from '../schema/options.ts'

export interface ProblemSpec {
  task: Task
  pattern?: PatternName
  acceleration?: number
  centerFraction?: number
  seed: number
  /** Explicit k-space mask (1 = sampled), instead of a generated pattern. */
  kspaceMask?: Uint8Array
  /** Inpainting mask (1 = missing pixel). */
  missingMask?: Uint8Array
  blurSigma?: number
  factor?: number
  /** Noise σ relative to the maximum reference magnitude. */
  noise: number
}

export interface Problem {
  task: Task
  height: number
  width: number
  operator: LinearOperator
  measurement: CArray
  /** Absent for real measured data (nothing to compare against). */
  reference?: ComplexImage
  referenceMagnitude?: Float64Array
  /** The mask to save: k-space sampling (1 = sampled) for MRI, missing pixels (1 = missing) for inpainting. */
  mask?: { data: Uint8Array; meaning: 'sampled' | 'missing' }
  pattern?: SamplingPattern
  effectiveAcceleration?: number
  noiseStd: number
  description: string
  /** Receive coils (1 unless a SENSE problem). */
  coils?: number
  /** Coil sensitivity maps used by the operator (coils × H × W), for display and reports. */
  maps?: CArray
}

export function buildProblem(reference: ComplexImage, spec: ProblemSpec): Problem {
  const { height: H, width: W } = reference
  const rng = noiseRng(spec.seed)
  const scale = cmaxAbs(reference)
  if (!(scale > 0)) throw new Error('the reference image is all zeros')
  const noiseStd = spec.noise * scale
  let operator: LinearOperator
  let mask: Problem['mask']
  let pattern: SamplingPattern | undefined
  let effAcc: number | undefined
  let description: string
  switch (spec.task) {
    case 'mri': {
      const k = kspaceSampling(spec, H, W)
      const sampled = k.mask
      pattern = k.pattern
      effAcc = k.effectiveAcceleration
      description = `MRI, ${k.description}`
      operator = undersampledFourier([H, W], sampled)
      mask = { data: sampled, meaning: 'sampled' }
      break
    }
    case 'inpaint': {
      if (!spec.missingMask) throw new Error('inpainting needs a mask (--mask, white = missing)')
      if (spec.missingMask.length !== H * W) throw new Error(`the inpainting mask does not match the image size ${H}×${W}`)
      const known = Uint8Array.from(spec.missingMask, (v) => (v ? 0 : 1))
      let missing = 0
      for (const v of spec.missingMask) missing += v ? 1 : 0
      if (missing === H * W) throw new Error('the inpainting mask marks every pixel missing')
      operator = pixelMask([H, W], known)
      mask = { data: spec.missingMask, meaning: 'missing' }
      description = `inpainting, ${((100 * missing) / (H * W)).toFixed(1)} % of pixels missing`
      break
    }
    case 'blur':
      operator = gaussianBlur(H, W, spec.blurSigma ?? 2)
      description = `Gaussian deblurring, σ = ${spec.blurSigma ?? 2} px`
      break
    case 'downsample':
      operator = downsample(H, W, spec.factor ?? 2)
      description = `super-resolution ×${spec.factor ?? 2} (box average)`
      break
  }
  const measurement = operator.forward(reference)
  if (noiseStd > 0) addNoise(measurement, noiseStd, spec.task === 'mri', mask, rng)
  if (noiseStd > 0) description += `, noise σ = ${spec.noise} × max`
  return {
    task: spec.task,
    height: H,
    width: W,
    operator,
    measurement,
    reference,
    referenceMagnitude: cabs(reference),
    mask,
    pattern,
    effectiveAcceleration: effAcc,
    noiseStd,
    description
  }
}

/** Data consistency of a result x: ‖A x − y‖ / ‖y‖ on the measured samples. */
export function dataConsistency(problem: Problem, x: CArray): number {
  const r = problem.operator.forward(x)
  for (let i = 0; i < r.re.length; i++) {
    r.re[i] -= problem.measurement.re[i]
    r.im[i] -= problem.measurement.im[i]
  }
  return cnorm(r) / (cnorm(problem.measurement) || 1)
}

/**
 * MRI: circular complex Gaussian noise with E|n|² = σ² on the measured samples only (the
 * scanner's thermal noise). Image-domain tasks on real images: real Gaussian noise of std σ on
 * the observed pixels, since a camera's noise has no imaginary part.
 */
/**
 * The measurement-noise stream for a seed, independent of the pattern's. Math.imul keeps the
 * exact low 32 bits: a plain product exceeds 2^53 for large seeds and rounds, so different
 * seeds could share a stream.
 */
export function noiseRng(seed: number): Rng {
  return new Rng((Math.imul(seed, 2654435761) + 17) | 0)
}

export function addNoise(y: CArray, sigma: number, complex: boolean, mask: Problem['mask'], rng: Rng): void {
  // The mask is H×W; multi-coil measurements repeat it per coil.
  const measured = (i: number): boolean => {
    if (!mask) return true
    const m = mask.data[i % mask.data.length]
    return mask.meaning === 'sampled' ? m !== 0 : m === 0
  }
  const s = complex ? sigma / Math.SQRT2 : sigma
  for (let i = 0; i < y.re.length; i++) {
    const nr = rng.normal()
    const ni = rng.normal()
    if (!measured(i)) continue
    y.re[i] += s * nr
    if (complex) y.im[i] += s * ni
  }
}

/**
 * A real undersampled single-coil measurement: k-space as acquired, its own sampling mask,
 * no reference image (the report gives data-consistency residuals instead of PSNR).
 */
export function buildMeasuredProblem(kspace: CArray, mask: Uint8Array, height: number, width: number): Problem {
  if (mask.length !== height * width || kspace.re.length !== height * width) throw new Error('k-space and mask sizes disagree')
  const operator = undersampledFourier([height, width], mask)
  const measurement = { re: kspace.re.slice(), im: kspace.im.slice() }
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) {
      measurement.re[i] = 0
      measurement.im[i] = 0
    }
  }
  const eff = effectiveAcceleration(mask)
  return {
    task: 'mri',
    height,
    width,
    operator,
    measurement,
    mask: { data: mask, meaning: 'sampled' },
    effectiveAcceleration: eff,
    noiseStd: 0,
    description: `MRI, measured k-space with its own mask, ${eff.toFixed(2)}× effective`
  }
}

/**
 * The k-space sampling of an MRI problem: the given mask, or a generated pattern. Shared by
 * single- and multi-coil problems so both undersample identically for the same options.
 */
export function kspaceSampling(
  spec: { kspaceMask?: Uint8Array; pattern?: PatternName; acceleration?: number; centerFraction?: number; seed: number },
  H: number,
  W: number
): { mask: Uint8Array; pattern?: SamplingPattern; effectiveAcceleration: number; description: string } {
  if (spec.kspaceMask) {
    if (spec.kspaceMask.length !== H * W) throw new Error(`the k-space mask does not match the image size ${H}×${W}`)
    const eff = effectiveAcceleration(spec.kspaceMask)
    if (!Number.isFinite(eff)) throw new Error('the k-space mask samples nothing')
    return { mask: spec.kspaceMask, effectiveAcceleration: eff, description: `given k-space mask, ${eff.toFixed(2)}× effective` }
  }
  const pattern = generatePattern({
    pattern: spec.pattern ?? 'poisson',
    height: H,
    width: W,
    acceleration: spec.acceleration ?? 4,
    centerFraction: spec.centerFraction,
    seed: spec.seed
  })
  return { mask: pattern.mask, pattern, effectiveAcceleration: pattern.effectiveAcceleration, description: pattern.description }
}
