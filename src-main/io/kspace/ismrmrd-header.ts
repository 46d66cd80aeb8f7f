/**
 * The fields of the ISMRMRD XML header that loading k-space needs or that are worth showing.
 * Only the first <encoding> is used (multi-encoding files are rare and noted).
 */
import { parseXml, xmlFind, xmlNumber, xmlText, type XmlElement } from './xml.ts'

export interface Limit {
  minimum: number
  maximum: number
  center: number
}

export interface IsmrmrdHeader {
  encodings: number
  trajectory?: string
  /** matrixSize x, y, z. */
  encodedMatrix?: [number, number, number]
  reconMatrix?: [number, number, number]
  encodedFovMm?: [number, number, number]
  reconFovMm?: [number, number, number]
  step1?: Limit
  step2?: Limit
  slice?: Limit
  metadata: Record<string, string | number>
}

function triple(el: XmlElement | undefined, path: string): [number, number, number] | undefined {
  const x = xmlNumber(el, `${path}/x`)
  const y = xmlNumber(el, `${path}/y`)
  const z = xmlNumber(el, `${path}/z`)
  return x !== undefined && y !== undefined ? [x, y, z ?? 1] : undefined
}

function limit(el: XmlElement | undefined, name: string): Limit | undefined {
  const l = xmlFind(el, `encodingLimits/${name}`)
  const minimum = xmlNumber(l, 'minimum')
  const maximum = xmlNumber(l, 'maximum')
  const center = xmlNumber(l, 'center')
  if (minimum === undefined || maximum === undefined) return undefined
  return { minimum, maximum, center: center ?? Math.floor((minimum + maximum + 1) / 2) }
}

/** Parse the header text; throws (with `source`) when it is not XML. */
export function parseIsmrmrdHeader(text: string, source: string): IsmrmrdHeader {
  let root: XmlElement
  try {
    root = parseXml(text)
  } catch (e) {
    throw new Error(`${source}: the ISMRMRD XML header cannot be parsed: ${(e as Error).message}`)
  }
  if (root.name !== 'ismrmrdHeader') throw new Error(`${source}: the XML header's root is <${root.name}>, not <ismrmrdHeader>`)
  const encodings = root.children.filter((c) => c.name === 'encoding')
  const enc = encodings[0]
  const h: IsmrmrdHeader = {
    encodings: encodings.length,
    trajectory: xmlText(enc, 'trajectory'),
    encodedMatrix: triple(enc, 'encodedSpace/matrixSize'),
    reconMatrix: triple(enc, 'reconSpace/matrixSize'),
    encodedFovMm: triple(enc, 'encodedSpace/fieldOfView_mm'),
    reconFovMm: triple(enc, 'reconSpace/fieldOfView_mm'),
    step1: limit(enc, 'kspace_encoding_step_1'),
    step2: limit(enc, 'kspace_encoding_step_2'),
    slice: limit(enc, 'slice'),
    metadata: {}
  }
  const m = h.metadata
  const put = (key: string, v: string | number | undefined): void => {
    if (v !== undefined) m[key] = v
  }
  put('Manufacturer', xmlText(root, 'acquisitionSystemInformation/systemVendor'))
  put('ManufacturerModelName', xmlText(root, 'acquisitionSystemInformation/systemModel'))
  put('MagneticFieldStrength', xmlNumber(root, 'acquisitionSystemInformation/systemFieldStrength_T'))
  put('ReceiverChannels', xmlNumber(root, 'acquisitionSystemInformation/receiverChannels'))
  put('ProtocolName', xmlText(root, 'measurementInformation/protocolName'))
  put('PatientPosition', xmlText(root, 'measurementInformation/patientPosition'))
  put('RepetitionTime', xmlNumber(root, 'sequenceParameters/TR'))
  put('EchoTime', xmlNumber(root, 'sequenceParameters/TE'))
  put('InversionTime', xmlNumber(root, 'sequenceParameters/TI'))
  put('FlipAngle', xmlNumber(root, 'sequenceParameters/flipAngle_deg'))
  put('SequenceType', xmlText(root, 'sequenceParameters/sequence_type'))
  put('Trajectory', h.trajectory)
  if (h.encodedMatrix) m.EncodedMatrix = h.encodedMatrix.join('×')
  if (h.reconMatrix) m.ReconMatrix = h.reconMatrix.join('×')
  if (h.encodedFovMm) m.EncodedFOV_mm = h.encodedFovMm.map((v) => +v.toFixed(2)).join('×')
  if (h.reconFovMm) m.ReconFOV_mm = h.reconFovMm.map((v) => +v.toFixed(2)).join('×')
  if (h.step1) m.EncodingLimitsStep1 = `${h.step1.minimum}…${h.step1.maximum} (center ${h.step1.center})`
  if (h.encodings > 1) m.Encodings = h.encodings
  return h
}
