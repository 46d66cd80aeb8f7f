/**
 * The pixel data of a parsed file → float32 frames × rows × columns × samples.
 *
 * Native data is checked to hold every frame before anything is allocated; compressed frames are
 * found in the encapsulated fragments and decoded one by one with the syntax's codec, the output
 * being allocated once the first frame has confirmed the header's size.
 */
import { DicomError, describeThrown, guard } from './errors.ts'
import type { ParsedDicom } from './parse.ts'
import type { PixelModule } from './pixel-module.ts'
import { readModalityTransform } from './header.ts'
import type { ValueReader } from './values.ts'
import { transferSyntaxInfo, transferSyntaxName, type PixelCodec, type TransferSyntaxInfo } from './transfer-syntax.ts'
import { nativeFrame, nativeFrameBytes } from './native.ts'
import { encapsulatedFrames } from './frames.ts'
import { readPalette } from './palette.ts'
import { interpreter, modality, writeFrame, type FramePlan, type Interpretation } from './pixels.ts'
import { decodeRleFrame } from './codecs/rle.ts'
import { decodeJpegDct } from './codecs/jpeg-baseline.ts'
import { decodeJpegLossless } from './codecs/jpeg-lossless.ts'
import { decodeJpegLs } from './codecs/jpeg-ls.ts'
import { decodeJpeg2000 } from './codecs/jpeg2000.ts'
import { readJpegFrameHeader } from './codecs/jpeg-header.ts'
import type { CodecFrame, FrameSpec } from './codecs/types.ts'

/** What every frame's decoding shares. */
interface PixelJob {
  parsed: ParsedDicom
  pm: PixelModule
  plan: FramePlan
  notes: string[]
  /** Modality transform of frame f (null: none, or a colour image). */
  transform: (f: number) => ((v: number) => number) | null
  /** Values in the whole output and in one frame. */
  total: number
  frameValues: number
}

export async function decodePixels(parsed: ParsedDicom, r: ValueReader, pm: PixelModule, notes: string[]): Promise<Float32Array> {
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
  if ((pm.photometric === 'YBR_PARTIAL_422' || pm.photometric === 'YBR_PARTIAL_420') && info.codec !== 'jpeg-baseline' && info.codec !== 'jpeg-extended') {
    throw new DicomError('unsupported', source, `PhotometricInterpretation ${pm.photometric} is only supported inside JPEG streams`)
  }

  const plan: FramePlan = { pixels: pm.rows * pm.columns, inSamples: pm.samples, colour: 'none', ybrMax: 2 ** Math.min(pm.bitsStored, 16) - 1 }
  if (pm.photometric === 'PALETTE COLOR') {
    plan.palette = guard(source, 'reading the palette', () => readPalette(r, pm.pixelRepresentation))
    plan.colour = 'palette'
  }
  if (pm.samples === 3 && ('x00281052' in r.ds.elements || 'x00281053' in r.ds.elements)) notes.push('Rescale Slope/Intercept ignored for a colour image')
  // Greyscale only. Per-frame rescale exists only in enhanced objects; otherwise one transform for all frames.
  const transformOf = (f: number): ((v: number) => number) | null =>
    pm.outputSamples === 1 ? modality(guard(source, 'reading the rescale', () => readModalityTransform(r, f, notes))) : null
  const perFrame = 'x52009230' in r.ds.elements
  const shared = perFrame ? null : transformOf(0)
  const job: PixelJob = {
    parsed,
    pm,
    plan,
    notes,
    transform: perFrame ? transformOf : () => shared,
    total: pm.frames * pm.rows * pm.columns * pm.outputSamples,
    frameValues: pm.rows * pm.columns * pm.outputSamples
  }
  const out = info.codec === 'native' ? decodeNative(job) : await decodeEncapsulated(job, info)
  noteColour(pm, plan, notes)
  return out
}

function decodeNative(job: PixelJob): Float32Array {
  const { parsed, pm, plan } = job
  const source = parsed.source
  const el = parsed.dataSet.elements[pm.pixelTag]
  const buffer = parsed.dataSet.byteArray
  const bytes = el.length > 0 ? buffer.subarray(el.dataOffset, el.dataOffset + el.length) : new Uint8Array(0)
  const needed = Math.ceil(nativeFrameBytes(pm) * pm.frames)
  if (el.dataOffset + el.length > buffer.length || bytes.length < needed) {
    throw new DicomError(
      'corrupt',
      source,
      `corrupt or unsupported DICOM (pixel data is ${bytes.length} bytes but ${pm.frames} frame(s) of ${pm.rows}×${pm.columns}×${pm.samples} at ${pm.bitsAllocated} bits need ${needed})`
    )
  }
  if (pm.photometric === 'YBR_FULL' || pm.photometric === 'YBR_FULL_422') plan.colour = 'ybr'
  const interpret = interpreter(
    pm.pixelTag === 'x7fe00010'
      ? { kind: 'stored', bitsStored: pm.bitsStored, highBit: pm.highBit, signed: pm.pixelRepresentation === 1, bitsAllocated: pm.bitsAllocated }
      : { kind: 'float' }
  )
  // Allocated only now: the pixel data has been checked to hold every frame.
  const out = new Float32Array(job.total)
  for (let f = 0; f < pm.frames; f++) {
    const words = guard(source, `reading frame ${f + 1}`, () => nativeFrame(bytes, pm, f, parsed.littleEndian))
    writeFrame(words, out, f * job.frameValues, plan, interpret, job.transform(f))
  }
  return out
}

async function decodeEncapsulated(job: PixelJob, info: TransferSyntaxInfo): Promise<Float32Array> {
  const { parsed, pm, plan, notes } = job
  const source = parsed.source
  const el = parsed.dataSet.elements[pm.pixelTag]
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
  const ybr = pm.photometric === 'YBR_FULL' || pm.photometric === 'YBR_FULL_422'
  // Allocated after the first frame decodes: only then is the header's size confirmed by the
  // compressed stream itself (a corrupt Rows/Columns must not cost a large allocation first).
  let out: Float32Array | null = null
  for (let f = 0; f < pm.frames; f++) {
    let interp: Interpretation
    let words: ArrayLike<number>
    if (info.codec === 'rle') {
      if (pm.bitsAllocated === 1) throw new DicomError('unsupported', source, 'RLE-compressed 1-bit images are not supported')
      words = guard(source, `decoding RLE frame ${f + 1}`, () => decodeRleFrame(frames[f], pm.rows, pm.columns, pm.samples, pm.bitsAllocated as 8 | 16 | 32))
      interp = { kind: 'stored', bitsStored: pm.bitsStored, highBit: pm.highBit, signed: pm.pixelRepresentation === 1, bitsAllocated: pm.bitsAllocated }
      if (ybr) plan.colour = 'ybr'
    } else {
      const decoded = await decodeCodecFrame(info, frames[f], spec, source, f, notes)
      words = decoded.values
      if (decoded.note) notes.push(decoded.note)
      interp = { kind: 'codec', precision: decoded.precision, codecSigned: decoded.signed, signed: pm.pixelRepresentation === 1 }
      if (pm.samples === 3 && !decoded.rgb && ybr) plan.colour = 'ybr'
      if (pm.samples === 3) plan.ybrMax = 2 ** decoded.precision - 1
    }
    out ??= new Float32Array(job.total)
    writeFrame(words, out, f * job.frameValues, plan, interpreter(interp), job.transform(f))
  }
  return out ?? new Float32Array(0)
}

/** Says how colour pixels became RGB (the metadata keep the file's PhotometricInterpretation). */
function noteColour(pm: PixelModule, plan: FramePlan, notes: string[]): void {
  if (plan.colour === 'palette') notes.push('PALETTE COLOR mapped to RGB through the palette lookup tables')
  else if (plan.colour === 'ybr') notes.push(`${pm.photometric} converted to RGB`)
  else if (pm.samples === 3 && pm.photometric !== 'RGB') notes.push(`${pm.photometric} converted to RGB by the codec`)
}

async function decodeCodecFrame(info: TransferSyntaxInfo, data: Uint8Array, spec: FrameSpec, source: string, f: number, notes: string[]): Promise<CodecFrame> {
  try {
    const codec = jpegFamilyCodec(info.codec, data)
    if (codec !== info.codec) notes.push(`frames are ${codec} streams although the transfer syntax is ${info.name}; decoded as ${codec}`)
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
    throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (${info.name} frame ${f + 1}: ${describeThrown(e)})`, { cause: e })
  }
}

/**
 * The JPEG family shares one container (SOI, markers, SOF): writers sometimes label a lossless or
 * JPEG-LS stream with the wrong one of these syntaxes, and GDCM and DCMTK decode what the stream
 * is. So the frame header decides; other codecs are taken as labelled.
 */
function jpegFamilyCodec(labelled: PixelCodec, data: Uint8Array): PixelCodec {
  if (labelled !== 'jpeg-baseline' && labelled !== 'jpeg-extended' && labelled !== 'jpeg-lossless' && labelled !== 'jpeg-ls') return labelled
  let sof: number
  try {
    sof = readJpegFrameHeader(data).sof
  } catch {
    return labelled // the codec reports what is wrong with the stream
  }
  const actual: PixelCodec = sof === 0xf7 ? 'jpeg-ls' : sof === 0xc3 || sof === 0xc7 ? 'jpeg-lossless' : 'jpeg-baseline'
  // Baseline and extended are one decoder; keep the label when the stream is a DCT one.
  return actual === 'jpeg-baseline' && (labelled === 'jpeg-baseline' || labelled === 'jpeg-extended') ? labelled : actual
}
