/**
 * KspaceScan promises centred k-space (DC at ⌊H/2⌋, ⌊W/2⌋, fastMRI/BART convention). Real
 * scanner data and fastMRI/BART/ISMRMRD files are; arrays made with a bare np.fft.fft2 are
 * not: their DC sits at (0, 0). Where the peak is, and so whether to fix anything, is read from
 * the data; the fix has two candidates that differ by which image the writer meant:
 *   A  K = fft2(ifftshift(x)):  centred = fftshift(K)          (image fftshift(ifft2(K)))
 *   B  K = fft2(x):             centred = fftshift(K)·e^{2πi(k−s)s/n} per axis, s = ⌊n/2⌋
 *                               (= fft2c(ifft2(K)) up to scale; image ifft2(K))
 * Their images differ by swapped quadrants, so the one whose middle-slice RSS has its energy
 * in the middle of the field of view is taken, and the note says which.
 */
import { ifft2 } from '../../engine/fft.ts'

export interface Centring {
  /** Row and column of the largest summed magnitude (the DC sample of genuine k-space). */
  peak: [number, number]
  /** True when the peak lies in the central half in both directions. */
  centred: boolean
  /** True when the peak lies within a quarter of the size of a corner: uncentred (DC at 0,0) k-space. */
  corner: boolean
  /** The middle slice is all zeros: nothing can be said. */
  empty: boolean
}

/** Where the energy peaks, from |k| summed over coils of the middle slice. */
export function findCentring(re: Float32Array, im: Float32Array, slices: number, coils: number, rows: number, columns: number): Centring {
  const plane = rows * columns
  const sum = new Float64Array(plane)
  const s = Math.floor(slices / 2)
  for (let c = 0; c < coils; c++) {
    const off = (s * coils + c) * plane
    for (let i = 0; i < plane; i++) sum[i] += Math.hypot(re[off + i], im[off + i])
  }
  let best = 0
  for (let i = 1; i < plane; i++) if (sum[i] > sum[best]) best = i
  const r = Math.floor(best / columns)
  const c = best % columns
  if (sum[best] === 0) return { peak: [r, c], centred: false, corner: false, empty: true }
  const central = (x: number, n: number): boolean => n < 4 || (x >= n / 4 && x < (3 * n) / 4)
  const nearEdge = (x: number, n: number): boolean => n >= 4 && (x < n / 4 || x >= (3 * n) / 4)
  return { peak: [r, c], centred: central(r, rows) && central(c, columns), corner: nearEdge(r, rows) && nearEdge(c, columns), empty: false }
}

/** fftshift over the last two axes of every plane, in place. */
export function fftshiftPlanes(a: Float32Array, rows: number, columns: number): void {
  const plane = rows * columns
  const tmp = new Float32Array(plane)
  const sr = Math.floor(rows / 2)
  const sc = Math.floor(columns / 2)
  for (let off = 0; off < a.length; off += plane) {
    for (let r = 0; r < rows; r++) {
      const dr = (r + sr) % rows
      for (let c = 0; c < columns; c++) tmp[dr * columns + ((c + sc) % columns)] = a[off + r * columns + c]
    }
    a.set(tmp, off)
  }
}

/** Share of the energy in the central quarter of the area, for an image given row-major. */
function centralEnergy(img: Float64Array, rows: number, columns: number, shifted: boolean): number {
  let total = 0
  let central = 0
  const sr = shifted ? Math.floor(rows / 2) : 0
  const sc = shifted ? Math.floor(columns / 2) : 0
  for (let r = 0; r < rows; r++) {
    const rr = (r + sr) % rows
    const inRows = rr >= rows / 4 && rr < (3 * rows) / 4
    for (let c = 0; c < columns; c++) {
      const v = img[r * columns + c]
      total += v
      const cc = (c + sc) % columns
      if (inRows && cc >= columns / 4 && cc < (3 * columns) / 4) central += v
    }
  }
  return total > 0 ? central / total : 0
}

/**
 * Centre DC-at-corner k-space in place (see the module comment); returns a note saying how.
 */
export function recentre(re: Float32Array, im: Float32Array, slices: number, coils: number, rows: number, columns: number): string {
  const plane = rows * columns
  // Sum of squares over coils of ifft2(K) for the middle slice: candidate B's image.
  const s = Math.floor(slices / 2)
  const off = s * coils * plane
  const x = { re: Float64Array.from(re.subarray(off, off + coils * plane)), im: Float64Array.from(im.subarray(off, off + coils * plane)) }
  ifft2(x, [coils, rows, columns])
  const energy = new Float64Array(plane)
  for (let c = 0; c < coils; c++) for (let i = 0; i < plane; i++) energy[i] += x.re[c * plane + i] ** 2 + x.im[c * plane + i] ** 2
  const asB = centralEnergy(energy, rows, columns, false)
  const asA = centralEnergy(energy, rows, columns, true)
  if (asA >= asB) {
    fftshiftPlanes(re, rows, columns)
    fftshiftPlanes(im, rows, columns)
    return 'k-space had DC at the corner (as from fft2(ifftshift(image))); fftshifted so that DC is in the middle'
  }
  // B without transforms, so that unsampled zeros stay exactly zero (the mask survives) and
  // the stored scale is kept: shift, then the phase ramp that the image shift implies.
  fftshiftPlanes(re, rows, columns)
  fftshiftPlanes(im, rows, columns)
  const [rowRe, rowIm] = shiftPhase(rows)
  const [colRe, colIm] = shiftPhase(columns)
  for (let p = 0; p < slices * coils; p++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const fr = rowRe[r] * colRe[c] - rowIm[r] * colIm[c]
        const fi = rowRe[r] * colIm[c] + rowIm[r] * colRe[c]
        const i = p * plane + r * columns + c
        const a = re[i]
        const b = im[i]
        re[i] = a * fr - b * fi
        im[i] = a * fi + b * fr
      }
    }
  }
  return 'k-space had DC at the corner (as from a bare fft2(image)); fftshifted with the matching phase ramp (as fft2c(ifft2(k))) so that the image stays in the middle'
}

/** e^{2πi(k−s)s/n} for k < n, s = ⌊n/2⌋; exactly ±1 where it is real (always, for even n). */
function shiftPhase(n: number): [Float64Array, Float64Array] {
  const s = Math.floor(n / 2)
  const re = new Float64Array(n)
  const im = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    const q = ((((k - s) * s) % n) + n) % n
    if (q === 0) re[k] = 1
    else if (2 * q === n) re[k] = -1
    else {
      re[k] = Math.cos((2 * Math.PI * q) / n)
      im[k] = Math.sin((2 * Math.PI * q) / n)
    }
  }
  return [re, im]
}
