/**
 * One DICOM file → DicomInstance: parse, validate the pixel module, read identifiers, geometry
 * and display hints, then decode the pixels (pixel-decode.ts) to float32 in stored units after
 * the modality transform.
 */
import type { DisplayHints } from '../scan.ts'
import { DicomError, guard, guardAsync } from './errors.ts'
import { parseDicomBytes } from './parse.ts'
import { hasPixelData, readPixelModule } from './pixel-module.ts'
import { readDisplay, readGeometry, readMetadata, readModalityTransform, type InstanceGeometry } from './header.ts'
import { charsetLabel, integerString, string, strings, type ValueReader } from './values.ts'
import { transferSyntaxName } from './transfer-syntax.ts'
import { decodePixels } from './pixel-decode.ts'

export interface DicomInstance extends InstanceGeometry {
  /** The file (or the label given for in-memory bytes). */
  path: string
  transferSyntax: { uid: string; name: string }
  sopInstanceUid: string
  seriesInstanceUid: string
  studyInstanceUid: string
  sopClassUid?: string
  instanceNumber?: number
  frames: number
  rows: number
  columns: number
  /** 1 for greyscale, 3 for colour (RGB after YBR/palette conversion). */
  samples: 1 | 3
  /** frames × rows × columns × samples, stored units after the modality transform (empty with headerOnly). */
  pixels: Float32Array
  display: DisplayHints
  metadata: Record<string, string | number>
  notes: string[]
}

export interface DecodeOptions {
  /** Parse and validate the header only; `pixels` is empty. */
  headerOnly?: boolean
}

export async function decodeDicom(bytes: Uint8Array, source: string, options: DecodeOptions = {}): Promise<DicomInstance> {
  const parsed = guard(source, 'parsing', () => parseDicomBytes(bytes, source))
  const r: ValueReader = { ds: parsed.dataSet, littleEndian: parsed.littleEndian, charset: 'latin1' }
  const notes = [...parsed.notes]
  const header = guard(source, 'reading the header', () => {
    r.charset = charsetLabel(strings(r, 'x00080005'))
    if (!hasPixelData(r)) {
      const kind = string(r, 'x00080060') ?? string(r, 'x00080016') ?? 'object'
      throw new DicomError('no-pixel-data', source, `DICOM ${kind} has no pixel data (not an image)`)
    }
    const pm = readPixelModule(r, source, notes)
    return { pm, geometry: readGeometry(r, pm.frames), display: readDisplay(r, pm.photometric), metadata: readMetadata(r, parsed.transferSyntaxUid) }
  })
  const { pm } = header
  if (pm.outputSamples === 1 && header.metadata.RescaleSlope === undefined && header.metadata.RescaleIntercept === undefined) {
    // Enhanced objects keep the rescale in functional groups; a writer of derived series needs it.
    const t = guard(source, 'reading the rescale', () => readModalityTransform(r, 0, []))
    if (t.kind === 'rescale') Object.assign(header.metadata, { RescaleSlope: t.slope, RescaleIntercept: t.intercept })
  }
  const tsUid = parsed.transferSyntaxUid
  const instanceNumber = integerString(r, 'x00200013')
  const instance: DicomInstance = {
    path: source,
    transferSyntax: { uid: tsUid, name: transferSyntaxName(tsUid) },
    sopInstanceUid: string(r, 'x00080018') ?? '',
    seriesInstanceUid: string(r, 'x0020000e') ?? '',
    studyInstanceUid: string(r, 'x0020000d') ?? '',
    sopClassUid: string(r, 'x00080016'),
    instanceNumber: instanceNumber !== undefined && Number.isFinite(instanceNumber) ? instanceNumber : undefined,
    ...header.geometry,
    frames: pm.frames,
    rows: pm.rows,
    columns: pm.columns,
    samples: pm.outputSamples,
    pixels: new Float32Array(0),
    display: header.display,
    metadata: header.metadata,
    notes
  }
  if (!options.headerOnly) instance.pixels = await guardAsync(source, 'decoding pixels', () => decodePixels(parsed, r, pm, notes))
  instance.notes = [...new Set(notes)]
  return instance
}
