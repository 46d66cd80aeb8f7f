/**
 * A small XML reader for the ISMRMRD header (fastMRI's `ismrmrd_header`, ISMRMRD's
 * `/dataset/xml`): elements, attributes and text only, namespace prefixes dropped. No DTDs or
 * external entities are ever resolved, so a hostile header can only produce an error.
 */

export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  text: string
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const MAX_DEPTH = 64

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)
      return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m
    }
    return ENTITIES[e] ?? m
  })
}

function localName(qname: string): string {
  const i = qname.indexOf(':')
  return i < 0 ? qname : qname.slice(i + 1)
}

/** Parse a document; throws with the character offset on malformed input. */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' }
  const stack: XmlElement[] = [root]
  let pos = 0
  const fail = (msg: string): never => {
    throw new Error(`malformed XML at character ${pos}: ${msg}`)
  }
  while (pos < text.length) {
    const lt = text.indexOf('<', pos)
    const top = stack[stack.length - 1]
    if (lt < 0) {
      if (text.slice(pos).trim()) top.text += decodeEntities(text.slice(pos))
      break
    }
    if (lt > pos) top.text += decodeEntities(text.slice(pos, lt))
    pos = lt
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4)
      if (end < 0) fail('unterminated comment')
      pos = end + 3
    } else if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos + 9)
      if (end < 0) fail('unterminated CDATA section')
      top.text += text.slice(pos + 9, end)
      pos = end + 3
    } else if (text.startsWith('<?', pos)) {
      const end = text.indexOf('?>', pos + 2)
      if (end < 0) fail('unterminated processing instruction')
      pos = end + 2
    } else if (text.startsWith('<!', pos)) {
      // <!DOCTYPE …>: skipped, never interpreted (no entity expansion).
      const end = text.indexOf('>', pos + 2)
      if (end < 0) fail('unterminated declaration')
      pos = end + 1
    } else if (text.startsWith('</', pos)) {
      const end = text.indexOf('>', pos + 2)
      if (end < 0) fail('unterminated end tag')
      const name = localName(text.slice(pos + 2, end).trim())
      if (stack.length < 2 || top.name !== name) fail(`end tag </${name}> does not match <${top.name}>`)
      stack.pop()
      pos = end + 1
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(text.slice(pos, pos + 4096))
      if (!m) return fail('bad start tag')
      const el: XmlElement = { name: localName(m[1]), attrs: {}, children: [], text: '' }
      for (const a of m[2].matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        el.attrs[localName(a[1])] = decodeEntities(a[2] ?? a[3] ?? '')
      }
      top.children.push(el)
      if (!m[3]) {
        if (stack.length > MAX_DEPTH) fail('nesting too deep')
        stack.push(el)
      }
      pos += m[0].length
    }
  }
  if (stack.length > 1) fail(`unclosed element <${stack[stack.length - 1].name}>`)
  const docs = root.children
  if (docs.length !== 1) fail(docs.length === 0 ? 'no root element' : 'more than one root element')
  return docs[0]
}

/** First element along a path of child names, e.g. 'encoding/encodedSpace/matrixSize'. */
export function xmlFind(el: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = el
  for (const part of path.split('/')) {
    if (!cur) return undefined
    cur = cur.children.find((c) => c.name === part)
  }
  return cur
}

export function xmlText(el: XmlElement | undefined, path: string): string | undefined {
  const t = xmlFind(el, path)?.text.trim()
  return t === undefined || t === '' ? undefined : t
}

export function xmlNumber(el: XmlElement | undefined, path: string): number | undefined {
  const t = xmlText(el, path)
  if (t === undefined) return undefined
  const v = Number(t)
  return Number.isFinite(v) ? v : undefined
}
