/**
 * Finished runs to export in the tests: a crop of a real photograph (Set12 "01", scaled to
 * [0, 1]) as the reference, "methods" that are the reference plus seeded noise, scored with the
 * engine's own metrics; and the same without a reference (a measured run).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ImagePlane, MethodOutcome, RunSummary } from '../../src-main/api/contract.ts'
import type { MethodName } from '../../src-main/schema/options.ts'
import type { ExportableRun } from '../../src-main/export/run-export.ts'
import { readImageFile } from '../../src-main/io/image.ts'
import { computeMetrics, METRICS_CONVENTION } from '../../src-main/engine/metrics.ts'
import { Rng } from '../../src-main/engine/rng.ts'

export const SET12 = fileURLToPath(new URL('../../../shared/data/natural/set12/01.png', import.meta.url))
/** Non-square, so that a swapped width and height shows. */
export const W = 48
export const H = 40
export const HOSTILE_NAME = '<img src=x onerror=alert(1)>"&\'.png'

export function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-export-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function plane(width: number, height: number, data: Float32Array): ImagePlane {
  return { width, height, data }
}

/** The reference: a W×H crop of Set12 01.png (or a smooth phantom if the file is absent), in [0, 1]. */
export function referenceImage(): ImagePlane {
  const data = new Float32Array(W * H)
  if (fs.existsSync(SET12)) {
    const img = readImageFile(SET12)
    const x0 = Math.floor((img.width - W) / 2)
    const y0 = Math.floor((img.height - H) / 2)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = img.gray[(y0 + y) * img.width + x0 + x] / 255
  } else {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = 0.5 + 0.4 * Math.sin(x / 5) * Math.cos(y / 7)
  }
  return plane(W, H, data)
}

function noisy(ref: Float32Array, sigma: number, rng: Rng): Float32Array {
  return Float32Array.from(ref, (v) => Math.max(0, v + sigma * rng.normal()))
}

function absDiff(a: Float32Array, b: Float32Array): Float32Array {
  return Float32Array.from(a, (v, i) => Math.abs(v - b[i]))
}

const LABELS: Record<MethodName, string> = { 'zero-filled': 'Zero-filled', 'fista-tv': 'FISTA-TV', dps: 'DPS', mc: 'MC' }

export interface FixtureOptions {
  reference?: boolean
  inputName?: string
  task?: RunSummary['setup']['setup']['task']
}

export function makeRun(options: FixtureOptions = {}): ExportableRun {
  const withRef = options.reference !== false
  const task = options.task ?? 'mri'
  const ref = referenceImage()
  const rng = new Rng(7)
  const outcomes: MethodOutcome[] = []
  const add = (name: MethodName, sigma: number, params: MethodOutcome['params'], std = false): void => {
    const image = noisy(ref.data, sigma, rng)
    const m = withRef ? computeMetrics(ref.data, image, H, W) : null
    outcomes.push({
      name,
      label: LABELS[name],
      image: plane(W, H, image),
      errorMap: withRef ? plane(W, H, absDiff(image, ref.data)) : undefined,
      std: std ? plane(W, H, Float32Array.from({ length: W * H }, () => 0.02 + 0.01 * Math.abs(rng.normal()))) : undefined,
      psnr: m ? m.psnr : null,
      ssim: m ? m.ssim : null,
      nmse: m ? m.nmse : null,
      dcResidual: 0.01 + sigma * 0.5,
      seconds: 0.25 + sigma * 10,
      params
    })
  }
  add('zero-filled', 0.12, {})
  add('fista-tv', 0.03, { lambda: 0.002, iterations: 150, stopped: 'tolerance' })
  add('dps', 0.05, { steps: 50, samples: 4, zeta: 1, model: 'test-tiny', seed: 3 }, true)

  const maskRng = new Rng(11)
  const mask = Float32Array.from({ length: W * H }, () => (maskRng.uniform() < 0.3 ? 1 : 0))
  let windowMax = 0
  for (const v of withRef ? ref.data : outcomes[0].image.data) windowMax = Math.max(windowMax, v)

  const summary: RunSummary = {
    runId: 'run-0001',
    state: 'done',
    created: '2025-03-14T09:26:53.589Z',
    setup: {
      setup: {
        scanId: 'scan-1',
        series: 0,
        slice: 0,
        task,
        pattern: 'poisson',
        acceleration: 4,
        centerFraction: 0.08,
        seed: 1234,
        noise: 0.01,
        blurSigma: 1.5,
        factor: 2,
        coils: 1,
        maps: 'espirit'
      },
      settings: {
        methods: ['fista-tv', 'dps', 'mc'],
        lambda: 0.002,
        iterations: 150,
        innerIterations: 10,
        tolerance: 1e-4,
        model: 'test-tiny',
        dps: { steps: 50, samples: 4, zeta: 1 },
        mc: { steps: 200, samples: 2, lambdaMc: 0.5, mcData: 'noised' }
      }
    },
    description: 'MRI, Poisson disc 4× (3.98× effective), 40×48, 1 coil',
    reference: withRef ? ref : undefined,
    mask: plane(W, H, mask),
    maskMeaning: task === 'mri' ? 'sampled' : task === 'inpaint' ? 'missing' : 'none',
    outcomes,
    failures: [{ name: 'mc', message: 'prior <test-tiny> failed: "out of memory" & more' }],
    metricsConvention: METRICS_CONVENTION,
    windowMax,
    models: [{ id: 'test-tiny', sha256: { denoiser: 'a'.repeat(64), vjp: 'b'.repeat(64) } }]
  }
  return {
    summary,
    inputName: options.inputName ?? '01.png',
    inputDescription: 'PNG 256×256, 8-bit grayscale',
    dicomSource: null,
    software: { name: 'Recon Studio', version: '0.1.0-test' }
  }
}
