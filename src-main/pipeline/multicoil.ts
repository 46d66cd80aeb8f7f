/**
 * Multi-coil MRI problems on the SENSE operator: real undersampled data (its own mask, no
 * reference), undersampling simulated from fully sampled multi-coil k-space (reference: the
 * root-sum-of-squares image), or multi-coil data simulated from a single image with synthetic
 * coils (reference: |x|). Sensitivities are always estimated from the undersampled data's
 * calibration region unless true maps are given, as they would be on a scanner.
 */
import { cfromReal, type CArray } from '../engine/complex.ts'
import { fft2c, ifft2c } from '../engine/fft.ts'
import { sense } from '../engine/linops/index.ts'
import { effectiveAcceleration, type PatternName, type SamplingPattern } from '../engine/patterns/index.ts'
import { syntheticSensitivities } from '../engine/coils/synthetic-maps.ts'
import { coilCompression, compressCoils } from '../engine/coils/compress.ts'
import { rss } from '../engine/coils/combine.ts'
import { estimateSensitivities, type MapsMethod } from './sensitivities.ts'
import { addNoise, kspaceSampling, noiseRng, type Problem } from './problem.ts'

export interface MulticoilSpec {
  /** Centred k-space, coils × H × W. */
  kspace: CArray
  coils: number
  height: number
  width: number
  /** Real undersampled data: its own sampling mask (then nothing is simulated). */
  measuredMask?: Uint8Array
  /** Magnitude reference for simulated problems. */
  reference?: Float64Array
  pattern?: PatternName
  acceleration?: number
  centerFraction?: number
  kspaceMask?: Uint8Array
  seed: number
  noise: number
  maps: MapsMethod | { true: CArray }
  /** Compress to this many virtual coils (SVD) before estimating maps; fewer FFTs per iteration. */
  virtualCoils?: number
}

/** Multi-coil k-space of x seen through synthetic coils: F(S_c·x) for every coil. */
export function simulateCoils(x: CArray, height: number, width: number, coils: number): { kspace: CArray; maps: CArray } {
  const maps = syntheticSensitivities(coils, height, width)
  const plane = height * width
  const k = { re: new Float64Array(coils * plane), im: new Float64Array(coils * plane) }
  for (let c = 0; c < coils; c++) {
    for (let i = 0; i < plane; i++) {
      const a = maps.re[c * plane + i], b = maps.im[c * plane + i]
      k.re[c * plane + i] = a * x.re[i] - b * x.im[i]
      k.im[c * plane + i] = a * x.im[i] + b * x.re[i]
    }
  }
  fft2c(k, [coils, height, width])
  return { kspace: k, maps }
}

/** Root-sum-of-squares of the zero-filled coil images (the conventional multi-coil baseline). */
export function rssOfKspace(kspace: CArray, coils: number, height: number, width: number): Float64Array {
  const x = { re: kspace.re.slice(), im: kspace.im.slice() }
  ifft2c(x, [coils, height, width])
  return rss(x, [coils, height, width])
}

/** The multi-coil measurement of a spec, before coil maps: sampling, noise, optional compression. */
export interface MulticoilMeasurement {
  /** H×W, 1 = sampled. */
  sampled: Uint8Array
  pattern?: SamplingPattern
  effectiveAcceleration: number
  /** coils × H × W, after any coil compression. */
  data: CArray
  /** Coils in `data` (virtual coils after compression). */
  coils: number
  noiseStd: number
  /** The problem description so far (the maps are appended by buildMulticoilProblem). */
  description: string
}

/**
 * Everything of a multi-coil problem except the sensitivity maps: cheap, so a live preview of
 * the measurement (mask, zero-filled RSS) need not wait for ESPIRiT.
 */
export function multicoilMeasurement(spec: MulticoilSpec): MulticoilMeasurement {
  const { coils: C, height: H, width: W } = spec
  const plane = H * W
  let sampled: Uint8Array
  let pattern: SamplingPattern | undefined
  let description: string
  let eff: number
  if (spec.measuredMask) {
    sampled = spec.measuredMask
    eff = effectiveAcceleration(sampled)
    description = `MRI, measured ${C}-coil k-space with its own mask`
  } else {
    const k = kspaceSampling(spec, H, W)
    sampled = k.mask
    pattern = k.pattern
    eff = k.effectiveAcceleration
    description = `MRI, ${C} coils, ${k.description}`
  }
  if (!Number.isFinite(eff)) throw new Error('the k-space mask samples nothing')

  const measurement = { re: new Float64Array(C * plane), im: new Float64Array(C * plane) }
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < plane; i++) {
      if (sampled[i]) {
        measurement.re[c * plane + i] = spec.kspace.re[c * plane + i]
        measurement.im[c * plane + i] = spec.kspace.im[c * plane + i]
      }
    }
  }
  let noiseStd = 0
  if (spec.noise > 0 && spec.reference) {
    let max = 0
    for (const v of spec.reference) max = Math.max(max, v)
    noiseStd = spec.noise * max
    addNoise(measurement, noiseStd, true, { data: sampled, meaning: 'sampled' }, noiseRng(spec.seed))
    description += `, noise σ = ${spec.noise} × max`
  }
  let coilsUsed = C
  let data: CArray = measurement
  if (spec.virtualCoils !== undefined && spec.virtualCoils < C) {
    if (typeof spec.maps === 'object') throw new Error('coil compression cannot be combined with the true synthetic maps')
    // Fitted on the measured samples; the compression is unitary per sample, so the mask and
    // the noise statistics carry over to the virtual coils.
    const cc = coilCompression(measurement, C, { virtualCoils: spec.virtualCoils })
    data = compressCoils(measurement, cc)
    coilsUsed = cc.virtualCoils
    description += `, compressed to ${coilsUsed} virtual coils (${(100 * cc.energyKept).toFixed(1)} % energy)`
  }
  return { sampled, pattern, effectiveAcceleration: eff, data, coils: coilsUsed, noiseStd, description }
}

export function buildMulticoilProblem(spec: MulticoilSpec): Problem {
  const { height: H, width: W } = spec
  const m = multicoilMeasurement(spec)
  const { sampled, pattern, noiseStd, data } = m
  const coilsUsed = m.coils
  const eff = m.effectiveAcceleration
  let description = m.description
  let maps: CArray
  if (typeof spec.maps === 'object') {
    maps = spec.maps.true
    description += ', true coil maps'
  } else {
    const est = estimateSensitivities(data, [coilsUsed, H, W], spec.maps)
    maps = est.maps
    description += `, ${est.description}`
  }
  const reference = spec.reference
  return {
    task: 'mri',
    height: H,
    width: W,
    operator: sense(maps, [coilsUsed, H, W], sampled),
    measurement: data,
    reference: reference ? { height: H, width: W, ...cfromReal(reference) } : undefined,
    referenceMagnitude: reference ? Float64Array.from(reference) : undefined,
    mask: { data: sampled, meaning: 'sampled' },
    pattern,
    effectiveAcceleration: eff,
    noiseStd,
    description,
    coils: coilsUsed,
    maps
  }
}
