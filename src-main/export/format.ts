/**
 * How numbers appear in the human-readable reports (HTML and PDF), in one place so that both
 * say the same. Machine-readable outputs (report.json, metrics.csv) keep full precision.
 */

/** Shown for a metric that does not apply (no reference). */
export const NOT_APPLICABLE = '–'

export function fmtPsnr(v: number | null): string {
  if (v === null) return NOT_APPLICABLE
  if (v === Infinity) return '∞ dB'
  return `${v.toFixed(2)} dB`
}

export function fmtSsim(v: number | null): string {
  return v === null ? NOT_APPLICABLE : v.toFixed(4)
}

export function fmtNmse(v: number | null): string {
  return v === null ? NOT_APPLICABLE : fmtExp(v)
}

export function fmtResidual(v: number): string {
  return fmtExp(v)
}

export function fmtSeconds(v: number): string {
  return v < 10 ? `${v.toFixed(2)} s` : `${v.toFixed(1)} s`
}

/** A parameter or setup value: integers as they are, other numbers to 6 significant digits. */
export function fmtValue(v: unknown): string {
  if (v === undefined || v === null) return NOT_APPLICABLE
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v)
    return String(Number(v.toPrecision(6)))
  }
  if (Array.isArray(v)) return v.map(fmtValue).join(', ')
  return String(v)
}

/** "λ = 0.002, iterations = 150" */
export function fmtParams(params: Record<string, unknown>): string {
  const entries = Object.entries(params)
  return entries.length ? entries.map(([k, v]) => `${k} = ${fmtValue(v)}`).join(', ') : NOT_APPLICABLE
}

export function fmtWindow(w: { min: number; max: number }): string {
  return `[${fmtValue(w.min)}, ${fmtValue(w.max)}]`
}

function fmtExp(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  return v.toExponential(3)
}
