/**
 * TIFF images in (baseline TIFF 6.0 plus the common extensions): 8/16/32-bit integer and 32-bit
 * float samples, gray, RGB and palette colour, strips or tiles, uncompressed, PackBits, LZW or
 * Deflate, horizontal predictor, either byte order, and multi-page files (one page per IFD).
 *
 * The container is parsed here rather than by the utif package: utif trusts the file
 * completely. A page chain that loops back on itself makes UTIF.decode spin forever, tag counts
 * and offsets are never checked against the file, and its LZW decoder never terminates on a
 * damaged strip that lacks an end code (it then reads zeros past the end of the data for ever).
 * A user's file must give an error, not hang the application, so every offset, count and size is
 * checked against the file and the limits before anything is allocated, and the decompressors
 * below stop at the end of their input or output.
 *
 * Pixels come back in stored units as `gray` (luminance, as image.ts defines it: the one channel
 * for gray, the channel itself when R = G = B everywhere, else BT.601 luma (299 R + 587 G + 114 B)
 * / 1000 left unrounded). WhiteIsZero pages are inverted so that larger means brighter, as every
 * viewer shows them. Alpha is ignored.
 */
import * as zlib from 'node:zlib'

export interface TiffPage {
  width: number
  height: number
  /** Samples per pixel as stored: 1 gray, 2 gray+alpha, 3 RGB or palette, 4 RGBA. */
  channels: 1 | 2 | 3 | 4
  /** Bits per sample; palette pages report 8 (their colours are 8-bit, see decodePage). */
  bitDepth: 8 | 16 | 32
  /** Unsigned integer, signed integer or IEEE floating point samples. */
  sampleFormat: 'uint' | 'int' | 'float'
  /** Luminance, row-major (y * width + x), in stored units. */
  gray: Float64Array
  hasAlpha: boolean
  /** True when the pixels really were coloured (so `gray` is luma, not the one gray channel). */
  colorConverted: boolean
  /** One line for logs, e.g. "TIFF 256×256, 16-bit grayscale, LZW". */
  description: string
}

/** The first page's fields at the top level (like image.ts's DecodedImage), plus all pages read. */
export interface TiffImage extends TiffPage {
  format: 'tiff'
  /** The pages decoded, first page first (only the first when `firstPageOnly`). */
  pages: TiffPage[]
  /** Pages in the file, decoded or not. */
  pageCount: number
}

export interface TiffReadLimits {
  /** Refuse files whose decoded pages hold more pixels than this many million in total. Default 100. */
  maxMegapixels?: number
  /** Refuse files with more pages. Default 10000. */
  maxPages?: number
  /** Decode only the first page (the others are still counted and their directories checked). */
  firstPageOnly?: boolean
}

/** TIFF by magic bytes: "II*\0" (little-endian) or "MM\0*" (big-endian); BigTIFF (43) too, to refuse it clearly. */
export function isTiff(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false
  const ii = bytes[0] === 0x49 && bytes[1] === 0x49 && bytes[3] === 0x00 && (bytes[2] === 42 || bytes[2] === 43)
  const mm = bytes[0] === 0x4d && bytes[1] === 0x4d && bytes[2] === 0x00 && (bytes[3] === 42 || bytes[3] === 43)
  return ii || mm
}

/** Decode TIFF bytes. `source` names the data in error messages ("<source>: <problem>"). */
export function decodeTiff(bytes: Uint8Array, source = 'TIFF data', limits: TiffReadLimits = {}): TiffImage {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`)
  }
  if (bytes.length === 0) fail('file is empty (0 bytes)')
  if (bytes.length < 8 || !isTiff(bytes)) fail('not a TIFF file (no II*\\0 or MM\\0* header)')
  const file = new TiffFile(bytes, fail)
  const maxPixels = (limits.maxMegapixels ?? 100) * 1e6
  const offsets = file.pageOffsets(limits.maxPages ?? 10000)
  const dirs = offsets.map((off, i) => file.directory(off, i, offsets.length))
  const toDecode = limits.firstPageOnly ? dirs.slice(0, 1) : dirs
  // Every page's header is checked before any pixels are allocated, so that a huge page late in
  // the file is refused without first decoding all the others.
  const layouts = toDecode.map((d) => layoutOf(d, fail))
  let total = 0
  for (const l of layouts) total += l.width * l.height
  if (total > maxPixels) {
    const mp = total >= 1e5 ? (total / 1e6).toFixed(1) : String(Number((total / 1e6).toPrecision(2)))
    const what = layouts.length > 1 ? `${layouts.length} pages with ${mp} MP in all` : `${layouts[0].width}×${layouts[0].height} (${mp} MP)`
    fail(`image is ${what}, over the ${maxPixels / 1e6} MP limit`)
  }
  const pages = layouts.map((l) => decodePage(file, l, fail))
  if (offsets.length > 1) pages[0].description += `, page 1 of ${offsets.length}`
  return { ...pages[0], format: 'tiff', pages, pageCount: offsets.length }
}

// ---------------------------------------------------------------------------------------------
// Container: header, page (IFD) chain, tags

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 }

const TAG_NAMES: Record<number, string> = {
  256: 'ImageWidth',
  257: 'ImageLength',
  258: 'BitsPerSample',
  259: 'Compression',
  262: 'PhotometricInterpretation',
  266: 'FillOrder',
  273: 'StripOffsets',
  277: 'SamplesPerPixel',
  278: 'RowsPerStrip',
  279: 'StripByteCounts',
  284: 'PlanarConfiguration',
  317: 'Predictor',
  320: 'ColorMap',
  322: 'TileWidth',
  323: 'TileLength',
  324: 'TileOffsets',
  325: 'TileByteCounts',
  338: 'ExtraSamples',
  339: 'SampleFormat'
}

interface Entry {
  type: number
  count: number
  /** Where the value lives: inside the entry when it fits in 4 bytes, else at the offset given. */
  pos: number
}

class TiffFile {
  readonly view: DataView
  readonly le: boolean

  constructor(
    readonly bytes: Uint8Array,
    readonly fail: (msg: string) => never
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.le = bytes[0] === 0x49
    if (this.u16(2) === 43) fail('BigTIFF (64-bit offsets) is not supported')
  }

  u16(o: number): number {
    return this.view.getUint16(o, this.le)
  }

  u32(o: number): number {
    return this.view.getUint32(o, this.le)
  }

  /** Offsets of every page's directory, following the chain with loop and bounds checks. */
  pageOffsets(maxPages: number): number[] {
    const n = this.bytes.length
    const offsets: number[] = []
    const seen = new Set<number>()
    let off = this.u32(4)
    if (off === 0) this.fail('corrupt TIFF: the file has no pages (first directory offset is 0)')
    while (off !== 0) {
      const page = offsets.length + 1
      if (seen.has(off)) this.fail(`corrupt TIFF: the page chain loops back to byte ${off} after page ${page - 1}`)
      if (offsets.length >= maxPages) this.fail(`TIFF has more than ${maxPages} pages`)
      if (off < 8 || off + 2 > n) this.fail(`truncated TIFF: directory of page ${page} at byte ${off} is past the end of the ${n}-byte file`)
      const count = this.u16(off)
      const end = off + 2 + 12 * count + 4
      if (end > n) this.fail(`truncated TIFF: directory of page ${page} (${count} entries at byte ${off}) runs past the end of the ${n}-byte file`)
      seen.add(off)
      offsets.push(off)
      off = this.u32(end - 4)
    }
    return offsets
  }

  directory(off: number, index: number, pageCount: number): Directory {
    const entries = new Map<number, Entry>()
    const count = this.u16(off)
    for (let i = 0; i < count; i++) {
      const e = off + 2 + 12 * i
      const tag = this.u16(e)
      const type = this.u16(e + 2)
      const n = this.u32(e + 4)
      const size = TYPE_SIZES[type]
      // Unknown types are skipped, as the specification asks; only tags we read are validated
      // (in Directory.numbers), so a broken private tag does not make the image unreadable.
      if (size === undefined) continue
      const pos = n * size <= 4 ? e + 8 : this.u32(e + 8)
      entries.set(tag, { type, count: n, pos })
    }
    return new Directory(this, entries, index, pageCount)
  }
}

class Directory {
  constructor(
    readonly file: TiffFile,
    readonly entries: Map<number, Entry>,
    readonly index: number,
    readonly pageCount: number
  ) {}

  /** "page 2: " when the file has several pages, so errors say where. */
  get where(): string {
    return this.pageCount > 1 ? `page ${this.index + 1}: ` : ''
  }

  has(tag: number): boolean {
    return this.entries.has(tag)
  }

  /** Numeric values of a tag, checked against the file; at most `max` of them. */
  numbers(tag: number, max: number): number[] {
    const e = this.entries.get(tag)
    if (!e) return []
    const f = this.file
    const name = TAG_NAMES[tag] ?? `tag ${tag}`
    if (e.count > max) f.fail(`corrupt TIFF: ${this.where}${name} has ${e.count} values (at most ${max} expected)`)
    const size = TYPE_SIZES[e.type]
    if (e.pos + e.count * size > f.bytes.length) f.fail(`truncated TIFF: ${this.where}${name} values lie past the end of the file`)
    const v = f.view
    const le = f.le
    const out: number[] = []
    for (let i = 0, o = e.pos; i < e.count; i++, o += size) {
      switch (e.type) {
        case 1:
        case 7:
          out.push(v.getUint8(o))
          break
        case 6:
          out.push(v.getInt8(o))
          break
        case 3:
          out.push(v.getUint16(o, le))
          break
        case 8:
          out.push(v.getInt16(o, le))
          break
        case 4:
        case 13:
          out.push(v.getUint32(o, le))
          break
        case 9:
          out.push(v.getInt32(o, le))
          break
        case 11:
          out.push(v.getFloat32(o, le))
          break
        case 12:
          out.push(v.getFloat64(o, le))
          break
        default:
          f.fail(`corrupt TIFF: ${this.where}${name} has non-numeric type ${e.type}`)
      }
    }
    return out
  }

  /** A single-valued tag, or `dflt` when absent. */
  one(tag: number, dflt?: number): number {
    const v = this.numbers(tag, 1)
    if (v.length === 0) {
      if (dflt === undefined) this.file.fail(`corrupt TIFF: ${this.where}required tag ${TAG_NAMES[tag]} is missing`)
      return dflt as number
    }
    return v[0]
  }
}

// ---------------------------------------------------------------------------------------------
// Page layout: everything checked before decoding

const COMPRESSION_NAMES: Record<number, string> = {
  1: 'uncompressed',
  2: 'CCITT RLE',
  3: 'CCITT Group 3 fax',
  4: 'CCITT Group 4 fax',
  5: 'LZW',
  6: 'old-style JPEG',
  7: 'JPEG',
  8: 'Deflate',
  32946: 'Deflate',
  32773: 'PackBits',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'Zstandard',
  50001: 'WebP',
  50002: 'JPEG XL'
}
const SUPPORTED_COMPRESSION = new Set([1, 5, 8, 32946, 32773])

const PHOTOMETRIC_NAMES: Record<number, string> = {
  0: 'WhiteIsZero',
  1: 'BlackIsZero',
  2: 'RGB',
  3: 'palette',
  4: 'transparency mask',
  5: 'CMYK',
  6: 'YCbCr',
  8: 'CIE L*a*b*',
  9: 'ICC L*a*b*',
  10: 'ITU L*a*b*',
  32844: 'LogL',
  32845: 'LogLuv'
}

interface Layout {
  dir: Directory
  width: number
  height: number
  spp: number
  bits: 8 | 16 | 32
  format: 'uint' | 'int' | 'float'
  photometric: 0 | 1 | 2 | 3
  compression: number
  predictor: 1 | 2
  planar: boolean
  hasAlpha: boolean
  colormap: number[]
  /** Chunk (strip or tile) grid: each chunk is chunkWidth × chunkHeight pixels of one plane or all samples. */
  tiled: boolean
  chunkWidth: number
  chunkHeight: number
  across: number
  down: number
  offsets: number[]
  counts: number[]
}

function layoutOf(dir: Directory, fail: (msg: string) => never): Layout {
  const at = dir.where
  const width = dir.one(256)
  const height = dir.one(257)
  if (width < 1 || height < 1) fail(`corrupt TIFF: ${at}invalid size ${width}×${height}`)
  const spp = dir.one(277, 1)
  if (spp < 1) fail(`corrupt TIFF: ${at}SamplesPerPixel is ${spp}`)
  if (spp > 4) fail(`${at}TIFF with ${spp} samples per pixel is not supported (at most 4: gray, gray+alpha, RGB, RGBA)`)
  const bitsList = dir.numbers(258, spp)
  const bits = bitsList.length ? bitsList[0] : 1
  if (bitsList.some((b) => b !== bits)) fail(`${at}TIFF with different bit depths per sample (${bitsList.join(', ')}) is not supported`)
  const formatList = dir.numbers(339, spp)
  const formatCode = formatList.length ? formatList[0] : 1
  if (formatList.some((f) => f !== formatCode)) fail(`${at}TIFF with different sample formats per sample is not supported`)
  const format = formatCode === 1 || formatCode === 4 ? 'uint' : formatCode === 2 ? 'int' : formatCode === 3 ? 'float' : null
  if (!format) fail(`${at}TIFF sample format ${formatCode} (complex) is not supported`)
  if (bits === 1 || bits === 2 || bits === 4) fail(`${at}${bits}-bit TIFF is not supported (only 8, 16 and 32 bits per sample); convert it to 8-bit`)
  if (format === 'float' ? bits !== 32 : bits !== 8 && bits !== 16 && bits !== 32) {
    fail(`${at}${bits}-bit ${format === 'float' ? 'floating-point' : 'integer'} TIFF is not supported (integers: 8, 16 or 32 bits; floating point: 32 bits)`)
  }

  const compression = dir.one(259, 1)
  if (!SUPPORTED_COMPRESSION.has(compression)) {
    const name = COMPRESSION_NAMES[compression] ?? `compression ${compression}`
    fail(`${at}${name}-compressed TIFF is not supported (only uncompressed, PackBits, LZW and Deflate)`)
  }
  const predictor = dir.one(317, 1)
  if (predictor === 3) fail(`${at}TIFF with the floating-point predictor is not supported`)
  if (predictor !== 1 && predictor !== 2) fail(`corrupt TIFF: ${at}unknown predictor ${predictor}`)
  if (predictor === 2 && format === 'float') fail(`corrupt TIFF: ${at}horizontal predictor on floating-point samples`)

  const extra = dir.numbers(338, spp)
  const hasAlpha = extra.some((e) => e === 1 || e === 2)
  const photometricCode = dir.has(262) ? dir.one(262) : spp >= 3 ? 2 : 1 // missing: guess as libtiff does
  if (photometricCode > 3) {
    const name = PHOTOMETRIC_NAMES[photometricCode] ?? `photometric interpretation ${photometricCode}`
    fail(`${at}${name} TIFF is not supported (only grayscale, RGB and palette colour)`)
  }
  const photometric = photometricCode as 0 | 1 | 2 | 3
  if (photometric === 2 && spp < 3) fail(`corrupt TIFF: ${at}RGB with ${spp} samples per pixel`)
  if ((photometric === 0 || photometric === 1) && spp > 2) fail(`${at}grayscale TIFF with ${spp} samples per pixel is not supported`)
  if (photometric === 0 && format !== 'uint') fail(`${at}WhiteIsZero TIFF with ${format === 'int' ? 'signed' : 'floating-point'} samples is not supported`)
  let colormap: number[] = []
  if (photometric === 3) {
    if (spp !== 1 || format !== 'uint' || bits !== 8) fail(`${at}palette TIFF is supported only with one 8-bit index per pixel`)
    colormap = dir.numbers(320, 3 * 256)
    if (colormap.length !== 3 * 256) fail(`corrupt TIFF: ${at}palette image with ${colormap.length ? `a ${colormap.length}-entry` : 'no'} ColorMap (768 expected)`)
  }

  const planarCode = dir.one(284, 1)
  if (planarCode !== 1 && planarCode !== 2) fail(`corrupt TIFF: ${at}unknown PlanarConfiguration ${planarCode}`)
  const planar = planarCode === 2 && spp > 1
  const planes = planar ? spp : 1

  const tiled = dir.has(322) || dir.has(324)
  let chunkWidth: number
  let chunkHeight: number
  if (tiled) {
    chunkWidth = dir.one(322)
    chunkHeight = dir.one(323)
    if (chunkWidth < 1 || chunkHeight < 1) fail(`corrupt TIFF: ${at}invalid tile size ${chunkWidth}×${chunkHeight}`)
  } else {
    chunkWidth = width
    const rps = dir.one(278, 0xffffffff)
    chunkHeight = rps === 0 ? height : Math.min(rps, height)
  }
  // A tile may be far larger than the image; its buffer must stay within reason too.
  if (chunkWidth * chunkHeight > Math.max(width * height, 1 << 20) * 4) {
    fail(`corrupt TIFF: ${at}${tiled ? 'tile' : 'strip'} of ${chunkWidth}×${chunkHeight} pixels for a ${width}×${height} image`)
  }
  const across = Math.ceil(width / chunkWidth)
  const down = Math.ceil(height / chunkHeight)
  const nChunks = across * down * planes
  const kind = tiled ? 'Tile' : 'Strip'
  const offsets = dir.numbers(tiled ? 324 : 273, nChunks * 4 + 16)
  if (offsets.length < nChunks) {
    fail(`corrupt TIFF: ${at}${kind}Offsets has ${offsets.length} entries, ${nChunks} needed for a ${width}×${height} image`)
  }
  let counts = dir.numbers(tiled ? 325 : 279, nChunks * 4 + 16)
  if (counts.length === 0 && compression === 1) {
    // Allowed by libtiff for uncompressed data: each chunk is exactly its pixel bytes.
    const perPlane = across * down
    counts = offsets.map((_, i) => {
      const k = i % perPlane
      const rows = tiled ? chunkHeight : Math.min(chunkHeight, height - Math.floor(k / across) * chunkHeight)
      return rows * chunkWidth * (planar ? 1 : spp) * (bits / 8)
    })
  }
  if (counts.length < nChunks) fail(`corrupt TIFF: ${at}${kind}ByteCounts has ${counts.length} entries, ${nChunks} needed`)

  return {
    dir,
    width,
    height,
    spp,
    bits: bits as 8 | 16 | 32,
    format,
    photometric,
    compression,
    predictor,
    planar,
    hasAlpha,
    colormap,
    tiled,
    chunkWidth,
    chunkHeight,
    across,
    down,
    offsets: offsets.slice(0, nChunks),
    counts: counts.slice(0, nChunks)
  }
}

// ---------------------------------------------------------------------------------------------
// Pixels

type Samples = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array | Float32Array

function decodePage(file: TiffFile, l: Layout, fail: (msg: string) => never): TiffPage {
  const { width, height, spp, bits, format, planar } = l
  const at = l.dir.where
  const n = width * height
  const samples: Samples = allocSamples(format, bits, n * spp)
  const bytesPerSample = bits / 8
  const sppChunk = planar ? 1 : spp
  const perPlane = l.across * l.down
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1
  const row = new Uint32Array(l.chunkWidth * sppChunk)

  for (let c = 0; c < l.offsets.length; c++) {
    const plane = planar ? Math.floor(c / perPlane) : 0
    const k = c % perPlane
    const cx = (k % l.across) * l.chunkWidth
    const cy = Math.floor(k / l.across) * l.chunkHeight
    // Tiles are always stored whole (padded past the image edge); the last strip holds the remainder.
    const rows = l.tiled ? l.chunkHeight : Math.min(l.chunkHeight, height - cy)
    const rowBytes = l.chunkWidth * sppChunk * bytesPerSample
    const need = rows * rowBytes
    const what = `${at}${l.tiled ? 'tile' : 'strip'} ${c + 1} of ${l.offsets.length}`
    const off = l.offsets[c]
    const count = l.counts[c]
    if (off > file.bytes.length || off + count > file.bytes.length) {
      fail(`truncated TIFF: ${what} needs bytes ${off}..${off + count} but the file ends at ${file.bytes.length}`)
    }
    const data = decompress(file.bytes.subarray(off, off + count), need, l.compression, (msg) => fail(`${msg} in ${what}`))
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const le = file.le

    for (let r = 0; r < rows; r++) {
      const y = cy + r
      if (y >= height) break
      const base = r * rowBytes
      const m = row.length
      if (format === 'float') {
        for (let x = 0; x < l.chunkWidth && cx + x < width; x++) {
          for (let s = 0; s < sppChunk; s++) {
            samples[(y * width + cx + x) * spp + (planar ? plane : s)] = dv.getFloat32(base + (x * sppChunk + s) * 4, le)
          }
        }
        continue
      }
      // Integers are read unsigned so that the predictor can add modulo 2^bits; storing them in
      // a signed typed array (Int16Array for signed 16-bit) then reinterprets 0xffff as −1.
      if (bits === 8) for (let i = 0; i < m; i++) row[i] = data[base + i]
      else if (bits === 16) for (let i = 0; i < m; i++) row[i] = dv.getUint16(base + 2 * i, le)
      else for (let i = 0; i < m; i++) row[i] = dv.getUint32(base + 4 * i, le)
      if (l.predictor === 2) {
        for (let i = sppChunk; i < m; i++) row[i] = bits === 32 ? (row[i] + row[i - sppChunk]) >>> 0 : (row[i] + row[i - sppChunk]) & mask
      }
      for (let x = 0; x < l.chunkWidth && cx + x < width; x++) {
        for (let s = 0; s < sppChunk; s++) {
          samples[(y * width + cx + x) * spp + (planar ? plane : s)] = row[x * sppChunk + s]
        }
      }
    }
  }
  return toPage(l, samples)
}

function allocSamples(format: 'uint' | 'int' | 'float', bits: 8 | 16 | 32, n: number): Samples {
  if (format === 'float') return new Float32Array(n)
  if (format === 'int') return bits === 8 ? new Int8Array(n) : bits === 16 ? new Int16Array(n) : new Int32Array(n)
  return bits === 8 ? new Uint8Array(n) : bits === 16 ? new Uint16Array(n) : new Uint32Array(n)
}

function toPage(l: Layout, samples: Samples): TiffPage {
  const { width, height, spp, bits, format, photometric } = l
  const n = width * height
  const gray = new Float64Array(n)
  let converted = false
  let channels: 1 | 2 | 3 | 4
  let kind: string
  if (photometric === 0 || photometric === 1) {
    const top = photometric === 0 ? 2 ** bits - 1 : 0
    for (let i = 0; i < n; i++) gray[i] = photometric === 0 ? top - samples[i * spp] : samples[i * spp]
    channels = spp as 1 | 2
    kind = `${photometric === 0 ? 'grayscale (WhiteIsZero, inverted)' : 'grayscale'}${spp === 2 ? '+alpha' : ''}`
  } else if (photometric === 2) {
    converted = rgbLuminance(n, (i) => samples[i * spp], (i) => samples[i * spp + 1], (i) => samples[i * spp + 2], gray)
    channels = spp as 3 | 4
    kind = spp === 4 ? (l.hasAlpha ? 'RGBA' : 'RGB+extra') : 'RGB'
  } else {
    // ColorMap entries are 16-bit; libtiff-based readers (PIL) use their high byte as the 8-bit colour.
    const cm = l.colormap // 768 entries, and 8-bit indices cannot point past them
    const r = (i: number): number => cm[samples[i]] >> 8
    const g = (i: number): number => cm[256 + samples[i]] >> 8
    const b = (i: number): number => cm[512 + samples[i]] >> 8
    converted = rgbLuminance(n, r, g, b, gray)
    channels = 3
    kind = 'palette'
  }
  const typeName = format === 'float' ? '32-bit float' : `${bits}-bit${format === 'int' ? ' signed' : ''}`
  const comp = COMPRESSION_NAMES[l.compression] ?? `compression ${l.compression}`
  const extras = [comp, l.predictor === 2 ? 'predictor' : '', l.tiled ? 'tiled' : '', l.planar ? 'planar' : ''].filter(Boolean).join(', ')
  return {
    width,
    height,
    channels,
    bitDepth: photometric === 3 ? 8 : bits,
    sampleFormat: format,
    gray,
    hasAlpha: l.hasAlpha,
    colorConverted: converted,
    description: `TIFF ${width}×${height}, ${typeName} ${kind}, ${extras}`
  }
}

/** BT.601 luma, or the channel itself when every pixel is gray; returns whether colour was found. */
function rgbLuminance(n: number, r: (i: number) => number, g: (i: number) => number, b: (i: number) => number, out: Float64Array): boolean {
  let allGray = true
  for (let i = 0; i < n && allGray; i++) {
    const v = r(i)
    if (v !== g(i) || v !== b(i)) allGray = false
  }
  if (allGray) {
    for (let i = 0; i < n; i++) out[i] = r(i)
    return false
  }
  // Integer weights then one division: a gray pixel inside a colour image stays exact.
  for (let i = 0; i < n; i++) out[i] = (299 * r(i) + 587 * g(i) + 114 * b(i)) / 1000
  return true
}

// ---------------------------------------------------------------------------------------------
// Decompression: each returns exactly `need` bytes or fails

function decompress(src: Uint8Array, need: number, compression: number, fail: (msg: string) => never): Uint8Array {
  switch (compression) {
    case 1:
      if (src.length < need) fail(`truncated TIFF: ${src.length} of the ${need} bytes`)
      return src.subarray(0, need)
    case 32773:
      return unpackBits(src, need, fail)
    case 5:
      return lzwDecode(src, need, fail)
    default:
      return inflate(src, need, fail)
  }
}

function inflate(src: Uint8Array, need: number, fail: (msg: string) => never): Uint8Array {
  let out: Buffer
  try {
    // Some writers pad the stream; a little slack is accepted, a bomb is not.
    out = zlib.inflateSync(src, { maxOutputLength: need + 65536 })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') return fail(`corrupt Deflate data: inflates to more than the ${need} bytes expected`)
    return fail(`corrupt or truncated Deflate data (${(err as Error).message})`)
  }
  if (out.length < need) fail(`truncated Deflate data: ${out.length} of the ${need} bytes`)
  return out.subarray(0, need)
}

function unpackBits(src: Uint8Array, need: number, fail: (msg: string) => never): Uint8Array {
  const out = new Uint8Array(need)
  let i = 0
  let o = 0
  while (o < need && i < src.length) {
    const h = src[i++]
    if (h < 128) {
      // h + 1 literal bytes (fewer when the data or the output ends first)
      const len = Math.min(h + 1, need - o, src.length - i)
      out.set(src.subarray(i, i + len), o)
      i += h + 1
      o += len
    } else if (h > 128) {
      // the next byte repeated 257 − h times
      if (i >= src.length) break
      out.fill(src[i++], o, Math.min(o + 257 - h, need))
      o = Math.min(o + 257 - h, need)
    } // 128 is a no-op
  }
  if (o < need) fail(`truncated PackBits data: ${o} of the ${need} bytes`)
  return out
}

/**
 * TIFF LZW (TIFF 6.0 section 13): codes of 9 to 12 bits, most significant bit first, 256 = clear,
 * 257 = end of information, and the code width grows one code early ("early change"). Stops at
 * the end code, when `need` bytes are out, or when the data runs out; the last is an error.
 */
function lzwDecode(src: Uint8Array, need: number, fail: (msg: string) => never): Uint8Array {
  if (src.length >= 2 && src[0] === 0 && (src[1] & 1) === 1) fail('old-style (pre-TIFF 6.0) LZW data is not supported')
  const out = new Uint8Array(need)
  const prefix = new Int16Array(4096)
  const suffix = new Uint8Array(4096)
  const first = new Uint8Array(4096)
  const length = new Uint16Array(4096)
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1
    suffix[i] = i
    first[i] = i
    length[i] = 1
  }
  const totalBits = src.length * 8
  let bitPos = 0
  let width = 9
  let next = 258
  let old = -1
  let o = 0

  const emit = (code: number): void => {
    // Written back to front along the prefix chain; bytes beyond `need` are dropped.
    const len = length[code]
    let p = o + len - 1
    for (let c = code; c >= 0; c = prefix[c], p--) if (p < need) out[p] = suffix[c]
    o += len
  }
  const add = (prev: number, ch: number): void => {
    if (next >= 4096) return // table full: the encoder should have sent a clear code
    prefix[next] = prev
    suffix[next] = ch
    first[next] = first[prev]
    length[next] = length[prev] + 1
    next++
    if (next === (1 << width) - 1 && width < 12) width++
  }

  while (o < need) {
    if (bitPos + width > totalBits) break
    const i = bitPos >> 3
    const v = (src[i] << 16) | ((i + 1 < src.length ? src[i + 1] : 0) << 8) | (i + 2 < src.length ? src[i + 2] : 0)
    const code = (v >>> (24 - (bitPos & 7) - width)) & ((1 << width) - 1)
    bitPos += width
    if (code === 257) break
    if (code === 256) {
      width = 9
      next = 258
      old = -1
      continue
    }
    if (old < 0) {
      if (code > 255) fail(`corrupt LZW data: code ${code} right after a clear code`)
      out[o++] = code
      old = code
      continue
    }
    if (code < next) {
      emit(code)
      add(old, first[code])
    } else if (code === next) {
      add(old, first[old])
      emit(code)
    } else {
      fail(`corrupt LZW data: code ${code} is not yet defined (next is ${next})`)
    }
    old = code
  }
  if (o < need) fail(`truncated or corrupt LZW data: ${o} of the ${need} bytes`)
  return out
}
