/**
 * Checks a run before anything is exported: every image plane has data for width × height
 * finite values, the reconstructions share one size, method names are known and unique, and
 * the numbers a report prints are numbers. A run arrives over IPC or HTTP, so nothing is taken
 * on trust; the errors name the part of the run that is wrong.
 */
import type { ImagePlane, RunSummary } from '../api/contract.ts'
import { METHOD_NAMES, TASKS } from '../schema/options.ts'
import type { ExportableRun } from './run-export.ts'
import { maskMeaning } from './images.ts'

export class ExportInputError extends Error {
  constructor(message: string) {
    super(`cannot export run: ${message}`)
    this.name = 'ExportInputError'
  }
}

/** The image size shared by the reference and every method output. */
export interface ImageSize {
  width: number
  height: number
}

/** Throws ExportInputError on the first problem; returns the common image size. */
export function validateRun(run: ExportableRun): ImageSize {
  const fail = (msg: string): never => {
    throw new ExportInputError(msg)
  }
  if (!run || typeof run !== 'object') fail('no run given')
  if (typeof run.inputName !== 'string') fail('inputName must be a string')
  if (typeof run.inputDescription !== 'string') fail('inputDescription must be a string')
  if (!run.software || typeof run.software.name !== 'string' || typeof run.software.version !== 'string') {
    fail('software must be { name: string, version: string }')
  }
  const s: RunSummary = run.summary
  if (!s || typeof s !== 'object') fail('summary is missing')
  if (typeof s.runId !== 'string' || s.runId === '') fail('summary.runId must be a non-empty string')
  if (s.state === 'running') fail(`run ${s.runId} is still running; export it when it has finished or been cancelled`)
  if (!['done', 'cancelled', 'failed'].includes(s.state)) fail(`summary.state ${JSON.stringify(s.state)} is not done, cancelled or failed`)
  if (typeof s.created !== 'string') fail('summary.created must be a string (ISO date)')
  if (typeof s.description !== 'string') fail('summary.description must be a string')
  if (typeof s.metricsConvention !== 'string') fail('summary.metricsConvention must be a string')
  if (!s.setup || typeof s.setup !== 'object' || !s.setup.setup || !s.setup.settings) fail('summary.setup must hold { setup, settings }')
  if (!Array.isArray(s.setup.settings.methods)) fail('summary.setup.settings.methods must be an array')
  if (!(TASKS as readonly string[]).includes(s.setup.setup.task)) fail(`unknown task ${JSON.stringify(s.setup.setup.task)} (known: ${TASKS.join(', ')})`)
  if (typeof s.windowMax !== 'number' || !Number.isFinite(s.windowMax) || s.windowMax < 0) {
    fail(`summary.windowMax must be a finite number ≥ 0, got ${String(s.windowMax)}`)
  }
  if (!Array.isArray(s.outcomes)) fail('summary.outcomes must be an array')
  if (!Array.isArray(s.failures)) fail('summary.failures must be an array')
  if (!Array.isArray(s.models)) fail('summary.models must be an array')

  let size: ImageSize | null = null
  const samePlane = (plane: unknown, what: string): void => {
    const p = checkPlane(plane, what, fail)
    if (!size) size = { width: p.width, height: p.height }
    else if (p.width !== size.width || p.height !== size.height) {
      fail(`${what} is ${p.width}×${p.height} (width×height) but the other images are ${size.width}×${size.height}`)
    }
  }
  if (s.reference !== undefined && s.reference !== null) samePlane(s.reference, 'the reference image')
  if (s.maskMeaning !== undefined && !['sampled', 'missing', 'none'].includes(s.maskMeaning)) {
    fail(`summary.maskMeaning ${JSON.stringify(s.maskMeaning)} is not sampled, missing or none`)
  }
  // Only sampling (MRI) and missing-pixel (inpainting) masks mean something and get exported.
  const hasMask = maskMeaning(s) !== null
  if (hasMask) checkPlane(s.mask, 'the mask', fail)

  const seen = new Set<string>()
  s.outcomes.forEach((o, i) => {
    if (!o || typeof o !== 'object') fail(`outcome ${i} is not an object`)
    if (!(METHOD_NAMES as readonly string[]).includes(o.name)) fail(`outcome ${i} has unknown method name ${JSON.stringify(o.name)} (known: ${METHOD_NAMES.join(', ')})`)
    if (seen.has(o.name)) fail(`method ${o.name} appears twice in the outcomes`)
    seen.add(o.name)
    const what = `method ${o.name}`
    if (typeof o.label !== 'string' || o.label.trim() === '') fail(`${what} has no label`)
    samePlane(o.image, `the ${what} image`)
    if (o.errorMap !== undefined && o.errorMap !== null) samePlane(o.errorMap, `the ${what} error map`)
    if (o.std !== undefined && o.std !== null) samePlane(o.std, `the ${what} standard-deviation map`)
    for (const key of ['psnr', 'ssim', 'nmse'] as const) {
      const v = o[key]
      if (v !== null && (typeof v !== 'number' || Number.isNaN(v))) fail(`${what}: ${key} must be a number or null, got ${String(v)}`)
    }
    if (typeof o.dcResidual !== 'number' || Number.isNaN(o.dcResidual)) fail(`${what}: dcResidual must be a number, got ${String(o.dcResidual)}`)
    if (typeof o.seconds !== 'number' || !Number.isFinite(o.seconds) || o.seconds < 0) fail(`${what}: seconds must be a finite number ≥ 0, got ${String(o.seconds)}`)
    if (!o.params || typeof o.params !== 'object' || Array.isArray(o.params)) fail(`${what}: params must be an object`)
    for (const [k, v] of Object.entries(o.params)) {
      if (!['number', 'string', 'boolean'].includes(typeof v)) fail(`${what}: parameter ${k} must be a number, string or boolean, got ${typeof v}`)
    }
  })
  s.failures.forEach((f, i) => {
    if (!f || typeof f.name !== 'string' || typeof f.message !== 'string') fail(`failure ${i} must be { name, message } strings`)
  })
  s.models.forEach((m, i) => {
    if (!m || typeof m.id !== 'string' || !m.sha256 || typeof m.sha256.denoiser !== 'string') fail(`model ${i} must be { id, sha256: { denoiser, vjp? } }`)
    if (m.sha256.vjp !== undefined && typeof m.sha256.vjp !== 'string') fail(`model ${m.id}: sha256.vjp must be a string`)
  })
  // No reference and no outcome (every method failed): the mask, if any, sets the size.
  return size ?? (hasMask ? { width: s.mask.width, height: s.mask.height } : { width: 0, height: 0 })
}

function checkPlane(plane: unknown, what: string, fail: (msg: string) => never): ImagePlane {
  if (!plane || typeof plane !== 'object') return fail(`${what} is missing`)
  const p = plane as ImagePlane
  for (const key of ['width', 'height'] as const) {
    const v = p[key]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(`${what}: ${key} must be a positive integer, got ${String(v)}`)
  }
  const data = p.data as unknown
  if (!(data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data))) {
    fail(`${what}: data must be a Float32Array`)
  }
  const n = p.width * p.height
  if (p.data.length !== n) fail(`${what}: data holds ${p.data.length} values but width × height = ${p.width}×${p.height} = ${n}`)
  for (let i = 0; i < n; i++) {
    const v = p.data[i]
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      fail(`${what}: value ${String(v)} at pixel (x=${i % p.width}, y=${Math.floor(i / p.width)}) is not a finite number`)
    }
  }
  return p
}
