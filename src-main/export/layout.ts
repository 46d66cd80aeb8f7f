/**
 * Where each export format puts its files, relative to the export folder ('/'-separated on
 * every platform, as reported in ExportResult and report.json):
 *
 *   png/<stem>.png          8-bit, every panel (reference, methods, error and std maps)
 *   png16/<stem>.png        16-bit linear, reference and reconstructions
 *   npy/<stem>.npy          float32, reference, reconstructions and std maps
 *   nifti/<stem>.nii.gz     float32, reference and reconstructions
 *   dicom/<method>/IM_0001.dcm   a derived series per reconstruction
 *   mask.png, report.json, metrics.csv, report.html, report.pdf
 */
import { EXPORT_FORMATS, type ExportFormat } from '../api/contract.ts'
import type { Panel } from './images.ts'

export interface Layout {
  png: Map<Panel, string>
  png16: Map<Panel, string>
  npy: Map<Panel, string>
  nifti: Map<Panel, string>
  /** Per reconstruction panel: its series folder and its files. */
  dicom: Map<Panel, { dir: string; files: string[] }>
  mask: string | null
  json: string | null
  csv: string | null
  html: string | null
  pdf: string | null
  /** Every file, in the order they are listed in the report (report.json last). */
  all: string[]
}

/** The requested formats, checked and without repeats, in EXPORT_FORMATS order. */
export function normaliseFormats(formats: readonly unknown[]): ExportFormat[] {
  if (!Array.isArray(formats) || formats.length === 0) throw new Error(`cannot export run: no formats given (choose from ${EXPORT_FORMATS.join(', ')})`)
  for (const f of formats) {
    if (!(EXPORT_FORMATS as readonly unknown[]).includes(f)) throw new Error(`cannot export run: unknown format ${JSON.stringify(f)} (choose from ${EXPORT_FORMATS.join(', ')})`)
  }
  return EXPORT_FORMATS.filter((f) => formats.includes(f))
}

export function planLayout(panels: Panel[], formats: ExportFormat[], hasMask: boolean): Layout {
  const want = new Set(formats)
  const pick = (format: ExportFormat, kinds: Panel['kind'][], file: (p: Panel) => string): Map<Panel, string> => {
    const m = new Map<Panel, string>()
    if (want.has(format)) for (const p of panels) if (kinds.includes(p.kind)) m.set(p, file(p))
    return m
  }
  const layout: Layout = {
    png: pick('png', ['reference', 'reconstruction', 'error', 'std'], (p) => `png/${p.stem}.png`),
    png16: pick('png16', ['reference', 'reconstruction'], (p) => `png16/${p.stem}.png`),
    npy: pick('npy', ['reference', 'reconstruction', 'std'], (p) => `npy/${p.stem}.npy`),
    nifti: pick('nifti', ['reference', 'reconstruction'], (p) => `nifti/${p.stem}.nii.gz`),
    dicom: new Map(),
    mask: want.has('mask') && hasMask ? 'mask.png' : null,
    json: want.has('json') ? 'report.json' : null,
    csv: want.has('csv') ? 'metrics.csv' : null,
    html: want.has('html') ? 'report.html' : null,
    pdf: want.has('pdf') ? 'report.pdf' : null,
    all: []
  }
  if (want.has('dicom')) {
    // The file name writeDerivedDicomSeries gives a single-frame series in a folder.
    for (const p of panels) if (p.kind === 'reconstruction') layout.dicom.set(p, { dir: `dicom/${p.stem}`, files: [`dicom/${p.stem}/IM_0001.dcm`] })
  }
  layout.all = [
    ...layout.png.values(),
    ...layout.png16.values(),
    ...layout.npy.values(),
    ...layout.nifti.values(),
    ...[...layout.dicom.values()].flatMap((d) => d.files),
    ...[layout.mask, layout.csv, layout.html, layout.pdf, layout.json].filter((f): f is string => f !== null)
  ]
  return layout
}
