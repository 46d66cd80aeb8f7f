/**
 * Linear operators with forward and adjoint, composable in the manner of BART's linops.
 *
 * Every operator maps a complex array of shape `domain` to one of shape `codomain`. Adjoints
 * are exact (checked by ⟨Ax, y⟩ = ⟨x, Aᴴy⟩ in the tests), which is what makes gradients,
 * power iterations and projections correct for any composition.
 */
import { cclone, czeros, formatShape, shapeEquals, shapeSize, type CArray, type Shape } from '../complex.ts'

export interface LinearOperator {
  readonly name: string
  readonly domain: Shape
  readonly codomain: Shape
  /** ‖A‖₂ when known exactly (e.g. 1 for a masked unitary FFT); saves the power iteration. */
  readonly norm?: number
  /** An upper bound on ‖A‖₂ when the exact value is costly (SENSE: √max Σ|S_c|²). */
  readonly normBound?: number
  /**
   * y = A x. Never modifies x. Operators on hot paths may write into `out` (same length as
   * the codomain, not aliasing x) instead of allocating; callers must use the return value.
   */
  forward(x: CArray, out?: CArray): CArray
  /** x = Aᴴ y. Never modifies y. `out` as for forward. */
  adjoint(y: CArray, out?: CArray): CArray
}

export function checkLength(op: LinearOperator, x: CArray, which: 'domain' | 'codomain'): void {
  const shape = which === 'domain' ? op.domain : op.codomain
  const n = shapeSize(shape)
  if (x.re.length !== n || x.im.length !== n) {
    throw new Error(`${op.name}: expected an array of shape ${formatShape(shape)} (${n} values), got ${x.re.length}`)
  }
}

/**
 * An operator equal to its own adjoint (real symmetric matrix: diagonal masks, symmetric
 * convolutions), built from one `apply`.
 */
export function selfAdjoint(name: string, shape: Shape, apply: (v: CArray) => CArray, norm?: number): LinearOperator {
  const op: LinearOperator = {
    name,
    norm,
    domain: shape,
    codomain: shape,
    forward(x) {
      checkLength(op, x, 'domain')
      return apply(x)
    },
    adjoint(y) {
      checkLength(op, y, 'codomain')
      return apply(y)
    }
  }
  return op
}

/** A ∘ B: applies B first. */
export function compose(a: LinearOperator, b: LinearOperator): LinearOperator {
  if (!shapeEquals(a.domain, b.codomain)) {
    throw new Error(`cannot compose ${a.name} (domain ${formatShape(a.domain)}) after ${b.name} (codomain ${formatShape(b.codomain)})`)
  }
  return {
    name: `${a.name}∘${b.name}`,
    domain: b.domain,
    codomain: a.codomain,
    forward: (x) => a.forward(b.forward(x)),
    adjoint: (y) => b.adjoint(a.adjoint(y))
  }
}

/** Compose a chain right-to-left: chain(A, B, C) = A∘B∘C. */
export function chain(...ops: LinearOperator[]): LinearOperator {
  if (ops.length === 0) throw new Error('chain needs at least one operator')
  return ops.reduceRight((acc, op) => compose(op, acc))
}

export function identity(shape: Shape): LinearOperator {
  const op: LinearOperator = {
    name: 'identity',
    norm: 1,
    domain: shape,
    codomain: shape,
    forward: (x) => {
      checkLength(op, x, 'domain')
      return cclone(x)
    },
    adjoint: (y) => {
      checkLength(op, y, 'codomain')
      return cclone(y)
    }
  }
  return op
}

/** α·A for real α. */
export function scaled(a: LinearOperator, alpha: number): LinearOperator {
  const mul = (v: CArray): CArray => {
    for (let i = 0; i < v.re.length; i++) {
      v.re[i] *= alpha
      v.im[i] *= alpha
    }
    return v
  }
  return {
    name: `${alpha}·${a.name}`,
    norm: a.norm === undefined ? undefined : Math.abs(alpha) * a.norm,
    domain: a.domain,
    codomain: a.codomain,
    forward: (x) => mul(a.forward(x)),
    adjoint: (y) => mul(a.adjoint(y))
  }
}

/** AᴴA x, the normal operator used by gradient methods. */
export function normal(a: LinearOperator, x: CArray): CArray {
  return a.adjoint(a.forward(x))
}

/** Fresh zero array in the operator's domain. */
export function domainZeros(a: LinearOperator): CArray {
  return czeros(shapeSize(a.domain))
}
