/**
 * Images and results are kept as float32 and scored with squared errors, so magnitudes far
 * outside float32's range would silently become Infinity/0 or NaN metrics. One check, one
 * message, used when loading and again before reconstructing.
 */
export const MAX_MAGNITUDE = 1e30
export const MIN_PEAK = 1e-30

/** max(|v|) over finite entries; max(|re|, |im|) cannot overflow or underflow. */
export function peakMagnitude(parts: ArrayLike<number | bigint>[]): number {
  let peak = 0
  for (const a of parts) {
    for (let i = 0; i < a.length; i++) {
      const v = Math.abs(Number(a[i]))
      if (v > peak && Number.isFinite(v)) peak = v
    }
  }
  return peak
}

/** Throws when a non-zero peak lies outside [MIN_PEAK, MAX_MAGNITUDE]. */
export function checkPeakRange(peak: number, what: string): void {
  if (peak > MAX_MAGNITUDE || (peak > 0 && peak < MIN_PEAK)) {
    throw new Error(
      `${what} has a peak magnitude of ${peak.toExponential(2)}; it must lie between ${MIN_PEAK} and ${MAX_MAGNITUDE} ` +
        '(values are kept as float32): rescale the array'
    )
  }
}
