/**
 * FISTA-TV against BART `pics -R T` on the same k-space and mask: Shepp–Logan (BART's
 * phantom) and Colin27 brain slices, Poisson 4× and 8× and Cartesian random 4×. Each method
 * gets its best λ from a grid (BART at its default iteration count and at 100 iterations);
 * ours is also reported at the app's default λ. Prints a table and writes JSON.
 *
 *   npx tsx bench/compare-bart.ts [--quick] [--out bench-output/compare-bart.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { bartAvailable, bartPhantom, bartPicsTV, bartVersion } from './bart.ts'
import { colinAvailable, colinSlice } from './datasets.ts'
import { cabs, cfromReal, type CArray } from '../src-main/engine/complex.ts'
import { undersampledFourier } from '../src-main/engine/linops/index.ts'
import { generatePattern, type PatternName } from '../src-main/engine/patterns/index.ts'
import { fistaTV, FISTA_TV_DEFAULTS } from '../src-main/engine/fista-tv.ts'
import { psnr, ssim } from '../src-main/engine/metrics.ts'

export interface CaseResult {
  image: string
  pattern: PatternName
  acceleration: number
  effectiveAcceleration: number
  zeroFilled: number
  ours: { bestLambda: number; psnr: number; ssim: number; seconds: number; defaultLambdaPsnr: number }
  bart: { bestLambda: number; psnr: number; ssim: number; seconds: number }
  bart100: { bestLambda: number; psnr: number; ssim: number; seconds: number }
}

export const OUR_LAMBDAS = [0.0003, 0.001, 0.002, 0.003, 0.005, 0.01]
export const BART_LAMBDAS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]

export function compareCase(name: string, ref: CArray, n: number, pattern: PatternName, acceleration: number,
  ourLambdas = OUR_LAMBDAS, bartLambdas = BART_LAMBDAS): CaseResult {
  const refMag = cabs(ref)
  const p = generatePattern({ pattern, height: n, width: n, acceleration, seed: 0 })
  const A = undersampledFourier([n, n], p.mask)
  const y = A.forward(ref)
  const zf = psnr(refMag, cabs(A.adjoint(y)))
  const evalOurs = (lam: number) => {
    const t0 = performance.now()
    const r = fistaTV(A, y, { lambda: lam })
    const seconds = (performance.now() - t0) / 1000
    const m = cabs(r.image)
    return { lam, psnr: psnr(refMag, m), ssim: ssim(refMag, m, n, n), seconds }
  }
  const evalBart = (lam: number, it?: number) => {
    const r = bartPicsTV(y, n, n, lam, it)
    const m = cabs(r.image)
    return { lam, psnr: psnr(refMag, m), ssim: ssim(refMag, m, n, n), seconds: r.seconds }
  }
  const best = <T extends { psnr: number }>(xs: T[]): T => xs.reduce((a, b) => (b.psnr > a.psnr ? b : a))
  const ours = ourLambdas.map(evalOurs)
  const ob = best(ours)
  const def = ourLambdas.includes(FISTA_TV_DEFAULTS.lambda) ? ours.find((o) => o.lam === FISTA_TV_DEFAULTS.lambda)! : evalOurs(FISTA_TV_DEFAULTS.lambda)
  const bb = best(bartLambdas.map((l) => evalBart(l)))
  const b100 = best(bartLambdas.map((l) => evalBart(l, 100)))
  return {
    image: name,
    pattern,
    acceleration,
    effectiveAcceleration: p.effectiveAcceleration,
    zeroFilled: zf,
    ours: { bestLambda: ob.lam, psnr: ob.psnr, ssim: ob.ssim, seconds: ob.seconds, defaultLambdaPsnr: def.psnr },
    bart: { bestLambda: bb.lam, psnr: bb.psnr, ssim: bb.ssim, seconds: bb.seconds },
    bart100: { bestLambda: b100.lam, psnr: b100.psnr, ssim: b100.ssim, seconds: b100.seconds }
  }
}

async function main(): Promise<void> {
  if (!bartAvailable()) {
    console.log('compare-bart: skipped, `bart` is not installed (Debian: apt-get install bart)')
    return
  }
  const args = process.argv.slice(2)
  const quick = args.includes('--quick')
  const outIdx = args.indexOf('--out')
  const out = outIdx >= 0 ? args[outIdx + 1] : 'bench-output/compare-bart.json'
  const n = 256
  const images: { name: string; x: CArray }[] = [{ name: 'shepp-logan 256²', x: bartPhantom(n) }]
  if (colinAvailable()) {
    for (const z of quick ? [90] : [70, 90, 110]) images.push({ name: `colin27 z=${z}`, x: cfromReal(colinSlice(z, n).data) })
  } else {
    console.log('compare-bart: ../shared/data not found, Colin27 cases skipped')
  }
  const cases: [PatternName, number][] = [['poisson', 4], ['poisson', 8], ['random', 4]]
  const results: CaseResult[] = []
  console.log(`BART ${bartVersion()}; PSNR in dB (fastMRI convention), best λ of each grid; ours at default λ=${FISTA_TV_DEFAULTS.lambda} in brackets`)
  console.log('| image | mask | zero-filled | FISTA-TV (ours) best λ | BART pics default it. | BART pics -i 100 | ours − BART | ours s | BART s |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const im of images) {
    for (const [pat, R] of cases) {
      const r = compareCase(im.name, im.x, n, pat, R)
      results.push(r)
      const bartBest = Math.max(r.bart.psnr, r.bart100.psnr)
      console.log(`| ${r.image} | ${pat} ${R}× (${r.effectiveAcceleration.toFixed(2)}×) | ${r.zeroFilled.toFixed(2)} | ${r.ours.psnr.toFixed(2)} (λ=${r.ours.bestLambda}) [${r.ours.defaultLambdaPsnr.toFixed(2)}] | ${r.bart.psnr.toFixed(2)} (λ=${r.bart.bestLambda}) | ${r.bart100.psnr.toFixed(2)} (λ=${r.bart100.bestLambda}) | ${(r.ours.psnr - bartBest).toFixed(2)} | ${r.ours.seconds.toFixed(2)} | ${r.bart.seconds.toFixed(2)} / ${r.bart100.seconds.toFixed(2)} |`)
    }
  }
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({ bart: bartVersion(), results }, null, 2))
  console.log(`wrote ${out}`)
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main()
