/**
 * report.json: the whole report for programs, with the key style of the CLI's report.json
 * (snake_case) so that scripts read either. Numbers keep full precision; JSON has no infinity,
 * so a perfect reconstruction's PSNR is written as null, as the CLI does.
 */
import type { ReportModel } from './report-model.ts'

export const REPORT_FORMAT = 'recon-studio-run-report'
/** 2: settings.dps and settings.mc hold each diffusion method's own steps and samples (1: shared settings.steps/samples). */
export const REPORT_FORMAT_VERSION = 2

export function renderReportJson(m: ReportModel): string {
  const e = m.experiment
  const st = m.settings
  const report = {
    format: REPORT_FORMAT,
    format_version: REPORT_FORMAT_VERSION,
    software: m.software,
    run_id: m.runId,
    state: m.state,
    created: m.created,
    exported: m.exported,
    input: m.input,
    description: m.description,
    shape: [m.height, m.width],
    setup: {
      scan_id: e.scanId,
      series: e.series,
      slice: e.slice ?? null,
      task: e.task,
      pattern: e.pattern,
      acceleration: e.acceleration,
      effective_acceleration: m.mask?.effectiveAcceleration ?? null,
      sampled_fraction: m.mask?.meaning === 'sampled' ? m.mask.fraction : null,
      center_fraction: e.centerFraction ?? null,
      seed: e.seed,
      noise: e.noise,
      blur_sigma: e.blurSigma,
      factor: e.factor,
      coils: e.coils,
      maps: e.maps,
      virtual_coils: e.virtualCoils ?? null,
      painted_mask: e.paintedMask ? { missing_pixels: e.paintedMask.missingPixels } : null
    },
    settings: {
      methods: st.methods,
      lambda: st.lambda,
      iterations: st.iterations,
      inner_iterations: st.innerIterations,
      tolerance: st.tolerance,
      model: st.model ?? null,
      dps: { steps: st.dps.steps, samples: st.dps.samples, zeta: st.dps.zeta ?? null },
      mc: { steps: st.mc.steps, samples: st.mc.samples, lambda_mc: st.mc.lambdaMc, mc_data: st.mc.mcData }
    },
    has_reference: m.hasReference,
    metrics_convention: m.metricsConvention,
    metrics_note: m.metricsNote,
    mask: m.mask
      ? {
          file: m.mask.file,
          meaning: m.mask.meaning,
          white: m.mask.whiteMeans,
          shape: [m.mask.height, m.mask.width],
          fraction: m.mask.fraction,
          effective_acceleration: m.mask.effectiveAcceleration
        }
      : null,
    windows: {
      image: { min: m.windows.image.min, max: m.windows.image.max },
      error: m.windows.error,
      std: m.windows.std,
      png16: m.windows.png16
    },
    methods: m.methods.map((x) => ({
      name: x.name,
      label: x.label,
      psnr_db: x.psnr,
      ssim: x.ssim,
      nmse: x.nmse,
      dc_residual: x.dcResidual,
      seconds: x.seconds,
      params: x.params,
      files: x.files
    })),
    total_seconds: m.totalSeconds,
    failures: m.failures,
    models: m.models,
    notes: m.notes,
    files: m.files
  }
  return JSON.stringify(report, finiteOrNull, 2) + '\n'
}

function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}
