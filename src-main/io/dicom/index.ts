/**
 * DICOM reading: files, folders and DICOMDIRs → ImageScan series (see ../scan.ts).
 *
 * Pure Node: dicom-parser for the data set, WASM codecs for JPEG / JPEG-LS / JPEG 2000, our own
 * decoders for RLE and 12-bit JPEG. Every failure is a DicomError naming the file.
 */
export { decodeDicom, type DicomInstance, type DecodeOptions } from './instance.ts'
export { readDicomFile, loadDicomPath } from './load.ts'
export { SUPPORTED_TRANSFER_SYNTAXES, transferSyntaxName } from './transfer-syntax.ts'
export { DicomError, type DicomErrorCode } from './errors.ts'
export { MAX_OUTPUT_VALUES } from './pixel-module.ts'
export { MAX_DICOM_BYTES } from './parse.ts'
import { looksLikeDicom } from './parse.ts'

/** 'DICM' at byte 128, or a plausible data set without file meta (first element in group 0002 or 0008). */
export function isDicom(bytes: Uint8Array): boolean {
  return looksLikeDicom(bytes)
}
