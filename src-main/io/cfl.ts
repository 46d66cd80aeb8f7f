/**
 * BART's .cfl/.hdr pair: a text header with the dimensions (first dimension fastest, i.e.
 * column-major) and raw little-endian complex64 samples. Used for BART cross-checks and as a
 * k-space input format.
 */
import { readFileSync, statSync } from 'node:fs'
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.ts'
import type { CArray } from '../engine/complex.ts'

export interface CflArray {
  /** BART dimensions, first = fastest varying. Trailing singleton dimensions are kept as read. */
  dims: number[]
  data: CArray
}

const MAX_ELEMENTS = 2 ** 31

function basePath(file: string): string {
  return file.replace(/\.(cfl|hdr)$/i, '')
}

export function parseCflHeader(text: string, source: string): number[] {
  const lines = text.split(/\r?\n/)
  const at = lines.findIndex((l) => l.trim() === '# Dimensions')
  if (at < 0 || at + 1 >= lines.length) throw new Error(`${source}: not a BART header (no '# Dimensions' line)`)
  const dims = lines[at + 1].trim().split(/\s+/).map(Number)
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${source}: invalid dimensions '${lines[at + 1].trim()}'`)
  }
  return dims
}

export function readCfl(file: string): CflArray {
  const base = basePath(file)
  let headerText: string
  try {
    headerText = readFileSync(base + '.hdr', 'utf8')
  } catch (e) {
    throw new Error(`cannot read BART header ${base}.hdr: ${(e as Error).message}`)
  }
  const dims = parseCflHeader(headerText, base + '.hdr')
  const n = dims.reduce((a, b) => a * b, 1)
  if (n > MAX_ELEMENTS) throw new Error(`${base}.cfl: ${n} elements exceed the limit of ${MAX_ELEMENTS}`)
  let size: number
  try {
    size = statSync(base + '.cfl').size
  } catch (e) {
    throw new Error(`cannot read BART data ${base}.cfl: ${(e as Error).message}`)
  }
  if (size !== n * 8) {
    throw new Error(`${base}.cfl holds ${size} bytes but the header's dimensions [${dims.join(' ')}] need ${n * 8}`)
  }
  const bytes = readFileSync(base + '.cfl')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const re = new Float64Array(n)
  const im = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    re[i] = view.getFloat32(8 * i, true)
    im[i] = view.getFloat32(8 * i + 4, true)
  }
  return { dims, data: { re, im } }
}

export function writeCfl(file: string, dims: number[], data: CArray, options: AtomicWriteOptions = {}): void {
  const base = basePath(file)
  const n = dims.reduce((a, b) => a * b, 1)
  if (data.re.length !== n) throw new Error(`writeCfl: data has ${data.re.length} values, dimensions [${dims.join(' ')}] need ${n}`)
  const buf = new Uint8Array(n * 8)
  const view = new DataView(buf.buffer)
  for (let i = 0; i < n; i++) {
    view.setFloat32(8 * i, data.re[i], true)
    view.setFloat32(8 * i + 4, data.im[i], true)
  }
  const padded = dims.length < 16 ? [...dims, ...new Array(16 - dims.length).fill(1)] : dims
  writeFileAtomic(base + '.hdr', `# Dimensions\n${padded.join(' ')} \n`, options)
  writeFileAtomic(base + '.cfl', buf, options)
}
