/** Number formatting for readouts, the metrics table and progress. */

export function fmtSeconds(s: number | undefined | null): string {
  if (s === undefined || s === null || !Number.isFinite(s)) return '—'
  if (s < 1) return `${Math.round(s * 1000)} ms`
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`
  const m = Math.floor(s / 60)
  const r = Math.round(s - 60 * m)
  return `${m} min ${r.toString().padStart(2, '0')} s`
}

export function fmtMetric(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits)
}

/** Small or large values in scientific notation, others with 4 significant digits. */
export function fmtSci(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  if (v === 0) return '0'
  const a = Math.abs(v)
  return a < 1e-3 || a >= 1e5 ? v.toExponential(2) : Number(v.toPrecision(4)).toString()
}

export function fmtFactor(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}×`
}

export function fmtPercent(v: number): string {
  return `${(100 * v).toFixed(1)} %`
}

/** A value for a number input: short, exact enough to edit (scientific when very large/small). */
export function fmtInput(v: number): string {
  if (!Number.isFinite(v)) return ''
  const a = Math.abs(v)
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3)
  return String(Number(v.toPrecision(5)))
}
