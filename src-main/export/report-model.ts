/**
 * Everything a report says about a run, gathered once from the run and the export plan: the
 * JSON, CSV, HTML and PDF renderers only lay this out, so they cannot disagree.
 */
import type { ExperimentSetup, MethodOutcome, MethodSettings, RunSummary } from '../api/contract.ts'
import type { Task } from '../schema/options.ts'
import type { ExportableRun } from './run-export.ts'
import type { Panel, Windows } from './images.ts'
import { maskCount } from './images.ts'
import { fmtPsnr, fmtResidual, fmtSsim, fmtValue, fmtWindow } from './format.ts'

/** A method's outcome without its images, and the files it was exported to. */
export interface ReportMethod extends Pick<MethodOutcome, 'name' | 'label' | 'psnr' | 'ssim' | 'nmse' | 'dcResidual' | 'seconds' | 'params'> {
  /** Exported files of this method (relative paths). */
  files: string[]
}

export interface ReportMask {
  meaning: 'sampled' | 'missing'
  /** "white = sampled k-space" or "white = missing pixel". */
  whiteMeans: string
  width: number
  height: number
  /** Fraction of mask entries that are 1 (sampled, or missing). */
  fraction: number
  /** H·W / sampled points, for a k-space sampling mask. */
  effectiveAcceleration: number | null
  /** mask.png when exported. */
  file: string | null
}

/** One image of the report's grid. */
export interface ReportFigure {
  section: 'images' | 'error' | 'std' | 'mask'
  title: string
  /** Metrics under the image, e.g. "PSNR 31.20 dB, SSIM 0.9134". */
  caption: string
  width: number
  height: number
  /** 8-bit PNG, in the window its section states. */
  png: Uint8Array
}

export interface ReportRow {
  label: string
  value: string
}

export interface ReportModel {
  title: string
  software: { name: string; version: string }
  runId: string
  state: RunSummary['state']
  /** When the run was started (the run's own timestamp). */
  created: string
  /** When this export was made. */
  exported: string
  input: { name: string; description: string }
  description: string
  task: Task
  width: number
  height: number
  /** The experiment as requested, every field (painted mask summarised). */
  experiment: Omit<ExperimentSetup, 'paintedMask'> & { paintedMask: { missingPixels: number } | null }
  settings: MethodSettings
  /** The setup for people: the fields that matter for this task and these methods. */
  setupRows: ReportRow[]
  hasReference: boolean
  metricsConvention: string
  /** One sentence on what the metrics table shows. */
  metricsNote: string
  mask: ReportMask | null
  windows: Windows
  /** Window statements for people, one per image kind present. */
  windowRows: ReportRow[]
  methods: ReportMethod[]
  totalSeconds: number
  failures: { name: string; message: string }[]
  models: { id: string; sha256: { denoiser: string; vjp?: string } }[]
  /** Decisions worth telling the reader (DICOM placeholders, files not written…). */
  notes: string[]
  figures: ReportFigure[]
  /** Every exported file (relative paths), the reports included. */
  files: string[]
}

export interface ReportInputs {
  run: ExportableRun
  width: number
  height: number
  panels: Panel[]
  windows: Windows
  /** PNG bytes per panel (8-bit, panel window), for the figures; null = no figures (no HTML or PDF wanted). */
  png8: ((panel: Panel) => Uint8Array) | null
  maskMeaning: 'sampled' | 'missing' | null
  maskPng: Uint8Array | null
  maskFile: string | null
  /** Files per method name (relative paths). */
  methodFiles: Map<string, string[]>
  files: string[]
  notes: string[]
  exported: Date
}

const TASK_NAMES: Record<Task, string> = {
  mri: 'MRI (undersampled k-space)',
  inpaint: 'Inpainting',
  blur: 'Deblurring',
  downsample: 'Super-resolution (downsampling)'
}

export function buildReportModel(inp: ReportInputs): ReportModel {
  const { run, width, height, windows } = inp
  const s = run.summary
  const setup = s.setup.setup
  const settings = s.setup.settings
  const hasReference = !!s.reference

  let mask: ReportMask | null = null
  if (inp.maskMeaning) {
    const count = maskCount(s.mask)
    const total = s.mask.width * s.mask.height
    mask = {
      meaning: inp.maskMeaning,
      whiteMeans: inp.maskMeaning === 'sampled' ? 'white = sampled k-space' : 'white = missing pixel',
      width: s.mask.width,
      height: s.mask.height,
      fraction: count / total,
      effectiveAcceleration: inp.maskMeaning === 'sampled' && count > 0 ? total / count : null,
      file: inp.maskFile
    }
  }

  const { paintedMask, ...plainSetup } = setup
  let painted: { missingPixels: number } | null = null
  if (paintedMask) {
    let n = 0
    for (let i = 0; i < paintedMask.length; i++) if (paintedMask[i]) n++
    painted = { missingPixels: n }
  }

  const methods: ReportMethod[] = s.outcomes.map((o) => ({
    name: o.name,
    label: o.label,
    psnr: o.psnr,
    ssim: o.ssim,
    nmse: o.nmse,
    dcResidual: o.dcResidual,
    seconds: o.seconds,
    params: { ...o.params },
    files: inp.methodFiles.get(o.name) ?? []
  }))

  const figures: ReportFigure[] = []
  const outcome = new Map(s.outcomes.map((o) => [o.name as string, o]))
  for (const p of inp.png8 ? inp.panels : []) {
    const o = p.method ? outcome.get(p.method) : undefined
    let caption = ''
    if (p.kind === 'reference') caption = 'ground truth'
    else if (p.kind === 'reconstruction' && o) {
      caption = hasReference && o.psnr !== null ? `PSNR ${fmtPsnr(o.psnr)}, SSIM ${fmtSsim(o.ssim)}` : `DC residual ${fmtResidual(o.dcResidual)}`
    } else if (p.kind === 'error') caption = '|x − reference|'
    else if (p.kind === 'std') caption = 'posterior standard deviation'
    const section = p.kind === 'error' ? 'error' : p.kind === 'std' ? 'std' : 'images'
    figures.push({ section, title: p.title, caption, width: p.plane.width, height: p.plane.height, png: inp.png8!(p) })
  }
  if (mask && inp.maskPng && inp.png8) figures.push({ section: 'mask', title: 'Mask', caption: mask.whiteMeans, width: mask.width, height: mask.height, png: inp.maskPng })

  const windowRows: ReportRow[] = [{ label: 'Images (reference, zero-filled, methods)', value: `${fmtWindow(windows.image)}, shared by every image of the run` }]
  if (windows.error) windowRows.push({ label: 'Error maps', value: `${fmtWindow(windows.error)} (${windows.error.rule})` })
  if (windows.std) windowRows.push({ label: 'Standard-deviation maps', value: `${fmtWindow(windows.std)} (${windows.std.rule})` })
  windowRows.push({ label: '16-bit PNGs', value: `linear over ${fmtWindow(windows.png16)}: value = ${fmtValue(windows.png16.min)} + pixel × ${fmtValue(windows.png16.scale)}` })

  return {
    title: `Reconstruction report: ${run.inputName}`,
    software: { name: run.software.name, version: run.software.version },
    runId: s.runId,
    state: s.state,
    created: s.created,
    exported: inp.exported.toISOString(),
    input: { name: run.inputName, description: run.inputDescription },
    description: s.description,
    task: setup.task,
    width,
    height,
    experiment: { ...plainSetup, paintedMask: painted },
    settings: { ...settings, methods: [...settings.methods], dps: { ...settings.dps }, mc: { ...settings.mc } },
    setupRows: setupRows(run, mask, painted, width, height),
    hasReference,
    metricsConvention: s.metricsConvention,
    metricsNote: hasReference
      ? 'PSNR, SSIM and NMSE against the reference; data-consistency residual ‖Ax − y‖ / ‖y‖.'
      : 'No reference (measured data): methods are compared by the data-consistency residual ‖Ax − y‖ / ‖y‖; PSNR, SSIM and NMSE do not apply.',
    mask,
    windows,
    windowRows,
    methods,
    totalSeconds: methods.reduce((a, m) => a + m.seconds, 0),
    failures: s.failures.map((f) => ({ name: f.name, message: f.message })),
    models: s.models.map((m) => ({ id: m.id, sha256: m.sha256.vjp !== undefined ? { denoiser: m.sha256.denoiser, vjp: m.sha256.vjp } : { denoiser: m.sha256.denoiser } })),
    notes: [...inp.notes],
    figures,
    files: [...inp.files]
  }
}

function setupRows(run: ExportableRun, mask: ReportMask | null, painted: { missingPixels: number } | null, width: number, height: number): ReportRow[] {
  const s = run.summary
  const e = s.setup.setup
  const m = s.setup.settings
  const rows: ReportRow[] = []
  const add = (label: string, value: unknown): void => {
    rows.push({ label, value: fmtValue(value) })
  }
  add('Input', run.inputName)
  if (run.inputDescription) add('Input description', run.inputDescription)
  add('Series / slice', `${e.series} / ${e.slice ?? 'middle'}`)
  add('Image size', `${height} × ${width} (height × width)`)
  add('Task', TASK_NAMES[e.task] ?? e.task)
  add('Problem', s.description)
  if (e.task === 'mri') {
    add('Pattern', e.pattern)
    add('Acceleration (requested)', e.acceleration)
    if (mask?.effectiveAcceleration) add('Effective acceleration', mask.effectiveAcceleration)
    if (mask) add('Sampled fraction', mask.fraction)
    if (e.centerFraction !== undefined) add('Centre fraction', e.centerFraction)
    add('Coils', e.coils)
    if (e.coils > 1) add('Sensitivity maps', e.maps)
    if (e.virtualCoils !== undefined) add('Virtual coils', e.virtualCoils)
  } else if (e.task === 'inpaint') {
    if (mask) add('Missing fraction', mask.fraction)
    add('Mask', painted ? `painted (${painted.missingPixels} pixels)` : 'pattern')
  } else if (e.task === 'blur') {
    add('Blur σ (pixels)', e.blurSigma)
  } else if (e.task === 'downsample') {
    add('Downsampling factor', e.factor)
  }
  add('Noise σ', e.noise)
  add('Seed', e.seed)
  add('Methods', ['zero-filled', ...m.methods].join(', '))
  if (m.methods.includes('fista-tv')) {
    add('FISTA-TV λ', m.lambda)
    add('FISTA-TV iterations', `${m.iterations} (inner ${m.innerIterations}, tolerance ${fmtValue(m.tolerance)})`)
  }
  if (m.methods.includes('dps') || m.methods.includes('mc')) add('Diffusion prior', m.model ?? 'default for the task')
  if (m.methods.includes('dps')) {
    add('DPS steps / samples', `${m.dps.steps} / ${m.dps.samples}`)
    add('DPS ζ', m.dps.zeta ?? 'default')
  }
  if (m.methods.includes('mc')) {
    add('MC steps / samples', `${m.mc.steps} / ${m.mc.samples}`)
    add('MC λ', m.mc.lambdaMc)
    add('MC data', m.mc.mcData === 'clean' ? 'clean (hard projection)' : 'noised to each level (Song et al.)')
  }
  add('Run', `${s.runId} (${s.state}), started ${s.created}`)
  return rows
}
