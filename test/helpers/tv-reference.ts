/**
 * Independent float64 reference code for the total-variation tests: an explicit forward
 * difference operator D (Neumann boundary) and its adjoint written as a scatter (the engine
 * writes Dᵀ as a gather), isotropic TV, the TV-prox objective and its dual, a dual solver for
 * the prox, a Chambolle–Pock (PDHG) solver for ½‖Ax − y‖² + λ·TV(x), and synthetic images.
 * Nothing here calls src-main/engine/tv.ts or fista-tv.ts; operators are used as black boxes
 * through forward/adjoint only.
 */
import type { CArray } from '../../src-main/engine/complex.ts'
import type { LinearOperator } from '../../src-main/engine/linops/index.ts'
import { Rng } from '../../src-main/engine/rng.ts'

/** A complex gradient field: x and y differences, each complex. */
export interface Grad {
  /** All four components, [xr | xi | yr | yi], each n long; the fields below are views of it. */
  all: Float64Array
  xr: Float64Array
  xi: Float64Array
  yr: Float64Array
  yi: Float64Array
}

export function gradZeros(n: number): Grad {
  const all = new Float64Array(4 * n)
  return { all, xr: all.subarray(0, n), xi: all.subarray(n, 2 * n), yr: all.subarray(2 * n, 3 * n), yi: all.subarray(3 * n) }
}

/** D x: forward differences, zero in the last column (x part) and the last row (y part). */
export function grad(x: CArray, H: number, W: number, out: Grad = gradZeros(H * W)): Grad {
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const i = r * W + c
      if (c + 1 < W) {
        out.xr[i] = x.re[i + 1] - x.re[i]
        out.xi[i] = x.im[i + 1] - x.im[i]
      } else {
        out.xr[i] = 0
        out.xi[i] = 0
      }
      if (r + 1 < H) {
        out.yr[i] = x.re[i + W] - x.re[i]
        out.yi[i] = x.im[i + W] - x.im[i]
      } else {
        out.yr[i] = 0
        out.yi[i] = 0
      }
    }
  }
  return out
}

/** Dᵀ g, as the scatter of each difference onto its two pixels (entries D ignores are ignored). */
export function gradAdjoint(g: Grad, H: number, W: number, out?: CArray): CArray {
  const n = H * W
  const o = out ?? { re: new Float64Array(n), im: new Float64Array(n) }
  o.re.fill(0)
  o.im.fill(0)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const i = r * W + c
      if (c + 1 < W) {
        o.re[i + 1] += g.xr[i]
        o.im[i + 1] += g.xi[i]
        o.re[i] -= g.xr[i]
        o.im[i] -= g.xi[i]
      }
      if (r + 1 < H) {
        o.re[i + W] += g.yr[i]
        o.im[i + W] += g.yi[i]
        o.re[i] -= g.yr[i]
        o.im[i] -= g.yi[i]
      }
    }
  }
  return o
}

/** Isotropic TV Σ √(|Dₓx|² + |D_y x|²), from grad(). */
export function tvRef(x: CArray, H: number, W: number): number {
  const g = grad(x, H, W)
  let s = 0
  for (let i = 0; i < H * W; i++) s += Math.sqrt(g.xr[i] ** 2 + g.xi[i] ** 2 + g.yr[i] ** 2 + g.yi[i] ** 2)
  return s
}

export function norm2(x: CArray): number {
  let s = 0
  for (let i = 0; i < x.re.length; i++) s += x.re[i] * x.re[i] + x.im[i] * x.im[i]
  return s
}

export function diffNorm2(a: CArray, b: CArray): number {
  let s = 0
  for (let i = 0; i < a.re.length; i++) s += (a.re[i] - b.re[i]) ** 2 + (a.im[i] - b.im[i]) ** 2
  return s
}

/** ‖a − b‖ / ‖b‖. */
export function relErr(a: CArray, b: CArray): number {
  return Math.sqrt(diffNorm2(a, b) / norm2(b))
}

/** ½‖x − z‖² + λ·TV(x). */
export function proxPrimal(x: CArray, z: CArray, lambda: number, H: number, W: number): number {
  return 0.5 * diffNorm2(x, z) + lambda * tvRef(x, H, W)
}

/**
 * Dual of the prox problem at q = λp (feasible when |q_i| ≤ λ per pixel, over all four real
 * components): ½‖z‖² − ½‖z − Dᵀq‖². Weak duality: proxPrimal(x) ≥ proxDual(q) for every x and
 * every feasible q.
 */
export function proxDual(q: Grad, z: CArray, H: number, W: number): number {
  return 0.5 * norm2(z) - 0.5 * diffNorm2(z, gradAdjoint(q, H, W))
}

/** Largest per-pixel |q_i| (feasibility of a scaled dual). */
export function dualMaxNorm(q: Grad): number {
  let m = 0
  for (let i = 0; i < q.xr.length; i++) m = Math.max(m, Math.sqrt(q.xr[i] ** 2 + q.xi[i] ** 2 + q.yr[i] ** 2 + q.yi[i] ** 2))
  return m
}

function projectBall(q: Grad, radius: number): void {
  for (let i = 0; i < q.xr.length; i++) {
    const m = Math.sqrt(q.xr[i] ** 2 + q.xi[i] ** 2 + q.yr[i] ** 2 + q.yi[i] ** 2)
    if (m > radius) {
      const s = radius / m
      q.xr[i] *= s
      q.xi[i] *= s
      q.yr[i] *= s
      q.yi[i] *= s
    }
  }
}

/**
 * The prox dual, min over |q_i| ≤ λ of ½‖z − Dᵀq‖², by accelerated projected gradient (step
 * 1/8 since ‖D‖² ≤ 8) with function-value restart. Returns a strictly feasible q; the primal
 * point it implies is z − Dᵀq.
 */
export function solveProxDual(z: CArray, lambda: number, H: number, W: number, iterations: number): Grad {
  const n = H * W
  let q = gradZeros(n)
  let qNew = gradZeros(n)
  const v = gradZeros(n)
  const g = gradZeros(n)
  const resid: CArray = { re: new Float64Array(n), im: new Float64Array(n) }
  let t = 1
  let fPrev = Infinity
  for (let k = 0; k < iterations; k++) {
    // resid = z − Dᵀv; the gradient of ½‖z − Dᵀv‖² in v is −D(resid).
    gradAdjoint(v, H, W, resid)
    for (let i = 0; i < n; i++) {
      resid.re[i] = z.re[i] - resid.re[i]
      resid.im[i] = z.im[i] - resid.im[i]
    }
    grad(resid, H, W, g)
    for (let i = 0; i < 4 * n; i++) qNew.all[i] = v.all[i] + g.all[i] / 8
    projectBall(qNew, lambda)
    const f = diffNorm2(z, gradAdjoint(qNew, H, W, resid))
    if (f > fPrev) {
      // Function-value restart: drop the momentum.
      t = 1
      v.all.set(qNew.all)
    } else {
      const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2
      const beta = (t - 1) / tNext
      for (let i = 0; i < 4 * n; i++) v.all[i] = qNew.all[i] + beta * (qNew.all[i] - q.all[i])
      t = tNext
    }
    fPrev = f
    const swap = q
    q = qNew
    qNew = swap
  }
  return q
}

/** ½‖Ax − y‖² + λ·TV(x). */
export function objective(A: LinearOperator, y: CArray, x: CArray, lambda: number, H: number, W: number): number {
  return 0.5 * diffNorm2(A.forward(x), y) + lambda * tvRef(x, H, W)
}

/**
 * Chambolle–Pock primal–dual (PDHG) for min ½‖Ax − y‖² + λ·TV(x) with K = D, for operators
 * whose normal operator AᴴA is an orthogonal projection P (a 0/1 mask after a unitary map:
 * undersampled Fourier, pixel mask), so that prox_{τG}(v) = (I − τ/(1+τ)·P)(v + τAᴴy) is exact.
 * Returns the last primal iterate.
 */
export function pdhgProjection(A: LinearOperator, y: CArray, lambda: number, H: number, W: number, iterations: number, ratio = 1): CArray {
  const n = H * W
  // στ‖D‖² ≤ στ·8 < 1.
  const tau = (0.99 / Math.sqrt(8)) * ratio
  const sigma = 0.99 / Math.sqrt(8) / ratio
  const aty = A.adjoint(y)
  let x: CArray = { re: aty.re.slice(), im: aty.im.slice() }
  const xbar: CArray = { re: x.re.slice(), im: x.im.slice() }
  const p = gradZeros(n)
  const g = gradZeros(n)
  const dtp: CArray = { re: new Float64Array(n), im: new Float64Array(n) }
  const v: CArray = { re: new Float64Array(n), im: new Float64Array(n) }
  const shrink = tau / (1 + tau)
  for (let k = 0; k < iterations; k++) {
    grad(xbar, H, W, g)
    for (let i = 0; i < 4 * n; i++) p.all[i] += sigma * g.all[i]
    projectBall(p, lambda)
    gradAdjoint(p, H, W, dtp)
    for (let i = 0; i < n; i++) {
      v.re[i] = x.re[i] - tau * dtp.re[i] + tau * aty.re[i]
      v.im[i] = x.im[i] - tau * dtp.im[i] + tau * aty.im[i]
    }
    const pv = A.adjoint(A.forward(v))
    const xNew: CArray = { re: new Float64Array(n), im: new Float64Array(n) }
    for (let i = 0; i < n; i++) {
      xNew.re[i] = v.re[i] - shrink * pv.re[i]
      xNew.im[i] = v.im[i] - shrink * pv.im[i]
      xbar.re[i] = 2 * xNew.re[i] - x.re[i]
      xbar.im[i] = 2 * xNew.im[i] - x.im[i]
    }
    x = xNew
  }
  return x
}

/** Piecewise-constant ellipse phantom (values in [0, 1]), H×W; H ≠ W is allowed. */
export function ellipsePhantom(H: number, W: number): Float64Array {
  // [centre y, centre x, semi-axis y, semi-axis x, angle, value added], in units of the half size.
  const ellipses: [number, number, number, number, number, number][] = [
    [0, 0, 0.9, 0.7, 0, 0.8],
    [-0.02, 0, 0.84, 0.64, 0, -0.3],
    [0.2, -0.22, 0.35, 0.12, 0.3, 0.35],
    [0.15, 0.25, 0.3, 0.16, -0.3, 0.2],
    [-0.4, 0.05, 0.15, 0.2, 0, 0.3],
    [-0.1, -0.1, 0.08, 0.08, 0, -0.2],
    [0.55, 0.1, 0.1, 0.05, 0.5, 0.25]
  ]
  const img = new Float64Array(H * W)
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const py = (2 * r + 1) / H - 1
      const px = (2 * c + 1) / W - 1
      let v = 0
      for (const [cy, cx, ay, ax, ang, val] of ellipses) {
        const dy = py - cy
        const dx = px - cx
        const u = dx * Math.cos(ang) + dy * Math.sin(ang)
        const w = -dx * Math.sin(ang) + dy * Math.cos(ang)
        if ((u / ax) ** 2 + (w / ay) ** 2 <= 1) v += val
      }
      img[r * W + c] = v
    }
  }
  return img
}

/** Bernoulli(p) 0/1 mask. */
export function bernoulliMask(n: number, p: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  return Uint8Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0))
}

/**
 * A 2-D random k-space mask for H×W with a fully sampled centre block of side `centre`, the
 * rest sampled at random so that the total fraction is 1/acceleration.
 */
export function mriMask(H: number, W: number, acceleration: number, centre: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  const mask = new Uint8Array(H * W)
  const y0 = Math.floor(H / 2) - Math.floor(centre / 2)
  const x0 = Math.floor(W / 2) - Math.floor(centre / 2)
  for (let r = y0; r < y0 + centre; r++) for (let c = x0; c < x0 + centre; c++) mask[r * W + c] = 1
  const rest = Math.round((H * W) / acceleration) - centre * centre
  const p = rest / (H * W - centre * centre)
  for (let i = 0; i < H * W; i++) if (!mask[i] && rng.uniform() < p) mask[i] = 1
  return mask
}

export function complexFromReal(data: ArrayLike<number>): CArray {
  return { re: Float64Array.from(data), im: new Float64Array(data.length) }
}

export function addNoise(x: CArray, sigma: number, seed: number, complex = true): CArray {
  const rng = new Rng(seed)
  const out: CArray = { re: x.re.slice(), im: x.im.slice() }
  for (let i = 0; i < out.re.length; i++) {
    out.re[i] += sigma * rng.normal()
    if (complex) out.im[i] += sigma * rng.normal()
  }
  return out
}
