/**
 * The deliberately broken files of the pydicom test set: each gives a clear DicomError naming
 * the file and the problem, or decodes where the damage is one a reader should tolerate.
 * (pydicom's own verdict on each is noted beside it.)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as path from 'node:path'
import * as fs from 'node:fs'
import * as os from 'node:os'
import { decodeDicom, DicomError, loadDicomPath, readDicomFile } from '../../src-main/io/dicom/index.ts'
import { parseDicomBytes } from '../../src-main/io/dicom/parse.ts'
import { NO_SHARED_DICOM, SHARED_DICOM } from '../helpers/dicom-data.ts'

const PYDICOM = path.join(SHARED_DICOM, 'pydicom', 'test_files')

async function refusal(name: string): Promise<DicomError> {
  const file = path.join(PYDICOM, name)
  try {
    await readDicomFile(file)
  } catch (e) {
    assert.ok(e instanceof DicomError, `${name}: ${(e as Error).name}: ${(e as Error).message}`)
    assert.ok(e.message.startsWith(`${file}: `), e.message)
    return e
  }
  assert.fail(`${name} decoded`)
}

const CASES: [file: string, code: DicomError['code'], message: RegExp, pydicom: string][] = [
  ['MR_truncated.dcm', 'corrupt', /truncated: pixel data needs 8192 bytes but only 8130 remain/, 'ValueError: pixel data length 8130 ≠ 8192'],
  ['badVR.dcm', 'corrupt', /NumberOfFrames "1A" is not an integer/, 'TypeError while formatting'],
  ['rtplan_truncated.dcm', 'corrupt', /truncated or corrupt: an element or sequence item runs past the end of the file/, 'reads the elements before the damage'],
  ['meta_missing_tsyntax.dcm', 'corrupt', /Rows or Columns missing/, "AttributeError: no 'TransferSyntaxUID'"],
  ['nested_priv_SQ.dcm', 'corrupt', /Rows or Columns missing/, 'AttributeError: Rows, Columns… missing'],
  ['JPEG2000-embedded-sequence-delimiter.dcm', 'corrupt', /JPEG 2000 codestream is 3722445056×1024 but the DICOM header says 256×1024/, 'returns uninitialised memory (GDCM error)'],
  // A one-byte shift at the start: pydicom finds one garbage element (0820,0500) and no image.
  ['no_meta.dcm', 'not-dicom', /not a DICOM file/, 'one garbage element, no pixel data'],
  // No meta, but the data set is read correctly (the modality in the message proves it): just no image.
  ['ExplVR_BigEndNoMeta.dcm', 'no-pixel-data', /DICOM RTPLAN has no pixel data/, 'no pixel data'],
  ['ExplVR_LitEndNoMeta.dcm', 'no-pixel-data', /DICOM RTPLAN has no pixel data/, 'no pixel data'],
  ['no_meta_group_length.dcm', 'no-pixel-data', /has no pixel data/, 'no pixel data'],
  ['empty_charset_LEI.dcm', 'no-pixel-data', /has no pixel data/, 'no pixel data'],
  ['UN_sequence.dcm', 'no-pixel-data', /has no pixel data/, 'no pixel data'],
  ['dicomdirtests/DICOMDIR-nooffset', 'corrupt', /runs past the end of the file/, 'tolerates the overlong last record']
]

for (const [name, code, message, pydicom] of CASES) {
  test(`broken file ${name}: ${code} (pydicom: ${pydicom})`, { skip: NO_SHARED_DICOM }, async () => {
    const e = await refusal(name)
    assert.equal(e.code, code, e.message)
    assert.match(e.message, message)
  })
}

test('a gzipped DICOM file (zipMR.gz) is inflated and equals the uncompressed original', { skip: NO_SHARED_DICOM }, async () => {
  const gz = await readDicomFile(path.join(PYDICOM, 'zipMR.gz'))
  const plain = await readDicomFile(path.join(PYDICOM, 'MR_small.dcm'))
  assert.deepEqual([gz.rows, gz.columns, gz.frames], [plain.rows, plain.columns, plain.frames])
  assert.deepEqual(Array.from(gz.pixels), Array.from(plain.pixels))
  const garbage = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'recon-gz-')), 'bad.dcm.gz')
  fs.writeFileSync(garbage, Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]))
  await assert.rejects(readDicomFile(garbage), /cannot decompress gzip/)
})

test('tolerated damage: an Implicit VR data set under an Explicit VR transfer syntax decodes, with a note', { skip: NO_SHARED_DICOM }, async () => {
  const d = await readDicomFile(path.join(PYDICOM, 'SC_rgb_jpeg.dcm'))
  assert.deepEqual([d.frames, d.rows, d.columns, d.samples], [1, 256, 256, 3])
  assert.ok(d.notes.some((n) => n.startsWith('data set is encoded Implicit VR Little Endian although the transfer syntax is JPEG Baseline')), d.notes.join('; '))
})

test('tolerated damage: J2K data unsigned while PixelRepresentation says signed is sign-extended from the J2K precision', { skip: NO_SHARED_DICOM }, async () => {
  const d = await readDicomFile(path.join(PYDICOM, 'J2K_pixelrep_mismatch.dcm'))
  let min = Infinity
  for (const v of d.pixels) min = Math.min(min, v)
  assert.equal(min, -2000)
})

test('a damaged DICOMDIR: decoding refuses it, loading falls back to its folder and says so', { skip: NO_SHARED_DICOM }, async () => {
  const scans = await loadDicomPath(path.join(PYDICOM, 'dicomdirtests', 'DICOMDIR-nooffset'))
  assert.equal(scans.length, 13)
  assert.ok(scans[0].provenance.notes.some((n) => n.startsWith('DICOMDIR unreadable')), scans[0].provenance.notes.join('; '))
})

test('files without file meta: the encoding is guessed from the first element and noted', { skip: NO_SHARED_DICOM }, () => {
  for (const [name, uid, label] of [
    ['ExplVR_BigEndNoMeta.dcm', '1.2.840.10008.1.2.2', 'Explicit VR Big Endian'],
    ['ExplVR_LitEndNoMeta.dcm', '1.2.840.10008.1.2.1', 'Explicit VR Little Endian']
  ]) {
    const p = parseDicomBytes(fs.readFileSync(path.join(PYDICOM, name)), name)
    assert.equal(p.transferSyntaxUid, uid, name)
    assert.ok(p.notes.includes(`no DICOM file meta: guessed ${label}`), `${name}: ${p.notes.join('; ')}`)
    // Read correctly, the data set has its RT plan / patient elements, not garbage tags.
    assert.ok('x00100020' in p.dataSet.elements || 'x00080016' in p.dataSet.elements, name)
  }
  const missing = parseDicomBytes(fs.readFileSync(path.join(PYDICOM, 'meta_missing_tsyntax.dcm')), 'm')
  assert.ok(missing.notes.includes('file meta has no Transfer Syntax UID: guessed Implicit VR Little Endian'), missing.notes.join('; '))
  // A file meta without its group length element is still read as a file meta.
  const noLength = parseDicomBytes(fs.readFileSync(path.join(PYDICOM, 'no_meta_group_length.dcm')), 'n')
  assert.equal(noLength.transferSyntaxUid, '1.2.840.10008.1.2')
  assert.deepEqual(noLength.notes, [])
})

test('tolerated damage: a JPEG-LS stream labelled JPEG Baseline is decoded as what it is, with a note', { skip: NO_SHARED_DICOM }, async () => {
  const file = path.join(PYDICOM, 'MR_small_jpeg_ls_lossless.dcm')
  const bytes = new Uint8Array(fs.readFileSync(file))
  const text = Buffer.from(bytes).toString('latin1')
  const at = text.indexOf('1.2.840.10008.1.2.4.80')
  assert.ok(at > 0)
  bytes.set(Buffer.from('1.2.840.10008.1.2.4.50', 'latin1'), at)
  const relabelled = await decodeDicom(bytes, 'relabelled.dcm')
  const original = await readDicomFile(file)
  assert.deepEqual(relabelled.pixels, original.pixels)
  assert.ok(relabelled.notes.some((n) => n.startsWith('frames are jpeg-ls streams although the transfer syntax is JPEG Baseline')), relabelled.notes.join('; '))
})
