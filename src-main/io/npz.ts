/**
 * NumPy .npz archives: a ZIP file of .npy members (numpy.savez stores them, savez_compressed
 * deflates them). Only what numpy writes is needed, so the ZIP reader here is small: it reads
 * the central directory (the authoritative member list; local headers may carry placeholder
 * sizes), checks every offset and size against the file before touching the data, inflates
 * with a hard output cap, and verifies each member's CRC-32.
 *
 * ZIP64 archives (over 4 GiB or 65535 members) are refused with a clear message: nothing that
 * fits the .npy element limit needs them. ZIP64 extra fields on individual members (numpy
 * writes them in local headers) are fine, because sizes are taken from the central directory.
 */
import * as fs from 'node:fs'
import { crc32, inflateRawSync } from 'node:zlib'
import { parseNpy, type NpyArray } from './npy.ts'

export interface NpzEntry {
  /** Member name without the .npy suffix, as numpy's NpzFile presents it (e.g. 'kspace'). */
  name: string
  /** Name inside the ZIP (e.g. 'kspace.npy'). */
  fileName: string
  compression: 'stored' | 'deflate'
  compressedSize: number
  size: number
  crc32: number
  /** Offset of the member's local file header. */
  headerOffset: number
}

export interface NpzOptions {
  /** Largest uncompressed member accepted, in bytes (default 4 GiB − 1, the ZIP32 limit). */
  maxMemberBytes?: number
  /** Only these members (names without .npy); default all .npy members. */
  members?: string[]
}

const SIG_LOCAL = 0x04034b50
const SIG_CENTRAL = 0x02014b50
const SIG_EOCD = 0x06054b50
const SIG_ZIP64_LOCATOR = 0x07064b50
const EOCD_SIZE = 22
const MAX_COMMENT = 0xffff
const DEFAULT_MAX_MEMBER = 0xffffffff

function fail(source: string, msg: string): never {
  throw new Error(`${source}: ${msg}`)
}

/** Read the member list from the central directory; nothing is decompressed. */
export function listNpz(buf: Uint8Array, source = 'NPZ data'): NpzEntry[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  if (buf.length < EOCD_SIZE) fail(source, `not a .npz (ZIP) archive: only ${buf.length} bytes`)
  if (view.getUint32(0, true) !== SIG_LOCAL && view.getUint32(0, true) !== SIG_EOCD) {
    fail(source, 'not a .npz (ZIP) archive: missing the PK\\x03\\x04 signature')
  }
  // The end-of-central-directory record sits at the end, before a comment of up to 64 KiB.
  let eocd = -1
  const stop = Math.max(0, buf.length - EOCD_SIZE - MAX_COMMENT)
  for (let p = buf.length - EOCD_SIZE; p >= stop; p--) {
    if (view.getUint32(p, true) === SIG_EOCD && p + EOCD_SIZE + view.getUint16(p + 20, true) === buf.length) {
      eocd = p
      break
    }
  }
  if (eocd < 0) fail(source, 'corrupt or truncated ZIP archive: no end-of-central-directory record')
  const disk = view.getUint16(eocd + 4, true)
  const cdDisk = view.getUint16(eocd + 6, true)
  const entriesHere = view.getUint16(eocd + 8, true)
  const entries = view.getUint16(eocd + 10, true)
  const cdSize = view.getUint32(eocd + 12, true)
  const cdOffset = view.getUint32(eocd + 16, true)
  const zip64 =
    (eocd >= 20 && view.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) ||
    entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff
  if (zip64) fail(source, 'ZIP64 archives (over 4 GiB or 65535 members) are not supported; save smaller arrays or use .npy files')
  if (disk !== 0 || cdDisk !== 0 || entriesHere !== entries) fail(source, 'multi-part (split) ZIP archives are not supported')
  if (cdOffset + cdSize > eocd) {
    fail(source, `corrupt or truncated ZIP archive: the central directory (${cdSize} bytes at ${cdOffset}) runs past its end record at ${eocd}`)
  }

  const out: NpzEntry[] = []
  const seen = new Set<string>()
  let p = cdOffset
  for (let i = 0; i < entries; i++) {
    if (p + 46 > cdOffset + cdSize) fail(source, `corrupt ZIP archive: central directory entry ${i} runs past the directory`)
    if (view.getUint32(p, true) !== SIG_CENTRAL) fail(source, `corrupt ZIP archive: bad signature for central directory entry ${i}`)
    const flags = view.getUint16(p + 8, true)
    const method = view.getUint16(p + 10, true)
    const crc = view.getUint32(p + 16, true)
    let compressedSize = view.getUint32(p + 20, true)
    let size = view.getUint32(p + 24, true)
    const nameLen = view.getUint16(p + 28, true)
    const extraLen = view.getUint16(p + 30, true)
    const commentLen = view.getUint16(p + 32, true)
    let headerOffset = view.getUint32(p + 42, true)
    const next = p + 46 + nameLen + extraLen + commentLen
    if (next > cdOffset + cdSize) fail(source, `corrupt ZIP archive: central directory entry ${i} runs past the directory`)
    const fileName = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(buf.subarray(p + 46, p + 46 + nameLen))
    if (compressedSize === 0xffffffff || size === 0xffffffff || headerOffset === 0xffffffff) {
      // ZIP64 extra field (id 1): the 64-bit values, present only for fields that overflowed.
      const z = readZip64Extra(view, p + 46 + nameLen, extraLen)
      let k = 0
      const take = (): number => {
        if (z === null || k >= z.length) fail(source, `member ${fileName}: sizes overflow 32 bits but no ZIP64 extra field gives them`)
        return z![k++]
      }
      if (size === 0xffffffff) size = take()
      if (compressedSize === 0xffffffff) compressedSize = take()
      if (headerOffset === 0xffffffff) headerOffset = take()
    }
    p = next
    if (fileName.endsWith('/')) continue // a directory entry
    if (flags & 0x1) fail(source, `member ${fileName} is encrypted; encrypted archives are not supported`)
    if (method !== 0 && method !== 8) {
      const known: Record<number, string> = { 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz' }
      fail(source, `member ${fileName} uses compression method ${method}${known[method] ? ` (${known[method]})` : ''}; only stored and deflate (numpy.savez / savez_compressed) are supported`)
    }
    if (method === 0 && compressedSize !== size) {
      fail(source, `corrupt ZIP archive: stored member ${fileName} has compressed size ${compressedSize} ≠ size ${size}`)
    }
    if (headerOffset + 30 > cdOffset) fail(source, `corrupt ZIP archive: member ${fileName} starts at ${headerOffset}, past the data area`)
    const name = fileName.endsWith('.npy') ? fileName.slice(0, -4) : fileName
    if (seen.has(name)) fail(source, `member ${fileName} appears twice`)
    seen.add(name)
    out.push({ name, fileName, compression: method === 0 ? 'stored' : 'deflate', compressedSize, size, crc32: crc, headerOffset })
  }
  if (p !== cdOffset + cdSize) fail(source, `corrupt ZIP archive: central directory has ${cdOffset + cdSize - p} bytes after its ${entries} entries`)
  return out
}

function readZip64Extra(view: DataView, start: number, len: number): number[] | null {
  let q = start
  while (q + 4 <= start + len) {
    const id = view.getUint16(q, true)
    const size = view.getUint16(q + 2, true)
    if (q + 4 + size > start + len) return null
    if (id === 1) {
      const vals: number[] = []
      for (let r = q + 4; r + 8 <= q + 4 + size; r += 8) vals.push(Number(view.getBigUint64(r, true)))
      return vals
    }
    q += 4 + size
  }
  return null
}

/** The uncompressed bytes of one member, checked against its declared size and CRC-32. */
export function readNpzMemberBytes(buf: Uint8Array, entry: NpzEntry, source = 'NPZ data', options: NpzOptions = {}): Uint8Array {
  const maxBytes = options.maxMemberBytes ?? DEFAULT_MAX_MEMBER
  const what = `member ${entry.fileName}`
  if (entry.size > maxBytes) fail(source, `${what} is ${entry.size} bytes uncompressed, above the limit of ${maxBytes}`)
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const h = entry.headerOffset
  if (h + 30 > buf.length || view.getUint32(h, true) !== SIG_LOCAL) fail(source, `corrupt ZIP archive: no local header for ${what} at offset ${h}`)
  // Local name/extra lengths may differ from the central directory's (numpy adds a ZIP64 extra
  // here only), so the data start must come from the local header itself.
  const dataStart = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true)
  const dataEnd = dataStart + entry.compressedSize
  if (dataEnd > buf.length) {
    fail(source, `truncated ZIP archive: ${what} needs bytes ${dataStart}…${dataEnd} but the file has ${buf.length}`)
  }
  const raw = buf.subarray(dataStart, dataEnd)
  let bytes: Uint8Array
  if (entry.compression === 'stored') {
    bytes = raw
  } else {
    try {
      // The cap is the declared size: a deflate stream that expands beyond it is corrupt (or a
      // zip bomb), and is stopped before it can allocate more.
      bytes = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) })
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code === 'ERR_BUFFER_TOO_LARGE') fail(source, `corrupt ZIP archive: ${what} inflates to more than its declared ${entry.size} bytes`)
      return fail(source, `corrupt ZIP archive: cannot inflate ${what}: ${(e as Error).message}`)
    }
    if (bytes.length !== entry.size) {
      fail(source, `corrupt ZIP archive: ${what} inflates to ${bytes.length} bytes, but ${entry.size} are declared`)
    }
  }
  const crc = crc32(bytes) >>> 0
  if (crc !== entry.crc32) {
    fail(source, `corrupt ZIP archive: CRC-32 mismatch for ${what} (stored ${hex(entry.crc32)}, computed ${hex(crc)})`)
  }
  return bytes
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0')
}

/** Parse one member as a .npy array; errors name the archive and the member. */
export function readNpzMember(buf: Uint8Array, entry: NpzEntry, source = 'NPZ data', options: NpzOptions = {}): NpyArray {
  return parseNpy(readNpzMemberBytes(buf, entry, source, options), `${source} [${entry.name}]`)
}

/** All .npy members (or `options.members`) as arrays, keyed by name without .npy. */
export function parseNpz(buf: Uint8Array, source = 'NPZ data', options: NpzOptions = {}): Map<string, NpyArray> {
  const entries = listNpz(buf, source).filter((e) => e.fileName.endsWith('.npy'))
  let chosen = entries
  if (options.members) {
    const byName = new Map(entries.map((e) => [e.name, e]))
    chosen = options.members.map((m) => {
      const e = byName.get(m)
      if (!e) fail(source, `no member '${m}'; the archive holds ${describeMembers(entries)}`)
      return e!
    })
  }
  const out = new Map<string, NpyArray>()
  for (const e of chosen) out.set(e.name, readNpzMember(buf, e, source, options))
  return out
}

export function describeMembers(entries: readonly NpzEntry[]): string {
  return entries.length ? entries.map((e) => `'${e.name}'`).join(', ') : 'no .npy members'
}

/** Read and parse a .npz file; errors name the file. */
export function readNpzFile(file: string, options: NpzOptions = {}): Map<string, NpyArray> {
  let buf: Buffer
  try {
    buf = fs.readFileSync(file)
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseNpz(buf, file, options)
}
