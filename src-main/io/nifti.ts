/**
 * NIfTI-1 volumes (.nii, .nii.gz): header, voxel data and the scl_slope/scl_inter rescale.
 * Data come back as float64 with x fastest (the file's order). Header fields are validated
 * before any allocation, so a corrupt or hostile file gives a clear error, not a huge buffer.
 * Writing (encodeNifti, writeNiftiFile) produces float32 single-file volumes.
 */
import { readFileSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.ts'
import type { Geometry } from './scan.ts'

export interface NiftiVolume {
  /** Spatial/temporal dimensions [nx, ny, nz, nt, …] (trailing singletons dropped, at least 3). */
  dims: number[]
  /** Voxel sizes in mm (pixdim[1..3]). */
  spacing: [number, number, number]
  datatype: string
  data: Float64Array
  description: string
}

const MAX_VOXELS = 2 ** 28

const TYPES: Record<number, { name: string; bytes: number; read: (v: DataView, o: number, le: boolean) => number }> = {
  2: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o) },
  4: { name: 'int16', bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  8: { name: 'int32', bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  16: { name: 'float32', bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  64: { name: 'float64', bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  256: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o) },
  512: { name: 'uint16', bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  768: { name: 'uint32', bytes: 4, read: (v, o, le) => v.getUint32(o, le) }
}

export function readNiftiFile(file: string): NiftiVolume {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`)
  }
  return parseNifti(bytes, file)
}

export function parseNifti(input: Uint8Array, source = 'NIfTI data'): NiftiVolume {
  let bytes = input
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // Cap the inflated size so a gzip bomb fails fast instead of exhausting memory.
      bytes = gunzipSync(bytes, { maxOutputLength: 2 ** 31 })
    } catch (e) {
      throw new Error(`${source}: corrupt gzip stream (${(e as Error).message})`)
    }
  }
  if (bytes.length < 348) throw new Error(`${source}: too short for a NIfTI-1 header (${bytes.length} bytes)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let le = true
  if (view.getInt32(0, true) !== 348) {
    if (view.getInt32(0, false) === 348) le = false
    else throw new Error(`${source}: not a NIfTI-1 file (sizeof_hdr is not 348)`)
  }
  const magic = String.fromCharCode(bytes[344], bytes[345], bytes[346])
  if (magic !== 'n+1') throw new Error(`${source}: unsupported NIfTI magic '${magic}' (only single-file n+1 is supported)`)
  const ndim = view.getInt16(40, le)
  if (ndim < 1 || ndim > 7) throw new Error(`${source}: invalid number of dimensions ${ndim}`)
  const dims: number[] = []
  for (let i = 1; i <= ndim; i++) {
    const d = view.getInt16(40 + 2 * i, le)
    if (d < 1) throw new Error(`${source}: invalid dimension ${i}: ${d}`)
    dims.push(d)
  }
  while (dims.length < 3) dims.push(1)
  while (dims.length > 3 && dims[dims.length - 1] === 1) dims.pop()
  const n = dims.reduce((a, b) => a * b, 1)
  if (n > MAX_VOXELS) throw new Error(`${source}: ${n} voxels exceed the limit of ${MAX_VOXELS}`)
  const code = view.getInt16(70, le)
  const type = TYPES[code]
  if (!type) throw new Error(`${source}: unsupported NIfTI datatype code ${code}`)
  const voxOffset = Math.floor(view.getFloat32(108, le))
  if (!(voxOffset >= 348) || voxOffset > bytes.length) throw new Error(`${source}: invalid vox_offset ${voxOffset}`)
  const need = voxOffset + n * type.bytes
  if (bytes.length < need) throw new Error(`${source}: truncated voxel data (${bytes.length} bytes, need ${need})`)
  let slope = view.getFloat32(112, le)
  let inter = view.getFloat32(116, le)
  // NIfTI: slope 0 means "no scaling".
  if (!Number.isFinite(slope) || slope === 0) {
    slope = 1
    inter = 0
  }
  if (!Number.isFinite(inter)) inter = 0
  const data = new Float64Array(n)
  for (let i = 0, o = voxOffset; i < n; i++, o += type.bytes) data[i] = type.read(view, o, le) * slope + inter
  const spacing: [number, number, number] = [view.getFloat32(80, le), view.getFloat32(84, le), view.getFloat32(88, le)]
  return {
    dims,
    spacing,
    datatype: type.name,
    data,
    description: `NIfTI-1 ${dims.join('×')} ${type.name}, ${spacing.map((s) => s.toFixed(2)).join('×')} mm`
  }
}

/**
 * Axial slice z of a 3-D volume as a row-major image with anterior at the top: rows run
 * along −y, columns along x (radiological display convention for RAS-stored volumes).
 */
export function axialSlice(vol: NiftiVolume, z: number): { height: number; width: number; data: Float64Array } {
  const [nx, ny, nz] = vol.dims
  if (!Number.isInteger(z) || z < 0 || z >= nz) throw new Error(`slice ${z} is outside 0..${nz - 1}`)
  const out = new Float64Array(nx * ny)
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) out[(ny - 1 - y) * nx + x] = vol.data[z * nx * ny + y * nx + x]
  }
  return { height: ny, width: nx, data: out }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** What encodeNifti writes: voxels in NIfTI order (x fastest, then y, then z, then t…). */
export interface NiftiWriteVolume {
  /** [nx, ny, nz, …], 1 to 7 dimensions, each 1…32767 (the header stores them as int16). */
  dims: number[]
  /** Voxel sizes in mm for x, y, z (and, for a 4th dimension, its step). Default 1. */
  spacing?: number[]
  /** Stored as float32 (a Float64Array is rounded to float32). */
  data: Float32Array | Float64Array
  /** Goes into the header's 80-byte descrip field (ASCII, cut at 79 characters). */
  description?: string
}

export interface NiftiWriteOptions {
  /** Compress with gzip (a .nii.gz file). Default false. */
  gzip?: boolean
}

const HEADER_BYTES = 348
/** Header plus the 4-byte extension flag (no extensions): the data start at 352, as NIfTI-1 requires a multiple of 16. */
const VOX_OFFSET = 352

/**
 * NIfTI-1 single-file (n+1) bytes, little-endian float32, scl_slope 1 / scl_inter 0 (values are
 * stored as they are, so there is nothing to rescale).
 *
 * The voxel-to-world transform is a plain diagonal scaling by the spacing, written both as the
 * qform (identity rotation) and the sform, with code 2 (NIFTI_XFORM_ALIGNED_ANAT): viewers then
 * use the voxel sizes, while the code does not claim these are the scanner's own coordinates
 * (code 1), which a reconstruction does not know. Orientation and origin are therefore not
 * preserved; see niftiVolumeFromImage for how image axes map to voxel axes.
 */
export function encodeNifti(volume: NiftiWriteVolume, options: NiftiWriteOptions = {}): Uint8Array {
  const { dims, data } = volume
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > 7) throw new Error(`cannot encode NIfTI: needs 1 to 7 dimensions, got ${JSON.stringify(dims)}`)
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1 || d > 32767) throw new Error(`cannot encode NIfTI: dimension ${d} is not an integer in 1…32767 (dims ${dims.join('×')})`)
  }
  const n = dims.reduce((a, b) => a * b, 1)
  if (n > MAX_VOXELS) throw new Error(`cannot encode NIfTI: ${n} voxels exceed the limit of ${MAX_VOXELS}`)
  if (data.length !== n) throw new Error(`cannot encode NIfTI: ${data.length} values for dims ${dims.join('×')} (needs ${n})`)
  const spacing = [1, 1, 1, 1, 1, 1, 1]
  ;(volume.spacing ?? []).forEach((s, i) => {
    if (i >= 7) return
    if (!Number.isFinite(s) || s <= 0) throw new Error(`cannot encode NIfTI: spacing ${i} is ${s}; it must be a positive number`)
    spacing[i] = s
  })
  for (let i = 0; i < n; i++) {
    // A NaN or infinity usually means a diverged reconstruction; writing it would hide that.
    if (!Number.isFinite(data[i])) throw new Error(`cannot encode NIfTI: value ${data[i]} at voxel ${i}`)
  }

  const out = new Uint8Array(VOX_OFFSET + 4 * n)
  const v = new DataView(out.buffer)
  v.setInt32(0, HEADER_BYTES, true) // sizeof_hdr
  out[38] = 0x72 // regular = 'r' (unused, but some old readers check it)
  v.setInt16(40, dims.length, true)
  for (let i = 0; i < 7; i++) v.setInt16(42 + 2 * i, i < dims.length ? dims[i] : 1, true)
  v.setInt16(70, 16, true) // datatype NIFTI_TYPE_FLOAT32
  v.setInt16(72, 32, true) // bitpix
  v.setFloat32(76, 1, true) // pixdim[0] = qfac: +1, a right-handed voxel grid
  for (let i = 0; i < 7; i++) v.setFloat32(80 + 4 * i, spacing[i], true)
  v.setFloat32(108, VOX_OFFSET, true)
  v.setFloat32(112, 1, true) // scl_slope
  v.setFloat32(116, 0, true) // scl_inter
  out[123] = dims.length > 3 ? 2 | 8 : 2 // xyzt_units: mm (and seconds for a 4th dimension)
  writeAscii(out, 148, 80, volume.description ?? '')
  v.setInt16(252, 2, true) // qform_code: aligned anatomy
  v.setInt16(254, 2, true) // sform_code: aligned anatomy
  // quatern_b/c/d and qoffset_x/y/z stay 0: identity rotation, origin at voxel (0, 0, 0).
  v.setFloat32(280, spacing[0], true) // srow_x = [dx 0 0 0]
  v.setFloat32(296 + 4, spacing[1], true) // srow_y = [0 dy 0 0]
  v.setFloat32(312 + 8, spacing[2], true) // srow_z = [0 0 dz 0]
  out.set([0x6e, 0x2b, 0x31, 0x00], 344) // magic "n+1\0"
  // Bytes 348…351 (extension flag) stay 0: no header extensions.

  if (data instanceof Float32Array && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
    // Little-endian machine: the float32 bytes are already in file order.
    out.set(new Uint8Array(data.buffer, data.byteOffset, 4 * n), VOX_OFFSET)
  } else {
    for (let i = 0; i < n; i++) v.setFloat32(VOX_OFFSET + 4 * i, data[i], true)
  }
  return options.gzip ? new Uint8Array(gzipSync(out)) : out
}

/**
 * Write a NIfTI-1 file atomically (refuses to overwrite unless options.overwrite); gzip-compressed
 * when the name ends in .nii.gz. Any other name than *.nii / *.nii.gz is refused, because other
 * tools decide by the extension whether to decompress.
 */
export function writeNiftiFile(file: string, volume: NiftiWriteVolume, options: AtomicWriteOptions = {}): void {
  const lower = file.toLowerCase()
  const gzip = lower.endsWith('.nii.gz')
  if (!gzip && !lower.endsWith('.nii')) throw new Error(`Cannot write ${file}: a NIfTI file name must end in .nii or .nii.gz`)
  let bytes: Uint8Array
  try {
    bytes = encodeNifti(volume, { gzip })
  } catch (err) {
    throw new Error(`Cannot write ${file}: ${(err as Error).message}`, { cause: err })
  }
  writeFileAtomic(file, bytes, options)
}

/**
 * An image stack (frames × rows × columns, row-major, as in ImageScan) as a NIfTI volume, the
 * exact inverse of axialSlice: i = column, j = rows − 1 − row (the top row is the largest y,
 * "anterior at the top"), k = frame. So a volume read with parseNifti, cut into slices with
 * axialSlice and written back through here holds the same voxels in the same places.
 *
 * Spacing: x = between columns (PixelSpacing[1]), y = between rows (PixelSpacing[0]),
 * z = SliceSpacing, else SliceThickness, else 1.
 */
export function niftiVolumeFromImage(
  image: { frames: number; rows: number; columns: number; data: ArrayLike<number> },
  geometry: Geometry = {},
  description?: string
): NiftiWriteVolume {
  const { frames, rows, columns } = image
  const plane = rows * columns
  if (image.data.length !== frames * plane) {
    throw new Error(`image data holds ${image.data.length} values, ${frames}×${rows}×${columns} = ${frames * plane} expected`)
  }
  const data = new Float32Array(frames * plane)
  for (let k = 0; k < frames; k++) {
    for (let r = 0; r < rows; r++) {
      const src = k * plane + r * columns
      const dst = k * plane + (rows - 1 - r) * columns
      for (let c = 0; c < columns; c++) data[dst + c] = image.data[src + c]
    }
  }
  const ps = geometry.pixelSpacing
  const dz = geometry.sliceSpacing ?? geometry.sliceThickness ?? 1
  return { dims: [columns, rows, frames], spacing: [ps?.[1] ?? 1, ps?.[0] ?? 1, dz > 0 ? dz : 1], data, description }
}

function writeAscii(out: Uint8Array, at: number, size: number, text: string): void {
  // The field is NUL-terminated ASCII; anything else is replaced so that every reader shows the same text.
  const s = text.replace(/[^\x20-\x7e]/g, '?').slice(0, size - 1)
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i)
}
