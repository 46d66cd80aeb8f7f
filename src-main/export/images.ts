/**
 * The images of a run as export panels, with the display window each one uses, and their
 * encodings (8-bit and 16-bit PNG, float32 NumPy, NIfTI).
 *
 * Windows, stated in every report:
 *  - reference, zero-filled and method images share the run's window [0, windowMax];
 *  - error maps |x − reference| share one window [0, E], E the largest 99.5th percentile over
 *    the run's error maps (so a few outliers do not wash the maps out, and maps compare by eye);
 *  - standard-deviation maps share one window [0, S], chosen the same way;
 *  - 16-bit PNGs are linear over [min(0, smallest value), max(windowMax, largest value)] of the
 *    reference and reconstructions, so nothing is clipped: value = min + pixel · (max − min) / 65535.
 */
import type { ImagePlane, MethodOutcome, RunSummary } from '../api/contract.ts'
import type { Task } from '../schema/options.ts'
import { encodePng8, encodePng16 } from '../io/image.ts'
import { encodeNpy } from '../io/npy.ts'
import { encodeNifti, niftiVolumeFromImage } from '../io/nifti.ts'
import type { Geometry } from '../io/scan.ts'

export type PanelKind = 'reference' | 'reconstruction' | 'error' | 'std'

export interface Window {
  min: number
  max: number
}

export interface Panel {
  kind: PanelKind
  /** File stem, unique in the run: "reference", "fista-tv", "fista-tv-error", "dps-std". */
  stem: string
  /** The method's name (absent for the reference). */
  method?: string
  /** Caption, e.g. "FISTA-TV", "FISTA-TV error", "DPS std". */
  title: string
  plane: ImagePlane
  window: Window
}

export interface Windows {
  image: Window
  /** Present when the run has error maps. */
  error: (Window & { rule: string }) | null
  /** Present when the run has standard-deviation maps. */
  std: (Window & { rule: string }) | null
  /** The linear scale of every 16-bit PNG. */
  png16: Window & { scale: number; rule: string }
}

const ROBUST_QUANTILE = 0.995

/** Every panel of a run, in display order: reference, reconstructions, error maps, std maps. */
export function runPanels(summary: RunSummary): { panels: Panel[]; windows: Windows } {
  const windows = runWindows(summary)
  const panels: Panel[] = []
  if (summary.reference) panels.push({ kind: 'reference', stem: 'reference', title: 'Reference', plane: summary.reference, window: windows.image })
  for (const o of summary.outcomes) panels.push({ kind: 'reconstruction', stem: o.name, method: o.name, title: o.label, plane: o.image, window: windows.image })
  for (const o of summary.outcomes) {
    if (o.errorMap && windows.error) panels.push({ kind: 'error', stem: `${o.name}-error`, method: o.name, title: `${o.label} error`, plane: o.errorMap, window: windows.error })
  }
  for (const o of summary.outcomes) {
    if (o.std && windows.std) panels.push({ kind: 'std', stem: `${o.name}-std`, method: o.name, title: `${o.label} std`, plane: o.std, window: windows.std })
  }
  return { panels, windows }
}

export function runWindows(summary: RunSummary): Windows {
  const image = { min: 0, max: summary.windowMax }
  const errors = summary.outcomes.map((o) => o.errorMap).filter((p): p is ImagePlane => !!p)
  const stds = summary.outcomes.map((o) => o.std).filter((p): p is ImagePlane => !!p)
  const sharedRobust = (planes: ImagePlane[], what: string): (Window & { rule: string }) | null => {
    if (planes.length === 0) return null
    let max = Math.max(...planes.map((p) => quantile(p.data, ROBUST_QUANTILE)))
    let rule = `max = the largest 99.5th percentile over the run's ${what} maps`
    if (!(max > 0)) {
      max = Math.max(...planes.map((p) => maxOf(p.data)))
      rule = `max = the largest value over the run's ${what} maps`
    }
    if (!(max > 0)) {
      max = summary.windowMax > 0 ? summary.windowMax : 1
      rule = `the run's image window (every ${what} map is zero)`
    }
    return { min: 0, max, rule }
  }
  let lo = 0
  let hi = summary.windowMax
  for (const p of [summary.reference, ...summary.outcomes.map((o: MethodOutcome) => o.image)]) {
    if (!p) continue
    for (let i = 0; i < p.data.length; i++) {
      const v = p.data[i]
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
  }
  if (hi <= lo) hi = lo + 1
  return {
    image,
    error: sharedRobust(errors, 'error'),
    std: sharedRobust(stds, 'std'),
    png16: { min: lo, max: hi, scale: (hi - lo) / 65535, rule: 'value = min + pixel × scale, linear over every value of the reference and reconstructions' }
  }
}

/** 8-bit grayscale PNG of a panel in its window. */
export function panelPng8(panel: Panel): Uint8Array {
  return encode(panel, () => encodePng8(panel.plane.data, panel.plane.height, panel.plane.width, panel.window))
}

/** 16-bit grayscale PNG, linear over `window` (the run's png16 window). */
export function panelPng16(panel: Panel, window: Window): Uint8Array {
  return encode(panel, () => encodePng16(panel.plane.data, panel.plane.height, panel.plane.width, window))
}

/** float32 .npy of shape (height, width), the values exactly as in the run. */
export function panelNpy(panel: Panel): Uint8Array {
  return encode(panel, () => encodeNpy(panel.plane.data, [panel.plane.height, panel.plane.width], 'f4'))
}

/** gzip-compressed NIfTI-1 (float32), one slice, the image's top row as the largest y. */
export function panelNifti(panel: Panel, geometry: Geometry | undefined, description: string): Uint8Array {
  return encode(panel, () => {
    const { width, height, data } = panel.plane
    const usable = geometry && geometry.pixelSpacing ? { pixelSpacing: geometry.pixelSpacing, sliceThickness: geometry.sliceThickness, sliceSpacing: geometry.sliceSpacing } : {}
    return encodeNifti(niftiVolumeFromImage({ frames: 1, rows: height, columns: width, data }, usable, description), { gzip: true })
  })
}

/**
 * What the run's mask means, as the run says (RunSummary.maskMeaning): 'sampled' (k-space,
 * white = sampled), 'missing' (white = missing pixel), or null when the task has no mask
 * (blur, downsampling). A summary written before the field existed falls back to the task:
 * MRI samples, inpainting misses pixels.
 */
export function maskMeaning(summary: Pick<RunSummary, 'maskMeaning' | 'setup'>): 'sampled' | 'missing' | null {
  const m = summary.maskMeaning as RunSummary['maskMeaning'] | undefined
  if (m !== undefined) return m === 'none' ? null : m
  const task: Task = summary.setup.setup.task
  return task === 'mri' ? 'sampled' : task === 'inpaint' ? 'missing' : null
}

/** The mask as an 8-bit PNG: non-zero = white. */
export function maskPng(mask: ImagePlane): Uint8Array {
  const bits = new Uint8Array(mask.data.length)
  for (let i = 0; i < bits.length; i++) bits[i] = mask.data[i] !== 0 ? 1 : 0
  return encodePng8(bits, mask.height, mask.width, { min: 0, max: 1 })
}

/** Non-zero entries of the mask. */
export function maskCount(mask: ImagePlane): number {
  let n = 0
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] !== 0) n++
  return n
}

function encode(panel: Panel, f: () => Uint8Array): Uint8Array {
  try {
    return f()
  } catch (err) {
    throw new Error(`cannot encode ${panel.title}: ${(err as Error).message}`, { cause: err })
  }
}

function maxOf(a: ArrayLike<number>): number {
  let m = -Infinity
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i]
  return m
}

/** The q-quantile (nearest rank) of a's values. */
export function quantile(a: ArrayLike<number>, q: number): number {
  if (a.length === 0) return 0
  const sorted = Float64Array.from(a).sort()
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[k]
}
