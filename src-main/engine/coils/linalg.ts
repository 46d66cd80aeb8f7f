/**
 * Small dense complex linear algebra for coil calibration, in float64.
 *
 * Matrices are row-major n×n (or m×n) CArrays: entry (i, j) at i·n + j.
 *
 * Hermitian eigendecomposition: Householder reduction to a complex Hermitian tridiagonal,
 * a diagonal unitary that makes its off-diagonal real, then the implicit QL algorithm with
 * Wilkinson shifts (EISPACK/JAMA tql2) with the rotations applied to the complex basis. Chosen
 * over cyclic Jacobi because it is backward stable with a fixed O(n³) cost (≈ 10n³ real flops
 * for values and vectors): the 288×288 ESPIRiT Gram matrix takes a fraction of a second, and
 * the 8×8 per-pixel problems have no sweep count that depends on the data.
 *
 * SVD of tall matrices through the Gram matrix AᴴA (see svdViaGram for the precision cost).
 */
import type { CArray } from '../complex.ts'

export interface HermitianEig {
  n: number
  /** Eigenvalues, descending. */
  values: Float64Array
  /** n×n, row-major; column j (entries j, n + j, 2n + j, …) is the unit eigenvector of values[j]. */
  vectors: CArray
}

const EPS = 2 ** -52
const MAX_QL_ITERATIONS = 64

/**
 * Reusable solver for n×n Hermitian matrices: all workspace is allocated once, so thousands of
 * small problems (one per pixel) cost no garbage. Not re-entrant: solve() overwrites the
 * arrays it returned last time.
 */
export class HermitianEigenSolver {
  readonly n: number
  /** Working copy of the matrix; after the reduction it holds the Householder vectors. */
  private readonly aRe: Float64Array
  private readonly aIm: Float64Array
  private readonly beta: Float64Array
  private readonly pRe: Float64Array
  private readonly pIm: Float64Array
  /** Diagonal and (real, after the phase change) sub-diagonal of the tridiagonal matrix. */
  private readonly d: Float64Array
  private readonly e: Float64Array
  private readonly offRe: Float64Array
  private readonly offIm: Float64Array
  private readonly vRe: Float64Array
  private readonly vIm: Float64Array
  private readonly order: Int32Array
  readonly values: Float64Array
  readonly vectors: CArray

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`matrix size must be a positive integer, got ${n}`)
    this.n = n
    this.aRe = new Float64Array(n * n)
    this.aIm = new Float64Array(n * n)
    this.beta = new Float64Array(n)
    this.pRe = new Float64Array(n)
    this.pIm = new Float64Array(n)
    this.d = new Float64Array(n)
    this.e = new Float64Array(n)
    this.offRe = new Float64Array(n)
    this.offIm = new Float64Array(n)
    this.vRe = new Float64Array(n * n)
    this.vIm = new Float64Array(n * n)
    this.order = new Int32Array(n)
    this.values = new Float64Array(n)
    this.vectors = { re: new Float64Array(n * n), im: new Float64Array(n * n) }
  }

  /**
   * Eigendecomposition of the Hermitian matrix stored row-major at `offset` (only the lower
   * triangle and the real part of the diagonal are read, so a matrix that is Hermitian only up
   * to rounding is treated as exactly Hermitian).
   */
  solve(re: ArrayLike<number>, im: ArrayLike<number>, offset = 0): HermitianEig {
    const n = this.n
    const { aRe, aIm } = this
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const r = re[offset + i * n + j]
        const m = im[offset + i * n + j]
        aRe[i * n + j] = r
        aIm[i * n + j] = m
        aRe[j * n + i] = r
        aIm[j * n + i] = -m
      }
      aRe[i * n + i] = re[offset + i * n + i]
      aIm[i * n + i] = 0
    }
    this.tridiagonalise()
    this.accumulate()
    this.ql()
    this.sortDescending()
    return { n, values: this.values, vectors: this.vectors }
  }

  /**
   * A ← H A H with H = I − β v vᴴ zeroing column k below the sub-diagonal, for k = 0 … n − 3.
   * v is kept in column k below the diagonal (A[k+1…, k]) and β in beta[k] for accumulate().
   */
  private tridiagonalise(): void {
    const n = this.n
    const { aRe, aIm, beta, pRe, pIm, d, offRe, offIm } = this
    for (let k = 0; k < n - 2; k++) {
      let tail = 0
      for (let i = k + 2; i < n; i++) tail += aRe[i * n + k] ** 2 + aIm[i * n + k] ** 2
      const x0r = aRe[(k + 1) * n + k]
      const x0i = aIm[(k + 1) * n + k]
      const ax0 = Math.hypot(x0r, x0i)
      d[k] = aRe[k * n + k]
      if (tail === 0) {
        // Already tridiagonal in this column: H = I.
        beta[k] = 0
        offRe[k] = x0r
        offIm[k] = x0i
        continue
      }
      const sigma = Math.sqrt(ax0 * ax0 + tail)
      // α = −e^{iθ}σ with θ = arg x0, so v0 = x0 − α = e^{iθ}(|x0| + σ) has no cancellation.
      const cr = ax0 > 0 ? x0r / ax0 : 1
      const ci = ax0 > 0 ? x0i / ax0 : 0
      offRe[k] = -cr * sigma
      offIm[k] = -ci * sigma
      aRe[(k + 1) * n + k] = cr * (ax0 + sigma)
      aIm[(k + 1) * n + k] = ci * (ax0 + sigma)
      const b = 1 / (sigma * (sigma + ax0)) // 2/‖v‖²
      beta[k] = b
      // p = β B v over the trailing block B = A[k+1…, k+1…].
      for (let i = k + 1; i < n; i++) {
        let sr = 0
        let si = 0
        for (let j = k + 1; j < n; j++) {
          const br = aRe[i * n + j], bi = aIm[i * n + j]
          const vr = aRe[j * n + k], vi = aIm[j * n + k]
          sr += br * vr - bi * vi
          si += br * vi + bi * vr
        }
        pRe[i] = b * sr
        pIm[i] = b * si
      }
      // K = β (vᴴ p) / 2 is real because B is Hermitian; q = p − K v.
      let vp = 0
      for (let i = k + 1; i < n; i++) vp += aRe[i * n + k] * pRe[i] + aIm[i * n + k] * pIm[i]
      const K = (b * vp) / 2
      for (let i = k + 1; i < n; i++) {
        pRe[i] -= K * aRe[i * n + k]
        pIm[i] -= K * aIm[i * n + k]
      }
      // B ← B − v qᴴ − q vᴴ (lower triangle and diagonal; the upper one mirrors it).
      for (let i = k + 1; i < n; i++) {
        const vir = aRe[i * n + k], vii = aIm[i * n + k]
        const qir = pRe[i], qii = pIm[i]
        for (let j = k + 1; j <= i; j++) {
          const vjr = aRe[j * n + k], vji = aIm[j * n + k]
          const qjr = pRe[j], qji = pIm[j]
          // v_i conj(q_j) + q_i conj(v_j)
          const ur = vir * qjr + vii * qji + qir * vjr + qii * vji
          const ui = vii * qjr - vir * qji + qii * vjr - qir * vji
          aRe[i * n + j] -= ur
          aIm[i * n + j] -= ui
          if (j !== i) {
            aRe[j * n + i] = aRe[i * n + j]
            aIm[j * n + i] = -aIm[i * n + j]
          } else {
            aIm[i * n + i] = 0
          }
        }
      }
    }
    if (n >= 2) {
      d[n - 2] = aRe[(n - 2) * n + n - 2]
      offRe[n - 2] = aRe[(n - 1) * n + n - 2]
      offIm[n - 2] = aIm[(n - 1) * n + n - 2]
    }
    d[n - 1] = aRe[(n - 1) * n + n - 1]
  }

  /**
   * V = H_0 H_1 … H_{n−3} · D, where the unit diagonal D turns the complex sub-diagonal into
   * |off| (Dᴴ T D is real symmetric), so that A = V T_real Vᴴ and QL rotations apply to V.
   */
  private accumulate(): void {
    const n = this.n
    const { aRe, aIm, beta, vRe, vIm, e, offRe, offIm } = this
    vRe.fill(0)
    vIm.fill(0)
    for (let i = 0; i < n; i++) vRe[i * n + i] = 1
    // Backwards, so that H_k only touches rows and columns k+1… of the partial product.
    for (let k = n - 3; k >= 0; k--) {
      const b = beta[k]
      if (b === 0) continue
      for (let j = k + 1; j < n; j++) {
        // s = vᴴ V[:, j]
        let sr = 0
        let si = 0
        for (let i = k + 1; i < n; i++) {
          const vr = aRe[i * n + k], vi = aIm[i * n + k]
          const xr = vRe[i * n + j], xi = vIm[i * n + j]
          sr += vr * xr + vi * xi
          si += vr * xi - vi * xr
        }
        sr *= b
        si *= b
        for (let i = k + 1; i < n; i++) {
          const vr = aRe[i * n + k], vi = aIm[i * n + k]
          vRe[i * n + j] -= vr * sr - vi * si
          vIm[i * n + j] -= vr * si + vi * sr
        }
      }
    }
    // Phases: d_0 = 1, d_{k+1} = d_k · off_k/|off_k|; column k of V is scaled by d_k.
    let dr = 1
    let di = 0
    for (let k = 0; k < n; k++) {
      if (k > 0) {
        const or = offRe[k - 1], oi = offIm[k - 1]
        const ao = Math.hypot(or, oi)
        e[k - 1] = ao
        if (ao > 0) {
          const ur = or / ao, ui = oi / ao
          const t = dr * ur - di * ui
          di = dr * ui + di * ur
          dr = t
        }
      }
      if (dr !== 1 || di !== 0) {
        for (let i = 0; i < n; i++) {
          const xr = vRe[i * n + k], xi = vIm[i * n + k]
          vRe[i * n + k] = xr * dr - xi * di
          vIm[i * n + k] = xr * di + xi * dr
        }
      }
    }
    e[n - 1] = 0
  }

  /** Implicit QL with shifts on (d, e), rotating the columns of V (JAMA's tql2, e pre-shifted). */
  private ql(): void {
    const n = this.n
    const { d, e, vRe, vIm } = this
    let f = 0
    let tst1 = 0
    for (let l = 0; l < n; l++) {
      tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]))
      let m = l
      while (m < n - 1 && Math.abs(e[m]) > EPS * tst1) m++
      if (m > l) {
        let iter = 0
        do {
          if (++iter > MAX_QL_ITERATIONS) throw new Error(`Hermitian eigensolver: no convergence for eigenvalue ${l} of ${n}`)
          let g = d[l]
          let p = (d[l + 1] - g) / (2 * e[l])
          let r = Math.hypot(p, 1)
          if (p < 0) r = -r
          d[l] = e[l] / (p + r)
          d[l + 1] = e[l] * (p + r)
          const dl1 = d[l + 1]
          let h = g - d[l]
          for (let i = l + 2; i < n; i++) d[i] -= h
          f += h
          p = d[m]
          let c = 1
          let c2 = 1
          let c3 = 1
          const el1 = e[l + 1]
          let s = 0
          let s2 = 0
          for (let i = m - 1; i >= l; i--) {
            c3 = c2
            c2 = c
            s2 = s
            g = c * e[i]
            h = c * p
            r = Math.hypot(p, e[i])
            e[i + 1] = s * r
            s = e[i] / r
            c = p / r
            p = c * d[i] - s * g
            d[i + 1] = h + s * (c * g + s * d[i])
            for (let k = 0; k < n; k++) {
              const a = k * n + i
              const hr = vRe[a + 1], hi = vIm[a + 1]
              vRe[a + 1] = s * vRe[a] + c * hr
              vIm[a + 1] = s * vIm[a] + c * hi
              vRe[a] = c * vRe[a] - s * hr
              vIm[a] = c * vIm[a] - s * hi
            }
          }
          p = (-s * s2 * c3 * el1 * e[l]) / dl1
          e[l] = s * p
          d[l] = c * p
        } while (Math.abs(e[l]) > EPS * tst1)
      }
      d[l] += f
      e[l] = 0
    }
  }

  private sortDescending(): void {
    const n = this.n
    const { d, order, values, vectors, vRe, vIm } = this
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => d[b] - d[a])
    for (let j = 0; j < n; j++) {
      const src = order[j]
      values[j] = d[src]
      for (let i = 0; i < n; i++) {
        vectors.re[i * n + j] = vRe[i * n + src]
        vectors.im[i * n + j] = vIm[i * n + src]
      }
    }
  }
}

/** Eigendecomposition of one n×n Hermitian matrix (row-major); the result is freshly allocated. */
export function eigHermitian(a: CArray, n: number): HermitianEig {
  if (a.re.length !== n * n || a.im.length !== n * n) throw new Error(`eigHermitian: expected ${n}×${n} = ${n * n} entries, got ${a.re.length}`)
  const r = new HermitianEigenSolver(n).solve(a.re, a.im)
  return { n, values: r.values.slice(), vectors: { re: r.vectors.re.slice(), im: r.vectors.im.slice() } }
}

/**
 * AᴴA for an m×n row-major A: the n×n Gram matrix (Hermitian; both triangles filled).
 * Accumulated row by row of A, so that the inner loop runs over contiguous memory.
 */
export function gramMatrix(a: CArray, m: number, n: number): CArray {
  if (a.re.length !== m * n) throw new Error(`gramMatrix: expected ${m}×${n} = ${m * n} entries, got ${a.re.length}`)
  const gr = new Float64Array(n * n)
  const gi = new Float64Array(n * n)
  for (let r = 0; r < m; r++) {
    const row = r * n
    for (let i = 0; i < n; i++) {
      // conj(A[r,i]) · A[r,j] for j ≥ i (upper triangle).
      const xr = a.re[row + i], xi = -a.im[row + i]
      if (xr === 0 && xi === 0) continue
      const out = i * n
      for (let j = i; j < n; j++) {
        const yr = a.re[row + j], yi = a.im[row + j]
        gr[out + j] += xr * yr - xi * yi
        gi[out + j] += xr * yi + xi * yr
      }
    }
  }
  for (let i = 0; i < n; i++) {
    gi[i * n + i] = 0
    for (let j = i + 1; j < n; j++) {
      gr[j * n + i] = gr[i * n + j]
      gi[j * n + i] = -gi[i * n + j]
    }
  }
  return { re: gr, im: gi }
}

export interface GramSvd {
  /** Singular values σ_j = √max(λ_j(AᴴA), 0), descending (n of them). */
  singularValues: Float64Array
  /** Right singular vectors, n×n row-major, column j for σ_j. */
  v: CArray
}

/**
 * Singular values and right singular vectors of a tall m×n matrix A (m ≥ n is typical, not
 * required) from the eigendecomposition of AᴴA. Costs O(m·n² + n³) and needs only n×n storage,
 * instead of an SVD of the m×n matrix itself.
 *
 * Precision trade-off: forming AᴴA squares the condition number. An eigenvalue λ of AᴴA is
 * accurate to about ε·λ_max, so σ = √λ carries an absolute error of roughly ε·σ_max²/σ, i.e.
 * singular values below √ε·σ_max ≈ 1.5e-8·σ_max are noise (and may come out as 0), and the
 * right singular vectors of well-separated σ_j are accurate to about ε·σ_max²/(σ_j² − σ_k²).
 * ESPIRiT keeps only σ/σ_max above √t ≈ 0.03 (t = 0.001), eight orders of magnitude above that
 * floor, so this is harmless there; do not use it to resolve a numerical null space.
 */
export function svdViaGram(a: CArray, m: number, n: number): GramSvd {
  const eig = eigHermitian(gramMatrix(a, m, n), n)
  const singularValues = new Float64Array(n)
  for (let j = 0; j < n; j++) singularValues[j] = Math.sqrt(Math.max(eig.values[j], 0))
  return { singularValues, v: eig.vectors }
}

/** C×C coil covariance Σ_i y_c(i)·conj(y_d(i)) of data laid out coils × n (Hermitian). */
export function coilCovariance(data: CArray, C: number): CArray {
  const n = data.re.length / C
  const covRe = new Float64Array(C * C)
  const covIm = new Float64Array(C * C)
  for (let a = 0; a < C; a++) {
    for (let b = 0; b <= a; b++) {
      let sr = 0
      let si = 0
      for (let i = 0; i < n; i++) {
        const ar = data.re[a * n + i], ai = data.im[a * n + i]
        const br = data.re[b * n + i], bi = data.im[b * n + i]
        sr += ar * br + ai * bi
        si += ai * br - ar * bi
      }
      covRe[a * C + b] = sr
      covIm[a * C + b] = si
      covRe[b * C + a] = sr
      covIm[b * C + a] = -si
    }
  }
  return { re: covRe, im: covIm }
}
