/**
 * Transfer syntaxes: which we decode, how their data set is encoded, and which codec their pixel
 * data needs. Unsupported ones are listed by name too, so that the refusal says what the file
 * is ("JPEG XL Lossless") rather than only a UID nobody can read.
 */

export type PixelCodec =
  | 'native'
  | 'jpeg-baseline' // 8-bit DCT (process 1); 12-bit process 4 streams are routed by precision
  | 'jpeg-extended'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg-2000'
  | 'rle'

export interface TransferSyntaxInfo {
  uid: string
  name: string
  explicitVr: boolean
  littleEndian: boolean
  deflated: boolean
  codec: PixelCodec
}

export const IMPLICIT_LE = '1.2.840.10008.1.2'
export const EXPLICIT_LE = '1.2.840.10008.1.2.1'
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99'
export const EXPLICIT_BE = '1.2.840.10008.1.2.2'

const TABLE: TransferSyntaxInfo[] = [
  ts(IMPLICIT_LE, 'Implicit VR Little Endian', 'native', { explicitVr: false }),
  ts(EXPLICIT_LE, 'Explicit VR Little Endian', 'native'),
  ts(DEFLATED_LE, 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  ts(EXPLICIT_BE, 'Explicit VR Big Endian', 'native', { littleEndian: false }),
  ts('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-baseline'),
  ts('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg-extended'),
  ts('1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless Image Compression', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless) Image Compression', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'jpeg-2000'),
  ts('1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'jpeg-2000'),
  ts('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle')
]

const BY_UID = new Map(TABLE.map((t) => [t.uid, t]))

/** uid → name of every transfer syntax whose pixel data we decode. */
export const SUPPORTED_TRANSFER_SYNTAXES: Record<string, string> = Object.freeze(
  Object.fromEntries(TABLE.map((t) => [t.uid, t.name]))
)

/** Names of syntaxes we recognise but do not decode, for the error message. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.1.98': 'Encapsulated Uncompressed Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.52': 'JPEG Extended (Process 3 & 5) (retired)',
  '1.2.840.10008.1.2.4.53': 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)',
  '1.2.840.10008.1.2.4.54': 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (retired)',
  '1.2.840.10008.1.2.4.55': 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)',
  '1.2.840.10008.1.2.4.56': 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (retired)',
  '1.2.840.10008.1.2.4.58': 'JPEG Lossless, Non-Hierarchical (Process 15) (retired)',
  '1.2.840.10008.1.2.4.59': 'JPEG Extended, Hierarchical (Process 16 & 18) (retired)',
  '1.2.840.10008.1.2.4.60': 'JPEG Extended, Hierarchical (Process 17 & 19) (retired)',
  '1.2.840.10008.1.2.4.61': 'JPEG Spectral Selection, Hierarchical (Process 20 & 22) (retired)',
  '1.2.840.10008.1.2.4.62': 'JPEG Spectral Selection, Hierarchical (Process 21 & 23) (retired)',
  '1.2.840.10008.1.2.4.63': 'JPEG Full Progression, Hierarchical (Process 24 & 26) (retired)',
  '1.2.840.10008.1.2.4.64': 'JPEG Full Progression, Hierarchical (Process 25 & 27) (retired)',
  '1.2.840.10008.1.2.4.65': 'JPEG Lossless, Hierarchical (Process 28) (retired)',
  '1.2.840.10008.1.2.4.66': 'JPEG Lossless, Hierarchical (Process 29) (retired)',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component Image Compression',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile / Main Level',
  '1.2.840.10008.1.2.4.101': 'MPEG2 Main Profile / High Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264 High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main Profile / Level 5.1',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10 Profile / Level 5.1',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.111': 'JPEG XL JPEG Recompression',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000 Image Compression',
  '1.2.840.10008.1.2.4.204': 'JPIP HTJ2K Referenced',
  '1.2.840.10008.1.2.4.205': 'JPIP HTJ2K Referenced Deflate',
  '1.2.840.10008.1.2.6.1': 'RFC 2557 MIME encapsulation (retired)',
  '1.2.840.10008.1.2.6.2': 'XML Encoding (retired)',
  '1.2.840.10008.1.2.7.1': 'SMPTE ST 2110-20 Uncompressed Progressive Active Video',
  '1.2.840.10008.1.2.7.2': 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video',
  '1.2.840.10008.1.2.7.3': 'SMPTE ST 2110-30 PCM Digital Audio',
  '1.2.840.10008.1.2.8.1': 'Deflated Image Frame Compression'
}

/** The table entry for a supported syntax, or undefined. */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return BY_UID.get(uid)
}

/** Human name for any UID we know, supported or not; the UID itself otherwise. */
export function transferSyntaxName(uid: string): string {
  return BY_UID.get(uid)?.name ?? UNSUPPORTED_NAMES[uid] ?? (uid.startsWith('1.2.840.10008.1.2') ? 'unknown DICOM transfer syntax' : 'not a DICOM transfer syntax UID')
}

function ts(
  uid: string,
  name: string,
  codec: PixelCodec,
  o: { explicitVr?: boolean; littleEndian?: boolean; deflated?: boolean } = {}
): TransferSyntaxInfo {
  return { uid, name, codec, explicitVr: o.explicitVr ?? true, littleEndian: o.littleEndian ?? true, deflated: o.deflated ?? false }
}
