/**
 * Files and folders → DICOM instances → series.
 *
 * A folder is walked recursively; files that are not DICOM (by their first bytes) are skipped
 * quietly but counted in the notes, as are DICOM objects without images and files that fail to
 * decode, so that one bad file never hides a good series. A path that names one file is strict:
 * its error is the result. A DICOMDIR loads the files its records reference.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import type { ImageScan } from '../scan.ts'
import { DicomError } from './errors.ts'
import { decodeDicom, type DecodeOptions, type DicomInstance } from './instance.ts'
import { MAX_DICOM_BYTES, looksLikeDicom, parseDicomBytes, type ParsedDicom } from './parse.ts'
import { dicomdirFiles, isDicomdir } from './dicomdir.ts'
import { groupIntoScans } from './series.ts'

/** Folders deeper than this are not entered (symlink loops, pathological trees). */
const MAX_DEPTH = 32
/** How many skipped/failed file names a note lists before summarising. */
const NAMES_IN_NOTE = 5

export async function readDicomFile(file: string, options: DecodeOptions = {}): Promise<DicomInstance> {
  return decodeDicom(readBytes(file), file, options)
}

export async function loadDicomPath(target: string): Promise<ImageScan[]> {
  const st = statOrThrow(target)
  // File names in notes are relative to what the user opened (a folder, or a DICOMDIR's folder).
  const base = st.isDirectory() ? target : path.dirname(target)
  const notes: string[] = []
  let files: string[]
  let strict = false
  if (st.isDirectory()) {
    files = walk(target, notes)
  } else {
    const bytes = readBytes(target)
    const dicomdir = dicomdirOf(bytes, target)
    if (dicomdir && 'parsed' in dicomdir) {
      files = dicomdirFiles(dicomdir.parsed, target, notes)
      notes.push(`read the DICOMDIR: ${files.length} referenced file(s)`)
      if (files.length === 0) throw new Error(`${target}: the DICOMDIR references no image files that exist`)
    } else if (dicomdir) {
      // A damaged DICOMDIR should not stop the user: its folder usually holds the images.
      notes.push(`DICOMDIR unreadable (${dicomdir.error}); read the files in its folder instead`)
      files = walk(path.dirname(target), notes).filter((f) => path.resolve(f) !== path.resolve(target))
    } else {
      files = [target]
      strict = true
    }
  }

  const instances: DicomInstance[] = []
  const skipped = new Map<string, string[]>()
  const skip = (why: string, file: string): void => {
    const list = skipped.get(why)
    if (list) list.push(file)
    else skipped.set(why, [file])
  }
  for (const file of files) {
    try {
      instances.push(await readDicomFile(file))
    } catch (e) {
      if (strict) throw e
      if (e instanceof DicomError && e.code === 'no-pixel-data') skip('DICOM objects without pixel data (reports, plans, directories…)', file)
      else if (e instanceof DicomError && e.code === 'not-dicom') skip('not DICOM', file)
      else notes.push(`could not read ${path.relative(base, file) || file}: ${(e as Error).message.replace(`${file}: `, '')}`)
    }
  }
  for (const [why, list] of skipped) {
    const names = list.slice(0, NAMES_IN_NOTE).map((f) => path.relative(base, f) || path.basename(f))
    notes.push(`skipped ${list.length} file(s), ${why}: ${names.join(', ')}${list.length > NAMES_IN_NOTE ? ', …' : ''}`)
  }
  if (instances.length === 0) throw new Error(`${target}: no DICOM images found${notes.length ? ` (${notes.join('; ')})` : ''}`)
  return groupIntoScans(instances, target, notes)
}

/** Every file under `root`, sorted, except those whose first bytes say they are not DICOM. */
function walk(root: string, notes: string[]): string[] {
  const out: string[] = []
  const nonDicom: string[] = []
  const visited = new Set<string>()
  const visit = (dir: string, depth: number): void => {
    let real: string
    try {
      real = fs.realpathSync(dir)
    } catch {
      return
    }
    if (visited.has(real) || depth > MAX_DEPTH) return
    visited.add(real)
    let names: string[]
    try {
      names = fs.readdirSync(dir).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    } catch (e) {
      notes.push(`could not list ${dir}: ${(e as Error).message}`)
      return
    }
    for (const name of names) {
      const p = path.join(dir, name)
      let st: fs.Stats
      try {
        st = fs.statSync(p)
      } catch {
        continue
      }
      if (st.isDirectory()) visit(p, depth + 1)
      else if (st.isFile()) {
        const head = readHead(p)
        // Gzipped files are candidates by name; whether they hold DICOM is known after inflating.
        if (head && (looksLikeDicom(head) || (isGzip(head) && /\.(dcm|dicom|ima)\.gz$/i.test(name)))) out.push(p)
        else nonDicom.push(path.relative(root, p))
      }
    }
  }
  visit(root, 0)
  // A DICOMDIR inside a folder adds nothing: the walk finds the files it lists.
  const dirs = out.filter((f) => path.basename(f).toUpperCase() === 'DICOMDIR')
  if (nonDicom.length) {
    notes.push(`skipped ${nonDicom.length} non-DICOM file(s): ${nonDicom.slice(0, NAMES_IN_NOTE).join(', ')}${nonDicom.length > NAMES_IN_NOTE ? ', …' : ''}`)
  }
  if (dirs.length) notes.push(`ignored ${dirs.length} DICOMDIR file(s): the folder's files were read directly`)
  return out.filter((f) => !dirs.includes(f))
}

/** The parsed DICOMDIR, an error for a file named DICOMDIR that does not parse, or null for other files. */
function dicomdirOf(bytes: Uint8Array, file: string): { parsed: ParsedDicom } | { error: string } | null {
  const named = path.basename(file).toUpperCase().startsWith('DICOMDIR')
  if (!looksLikeDicom(bytes)) return named ? { error: 'not a DICOM file' } : null
  try {
    const parsed = parseDicomBytes(bytes, file)
    return isDicomdir(parsed) ? { parsed } : null
  } catch (e) {
    // Other files: decoding reports the real error.
    return named ? { error: (e as Error).message.replace(`${file}: `, '') } : null
  }
}

function readHead(file: string): Uint8Array | null {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, 'r')
    const head = new Uint8Array(256)
    const n = fs.readSync(fd, head, 0, head.length, 0)
    return head.subarray(0, n)
  } catch {
    return null
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

function readBytes(file: string): Uint8Array {
  const st = statOrThrow(file)
  if (st.isDirectory()) throw new Error(`${file}: is a folder, not a file`)
  if (st.size > MAX_DICOM_BYTES) throw new DicomError('too-large', file, `file is ${st.size} bytes; the limit is ${MAX_DICOM_BYTES}`)
  let bytes: Uint8Array
  try {
    bytes = fs.readFileSync(file)
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as Error).message})`, { cause: e })
  }
  return isGzip(bytes) ? gunzipDicom(bytes, file) : bytes
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/** Gzipped DICOM (common in archives and Debian test data): inflate with the same size cap. */
function gunzipDicom(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: MAX_DICOM_BYTES })
  } catch (e) {
    throw new DicomError('corrupt', file, `cannot decompress gzip (${(e as Error).message})`)
  }
}

function statOrThrow(p: string): fs.Stats {
  try {
    return fs.statSync(p)
  } catch (e) {
    const code = (e as { code?: string }).code
    throw new Error(code === 'ENOENT' ? `${p}: no such file or folder` : `${p}: cannot access (${(e as Error).message})`, { cause: e })
  }
}
