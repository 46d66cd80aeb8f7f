/**
 * Reading element values from a parsed data set, with every offset checked against the buffer.
 *
 * dicom-parser's own accessors are lenient in ways that hide broken files (parseInt('1A') is 1)
 * and know nothing about character sets; these are strict where a wrong value would silently
 * change the image (sizes, bit depths, frame counts) and decode text with the file's
 * Specific Character Set.
 */
import type { DataSet, Element } from './parser-lib.ts'

export interface ValueReader {
  ds: DataSet
  littleEndian: boolean
  /** TextDecoder label for person names and free text, from (0008,0005). */
  charset: string
}

export function tagKey(group: number, element: number): string {
  return `x${group.toString(16).padStart(4, '0')}${element.toString(16).padStart(4, '0')}`
}

export function element(r: ValueReader, tag: string): Element | undefined {
  return r.ds.elements[tag]
}

/** The element's value bytes, or undefined when absent or empty. Throws if they lie outside the buffer. */
export function valueBytes(r: ValueReader, tag: string): Uint8Array | undefined {
  const el = r.ds.elements[tag]
  if (!el || el.length === 0 || el.hadUndefinedLength) return undefined
  const buf = r.ds.byteArray
  if (!Number.isSafeInteger(el.dataOffset) || el.dataOffset < 0 || el.dataOffset + el.length > buf.length) {
    throw new Error(`element (${tag.slice(1, 5)},${tag.slice(5)}) lies outside the file`)
  }
  return buf.subarray(el.dataOffset, el.dataOffset + el.length)
}

const latin1 = new TextDecoder('latin1')

/** Raw text of an element: values separated by backslash, trailing padding removed. */
export function text(r: ValueReader, tag: string, decodeCharset = false): string | undefined {
  const bytes = valueBytes(r, tag)
  if (!bytes) return undefined
  let s: string
  try {
    s = decodeCharset ? new TextDecoder(r.charset).decode(bytes) : latin1.decode(bytes)
  } catch {
    s = latin1.decode(bytes)
  }
  // Padding is a trailing space (or NUL for UI); some writers pad with several.
  return s.replace(/[\0 ]+$/, '')
}

/** All values of a string element, each trimmed; [] when absent. */
export function strings(r: ValueReader, tag: string, decodeCharset = false): string[] {
  const s = text(r, tag, decodeCharset)
  if (s === undefined || s === '') return []
  return s.split('\\').map((v) => v.trim())
}

/** First value of a string element, trimmed; undefined when absent or empty. */
export function string(r: ValueReader, tag: string, decodeCharset = false): string | undefined {
  const v = strings(r, tag, decodeCharset)[0]
  return v === undefined || v === '' ? undefined : v
}

/** Unsigned 16-bit value (US), or undefined when absent/empty. */
export function uint16(r: ValueReader, tag: string, index = 0): number | undefined {
  const b = valueBytes(r, tag)
  if (!b || b.length < 2 * (index + 1)) return undefined
  const o = 2 * index
  return r.littleEndian ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]
}

/** All 16-bit values of an element (US/SS/OW); signed when asked. */
export function uint16s(r: ValueReader, tag: string, signed = false): number[] {
  const b = valueBytes(r, tag)
  if (!b) return []
  const out: number[] = []
  for (let o = 0; o + 1 < b.length; o += 2) {
    const v = r.littleEndian ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]
    out.push(signed && v >= 0x8000 ? v - 0x10000 : v)
  }
  return out
}

/** Decimal strings (DS), strictly parsed; NaN for a value that is not a number. */
export function decimals(r: ValueReader, tag: string): number[] {
  return strings(r, tag).filter((v) => v !== '').map(parseDecimal)
}

export function parseDecimal(v: string): number {
  const t = v.trim()
  // Number() accepts hex, binary and "Infinity", none of which are DICOM decimal strings.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return NaN
  return Number(t)
}

/** First value of an integer string (IS): a number, undefined when absent/empty, NaN when malformed. */
export function integerString(r: ValueReader, tag: string): number | undefined {
  const v = strings(r, tag)[0]
  if (v === undefined || v === '') return undefined
  return /^[+-]?\d+$/.test(v) ? Number(v) : NaN
}

/** Exactly `n` finite decimals, or undefined (absent, wrong count or malformed). */
export function decimalVector(r: ValueReader, tag: string, n: number): number[] | undefined {
  const v = decimals(r, tag)
  return v.length === n && v.every(Number.isFinite) ? v : undefined
}

/** TextDecoder label for a DICOM Specific Character Set value (first component). */
export function charsetLabel(specificCharacterSet: string[]): string {
  // With code extensions (ISO 2022) the first value is the default repertoire; escape sequences
  // inside values are not interpreted (rare, and names remain readable in their ASCII parts).
  const term = (specificCharacterSet.find((s) => s !== '') ?? '').toUpperCase().replace('ISO 2022 ', 'ISO_')
  const table: Record<string, string> = {
    'ISO_IR 6': 'latin1',
    'ISO_IR 100': 'latin1',
    'ISO_IR 101': 'iso-8859-2',
    'ISO_IR 109': 'iso-8859-3',
    'ISO_IR 110': 'iso-8859-4',
    'ISO_IR 144': 'iso-8859-5',
    'ISO_IR 127': 'iso-8859-6',
    'ISO_IR 126': 'iso-8859-7',
    'ISO_IR 138': 'iso-8859-8',
    'ISO_IR 148': 'iso-8859-9',
    'ISO_IR 203': 'iso-8859-15',
    'ISO_IR 13': 'shift_jis',
    'ISO_IR 87': 'iso-2022-jp',
    'ISO_IR 149': 'euc-kr',
    'ISO_IR 166': 'windows-874',
    'ISO_IR 192': 'utf-8',
    GB18030: 'gb18030',
    GBK: 'gbk'
  }
  return table[term] ?? 'latin1'
}
