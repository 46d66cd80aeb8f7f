/**
 * PNG and JPEG images in and out, and TIFF in (decoded by tiff.ts), as grayscale intensities for
 * reconstruction.
 *
 * Decoding goes through pngjs and jpeg-js (pure JavaScript, so the CLI needs no native build),
 * but each file is first checked here: format by magic bytes (never by extension), structure,
 * completeness and size limits. The libraries are lenient in places where leniency would mean a
 * silently wrong image (pngjs zeroes pixels of a tRNS "transparent" colour; jpeg-js would treat an
 * Adobe RGB file as YCbCr) and cryptic elsewhere (a truncated JPEG is "marker was not found"), so
 * those cases are handled before the data reaches the decoder.
 *
 * Grayscale conversion: if every pixel has R = G = B (gray stored as colour, common for MRI
 * exports) that channel is used exactly; otherwise ITU-R BT.601 luma
 * Y = (299 R + 587 G + 114 B) / 1000, the weights of JPEG/JFIF and PIL's convert('L'), left
 * unrounded. YCbCr JPEGs (nearly all colour JPEGs) are the exception: their decoded Y plane is
 * that luma by definition and is used directly, without the round trip through RGB (for gray
 * content, where R = G = B, it is the same value). Alpha is ignored: we want the stored intensity,
 * not its composite over a background. Gamma (gAMA/sRGB/ICC) is ignored likewise: values are
 * returned in stored units.
 */
import * as fs from 'node:fs'
import * as zlib from 'node:zlib'
import { PNG } from 'pngjs'
import jpeg from 'jpeg-js'
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-write.ts'
import { decodeTiff, isTiff } from './tiff.ts'

export type ImageFormat = 'png' | 'jpeg' | 'tiff'

export interface DecodedImage {
  height: number
  width: number
  /**
   * Samples per pixel as stored in the file: 1 gray, 2 gray+alpha, 3 RGB / YCbCr / palette,
   * 4 RGBA / palette with transparency.
   */
  channels: 1 | 2 | 3 | 4
  /** 16 only for 16-bit PNGs and TIFFs; 1/2/4-bit PNGs are scaled to 0..255 and reported as 8. */
  bitDepth: 8 | 16
  /** Luminance, row-major (y * width + x), in stored units: 0..255, or 0..65535 when bitDepth is 16. */
  gray: Float64Array
  format: ImageFormat
  /** The file has an alpha channel or a transparency chunk (ignored for `gray`). */
  hasAlpha: boolean
  /** True when the pixels really were coloured (so `gray` is luma, not the one gray channel). */
  colorConverted: boolean
  /** One line for logs, e.g. "PNG 256×256, 8-bit grayscale". */
  description: string
}

export interface ImageReadLimits {
  /** Refuse images with more pixels than this many million. Default 100. */
  maxMegapixels?: number
  /** Cap on the JPEG decoder's working memory. Default 1024 MB. */
  maxMemoryMB?: number
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Format by magic bytes; null when not PNG, JPEG or TIFF. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png'
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (isTiff(bytes)) return 'tiff'
  return null
}

/** Read and decode a PNG, JPEG or TIFF file. Errors name the file and the problem. */
export function readImageFile(file: string, limits: ImageReadLimits = {}): DecodedImage {
  let buf: Buffer
  try {
    buf = fs.readFileSync(file)
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return decodeImage(buf, file, limits)
}

/**
 * Decode PNG, JPEG or TIFF bytes. `source` names the data in error messages. Of a multi-page
 * TIFF only the first page is decoded (its description says "page 1 of N"; decodeTiff reads all).
 */
export function decodeImage(bytes: Uint8Array, source = 'image', limits: ImageReadLimits = {}): DecodedImage {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`)
  }
  if (bytes.length === 0) fail('file is empty (0 bytes)')
  const maxPixels = (limits.maxMegapixels ?? 100) * 1e6
  const maxMemoryMB = limits.maxMemoryMB ?? 1024
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  switch (detectImageFormat(buf)) {
    case 'png':
      return decodePng(buf, fail, maxPixels)
    case 'jpeg':
      return decodeJpeg(buf, fail, maxPixels, maxMemoryMB)
    case 'tiff':
      return decodeTiffImage(buf, source, fail, maxPixels)
    default:
      // Wording kept from before TIFF support (callers and tests match on it).
      return fail(`not a PNG or JPEG file (${guessFormat(buf)}; first bytes ${hexHead(buf)})`)
  }
}

function guessFormat(b: Buffer): string {
  const ascii = (start: number, len: number): string => b.subarray(start, start + len).toString('latin1')
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 3) === 'PNG') return 'looks like a damaged PNG signature'
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) return 'looks like a damaged JPEG'
  if (ascii(0, 6) === '\x93NUMPY') return 'it is a NumPy .npy array; load it as an array instead'
  if (ascii(128, 4) === 'DICM') return 'it is a DICOM file'
  if (ascii(0, 2) === 'BM') return 'BMP is not supported'
  if (ascii(0, 4) === 'GIF8') return 'GIF is not supported'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'WebP is not supported'
  if (b[0] === 0x1f && b[1] === 0x8b) return 'it is gzip-compressed'
  return 'unrecognised format'
}

function decodeTiffImage(buf: Buffer, source: string, fail: (msg: string) => never, maxPixels: number): DecodedImage {
  const t = decodeTiff(buf, source, { maxMegapixels: maxPixels / 1e6, firstPageOnly: true })
  // Callers scale by the 8/16-bit maximum (255 or 65535); signed and 32-bit samples have no such range.
  if (t.sampleFormat !== 'uint' || t.bitDepth === 32) {
    fail(`${t.description}: only 8- and 16-bit unsigned TIFF images can be used here; convert it to 16-bit unsigned`)
  }
  return {
    height: t.height,
    width: t.width,
    channels: t.channels,
    bitDepth: t.bitDepth as 8 | 16,
    gray: t.gray,
    format: 'tiff',
    hasAlpha: t.hasAlpha,
    colorConverted: t.colorConverted,
    description: t.description
  }
}

function hexHead(b: Uint8Array): string {
  return [...b.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ')
}

// ---------------------------------------------------------------------------------------------
// PNG

const PNG_COLOR_NAMES: Record<number, string> = {
  0: 'grayscale',
  2: 'RGB',
  3: 'palette',
  4: 'grayscale+alpha',
  6: 'RGBA'
}
const PNG_SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] }
// Adam7 passes: x start, y start, x step, y step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2]
]

function decodePng(buf: Buffer, fail: (msg: string) => never, maxPixels: number): DecodedImage {
  // Walk the chunks ourselves first: pngjs reports truncation and oversize only indirectly
  // (or by running out of memory), and it needs the transparency chunk removed, see below.
  let pos = 8
  let ihdr: Buffer | null = null
  let sawIend = false
  let hasTrns = false
  let droppedAny = false
  const idat: Buffer[] = []
  const keep: Buffer[] = [buf.subarray(0, 8)]
  while (pos < buf.length) {
    if (pos + 8 > buf.length) fail(`truncated PNG: incomplete chunk header at byte ${pos}`)
    const len = buf.readUInt32BE(pos)
    const type = buf.toString('latin1', pos + 4, pos + 8)
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`corrupt PNG: invalid chunk type at byte ${pos + 4}`)
    const end = pos + 12 + len
    if (len > 0x7fffffff || end > buf.length) {
      fail(`truncated PNG: chunk ${type} at byte ${pos} needs ${len} bytes but the file ends after ${buf.length - pos - 8}`)
    }
    if (ihdr === null && type !== 'IHDR') fail(`corrupt PNG: first chunk is ${type}, expected IHDR`)
    const body = buf.subarray(pos + 8, pos + 8 + len)
    // Checked here rather than left to pngjs so that a damaged chunk is reported as such, not
    // as whatever the inflater makes of the damage.
    if (zlib.crc32(body, zlib.crc32(buf.subarray(pos + 4, pos + 8))) !== buf.readUInt32BE(pos + 8 + len)) {
      fail(`corrupt PNG: checksum (CRC) mismatch in chunk ${type} at byte ${pos}`)
    }
    let dropped = false
    if (type === 'IHDR') {
      if (ihdr !== null) fail('corrupt PNG: more than one IHDR chunk')
      if (len !== 13) fail(`corrupt PNG: IHDR has ${len} bytes, expected 13`)
      ihdr = body
    } else if (type === 'IDAT') {
      idat.push(body)
    } else if (type === 'tRNS') {
      hasTrns = true
      // For gray and RGB images tRNS names one "transparent" colour; pngjs then sets those pixels
      // to 0, which would corrupt intensities. Alpha is ignored anyway, so the chunk is dropped.
      // (For palette images it only adds alpha to palette entries and is harmless.)
      const colorType = ihdr![9]
      dropped = colorType === 0 || colorType === 2
    } else if (type === 'IEND') {
      sawIend = true
    }
    if (dropped) droppedAny = true
    else keep.push(buf.subarray(pos, end))
    pos = end
    if (sawIend) break // anything after IEND is not part of the image
  }
  if (!ihdr) fail('truncated PNG: no IHDR chunk')
  const h = ihdr as Buffer
  const width = h.readUInt32BE(0)
  const height = h.readUInt32BE(4)
  const depth = h[8]
  const colorType = h[9]
  const interlace = h[12]
  if (!(colorType in PNG_SAMPLES)) fail(`corrupt PNG: invalid colour type ${colorType}`)
  if (!PNG_DEPTHS[colorType].includes(depth)) fail(`corrupt PNG: bit depth ${depth} is invalid for ${PNG_COLOR_NAMES[colorType]}`)
  if (h[10] !== 0 || h[11] !== 0) fail('corrupt PNG: unknown compression or filter method')
  if (interlace > 1) fail(`corrupt PNG: unknown interlace method ${interlace}`)
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) fail(`corrupt PNG: invalid size ${width}×${height}`)
  if (width * height > maxPixels) {
    fail(`image is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP), over the ${maxPixels / 1e6} MP limit`)
  }
  if (idat.length === 0) fail('truncated PNG: no image data (IDAT)')
  if (!sawIend) fail('truncated PNG: the file ends before the IEND chunk')

  // Inflate once with a hard cap at the exact expected size: a small file that inflates to
  // gigabytes is refused here, and short data gets a clear message instead of pngjs's.
  const bitsPerPixel = PNG_SAMPLES[colorType] * depth
  const expected = pngRawSize(width, height, bitsPerPixel, interlace === 1)
  let inflated: Buffer
  try {
    inflated = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: expected })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') fail(`corrupt PNG: image data inflates to more than the ${expected} bytes a ${width}×${height} image needs`)
    return fail(`corrupt or truncated PNG image data: ${(err as Error).message}`)
  }
  if (inflated.length !== expected) {
    fail(`truncated PNG: image data holds ${inflated.length} of the ${expected} bytes a ${width}×${height} image needs`)
  }

  let png: PNG & { data: Buffer | Uint16Array }
  try {
    // skipRescale keeps 16-bit samples as they are (pngjs otherwise reduces them to 8 bits);
    // lower depths are wanted rescaled to 0..255.
    png = PNG.sync.read(droppedAny ? Buffer.concat(keep) : buf.subarray(0, pos), {
      skipRescale: depth === 16,
      checkCRC: true
    })
  } catch (err) {
    return fail(`corrupt PNG: ${(err as Error).message}`)
  }
  const rgba = png.data
  const n = width * height
  if (rgba.length !== 4 * n) fail(`PNG decoder returned ${rgba.length} samples, expected ${4 * n}`)

  const isGrayType = colorType === 0 || colorType === 4
  const { gray, converted } = luminance(rgba, n, isGrayType)
  const channels = (colorType === 3 ? (hasTrns ? 4 : 3) : PNG_SAMPLES[colorType]) as 1 | 2 | 3 | 4
  const scaled = depth < 8 && colorType !== 3 ? ' (scaled to 0..255)' : ''
  return {
    height,
    width,
    channels,
    bitDepth: depth === 16 ? 16 : 8,
    gray,
    format: 'png',
    hasAlpha: colorType === 4 || colorType === 6 || hasTrns,
    colorConverted: converted,
    description: `PNG ${width}×${height}, ${depth}-bit ${PNG_COLOR_NAMES[colorType]}${scaled}${interlace ? ', interlaced' : ''}`
  }
}

function pngRawSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rowBytes = (w: number): number => 1 + Math.ceil((w * bitsPerPixel) / 8) // +1: filter byte
  if (!interlaced) return height * rowBytes(width)
  let total = 0
  for (const [xs, ys, dx, dy] of ADAM7) {
    const pw = Math.ceil((width - xs) / dx)
    const ph = Math.ceil((height - ys) / dy)
    if (pw > 0 && ph > 0) total += ph * rowBytes(pw)
  }
  return total
}

/** Gray from interleaved RGBA: the channel itself when R = G = B everywhere, else BT.601 luma. */
function luminance(rgba: ArrayLike<number>, n: number, knownGray: boolean): { gray: Float64Array; converted: boolean } {
  const gray = new Float64Array(n)
  let allGray = true
  if (!knownGray) {
    for (let i = 0; i < n; i++) {
      const r = rgba[4 * i]
      if (r !== rgba[4 * i + 1] || r !== rgba[4 * i + 2]) {
        allGray = false
        break
      }
    }
  }
  if (allGray) {
    for (let i = 0; i < n; i++) gray[i] = rgba[4 * i]
  } else {
    // Integer weights then one division: a gray pixel inside a colour image stays exact.
    for (let i = 0; i < n; i++) gray[i] = (299 * rgba[4 * i] + 587 * rgba[4 * i + 1] + 114 * rgba[4 * i + 2]) / 1000
  }
  return { gray, converted: !allGray }
}

// ---------------------------------------------------------------------------------------------
// JPEG

function decodeJpeg(buf: Buffer, fail: (msg: string) => never, maxPixels: number, maxMemoryMB: number): DecodedImage {
  // Read the headers ourselves: jpeg-js would decode 12-bit, lossless or arithmetic-coded files
  // wrongly or with an obscure message, reports truncation only as "marker was not found", and
  // decides the colour space differently from libjpeg; all of that is settled here.
  let pos = 2
  let sof: { marker: number; precision: number; height: number; width: number; ids: number[] } | null = null
  let adobeTransform: number | null = null
  let jfif = false
  const adobeSegments: [number, number][] = []
  let sosPos = -1
  while (sosPos < 0) {
    if (pos >= buf.length) fail('truncated JPEG: the file ends before the image data')
    if (buf[pos] !== 0xff) fail(`corrupt JPEG: expected a marker at byte ${pos}`)
    const markerStart = pos
    while (pos < buf.length && buf[pos] === 0xff) pos++ // fill bytes
    if (pos >= buf.length) fail('truncated JPEG: the file ends before the image data')
    const m = buf[pos++]
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue // parameterless markers
    if (m === 0xd9) fail('corrupt JPEG: end-of-image marker before any image data')
    if (m === 0xd8 || m === 0x00) fail(`corrupt JPEG: unexpected marker ff${hex2(m)} at byte ${pos - 2}`)
    if (pos + 2 > buf.length) fail('truncated JPEG: the file ends inside a marker segment')
    const segLen = buf.readUInt16BE(pos)
    if (segLen < 2 || pos + segLen > buf.length) fail(`truncated JPEG: marker ff${hex2(m)} segment runs past the end of the file`)
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (sof) fail('JPEG has more than one frame; not supported')
      const nc = segLen >= 8 ? buf[pos + 7] : 0
      if (segLen < 8 || segLen < 8 + 3 * nc) fail('corrupt JPEG: frame header too short')
      const ids: number[] = []
      for (let i = 0; i < nc; i++) ids.push(buf[pos + 8 + 3 * i])
      sof = { marker: m, precision: buf[pos + 2], height: buf.readUInt16BE(pos + 3), width: buf.readUInt16BE(pos + 5), ids }
    }
    if (m === 0xe0 && segLen >= 7 && buf.toString('latin1', pos + 2, pos + 7) === 'JFIF\0') jfif = true
    if (m === 0xee && segLen >= 14 && buf.toString('latin1', pos + 2, pos + 7) === 'Adobe') {
      adobeTransform = buf[pos + 13]
      adobeSegments.push([markerStart, pos + segLen])
    }
    if (m === 0xda) sosPos = pos
    pos += segLen
  }
  if (!sof) return fail('corrupt JPEG: image data before any frame header (SOF)')
  const f = sof
  const nc = f.ids.length
  if (f.marker === 0xc3 || f.marker === 0xc7 || f.marker === 0xcb || f.marker === 0xcf) fail('lossless JPEG is not supported')
  if (f.marker >= 0xc9) fail('arithmetic-coded JPEG is not supported')
  if (f.marker >= 0xc5) fail('hierarchical JPEG is not supported')
  if (f.precision !== 8) fail(`${f.precision}-bit JPEG is not supported (only 8-bit); convert it to 16-bit PNG`)
  if (f.width === 0 || f.height === 0) fail(`JPEG with size ${f.width}×${f.height} (height set by a DNL marker) is not supported`)
  if (nc === 4) fail('CMYK/YCCK JPEG is not supported; convert it to grayscale or RGB')
  if (nc !== 1 && nc !== 3) fail(`JPEG with ${nc} colour components is not supported`)
  if (f.width * f.height > maxPixels) {
    fail(`image is ${f.width}×${f.height} (${((f.width * f.height) / 1e6).toFixed(1)} MP), over the ${maxPixels / 1e6} MP limit`)
  }
  let eoi = false
  for (let i = buf.length - 2; i >= sosPos; i--) {
    if (buf[i] === 0xff && buf[i + 1] === 0xd9) {
      eoi = true
      break
    }
  }
  if (!eoi) fail('truncated JPEG: no end-of-image marker after the image data')

  // Colour space as libjpeg(-turbo) decides it, so that we agree with PIL and browsers: a JFIF
  // marker means YCbCr; else the Adobe marker's transform flag (0 = RGB); else RGB only when the
  // components are literally named R, G, B; else YCbCr.
  const rgbIds = nc === 3 && f.ids[0] === 0x52 && f.ids[1] === 0x47 && f.ids[2] === 0x42
  const isRgb = jfif ? false : adobeTransform !== null ? adobeTransform === 0 : rgbIds
  const space: 'gray' | 'ycbcr' | 'rgb' = nc === 1 ? 'gray' : isRgb ? 'rgb' : 'ycbcr'

  // jpeg-js lets an Adobe marker force its YCbCr→RGB conversion over colorTransform: false, so
  // the marker (already read above) is removed and the decoder always returns raw planes.
  let input = buf
  if (adobeSegments.length) {
    const parts: Buffer[] = []
    let at = 0
    for (const [s, e] of adobeSegments) {
      parts.push(buf.subarray(at, s))
      at = e
    }
    parts.push(buf.subarray(at))
    input = Buffer.concat(parts)
  }

  let decoded: { width: number; height: number; data: Uint8Array }
  try {
    decoded = jpeg.decode(input, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform: false,
      // Tolerant mode skips missing blocks and leaves them blank; we want an error.
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: maxMemoryMB
    })
  } catch (err) {
    return fail(`corrupt or unsupported JPEG: ${(err as Error).message}`)
  }
  const { width, height, data } = decoded
  const n = width * height
  if (width !== f.width || height !== f.height || data.length !== 3 * n) {
    fail(`JPEG decoder returned ${width}×${height}×${data.length / Math.max(n, 1)}, expected ${f.width}×${f.height}×3`)
  }

  let gray: Float64Array
  let converted = false
  if (space === 'rgb') {
    const rgba = new Uint8Array(4 * n)
    for (let i = 0; i < n; i++) {
      rgba[4 * i] = data[3 * i]
      rgba[4 * i + 1] = data[3 * i + 1]
      rgba[4 * i + 2] = data[3 * i + 2]
    }
    ;({ gray, converted } = luminance(rgba, n, false))
  } else {
    // Grayscale JPEGs store only Y. For YCbCr the Y plane *is* the BT.601 luma by definition
    // (JFIF), decoded directly: going through RGB and back would add chroma-upsampling and
    // clamping error (up to ~9 grey levels at saturated colours).
    gray = new Float64Array(n)
    for (let i = 0; i < n; i++) gray[i] = data[3 * i]
    if (space === 'ycbcr') {
      for (let i = 0; i < n; i++) {
        if (data[3 * i + 1] !== 128 || data[3 * i + 2] !== 128) {
          converted = true
          break
        }
      }
    }
  }
  const kind = space === 'gray' ? 'grayscale' : space === 'rgb' ? 'RGB' : 'YCbCr'
  return {
    height,
    width,
    channels: nc as 1 | 3,
    bitDepth: 8,
    gray,
    format: 'jpeg',
    hasAlpha: false,
    colorConverted: converted,
    description: `JPEG ${width}×${height}, 8-bit ${kind}${f.marker === 0xc2 ? ', progressive' : ''}`
  }
}

function hex2(m: number): string {
  return m.toString(16).padStart(2, '0')
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Intensity window for export: `min` maps to black, `max` to white; values outside are clamped. */
export interface IntensityWindow {
  /** Default: the data's minimum. */
  min?: number
  /** Default: the data's maximum. */
  max?: number
}

/** Grayscale 8-bit PNG; values mapped linearly from [min, max] to 0..255, clamped and rounded. */
export function encodePng8(data: ArrayLike<number>, height: number, width: number, window: IntensityWindow = {}): Uint8Array {
  const samples = quantise(data, height, width, window, 255)
  return packGrayPng(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength), height, width, 8)
}

/** Grayscale 16-bit PNG; values mapped linearly from [min, max] to 0..65535, clamped and rounded. */
export function encodePng16(data: ArrayLike<number>, height: number, width: number, window: IntensityWindow = {}): Uint8Array {
  const samples = quantise(data, height, width, window, 65535)
  return packGrayPng(samples, height, width, 16)
}

function quantise(data: ArrayLike<number>, height: number, width: number, window: IntensityWindow, top: 255 | 65535): Uint8Array | Uint16Array {
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(width) || height < 1 || width < 1) {
    throw new Error(`cannot encode PNG: invalid size ${height}×${width}`)
  }
  const n = height * width
  if (data.length !== n) throw new Error(`cannot encode PNG: ${data.length} values for a ${height}×${width} image (needs ${n})`)
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < n; i++) {
    const v = data[i]
    // A NaN usually means a diverged reconstruction; writing it as black would hide that.
    if (Number.isNaN(v)) throw new Error(`cannot encode PNG: NaN at pixel (y=${Math.floor(i / width)}, x=${i % width})`)
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  const min = window.min ?? lo
  const max = window.max ?? hi
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error(`cannot encode PNG: window [${min}, ${max}] is not finite`)
  const out = top === 255 ? new Uint8Array(n) : new Uint16Array(n)
  if (max < min) throw new Error(`cannot encode PNG: window max ${max} is below min ${min}`)
  if (max === min) {
    // A constant image (or a zero-width window): values at or below the level are black,
    // anything above white.
    for (let i = 0; i < n; i++) out[i] = data[i] > max ? top : 0
    return out
  }
  const scale = top / (max - min)
  for (let i = 0; i < n; i++) {
    const v = (data[i] - min) * scale
    out[i] = v <= 0 ? 0 : v >= top ? top : Math.round(v)
  }
  return out
}

function packGrayPng(samples: Uint8Array | Uint16Array, height: number, width: number, bitDepth: 8 | 16): Uint8Array {
  // pngjs's packer only reads width, height, data and gamma; a full PNG instance would allocate
  // an unused RGBA buffer. 16-bit input is native-endian in a buffer of its own, as pngjs expects.
  const image = { width, height, data: samples, gamma: 0 } as unknown as PNG
  const bytes = PNG.sync.write(image, { colorType: 0, inputColorType: 0, bitDepth, inputHasAlpha: false })
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** What writePngFile encodes when not given finished PNG bytes. */
export interface PngImageSpec {
  data: ArrayLike<number>
  height: number
  width: number
  /** Default 8. */
  bitDepth?: 8 | 16
  window?: IntensityWindow
}

/**
 * Write a PNG atomically (refuses to overwrite unless options.overwrite). Accepts finished PNG
 * bytes (from encodePng8/16) or the image to encode.
 */
export function writePngFile(file: string, image: Uint8Array | PngImageSpec, options: AtomicWriteOptions = {}): void {
  let bytes: Uint8Array
  if (image instanceof Uint8Array) {
    // Catches raw pixel bytes passed by mistake, which would otherwise be written as a ".png".
    if (detectImageFormat(image) !== 'png') throw new Error(`Cannot write ${file}: the bytes given are not a PNG (use encodePng8/16 first)`)
    bytes = image
  } else {
    try {
      const { data, height, width, bitDepth = 8, window = {} } = image
      if (bitDepth !== 8 && bitDepth !== 16) throw new Error(`bit depth must be 8 or 16, got ${String(bitDepth)}`)
      bytes = bitDepth === 16 ? encodePng16(data, height, width, window) : encodePng8(data, height, width, window)
    } catch (err) {
      throw new Error(`Cannot write ${file}: ${(err as Error).message}`, { cause: err })
    }
  }
  writeFileAtomic(file, bytes, options)
}
