/**
 * Bytes → parsed DICOM data set (elements and their offsets; no pixel decoding).
 *
 * dicom-parser does the element parsing. Around it this module decides how the data set is
 * encoded, which real files get wrong in several ways that pydicom and DCMTK tolerate:
 *  - no file meta (no "DICM" preamble): the encoding is guessed from the first element;
 *  - file meta without a Transfer Syntax UID: guessed the same way;
 *  - a transfer syntax saying Explicit VR over a data set written Implicit VR (or the reverse);
 *  - deflated data sets, inflated here with an output limit (a small file must not inflate to
 *    gigabytes).
 * Every guess is reported in `notes`.
 */
import { inflateRawSync, inflateSync } from 'node:zlib'
import { dicomParser, type DataSet, type Element } from './parser-lib.ts'
import { DicomError, describeThrown } from './errors.ts'
import { DEFLATED_LE, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, transferSyntaxInfo, transferSyntaxName } from './transfer-syntax.ts'

/** No DICOM file this reader accepts is larger (inflated data sets included). */
export const MAX_DICOM_BYTES = 2 ** 31 - 1

export interface ParsedDicom {
  source: string
  dataSet: DataSet
  /** File meta elements (group 0002), empty when the file has none; offsets index `metaBytes`. */
  meta: Record<string, Element>
  /** The bytes the meta elements point into (the file as read: a deflated data set is inflated elsewhere). */
  metaBytes: Uint8Array
  /** The transfer syntax that governs pixel data (from the meta, or the guess). */
  transferSyntaxUid: string
  /** How the data set was actually read. */
  littleEndian: boolean
  explicitVr: boolean
  notes: string[]
}

const VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SQ',
  'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV'
])

interface Encoding {
  explicitVr: boolean
  littleEndian: boolean
  label: string
}

const ENC_EXPLICIT_LE: Encoding = { explicitVr: true, littleEndian: true, label: 'Explicit VR Little Endian' }
const ENC_IMPLICIT_LE: Encoding = { explicitVr: false, littleEndian: true, label: 'Implicit VR Little Endian' }
const ENC_EXPLICIT_BE: Encoding = { explicitVr: true, littleEndian: false, label: 'Explicit VR Big Endian' }

export function hasPreamble(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
}

/**
 * True for a Part 10 file ('DICM' at 128) or a plausible bare data set: the first element is in
 * group 0002 or 0008 (in either byte order) with a valid VR or a sane implicit length.
 */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  if (hasPreamble(bytes)) return true
  if (bytes.length < 12) return false
  for (const le of [true, false]) {
    const group = le ? bytes[0] | (bytes[1] << 8) : (bytes[0] << 8) | bytes[1]
    const elem = le ? bytes[2] | (bytes[3] << 8) : (bytes[2] << 8) | bytes[3]
    if (group !== 0x0002 && group !== 0x0008) continue
    // Elements of these groups are numbered well below 0x2000 (0008,xxxx tops out near 0x9460).
    if (elem > 0x9fff) continue
    if (isVr(bytes, 4)) return true
    if (le) {
      const len = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)
      if (len >= 0 && len < Math.min(bytes.length, 1 << 16)) return true
    }
  }
  return false
}

function isVr(bytes: Uint8Array, at: number): boolean {
  return at + 2 <= bytes.length && VRS.has(String.fromCharCode(bytes[at], bytes[at + 1]))
}

export function parseDicomBytes(input: Uint8Array, source: string): ParsedDicom {
  if (input.length > MAX_DICOM_BYTES) throw new DicomError('too-large', source, `file is ${input.length} bytes; the limit is ${MAX_DICOM_BYTES}`)
  if (!looksLikeDicom(input)) throw new DicomError('not-dicom', source, 'not a DICOM file (no "DICM" marker at byte 128 and no recognisable data set at the start)')
  // dicom-parser allocates with the deprecated Buffer() constructor when handed a Buffer.
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(input)) input = new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  const notes: string[] = []
  const { meta, position } = readMeta(input, source)
  let bytes = input
  let start = position
  const declared = meta.x00020010 ? metaString(input, meta.x00020010) : undefined

  let tsUid: string
  let candidates: Encoding[]
  if (declared) {
    tsUid = declared
    const info = transferSyntaxInfo(tsUid)
    if (tsUid === DEFLATED_LE) {
      bytes = inflate(input, position, source)
      start = 0
    }
    // Encapsulated and unknown syntaxes are all Explicit VR Little Endian by definition.
    const declaredEnc = !info ? ENC_EXPLICIT_LE : !info.explicitVr ? ENC_IMPLICIT_LE : info.littleEndian ? ENC_EXPLICIT_LE : ENC_EXPLICIT_BE
    candidates = [declaredEnc, ...guessOrder(bytes, start).filter((e) => e !== declaredEnc)]
  } else {
    candidates = guessOrder(bytes, start)
    tsUid = ''
  }

  let firstError: unknown
  for (const enc of candidates) {
    if (start >= bytes.length) break
    // A data set whose first element does not fit the encoding is not tried with it; the
    // declared encoding is always tried first so that its error is the one reported.
    if (enc !== candidates[0] && !plausibleStart(bytes, start, enc)) continue
    try {
      const ds = parseDataSet(bytes, start, enc)
      if (enc !== candidates[0] || !declared) {
        if (!declared) {
          tsUid = enc === ENC_IMPLICIT_LE ? IMPLICIT_LE : enc === ENC_EXPLICIT_BE ? EXPLICIT_BE : EXPLICIT_LE
          notes.push(`${Object.keys(meta).length ? 'file meta has no Transfer Syntax UID' : 'no DICOM file meta'}: guessed ${enc.label}`)
        } else {
          notes.push(`data set is encoded ${enc.label} although the transfer syntax is ${transferSyntaxName(tsUid)}; read as ${enc.label}`)
          // The pixel data of a native syntax follows the encoding actually used.
          if (transferSyntaxInfo(tsUid)?.codec === 'native') tsUid = enc === ENC_IMPLICIT_LE ? IMPLICIT_LE : enc === ENC_EXPLICIT_BE ? EXPLICIT_BE : EXPLICIT_LE
        }
      }
      for (const w of ds.warnings.slice(0, 3)) notes.push(`parser warning: ${w}`)
      return { source, dataSet: ds, meta, metaBytes: input, transferSyntaxUid: tsUid, littleEndian: enc.littleEndian, explicitVr: enc.explicitVr, notes }
    } catch (e) {
      firstError ??= e
    }
  }
  if (start >= bytes.length) throw new DicomError('corrupt', source, 'DICOM file has a file meta header but no data set')
  throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (${explainParseError(firstError)})`, { cause: firstError })
}

/** Reads the file meta group, if any; returns its elements and where the data set starts. */
function readMeta(bytes: Uint8Array, source: string): { meta: Record<string, Element>; position: number } {
  let start: number
  if (hasPreamble(bytes)) start = 132
  else if (bytes[0] === 0x02 && bytes[1] === 0x00 && isVr(bytes, 4)) start = 0 // meta without preamble
  else return { meta: {}, position: 0 }
  try {
    const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, bytes, start)
    const meta: Record<string, Element> = {}
    while (stream.position + 8 <= bytes.length) {
      const at = stream.position
      const group = bytes[at] | (bytes[at + 1] << 8)
      if (group !== 0x0002) break
      const el = dicomParser.readDicomElementExplicit(stream, [])
      if (stream.position > bytes.length) throw new Error(`file meta element ${el.tag} runs past the end of the file`)
      meta[el.tag] = el
    }
    return { meta, position: stream.position }
  } catch (e) {
    throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (unreadable file meta information: ${describeThrown(e)})`, { cause: e })
  }
}

function metaString(bytes: Uint8Array, el: Element): string | undefined {
  if (el.length <= 0 || el.dataOffset + el.length > bytes.length || el.length > 256) return undefined
  let s = ''
  for (let i = el.dataOffset; i < el.dataOffset + el.length; i++) s += String.fromCharCode(bytes[i])
  s = s.replace(/[\0 ]+$/, '').trim()
  return s || undefined
}

/**
 * Encodings in order of how well the first element fits them: a plausible start first, and among
 * those the byte order that makes the first group a small one (0008 read big-endian is 0800
 * read little-endian, which is also "plausible" but never starts a real data set).
 */
function guessOrder(bytes: Uint8Array, start: number): Encoding[] {
  const score = (e: Encoding): number => {
    if (!plausibleStart(bytes, start, e)) return 2
    const group = e.littleEndian ? bytes[start] | (bytes[start + 1] << 8) : (bytes[start] << 8) | bytes[start + 1]
    return group <= 0x0028 ? 0 : 1
  }
  return [ENC_EXPLICIT_LE, ENC_IMPLICIT_LE, ENC_EXPLICIT_BE].sort((a, b) => score(a) - score(b))
}

function plausibleStart(bytes: Uint8Array, at: number, enc: Encoding): boolean {
  if (at + 8 > bytes.length) return false
  const group = enc.littleEndian ? bytes[at] | (bytes[at + 1] << 8) : (bytes[at] << 8) | bytes[at + 1]
  // Group 0000 (command) and 0002 (meta) never start a stored data set; anything up to
  // pixel data may (0008 normally, 0004 in a DICOMDIR, even illegal odd groups in test files).
  if (group === 0x0000 || group === 0x0002 || group > 0x7fe0) return false
  if (enc.explicitVr) return isVr(bytes, at + 4)
  if (isVr(bytes, at + 4)) return false
  const len = bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24)
  return len === -1 || (len >= 0 && at + 8 + len <= bytes.length)
}

function parseDataSet(bytes: Uint8Array, start: number, enc: Encoding): DataSet {
  const parser = enc.littleEndian ? dicomParser.littleEndianByteArrayParser : dicomParser.bigEndianByteArrayParser
  const stream = new dicomParser.ByteStream(parser, bytes, start)
  const ds = new dicomParser.DataSet(parser, bytes, {})
  ds.warnings = stream.warnings
  try {
    if (enc.explicitVr) dicomParser.parseDicomDataSetExplicit(ds, stream, bytes.length, {})
    // Without a VR, encapsulated pixel data would look like a sequence (its first fragment is an
    // item) and its compressed bytes would be parsed as data sets.
    else dicomParser.parseDicomDataSetImplicit(ds, stream, bytes.length, { vrCallback: (tag: string) => (tag === 'x7fe00010' ? 'OB' : undefined) })
  } catch (e) {
    // dicom-parser throws strings; keep the partial data set to explain what overran.
    throw { exception: e, dataSet: ds }
  }
  if (Object.keys(ds.elements).length === 0) throw 'no elements in the data set'
  return ds
}

/** Turns dicom-parser's exceptions into a sentence, naming the element that overran if known. */
function explainParseError(e: unknown): string {
  const detail = describeThrown(e)
  const partial = typeof e === 'object' && e !== null && 'dataSet' in e ? (e as { dataSet: DataSet }).dataSet : undefined
  if (partial && /overrun|overread|past end|seek/i.test(detail)) {
    let last: Element | undefined
    for (const el of Object.values(partial.elements)) if (!last || el.dataOffset > last.dataOffset) last = el
    if (last && last.length !== 0xffffffff && last.dataOffset + last.length > partial.byteArray.length) {
      const have = Math.max(0, partial.byteArray.length - last.dataOffset)
      const what = last.tag === 'x7fe00010' ? 'pixel data' : `element (${last.tag.slice(1, 5)},${last.tag.slice(5)})`
      return `truncated: ${what} needs ${last.length} bytes but only ${have} remain in the file`
    }
  }
  // dicom-parser's wording ("invalid value for parameter 'maxPosition'") names its internals, not the problem.
  if (/maxP ?osition|buffer overrun|overread|past end/i.test(detail)) return 'truncated or corrupt: an element or sequence item runs past the end of the file'
  return `data set unreadable: ${detail}`
}

function inflate(bytes: Uint8Array, position: number, source: string): Uint8Array {
  const body = bytes.subarray(position)
  const opts = { maxOutputLength: MAX_DICOM_BYTES }
  try {
    return new Uint8Array(inflateRawSync(body, opts))
  } catch (rawError) {
    // Some writers use a zlib (RFC 1950) wrapper instead of raw deflate.
    try {
      return new Uint8Array(inflateSync(body, opts))
    } catch {
      const msg = describeThrown(rawError)
      if (/larger than|too large|maxOutputLength/i.test(msg)) {
        throw new DicomError('too-large', source, `deflated data set inflates to more than ${opts.maxOutputLength} bytes`)
      }
      throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (deflated data set cannot be inflated: ${msg})`, { cause: rawError })
    }
  }
}
