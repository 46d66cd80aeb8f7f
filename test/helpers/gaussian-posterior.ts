/**
 * Dense float64 linear algebra for the diffusion tests: the closed-form Gaussian posterior
 * (textbook Example 7.4) and brute-force matrices built independently of the engine's FFT-based
 * Gaussian prior, so the samplers are checked against numbers computed another way.
 */
import type { CArray } from '../../src-main/engine/complex.ts'
import type { LinearOperator } from '../../src-main/engine/linops/operator.ts'

/** Row-major dense real matrix. */
export interface Mat {
  rows: number
  cols: number
  a: Float64Array
}

export function mat(rows: number, cols: number): Mat {
  return { rows, cols, a: new Float64Array(rows * cols) }
}

export function matmul(A: Mat, B: Mat): Mat {
  if (A.cols !== B.rows) throw new Error('matmul: shape mismatch')
  const C = mat(A.rows, B.cols)
  for (let i = 0; i < A.rows; i++) {
    for (let k = 0; k < A.cols; k++) {
      const aik = A.a[i * A.cols + k]
      if (aik === 0) continue
      for (let j = 0; j < B.cols; j++) C.a[i * B.cols + j] += aik * B.a[k * B.cols + j]
    }
  }
  return C
}

export function transpose(A: Mat): Mat {
  const T = mat(A.cols, A.rows)
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) T.a[j * A.rows + i] = A.a[i * A.cols + j]
  return T
}

export function matvec(A: Mat, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(A.rows)
  for (let i = 0; i < A.rows; i++) {
    let s = 0
    for (let j = 0; j < A.cols; j++) s += A.a[i * A.cols + j] * x[j]
    y[i] = s
  }
  return y
}

/** Solves S X = B for symmetric positive definite S (Cholesky), B with several columns. */
export function solveSpd(S: Mat, B: Mat): Mat {
  const n = S.rows
  const L = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    let d = S.a[j * n + j]
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2
    if (!(d > 0)) throw new Error('solveSpd: matrix not positive definite')
    const ljj = Math.sqrt(d)
    L[j * n + j] = ljj
    for (let i = j + 1; i < n; i++) {
      let s = S.a[i * n + j]
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k]
      L[i * n + j] = s / ljj
    }
  }
  const X = mat(n, B.cols)
  const z = new Float64Array(n)
  for (let c = 0; c < B.cols; c++) {
    for (let i = 0; i < n; i++) {
      let s = B.a[i * B.cols + c]
      for (let k = 0; k < i; k++) s -= L[i * n + k] * z[k]
      z[i] = s / L[i * n + i]
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i]
      for (let k = i + 1; k < n; k++) s -= L[k * n + i] * X.a[k * B.cols + c]
      X.a[i * B.cols + c] = s / L[i * n + i]
    }
  }
  return X
}

/** The centred unitary 2-D DFT as a dense complex matrix (fft2c's convention), entry by entry. */
export function denseDft(H: number, W: number): { re: Mat; im: Mat } {
  const n = H * W
  const re = mat(n, n)
  const im = mat(n, n)
  const cy = Math.floor(H / 2)
  const cx = Math.floor(W / 2)
  const s = 1 / Math.sqrt(n)
  for (let ky = 0; ky < H; ky++) {
    for (let kx = 0; kx < W; kx++) {
      for (let jy = 0; jy < H; jy++) {
        for (let jx = 0; jx < W; jx++) {
          const ph = -2 * Math.PI * (((ky - cy) * (jy - cy)) / H + ((kx - cx) * (jx - cx)) / W)
          const idx = (ky * W + kx) * n + jy * W + jx
          re.a[idx] = s * Math.cos(ph)
          im.a[idx] = s * Math.sin(ph)
        }
      }
    }
  }
  return { re, im }
}

/**
 * Re(Fᴴ diag(p) F), with the imaginary part's largest magnitude (zero for a symmetric p), from
 * the dense DFT matrix: the stationary prior's covariance built without any FFT.
 */
export function stationaryCovariance(H: number, W: number, p: ArrayLike<number>): { cov: Mat; maxImag: number } {
  const n = H * W
  const F = denseDft(H, W)
  const cov = mat(n, n)
  let maxImag = 0
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      // (Fᴴ P F)_ij = Σ_k conj(F_ki) p_k F_kj
      let sr = 0
      let si = 0
      for (let k = 0; k < n; k++) {
        const ar = F.re.a[k * n + i], ai = -F.im.a[k * n + i]
        const br = F.re.a[k * n + j], bi = F.im.a[k * n + j]
        sr += p[k] * (ar * br - ai * bi)
        si += p[k] * (ar * bi + ai * br)
      }
      cov.a[i * n + j] = sr
      maxImag = Math.max(maxImag, Math.abs(si))
    }
  }
  return { cov, maxImag }
}

export function diagonalMatrix(d: ArrayLike<number>): Mat {
  const n = d.length
  const D = mat(n, n)
  for (let i = 0; i < n; i++) D.a[i * n + i] = d[i]
  return D
}

/**
 * The real 2m×n matrix of a complex operator acting on real images: column j is
 * [Re A e_j; Im A e_j]. Measurements are stacked the same way (`stackReal`).
 */
export function operatorMatrix(A: LinearOperator, n: number): Mat {
  const m = A.codomain.reduce((p, d) => p * d, 1)
  const M = mat(2 * m, n)
  for (let j = 0; j < n; j++) {
    const e: CArray = { re: new Float64Array(n), im: new Float64Array(n) }
    e.re[j] = 1
    const col = A.forward(e)
    for (let i = 0; i < m; i++) {
      M.a[i * n + j] = col.re[i]
      M.a[(m + i) * n + j] = col.im[i]
    }
  }
  return M
}

export function stackReal(y: CArray): Float64Array {
  const m = y.re.length
  const out = new Float64Array(2 * m)
  out.set(y.re, 0)
  out.set(y.im, m)
  return out
}

/**
 * Posterior of x ~ N(μ, Σ) given y = A x + n, n ~ N(0, s²I) on every real component:
 *   m = μ + ΣAᵀ(AΣAᵀ + s²I)⁻¹(y − Aμ),   C = Σ − ΣAᵀ(AΣAᵀ + s²I)⁻¹AΣ.
 * Rows of A that are identically zero (imaginary parts of a real mask) carry pure noise and
 * drop out, which the s²I term handles.
 */
export function gaussianPosterior(Sigma: Mat, mu: ArrayLike<number>, A: Mat, y: ArrayLike<number>, s: number): { mean: Float64Array; cov: Mat } {
  const At = transpose(A)
  const SAt = matmul(Sigma, At)
  const G = matmul(A, SAt)
  for (let i = 0; i < G.rows; i++) G.a[i * G.cols + i] += s * s
  const Amu = matvec(A, mu)
  const res = mat(A.rows, 1)
  for (let i = 0; i < A.rows; i++) res.a[i] = y[i] - Amu[i]
  const w = solveSpd(G, res)
  const mean = Float64Array.from(mu)
  const upd = matvec(SAt, w.a)
  for (let i = 0; i < mean.length; i++) mean[i] += upd[i]
  const X = solveSpd(G, transpose(SAt)) // (AΣAᵀ + s²I)⁻¹AΣ
  const cov = matmul(SAt, X)
  for (let i = 0; i < cov.a.length; i++) cov.a[i] = Sigma.a[i] - cov.a[i]
  return { mean, cov }
}

export function diag(M: Mat): Float64Array {
  const d = new Float64Array(Math.min(M.rows, M.cols))
  for (let i = 0; i < d.length; i++) d[i] = M.a[i * M.cols + i]
  return d
}
