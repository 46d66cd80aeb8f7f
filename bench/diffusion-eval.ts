/**
 * Quality of the diffusion methods against FISTA-TV on held-out real data, with the settings
 * the app uses by default (issue 6's table):
 *
 *   npx tsx bench/diffusion-eval.ts [--slices 6] [--steps N] [--samples K] [--zeta Z] [--lambda-mc L] [--model ID] [--only mri|multicoil|inpaint] [--case SUBSTRING] [--methods a,b] [--tune]
 *
 * MRI: held-out brain slices (mri-slices/Testing, and Colin27 sagittal slices of the
 * hemisphere the prior never saw), Poisson disc and Cartesian random masks at 4× and 8×.
 * Inpainting: BSD68 (256×256 centre crops), a centred 80×80 box and 70 % random missing pixels.
 * Prints a table (mean PSNR/SSIM per case and method) and writes
 * bench-output/diffusion-eval.{json,md} plus a PNG grid per case (reference, zero-filled,
 * FISTA-TV, DPS, MC, then their error maps ×4) that should be looked at. `--tune` runs on
 * training images instead (train400 are 180², so crops are smaller), to choose defaults.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cabs } from '../src-main/engine/complex.ts'
import { computeMetrics } from '../src-main/engine/metrics.ts'
import { Rng } from '../src-main/engine/rng.ts'
import { encodePng8, readImageFile } from '../src-main/io/image.ts'
import { METHODS, type MethodParams } from '../src-main/methods/index.ts'
import { buildProblem, type Problem, type ProblemSpec } from '../src-main/pipeline/problem.ts'
import { buildMulticoilProblem, simulateCoils } from '../src-main/pipeline/multicoil.ts'
import { DIFFUSION_DEFAULTS, RECONSTRUCT_SPEC } from '../src-main/schema/options.ts'
import { FISTA_TV_DEFAULTS } from '../src-main/engine/fista-tv.ts'
import { colinAvailable, colinSagittal, SHARED_DATA } from './datasets.ts'

const args = process.argv.slice(2)
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const nSlices = Number(opt('slices') ?? 6)
const only = opt('only')
const specDefault = (key: string): unknown => RECONSTRUCT_SPEC.find((s) => s.key === key)?.default
// Absent: each method's own default (DIFFUSION_DEFAULTS), as in the app.
const steps = opt('steps') !== undefined ? Number(opt('steps')) : undefined
const samples = opt('samples') !== undefined ? Number(opt('samples')) : undefined
const zeta = opt('zeta') !== undefined ? Number(opt('zeta')) : undefined
const lambdaMc = Number(opt('lambda-mc') ?? specDefault('lambdaMc'))
const methods = (opt('methods')?.split(',') ?? ['zero-filled', 'fista-tv', 'dps', 'mc']) as ('zero-filled' | 'fista-tv' | 'dps' | 'mc')[]
const outDir = 'bench-output'
mkdirSync(outDir, { recursive: true })

interface Image { name: string; height: number; width: number; data: Float64Array }

/** Held-out test slices; with `--tune`, slices from the training split instead (for choosing
 * sampler defaults without looking at the test set). */
const tune = args.includes('--tune')

function brainSlices(n: number): Image[] {
  const out: Image[] = []
  const root = join(SHARED_DATA, tune ? 'mri-slices/Training' : 'mri-slices/Testing')
  const classes = readdirSync(root).sort()
  // Every class, evenly spaced files: a fixed, reproducible pick.
  for (let k = 0; out.length < (tune ? n : Math.max(1, n - 2)); k++) {
    const cls = classes[k % classes.length]
    const files = readdirSync(join(root, cls)).sort()
    const f = files[Math.floor((Math.floor(k / classes.length) + 0.5) * files.length / Math.ceil(n / classes.length)) % files.length]
    const img = readImageFile(join(root, cls, f))
    let max = 0
    for (const v of img.gray) max = Math.max(max, v)
    out.push({ name: `${cls}/${f}`, height: img.height, width: img.width, data: img.gray.map((v) => v / max) })
  }
  if (colinAvailable() && !tune) for (const x of [120, 140]) out.push({ name: `colin27 sagittal x=${x}`, ...colinSagittal(x, 224) })
  return out
}

function bsdCrops(n: number): Image[] {
  const root = join(SHARED_DATA, tune ? 'natural/train400' : 'natural/bsd68')
  const files = readdirSync(root).filter((f) => f.endsWith('.png')).sort()
  return (tune ? files.slice(-n) : files.slice(0, n)).map((f) => {
    const img = readImageFile(join(root, f))
    const S = Math.min(256, img.height, img.width) & ~7
    const oy = Math.floor((img.height - S) / 2)
    const ox = Math.floor((img.width - S) / 2)
    const data = new Float64Array(S * S)
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) data[y * S + x] = img.gray[(y + oy) * img.width + x + ox] / 255
    return { name: f, height: S, width: S, data }
  })
}

function boxMask(H: number, W: number, size: number): Uint8Array {
  const m = new Uint8Array(H * W)
  const y0 = Math.floor((H - size) / 2)
  const x0 = Math.floor((W - size) / 2)
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) m[y * W + x] = 1
  return m
}

function randomMask(H: number, W: number, fraction: number, seed: number): Uint8Array {
  const rng = new Rng(seed)
  const m = new Uint8Array(H * W)
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < fraction ? 1 : 0
  return m
}

interface CaseResult { case: string; image: string; method: string; psnr: number; ssim: number; seconds: number }
const results: CaseResult[] = []

const params: MethodParams = {
  lambda: FISTA_TV_DEFAULTS.lambda,
  iterations: FISTA_TV_DEFAULTS.maxIterations,
  innerIterations: FISTA_TV_DEFAULTS.innerIterations,
  tolerance: FISTA_TV_DEFAULTS.tolerance,
  diffusion: { model: opt('model'), steps, samples, zeta, lambdaMc, seed: 0 }
}

const caseFilter = opt('case')

async function runCase(caseName: string, img: Image, spec: ProblemSpec | Problem, gridIndex: number): Promise<void> {
  if (caseFilter && !caseName.includes(caseFilter)) return
  const problem = 'operator' in spec ? spec : buildProblem({ re: img.data, im: new Float64Array(img.data.length), height: img.height, width: img.width }, spec)
  const ref = img.data
  const mags: Float64Array[] = [ref]
  for (const m of methods) {
    const t0 = performance.now()
    const r = await METHODS[m].run(problem, params)
    const seconds = (performance.now() - t0) / 1000
    const mag = cabs(r.image)
    const met = computeMetrics(ref, mag, img.height, img.width)
    results.push({ case: caseName, image: img.name, method: m, psnr: met.psnr, ssim: met.ssim, seconds })
    mags.push(mag)
    console.error(`${caseName.padEnd(22)} ${img.name.slice(0, 28).padEnd(28)} ${m.padEnd(11)} ${met.psnr.toFixed(2)} dB  SSIM ${met.ssim.toFixed(3)}  ${seconds.toFixed(1)} s`)
  }
  if (gridIndex === 0) writeGrid(caseName, img, mags)
}

/** Top row: reference and reconstructions; bottom row: |error| × 4 (same window). */
function writeGrid(caseName: string, img: Image, mags: Float64Array[]): void {
  const { height: H, width: W } = img
  const cols = mags.length
  const gw = cols * (W + 2)
  const gh = 2 * (H + 2)
  const grid = new Float64Array(gw * gh)
  mags.forEach((m, c) => {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        grid[y * gw + c * (W + 2) + x] = m[y * W + x]
        if (c > 0) grid[(y + H + 2) * gw + c * (W + 2) + x] = 4 * Math.abs(m[y * W + x] - img.data[y * W + x])
      }
    }
  })
  const file = join(outDir, `diffusion-eval-${caseName.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`)
  writeFileSync(file, encodePng8(grid, gh, gw, { min: 0, max: 1 }))
}

if (!existsSync(SHARED_DATA)) {
  console.log('shared data not found; nothing to evaluate')
  process.exit(0)
}
if (only === undefined || only === 'mri') {
  const brains = brainSlices(nSlices)
  for (const pattern of ['poisson', 'random'] as const) {
    for (const R of [4, 8]) {
      const name = `MRI ${pattern} ${R}×`
      for (const [i, img] of brains.entries()) await runCase(name, img, { task: 'mri', pattern, acceleration: R, seed: i, noise: 0 }, i)
    }
  }
}
if (only === undefined || only === 'multicoil') {
  // Issue 5: 8 synthetic coils from held-out Colin27 slices, ESPIRiT maps from the calibration region.
  const slices = colinAvailable() ? [120, 140].map((x) => ({ name: `colin27 sagittal x=${x}`, ...colinSagittal(x, 224) })) : []
  for (const R of [4, 8]) {
    for (const [i, img] of slices.entries()) {
      const x = { re: img.data, im: new Float64Array(img.data.length) }
      const sim = simulateCoils(x, img.height, img.width, 8)
      const problem = buildMulticoilProblem({ kspace: sim.kspace, coils: 8, height: img.height, width: img.width, reference: img.data, pattern: 'poisson', acceleration: R, seed: i, noise: 0, maps: 'espirit' })
      await runCase(`8-coil poisson ${R}×`, img, problem, i)
    }
  }
}
if (only === undefined || only === 'inpaint') {
  const crops = bsdCrops(Math.max(2, Math.round(nSlices / 2)))
  for (const [i, img] of crops.entries()) {
    await runCase('inpaint box 80', img, { task: 'inpaint', missingMask: boxMask(img.height, img.width, 80), seed: i, noise: 0 }, i)
    await runCase('inpaint random 70%', img, { task: 'inpaint', missingMask: randomMask(img.height, img.width, 0.7, 100 + i), seed: i, noise: 0 }, i)
  }
}

const cases = [...new Set(results.map((r) => r.case))]
const lines = [
  `Settings: app defaults (FISTA-TV λ ${params.lambda}, ≤${params.iterations} it.; DPS ${steps ?? DIFFUSION_DEFAULTS.dps.steps} steps × ${samples ?? DIFFUSION_DEFAULTS.dps.samples} sample(s), MC ${steps ?? DIFFUSION_DEFAULTS.mc.steps} × ${samples ?? DIFFUSION_DEFAULTS.mc.samples}, ζ ${zeta ?? 'default'}, λ_MC ${lambdaMc}); PSNR over the reference's [0, max] (fastMRI convention).`,
  '',
  '| case | images | ' + methods.map((m) => `${m} PSNR / SSIM`).join(' | ') + ' | MC − TV | DPS − TV | s (DPS, MC) |',
  '|' + ' --- |'.repeat(methods.length + 5)
]
for (const c of cases) {
  const rows = results.filter((r) => r.case === c)
  const mean = (m: string, k: 'psnr' | 'ssim' | 'seconds'): number => {
    const v = rows.filter((r) => r.method === m).map((r) => r[k])
    return v.reduce((a, b) => a + b, 0) / v.length
  }
  const n = rows.filter((r) => r.method === 'fista-tv').length
  lines.push(`| ${c} | ${n} | ` + methods.map((m) => `${mean(m, 'psnr').toFixed(2)} / ${mean(m, 'ssim').toFixed(3)}`).join(' | ') +
    ` | ${(mean('mc', 'psnr') - mean('fista-tv', 'psnr')).toFixed(2)} | ${(mean('dps', 'psnr') - mean('fista-tv', 'psnr')).toFixed(2)} | ${mean('dps', 'seconds').toFixed(1)}, ${mean('mc', 'seconds').toFixed(1)} |`)
}
console.log(lines.join('\n'))
writeFileSync(join(outDir, 'diffusion-eval.md'), lines.join('\n') + '\n')
writeFileSync(join(outDir, 'diffusion-eval.json'), JSON.stringify({ steps: steps ?? DIFFUSION_DEFAULTS, samples: samples ?? null, zeta: zeta ?? null, lambdaMc, results }, null, 2) + '\n')
