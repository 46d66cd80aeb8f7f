/**
 * Reference images for benchmarks and cross-checks, read from ../shared/data (never copied
 * into the repository): Colin27 axial slices, zero-padded to a square grid.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readNiftiFile, axialSlice } from '../src-main/io/nifti.ts'

export const SHARED_DATA = fileURLToPath(new URL('../../shared/data', import.meta.url))
export const COLIN27 = `${SHARED_DATA}/mri-volumes/colin27/ch2.nii.gz`

export function colinAvailable(): boolean {
  return existsSync(COLIN27)
}

/** Axial slice z of Colin27 (1 mm), centred in an n×n zero background, scaled to max 1. */
export function colinSlice(z: number, n = 256): { height: number; width: number; data: Float64Array } {
  const s = axialSlice(readNiftiFile(COLIN27), z)
  if (s.height > n || s.width > n) throw new Error(`slice ${s.height}×${s.width} does not fit in ${n}×${n}`)
  const out = new Float64Array(n * n)
  const oy = Math.floor((n - s.height) / 2)
  const ox = Math.floor((n - s.width) / 2)
  let max = 0
  for (const v of s.data) max = Math.max(max, v)
  for (let y = 0; y < s.height; y++) {
    for (let x = 0; x < s.width; x++) out[(y + oy) * n + x + ox] = s.data[y * s.width + x] / max
  }
  return { height: n, width: n, data: out }
}

/**
 * Sagittal slice x of Colin27 (superior up), centred in an n×n zero background, scaled to
 * max 1. The shipped brain prior trained on x < 80 only (models/prepare_data.py), so slices
 * with x > 100 (the other hemisphere) are held out.
 */
export function colinSagittal(x: number, n = 256): { height: number; width: number; data: Float64Array } {
  const vol = readNiftiFile(COLIN27)
  const [nx, ny, nz] = vol.dims
  if (x < 0 || x >= nx) throw new Error(`sagittal slice ${x} outside 0..${nx - 1}`)
  if (ny > n || nz > n) throw new Error(`slice ${nz}×${ny} does not fit in ${n}×${n}`)
  const out = new Float64Array(n * n)
  const oy = Math.floor((n - nz) / 2)
  const ox = Math.floor((n - ny) / 2)
  let max = 0
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const v = vol.data[x + nx * (y + ny * z)]
      out[(nz - 1 - z + oy) * n + y + ox] = v
      if (v > max) max = v
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= max
  return { height: n, width: n, data: out }
}
