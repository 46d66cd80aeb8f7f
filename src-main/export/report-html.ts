/**
 * report.html: one self-contained file that opens anywhere and stays readable in ten years.
 * Images are embedded as data: PNGs, the style sheet is inline, there are no scripts and no
 * references to anything outside the file; a Content-Security-Policy that allows nothing else
 * backs that up. Every string from the run (input name, labels, parameters, messages) is
 * escaped, since a file name or a DICOM description is not trusted markup.
 */
import type { ReportFigure, ReportModel, ReportRow } from './report-model.ts'
import { fmtNmse, fmtParams, fmtPsnr, fmtResidual, fmtSeconds, fmtSsim } from './format.ts'

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`)
}

const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1em; margin: 1.2em 0 0.4em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em; word-break: break-all; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; width: 256px; }
figure img { width: 256px; height: auto; image-rendering: pixelated; background: #000; display: block; }
figcaption { font-size: 0.85em; margin-top: 0.2em; }
figcaption b { display: block; }
.note { color: #555; font-size: 0.9em; }
.failure { color: #a00; }
footer { margin-top: 2em; color: #666; font-size: 0.85em; }
`

export function renderReportHtml(m: ReportModel): string {
  const e = escapeHtml
  const parts: string[] = []
  parts.push('<!DOCTYPE html>')
  parts.push('<html lang="en"><head><meta charset="utf-8">')
  parts.push(`<meta http-equiv="Content-Security-Policy" content="${e(CSP)}">`)
  parts.push('<meta name="viewport" content="width=device-width, initial-scale=1">')
  parts.push(`<meta name="generator" content="${e(`${m.software.name} ${m.software.version}`)}">`)
  parts.push(`<title>${e(m.title)}</title>`)
  parts.push(`<style>${STYLE}</style></head><body>`)

  parts.push(`<h1>${e(m.title)}</h1>`)
  parts.push(`<p class="sub">${e(m.description)}<br>${e(m.software.name)} ${e(m.software.version)} · run ${e(m.runId)} (${e(m.state)}) · started ${e(m.created)} · exported ${e(m.exported)}</p>`)

  parts.push('<h2>Setup</h2>')
  parts.push(rowsTable(m.setupRows))

  parts.push('<h2>Metrics</h2>')
  parts.push(`<p>${e(m.metricsNote)}</p>`)
  parts.push(metricsTable(m))
  parts.push(`<p class="note">Convention: ${e(m.metricsConvention)}</p>`)
  parts.push(`<p class="note">Total time ${e(fmtSeconds(m.totalSeconds))}.</p>`)
  if (m.failures.length) {
    parts.push('<h3>Failed methods</h3><ul>')
    for (const f of m.failures) parts.push(`<li class="failure"><b>${e(f.name)}</b>: ${e(f.message)}</li>`)
    parts.push('</ul>')
  }

  parts.push('<h2>Images</h2>')
  parts.push(rowsTable(m.windowRows, ['Images', 'Display window']))
  const sections: [ReportFigure['section'], string][] = [
    ['images', 'Reference, zero-filled and reconstructions'],
    ['error', 'Error maps'],
    ['std', 'Standard-deviation maps'],
    ['mask', m.mask ? `Mask (${m.mask.whiteMeans})` : 'Mask']
  ]
  for (const [section, heading] of sections) {
    const figs = m.figures.filter((f) => f.section === section)
    if (!figs.length) continue
    parts.push(`<h3>${e(heading)}</h3><div class="grid">`)
    for (const f of figs) parts.push(figure(f))
    parts.push('</div>')
  }

  parts.push('<h2>Methods and parameters</h2>')
  parts.push('<table><thead><tr><th>Method</th><th>Parameters</th><th>Time</th></tr></thead><tbody>')
  for (const x of m.methods) {
    parts.push(`<tr><td>${e(x.label)} <code>${e(x.name)}</code></td><td>${e(fmtParams(x.params))}</td><td class="num">${e(fmtSeconds(x.seconds))}</td></tr>`)
  }
  parts.push('</tbody></table>')

  parts.push('<h2>Models</h2>')
  if (m.models.length) {
    parts.push('<table><thead><tr><th>Model</th><th>sha256 (denoiser)</th><th>sha256 (VJP)</th></tr></thead><tbody>')
    for (const x of m.models) {
      parts.push(`<tr><td>${e(x.id)}</td><td class="hash">${e(x.sha256.denoiser)}</td><td class="hash">${e(x.sha256.vjp ?? '–')}</td></tr>`)
    }
    parts.push('</tbody></table>')
  } else {
    parts.push('<p>No learned model was used.</p>')
  }

  if (m.notes.length) {
    parts.push('<h2>Notes</h2><ul>')
    for (const n of m.notes) parts.push(`<li>${e(n)}</li>`)
    parts.push('</ul>')
  }

  parts.push('<h2>Files</h2><ul>')
  for (const f of m.files) parts.push(`<li><code>${e(f)}</code></li>`)
  parts.push('</ul>')

  parts.push(`<footer>${e(m.software.name)} ${e(m.software.version)} · exported ${e(m.exported)} · seed ${e(String(m.experiment.seed))}</footer>`)
  parts.push('</body></html>')
  return parts.join('\n') + '\n'
}

function rowsTable(rows: ReportRow[], headers?: [string, string]): string {
  const e = escapeHtml
  const head = headers ? `<thead><tr><th>${e(headers[0])}</th><th>${e(headers[1])}</th></tr></thead>` : ''
  return `<table>${head}<tbody>${rows.map((r) => `<tr><th scope="row">${e(r.label)}</th><td>${e(r.value)}</td></tr>`).join('')}</tbody></table>`
}

function metricsTable(m: ReportModel): string {
  const e = escapeHtml
  const withRef = m.hasReference
  const headers = withRef ? ['Method', 'PSNR', 'SSIM', 'NMSE', 'DC residual', 'Time'] : ['Method', 'DC residual', 'Time']
  const rows = m.methods.map((x) => {
    const cells = withRef
      ? [fmtPsnr(x.psnr), fmtSsim(x.ssim), fmtNmse(x.nmse), fmtResidual(x.dcResidual), fmtSeconds(x.seconds)]
      : [fmtResidual(x.dcResidual), fmtSeconds(x.seconds)]
    return `<tr><td>${e(x.label)}</td>${cells.map((c) => `<td class="num">${e(c)}</td>`).join('')}</tr>`
  })
  return `<table><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function figure(f: ReportFigure): string {
  const e = escapeHtml
  const src = `data:image/png;base64,${Buffer.from(f.png.buffer, f.png.byteOffset, f.png.byteLength).toString('base64')}`
  return `<figure><img src="${src}" width="${f.width}" height="${f.height}" alt="${e(f.title)}"><figcaption><b>${e(f.title)}</b>${e(f.caption)}</figcaption></figure>`
}
