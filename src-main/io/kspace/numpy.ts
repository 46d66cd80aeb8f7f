/**
 * k-space in NumPy files: complex64/complex128 arrays shaped (H, W), (coils, H, W) or
 * (slices, coils, H, W), C order (parseNpy transposes Fortran order), i.e. already our
 * slices × coils × rows × columns layout. A .npz contributes its 'kspace' member, or its only
 * complex member.
 */
import { openSync, readSync, closeSync, readFileSync, statSync } from 'node:fs'
import { parseNpy, type NpyArray } from '../npy.ts'
import { describeMembers, listNpz, readNpzMember, readNpzMemberBytes, type NpzEntry } from '../npz.ts'
import type { KspaceScan } from '../scan.ts'
import { MAX_KSPACE_SAMPLES, checkSize, deinterleave, finishScan, type KspaceLoadOptions } from './common.ts'

const DTYPE_NAMES: Record<string, string> = { c8: 'complex64', c16: 'complex128', f4: 'float32', f8: 'float64', f2: 'float16' }

/** descr and shape from the first bytes of a .npy, without reading the data (null if unclear). */
export function peekNpyHeader(head: Uint8Array): { descr: string; shape: number[] } | null {
  if (head.length < 12 || head[0] !== 0x93 || head[1] !== 0x4e || head[2] !== 0x55) return null
  const major = head[6]
  const start = major === 1 ? 10 : 12
  const len = major === 1 ? head[8] | (head[9] << 8) : head[8] | (head[9] << 8) | (head[10] << 16)
  const text = new TextDecoder('latin1').decode(head.subarray(start, Math.min(head.length, start + len)))
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1]
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1]
  if (descr === undefined || shapeText === undefined) return null
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number)
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) return null
  return { descr, shape }
}

export function isComplexDescr(descr: string): boolean {
  return /^[<>|=]?c(8|16)$/.test(descr)
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

export function loadNpyKspace(path: string, options: KspaceLoadOptions = {}): KspaceScan {
  const maxSamples = options.maxSamples ?? MAX_KSPACE_SAMPLES
  // Refuse oversized arrays from the header alone, before reading the data.
  const peek = peekNpyHeader(readHead(path, 4096))
  if (peek) {
    if (!isComplexDescr(peek.descr)) throw notComplex(path, peek.descr, peek.shape)
    checkSize(peek.shape, 'the array', path, maxSamples)
  } else if (statSync(path).size > maxSamples * 16 + 65536) {
    throw new Error(`${path}: file is larger than any k-space array within the limit of ${maxSamples} samples`)
  }
  const arr = parseNpy(readFileSync(path), path)
  return fromArray(arr, path, 'npy', { Format: 'NumPy .npy' }, [], maxSamples)
}

export function loadNpzKspace(path: string, options: KspaceLoadOptions = {}): KspaceScan {
  const maxSamples = options.maxSamples ?? MAX_KSPACE_SAMPLES
  const buf = readFileSync(path)
  const entries = listNpz(buf, path).filter((e) => e.fileName.endsWith('.npy'))
  const memberOptions = { maxMemberBytes: maxSamples * 16 + 65536 }
  let entry: NpzEntry | undefined
  let arr: NpyArray
  const notes: string[] = []
  if (options.dataset !== undefined || entries.some((e) => e.name === 'kspace')) {
    const want = options.dataset ?? 'kspace'
    entry = entries.find((e) => e.name === want)
    if (!entry) throw new Error(`${path}: no member '${want}'; the archive holds ${describeMembers(entries)}`)
    arr = readNpzMember(buf, entry, path, memberOptions)
  } else {
    // No 'kspace': take the only complex member, judging each by its header (the first bytes
    // of a stored member; deflated ones are inflated, as a member cannot be partly inflated here).
    const complex: { entry: NpzEntry; arr: NpyArray }[] = []
    const described: string[] = []
    for (const e of entries) {
      const peek = e.compression === 'stored' ? peekNpyHeader(readNpzMemberBytes(buf, e, path, memberOptions).subarray(0, 4096)) : null
      if (peek && !isComplexDescr(peek.descr)) {
        described.push(`'${e.name}' ${dtypeName(peek.descr)} (${peek.shape.join(', ')})`)
        continue
      }
      const a = readNpzMember(buf, e, path, memberOptions)
      described.push(`'${e.name}' ${dtypeName(a.descr)} (${a.shape.join(', ')})`)
      if (a.complex) complex.push({ entry: e, arr: a })
    }
    if (complex.length !== 1) {
      throw new Error(
        `${path}: ${complex.length === 0 ? 'no complex member' : `${complex.length} complex members`} and no member named 'kspace'; ` +
          `choose one with the dataset option. Members: ${described.join(', ') || 'none'}`
      )
    }
    entry = complex[0].entry
    arr = complex[0].arr
    notes.push(`member '${entry.name}' used: the archive's only complex array`)
  }
  const compression = entry.compression === 'deflate' ? 'deflated' : 'stored'
  return fromArray(arr, path, 'npz', { Format: 'NumPy .npz', Member: entry.name, Compression: compression }, notes, maxSamples)
}

function dtypeName(descr: string): string {
  const code = descr.replace(/^[<>|=]/, '')
  return DTYPE_NAMES[code] ?? descr
}

function notComplex(source: string, descr: string, shape: number[]): Error {
  return new Error(
    `${source}: k-space must be complex (complex64 or complex128), but the array is ${dtypeName(descr)} of shape (${shape.join(', ')}); ` +
      'a real array is an image, not k-space'
  )
}

function fromArray(
  arr: NpyArray, path: string, format: 'npy' | 'npz', metadata: Record<string, string | number>, notes: string[], maxSamples: number
): KspaceScan {
  const source = format === 'npz' ? `${path} [${metadata.Member}]` : path
  if (!arr.complex) throw notComplex(source, arr.descr, arr.shape)
  const shape = arr.shape
  let dims: [number, number, number, number]
  if (shape.length === 2) dims = [1, 1, shape[0], shape[1]]
  else if (shape.length === 3) dims = [1, shape[0], shape[1], shape[2]]
  else if (shape.length === 4) dims = [shape[0], shape[1], shape[2], shape[3]]
  else {
    throw new Error(`${source}: k-space must have shape (H, W), (coils, H, W) or (slices, coils, H, W); got ${shape.length}-D shape (${shape.join(', ')})`)
  }
  checkSize(dims, 'the array', source, maxSamples)
  if (dims[2] < 2 || dims[3] < 2) throw new Error(`${source}: k-space planes of ${dims[2]}×${dims[3]} are too small; is the axis order (…, H, W)?`)
  const n = dims[0] * dims[1] * dims[2] * dims[3]
  const { re, im } = deinterleave(arr.data, n)
  if (shape.length === 3) notes.push(`axis 0 of the 3-D array read as ${dims[1]} coils`)
  return finishScan({
    path,
    format,
    slices: dims[0],
    coils: dims[1],
    rows: dims[2],
    columns: dims[3],
    re,
    im,
    metadata: { ...metadata, Shape: shape.join('×'), Dtype: dtypeName(arr.descr) },
    notes
  })
}
