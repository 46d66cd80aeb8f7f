/**
 * fastMRI HDF5 files (https://fastmri.org, facebookresearch/fastMRI data/mri_data.py):
 *   kspace              complex64 (h5py compound {r, i}), (slices, H, W) single-coil or
 *                       (slices, coils, H, W) multi-coil; H = readout (kx, 2× oversampled),
 *                       W = phase encoding (ky, the undersampled axis in the test sets)
 *   reconstruction_rss  float32 (slices, 320, 320): RSS of the fully sampled data, cropped
 *   reconstruction_esc  the single-coil equivalent
 *   ismrmrd_header      the ISMRMRD XML header as a bytes/string scalar
 *   mask                (test/challenge files) the sampled columns
 *   attrs               acquisition, max, norm, patient_id (+ acceleration, num_low_frequency)
 * The k-space is stored centred (fastMRI's ifft2c applies ifftshift first); finishScan checks.
 * fastMRI crops images to (reconSpace x, reconSpace y) over (H, W), so reconSize is [x, y].
 */
import type { KspaceScan } from '../scan.ts'
import { checkSize, finishScan, type KspaceLoadOptions } from './common.ts'
import { asText, complexLayout, decodeComplex, describeMetadata, H5T_FLOAT, type H5Reader } from './h5.ts'
import { parseIsmrmrdHeader, type IsmrmrdHeader } from './ismrmrd-header.ts'

const ATTR_NAMES: Record<string, string> = {
  acquisition: 'Acquisition',
  max: 'Max',
  norm: 'Norm',
  patient_id: 'PatientID',
  acceleration: 'Acceleration',
  num_low_frequency: 'NumLowFrequency'
}

export function isFastMri(h5: H5Reader, dataset = 'kspace'): boolean {
  return h5.dataset(dataset) !== null
}

export function loadFastMri(h5: H5Reader, options: KspaceLoadOptions = {}): KspaceScan {
  const path = h5.path
  const name = options.dataset ?? 'kspace'
  const ds = h5.dataset(name)
  if (!ds) throw new Error(`${path}: no dataset '${name}'; the file holds ${h5.describe()}`)
  const meta = h5.metadata(ds)
  const shape = meta.shape ?? []
  const layout = complexLayout(meta)
  if (!layout) {
    throw new Error(`${path}: dataset '${name}' is ${describeMetadata(meta)}; k-space must be complex (a compound of two floats named r and i, as h5py writes complex64)`)
  }
  let dims: [number, number, number, number]
  if (shape.length === 4) dims = [shape[0], shape[1], shape[2], shape[3]]
  else if (shape.length === 3) dims = [shape[0], 1, shape[1], shape[2]]
  else if (shape.length === 2) dims = [1, 1, shape[0], shape[1]]
  else throw new Error(`${path}: dataset '${name}' has shape (${shape.join(', ')}); fastMRI k-space is (slices, H, W) or (slices, coils, H, W)`)
  const [slices, coils, rows, columns] = dims
  const n = checkSize(dims, `dataset '${name}'`, path, options.maxSamples)

  const re = new Float32Array(n)
  const im = new Float32Array(n)
  const perSlice = coils * rows * columns
  // One slice at a time keeps the WebAssembly heap small whatever the volume size.
  for (let s = 0; s < slices; s++) {
    const bytes = h5.readRaw(ds, [s], shape.length === 2 ? [] : [1])
    decodeComplex(bytes, layout, re, im, s * perSlice)
  }

  const notes: string[] = []
  const metadata: Record<string, string | number> = {
    Format: 'fastMRI HDF5',
    Dataset: name,
    Shape: shape.join('×'),
    Dtype: layout.dtype
  }
  for (const [k, v] of Object.entries(h5.attributes())) metadata[ATTR_NAMES[k] ?? k] = v

  let header: IsmrmrdHeader | undefined
  const headerDs = h5.dataset('ismrmrd_header')
  if (headerDs) {
    const text = asText(h5.value(headerDs))
    if (text === null) notes.push(`ismrmrd_header is ${describeMetadata(h5.metadata(headerDs))}, not text; ignored`)
    else {
      // The k-space is usable without its header: a broken one costs the recon matrix only.
      try {
        header = parseIsmrmrdHeader(text, 'ismrmrd_header')
        Object.assign(metadata, header.metadata)
      } catch (e) {
        notes.push(`${(e as Error).message}; recon matrix unknown`)
      }
    }
  } else {
    notes.push('no ismrmrd_header: recon matrix unknown')
  }

  const reference = readReference(h5, slices, notes)
  let reconSize: [number, number] | undefined
  if (header?.reconMatrix) {
    reconSize = [header.reconMatrix[0], header.reconMatrix[1]]
    if (reconSize[0] > rows || reconSize[1] > columns) {
      notes.push(`recon matrix ${reconSize[0]}×${reconSize[1]} exceeds the k-space ${rows}×${columns}; not used`)
      reconSize = undefined
    }
  }
  if (!reconSize && reference) reconSize = [reference.rows, reference.columns]
  if (reference && reconSize && (reference.rows !== reconSize[0] || reference.columns !== reconSize[1])) {
    notes.push(`reference is ${reference.rows}×${reference.columns} but the recon matrix is ${reconSize[0]}×${reconSize[1]}`)
  }

  const maskDs = h5.dataset('mask')
  if (maskDs) {
    const mask = h5.value(maskDs)
    if (ArrayBuffer.isView(mask) && (mask as unknown as ArrayLike<number>).length === columns) {
      const m = mask as unknown as ArrayLike<number>
      let k = 0
      for (let i = 0; i < columns; i++) if (Number(m[i]) !== 0) k++
      metadata.MaskColumns = k
      notes.push(`file mask: ${k} of ${columns} columns sampled`)
    }
  }

  const kind = shape.length === 4 ? `multicoil (${coils} coils)` : 'singlecoil'
  const summary = [`fastMRI ${kind}`, `rows = readout (kx), columns = phase encoding (ky)`]
  if (reconSize) summary.push(`recon matrix ${reconSize[0]}×${reconSize[1]}`)
  const scan = finishScan({ path, format: 'fastmri-h5', slices, coils, rows, columns, re, im, metadata, notes: [summary.join(', '), ...notes], reference, reconSize })
  return scan
}

function readReference(h5: H5Reader, slices: number, notes: string[]): KspaceScan['reference'] {
  for (const name of ['reconstruction_rss', 'reconstruction_esc']) {
    const ds = h5.dataset(name)
    if (!ds) continue
    const m = h5.metadata(ds)
    const shape = m.shape ?? []
    if (m.type !== H5T_FLOAT || shape.length !== 3 || shape[0] !== slices) {
      notes.push(`${name} is ${describeMetadata(m)}, expected float (${slices}, H, W); ignored`)
      continue
    }
    checkSize(shape, `dataset '${name}'`, h5.path)
    const v = h5.value(ds)
    if (!(v instanceof Float32Array || v instanceof Float64Array)) continue
    notes.push(`reference image: ${name} (${shape.join('×')})`)
    return { rows: shape[1], columns: shape[2], data: v instanceof Float32Array ? v : Float32Array.from(v) }
  }
  return undefined
}
