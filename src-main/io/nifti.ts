/**
 * NIfTI-1 volumes (.nii, .nii.gz): header, voxel data and the scl_slope/scl_inter rescale.
 * Data come back as float64 with x fastest (the file's order). Header fields are validated
 * before any allocation, so a corrupt or hostile file gives a clear error, not a huge buffer.
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

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
