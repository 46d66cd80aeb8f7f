/**
 * Just enough of a PDF reader for the tests: inflate every FlateDecode stream and collect the
 * strings that pdfkit's text operators draw ([<hex> kern <hex>] TJ with the standard fonts).
 */
import { inflateSync } from 'node:zlib'

export function pdfStreams(pdf: Uint8Array): string[] {
  const text = Buffer.from(pdf).toString('latin1')
  const out: string[] = []
  let pos = 0
  for (;;) {
    const kw = text.indexOf('stream', pos)
    if (kw < 0) break
    if (text.slice(kw - 3, kw) === 'end') {
      pos = kw + 6
      continue
    }
    let start = kw + 6
    if (text[start] === '\r') start++
    if (text[start] === '\n') start++
    const end = text.indexOf('endstream', start)
    if (end < 0) break
    const dict = text.slice(text.lastIndexOf(' obj', kw), kw)
    let raw = Buffer.from(text.slice(start, end), 'latin1')
    if (raw[raw.length - 1] === 0x0a) raw = raw.subarray(0, raw.length - 1)
    if (raw[raw.length - 1] === 0x0d) raw = raw.subarray(0, raw.length - 1)
    if (dict.includes('/FlateDecode')) {
      try {
        out.push(inflateSync(raw).toString('latin1'))
      } catch {
        out.push('')
      }
    } else out.push(raw.toString('latin1'))
    pos = end + 9
  }
  return out
}

/** The text drawn on the pages, one TJ/Tj operation per line. */
export function pdfText(pdf: Uint8Array): string {
  const lines: string[] = []
  for (const s of pdfStreams(pdf)) {
    for (const m of s.matchAll(/\[((?:<[0-9a-fA-F]*>|[\s\d.-])*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hex = m[1] !== undefined ? [...m[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('') : m[2]
      lines.push(Buffer.from(hex, 'hex').toString('latin1'))
    }
  }
  return lines.join('\n')
}
