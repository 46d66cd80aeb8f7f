import { Rng } from '../../src-main/engine/rng.ts'
import type { CArray } from '../../src-main/engine/complex.ts'

/** Complex array with independent standard normal real and imaginary parts. */
export function randomComplex(n: number, seed: number): CArray {
  const rng = new Rng(seed)
  const re = new Float64Array(n)
  const im = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    re[i] = rng.normal()
    im[i] = rng.normal()
  }
  return { re, im }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}
