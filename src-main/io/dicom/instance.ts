/**
 * One DICOM file → DicomInstance: parse, validate the pixel module, decode every frame with the
 * transfer syntax's codec, and convert to float32 in stored units after the modality transform.
 */
import type { DisplayHints } from '../scan.ts'
import { DicomError, describeThrown, guard } from './errors.ts'
import { parseDicomBytes, type ParsedDicom } from './parse.ts'
import { hasPixelData, readPixelModule, type PixelModule } from './pixel-module.ts'
import { readDisplay, readGeometry, readMetadata, readModalityTransform, type InstanceGeometry } from './header.ts'
import { charsetLabel, integerString, string, strings, type ValueReader } from './values.ts'
import { transferSyntaxInfo, transferSyntaxName, type PixelCodec } from './transfer-syntax.ts'
import { nativeFrame, nativeFrameBytes } from './native.ts'
import { encapsulatedFrames } from './frames.ts'
import { readPalette } from './palette.ts'
import { interpreter, modality, writeFrame, type FramePlan, type Interpretation } from './pixels.ts'
import { decodeRleFrame } from './codecs/rle.ts'
import { decodeJpegDct } from './codecs/jpeg-baseline.ts'
import { decodeJpegLossless } from './codecs/jpeg-lossless.ts'
import { decodeJpegLs } from './codecs/jpeg-ls.ts'
import { decodeJpeg2000 } from './codecs/jpeg2000.ts'
import type { CodecFrame, FrameSpec } from './codecs/types.ts'

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
  if (!options.headerOnly) instance.pixels = await decodePixels(parsed, r, pm, notes)
  instance.notes = [...new Set(notes)]
  return instance
}

async function decodePixels(parsed: ParsedDicom, r: ValueReader, pm: PixelModule, notes: string[]): Promise<Float32Array> {
  const source = parsed.source
  const info = transferSyntaxInfo(parsed.transferSyntaxUid)
  if (!info) {
    throw new DicomError('unsupported', source, `unsupported transfer syntax ${parsed.transferSyntaxUid} (${transferSyntaxName(parsed.transferSyntaxUid)})`)
  }
  const el = parsed.dataSet.elements[pm.pixelTag]
  const encapsulated = el.hadUndefinedLength === true
  if (info.codec === 'native' && encapsulated) throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (pixel data is encapsulated but the transfer syntax is ${info.name})`)
  if (info.codec !== 'native' && !encapsulated) throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (pixel data is not encapsulated as ${info.name} requires)`)
  if (info.codec !== 'native' && pm.pixelTag !== 'x7fe00010') throw new DicomError('corrupt', source, 'corrupt or unsupported DICOM (float pixel data cannot be compressed)')

  const plan: FramePlan = {
    pixels: pm.rows * pm.columns,
    inSamples: pm.samples,
    colour: 'none',
    ybrMax: 2 ** Math.min(pm.bitsStored, 16) - 1
  }
  if (pm.photometric === 'PALETTE COLOR') {
    plan.palette = guard(source, 'reading the palette', () => readPalette(r, pm.pixelRepresentation))
    plan.colour = 'palette'
  }
  if (pm.photometric === 'YBR_PARTIAL_422' || pm.photometric === 'YBR_PARTIAL_420') {
    if (info.codec !== 'jpeg-baseline' && info.codec !== 'jpeg-extended') {
      throw new DicomError('unsupported', source, `PhotometricInterpretation ${pm.photometric} is only supported inside JPEG streams`)
    }
  }
  // Per-frame rescale exists only in enhanced objects; otherwise one transform for all frames.
  const perFrameRescale = 'x52009230' in r.ds.elements
  const transformFor = (f: number): ((v: number) => number) | null =>
    pm.outputSamples === 1 && plan.colour === 'none' ? modality(guard(source, 'reading the rescale', () => readModalityTransform(r, f, notes))) : null
  if (pm.samples === 3) {
    for (const tag of ['x00281052', 'x00281053']) if (tag in r.ds.elements) notes.push('Rescale Slope/Intercept ignored for a colour image')
  }
  const frameTransform = perFrameRescale ? null : transformFor(0)

  const out = new Float32Array(pm.frames * pm.rows * pm.columns * pm.outputSamples)
  const frameValues = pm.rows * pm.columns * pm.outputSamples

  if (info.codec === 'native') {
    const bytes = el.length > 0 ? parsed.dataSet.byteArray.subarray(el.dataOffset, el.dataOffset + el.length) : new Uint8Array(0)
    const needed = Math.ceil(nativeFrameBytes(pm) * pm.frames)
    if (el.dataOffset + el.length > parsed.dataSet.byteArray.length || bytes.length < needed) {
      throw new DicomError(
        'corrupt',
        source,
        `corrupt or unsupported DICOM (pixel data is ${bytes.length} bytes but ${pm.frames} frame(s) of ${pm.rows}×${pm.columns}×${pm.samples} at ${pm.bitsAllocated} bits need ${needed})`
      )
    }
    if (pm.photometric === 'YBR_FULL' || pm.photometric === 'YBR_FULL_422') plan.colour = 'ybr'
    const interp: Interpretation =
      pm.pixelTag === 'x7fe00010'
        ? { kind: 'stored', bitsStored: pm.bitsStored, highBit: pm.highBit, signed: pm.pixelRepresentation === 1, bitsAllocated: pm.bitsAllocated }
        : { kind: 'float' }
    const interpret = interpreter(interp)
    for (let f = 0; f < pm.frames; f++) {
      const words = guard(source, `reading frame ${f + 1}`, () => nativeFrame(bytes, pm, f, parsed.littleEndian))
      writeFrame(words, out, f * frameValues, plan, interpret, perFrameRescale ? transformFor(f) : frameTransform)
    }
    return out
  }

  const frames = guard(source, 'locating compressed frames', () => encapsulatedFrames(parsed.dataSet, el, pm.frames, info.codec, notes))
  const spec: FrameSpec = {
    rows: pm.rows,
    columns: pm.columns,
    samples: pm.samples,
    bitsAllocated: pm.bitsAllocated,
    bitsStored: pm.bitsStored,
    pixelRepresentation: pm.pixelRepresentation,
    photometric: pm.photometric
  }
  for (let f = 0; f < pm.frames; f++) {
    let interp: Interpretation
    let words: ArrayLike<number>
    if (info.codec === 'rle') {
      if (pm.bitsAllocated === 1) throw new DicomError('unsupported', source, 'RLE-compressed 1-bit images are not supported')
      words = guard(source, `decoding RLE frame ${f + 1}`, () => decodeRleFrame(frames[f], pm.rows, pm.columns, pm.samples, pm.bitsAllocated as 8 | 16 | 32))
      interp = { kind: 'stored', bitsStored: pm.bitsStored, highBit: pm.highBit, signed: pm.pixelRepresentation === 1, bitsAllocated: pm.bitsAllocated }
      if (pm.photometric === 'YBR_FULL') plan.colour = 'ybr'
    } else {
      const decoded = await decodeCodecFrame(info.codec, frames[f], spec, source, f, info.name)
      words = decoded.values
      if (decoded.note) notes.push(decoded.note)
      interp = { kind: 'codec', precision: decoded.precision, codecSigned: decoded.signed, signed: pm.pixelRepresentation === 1 }
      if (pm.samples === 3 && !decoded.rgb && (pm.photometric === 'YBR_FULL' || pm.photometric === 'YBR_FULL_422')) plan.colour = 'ybr'
      if (pm.samples === 3) plan.ybrMax = 2 ** decoded.precision - 1
    }
    writeFrame(words, out, f * frameValues, plan, interpreter(interp), perFrameRescale ? transformFor(f) : frameTransform)
  }
  return out
}

async function decodeCodecFrame(codec: PixelCodec, data: Uint8Array, spec: FrameSpec, source: string, f: number, syntax: string): Promise<CodecFrame> {
  try {
    switch (codec) {
      case 'jpeg-baseline':
      case 'jpeg-extended':
        return await decodeJpegDct(data, spec)
      case 'jpeg-lossless':
        return decodeJpegLossless(data, spec)
      case 'jpeg-ls':
        return await decodeJpegLs(data, spec)
      case 'jpeg-2000':
        return await decodeJpeg2000(data, spec)
      default:
        throw new Error(`no codec for ${codec}`)
    }
  } catch (e) {
    if (e instanceof DicomError) throw e
    throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (${syntax} frame ${f + 1}: ${describeThrown(e)})`, { cause: e })
  }
}
