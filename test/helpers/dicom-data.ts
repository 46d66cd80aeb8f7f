/**
 * Shared DICOM test data and the pydicom reference cache for the DICOM reader's tests.
 *
 * The shared data lives outside the repository (<repo>/../shared/data/dicom). The reference is
 * made by test/fixtures/dicom/make_reference.py with the system Python (pydicom 2.3, GDCM,
 * numpy, DCMTK from Debian) into test-output/dicom-reference/, and remade whenever the scripts
 * or any data file change (a fingerprint of both is stored with it). Synthetic edge-case files
 * come from test/fixtures/dicom/make_synthetic.py into test-output/dicom-synthetic/.
 */
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseNpy } from '../../src-main/io/npy.ts'

export const SHARED_DICOM = fileURLToPath(new URL('../../../shared/data/dicom', import.meta.url))
export const NO_SHARED_DICOM: string | false = fs.existsSync(SHARED_DICOM) ? false : `shared DICOM data not found at ${SHARED_DICOM}`

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'dicom')
export const TEST_OUTPUT = path.join(REPO, 'test-output')
export const SYNTHETIC_DIR = path.join(TEST_OUTPUT, 'dicom-synthetic')
export const REFERENCE_DIR = path.join(TEST_OUTPUT, 'dicom-reference')

export interface ReferenceEntry {
  file: string
  status: 'decoded' | 'pydicom-error' | 'no-pixel-data' | 'gzip' | 'unreadable'
  transferSyntax?: string
  photometric?: string
  shape?: number[]
  npy?: string
  handler?: string
  error?: string
  masked?: boolean
  tsGuessed?: boolean
  /** 'same' | 'differs' | 'error: …' when DCMTK also decoded it. */
  dcmtk?: string
  dcmtkNpy?: string
  dcmdump?: { status: number; error: string | null } | null
}

export interface ReferenceManifest {
  fingerprint: string
  pydicom: string
  files: Record<string, ReferenceEntry>
}

/** The Python with pydicom and numpy, or null. /usr/bin/python3 first: a pyenv python3 may lack them. */
export function findPydicomPython(): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', 'import pydicom, numpy'], { stdio: 'ignore' })
    if (r.status === 0) return exe
  }
  return null
}

/** Absolute path of a manifest key ("dicom/…" under the shared data, "dicom-synthetic/…" under test-output). */
export function referencedPath(key: string): string {
  const [root, ...rest] = key.split('/')
  return root === 'dicom' ? path.join(SHARED_DICOM, ...rest) : path.join(TEST_OUTPUT, root, ...rest)
}

export function readReferenceArray(name: string): { shape: number[]; data: ArrayLike<number> } {
  const arr = parseNpy(fs.readFileSync(path.join(REFERENCE_DIR, 'arrays', name)), name)
  return { shape: arr.shape, data: arr.data as ArrayLike<number> }
}

/**
 * Makes (or reuses) the synthetic files and the reference. Returns the manifest, or a reason
 * to skip (no Python with pydicom, or the scripts failed).
 */
export function ensureReference(python: string): ReferenceManifest | string {
  const synth = ensureSynthetic(python)
  if (typeof synth === 'string') return synth
  const fingerprint = hash([script('make_reference.py'), script('make_synthetic.py'), listing(SHARED_DICOM), listing(SYNTHETIC_DIR)].join('\n'))
  const manifestPath = path.join(REFERENCE_DIR, 'manifest.json')
  if (fs.existsSync(manifestPath)) {
    const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as ReferenceManifest
    if (m.fingerprint === fingerprint) return m
  }
  // Built beside the final place and renamed, so an interrupted run never leaves half a cache.
  const tmp = `${REFERENCE_DIR}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  const r = spawnSync(python, [path.join(FIXTURES, 'make_reference.py'), tmp, fingerprint, SHARED_DICOM, SYNTHETIC_DIR], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  })
  if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true })
    return `make_reference.py failed (${r.status}): ${r.stderr.slice(-2000)}`
  }
  fs.rmSync(REFERENCE_DIR, { recursive: true, force: true })
  fs.renameSync(tmp, REFERENCE_DIR)
  return JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as ReferenceManifest
}

function ensureSynthetic(python: string): true | string {
  const stamp = path.join(SYNTHETIC_DIR, '.stamp')
  const want = hash(script('make_synthetic.py') + listing(SHARED_DICOM))
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return true
  const tmp = `${SYNTHETIC_DIR}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  const r = spawnSync(python, ['-W', 'ignore', path.join(FIXTURES, 'make_synthetic.py'), SHARED_DICOM, tmp], { encoding: 'utf8' })
  if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true })
    return `make_synthetic.py failed (${r.status}): ${r.stderr.slice(-2000)}`
  }
  fs.writeFileSync(path.join(tmp, '.stamp'), want)
  fs.rmSync(SYNTHETIC_DIR, { recursive: true, force: true })
  fs.renameSync(tmp, SYNTHETIC_DIR)
  return true
}

function script(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8')
}

/** Every file under `dir` with its size and modification time (dot files excluded). */
function listing(dir: string): string {
  const out: string[] = []
  const visit = (d: string): void => {
    if (!fs.existsSync(d)) return
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.')) continue
      const p = path.join(d, name)
      const st = fs.statSync(p)
      if (st.isDirectory()) visit(p)
      else out.push(`${path.relative(dir, p)}\t${st.size}\t${Math.round(st.mtimeMs)}`)
    }
  }
  visit(dir)
  return out.join('\n')
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32)
}

/** All files under a folder, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = []
  const visit = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name)
      if (fs.statSync(p).isDirectory()) visit(p)
      else out.push(p)
    }
  }
  visit(dir)
  return out
}
