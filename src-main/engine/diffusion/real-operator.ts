/**
 * A complex linear operator seen from a REAL image: A_r x = A(x + 0i). Its adjoint for the real
 * inner product is A_rᵀ v = Re(Aᴴ v), which is what every gradient with respect to the sampler's
 * real image uses. Buffers are reused across calls (one instance per run, not shared between
 * concurrent runs).
 */
import { czeros, formatShape, shapeSize, type CArray } from '../complex.ts'
import { checkLength, type LinearOperator } from '../linops/operator.ts'
import { Rng } from '../rng.ts'

export class RealOperator {
  readonly A: LinearOperator
  readonly height: number
  readonly width: number
  readonly n: number
  /** Size of the measurement (complex entries). */
  readonly m: number
  private readonly xc: CArray
  private readonly yc: CArray
  private readonly gc: CArray

  constructor(A: LinearOperator) {
    if (A.domain.length !== 2) {
      throw new Error(`diffusion samplers need an operator on a 2-D image (H×W), got domain ${formatShape(A.domain)}`)
    }
    this.A = A
    this.height = A.domain[0]
    this.width = A.domain[1]
    this.n = this.height * this.width
    this.m = shapeSize(A.codomain)
    this.xc = czeros(this.n)
    this.yc = czeros(this.m)
    this.gc = czeros(this.n)
  }

  /** A(x + 0i). The result is an internal buffer, valid until the next forward call. */
  forward(x: Float64Array): CArray {
    this.xc.re.set(x)
    this.xc.im.fill(0)
    return this.A.forward(this.xc, this.yc)
  }

  /** Re(Aᴴ v) into `out`. */
  adjointRe(v: CArray, out: Float64Array = new Float64Array(this.n)): Float64Array {
    const g = this.A.adjoint(v, this.gc)
    out.set(g.re)
    return out
  }

  /** The measurement y checked against the operator's codomain. */
  checkMeasurement(y: CArray): void {
    checkLength(this.A, y, 'codomain')
    for (let i = 0; i < this.m; i++) {
      if (!Number.isFinite(y.re[i]) || !Number.isFinite(y.im[i])) throw new Error('the measurement contains NaN or Infinity')
    }
  }

  /**
   * Whether the real normal operator N = Re(AᴴA) has eigenvalues in {0, ½, 1} only, probed on
   * one random image: N(2N − I)(N − I) = 0. True for a pixel mask ({0, 1}) and for an
   * undersampled unitary FFT acting on real images (½ where k is measured but −k is not). For
   * these the least-squares projection onto the data is exact in two CG iterations and
   * perfectly conditioned: Song et al.'s replacement of the measured entries. It is false for
   * blur, SENSE and for a mask composed with an image phase (withPhase), whose real-image
   * least-squares inverse is ill-conditioned: data that no real image fits exactly (an
   * estimated phase is never exact) would be amplified.
   */
  hasMaskSpectrum(): boolean {
    const rng = new Rng(0x5eed)
    const v = new Float64Array(this.n)
    for (let i = 0; i < this.n; i++) v[i] = rng.normal()
    const a = this.adjointRe(this.forward(v))
    const b = this.adjointRe(this.forward(a))
    const c = this.adjointRe(this.forward(b))
    let num = 0
    let den = 0
    for (let i = 0; i < this.n; i++) {
      num += (2 * c[i] - 3 * b[i] + a[i]) ** 2
      den += a[i] * a[i]
    }
    return den > 0 && num <= 1e-18 * den
  }
}
