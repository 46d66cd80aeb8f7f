/** What the DICOM header says a frame must be, and what a codec hands back. */

export type IntArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array

export interface FrameSpec {
  rows: number
  columns: number
  samples: 1 | 3
  bitsAllocated: number
  bitsStored: number
  pixelRepresentation: 0 | 1
  photometric: string
}

export interface CodecFrame {
  /** rows × columns × samples, pixel-interleaved. */
  values: IntArray
  /** Bit depth of the decoded samples: unsigned values are bit patterns of this many bits. */
  precision: number
  /** Values are already signed integers (the codec knew the sign). */
  signed: boolean
  /** The codec already produced RGB from YCbCr (or the stream was RGB): no further conversion. */
  rgb: boolean
  /** How the stream was interpreted, when that involved a judgement call. */
  note?: string
}

/** Checks a codec's reported frame size against the DICOM header; throws a plain Error if they differ. */
export function checkFrameSize(what: string, width: number, height: number, components: number, spec: FrameSpec): void {
  if (width !== spec.columns || height !== spec.rows) {
    throw new Error(`${what} is ${width}×${height} but the DICOM header says ${spec.columns}×${spec.rows} (columns×rows)`)
  }
  if (components !== spec.samples) {
    throw new Error(`${what} has ${components} component(s) but SamplesPerPixel is ${spec.samples}`)
  }
}
