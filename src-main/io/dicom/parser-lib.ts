/**
 * Typed access to dicom-parser (a UMD bundle without usable ESM exports or types for the
 * lower-level functions we need). Only what this reader uses is declared.
 */
import { createRequire } from 'node:module'

export interface ByteArrayParser {
  readUint16(byteArray: Uint8Array, position: number): number
  readUint32(byteArray: Uint8Array, position: number): number
}

export interface Fragment {
  /** Offset of the item tag from the first fragment's item tag. */
  offset: number
  /** Absolute position of the fragment's first data byte. */
  position: number
  length: number
}

export interface Element {
  tag: string
  vr?: string
  length: number
  dataOffset: number
  hadUndefinedLength?: boolean
  items?: Item[]
  encapsulatedPixelData?: boolean
  basicOffsetTable?: number[]
  fragments?: Fragment[]
}

export interface Item {
  tag: string
  length: number
  dataOffset: number
  dataSet?: DataSet
}

export interface DataSet {
  byteArray: Uint8Array
  byteArrayParser: ByteArrayParser
  elements: Record<string, Element>
  warnings: string[]
  /** Set on the file meta data set by readPart10Header: where the main data set starts. */
  position?: number
}

export interface ByteStream {
  byteArray: Uint8Array
  position: number
  warnings: string[]
}

interface DicomParserLib {
  ByteStream: new (parser: ByteArrayParser, byteArray: Uint8Array, position?: number) => ByteStream
  DataSet: new (parser: ByteArrayParser, byteArray: Uint8Array, elements: Record<string, Element>) => DataSet
  littleEndianByteArrayParser: ByteArrayParser
  bigEndianByteArrayParser: ByteArrayParser
  readPart10Header(byteArray: Uint8Array, options?: object): DataSet
  readDicomElementExplicit(stream: ByteStream, warnings?: string[]): Element
  parseDicomDataSetExplicit(dataSet: DataSet, stream: ByteStream, maxPosition?: number, options?: object): void
  parseDicomDataSetImplicit(dataSet: DataSet, stream: ByteStream, maxPosition?: number, options?: object): void
  findEndOfEncapsulatedElement(stream: ByteStream, element: Element, warnings?: string[]): void
  readEncapsulatedPixelDataFromFragments(
    dataSet: DataSet,
    element: Element,
    startFragmentIndex: number,
    numFragments: number,
    fragments?: Fragment[]
  ): Uint8Array
}

// Not named `require`: electron-vite's ESM shim declares a top-level `require` in the bundle.
const requireCjs = createRequire(import.meta.url)

export const dicomParser = requireCjs('dicom-parser') as DicomParserLib
