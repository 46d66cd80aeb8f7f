/**
 * Raw MRI k-space from disk, whatever the format, as one KspaceScan (slices × coils × rows ×
 * columns, centred, float32): fastMRI and ISMRMRD HDF5, BART .cfl/.hdr, NumPy .npy/.npz.
 * Pure Node (h5wasm for HDF5): usable from the CLI, tests and the Electron main process alike.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { basename, extname } from 'node:path'
import type { KspaceScan } from '../scan.ts'
import type { KspaceLoadOptions } from './common.ts'
import { loadCflKspace } from './bart.ts'
import { loadNpyKspace, loadNpzKspace, peekNpyHeader, isComplexDescr } from './numpy.ts'
import { H5Reader, summariseH5Error } from './h5.ts'
import { isFastMri, loadFastMri } from './fastmri.ts'
import { isIsmrmrd, loadIsmrmrd } from './ismrmrd.ts'

export type { KspaceLoadOptions } from './common.ts'
export { MAX_KSPACE_SAMPLES } from './common.ts'
export { zeroFilledRss, coilImages } from './recon.ts'

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]

function startsWith(head: Uint8Array, magic: number[], at = 0): boolean {
  return head.length >= at + magic.length && magic.every((b, i) => head[at + i] === b)
}

/** HDF5 signature at 0, or after a user block (512, 1024, 2048 … bytes). */
export function isHdf5(head: Uint8Array): boolean {
  for (let at = 0; at + 8 <= head.length; at = at === 0 ? 512 : at * 2) if (startsWith(head, HDF5_MAGIC, at)) return true
  return false
}

type Kind = 'hdf5' | 'cfl' | 'npz' | 'npy'

function detect(path: string, head: Uint8Array): Kind | null {
  const ext = extname(path).toLowerCase()
  if (isHdf5(head)) return 'hdf5'
  if (ext === '.cfl' || ext === '.hdr') return 'cfl'
  if (startsWith(head, NPY_MAGIC)) return 'npy'
  if (startsWith(head, ZIP_MAGIC) || ext === '.npz') return 'npz'
  if (ext === '.npy') return 'npy'
  return null
}

/**
 * True for files that can only be k-space here: HDF5 (fastMRI/ISMRMRD; no other HDF5 is read)
 * and BART .cfl/.hdr. NumPy files hold images as often as k-space, so they are claimed only
 * when complex and named as k-space (e.g. cartesian_ksp.npy, kspace.npz); otherwise the caller
 * decides (LoadOptions.domain).
 */
export function isKspaceFile(path: string, head: Uint8Array): boolean {
  const kind = detect(path, head)
  if (kind === 'hdf5' || kind === 'cfl') return true
  if (kind === null || !/k-?space|ksp/i.test(basename(path))) return false
  if (kind === 'npz') return true
  const peek = peekNpyHeader(head)
  return peek !== null && isComplexDescr(peek.descr)
}

function readHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r')
  try {
    const buf = new Uint8Array(n)
    return buf.subarray(0, readSync(fd, buf, 0, n, 0))
  } finally {
    closeSync(fd)
  }
}

export async function loadKspace(path: string, options: KspaceLoadOptions = {}): Promise<KspaceScan> {
  const ext = extname(path).toLowerCase()
  // A .hdr names its .cfl; the data file is the one that must exist.
  const dataPath = ext === '.hdr' ? path.slice(0, -4) + '.cfl' : path
  try {
    const st = statSync(dataPath)
    if (!st.isFile()) throw new Error('not a regular file')
    if (st.size === 0) throw new Error('the file is empty')
  } catch (e) {
    throw new Error(`cannot read k-space ${dataPath}: ${(e as Error).message}`)
  }
  const head = readHead(dataPath, 4096)
  const kind = detect(path, head)
  switch (kind) {
    case 'cfl':
      return loadCflKspace(path, options)
    case 'npy':
      return loadNpyKspace(path, options)
    case 'npz':
      return loadNpzKspace(path, options)
    case 'hdf5':
      return loadHdf5(path, options)
    default:
      if (['.h5', '.hdf5', '.mrd', '.ismrmrd'].includes(ext)) {
        throw new Error(`${path}: not an HDF5 file (no HDF5 signature); the file may be truncated at the start or not HDF5 at all`)
      }
      throw new Error(`${path}: unsupported k-space file; expected fastMRI/ISMRMRD HDF5 (.h5), BART .cfl/.hdr, or NumPy .npy/.npz`)
  }
}

async function loadHdf5(path: string, options: KspaceLoadOptions): Promise<KspaceScan> {
  const h5 = await H5Reader.open(path)
  try {
    const name = options.dataset
    if (name !== undefined) {
      if (h5.dataset(name)) return loadFastMri(h5, options)
      if (isIsmrmrd(h5, name)) return loadIsmrmrd(h5, options)
      throw new Error(`${path}: '${name}' is neither a k-space dataset nor an ISMRMRD group; the file holds ${h5.describe()}`)
    }
    if (isFastMri(h5)) return loadFastMri(h5, options)
    if (isIsmrmrd(h5)) return loadIsmrmrd(h5, options)
    throw new Error(`${path}: no k-space found: neither a fastMRI 'kspace' dataset nor ISMRMRD '/dataset/data'; the file holds ${h5.describe()}`)
  } catch (e) {
    // Every libhdf5 call should go through H5Reader.guard; this is the net for one that did not.
    if ((e as Error).message?.includes(path)) throw e
    throw new Error(`${path}: cannot read the HDF5 file (corrupt?): ${summariseH5Error(e)}`, { cause: e })
  } finally {
    h5.close()
  }
}
