/**
 * Every file of the shared DICOM collection (and the synthetic edge cases) decoded by our reader
 * and compared with an independent decoder: pydicom 2.3 + GDCM, and DCMTK where it decodes the
 * syntax. Lossless syntaxes must match exactly; lossy ones within the codecs' rounding tolerance.
 * Files pydicom cannot decode, or that hold no image, must give a clear DicomError.
 *
 * The per-syntax table is written to test-output/dicom-reference-report.md.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { decodeDicom, DicomError, SUPPORTED_TRANSFER_SYNTAXES, transferSyntaxName, type DicomInstance } from '../../src-main/io/dicom/index.ts'
import {
  NO_SHARED_DICOM,
  TEST_OUTPUT,
  ensureReference,
  findPydicomPython,
  readReferenceArray,
  referencedPath,
  type ReferenceEntry,
  type ReferenceManifest
} from '../helpers/dicom-data.ts'

const PY = NO_SHARED_DICOM ? null : findPydicomPython()
const SKIP = NO_SHARED_DICOM || (PY ? false : 'pydicom/numpy not available for /usr/bin/python3 or python3: reference comparison skipped')

const LOSSLESS = new Set([
  '1.2.840.10008.1.2',
  '1.2.840.10008.1.2.1',
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.2',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.5'
])

/**
 * Lossy syntaxes: decoders may differ in IDCT/wavelet rounding and in YCbCr → RGB conversion
 * (pydicom converts in float32, libjpeg with integer tables). In stored units (before rescale).
 */
const TOLERANCE = { maxAbs: 3, meanAbs: 0.1 }

/** Files the reference "decodes" that we refuse, each with the reason the refusal is right. */
const KNOWN_REFUSALS: Record<string, string> = {
  'dicom/pydicom/test_files/JPEG2000-embedded-sequence-delimiter.dcm':
    'the JPEG 2000 codestream is deliberately corrupt (4 bytes replaced by a sequence delimiter); GDCM/OpenJPEG report "Invalid number of tiles" and pydicom returns uninitialised memory'
}

interface Outcome {
  key: string
  ts: string
  result: 'exact' | 'exact-dcmtk' | 'tolerance' | 'refused' | 'no-image' | 'mismatch'
  detail: string
}

test('every DICOM file decodes like pydicom/GDCM or DCMTK, or is refused with a clear error', { skip: SKIP, timeout: 600_000 }, async (t) => {
  const manifest = ensureReference(PY!)
  // pydicom is there, so a failing reference script is a bug to fix, not a reason to skip.
  if (typeof manifest === 'string') assert.fail(manifest)
  const outcomes: Outcome[] = []
  const failures: string[] = []
  for (const [key, entry] of Object.entries(manifest.files)) {
    const file = referencedPath(key)
    const bytes = fs.readFileSync(file)
    let inst: DicomInstance | undefined
    let error: unknown
    try {
      inst = await decodeDicom(bytes, file)
    } catch (e) {
      error = e
    }
    if (error !== undefined) {
      // Every refusal must be a DicomError naming the file, never an internal exception.
      if (!(error instanceof DicomError) || !(error as Error).message.startsWith(file)) {
        failures.push(`${key}: threw ${(error as Error).name}: ${(error as Error).message}`)
        continue
      }
    }
    const outcome = judge(key, entry, inst, error as DicomError | undefined)
    outcomes.push(outcome)
    if (outcome.result === 'mismatch') failures.push(`${key}: ${outcome.detail}`)
  }
  const report = renderReport(manifest, outcomes)
  fs.mkdirSync(TEST_OUTPUT, { recursive: true })
  fs.writeFileSync(path.join(TEST_OUTPUT, 'dicom-reference-report.md'), report)
  for (const line of report.split('\n').filter((l) => l.startsWith('|'))) t.diagnostic(line)
  assert.deepEqual(failures, [])
  // The collection must actually exercise the reader: every supported syntax seen, most files decoded.
  const decoded = outcomes.filter((o) => o.result.startsWith('exact') || o.result === 'tolerance')
  assert.ok(decoded.length >= 150, `only ${decoded.length} files decoded`)
  for (const uid of Object.keys(SUPPORTED_TRANSFER_SYNTAXES)) {
    assert.ok(decoded.some((o) => o.ts === uid), `no file decoded with ${uid} (${SUPPORTED_TRANSFER_SYNTAXES[uid]})`)
  }
})

function judge(key: string, entry: ReferenceEntry, inst: DicomInstance | undefined, error: DicomError | undefined): Outcome {
  const ts = entry.transferSyntax ?? inst?.transferSyntax.uid ?? '?'
  const o = (result: Outcome['result'], detail: string): Outcome => ({ key, ts, result, detail })
  if (entry.status !== 'decoded') {
    if (!error) return o('mismatch', `reference says ${entry.status} (${entry.error ?? ''}) but we decoded it`)
    if (entry.status === 'no-pixel-data' || entry.status === 'gzip') {
      if (error.code === 'no-pixel-data' || error.code === 'not-dicom') return o('no-image', error.code)
      // pydicom reads a damaged file up to the damage and reports no pixel data; calling it
      // corrupt is as good an answer for a file without an image (DCMTK's verdict is shown).
      if (error.code === 'corrupt') {
        return o('refused', `no image, and damaged: DCMTK dcmdump: ${entry.dcmdump?.error ?? (entry.dcmdump ? `exit ${entry.dcmdump.status}` : 'n/a')}; ours: ${error.message.slice(error.source.length + 2)}`)
      }
      return o('mismatch', `expected no-pixel-data/not-dicom, got ${error.code}: ${error.message}`)
    }
    return o('refused', `pydicom: ${entry.error}; DCMTK dcmdump: ${entry.dcmdump ? (entry.dcmdump.error ?? `exit ${entry.dcmdump.status}`) : 'n/a'}; ours: ${error.message.slice(error.source.length + 2)}`)
  }
  if (!inst) {
    const why = KNOWN_REFUSALS[key]
    return why ? o('refused', `${why}; ours: ${error!.message.slice(error!.source.length + 2)}`) : o('mismatch', `reference decoded it but we threw: ${error!.message}`)
  }
  const shape = [inst.frames, inst.rows, inst.columns, inst.samples]
  if (shape.join() !== entry.shape!.join()) return o('mismatch', `shape ${shape.join('×')} ≠ reference ${entry.shape!.join('×')}`)
  const vsPydicom = compare(inst.pixels, readReferenceArray(entry.npy!).data)
  const vsDcmtk = entry.dcmtkNpy ? compare(inst.pixels, readReferenceArray(entry.dcmtkNpy).data) : entry.dcmtk === 'same' ? vsPydicom : undefined
  if (vsPydicom.max === 0) return o('exact', entry.dcmtk === 'same' ? 'pydicom and DCMTK' : 'pydicom')
  if (vsDcmtk && vsDcmtk.max === 0) return o('exact-dcmtk', `DCMTK exact; pydicom/GDCM differs by up to ${vsPydicom.max}`)
  if (LOSSLESS.has(ts)) return o('mismatch', `lossless syntax but differs from pydicom by up to ${vsPydicom.max} (mean ${vsPydicom.mean.toExponential(2)})`)
  const slope = Math.abs(Number(inst.metadata.RescaleSlope ?? 1)) || 1
  const best = vsDcmtk && vsDcmtk.max < vsPydicom.max ? vsDcmtk : vsPydicom
  const maxStored = best.max / slope
  const meanStored = best.mean / slope
  const detail = `max |Δ| ${round(maxStored)}, mean |Δ| ${meanStored.toExponential(1)} (${best === vsDcmtk ? 'vs DCMTK' : 'vs pydicom'}, ${best.count} of ${inst.pixels.length} values differ)`
  return maxStored <= TOLERANCE.maxAbs && meanStored <= TOLERANCE.meanAbs ? o('tolerance', detail) : o('mismatch', `lossy, beyond tolerance: ${detail}`)
}

function compare(ours: Float32Array, ref: ArrayLike<number>): { max: number; mean: number; count: number } {
  let max = 0
  let sum = 0
  let count = 0
  for (let i = 0; i < ref.length; i++) {
    // The reference is float64 (or integer); ours is float32, so compare with the reference rounded the same way.
    const d = Math.abs(ours[i] - Math.fround(ref[i]))
    if (d !== 0 || Number.isNaN(d)) {
      count++
      sum += d
      if (!(d <= max)) max = d
    }
  }
  return { max, mean: sum / ref.length, count }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

function renderReport(manifest: ReferenceManifest, outcomes: Outcome[]): string {
  const lines: string[] = [
    '# DICOM reader vs independent decoders',
    '',
    `Reference: pydicom ${manifest.pydicom} with GDCM (+ DCMTK where it decodes the syntax). Lossless: exact. Lossy: max |Δ| ≤ ${TOLERANCE.maxAbs}, mean |Δ| ≤ ${TOLERANCE.meanAbs} in stored units.`,
    ''
  ]
  for (const [title, prefix] of [
    ['Shared collection (../shared/data/dicom)', 'dicom/'],
    ['Synthetic edge cases (test-output/dicom-synthetic)', 'dicom-synthetic/']
  ] as const) {
    const rows = outcomes.filter((o) => o.key.startsWith(prefix) && o.result !== 'no-image')
    const byTs = new Map<string, Outcome[]>()
    for (const o of rows) byTs.set(o.ts, [...(byTs.get(o.ts) ?? []), o])
    lines.push(`## ${title}`, '', '| Transfer syntax | Files | Decoded | Exact (pydicom) | Exact (DCMTK only) | Within tolerance | Refused |', '|---|---|---|---|---|---|---|')
    for (const [ts, list] of [...byTs].sort()) {
      const n = (r: Outcome['result']): number => list.filter((o) => o.result === r).length
      const decoded = n('exact') + n('exact-dcmtk') + n('tolerance')
      lines.push(`| ${ts} ${transferSyntaxName(ts)} | ${list.length} | ${decoded} | ${n('exact')} | ${n('exact-dcmtk')} | ${n('tolerance')} | ${n('refused')} |`)
    }
    const noImage = outcomes.filter((o) => o.key.startsWith(prefix) && o.result === 'no-image').length
    lines.push('', `Plus ${noImage} files without an image (SR, RT, DICOMDIR, text, gzip), all refused as no-pixel-data / not-dicom.`, '')
    const special = rows.filter((o) => o.result !== 'exact')
    if (special.length) {
      lines.push('Details:', '')
      for (const o of special) lines.push(`- ${o.key} (${o.result}): ${o.detail}`)
      lines.push('')
    }
  }
  return lines.join('\n')
}
