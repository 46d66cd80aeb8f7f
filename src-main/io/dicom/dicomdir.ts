/**
 * DICOMDIR (PS3.10 media directory): the files its directory records reference.
 *
 * Each record may carry a Referenced File ID (0004,1500): path components relative to the
 * DICOMDIR's folder. Media written on other systems often differ in letter case from what the
 * record says, so components are matched case-insensitively when the exact name is missing.
 * A reference that would leave the DICOMDIR's folder is ignored.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { ParsedDicom } from './parse.ts'
import { strings, type ValueReader } from './values.ts'

const MEDIA_DIRECTORY_SOP_CLASS = '1.2.840.10008.1.3.10'
const DIRECTORY_RECORD_SEQUENCE = 'x00041220'

export function isDicomdir(parsed: ParsedDicom): boolean {
  const sopClass = parsed.meta.x00020002
  if (DIRECTORY_RECORD_SEQUENCE in parsed.dataSet.elements) return true
  if (!sopClass) return false
  const r: ValueReader = { ds: { ...parsed.dataSet, byteArray: parsed.metaBytes, elements: parsed.meta }, littleEndian: true, charset: 'latin1' }
  return strings(r, 'x00020002')[0] === MEDIA_DIRECTORY_SOP_CLASS
}

export function dicomdirFiles(parsed: ParsedDicom, dicomdirPath: string, notes: string[]): string[] {
  const root = path.dirname(path.resolve(dicomdirPath))
  const items = parsed.dataSet.elements[DIRECTORY_RECORD_SEQUENCE]?.items ?? []
  const files: string[] = []
  const seen = new Set<string>()
  let missing = 0
  for (const item of items) {
    if (!item.dataSet) continue
    const r: ValueReader = { ds: item.dataSet, littleEndian: parsed.littleEndian, charset: 'latin1' }
    const parts = strings(r, 'x00041500').filter((p) => p !== '')
    if (parts.length === 0) continue
    if (parts.some((p) => p === '..' || p === '.' || p.includes('/') || p.includes('\0'))) {
      notes.push(`DICOMDIR record refers to ${parts.join('\\')}, outside its folder: ignored`)
      continue
    }
    const file = resolveCaseInsensitive(root, parts)
    if (!file) {
      missing++
      continue
    }
    if (!seen.has(file)) {
      seen.add(file)
      files.push(file)
    }
  }
  if (missing) notes.push(`${missing} file(s) listed in the DICOMDIR were not found`)
  return files
}

function resolveCaseInsensitive(root: string, parts: string[]): string | null {
  let dir = root
  for (let i = 0; i < parts.length; i++) {
    const exact = path.join(dir, parts[i])
    let next: string | null = fs.existsSync(exact) ? exact : null
    if (!next) {
      let names: string[] = []
      try {
        names = fs.readdirSync(dir)
      } catch {
        return null
      }
      const want = parts[i].toLowerCase()
      const match = names.find((n) => n.toLowerCase() === want)
      next = match ? path.join(dir, match) : null
    }
    if (!next) return null
    dir = next
  }
  try {
    return fs.statSync(dir).isFile() ? dir : null
  } catch {
    return null
  }
}
