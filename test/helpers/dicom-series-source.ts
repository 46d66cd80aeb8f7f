/**
 * A real single-frame DICOM series read with dicom-parser, in the shape the derived-series
 * writer takes as its source (metadata by keyword, geometry) plus its pixels after rescale.
 * Test-only: enough for uncompressed little-endian grayscale series.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import dicomParser from 'dicom-parser'
import type { Geometry } from '../../src-main/io/scan.ts'

export interface SourceSeries {
  files: string[]
  metadata: Record<string, string | number>
  geometry: Geometry
  frames: number
  rows: number
  columns: number
  /** Pixel values after the source's own rescale, frames × rows × columns. */
  data: Float32Array
  /** Per-frame SOPInstanceUIDs and the SeriesInstanceUID, to check that the derived ones differ. */
  sopInstanceUids: string[]
}

/** Keyword → tag for the string attributes the writer should carry over or use. */
export const STRING_TAGS: Record<string, string> = {
  PatientName: 'x00100010',
  PatientID: 'x00100020',
  PatientBirthDate: 'x00100030',
  PatientSex: 'x00100040',
  PatientAge: 'x00101010',
  StudyInstanceUID: 'x0020000d',
  StudyDate: 'x00080020',
  StudyTime: 'x00080030',
  StudyID: 'x00200010',
  StudyDescription: 'x00081030',
  AccessionNumber: 'x00080050',
  ReferringPhysicianName: 'x00080090',
  FrameOfReferenceUID: 'x00200052',
  Modality: 'x00080060',
  SeriesInstanceUID: 'x0020000e',
  SeriesDescription: 'x0008103e',
  SeriesNumber: 'x00200011',
  ScanningSequence: 'x00180020',
  SequenceVariant: 'x00180021',
  ScanOptions: 'x00180022',
  MRAcquisitionType: 'x00180023',
  RepetitionTime: 'x00180080',
  EchoTime: 'x00180081',
  EchoTrainLength: 'x00180091',
  MagneticFieldStrength: 'x00180087',
  PatientPosition: 'x00185100'
}

export function readSourceSeries(dir: string): SourceSeries {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.dcm'))
    .map((f) => path.join(dir, f))
  const slices = files.map((file) => {
    const bytes = new Uint8Array(fs.readFileSync(file))
    const ds = dicomParser.parseDicom(bytes)
    return { file, ds, instance: ds.intString('x00200013') ?? 0 }
  })
  slices.sort((a, b) => a.instance - b.instance)
  const first = slices[0].ds
  const metadata: Record<string, string | number> = {}
  for (const [k, tag] of Object.entries(STRING_TAGS)) {
    const v = first.string(tag)
    if (v !== undefined) metadata[k] = v
    else if (first.elements[tag]) metadata[k] = '' // present but empty (type 2)
  }
  const rows = first.uint16('x00280010')!
  const columns = first.uint16('x00280011')!
  metadata.Rows = rows
  metadata.Columns = columns
  const n = rows * columns
  const data = new Float32Array(slices.length * n)
  slices.forEach(({ ds }, f) => {
    const signed = ds.uint16('x00280103') === 1
    if (ds.uint16('x00280100') !== 16) throw new Error('test helper reads 16-bit pixels only')
    const slope = ds.floatString('x00281053') ?? 1
    const intercept = ds.floatString('x00281052') ?? 0
    const px = ds.elements.x7fe00010
    const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + px.dataOffset, 2 * n)
    for (let i = 0; i < n; i++) data[f * n + i] = (signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true)) * slope + intercept
  })
  const nums = (tag: string, count: number, ds = first): number[] => Array.from({ length: count }, (_, i) => ds.floatString(tag, i)!)
  const geometry: Geometry = {
    pixelSpacing: nums('x00280030', 2) as [number, number],
    orientation: nums('x00200037', 6) as Geometry['orientation'],
    positions: slices.map(({ ds }) => nums('x00200032', 3, ds) as [number, number, number]),
    sliceThickness: first.floatString('x00180050'),
    sliceSpacing: first.floatString('x00180088')
  }
  return {
    files: slices.map((s) => s.file),
    metadata,
    geometry,
    frames: slices.length,
    rows,
    columns,
    data,
    sopInstanceUids: slices.map(({ ds }) => ds.string('x00080018')!)
  }
}
