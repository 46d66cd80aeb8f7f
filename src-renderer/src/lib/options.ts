/**
 * Option metadata shared with the command line: defaults, bounds and help come from the one
 * schema (src-main/schema/options.ts), so a field in the workbench means what the flag of the
 * same name means in `recon-studio reconstruct` and in a report. Only the labels are the UI's.
 *
 * These are value imports from src-main, which the renderer lint rule otherwise forbids: the
 * schema and the pattern name list are pure data/validation code with no Node import (checked
 * when this file was written: schema/options.ts → engine/patterns, engine/fista-tv, all pure),
 * and duplicating the numbers here would let the app and the CLI drift apart.
 */
/* eslint-disable @typescript-eslint/no-restricted-imports -- see the comment above */
import { DIFFUSION_DEFAULTS, RECONSTRUCT_SPEC, TASKS, type OptionSpec, type Task, type MethodName } from '../../../src-main/schema/options.ts'
import { PATTERN_NAMES, type PatternName } from '../../../src-main/engine/patterns/types.ts'
import { EXPORT_FORMATS, type ExportFormat } from '../../../src-main/api/contract.ts'
/* eslint-enable @typescript-eslint/no-restricted-imports */

export { TASKS, PATTERN_NAMES, EXPORT_FORMATS }
export type { Task, PatternName, ExportFormat, MethodName }

export interface FieldSpec {
  key: string
  min?: number
  max?: number
  /** The CLI default; undefined where the CLI derives one (centre fraction, ζ). */
  default?: unknown
  integer: boolean
  help: string
}

const BY_KEY = new Map<string, OptionSpec>(RECONSTRUCT_SPEC.map((s) => [s.key, s]))

export function field(key: string): FieldSpec {
  const s = BY_KEY.get(key)
  if (!s) throw new Error(`unknown option '${key}' (not in RECONSTRUCT_SPEC)`)
  return { key, min: s.min, max: s.max, default: s.default, integer: s.kind === 'integer', help: s.help }
}

/** Each diffusion method's own steps and samples when the user sets none (the CLI's too). */
export { DIFFUSION_DEFAULTS }

export function numberDefault(key: string): number {
  const d = field(key).default
  if (typeof d !== 'number') throw new Error(`option '${key}' has no numeric default`)
  return d
}

/** Labels the e2e tests and users see; the values are the CLI's. */
export const PATTERN_LABELS: Record<PatternName, string> = {
  random: 'Cartesian random',
  equispaced: 'Cartesian equispaced',
  poisson: 'Poisson disc',
  radial: 'Radial',
  spiral: 'Spiral',
  'golden-radial': 'Golden-angle radial'
}

export const TASK_LABELS: Record<Task, string> = {
  mri: 'MRI undersampling',
  inpaint: 'Inpainting',
  blur: 'Deblurring',
  downsample: 'Super-resolution (downsample)'
}

export const METHOD_LABELS: Record<MethodName, string> = {
  'zero-filled': 'Zero-filled',
  'fista-tv': 'FISTA-TV',
  dps: 'DPS',
  mc: 'Measurement consistency'
}

/** Methods a user can choose (zero-filled is always computed). */
export const OPTIONAL_METHODS = ['fista-tv', 'dps', 'mc'] as const satisfies readonly Exclude<MethodName, 'zero-filled'>[]
export type OptionalMethod = (typeof OPTIONAL_METHODS)[number]

export const EXPORT_LABELS: Record<ExportFormat, string> = {
  png: 'PNG',
  png16: '16-bit PNG',
  npy: 'NumPy',
  dicom: 'DICOM',
  nifti: 'NIfTI',
  mask: 'Mask',
  html: 'HTML report',
  pdf: 'PDF report',
  csv: 'CSV',
  json: 'JSON'
}

export const DEFAULT_EXPORT_FORMATS: ExportFormat[] = ['png', 'mask', 'html', 'pdf', 'csv', 'json']

/** A readable problem with a number field, or null when the value is acceptable. */
export function checkNumber(key: string, label: string, value: number | null | undefined, optional = false): string | null {
  if (value === null || value === undefined || Number.isNaN(value)) return optional ? null : `${label} needs a number`
  const f = field(key)
  if (!Number.isFinite(value)) return `${label} must be a finite number`
  if (f.integer && !Number.isInteger(value)) return `${label} must be a whole number`
  if (f.min !== undefined && value < f.min) return `${label} must be at least ${f.min}`
  if (f.max !== undefined && value > f.max) return `${label} must be at most ${f.max}`
  return null
}

export const MAPS_LABELS: Record<'espirit' | 'simple' | 'true', string> = {
  espirit: 'ESPIRiT',
  simple: 'Simple (low-resolution)',
  true: 'True synthetic maps'
}
