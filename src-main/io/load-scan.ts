/**
 * Open anything a user can bring — a file or a folder — as Scans, through a registry of
 * loaders chosen by content (magic bytes) first and file name second. DICOM folders may hold
 * several series, so loading returns a list.
 */
import { existsSync, openSync, readSync, closeSync, readFileSync, statSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { parseNpy } from './npy.ts'
import { decodeImage, detectImageFormat } from './image.ts'
import { parseNifti, axialSlice } from './nifti.ts'
import { loadDicomPath, isDicom } from './dicom/index.ts'
import { loadKspace, isKspaceFile } from './kspace/index.ts'
import type { ImageScan, Scan, ScanFormat } from './scan.ts'
import { checkPeakRange, peakMagnitude } from './value-range.ts'

export type Domain = 'image' | 'kspace'

export interface LoadOptions {
  /** For formats that can hold either (NumPy, BART cfl): which one the data are. */
  domain?: Domain
}

export interface ScanLoader {
  name: string
  /** `head` is the first bytes of the file (empty for a directory). */
  accepts(path: string, head: Uint8Array, isDirectory: boolean, options: LoadOptions): boolean
  load(path: string, options: LoadOptions): Promise<Scan[]>
}

const MAX_FILE_BYTES = 4 * 1024 ** 3
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

function lowerName(path: string): string {
  return basename(path).toLowerCase()
}

function provenance(path: string, format: ScanFormat, notes: string[] = []): ImageScan['provenance'] {
  return { path, files: [path], format, notes }
}

const dicomLoader: ScanLoader = {
  name: 'dicom',
  accepts: (path, head, isDir) => isDir || lowerName(path) === 'dicomdir' || isDicom(head) || /\.(dcm|dicom|ima)(\.gz)?$/i.test(path),
  load: (path) => loadDicomPath(path)
}

const kspaceLoader: ScanLoader = {
  name: 'kspace',
  accepts: (path, head, _isDir, options) => {
    if (HDF5_MAGIC.every((b, i) => head[i] === b)) return true
    if (/\.(cfl|hdr)$/i.test(path)) return options.domain !== 'image'
    if (options.domain) return options.domain === 'kspace' && /\.(npy|npz)$/i.test(path)
    // Without --domain, NumPy files count as k-space only when complex and named so (ksp…).
    return isKspaceFile(path, head)
  },
  load: async (path) => [await loadKspace(path)]
}

const niftiLoader: ScanLoader = {
  name: 'nifti',
  accepts: (path) => /\.nii(\.gz)?$/i.test(path),
  async load(path) {
    const vol = parseNifti(readFileSync(path), path)
    const [nx, ny, nz] = vol.dims
    const frames = vol.dims.slice(2).reduce((a, b) => a * b, 1)
    const data = new Float32Array(frames * nx * ny)
    for (let z = 0; z < frames; z++) {
      // axialSlice for z < nz; 4-D volumes continue frame by frame (time points).
      const s = axialSlice({ ...vol, dims: [nx, ny, frames], data: vol.data }, z)
      data.set(s.data, z * nx * ny)
    }
    const notes = [`displayed as axial slices: rows run anterior→posterior, columns along x${vol.dims.length > 3 ? `; ${vol.dims.slice(3).join('×')} volumes stacked after the ${nz} slices` : ''}`]
    return [{
      kind: 'image',
      frames,
      rows: ny,
      columns: nx,
      samples: 1,
      data,
      geometry: { pixelSpacing: [vol.spacing[1], vol.spacing[0]], sliceThickness: vol.spacing[2] },
      display: {},
      metadata: { Description: vol.description },
      provenance: provenance(path, 'nifti', notes)
    }]
  }
}

const npyImageLoader: ScanLoader = {
  name: 'npy-image',
  accepts: (path, head) => extname(path).toLowerCase() === '.npy' || (head[0] === 0x93 && head[1] === 0x4e),
  async load(path) {
    const arr = parseNpy(readFileSync(path), path)
    const shape = arr.shape.filter((d, i) => !(d === 1 && i < arr.shape.length - 2))
    if (shape.length < 2 || shape.length > 3) {
      throw new Error(`${path}: an image array must be 2-D (H, W) or 3-D (frames, H, W); got shape (${arr.shape.join(', ')})`)
    }
    const [frames, rows, columns] = shape.length === 3 ? shape : [1, ...shape]
    const n = frames * rows * columns
    checkPeakRange(peakMagnitude(arr.complex ? [arr.complex.re, arr.complex.im] : [arr.data]), path)
    const data = new Float32Array(n)
    let imag: Float32Array | undefined
    if (arr.complex) {
      imag = new Float32Array(n)
      for (let i = 0; i < n; i++) {
        data[i] = arr.complex.re[i]
        imag[i] = arr.complex.im[i]
      }
    } else {
      const d = arr.data
      for (let i = 0; i < n; i++) data[i] = Number(d[i])
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(data[i]) || (imag && !Number.isFinite(imag[i]))) throw new Error(`${path} contains NaN or Infinity values`)
    }
    return [{
      kind: 'image', frames, rows, columns, samples: 1, data, imag,
      geometry: {}, display: {},
      metadata: { Description: `NumPy ${arr.dtype} ${arr.shape.join('×')}` },
      provenance: provenance(path, 'npy')
    }]
  }
}

const pictureLoader: ScanLoader = {
  name: 'picture',
  // A DICOM file's 128-byte preamble may hold a TIFF header (dual DICOM/TIFF files, e.g.
  // pydicom's MR_small.dcm): the DICM magic after it wins.
  accepts: (_path, head) => detectImageFormat(head) !== null && !isDicom(head),
  async load(path) {
    const img = decodeImage(readFileSync(path), path)
    const notes = img.colorConverted ? ['colour converted to gray (ITU-R BT.601 luma)'] : []
    return [{
      kind: 'image', frames: 1, rows: img.height, columns: img.width, samples: 1,
      data: Float32Array.from(img.gray),
      geometry: {}, display: {},
      metadata: { Description: img.description, BitDepth: img.bitDepth },
      provenance: provenance(path, img.format as ScanFormat, notes)
    }]
  }
}

/** Order matters: content checks that cannot misfire first, name-based guesses last. */
const loaders: ScanLoader[] = [pictureLoader, kspaceLoader, niftiLoader, npyImageLoader, dicomLoader]

export function registerScanLoader(loader: ScanLoader): void {
  loaders.unshift(loader)
}

function readHead(path: string, n = 1024): Uint8Array {
  const fd = openSync(path, 'r')
  try {
    const buf = new Uint8Array(n)
    const got = readSync(fd, buf, 0, n, 0)
    return buf.subarray(0, got)
  } finally {
    closeSync(fd)
  }
}

export async function loadScans(path: string, options: LoadOptions = {}): Promise<Scan[]> {
  if (!existsSync(path)) throw new Error(`cannot read input ${path}: no such file or directory`)
  const st = statSync(path)
  const isDir = st.isDirectory()
  if (!isDir && !st.isFile()) throw new Error(`cannot read input ${path}: not a regular file or directory`)
  if (!isDir && st.size === 0) throw new Error(`input ${path} is empty`)
  if (!isDir && st.size > MAX_FILE_BYTES) throw new Error(`input ${path} is ${(st.size / 1024 ** 3).toFixed(1)} GiB, above the 4 GiB limit`)
  const head = isDir ? new Uint8Array(0) : readHead(path)
  const loader = loaders.find((l) => l.accepts(path, head, isDir, options))
  if (!loader) {
    throw new Error(`unsupported input ${path}: expected DICOM, NIfTI, PNG/JPEG/TIFF, NumPy (.npy/.npz), BART .cfl or HDF5 k-space`)
  }
  const scans = await loader.load(path, options)
  if (scans.length === 0) throw new Error(`${path}: no images or k-space found`)
  return scans
}
