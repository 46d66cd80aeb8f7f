/**
 * Complex MRI data with a real-valued prior. A diffusion prior models magnitude images, but a
 * scanner image is m·e^{iφ} with a smooth phase φ (B0 off-resonance, coil and receiver phase).
 * With φ known, y = A(m·e^{iφ}) = A'(m) for A' = A∘diag(e^{iφ}), so the samplers keep a real
 * image and simply use A'. φ is smooth, so it is estimated from the centre of k-space: the
 * calibration region is fully sampled, which keeps the low-resolution phase free of aliasing.
 */
import { formatShape, type CArray } from '../complex.ts'
import { fft2c, ifft2c } from '../fft.ts'
import { checkLength, type LinearOperator } from '../linops/operator.ts'

/** A' = A∘diag(e^{iφ}) for a real phase map φ (radians) on A's H×W image domain. */
export function withPhase(A: LinearOperator, phase: ArrayLike<number>): LinearOperator {
  if (A.domain.length !== 2) throw new Error(`withPhase: the operator's domain must be an H×W image, got ${formatShape(A.domain)}`)
  const n = A.domain[0] * A.domain[1]
  if (phase.length !== n) throw new Error(`withPhase: the phase map has ${phase.length} values, expected ${formatShape(A.domain)} = ${n}`)
  const c = new Float64Array(n)
  const s = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(phase[i])) throw new Error('withPhase: the phase map contains NaN or Infinity')
    c[i] = Math.cos(phase[i])
    s[i] = Math.sin(phase[i])
  }
  const op: LinearOperator = {
    name: `${A.name}∘phase`,
    // diag(e^{iφ}) is unitary: the norm (or its bound) is unchanged.
    norm: A.norm,
    normBound: A.normBound,
    domain: A.domain,
    codomain: A.codomain,
    forward(x, out) {
      checkLength(op, x, 'domain')
      const xr = new Float64Array(n)
      const xi = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        xr[i] = x.re[i] * c[i] - x.im[i] * s[i]
        xi[i] = x.re[i] * s[i] + x.im[i] * c[i]
      }
      return A.forward({ re: xr, im: xi }, out)
    },
    adjoint(y, out) {
      checkLength(op, y, 'codomain')
      const x = A.adjoint(y, out)
      for (let i = 0; i < n; i++) {
        const a = x.re[i], b = x.im[i]
        x.re[i] = a * c[i] + b * s[i]
        x.im[i] = b * c[i] - a * s[i]
      }
      return x
    }
  }
  return op
}

export interface PhaseEstimateOptions {
  /**
   * Width (k-space samples, per axis) of the centred Hann window that keeps the calibration
   * region; default 24 (or the image size when smaller). Wider follows the phase more closely
   * but lets aliasing in from undersampled k-space.
   */
  calibration?: number
}

/**
 * Low-resolution phase of a complex H×W image (e.g. the zero-filled Aᴴy): the angle of the image
 * low-pass filtered with a Hann window over the central `calibration` k-space samples.
 */
export function estimatePhase(image: CArray, H: number, W: number, options: PhaseEstimateOptions = {}): Float64Array {
  const n = H * W
  if (image.re.length !== n || image.im.length !== n) throw new Error(`estimatePhase: the image has ${image.re.length} values, expected ${H}×${W} = ${n}`)
  const width = options.calibration ?? 24
  if (!(width > 0) || !Number.isFinite(width)) throw new Error(`estimatePhase: calibration must be a positive number, got ${width}`)
  const k = { re: image.re.slice(), im: image.im.slice() }
  fft2c(k, [H, W])
  const wy = hann(H, Math.min(width, H))
  const wx = hann(W, Math.min(width, W))
  for (let r = 0; r < H; r++) {
    for (let col = 0; col < W; col++) {
      const w = wy[r] * wx[col]
      k.re[r * W + col] *= w
      k.im[r * W + col] *= w
    }
  }
  ifft2c(k, [H, W])
  const phase = new Float64Array(n)
  for (let i = 0; i < n; i++) phase[i] = Math.atan2(k.im[i], k.re[i])
  return phase
}

/** Centred Hann window of full width `width` on an axis of n samples (DC at ⌊n/2⌋). */
function hann(n: number, width: number): Float64Array {
  const w = new Float64Array(n)
  const c = Math.floor(n / 2)
  const half = width / 2
  for (let i = 0; i < n; i++) {
    const d = Math.abs(i - c)
    w[i] = d < half ? 0.5 + 0.5 * Math.cos((Math.PI * d) / half) : 0
  }
  return w
}
