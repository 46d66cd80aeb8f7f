/**
 * The data-consistency step of measurement-consistency sampling (Song, Shen, Xing & Ermon,
 * ICLR 2022): move x towards images that agree with a measurement ỹ, with weight λ ∈ [0, 1].
 * - 'projection': x ← x + λ·P(ỹ − A x), P the least-squares inverse of A on real images
 *   (min-norm solution of Re(AᴴA) d = Re Aᴴ v by conjugate gradients). For a pixel mask or a
 *   masked unitary FFT this is Song et al.'s closed form
 *     x' = T⁻¹[λΛỹ + (1 − λ)ΛT x + (I − Λ)T x]:
 *   measured entries are blended towards ỹ, the rest kept. CG is exact in one iteration for a
 *   pixel mask and in two for an undersampled FFT of a real image (Re(AᴴA) has eigenvalues
 *   0, ½ (k measured, −k not) and 1).
 * - 'gradient': x ← x + λ·Re Aᴴ(ỹ − A x)/‖A‖², one gradient step on ½‖A x − ỹ‖², for operators
 *   whose least-squares inverse on real images is ill-conditioned and would amplify noise or
 *   model mismatch (blur, downsampling, SENSE, a mask with an estimated image phase).
 */
import type { CArray } from '../complex.ts'
import { lipschitzConstant } from '../linops/norm.ts'
import type { RealOperator } from './real-operator.ts'

export type ConsistencyMode = 'projection' | 'gradient'

export class Consistency {
  private readonly d: Float64Array
  private readonly r: Float64Array
  private readonly p: Float64Array
  private readonly q: Float64Array
  private readonly b: Float64Array
  private readonly lipschitz: number

  constructor(
    private readonly op: RealOperator,
    readonly mode: ConsistencyMode,
    private readonly cgIterations = 20,
    private readonly cgTolerance = 1e-10
  ) {
    const n = op.n
    this.d = new Float64Array(n)
    this.r = new Float64Array(n)
    this.p = new Float64Array(n)
    this.q = new Float64Array(n)
    this.b = new Float64Array(n)
    this.lipschitz = mode === 'gradient' ? lipschitzConstant(op.A) : 1
    if (!(this.lipschitz > 0)) throw new Error('measurement consistency: the operator is zero (nothing was measured)')
  }

  /**
   * x ← x + λ·step(y − A(x − q·z)) in place: the residual against the measurement noised to
   * level q, ỹ = y + q·A z, with z white image-domain noise (Song et al.'s noising of y, as in
   * their code: noise drawn in image space and mapped through A).
   */
  apply(x: Float64Array, y: CArray, lambda: number, q: number, z: Float64Array | null): void {
    const { op } = this
    const n = op.n
    const xm = this.q
    for (let i = 0; i < n; i++) xm[i] = z ? x[i] - q * z[i] : x[i]
    const ax = op.forward(xm)
    for (let j = 0; j < op.m; j++) {
      ax.re[j] = y.re[j] - ax.re[j]
      ax.im[j] = y.im[j] - ax.im[j]
    }
    op.adjointRe(ax, this.b)
    if (this.mode === 'gradient') {
      const s = lambda / this.lipschitz
      for (let i = 0; i < n; i++) x[i] += s * this.b[i]
      return
    }
    this.solveNormal()
    for (let i = 0; i < n; i++) x[i] += lambda * this.d[i]
  }

  /** d = Re(AᴴA)⁺ b by CG from 0 (b lies in the range, so this is the min-norm solution). */
  private solveNormal(): void {
    const { d, r, p, b } = this
    const n = this.op.n
    d.fill(0)
    r.set(b)
    p.set(b)
    let rr = dot(r, r)
    const stop = this.cgTolerance * this.cgTolerance * rr
    for (let it = 0; it < this.cgIterations && rr > stop; it++) {
      const np = this.normal(p)
      const pnp = dot(p, np)
      if (!(pnp > 0)) break
      const alpha = rr / pnp
      for (let i = 0; i < n; i++) {
        d[i] += alpha * p[i]
        r[i] -= alpha * np[i]
      }
      const rr2 = dot(r, r)
      const beta = rr2 / rr
      rr = rr2
      for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i]
    }
  }

  /** Re(AᴴA) v into the scratch buffer. */
  private normal(v: Float64Array): Float64Array {
    return this.op.adjointRe(this.op.forward(v), this.q)
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}
