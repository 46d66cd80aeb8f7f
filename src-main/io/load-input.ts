/**
 * Input loaders for `reconstruct`, chosen by file content/extension through a small registry
 * so that the scan I/O work (DICOM, k-space, NIfTI) plugs in without touching the pipeline.
 */
import { readFileSync, statSync } from 'node:fs'
import { extname } from 'node:path'
import { parseNpy, toComplexImage } from './npy.ts'
import { decodeImage, detectImageFormat } from './image.ts'
import { cisFinite, type ComplexImage } from '../engine/complex.ts'

export interface LoadedImage {
  image: ComplexImage
  /** True when the source held complex values (magnitude and phase both meaningful). */
  complex: boolean
  /** How the stored values were scaled into `image`. */
  scaling: string
  description: string
}

export interface InputLoader {
  name: string
  accepts(file: string, head: Uint8Array): boolean
  load(file: string, bytes: Uint8Array): LoadedImage
}

const MAX_INPUT_BYTES = 2 * 1024 ** 3

const npyLoader: InputLoader = {
  name: 'numpy',
  accepts: (file, head) => extname(file).toLowerCase() === '.npy' || (head[0] === 0x93 && head[1] === 0x4e),
  load(file, bytes) {
    const arr = parseNpy(bytes, file)
    let image: ComplexImage
    try {
      image = toComplexImage(arr)
    } catch (e) {
      // toComplexImage does not know the file; say which one (e.g. a stack of several images).
      throw new Error(`${file}: ${(e as Error).message}`)
    }
    if (!cisFinite(image)) throw new Error(`${file} contains NaN or Infinity values`)
    const complex = arr.dtype === 'c8' || arr.dtype === 'c16'
    return {
      image,
      complex,
      scaling: 'stored values',
      description: `NumPy ${arr.dtype} ${arr.shape.join('×')}`
    }
  }
}

const imageLoader: InputLoader = {
  name: 'image',
  accepts: (_file, head) => detectImageFormat(head) !== null,
  load(file, bytes) {
    const img = decodeImage(bytes, file)
    const top = img.bitDepth === 16 ? 65535 : 255
    const re = new Float64Array(img.gray.length)
    for (let i = 0; i < re.length; i++) re[i] = img.gray[i] / top
    return {
      image: { height: img.height, width: img.width, re, im: new Float64Array(re.length) },
      complex: false,
      scaling: `divided by ${top} (${img.bitDepth}-bit) to [0, 1]`,
      description: img.description
    }
  }
}

const loaders: InputLoader[] = [npyLoader, imageLoader]

/** Add a loader (tried before the built-in ones). */
export function registerInputLoader(loader: InputLoader): void {
  loaders.unshift(loader)
}

export function loadInput(file: string): LoadedImage {
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new Error('not a regular file')
    size = st.size
  } catch (e) {
    throw new Error(`cannot read input ${file}: ${(e as Error).message}`)
  }
  if (size > MAX_INPUT_BYTES) throw new Error(`input ${file} is ${(size / 1024 ** 3).toFixed(1)} GiB, above the 2 GiB limit`)
  if (size === 0) throw new Error(`input ${file} is empty`)
  const bytes = readFileSync(file)
  const head = bytes.subarray(0, 16)
  const loader = loaders.find((l) => l.accepts(file, head))
  if (!loader) throw new Error(`unsupported input ${file}: expected .npy, PNG or JPEG`)
  const loaded = loader.load(file, bytes)
  if (loaded.image.height < 8 || loaded.image.width < 8) {
    throw new Error(`input ${file} is ${loaded.image.height}×${loaded.image.width}; at least 8×8 is needed`)
  }
  return loaded
}
