/**
 * FISTA-TV: min_x ½‖Ax − y‖² + λ·TV(x) for complex 2-D images and any linear operator.
 *
 * Beck & Teboulle's accelerated proximal gradient: step 1/L with L = ‖A‖² (declared by the
 * operator or from power iteration), the TV prox from tv.ts (FGP, warm-started across
 * iterations), adaptive momentum restart, and λ continuation during the first iterations. λ is given
 * relative to the data scale (the maximum magnitude of the initial image Aᴴy/L), so one default
 * works for scans stored in any units; the absolute value used is reported. The run stops when
 * the relative change ‖xₖ − xₖ₋₁‖/‖xₖ‖ falls below `tolerance` or at `maxIterations`.
 */
import { cclone, cisFinite, cmaxAbs, czeros, type CArray } from './complex.ts'
import { checkLength, type LinearOperator } from './linops/operator.ts'
import { lipschitzConstant } from './linops/norm.ts'
import { TVProx, tvValue } from './tv.ts'
import { throwIfCancelled, type RunControl } from './progress.ts'

export interface FistaTVOptions {
  /** Regularisation weight relative to the data scale. */
  lambda?: number
  maxIterations?: number
  tolerance?: number
  /** FGP iterations per prox (warm-started). */
  innerIterations?: number
  /** ‖A‖² if known (skips the power iteration). */
  lipschitz?: number
  /** Starting image; defaults to Aᴴy / L. */
  initial?: CArray
  /**
   * λ continuation: start at `start`·λ and shrink by `decay` per iteration down to λ
   * (start 1 disables it). Speeds up small-λ (low-noise) problems several-fold.
   */
  continuation?: { start: number; decay: number }
}

export const FISTA_TV_DEFAULTS = {
  lambda: 0.003,
  maxIterations: 60,
  tolerance: 1e-3,
  innerIterations: 5,
  continuation: { start: 10, decay: 0.9 }
} as const

export interface FistaTVResult {
  image: CArray
  iterations: number
  converged: boolean
  relativeChange: number
  lipschitz: number
  lambdaAbsolute: number
  dataScale: number
  /** ½‖Ax − y‖² + λ·TV(x) at the result. */
  objective: number
}

export function fistaTV(A: LinearOperator, y: CArray, options: FistaTVOptions = {}, control?: RunControl): FistaTVResult {
  if (A.domain.length !== 2) throw new Error(`FISTA-TV needs a 2-D image domain, got ${A.domain.join('×')}`)
  const [H, W] = A.domain
  const lambdaRel = options.lambda ?? FISTA_TV_DEFAULTS.lambda
  const maxIt = options.maxIterations ?? FISTA_TV_DEFAULTS.maxIterations
  const tol = options.tolerance ?? FISTA_TV_DEFAULTS.tolerance
  const inner = options.innerIterations ?? FISTA_TV_DEFAULTS.innerIterations
  const contStart = options.continuation?.start ?? FISTA_TV_DEFAULTS.continuation.start
  const contDecay = options.continuation?.decay ?? FISTA_TV_DEFAULTS.continuation.decay
  if (!(contStart >= 1) || !(contDecay > 0 && contDecay < 1)) throw new Error('FISTA-TV: continuation needs start ≥ 1 and 0 < decay < 1')
  if (!(lambdaRel >= 0) || !Number.isFinite(lambdaRel)) throw new Error(`FISTA-TV: lambda must be ≥ 0, got ${lambdaRel}`)
  if (!Number.isInteger(maxIt) || maxIt < 1) throw new Error(`FISTA-TV: iterations must be a positive integer, got ${maxIt}`)
  if (!Number.isInteger(inner) || inner < 1) throw new Error(`FISTA-TV: inner iterations must be a positive integer, got ${inner}`)
  if (!(tol >= 0) || !Number.isFinite(tol)) throw new Error(`FISTA-TV: tolerance must be a finite number ≥ 0, got ${tol}`)
  if (options.lipschitz !== undefined && !(options.lipschitz > 0 && Number.isFinite(options.lipschitz))) {
    throw new Error(`FISTA-TV: the Lipschitz constant must be a finite positive number, got ${options.lipschitz}`)
  }
  checkLength(A, y, 'codomain')
  // Checked up front: entries the operator ignores (unsampled k-space) would otherwise pass the
  // solve silently and only poison the reported objective.
  if (!cisFinite(y)) throw new Error('FISTA-TV: the measurement contains NaN or Infinity')
  if (options.initial && !cisFinite(options.initial)) throw new Error('FISTA-TV: the initial image contains NaN or Infinity')
  const L = options.lipschitz ?? lipschitzConstant(A)
  if (!(L > 0)) throw new Error('FISTA-TV: the operator is zero (nothing was measured)')
  const n = H * W

  let x: CArray
  if (options.initial) {
    x = { re: options.initial.re.slice(), im: options.initial.im.slice() }
  } else {
    x = A.adjoint(y)
    for (let i = 0; i < n; i++) {
      x.re[i] /= L
      x.im[i] /= L
    }
  }
  const dataScale = cmaxAbs(A.adjoint(y)) / L || 1
  const lambda = lambdaRel * dataScale
  const prox = new TVProx(H, W)
  // Three image buffers rotate (previous x, new x, extrapolated z); no allocation per step
  // beyond what the operator itself needs.
  let xPrev: CArray = x
  let xNew: CArray = czeros(n)
  const z: CArray = { re: x.re.slice(), im: x.im.slice() }
  const v = czeros(n)
  const rBuf = czeros(y.re.length)
  const gBuf = czeros(n)
  let t = 1
  let iterations = 0
  let relChange = Infinity
  let converged = false
  for (let k = 0; k < maxIt; k++) {
    throwIfCancelled(control)
    // Gradient step on the data term at the extrapolated point z.
    const r = A.forward(z, rBuf)
    for (let i = 0; i < r.re.length; i++) {
      r.re[i] -= y.re[i]
      r.im[i] -= y.im[i]
    }
    const g = A.adjoint(r, gBuf)
    const invL = 1 / L
    for (let i = 0; i < n; i++) {
      v.re[i] = z.re[i] - g.re[i] * invL
      v.im[i] = z.im[i] - g.im[i] * invL
    }
    // Continuation: λₖ = λ·max(1, c·dᵏ). A large early λ removes aliasing in a few steps; from
    // k ≈ log(1/c)/log d on the objective is the requested one, so the minimiser is unchanged.
    const lamK = lambda * Math.max(1, contStart * Math.pow(contDecay, k))
    prox.apply(v, lamK / L, inner, xNew)
    // Adaptive restart (O'Donoghue & Candès 2015): when the step xₖ − xₖ₋₁ points against the
    // generalised gradient z − xₖ, momentum is overshooting, so reset it.
    let diff = 0
    let restartDot = 0
    let normNew = 0
    for (let i = 0; i < n; i++) {
      const dr = xNew.re[i] - xPrev.re[i]
      const di = xNew.im[i] - xPrev.im[i]
      diff += dr * dr + di * di
      normNew += xNew.re[i] * xNew.re[i] + xNew.im[i] * xNew.im[i]
      restartDot += (z.re[i] - xNew.re[i]) * dr + (z.im[i] - xNew.im[i]) * di
    }
    if (restartDot > 0) t = 1
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2
    const beta = (t - 1) / tNext
    for (let i = 0; i < n; i++) {
      z.re[i] = xNew.re[i] + beta * (xNew.re[i] - xPrev.re[i])
      z.im[i] = xNew.im[i] + beta * (xNew.im[i] - xPrev.im[i])
    }
    t = tNext
    relChange = Math.sqrt(diff) / (Math.sqrt(normNew) || 1)
    const swap = xPrev
    xPrev = xNew
    xNew = swap
    iterations = k + 1
    control?.onProgress?.({ step: iterations, total: maxIt, message: `relative change ${relChange.toExponential(2)}` })
    // A copy: the solver's buffers are reused, and a kept preview must not change under the caller.
    if (control?.onPreview && iterations % (control.previewEvery ?? 10) === 0) control.onPreview(cclone(xPrev), iterations)
    if (!Number.isFinite(relChange)) throw new Error('FISTA-TV diverged (non-finite values); check the input for NaN/Infinity')
    // Only judge convergence once continuation has reached the requested λ.
    if (relChange < tol && lamK === lambda && k >= 2) {
      converged = true
      break
    }
  }
  const res = A.forward(xPrev)
  let dataTerm = 0
  for (let i = 0; i < res.re.length; i++) dataTerm += (res.re[i] - y.re[i]) ** 2 + (res.im[i] - y.im[i]) ** 2
  return {
    image: xPrev,
    iterations,
    converged,
    relativeChange: relChange,
    lipschitz: L,
    lambdaAbsolute: lambda,
    dataScale,
    objective: 0.5 * dataTerm + lambda * tvValue(xPrev, H, W)
  }
}
