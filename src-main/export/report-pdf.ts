/**
 * report.pdf: the HTML report's content for printing and archiving, drawn with pdfkit on A4:
 * title, setup, metrics table with its convention, the image grid (the same 8-bit PNGs),
 * methods and parameters, model hashes, notes, files and the software version.
 *
 * The PDF's dates and file identifier come from the run's own timestamp and the report's
 * content (pdfkit derives the ID from the document info), so rendering the same model twice
 * gives the same bytes. Text uses the 14 standard fonts, which cover WinAnsi (Latin-1 plus a
 * few signs) only: other characters are spelled out (λ → lambda) or replaced by '?'.
 */
import PDFDocument from 'pdfkit'
import type { ReportFigure, ReportModel, ReportRow } from './report-model.ts'
import { fmtNmse, fmtParams, fmtPsnr, fmtResidual, fmtSeconds, fmtSsim } from './format.ts'

export interface PdfOptions {
  /** Deflate the content streams (default true); false keeps them readable, for tests. */
  compress?: boolean
}

const MARGIN = 40
const FONT = 'Helvetica'
const BOLD = 'Helvetica-Bold'
const MONO = 'Courier'
const BORDER = '#b0b0b0'

export function renderReportPdf(m: ReportModel, options: PdfOptions = {}): Promise<Uint8Array> {
  const created = parseDate(m.created) ?? parseDate(m.exported) ?? new Date(0)
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    compress: options.compress !== false,
    info: {
      Title: pdfText(m.title),
      Author: pdfText(`${m.software.name} ${m.software.version}`),
      Subject: pdfText(m.description),
      Keywords: pdfText(m.methods.map((x) => x.label).join(', ')),
      Creator: pdfText(`${m.software.name} ${m.software.version}`),
      Producer: pdfText(`${m.software.name} ${m.software.version} (PDFKit)`),
      CreationDate: created,
      ModDate: created
    }
  })
  const chunks: Buffer[] = []
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => {
      const b = Buffer.concat(chunks)
      resolve(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
    })
    doc.on('error', reject)
  })
  try {
    draw(doc, m)
  } catch (err) {
    doc.end()
    return Promise.reject(new Error(`cannot render report.pdf: ${(err as Error).message}`, { cause: err }))
  }
  doc.end()
  return done
}

type Doc = PDFKit.PDFDocument

function draw(doc: Doc, m: ReportModel): void {
  const width = contentWidth(doc)
  doc.font(BOLD).fontSize(16).text(pdfText(m.title), { width })
  doc.moveDown(0.2)
  doc.font(FONT).fontSize(9).fillColor('#444')
  doc.text(pdfText(m.description), { width })
  doc.text(pdfText(`${m.software.name} ${m.software.version} - run ${m.runId} (${m.state}) - started ${m.created} - exported ${m.exported}`), { width })
  doc.fillColor('black')

  heading(doc, 'Setup')
  table(doc, ['Setting', 'Value'], m.setupRows.map(rowCells), [0.32, 0.68])

  heading(doc, 'Metrics')
  paragraph(doc, m.metricsNote)
  const withRef = m.hasReference
  const headers = withRef ? ['Method', 'PSNR', 'SSIM', 'NMSE', 'DC residual', 'Time'] : ['Method', 'DC residual', 'Time']
  const rows = m.methods.map((x) =>
    withRef
      ? [x.label, fmtPsnr(x.psnr), fmtSsim(x.ssim), fmtNmse(x.nmse), fmtResidual(x.dcResidual), fmtSeconds(x.seconds)]
      : [x.label, fmtResidual(x.dcResidual), fmtSeconds(x.seconds)]
  )
  table(doc, headers, rows, withRef ? [0.26, 0.15, 0.13, 0.16, 0.17, 0.13] : [0.4, 0.3, 0.3])
  paragraph(doc, `Convention: ${m.metricsConvention}`, 8)
  paragraph(doc, `Total time ${fmtSeconds(m.totalSeconds)}.`, 8)
  if (m.failures.length) {
    heading(doc, 'Failed methods', 10)
    for (const f of m.failures) paragraph(doc, `${f.name}: ${f.message}`)
  }

  heading(doc, 'Images')
  table(doc, ['Images', 'Display window'], m.windowRows.map(rowCells), [0.32, 0.68])
  const sections: [ReportFigure['section'], string][] = [
    ['images', 'Reference, zero-filled and reconstructions'],
    ['error', 'Error maps'],
    ['std', 'Standard-deviation maps'],
    ['mask', m.mask ? `Mask (${m.mask.whiteMeans})` : 'Mask']
  ]
  for (const [section, title] of sections) {
    const figs = m.figures.filter((f) => f.section === section)
    if (!figs.length) continue
    heading(doc, title, 10)
    grid(doc, figs)
  }

  heading(doc, 'Methods and parameters')
  table(
    doc,
    ['Method', 'Parameters', 'Time'],
    m.methods.map((x) => [`${x.label} (${x.name})`, fmtParams(x.params), fmtSeconds(x.seconds)]),
    [0.25, 0.6, 0.15]
  )

  heading(doc, 'Models')
  if (m.models.length) {
    table(
      doc,
      ['Model', 'sha256'],
      m.models.map((x) => [x.id, x.sha256.vjp !== undefined ? `denoiser ${x.sha256.denoiser}\nVJP ${x.sha256.vjp}` : `denoiser ${x.sha256.denoiser}`]),
      [0.25, 0.75],
      MONO
    )
  } else {
    paragraph(doc, 'No learned model was used.')
  }

  if (m.notes.length) {
    heading(doc, 'Notes')
    for (const n of m.notes) paragraph(doc, `- ${n}`)
  }

  heading(doc, 'Files')
  paragraph(doc, m.files.join('\n'), 8)

  doc.moveDown(1)
  paragraph(doc, `${m.software.name} ${m.software.version} - exported ${m.exported} - seed ${m.experiment.seed}`, 8)
}

function contentWidth(doc: Doc): number {
  return doc.page.width - doc.page.margins.left - doc.page.margins.right
}

function bottom(doc: Doc): number {
  return doc.page.height - doc.page.margins.bottom
}

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) doc.addPage()
}

function heading(doc: Doc, text: string, size = 12): void {
  doc.x = doc.page.margins.left
  ensureSpace(doc, size * 3)
  doc.moveDown(size >= 12 ? 0.9 : 0.5)
  doc.font(BOLD).fontSize(size).fillColor('black').text(pdfText(text), { width: contentWidth(doc) })
  doc.moveDown(0.25)
}

function paragraph(doc: Doc, text: string, size = 9): void {
  doc.x = doc.page.margins.left
  doc.font(FONT).fontSize(size).fillColor('black').text(pdfText(text), { width: contentWidth(doc) })
}

function rowCells(r: ReportRow): string[] {
  return [r.label, r.value]
}

/** A bordered table; `fractions` split the content width; the header repeats after a page break. */
function table(doc: Doc, headers: string[], rows: string[][], fractions: number[], bodyFont = FONT): void {
  const left = doc.page.margins.left
  const total = contentWidth(doc)
  const widths = fractions.map((f) => f * total)
  const pad = 3
  const size = 8
  const measure = (cells: string[], font: string): number => {
    doc.font(font).fontSize(size)
    return Math.max(...cells.map((c, i) => doc.heightOfString(pdfText(c), { width: widths[i] - 2 * pad }))) + 2 * pad
  }
  const drawRow = (cells: string[], font: string, shade: boolean): void => {
    const h = measure(cells, font)
    let x = left
    const y = doc.y
    for (let i = 0; i < cells.length; i++) {
      if (shade) doc.rect(x, y, widths[i], h).fill('#eeeeee')
      doc.lineWidth(0.5).rect(x, y, widths[i], h).stroke(BORDER)
      doc.fillColor('black').font(font).fontSize(size).text(pdfText(cells[i]), x + pad, y + pad, { width: widths[i] - 2 * pad })
      x += widths[i]
    }
    doc.x = left
    doc.y = y + h
  }
  doc.x = left
  ensureSpace(doc, measure(headers, BOLD) + (rows.length ? measure(rows[0], bodyFont) : 0))
  drawRow(headers, BOLD, true)
  for (const r of rows) {
    if (doc.y + measure(r, bodyFont) > bottom(doc)) {
      doc.addPage()
      drawRow(headers, BOLD, true)
    }
    drawRow(r, bodyFont, false)
  }
  doc.moveDown(0.3)
}

/** Images four to a row, each scaled to fit its cell, title and caption beneath. */
function grid(doc: Doc, figs: ReportFigure[]): void {
  const left = doc.page.margins.left
  const cols = 4
  const gap = 10
  const cell = (contentWidth(doc) - (cols - 1) * gap) / cols
  for (let start = 0; start < figs.length; start += cols) {
    const row = figs.slice(start, start + cols)
    const imgH = Math.max(...row.map((f) => (cell * f.height) / Math.max(f.width, f.height)))
    const rowH = imgH + 26
    ensureSpace(doc, rowH)
    const y = doc.y
    row.forEach((f, i) => {
      const x = left + i * (cell + gap)
      doc.image(Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength), x, y, { fit: [cell, imgH], align: 'center' })
      doc.font(BOLD).fontSize(7.5).fillColor('black').text(pdfText(f.title), x, y + imgH + 3, { width: cell, lineBreak: false, ellipsis: true })
      doc.font(FONT).fontSize(7).text(pdfText(f.caption), x, y + imgH + 13, { width: cell, lineBreak: false, ellipsis: true })
    })
    doc.x = left
    doc.y = y + rowH + 4
  }
}

/** Characters the standard fonts can show beyond Latin-1 (pdfkit maps these to WinAnsi). */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ')
const SPELLED: Record<string, string> = {
  λ: 'lambda',
  σ: 'sigma',
  ζ: 'zeta',
  α: 'alpha',
  β: 'beta',
  γ: 'gamma',
  δ: 'delta',
  ε: 'epsilon',
  η: 'eta',
  μ: 'mu',
  π: 'pi',
  τ: 'tau',
  Δ: 'Delta',
  Σ: 'Sum',
  '‖': '||',
  '−': '-',
  '≈': '~',
  '≤': '<=',
  '≥': '>=',
  '→': '->',
  '←': '<-',
  '∞': 'inf',
  '√': 'sqrt',
  'ᴴ': '^H',
  '∘': 'o',
  '⌊': 'floor(',
  '⌋': ')'
}

/** Text the standard (WinAnsi) fonts can draw; tabs become spaces and other controls go. */
export function pdfText(s: string): string {
  let out = ''
  for (const ch of String(s).normalize('NFC')) {
    const c = ch.codePointAt(0)!
    if (ch === '\n') out += ch
    else if (ch === '\t') out += ' '
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) continue
    else if (c <= 0xff || WIN_ANSI_EXTRA.has(ch)) out += ch
    else out += SPELLED[ch] ?? '?'
  }
  return out
}

function parseDate(s: string): Date | null {
  const t = Date.parse(s)
  return Number.isFinite(t) ? new Date(t) : null
}
