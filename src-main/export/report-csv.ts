/**
 * metrics.csv: one row per method, RFC 4180 (CRLF line ends, fields with a comma, quote or line
 * break quoted, quotes doubled). Numbers in full precision (the shortest text that reads back
 * as the same double); a metric that does not apply is an empty field; infinite PSNR is "inf".
 */
import type { ReportModel } from './report-model.ts'

export const CSV_COLUMNS = ['method', 'psnr_db', 'ssim', 'nmse', 'dc_residual', 'seconds'] as const

export function renderMetricsCsv(m: ReportModel): string {
  const rows: string[][] = [[...CSV_COLUMNS]]
  for (const x of m.methods) rows.push([x.name, num(x.psnr), num(x.ssim), num(x.nmse), num(x.dcResidual), num(x.seconds)])
  return rows.map((r) => r.map(csvField).join(',') + '\r\n').join('')
}

function num(v: number | null): string {
  if (v === null || Number.isNaN(v)) return ''
  if (v === Infinity) return 'inf'
  if (v === -Infinity) return '-inf'
  return String(v)
}

export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
