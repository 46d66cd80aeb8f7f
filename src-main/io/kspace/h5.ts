/**
 * HDF5 access through h5wasm (libhdf5 compiled to WebAssembly; in Node it reads the host file
 * system directly, so files are not loaded into memory whole).
 *
 * Two things h5wasm does not do for us:
 * - By default libhdf5 errors are printed and the call returns garbage; the throwing error
 *   handler is switched on once, and every error is re-thrown naming the file and summarised to
 *   HDF5's innermost message (e.g. "truncated file: eof = 1000, … stored_eof = 2099200").
 * - Compound values (h5py's complex64 is a compound {r, i}) come back as one nested JS array
 *   per element, far too slow for millions of samples, so complex data are read as raw bytes
 *   through the module's own hyperslab reader and decoded here.
 */
import { resolve } from 'node:path'
import type { Dataset, File as H5File, Group, Metadata } from 'h5wasm/node'

type H5wasm = typeof import('h5wasm/node').default
type H5Module = Awaited<H5wasm['ready']>

let loading: Promise<{ h5: H5wasm; module: H5Module }> | null = null
let generation = 0

/**
 * Loaded on first use, so that opening other formats never compiles the WebAssembly.
 *
 * After any libhdf5 error the instance is replaced for the next file (a second copy of the
 * module, imported under another URL): an abort() leaves it dead for good, and an error in
 * mid-read leaves HDF5 objects open (h5wasm's C++ does not close them when it throws), which
 * keeps the file open inside libhdf5 with its now stale metadata cache, so that reopening the
 * same path (a corrected file saved over the broken one) would see the old structure.
 */
async function h5wasm(): Promise<{ h5: H5wasm; module: H5Module }> {
  loading ??= (async () => {
    const h5 =
      generation === 0
        ? (await import('h5wasm/node')).default
        : ((await import(/* @vite-ignore */ `${import.meta.resolve('h5wasm/node')}?instance=${generation}`)) as typeof import('h5wasm/node')).default
    const module = await h5.ready
    module.activate_throwing_error_handler()
    return { h5, module }
  })()
  return loading
}

function isAbort(e: unknown): boolean {
  return /Aborted\(/.test(String((e as Error)?.message ?? e))
}

/** Forget a failed instance: the next open loads a new one. */
function discardInstance(): void {
  generation++
  loading = null
}

/** HDF5's error stack, reduced to its innermost "function(): message". */
export function summariseH5Error(e: unknown): string {
  const text = String((e as Error)?.message ?? e)
  if (isAbort(e)) return 'the HDF5 library aborted on this file'
  const entries = [...text.matchAll(/#\d+:.* in (\w+)\(\): (.*)/g)]
  if (entries.length === 0) return text.split('\n')[0]
  const last = entries[entries.length - 1]
  return `${last[2].trim()} (${last[1]})`
}

export class H5Reader {
  private constructor(
    readonly path: string,
    readonly file: H5File,
    private readonly h5: H5wasm,
    private readonly module: H5Module
  ) {}

  static async open(path: string): Promise<H5Reader> {
    const { h5, module } = await h5wasm()
    let file: H5File
    try {
      file = new h5.File(resolve(path), 'r')
    } catch (e) {
      discardInstance()
      throw new Error(`${path}: cannot open as HDF5 (truncated or corrupt file?): ${summariseH5Error(e)}`, { cause: e })
    }
    return new H5Reader(path, file, h5, module)
  }

  close(): void {
    try {
      this.file.close()
    } catch {
      // Closing a file whose reads failed can fail again; the first error is the one to report.
    }
  }

  /** Wraps any libhdf5 error with the file and what was being done. */
  guard<T>(what: string, fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      discardInstance()
      if ((e as Error).message?.startsWith(this.path)) throw e
      throw new Error(`${this.path}: cannot ${what} (truncated or corrupt file?): ${summariseH5Error(e)}`, { cause: e })
    }
  }

  keys(group = '/'): string[] {
    return this.guard(`list ${group}`, () => {
      const g = group === '/' ? this.file : this.file.get(group)
      return g instanceof this.h5.Group ? g.keys() : []
    })
  }

  /** A short listing of what the file holds, for "not found" messages. */
  describe(limit = 40): string {
    const paths = this.guard('list the file', () => this.file.paths())
    const shown = paths.slice(0, limit).map((p) => {
      const obj = this.file.get(p)
      const abs = p.startsWith('/') ? p : `/${p}`
      return obj instanceof this.h5.Dataset ? `${abs} ${describeMetadata(obj.metadata)}` : `${abs}/`
    })
    if (paths.length > limit) shown.push(`… (${paths.length - limit} more)`)
    return shown.length ? shown.join(', ') : 'nothing (an empty file)'
  }

  /** A dataset's type and shape (reading them can fail on a corrupt file too). */
  metadata(ds: Dataset): Metadata {
    return this.guard(`read the type of '${ds.path}'`, () => ds.metadata)
  }

  dataset(name: string): Dataset | null {
    return this.guard(`open '${name}'`, () => {
      const obj = this.exists(name) ? this.file.get(name) : null
      return obj instanceof this.h5.Dataset ? obj : null
    })
  }

  group(name: string): Group | null {
    return this.guard(`open '${name}'`, () => {
      const obj = this.exists(name) ? this.file.get(name) : null
      return obj instanceof this.h5.Group ? obj : null
    })
  }

  private exists(name: string): boolean {
    // get() on a missing path makes libhdf5 raise; walk the keys instead.
    const parts = name.split('/').filter(Boolean)
    let at = '/'
    for (const p of parts) {
      if (!this.keys(at).includes(p)) return false
      at = at === '/' ? `/${p}` : `${at}/${p}`
    }
    return true
  }

  /**
   * Raw bytes of the hyperslab offset…offset+count (all of every axis not given), converted to
   * little-endian by libhdf5 but otherwise in the file's element layout.
   */
  readRaw(ds: Dataset, offset: number[], count: number[]): Uint8Array {
    const meta = this.metadata(ds)
    const shape = meta.shape ?? []
    const off = shape.map((_, i) => BigInt(offset[i] ?? 0))
    const cnt = shape.map((s, i) => BigInt(count[i] ?? s))
    const elements = cnt.reduce((a, b) => a * b, 1n)
    const nbytes = Number(elements) * meta.size
    const m = this.module
    return this.guard(`read '${ds.path}'`, () => {
      const ptr = m._malloc(Math.max(1, nbytes))
      if (ptr === 0) throw new Error(`cannot allocate ${nbytes} bytes in the HDF5 heap`)
      try {
        m.get_dataset_data(this.file.file_id, ds.path, cnt, off, shape.map(() => 1n), BigInt(ptr))
        return m.HEAPU8.slice(ptr, ptr + nbytes)
      } finally {
        m._free(ptr)
      }
    })
  }

  /** A dataset's value through h5wasm's own decoding (small or simple datasets only). */
  value(ds: Dataset): ReturnType<Dataset['slice']> {
    return this.guard(`read '${ds.path}'`, () => ds.value)
  }

  slice(ds: Dataset, ranges: [number, number][]): ReturnType<Dataset['slice']> {
    return this.guard(`read '${ds.path}'`, () => ds.slice(ranges))
  }

  /** Scalar attributes (numbers and strings) of the root or an object. */
  attributes(path = '/'): Record<string, string | number> {
    return this.guard(`read the attributes of ${path}`, () => {
      const obj = path === '/' ? this.file : this.file.get(path)
      const out: Record<string, string | number> = {}
      if (!obj || !('attrs' in obj)) return out
      for (const [name, attr] of Object.entries(obj.attrs)) {
        let v: unknown
        try {
          v = attr.value
        } catch {
          continue // an attribute of a type h5wasm cannot decode is not worth failing over
        }
        if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<number>).length === 1) v = (v as unknown as ArrayLike<number>)[0]
        if (typeof v === 'bigint') v = Number(v)
        if (typeof v === 'boolean') v = v ? 1 : 0
        if (typeof v === 'number' || typeof v === 'string') out[name] = v
      }
      return out
    })
  }
}

const H5T_INTEGER = 0
const H5T_FLOAT = 1
const H5T_STRING = 3
const H5T_COMPOUND = 6

export function describeMetadata(m: Metadata): string {
  return `${describeType(m)} (${(m.shape ?? []).join(', ')})`
}

export function describeType(m: Metadata): string {
  if (m.type === H5T_FLOAT) return `float${m.size * 8}`
  if (m.type === H5T_INTEGER) return `${m.signed ? 'int' : 'uint'}${m.size * 8}`
  if (m.type === H5T_STRING) return 'string'
  if (m.type === H5T_COMPOUND && m.compound_type) {
    return `compound {${m.compound_type.members.map((c) => `${c.name}: ${describeType(c)}`).join(', ')}}`
  }
  return `HDF5 type class ${m.type} (${m.size} bytes)`
}

export interface ComplexLayout {
  /** Byte offsets of the real and imaginary parts within one element. */
  reOffset: number
  imOffset: number
  /** 4 (float32) or 8 (float64). */
  partSize: 4 | 8
  elementSize: number
  dtype: string
}

/**
 * How a complex element is stored: a compound of two floats named r/i (h5py), re/im or
 * real/imag. Null for anything else (e.g. real data).
 */
export function complexLayout(m: Metadata): ComplexLayout | null {
  if (m.type !== H5T_COMPOUND || !m.compound_type || m.compound_type.members.length !== 2) return null
  const [a, b] = m.compound_type.members
  const isRe = (n: string): boolean => /^(r|re|real)$/i.test(n)
  const isIm = (n: string): boolean => /^(i|im|imag|imaginary)$/i.test(n)
  const re = isRe(a.name) ? a : isRe(b.name) ? b : null
  const im = isIm(a.name) ? a : isIm(b.name) ? b : null
  if (!re || !im || re === im) return null
  if (re.type !== H5T_FLOAT || im.type !== H5T_FLOAT || re.size !== im.size || (re.size !== 4 && re.size !== 8)) return null
  return {
    reOffset: re.offset,
    imOffset: im.offset,
    partSize: re.size as 4 | 8,
    elementSize: m.size,
    dtype: re.size === 4 ? 'complex64' : 'complex128'
  }
}

/** Decode raw complex elements into float32 planes at `at` (complex128 is rounded to float32). */
export function decodeComplex(bytes: Uint8Array, layout: ComplexLayout, re: Float32Array, im: Float32Array, at: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = bytes.byteLength / layout.elementSize
  const { reOffset, imOffset, elementSize } = layout
  if (layout.partSize === 4) {
    for (let i = 0, p = 0; i < n; i++, p += elementSize) {
      re[at + i] = view.getFloat32(p + reOffset, true)
      im[at + i] = view.getFloat32(p + imOffset, true)
    }
  } else {
    for (let i = 0, p = 0; i < n; i++, p += elementSize) {
      re[at + i] = view.getFloat64(p + reOffset, true)
      im[at + i] = view.getFloat64(p + imOffset, true)
    }
  }
}

/** A text dataset (scalar, or the first element of a 1-D array), or bytes decoded as UTF-8. */
export function asText(value: unknown): string | null {
  let v = value
  if (Array.isArray(v)) v = v[0]
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array || v instanceof Int8Array) return new TextDecoder().decode(v).replace(/\0+$/, '')
  return null
}

export { H5T_FLOAT, H5T_INTEGER, H5T_STRING, H5T_COMPOUND }
