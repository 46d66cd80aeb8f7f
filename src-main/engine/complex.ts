/**
 * Complex and real arrays for the engine.
 *
 * Storage is split real/imaginary Float64Array (structure of arrays): no per-pixel objects,
 * contiguous for the FFT, and float64 so that iterative solvers do not drift. Images are
 * row-major with index `y * width + x`; shapes are written rows × columns (H×W), as in NumPy.
 * Multi-dimensional data (e.g. coils × H × W) is the same flat layout with a longer shape.
 */

export interface CArray {
  re: Float64Array
  im: Float64Array
}

/** A real image, row-major. */
export interface RealImage {
  height: number
  width: number
  data: Float64Array
}

/** A complex image, row-major. */
export interface ComplexImage extends CArray {
  height: number
  width: number
}

export type Shape = readonly number[]

export function shapeSize(shape: Shape): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function shapeEquals(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

export function formatShape(shape: Shape): string {
  return shape.join('×')
}

export function czeros(n: number): CArray {
  return { re: new Float64Array(n), im: new Float64Array(n) }
}

export function cclone(x: CArray): CArray {
  return { re: x.re.slice(), im: x.im.slice() }
}

export function ccopyInto(dst: CArray, src: CArray): void {
  dst.re.set(src.re)
  dst.im.set(src.im)
}

/** Complex array from a real one (imaginary part zero). */
export function cfromReal(data: ArrayLike<number>): CArray {
  const re = Float64Array.from(data)
  return { re, im: new Float64Array(re.length) }
}

/** ⟨a, b⟩ = Σ conj(a)·b. */
export function cdot(a: CArray, b: CArray): { re: number; im: number } {
  let sr = 0
  let si = 0
  const n = a.re.length
  for (let i = 0; i < n; i++) {
    const ar = a.re[i], ai = a.im[i], br = b.re[i], bi = b.im[i]
    sr += ar * br + ai * bi
    si += ar * bi - ai * br
  }
  return { re: sr, im: si }
}

export function cnorm2(a: CArray): number {
  let s = 0
  const n = a.re.length
  for (let i = 0; i < n; i++) s += a.re[i] * a.re[i] + a.im[i] * a.im[i]
  return s
}

export function cnorm(a: CArray): number {
  return Math.sqrt(cnorm2(a))
}

/** y ← y + α·x (α real). */
export function caxpy(alpha: number, x: CArray, y: CArray): void {
  const n = x.re.length
  for (let i = 0; i < n; i++) {
    y.re[i] += alpha * x.re[i]
    y.im[i] += alpha * x.im[i]
  }
}

export function cscale(x: CArray, alpha: number): void {
  const n = x.re.length
  for (let i = 0; i < n; i++) {
    x.re[i] *= alpha
    x.im[i] *= alpha
  }
}

/** out = a − b. */
export function csub(a: CArray, b: CArray, out: CArray = czeros(a.re.length)): CArray {
  const n = a.re.length
  for (let i = 0; i < n; i++) {
    out.re[i] = a.re[i] - b.re[i]
    out.im[i] = a.im[i] - b.im[i]
  }
  return out
}

export function cabs(x: CArray): Float64Array {
  const n = x.re.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.hypot(x.re[i], x.im[i])
  return out
}

/** True when every entry is finite (no NaN/Infinity). */
export function cisFinite(x: CArray): boolean {
  const n = x.re.length
  for (let i = 0; i < n; i++) if (!Number.isFinite(x.re[i]) || !Number.isFinite(x.im[i])) return false
  return true
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i])
    if (v > m) m = v
  }
  return m
}

export function cmaxAbs(x: CArray): number {
  // hypot, not re² + im²: stays exact for magnitudes near the float64 limits.
  let m = 0
  const n = x.re.length
  for (let i = 0; i < n; i++) {
    const v = Math.hypot(x.re[i], x.im[i])
    if (v > m) m = v
  }
  return m
}
