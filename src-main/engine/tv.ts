/**
 * Isotropic total variation on complex 2-D images and its proximal operator.
 *
 * D is the forward difference with a Neumann boundary (the last difference along each axis is
 * zero); TV(x) = Σ √(|Dₓx|² + |D_y x|²) with complex moduli, the same isotropic, jointly
 * thresholded TV that BART's `pics -R T` uses. The prox is solved in the dual with Beck &
 * Teboulle's fast gradient projection (FGP, 2009): the dual variable lives in the unit ball
 * per pixel, the step is 1/(8λ) because ‖D‖² ≤ 8, and the dual is kept between calls so that
 * inside FISTA a handful of warm-started inner iterations is as good as a cold exact solve.
 */
import type { CArray } from './complex.ts'

export function tvValue(x: CArray, height: number, width: number): number {
  const { re, im } = x
  let s = 0
  for (let y = 0; y < height; y++) {
    for (let c = 0; c < width; c++) {
      const i = y * width + c
      let g = 0
      if (c < width - 1) g += (re[i + 1] - re[i]) ** 2 + (im[i + 1] - im[i]) ** 2
      if (y < height - 1) g += (re[i + width] - re[i]) ** 2 + (im[i + width] - im[i]) ** 2
      s += Math.sqrt(g)
    }
  }
  return s
}

export class TVProx {
  readonly height: number
  readonly width: number
  // Dual variable p = (pₓ, p_y), complex, and FGP's extrapolated point r.
  private pxr: Float64Array
  private pxi: Float64Array
  private pyr: Float64Array
  private pyi: Float64Array
  private rxr: Float64Array
  private rxi: Float64Array
  private ryr: Float64Array
  private ryi: Float64Array

  constructor(height: number, width: number) {
    this.height = height
    this.width = width
    const n = height * width
    this.pxr = new Float64Array(n)
    this.pxi = new Float64Array(n)
    this.pyr = new Float64Array(n)
    this.pyi = new Float64Array(n)
    this.rxr = new Float64Array(n)
    this.rxi = new Float64Array(n)
    this.ryr = new Float64Array(n)
    this.ryi = new Float64Array(n)
  }

  reset(): void {
    for (const a of [this.pxr, this.pxi, this.pyr, this.pyi]) a.fill(0)
  }

  /**
   * out = argmin_x ½‖x − z‖² + λ·TV(x), approximately, with `iterations` FGP steps started
   * from the dual of the previous call. `out` must not alias `z` (z is read every step).
   */
  apply(z: CArray, lambda: number, iterations: number, out: CArray): CArray {
    if (out.re === z.re || out.im === z.im) throw new Error('TVProx.apply: out must not alias the input')
    if (lambda <= 0) {
      out.re.set(z.re)
      out.im.set(z.im)
      return out
    }
    const { pxr, pxi, pyr, pyi, rxr, rxi, ryr, ryi } = this
    rxr.set(pxr)
    rxi.set(pxi)
    ryr.set(pyr)
    ryi.set(pyi)
    const tau = 1 / (8 * lambda)
    const H = this.height
    let t = 1
    for (let k = 0; k < iterations; k++) {
      const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2
      const beta = (t - 1) / tNext
      t = tNext
      // One sweep per FGP step: the primal row y+1 is formed just before the dual row y needs
      // it (it reads dual rows y and y+1, not yet updated), so x is consumed while in cache.
      this.primalRow(0, z, lambda, rxr, rxi, ryr, ryi, out)
      for (let y = 0; y < H; y++) {
        if (y + 1 < H) this.primalRow(y + 1, z, lambda, rxr, rxi, ryr, ryi, out)
        this.dualRow(y, out, tau, beta)
      }
    }
    // Final primal point from the last projected dual (feasible), not the extrapolated one.
    for (let y = 0; y < H; y++) this.primalRow(y, z, lambda, pxr, pxi, pyr, pyi, out)
    return out
  }

  /**
   * Row y of x = z − λ·Dᵀq. The dual components on the last column (qₓ) and last row (q_y)
   * are always zero (D x is zero there and the iteration starts from zero), so Dᵀ needs only
   * the first-column and first-row special cases and the inner loop has no branches.
   */
  private primalRow(
    y: number, z: CArray, lambda: number,
    qxr: Float64Array, qxi: Float64Array, qyr: Float64Array, qyi: Float64Array, out: CArray
  ): void {
    const W = this.width
    const xr = out.re
    const xi = out.im
    const zr = z.re
    const zi = z.im
    const row = y * W
    const up = y > 0 ? -W : 0
    const upOn = y > 0 ? 1 : 0
    {
      const i = row // c = 0: no left neighbour
      const dr = -qxr[i] - qyr[i] + upOn * qyr[i + up]
      const di = -qxi[i] - qyi[i] + upOn * qyi[i + up]
      xr[i] = zr[i] - lambda * dr
      xi[i] = zi[i] - lambda * di
    }
    for (let i = row + 1, end = row + W; i < end; i++) {
      const dr = qxr[i - 1] - qxr[i] - qyr[i] + upOn * qyr[i + up]
      const di = qxi[i - 1] - qxi[i] - qyi[i] + upOn * qyi[i + up]
      xr[i] = zr[i] - lambda * dr
      xi[i] = zi[i] - lambda * di
    }
  }

  /** Row y of p⁺ = Proj_{|·|≤1}(r + τ·Dx); r ← p⁺ + β(p⁺ − p); p ← p⁺. Reads x rows y, y+1. */
  private dualRow(y: number, x: CArray, tau: number, beta: number): void {
    const W = this.width
    const { pxr, pxi, pyr, pyi, rxr, rxi, ryr, ryi } = this
    const xr = x.re
    const xi = x.im
    const row = y * W
    const last = row + W - 1
    const down = y < this.height - 1 ? W : 0 // last row: the vertical difference is zero
    for (let i = row; i <= last; i++) {
      const right = i < last ? 1 : 0 // last column: the horizontal difference is zero
      const axr = rxr[i] + tau * (xr[i + right] - xr[i])
      const axi = rxi[i] + tau * (xi[i + right] - xi[i])
      const ayr = ryr[i] + tau * (xr[i + down] - xr[i])
      const ayi = ryi[i] + tau * (xi[i + down] - xi[i])
      // Branch-free: the projection test is data-dependent and mispredicts on real images.
      const s = 1 / Math.max(1, Math.sqrt(axr * axr + axi * axi + ayr * ayr + ayi * ayi))
      const nxr = axr * s, nxi = axi * s, nyr = ayr * s, nyi = ayi * s
      rxr[i] = nxr + beta * (nxr - pxr[i])
      rxi[i] = nxi + beta * (nxi - pxi[i])
      ryr[i] = nyr + beta * (nyr - pyr[i])
      ryi[i] = nyi + beta * (nyi - pyi[i])
      pxr[i] = nxr
      pxi[i] = nxi
      pyr[i] = nyr
      pyi[i] = nyi
    }
  }
}
