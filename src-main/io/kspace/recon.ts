/**
 * The simplest images from k-space: per-coil zero-filled inverse FFTs and their root sum of
 * squares (RSS). Unsampled positions are zero already, so "zero-filled" needs no mask. The
 * transform is the centred orthonormal ifft2c, as in fastMRI, so RSS values are directly
 * comparable to fastMRI's reconstruction_rss.
 */
import type { CArray } from '../../engine/complex.ts'
import { ifft2c } from '../../engine/fft.ts'
import type { KspaceScan } from '../scan.ts'
import { rss } from '../../engine/coils/combine.ts'

export interface CoilImages {
  coils: number
  rows: number
  columns: number
  /** coils × rows × columns, row-major. */
  data: CArray
}

export interface RssImage {
  rows: number
  columns: number
  data: Float64Array
}

export interface RssOptions {
  /** Centre-crop to scan.reconSize (fastMRI's crop: start at ⌊(H − h)/2⌋), when known. */
  crop?: boolean
}

function checkSlice(scan: KspaceScan, slice: number): void {
  if (!Number.isInteger(slice) || slice < 0 || slice >= scan.slices) {
    throw new Error(`slice ${slice} does not exist; the k-space has ${scan.slices} (0…${scan.slices - 1})`)
  }
}

/** Zero-filled complex image of every coil of one slice (default: the middle slice). */
export function coilImages(scan: KspaceScan, slice = Math.floor(scan.slices / 2)): CoilImages {
  checkSlice(scan, slice)
  const { coils, rows, columns } = scan
  const n = coils * rows * columns
  const off = slice * n
  const data: CArray = { re: Float64Array.from(scan.re.subarray(off, off + n)), im: Float64Array.from(scan.im.subarray(off, off + n)) }
  ifft2c(data, [coils, rows, columns])
  return { coils, rows, columns, data }
}

/** Root sum of squares over coils of the zero-filled coil images (magnitude for one coil). */
export function zeroFilledRss(scan: KspaceScan, slice = Math.floor(scan.slices / 2), options: RssOptions = {}): RssImage {
  const { coils, rows, columns, data } = coilImages(scan, slice)
  const image = { rows, columns, data: rss(data, [coils, rows, columns]) }
  return options.crop && scan.reconSize ? centerCrop(image, scan.reconSize[0], scan.reconSize[1]) : image
}

/** The central h × w of an image, offset as fastMRI's center_crop does. */
export function centerCrop(img: RssImage, h: number, w: number): RssImage {
  if (h > img.rows || w > img.columns) throw new Error(`cannot crop ${img.rows}×${img.columns} to ${h}×${w}`)
  const r0 = Math.floor((img.rows - h) / 2)
  const c0 = Math.floor((img.columns - w) / 2)
  const data = new Float64Array(h * w)
  for (let r = 0; r < h; r++) data.set(img.data.subarray((r0 + r) * img.columns + c0, (r0 + r) * img.columns + c0 + w), r * w)
  return { rows: h, columns: w, data }
}
