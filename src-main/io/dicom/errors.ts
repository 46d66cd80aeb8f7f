/**
 * One error type for everything the DICOM reader refuses, so that callers (the folder loader, the
 * UI) can tell "not an image" from "broken file" from "we cannot decode this syntax" without
 * parsing messages, and so that no internal TypeError/RangeError or a string thrown by
 * dicom-parser ever reaches a user with a message that names neither the file nor the problem.
 */

export type DicomErrorCode =
  /** Structurally broken: truncated, impossible lengths, values out of range. */
  | 'corrupt'
  /** A transfer syntax or pixel encoding we do not decode. */
  | 'unsupported'
  /** A valid DICOM object that carries no image (SR, RT plan, DICOMDIR…). */
  | 'no-pixel-data'
  /** Not DICOM at all. */
  | 'not-dicom'
  /** Bigger than the reader's limits. */
  | 'too-large'

export class DicomError extends Error {
  constructor(
    readonly code: DicomErrorCode,
    /** The file (or the label the caller gave for in-memory bytes). */
    readonly source: string,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(`${source}: ${message}`, options)
    this.name = 'DicomError'
  }
}

/** Text for anything thrown: dicom-parser throws strings and {exception, dataSet} objects, Emscripten throws numbers. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return plain(e.message)
  if (typeof e === 'string') return plain(e)
  // A C++ exception surfaces as a pointer into WASM memory: the number means nothing to anyone.
  if (typeof e === 'number') return 'the codec rejected the data'
  if (typeof e === 'object' && e !== null && 'exception' in e) return describeThrown((e as { exception: unknown }).exception)
  try {
    return String(e)
  } catch {
    return 'unknown error'
  }
}

/** dicom-parser's messages name its functions; say what they mean about the file instead. */
const PARSER_MESSAGES: [RegExp, string][] = [
  [/basic offset table not found/, 'encapsulated pixel data does not start with a Basic Offset Table item'],
  [/item tag \(FFFE,E000\) not found at offset (\d+)/, 'a sequence item tag is missing at byte $1'],
  [/attempt to read past end of buffer|readByteStream - buffer overread|cannot be greater than or equal to 'byteArray' length/, 'the file ends in the middle of an element'],
  [/missing sequence delimiter/, 'encapsulated pixel data has no sequence delimiter']
]

function plain(message: string): string {
  for (const [pattern, text] of PARSER_MESSAGES) {
    const m = pattern.exec(message)
    if (m) return text.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? '')
  }
  return message
}

/** A header value quoted for a message: control and non-ASCII bytes (corrupt data) shown as '?'. */
export function quoted(value: string, max = 64): string {
  const s = value.replace(/[^\x20-\x7e]/g, '?')
  return `"${s.length > max ? `${s.slice(0, max)}…` : s}"`
}

/**
 * Runs `fn` and turns anything it throws that is not already a DicomError into one, marked
 * corrupt: an internal exception while reading a file means the file broke an assumption.
 */
export function guard<T>(source: string, what: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw wrapError(source, what, e)
  }
}

export async function guardAsync<T>(source: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    throw wrapError(source, what, e)
  }
}

export function wrapError(source: string, what: string, e: unknown): DicomError {
  if (e instanceof DicomError) return e
  return new DicomError('corrupt', source, `corrupt or unsupported DICOM (${what}: ${describeThrown(e)})`, { cause: e })
}
