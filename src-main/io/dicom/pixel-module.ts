/**
 * The Image Pixel module (rows, columns, bit depths, photometric interpretation, frames), read
 * and validated before anything is allocated. Every limit that protects memory lives here.
 */
import { DicomError, quoted } from './errors.ts'
import { integerString, string, uint16, type ValueReader } from './values.ts'

/** Output is float32: 2^29 values is 2 GiB, the most this reader will allocate for one file. */
export const MAX_OUTPUT_VALUES = 2 ** 29
export const MAX_FRAMES = 1_000_000

export type Photometric =
  | 'MONOCHROME1'
  | 'MONOCHROME2'
  | 'RGB'
  | 'YBR_FULL'
  | 'YBR_FULL_422'
  | 'YBR_PARTIAL_422'
  | 'YBR_PARTIAL_420'
  | 'YBR_ICT'
  | 'YBR_RCT'
  | 'PALETTE COLOR'

const PHOTOMETRIC = new Set<string>([
  'MONOCHROME1', 'MONOCHROME2', 'RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_PARTIAL_422', 'YBR_PARTIAL_420', 'YBR_ICT', 'YBR_RCT', 'PALETTE COLOR'
])

export interface PixelModule {
  rows: number
  columns: number
  frames: number
  /** Samples per pixel as stored (1 or 3). */
  samples: 1 | 3
  bitsAllocated: number
  bitsStored: number
  highBit: number
  pixelRepresentation: 0 | 1
  photometric: Photometric
  planarConfiguration: 0 | 1
  /** Which element holds the pixels. */
  pixelTag: 'x7fe00010' | 'x7fe00008' | 'x7fe00009'
  /** Samples per output pixel: 3 for colour and palette images. */
  outputSamples: 1 | 3
}

export const PIXEL_DATA = 'x7fe00010'
const FLOAT_PIXEL_DATA = 'x7fe00008'
const DOUBLE_PIXEL_DATA = 'x7fe00009'

export function hasPixelData(r: ValueReader): boolean {
  return PIXEL_DATA in r.ds.elements || FLOAT_PIXEL_DATA in r.ds.elements || DOUBLE_PIXEL_DATA in r.ds.elements
}

export function readPixelModule(r: ValueReader, source: string, notes: string[]): PixelModule {
  const bad = (msg: string): never => {
    throw new DicomError('corrupt', source, `corrupt or unsupported DICOM (${msg})`)
  }
  const unsupported = (msg: string): never => {
    throw new DicomError('unsupported', source, msg)
  }
  const pixelTag = PIXEL_DATA in r.ds.elements ? PIXEL_DATA : FLOAT_PIXEL_DATA in r.ds.elements ? FLOAT_PIXEL_DATA : DOUBLE_PIXEL_DATA

  const rows = uint16(r, 'x00280010')
  const columns = uint16(r, 'x00280011')
  if (rows === undefined || columns === undefined) bad('Rows or Columns missing')
  if (rows === 0 || columns === 0) bad(`image size ${rows}×${columns} is empty`)

  const spp = uint16(r, 'x00280002') ?? 1
  if (spp !== 1 && spp !== 3) unsupported(`SamplesPerPixel ${spp} is not supported (only 1 or 3)`)
  const samples = spp as 1 | 3

  const nf = integerString(r, 'x00280008')
  if (nf !== undefined && !Number.isFinite(nf)) bad(`NumberOfFrames ${quoted(string(r, 'x00280008') ?? '')} is not an integer`)
  const frames = nf ?? 1
  if (frames < 1 || frames > MAX_FRAMES) bad(`NumberOfFrames ${frames} is out of range (1–${MAX_FRAMES})`)

  const floatBits = pixelTag === FLOAT_PIXEL_DATA ? 32 : pixelTag === DOUBLE_PIXEL_DATA ? 64 : 0
  const bitsAllocated = floatBits || (uint16(r, 'x00280100') ?? bad('BitsAllocated missing'))
  if (!floatBits && ![1, 8, 16, 32].includes(bitsAllocated)) unsupported(`BitsAllocated ${bitsAllocated} is not supported (1, 8, 16 or 32)`)
  let bitsStored = floatBits || (uint16(r, 'x00280101') ?? bitsAllocated)
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    notes.push(`BitsStored ${bitsStored} is impossible with BitsAllocated ${bitsAllocated}; used ${bitsAllocated}`)
    bitsStored = bitsAllocated
  }
  let highBit = floatBits ? floatBits - 1 : uint16(r, 'x00280102') ?? bitsStored - 1
  if (highBit >= bitsAllocated || highBit + 1 < bitsStored) {
    notes.push(`HighBit ${highBit} is inconsistent with BitsStored ${bitsStored}; used ${bitsStored - 1}`)
    highBit = bitsStored - 1
  }
  const pr = floatBits ? 0 : uint16(r, 'x00280103') ?? 0
  if (pr !== 0 && pr !== 1) bad(`PixelRepresentation ${pr} is not 0 or 1`)

  let photometric = (string(r, 'x00280004') ?? '').toUpperCase()
  if (!photometric) {
    photometric = samples === 3 ? 'RGB' : 'MONOCHROME2'
    notes.push(`PhotometricInterpretation missing: assumed ${photometric}`)
  }
  if (!PHOTOMETRIC.has(photometric)) unsupported(`PhotometricInterpretation ${quoted(photometric)} is not supported`)
  const colour = photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2' && photometric !== 'PALETTE COLOR'
  if (colour !== (samples === 3)) bad(`PhotometricInterpretation ${photometric} does not fit SamplesPerPixel ${samples}`)

  const pc = samples === 3 ? uint16(r, 'x00280006') ?? 0 : 0
  if (pc !== 0 && pc !== 1) bad(`PlanarConfiguration ${pc} is not 0 or 1`)
  if (bitsAllocated === 1 && samples !== 1) unsupported('1-bit colour images are not supported')

  const outputSamples: 1 | 3 = samples === 3 || photometric === 'PALETTE COLOR' ? 3 : 1
  const total = frames * rows! * columns! * outputSamples
  if (total > MAX_OUTPUT_VALUES) {
    throw new DicomError('too-large', source, `image of ${frames}×${rows}×${columns}×${outputSamples} values exceeds the reader's limit of ${MAX_OUTPUT_VALUES}`)
  }
  return {
    rows: rows!,
    columns: columns!,
    frames,
    samples,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: pr as 0 | 1,
    photometric: photometric as Photometric,
    planarConfiguration: pc as 0 | 1,
    pixelTag,
    outputSamples
  }
}
