/**
 * Masks as files: PNG (white/non-zero = 1) and NumPy (non-zero = 1). The meaning of 1 is the
 * caller's (sampled k-space point, or missing pixel for inpainting); this module only moves
 * 0/1 grids in and out and checks their shape.
 */
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { decodeImage, encodePng8 } from './image.ts'
import { parseNpy, encodeNpy, toFloat64 } from './npy.ts'
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.ts'

export interface MaskGrid {
  height: number
  width: number
  data: Uint8Array
}

export function readMaskFile(file: string): MaskGrid {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (e) {
    throw new Error(`cannot read mask ${file}: ${(e as Error).message}`)
  }
  const ext = extname(file).toLowerCase()
  if (ext === '.npy') {
    const arr = parseNpy(bytes, file)
    const shape = arr.shape.filter((d, i) => !(d === 1 && i < arr.shape.length - 2))
    if (shape.length !== 2) throw new Error(`mask ${file} must be 2-D, got shape [${arr.shape.join(', ')}]`)
    if (arr.complex) throw new Error(`mask ${file} is complex (${arr.descr}); save a real 0/1 array`)
    const v = toFloat64(arr)
    const data = new Uint8Array(v.length)
    for (let i = 0; i < v.length; i++) {
      if (Number.isNaN(v[i])) throw new Error(`mask ${file} contains NaN`)
      data[i] = v[i] !== 0 ? 1 : 0
    }
    return { height: shape[0], width: shape[1], data }
  }
  const img = decodeImage(bytes, file)
  const half = img.bitDepth === 16 ? 32767.5 : 127.5
  const data = new Uint8Array(img.gray.length)
  for (let i = 0; i < data.length; i++) data[i] = img.gray[i] > half ? 1 : 0
  return { height: img.height, width: img.width, data }
}

export function encodeMaskPng(mask: MaskGrid): Uint8Array {
  return encodePng8(mask.data, mask.height, mask.width, { min: 0, max: 1 })
}

export function writeMaskFile(file: string, mask: MaskGrid, options: AtomicWriteOptions = {}): void {
  const ext = extname(file).toLowerCase()
  if (ext === '.npy') writeFileAtomic(file, encodeNpy(mask.data, [mask.height, mask.width], 'u1'), options)
  else if (ext === '.png') writeFileAtomic(file, encodeMaskPng(mask), options)
  else throw new Error(`mask output must end in .png or .npy, got '${file}'`)
}
