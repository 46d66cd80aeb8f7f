/** `recon-studio reconstruct`: simulate a measurement, run the methods, write images and a report. */
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { cabs } from '../engine/complex.ts'
import { computeMetrics, METRICS_CONVENTION } from '../engine/metrics.ts'
import { loadScans } from '../io/load-scan.ts'
import { describeScan } from '../io/scan.ts'
import { selectInput } from '../pipeline/select-input.ts'
import { readMaskFile } from '../io/mask-io.ts'
import { encodeNpy } from '../io/npy.ts'
import { encodePng8 } from '../io/image.ts'
import { writeFileAtomic, ensureDir } from '../io/atomic-write.ts'
import { dataConsistency } from '../pipeline/problem.ts'
import { experimentFromInput, inputSize, type ExperimentMask } from '../pipeline/experiment.ts'
import { METHODS } from '../methods/index.ts'
import { RECONSTRUCT_SPEC, OptionError, resolveOptions, type ReconstructOptions, type Task } from '../schema/options.ts'
import { VERSION } from '../version.ts'

export interface MethodReport {
  name: string
  psnr: number | null
  ssim: number | null
  nmse: number | null
  /** ‖A x − y‖ / ‖y‖: agreement with the measurement (the only score without a reference). */
  dc_residual: number
  seconds: number
  params: Record<string, unknown>
  files: { npy: string; png: string; std?: string }
}

export async function runReconstruct(raw: Record<string, unknown>, log: (s: string) => void): Promise<Record<string, unknown>> {
  const opts = resolveOptions<ReconstructOptions>(RECONSTRUCT_SPEC, raw)
  if (!opts.input) throw new OptionError('reconstruct needs an input file')
  const task: Task = opts.task ?? (opts.mask ? 'inpaint' : 'mri')
  if (opts.mask && task !== 'inpaint') throw new OptionError('--mask is the inpainting mask; use --kspace-mask for MRI')
  if (opts.kspaceMask && task !== 'mri') throw new OptionError('--kspace-mask only applies to --task mri')

  const scans = await loadScans(opts.input, { domain: opts.domain })
  const input = selectInput(scans, { series: opts.series, slice: opts.slice })
  const { height: H, width: W } = inputSize(input)
  if (opts.coils > 1 && input.kind !== 'image') throw new OptionError('--coils simulates coils from an image; this input is k-space')
  const inputDescription = describeScan(input.scan)
  log(`input: ${opts.input} (${inputDescription}${scans.length > 1 ? `, series ${opts.series ?? 0} of ${scans.length}` : ''})`)
  for (const note of [...input.scan.provenance.notes, ...input.notes]) log(`  note: ${note}`)

  const experiment = experimentFromInput(input, {
    ...opts,
    task,
    inputName: opts.input,
    kspaceMask: opts.kspaceMask ? readMask(opts.kspaceMask) : undefined,
    missingMask: opts.mask ? readMask(opts.mask) : undefined
  })
  const problem = experiment.problem
  log(`problem: ${problem.description}`)

  // Nothing is written until every method has finished: a run that fails half-way (or is
  // interrupted) leaves the output directory as it was, never a partial set without a report.
  const outDir = resolve(opts.out)
  const planned = ['report.json', ...opts.methods.flatMap((m) => [`${m}.npy`, `${m}.png`, `${m}-std.npy`])]
  if (problem.referenceMagnitude) planned.push('reference.npy', 'reference.png')
  if (problem.mask) planned.push('mask.png')
  checkOutputDir(outDir, planned, opts.overwrite)
  const outputs = new Map<string, Uint8Array | string>()
  const write = (name: string, bytes: Uint8Array | string): void => {
    outputs.set(name, bytes)
  }

  const refMag = problem.referenceMagnitude
  // Every PNG shares one window, [0, max |reference|] (or the zero-filled image's maximum
  // without a reference), so they compare by eye.
  const windowMax = experiment.windowMax
  const savePair = (name: string, mag: Float64Array): { npy: string; png: string } => {
    write(`${name}.npy`, encodeNpy(Float32Array.from(mag), [H, W], 'f4'))
    write(`${name}.png`, encodePng8(mag, H, W, { min: 0, max: windowMax }))
    return { npy: `${name}.npy`, png: `${name}.png` }
  }
  if (refMag) savePair('reference', refMag)
  if (problem.mask) write('mask.png', encodePng8(problem.mask.data, H, W, { min: 0, max: 1 }))

  const methods: MethodReport[] = []
  for (const name of opts.methods) {
    const method = METHODS[name]
    const t0 = performance.now()
    let lastLogged = 0
    const result = await method.run(
      problem,
      {
        lambda: opts.lambda,
        iterations: opts.iterations,
        innerIterations: opts.innerIterations,
        tolerance: opts.tolerance,
        diffusion: { model: opts.model, steps: opts.steps, samples: opts.samples, zeta: opts.zeta, lambdaMc: opts.lambdaMc, mcData: opts.mcData, seed: opts.seed }
      },
      {
        onProgress: (p) => {
          const now = performance.now()
          if (now - lastLogged > 1000) {
            lastLogged = now
            log(`  ${name}: ${p.step}/${p.total}`)
          }
        }
      }
    )
    const seconds = (performance.now() - t0) / 1000
    const mag = cabs(result.image)
    const dc = dataConsistency(problem, result.image)
    const files: { npy: string; png: string; std?: string } = savePair(name, mag)
    if (result.std) {
      write(`${name}-std.npy`, encodeNpy(Float32Array.from(result.std), [H, W], 'f4'))
      files.std = `${name}-std.npy`
    }
    if (result.sampleResiduals) result.params.sample_dc_residuals = result.sampleResiduals.map((v) => v.toExponential(3)).join(' ')
    if (refMag) {
      const m = computeMetrics(refMag, mag, H, W)
      methods.push({ name, psnr: m.psnr, ssim: m.ssim, nmse: m.nmse, dc_residual: dc, seconds, params: result.params, files })
      log(`${method.label.padEnd(12)} PSNR ${m.psnr.toFixed(2)} dB  SSIM ${m.ssim.toFixed(4)}  NMSE ${m.nmse.toExponential(3)}  ${seconds.toFixed(2)} s`)
    } else {
      methods.push({ name, psnr: null, ssim: null, nmse: null, dc_residual: dc, seconds, params: result.params, files })
      log(`${method.label.padEnd(12)} data-consistency residual ${dc.toExponential(3)}  ${seconds.toFixed(2)} s`)
    }
  }

  const report = {
    software: { name: 'recon-studio', version: VERSION },
    created: new Date().toISOString(),
    input: opts.input,
    input_description: inputDescription,
    input_scaling: input.scaling,
    input_notes: [...input.scan.provenance.notes, ...input.notes],
    series: opts.series ?? 0,
    slice: input.frame,
    measured: experiment.measured,
    coils: problem.coils ?? 1,
    maps: (problem.coils ?? 1) > 1 ? opts.maps : null,
    task,
    description: problem.description,
    pattern: task === 'mri' ? (opts.kspaceMask ? 'file' : opts.pattern) : null,
    kspace_mask_file: opts.kspaceMask ?? null,
    inpainting_mask_file: opts.mask ?? null,
    acceleration: task === 'mri' && !opts.kspaceMask ? opts.acceleration : null,
    effective_acceleration: problem.effectiveAcceleration ?? null,
    center_fraction: problem.pattern?.centerFraction ?? null,
    blur_sigma: task === 'blur' ? opts.blurSigma : null,
    factor: task === 'downsample' ? opts.factor : null,
    seed: opts.seed,
    noise: opts.noise,
    shape: [H, W],
    metrics_convention: METRICS_CONVENTION,
    reference: refMag ? { npy: 'reference.npy', png: 'reference.png', max_magnitude: windowMax } : null,
    mask: problem.mask ? { png: 'mask.png', meaning: problem.mask.meaning === 'sampled' ? 'white = sampled k-space' : 'white = missing pixel' } : null,
    methods
  }
  write('report.json', JSON.stringify(report, jsonSafe, 2) + '\n')

  ensureDir(outDir)
  checkOutputDir(outDir, planned, opts.overwrite) // again: the run may have taken minutes
  // report.json last, so that its presence means the set is complete.
  for (const [name, bytes] of outputs) writeFileAtomic(join(outDir, name), bytes, { overwrite: opts.overwrite })
  log(`wrote ${outputs.size} files to ${outDir}`)
  return report
}

/** Refuse early, before any work, when the output directory cannot take the results. */
function checkOutputDir(outDir: string, planned: string[], overwrite: boolean): void {
  if (!existsSync(outDir)) return
  if (!statSync(outDir).isDirectory()) throw new Error(`output ${outDir} exists and is not a directory`)
  if (overwrite) return
  const clash = planned.filter((f) => existsSync(join(outDir, f)))
  if (clash.length) throw new Error(`${outDir} already holds ${clash.join(', ')}; pass --overwrite to replace them`)
}

/** A mask file with its size, checked against the image by the experiment. */
function readMask(file: string): ExperimentMask {
  const m = readMaskFile(file)
  return { data: m.data, height: m.height, width: m.width, name: file }
}

/** JSON has no Infinity (PSNR of a perfect reconstruction): write null instead. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}
