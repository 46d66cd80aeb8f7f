/**
 * Operator norm ‖A‖₂ for FISTA's step size 1/‖A‖²: the operator's exact norm when it declares
 * one, otherwise power iteration on AᴴA.
 */
import { cnorm, cscale, shapeSize, type CArray } from '../complex.ts'
import { Rng } from '../rng.ts'
import type { LinearOperator } from './operator.ts'

export function operatorNorm(op: LinearOperator, options: PowerIterationOptions = {}): number {
  return op.norm ?? powerIterationNorm(op, options)
}

export interface PowerIterationOptions {
  iterations?: number
  tolerance?: number
  seed?: number
}

/** ‖A‖₂ by power iteration on AᴴA, ignoring any declared norm. */
export function powerIterationNorm(op: LinearOperator, options: PowerIterationOptions = {}): number {
  const iterations = options.iterations ?? 50
  const tol = options.tolerance ?? 1e-6
  const rng = new Rng(options.seed ?? 1234)
  const n = shapeSize(op.domain)
  let x: CArray = { re: new Float64Array(n), im: new Float64Array(n) }
  for (let i = 0; i < n; i++) {
    x.re[i] = rng.normal()
    x.im[i] = rng.normal()
  }
  cscale(x, 1 / cnorm(x))
  let lambda = 0
  for (let k = 0; k < iterations; k++) {
    const y = op.adjoint(op.forward(x))
    const nrm = cnorm(y) // ‖AᴴA x‖ with ‖x‖ = 1 → largest eigenvalue of AᴴA
    if (nrm === 0) return 0
    const converged = Math.abs(nrm - lambda) <= tol * nrm
    lambda = nrm
    cscale(y, 1 / nrm)
    x = y
    if (converged) break
  }
  return Math.sqrt(lambda)
}

/**
 * L = ‖A‖² for gradient steps: exact when the operator declares its norm, its square bound when
 * it declares one; otherwise the power
 * iteration estimate (which approaches from below) with a 2 % margin, so the step 1/L never
 * exceeds the stable one.
 */
export function lipschitzConstant(op: LinearOperator): number {
  if (op.norm !== undefined) return op.norm ** 2
  // A declared bound gives a step no larger than the stable one, without 50 applications of AᴴA.
  if (op.normBound !== undefined) return op.normBound ** 2
  return 1.02 * powerIterationNorm(op) ** 2
}
