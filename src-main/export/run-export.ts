/**
 * Export a finished run: images (8/16-bit PNG, NumPy, NIfTI, derived DICOM), the mask, and the
 * reports (JSON, CSV, HTML, PDF) into one folder.
 *
 * Order of work, so that a failure leaves the folder as it was:
 *  1. validate the run and the formats; plan every file (layout.ts);
 *  2. refuse, before writing anything, when a target exists and overwrite is not set;
 *  3. encode every image in memory (bad data fails here, still before any write);
 *  4. create the folder, write the DICOM series, render the reports, write the files, report.json
 *     last (its presence means the set is complete);
 *  5. on any failure after writing started, remove the files and folders this call created.
 * Every file goes through writeFileAtomic (temp file, fsync, rename). With overwrite, the files
 * being replaced are first set aside (renamed in place), restored if the export fails and
 * deleted once it has succeeded: a failed export never leaves a mix of old and new files.
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { ExportFormat, ExportResult, RunSummary } from '../api/contract.ts'
import type { DicomSource } from '../io/dicom-write.ts'
import { ensureDir, removeDirQuietly, removeQuietly, writeFileAtomic } from '../io/atomic-write.ts'
import type { Geometry } from '../io/scan.ts'
import { validateRun } from './validate.ts'
import { maskMeaning, maskPng, panelNifti, panelNpy, panelPng16, panelPng8, runPanels, type Panel } from './images.ts'
import { normaliseFormats, planLayout } from './layout.ts'
import { placeholderSource, writeDicomSeries } from './dicom.ts'
import { buildReportModel } from './report-model.ts'
import { renderReportJson } from './report-json.ts'
import { renderMetricsCsv } from './report-csv.ts'
import { renderReportHtml } from './report-html.ts'
import { renderReportPdf } from './report-pdf.ts'

export interface ExportableRun {
  summary: RunSummary
  inputName: string
  inputDescription: string
  dicomSource: DicomSource | null
  software: { name: string; version: string }
}

/** Thrown before anything is written when targets exist and overwrite is not set. */
export class ExportTargetExistsError extends Error {
  readonly code = 'EEXIST'
  constructor(
    readonly folder: string,
    readonly existing: string[]
  ) {
    const shown = existing.slice(0, 8).join(', ') + (existing.length > 8 ? `, and ${existing.length - 8} more` : '')
    super(`cannot export to ${folder}: ${existing.length === 1 ? 'a file already exists' : `${existing.length} files already exist`} (${shown}); nothing was written. Choose another folder or export with overwrite.`)
    this.name = 'ExportTargetExistsError'
  }
}

export async function exportRun(run: ExportableRun, folder: string, formats: ExportFormat[], options?: { overwrite?: boolean }): Promise<ExportResult> {
  const overwrite = options?.overwrite === true
  if (typeof folder !== 'string' || folder.trim() === '') throw new Error('cannot export run: no target folder given')
  const wanted = normaliseFormats(formats)
  const { width, height } = validateRun(run)
  const summary = run.summary
  const root = path.resolve(folder)
  const abs = (rel: string): string => path.join(root, ...rel.split('/'))

  // 1. Plan.
  const { panels, windows } = runPanels(summary)
  const meaning = maskMeaning(summary)
  const layout = planLayout(panels, wanted, meaning !== null)
  const notes: string[] = []
  if (wanted.includes('mask') && !meaning) notes.push(`mask.png not written: a ${summary.setup.setup.task} run has no sampling or missing-pixel mask`)

  // 2. Refuse clashes before any work that writes.
  checkTargets(root, layout.all, overwrite)

  // 3. Encode images in memory.
  const png8Cache = new Map<Panel, Uint8Array>()
  const png8 = (p: Panel): Uint8Array => {
    let b = png8Cache.get(p)
    if (!b) png8Cache.set(p, (b = panelPng8(p)))
    return b
  }
  const outputs = new Map<string, Uint8Array | string>()
  for (const [p, rel] of layout.png) outputs.set(rel, png8(p))
  for (const [p, rel] of layout.png16) outputs.set(rel, panelPng16(p, windows.png16))
  for (const [p, rel] of layout.npy) outputs.set(rel, panelNpy(p))
  const geometry = niftiGeometry(run.dicomSource, width, height)
  for (const [p, rel] of layout.nifti) outputs.set(rel, panelNifti(p, geometry, `${p.title} - ${run.software.name} ${run.software.version}`))
  const needsMaskPng = meaning !== null && (layout.mask !== null || layout.html !== null || layout.pdf !== null)
  const maskBytes = needsMaskPng ? maskPng(summary.mask) : null
  if (layout.mask && maskBytes) outputs.set(layout.mask, maskBytes)

  const methodFiles = new Map<string, string[]>()
  const addMethodFile = (method: string | undefined, rel: string): void => {
    if (!method) return
    const list = methodFiles.get(method) ?? []
    list.push(rel)
    methodFiles.set(method, list)
  }
  for (const m of [layout.png, layout.png16, layout.npy, layout.nifti]) for (const [p, rel] of m) addMethodFile(p.method, rel)
  for (const [p, d] of layout.dicom) for (const f of d.files) addMethodFile(p.method, f)

  // 4. Write; 5. undo on failure.
  const created: string[] = []
  const createdDirs: string[] = []
  const setAside: { target: string; backup: string }[] = []
  const makeDir = (dir: string): void => {
    const missing: string[] = []
    for (let d = dir; !fs.existsSync(d) && d !== path.dirname(d); d = path.dirname(d)) missing.push(d)
    ensureDir(dir)
    createdDirs.push(...missing)
  }
  try {
    makeDir(root)
    // Overwrite: the old set goes aside first (report.json included, so it never describes a
    // half-replaced set), and every target is then written fresh.
    for (const rel of overwrite ? layout.all : []) {
      const target = abs(rel)
      if (!lstatOrNull(target)) continue
      const backup = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.old`)
      fs.renameSync(target, backup)
      setAside.push({ target, backup })
    }
    if (layout.dicom.size) {
      let source = run.dicomSource
      if (!source) {
        source = placeholderSource(new Date(), `${run.software.name} export of ${run.inputName}`)
        notes.push('DICOM: the input was not DICOM, so the series are filed in one new study under the placeholder patient "Anonymous"')
      }
      const jobs = [...layout.dicom].map(([p, d]) => {
        const outcome = summary.outcomes.find((o) => o.name === p.method)!
        const files = d.files.map(abs)
        return { outcome, dir: abs(d.dir), files }
      })
      jobs.forEach((job, i) => {
        makeDir(job.dir)
        const fresh = job.files.filter((f) => !fs.existsSync(f))
        notes.push(...writeDicomSeries([job], source, overwrite, i))
        created.push(...fresh)
      })
    }

    const model = buildReportModel({
      run,
      width,
      height,
      panels,
      windows,
      png8: layout.html || layout.pdf ? png8 : null,
      maskMeaning: meaning,
      maskPng: maskBytes,
      maskFile: layout.mask,
      methodFiles,
      files: layout.all,
      notes,
      exported: new Date()
    })
    if (layout.csv) outputs.set(layout.csv, renderMetricsCsv(model))
    if (layout.html) outputs.set(layout.html, renderReportHtml(model))
    if (layout.pdf) outputs.set(layout.pdf, await renderReportPdf(model))
    if (layout.json) outputs.set(layout.json, renderReportJson(model))

    for (const rel of layout.all) {
      const bytes = outputs.get(rel)
      if (bytes === undefined) continue // DICOM: already written
      const target = abs(rel)
      makeDir(path.dirname(target))
      const fresh = !fs.existsSync(target)
      writeFileAtomic(target, bytes, { overwrite })
      if (fresh) created.push(target)
    }
  } catch (err) {
    for (const f of created.reverse()) removeQuietly(f)
    for (const { target, backup } of setAside.reverse()) {
      try {
        fs.renameSync(backup, target)
      } catch {
        // Leave the backup where it is rather than lose it.
      }
    }
    for (const d of createdDirs.sort((a, b) => b.length - a.length)) removeDirQuietly(d)
    throw err
  }
  for (const { backup } of setAside) removeQuietly(backup)
  return { folder: root, files: layout.all }
}

/** Every clash at once, so that the user sees the whole problem. */
function checkTargets(root: string, files: string[], overwrite: boolean): void {
  const st = statOrNull(root)
  if (st && !st.isDirectory()) throw new Error(`cannot export to ${root}: it exists and is not a folder`)
  const existing: string[] = []
  for (const rel of files) {
    const parts = rel.split('/')
    // A file where a folder of the layout must go (e.g. a file named "png").
    for (let k = 1; k < parts.length; k++) {
      const dir = path.join(root, ...parts.slice(0, k))
      const ds = statOrNull(dir)
      if (ds && !ds.isDirectory()) throw new Error(`cannot export to ${root}: ${parts.slice(0, k).join('/')} exists and is not a folder`)
    }
    const target = path.join(root, ...parts)
    const ls = lstatOrNull(target)
    if (!ls) continue
    if (ls.isDirectory()) throw new Error(`cannot export to ${root}: ${rel} is a folder`)
    existing.push(rel)
  }
  if (existing.length && !overwrite) throw new ExportTargetExistsError(root, existing)
}

/** Pixel spacing from a DICOM source whose size matches the image. */
function niftiGeometry(source: DicomSource | null, width: number, height: number): Geometry | undefined {
  const g = source?.geometry
  if (!g?.pixelSpacing) return undefined
  const rows = source!.metadata.Rows
  const cols = source!.metadata.Columns
  if ((rows !== undefined && Number(rows) !== height) || (cols !== undefined && Number(cols) !== width)) return undefined
  return { pixelSpacing: g.pixelSpacing, sliceThickness: g.sliceThickness, sliceSpacing: g.sliceSpacing }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p)
  } catch {
    return null
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p)
  } catch {
    return null
  }
}
