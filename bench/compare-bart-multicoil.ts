/**
 * Multi-coil FISTA-TV (ESPIRiT + SENSE) against BART:
 * 1. the BART workshop's real 8-coil brain: ours vs BART's own `img.cfl` from the same folder;
 * 2. SigPy's real 8-coil brain: ours vs `bart ecalib` + `bart pics -R T` on the same k-space;
 *    (both: NMSE after optimal complex scaling, and on magnitudes; side-by-side PNGs);
 * 3. Colin27 simulated with 8 synthetic coils at Poisson 4× and 8×: PSNR of ours vs BART
 *    `ecalib` + `pics -R T` at each one's best λ.
 *
 *   npx tsx bench/compare-bart-multicoil.ts [--out bench-output/multicoil]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cabs, cfromReal, type CArray } from '../src-main/engine/complex.ts'
import { fistaTV } from '../src-main/engine/fista-tv.ts'
import { psnr } from '../src-main/engine/metrics.ts'
import { encodePng8 } from '../src-main/io/image.ts'
import { readCfl } from '../src-main/io/cfl.ts'
import { loadKspace } from '../src-main/io/kspace/index.ts'
import { buildMulticoilProblem, simulateCoils } from '../src-main/pipeline/multicoil.ts'
import { bartAvailable, bartMulticoil, bartVersion } from './bart.ts'
import { colinAvailable, colinSlice, SHARED_DATA } from './datasets.ts'

const args = process.argv.slice(2)
const outDir = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'bench-output/multicoil'

/** NMSE of b against a after the optimal complex scale α = ⟨a, b⟩/⟨a, a⟩, and on magnitudes. */
function nmseScaled(ours: CArray, ref: CArray): { complex: number; magnitude: number } {
  let ar = 0, ai = 0, aa = 0, rr = 0
  for (let i = 0; i < ours.re.length; i++) {
    ar += ours.re[i] * ref.re[i] + ours.im[i] * ref.im[i]
    ai += ours.re[i] * ref.im[i] - ours.im[i] * ref.re[i]
    aa += ours.re[i] ** 2 + ours.im[i] ** 2
    rr += ref.re[i] ** 2 + ref.im[i] ** 2
  }
  const alr = ar / aa, ali = ai / aa
  let e = 0
  for (let i = 0; i < ours.re.length; i++) {
    const sr = alr * ours.re[i] - ali * ours.im[i]
    const si = alr * ours.im[i] + ali * ours.re[i]
    e += (ref.re[i] - sr) ** 2 + (ref.im[i] - si) ** 2
  }
  const mo = cabs(ours), mr = cabs(ref)
  let dot = 0, oo = 0, em = 0
  for (let i = 0; i < mo.length; i++) {
    dot += mo[i] * mr[i]
    oo += mo[i] * mo[i]
  }
  const s = dot / oo
  for (let i = 0; i < mo.length; i++) em += (mr[i] - s * mo[i]) ** 2
  return { complex: e / rr, magnitude: em / mr.reduce((a, v) => a + v * v, 0) }
}

function bartPicsMulticoil(k: CArray, C: number, H: number, W: number, lambda: number): { image: CArray; seconds: number } {
  const r = bartMulticoil(k, C, H, W, lambda)
  return { image: r.image, seconds: r.ecalib + r.pics }
}

function side(name: string, images: Float64Array[], H: number, W: number): void {
  const gap = 4
  const total = new Float64Array(H * (images.length * (W + gap)))
  const TW = images.length * (W + gap)
  images.forEach((img, k) => {
    let m = 0
    for (const v of img) m = Math.max(m, v)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) total[y * TW + k * (W + gap) + x] = img[y * W + x] / (m || 1)
  })
  writeFileSync(join(outDir, name), encodePng8(total, H, TW, { min: 0, max: 1 }))
}

function reconOurs(k: CArray, C: number, H: number, W: number, mask: Uint8Array | undefined, lambda?: number, reference?: Float64Array, opts: Partial<Parameters<typeof buildMulticoilProblem>[0]> = {}) {
  const p = buildMulticoilProblem({ kspace: k, coils: C, height: H, width: W, measuredMask: mask, reference, seed: 0, noise: 0, maps: 'espirit', ...opts })
  const t0 = performance.now()
  const r = fistaTV(p.operator, p.measurement, { lambda })
  return { image: r.image, seconds: (performance.now() - t0) / 1000, problem: p }
}

async function main(): Promise<void> {
  if (!bartAvailable()) {
    console.log('compare-bart-multicoil: skipped, `bart` is not installed')
    return
  }
  mkdirSync(outDir, { recursive: true })
  console.log(`BART ${bartVersion()}`)
  // 1. BART workshop: ours vs BART's own reconstruction.
  const ws = await loadKspace(`${SHARED_DATA}/kspace/bart-workshop-brain-8coil/ksp.cfl`)
  const wsK = { re: Float64Array.from(ws.re), im: Float64Array.from(ws.im) }
  const img = readCfl(`${SHARED_DATA}/kspace/bart-workshop-brain-8coil/img.cfl`)
  // img dims [1 180 230 …] → row-major 230×180: BART dim 1 (fastest after the singleton) is our column.
  const bartImg = img.data
  for (const lambda of [0.001, 0.003, 0.01]) {
    const o = reconOurs(wsK, ws.coils, ws.rows, ws.columns, ws.mask, lambda)
    const e = nmseScaled(o.image, bartImg)
    console.log(`workshop brain, λ=${lambda}: NMSE vs BART img.cfl ${e.complex.toExponential(3)} (complex, optimal scale), ${e.magnitude.toExponential(3)} (magnitude); ours ${o.seconds.toFixed(2)} s`)
    if (lambda === 0.003) side('workshop-ours-vs-bart.png', [cabs(o.image), cabs(bartImg)], ws.rows, ws.columns)
  }
  // 2. SigPy brain: ours vs BART ecalib + pics on the same k-space.
  const sp = await loadKspace(`${SHARED_DATA}/kspace/sigpy-brain-8coil/cartesian_ksp.npy`)
  const spK = { re: Float64Array.from(sp.re), im: Float64Array.from(sp.im) }
  const o = reconOurs(spK, sp.coils, sp.rows, sp.columns, sp.mask, 0.003)
  const b = bartPicsMulticoil(spK, sp.coils, sp.rows, sp.columns, 0.01)
  const e = nmseScaled(o.image, b.image)
  console.log(`sigpy brain: NMSE vs BART ecalib+pics (λ=0.01) ${e.complex.toExponential(3)} (complex), ${e.magnitude.toExponential(3)} (magnitude); ours ${o.seconds.toFixed(2)} s, BART ${b.seconds.toFixed(2)} s`)
  side('sigpy-ours-vs-bart.png', [cabs(o.image), cabs(b.image)], sp.rows, sp.columns)
  // 3. Colin27, 8 synthetic coils, Poisson 4× and 8×.
  if (!colinAvailable()) return
  const n = 256
  const x = cfromReal(colinSlice(90, n).data)
  const ref = cabs(x)
  const sim = simulateCoils(x, n, n, 8)
  console.log('| Colin27 z=90, 8 coils | zero-filled RSS | FISTA-TV ours (best λ) | BART ecalib + pics -R T (best λ) | ours − BART | ours s | BART s |')
  console.log('|---|---|---|---|---|---|---|')
  for (const R of [4, 8]) {
    let best = { psnr: -Infinity, lam: 0, s: 0 }
    let zf = 0
    let maskUsed: Uint8Array | undefined
    for (const lam of [0.0003, 0.001, 0.003]) {
      const r = reconOurs(sim.kspace, 8, n, n, undefined, lam, ref, { pattern: 'poisson', acceleration: R })
      const p = psnr(ref, cabs(r.image))
      maskUsed = r.problem.mask!.data
      const rssZf = cabs(r.problem.measurement)
      void rssZf
      if (p > best.psnr) best = { psnr: p, lam, s: r.seconds }
    }
    // BART on exactly the same undersampled data.
    const under = { re: sim.kspace.re.slice(), im: sim.kspace.im.slice() }
    for (let c = 0; c < 8; c++) for (let i = 0; i < n * n; i++) if (!maskUsed![i]) { under.re[c * n * n + i] = 0; under.im[c * n * n + i] = 0 }
    {
      const xr = { re: under.re.slice(), im: under.im.slice() }
      const { rssOfKspace } = await import('../src-main/pipeline/multicoil.ts')
      zf = psnr(ref, rssOfKspace(xr, 8, n, n))
    }
    let bb = { psnr: -Infinity, lam: 0, s: 0 }
    for (const lam of [0.001, 0.003, 0.01, 0.03]) {
      const r = bartPicsMulticoil(under, 8, n, n, lam)
      const p = psnr(ref, cabs(r.image))
      if (p > bb.psnr) bb = { psnr: p, lam, s: r.seconds }
    }
    console.log(`| Poisson ${R}× | ${zf.toFixed(2)} | ${best.psnr.toFixed(2)} (λ=${best.lam}) | ${bb.psnr.toFixed(2)} (λ=${bb.lam}) | ${(best.psnr - bb.psnr).toFixed(2)} | ${best.s.toFixed(2)} | ${bb.s.toFixed(2)} |`)
  }
  console.log(`PNGs in ${outDir}`)
}

await main()
