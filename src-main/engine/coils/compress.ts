/**
 * SVD (PCA) coil compression: C physical coils → K virtual coils (Huang et al., MRI 2008;
 * Buehrer et al., MRM 2007; BART `cc -S`). One C×C matrix for the whole data set.
 *
 * From samples y(k) ∈ ℂ^C (the calibration region, or all of k-space), the covariance
 * Σ_k y(k) y(k)ᴴ = U Λ Uᴴ; virtual coil j is u_jᴴ y, and its energy on those samples is λ_j.
 * Keeping the K largest keeps Σ_{j<K} λ_j / Σ λ_j of the energy. The rows u_jᴴ are
 * orthonormal, so K = C is a unitary change of basis (nothing lost), and the same matrix
 * applies to k-space and to coil images alike (it commutes with the FFT).
 */
import type { CArray } from '../complex.ts'
import { coilCovariance, eigHermitian } from './linalg.ts'

export interface CoilCompression {
  coils: number
  virtualCoils: number
  /** K×C row-major: virtual j = Σ_c matrix[j·C + c] · y_c (row j = u_jᴴ). */
  matrix: CArray
  /** All C eigenvalues of the covariance (energy per virtual coil), descending. */
  eigenvalues: Float64Array
  /** Σ_{j<K} λ_j / Σ_j λ_j on the samples the compression was fitted to. */
  energyKept: number
}

export interface CoilCompressionOptions {
  /** K; default: the smallest K keeping `energy`, or all coils. */
  virtualCoils?: number
  /** Fraction of the energy to keep when virtualCoils is not given (e.g. 0.95). */
  energy?: number
}

/** Fit the compression to `samples`, laid out coils × n (e.g. C×H×W k-space or a calibration region). */
export function coilCompression(samples: CArray, coils: number, options: CoilCompressionOptions = {}): CoilCompression {
  const C = coils
  const n = samples.re.length / C
  if (!Number.isInteger(C) || C < 1 || !Number.isInteger(n)) throw new Error(`coilCompression: ${samples.re.length} values are not ${coils} coils × n`)
  const eig = eigHermitian(coilCovariance(samples, C), C)
  const eigenvalues = eig.values.map((v) => Math.max(v, 0))
  const total = eigenvalues.reduce((s, v) => s + v, 0)
  if (!(total > 0)) throw new Error('coilCompression: the samples hold no signal')
  let K = options.virtualCoils
  if (K === undefined) {
    K = C
    if (options.energy !== undefined) {
      if (!(options.energy > 0 && options.energy <= 1)) throw new Error(`coilCompression: energy must be in (0, 1], got ${options.energy}`)
      let acc = 0
      for (let j = 0; j < C; j++) {
        acc += eigenvalues[j]
        if (acc >= options.energy * total * (1 - 1e-12)) {
          K = j + 1
          break
        }
      }
    }
  }
  if (!Number.isInteger(K) || K < 1 || K > C) throw new Error(`coilCompression: virtualCoils must be an integer in 1…${C}, got ${K}`)
  const matrix = { re: new Float64Array(K * C), im: new Float64Array(K * C) }
  for (let j = 0; j < K; j++) {
    for (let c = 0; c < C; c++) {
      matrix.re[j * C + c] = eig.vectors.re[c * C + j]
      matrix.im[j * C + c] = -eig.vectors.im[c * C + j]
    }
  }
  let kept = 0
  for (let j = 0; j < K; j++) kept += eigenvalues[j]
  return { coils: C, virtualCoils: K, matrix, eigenvalues, energyKept: kept / total }
}

/** Apply the compression to data laid out coils × n (k-space or images): returns K × n. */
export function compressCoils(data: CArray, cc: CoilCompression): CArray {
  const C = cc.coils
  const K = cc.virtualCoils
  const n = data.re.length / C
  if (!Number.isInteger(n)) throw new Error(`compressCoils: ${data.re.length} values are not ${C} coils × n`)
  const out = { re: new Float64Array(K * n), im: new Float64Array(K * n) }
  for (let j = 0; j < K; j++) {
    for (let c = 0; c < C; c++) {
      const mr = cc.matrix.re[j * C + c], mi = cc.matrix.im[j * C + c]
      if (mr === 0 && mi === 0) continue
      const src = c * n
      const dst = j * n
      for (let i = 0; i < n; i++) {
        const yr = data.re[src + i], yi = data.im[src + i]
        out.re[dst + i] += mr * yr - mi * yi
        out.im[dst + i] += mr * yi + mi * yr
      }
    }
  }
  return out
}

/**
 * Back to the C physical coils (matrixᴴ applied to K × n data): exact for K = C; for K < C the
 * projection of the data onto the kept virtual coils.
 */
export function expandCoils(data: CArray, cc: CoilCompression): CArray {
  const C = cc.coils
  const K = cc.virtualCoils
  const n = data.re.length / K
  if (!Number.isInteger(n)) throw new Error(`expandCoils: ${data.re.length} values are not ${K} virtual coils × n`)
  const out = { re: new Float64Array(C * n), im: new Float64Array(C * n) }
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < K; j++) {
      // conj(matrix[j, c])
      const mr = cc.matrix.re[j * C + c], mi = -cc.matrix.im[j * C + c]
      const src = j * n
      const dst = c * n
      for (let i = 0; i < n; i++) {
        const yr = data.re[src + i], yi = data.im[src + i]
        out.re[dst + i] += mr * yr - mi * yi
        out.im[dst + i] += mr * yi + mi * yr
      }
    }
  }
  return out
}
