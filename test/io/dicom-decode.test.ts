/**
 * DICOM decoding from files built byte by byte: each pixel path with values worked out by hand,
 * and each refusal with the message it must give. Needs no shared data and no Python.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deflateRawSync } from 'node:zlib'
import jpeg from 'jpeg-js'
import { decodeDicom, DicomError, isDicom, SUPPORTED_TRANSFER_SYNTAXES, MAX_OUTPUT_VALUES } from '../../src-main/io/dicom/index.ts'
import { decodeDctJpeg } from '../../src-main/io/dicom/codecs/jpeg-dct.ts'
import { decodeJpegDct } from '../../src-main/io/dicom/codecs/jpeg-baseline.ts'
import { decodeRleFrame } from '../../src-main/io/dicom/codecs/rle.ts'
import { buildDicom, el, encapsulatedPixelData, imageModule, pixels16, TS, type El } from '../helpers/dicom-writer.ts'

const ids = [el(0x0008, 0x0018, 'UI', '1.2.3.4.5'), el(0x0020, 0x000d, 'UI', '1.2.3'), el(0x0020, 0x000e, 'UI', '1.2.3.4')]

async function rejects(bytes: Uint8Array, code: DicomError['code'], pattern: RegExp): Promise<DicomError> {
  try {
    await decodeDicom(bytes, 'test.dcm')
  } catch (e) {
    assert.ok(e instanceof DicomError, `expected a DicomError, got ${(e as Error).name}: ${(e as Error).message}`)
    assert.equal(e.code, code, e.message)
    assert.match(e.message, /^test\.dcm: /)
    assert.match(e.message, pattern)
    return e
  }
  assert.fail('decoding succeeded')
}

/** PackBits: replicate runs for repeats of 3+, literal runs otherwise. */
function packBits(bytes: Uint8Array): number[] {
  const out: number[] = []
  let i = 0
  while (i < bytes.length) {
    let run = 1
    while (i + run < bytes.length && run < 128 && bytes[i + run] === bytes[i]) run++
    if (run >= 3) {
      out.push(257 - run, bytes[i])
      i += run
      continue
    }
    let j = i
    while (j < bytes.length && j - i < 128 && !(j + 2 < bytes.length && bytes[j] === bytes[j + 1] && bytes[j] === bytes[j + 2])) j++
    out.push(j - i - 1, ...bytes.subarray(i, j))
    i = j
  }
  return out
}

/** One RLE frame of 16-bit words (most significant byte plane first). */
function rleFrame16(words: number[]): Uint8Array {
  const hi = Uint8Array.from(words, (w) => (w >> 8) & 0xff)
  const lo = Uint8Array.from(words, (w) => w & 0xff)
  const s1 = packBits(hi)
  const s2 = packBits(lo)
  const header = new Uint8Array(64)
  const dv = new DataView(header.buffer)
  dv.setUint32(0, 2, true)
  dv.setUint32(4, 64, true)
  dv.setUint32(8, 64 + s1.length, true)
  return Uint8Array.from([...header, ...s1, ...s2])
}

test('isDicom recognises Part 10 files and bare data sets, and nothing else', () => {
  const part10 = buildDicom([...ids, ...imageModule({ rows: 1, columns: 1 }), pixels16([7])])
  assert.equal(isDicom(part10), true)
  for (const enc of [TS.explicitLE, TS.implicitLE, TS.explicitBE]) {
    assert.equal(isDicom(buildDicom([...ids, ...imageModule({ rows: 1, columns: 1 }), pixels16([7])], { transferSyntax: enc, meta: false })), true, enc)
  }
  assert.equal(isDicom(new TextEncoder().encode('just some text that is long enough to look at')), false)
  assert.equal(isDicom(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])), false)
  assert.equal(isDicom(new Uint8Array(0)), false)
})

test('SUPPORTED_TRANSFER_SYNTAXES lists the 13 decoded syntaxes by name', () => {
  assert.equal(Object.keys(SUPPORTED_TRANSFER_SYNTAXES).length, 13)
  assert.equal(SUPPORTED_TRANSFER_SYNTAXES['1.2.840.10008.1.2.4.80'], 'JPEG-LS Lossless Image Compression')
  assert.equal(SUPPORTED_TRANSFER_SYNTAXES['1.2.840.10008.1.2.5'], 'RLE Lossless')
})

test('native 16-bit: BitsStored bits only, sign-extended, then rescaled; MONOCHROME1 is flagged, not inverted', async () => {
  // 12 bits stored, garbage in the top nibble: 0xF7FF → 0x7FF = 2047; 0x1800 → 0x800 = −2048; 0xA001 → 1.
  const bytes = buildDicom([
    ...ids,
    ...imageModule({ rows: 1, columns: 3, bitsStored: 12, signed: true, photometric: 'MONOCHROME1' }),
    el(0x0028, 0x1050, 'DS', '100\\200'),
    el(0x0028, 0x1051, 'DS', '50\\60'),
    el(0x0028, 0x1052, 'DS', '-1.5'),
    el(0x0028, 0x1053, 'DS', '2'),
    pixels16([0xf7ff, 0x1800, 0xa001])
  ])
  const d = await decodeDicom(bytes, 'x.dcm')
  assert.deepEqual([...d.pixels], [2047 * 2 - 1.5, -2048 * 2 - 1.5, 1 * 2 - 1.5])
  assert.deepEqual(d.display, { photometric: 'MONOCHROME1', invert: true, window: { center: 100, width: 50 } })
  assert.equal(d.metadata.RescaleSlope, 2)
  assert.equal(d.metadata.BitsStored, 12)
})

test('HighBit below the top: the stored bits are shifted down', async () => {
  // BitsStored 12, HighBit 15: value in the top 12 bits; low nibble is garbage.
  const module = imageModule({ rows: 1, columns: 2, bitsStored: 12 }).map((e) => (e.tag[1] === 0x0102 ? el(0x0028, 0x0102, 'US', [15]) : e))
  const d = await decodeDicom(buildDicom([...ids, ...module, pixels16([(4095 << 4) | 9, (123 << 4) | 3])]), 'x')
  assert.deepEqual([...d.pixels], [4095, 123])
})

test('Explicit VR Big Endian 16-bit words are byte-swapped; Implicit VR reads the same', async () => {
  const values = [1, 256, 0x1234, 65535]
  const module = imageModule({ rows: 2, columns: 2 })
  const be = await decodeDicom(buildDicom([...ids, ...module, pixels16(values, false)], { transferSyntax: TS.explicitBE }), 'be')
  const il = await decodeDicom(buildDicom([...ids, ...module, pixels16(values)], { transferSyntax: TS.implicitLE }), 'il')
  assert.deepEqual([...be.pixels], values)
  assert.deepEqual([...il.pixels], values)
})

test('files without file meta are read with a guessed encoding, and say so', async () => {
  const module = imageModule({ rows: 1, columns: 2 })
  for (const [ts, label] of [
    [TS.implicitLE, 'Implicit VR Little Endian'],
    [TS.explicitLE, 'Explicit VR Little Endian'],
    [TS.explicitBE, 'Explicit VR Big Endian']
  ]) {
    const d = await decodeDicom(buildDicom([...ids, ...module, pixels16([5, 6], ts !== TS.explicitBE)], { transferSyntax: ts, meta: false }), 'nometa')
    assert.deepEqual([...d.pixels], [5, 6], label)
    assert.equal(d.transferSyntax.uid, ts)
    assert.ok(d.notes.includes(`no DICOM file meta: guessed ${label}`), d.notes.join('; '))
  }
})

test('deflated data sets are inflated; a broken deflate stream is a clear error', async () => {
  // The data set starts after the 12-byte group length element and the group it counts.
  const metaEnd = (b: Uint8Array): number => 132 + 12 + new DataView(b.buffer, b.byteOffset).getUint32(140, true)
  const plain = buildDicom([...ids, ...imageModule({ rows: 2, columns: 2 }), pixels16([1, 2, 3, 4])])
  const head = buildDicom([...ids, ...imageModule({ rows: 2, columns: 2 }), pixels16([1, 2, 3, 4])], { transferSyntax: '1.2.840.10008.1.2.1.99' })
  const headEnd = metaEnd(head)
  const deflated = Uint8Array.from([...head.subarray(0, headEnd), ...deflateRawSync(plain.subarray(metaEnd(plain)))])
  const d = await decodeDicom(deflated, 'dfl')
  assert.deepEqual([...d.pixels], [1, 2, 3, 4])
  const broken = Uint8Array.from([...head.subarray(0, headEnd), 0xff, 0xff, 0xff, 0xff, 0xff])
  await rejects(broken, 'corrupt', /deflated data set cannot be inflated/)
})

test('8-bit RGB: planar configuration 1 is interleaved; YBR_FULL_422 is expanded and converted', async () => {
  const planar = buildDicom([
    ...ids,
    ...imageModule({ rows: 1, columns: 2, bitsAllocated: 8, samples: 3, planar: 1 }),
    el(0x7fe0, 0x0010, 'OB', Uint8Array.from([10, 11, 20, 21, 30, 31]))
  ])
  assert.deepEqual([...(await decodeDicom(planar, 'p')).pixels], [10, 20, 30, 11, 21, 31])
  // Y0 Y1 Cb Cr: grey (Cb = Cr = 128) stays grey; R = Y + 1.402 (Cr − 128).
  const ybr = buildDicom([
    ...ids,
    ...imageModule({ rows: 1, columns: 4, bitsAllocated: 8, samples: 3, photometric: 'YBR_FULL_422' }),
    el(0x7fe0, 0x0010, 'OB', Uint8Array.from([50, 60, 128, 128, 100, 100, 128, 228]))
  ])
  const d = await decodeDicom(ybr, 'y')
  assert.equal(d.samples, 3)
  assert.deepEqual([...d.pixels.subarray(0, 6)], [50, 50, 50, 60, 60, 60])
  assert.deepEqual([...d.pixels.subarray(6, 9)], [240, Math.floor(100 - 0.714136 * 100 + 0.5), 100])
})

test('1-bit frames need not start on a byte boundary', async () => {
  // 3 frames of 1×3 = 9 bits, least significant bit first: 1 0 1 | 1 1 0 | 0 0 1.
  const bits = [1, 0, 1, 1, 1, 0, 0, 0, 1]
  const bytes = [0, 0]
  bits.forEach((b, i) => (bytes[i >> 3] |= b << (i & 7)))
  const d = await decodeDicom(
    buildDicom([...ids, ...imageModule({ rows: 1, columns: 3, bitsAllocated: 1, frames: 3 }), el(0x7fe0, 0x0010, 'OB', Uint8Array.from(bytes))]),
    'bits'
  )
  assert.equal(d.frames, 3)
  assert.deepEqual([...d.pixels], bits)
})

test('PALETTE COLOR maps through the LUT with the first mapped value, clamping outside it', async () => {
  const lut = (f: (i: number) => number): Uint8Array => {
    const out = new Uint8Array(8)
    for (let i = 0; i < 4; i++) new DataView(out.buffer).setUint16(2 * i, f(i), true)
    return out
  }
  const d = await decodeDicom(
    buildDicom([
      ...ids,
      ...imageModule({ rows: 1, columns: 3, bitsAllocated: 8, photometric: 'PALETTE COLOR' }),
      el(0x0028, 0x1101, 'US', [4, 10, 16]),
      el(0x0028, 0x1102, 'US', [4, 10, 16]),
      el(0x0028, 0x1103, 'US', [4, 10, 16]),
      el(0x0028, 0x1201, 'OW', lut((i) => 1000 * i)),
      el(0x0028, 0x1202, 'OW', lut((i) => 1000 * i + 1)),
      el(0x0028, 0x1203, 'OW', lut((i) => 1000 * i + 2)),
      el(0x7fe0, 0x0010, 'OB', Uint8Array.from([5, 12, 200, 0]))
    ]),
    'pal'
  )
  assert.equal(d.samples, 3)
  assert.deepEqual([...d.pixels], [0, 1, 2, 2000, 2001, 2002, 3000, 3001, 3002])
})

test('Float Pixel Data is read as is', async () => {
  const f = new Float32Array([1.5, -2.25, 1e-7])
  const d = await decodeDicom(
    buildDicom([...ids, ...imageModule({ rows: 1, columns: 3, bitsAllocated: 32 }), el(0x7fe0, 0x0008, 'OF', new Uint8Array(f.buffer))]),
    'f'
  )
  assert.deepEqual([...d.pixels], [...f])
})

test('RLE: single and multi-frame, with and without a Basic Offset Table', async () => {
  const f1 = [0, 1, 2, 3, 300, 300, 300, 65535]
  const f2 = [9, 9, 9, 9, 9, 9, 9, 9]
  const module = imageModule({ rows: 2, columns: 4, frames: 2 })
  const a = rleFrame16(f1)
  const b = rleFrame16(f2)
  const noBot = await decodeDicom(buildDicom([...ids, ...module, encapsulatedPixelData([a, b])], { transferSyntax: TS.rle }), 'rle')
  assert.deepEqual([...noBot.pixels], [...f1, ...f2])
  const offsets = [0, 8 + a.length + (a.length % 2)]
  const withBot = await decodeDicom(buildDicom([...ids, ...module, encapsulatedPixelData([a, b], offsets)], { transferSyntax: TS.rle }), 'rle')
  assert.deepEqual([...withBot.pixels], [...f1, ...f2])
  // A BOT that points nowhere is ignored (and said so), one fragment per frame still works.
  const badBot = await decodeDicom(buildDicom([...ids, ...module, encapsulatedPixelData([a, b], [0, 12345])], { transferSyntax: TS.rle }), 'rle')
  assert.deepEqual([...badBot.pixels], [...f1, ...f2])
  assert.ok(badBot.notes.some((n) => n.includes('Basic Offset Table')))
  await rejects(buildDicom([...ids, ...imageModule({ rows: 2, columns: 4, frames: 3 }), encapsulatedPixelData([a, b])], { transferSyntax: TS.rle }), 'corrupt', /3 frames declared but the pixel data has only 2 fragment/)
})

test('RLE decoder refuses wrong segment counts, bad offsets and short segments', () => {
  const good = rleFrame16([1, 2, 3, 4])
  assert.deepEqual([...decodeRleFrame(good, 2, 2, 1, 16)], [1, 2, 3, 4])
  assert.throws(() => decodeRleFrame(good, 2, 2, 3, 16), /2 segments; 3 sample\(s\) of 16 bits need 6/)
  const badOffset = good.slice()
  new DataView(badOffset.buffer).setUint32(8, 999999, true)
  assert.throws(() => decodeRleFrame(badOffset, 2, 2, 1, 16), /invalid offset/)
  assert.throws(() => decodeRleFrame(good, 200, 200, 1, 16), /too short/)
  assert.throws(() => decodeRleFrame(good.subarray(0, 40), 2, 2, 1, 16), /shorter than its 64-byte header/)
})

test('our DCT decoder reproduces libjpeg-turbo exactly on 8-bit baseline JPEG', async () => {
  const w = 37
  const h = 29
  const rgba = new Uint8Array(w * h * 4)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = (k: number): number => Math.round(128 + 100 * Math.sin(x / (3 + k)) * Math.cos(y / (5 - k)) + ((x * 7 + y * 13 * k) % 17))
      rgba.set([v(0), v(1), v(2), 255], 4 * (y * w + x))
    }
  }
  const encoded = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 85).data)
  // Without its JFIF segment and labelled RGB, libjpeg-turbo hands back the decoded components
  // untouched (no colour conversion, 1×1 sampling), which is exactly what our decoder returns.
  const jfifLength = (encoded[4] << 8) | encoded[5]
  const bare = Uint8Array.from([...encoded.subarray(0, 2), ...encoded.subarray(4 + jfifLength)])
  const ours = decodeDctJpeg(bare, w * h * 3)
  const turbo = await decodeJpegDct(bare, { rows: h, columns: w, samples: 3, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, photometric: 'RGB' })
  assert.equal(ours.components, 3)
  assert.deepEqual([...ours.data], [...turbo.values])
})

test('unsupported and unknown transfer syntaxes are refused by UID and name', async () => {
  const body: El[] = [...ids, ...imageModule({ rows: 1, columns: 1 }), encapsulatedPixelData([Uint8Array.from([1, 2, 3, 4])])]
  const e = await rejects(buildDicom(body, { transferSyntax: '1.2.840.10008.1.2.4.110' }), 'unsupported', /1\.2\.840\.10008\.1\.2\.4\.110 \(JPEG XL Lossless\)/)
  assert.match(e.message, /unsupported transfer syntax/)
  await rejects(buildDicom(body, { transferSyntax: '1.2.3.4.5.6' }), 'unsupported', /1\.2\.3\.4\.5\.6 \(not a DICOM transfer syntax UID\)/)
})

test('bad headers and short pixel data are clear errors, checked before allocating', async () => {
  await rejects(new Uint8Array(0), 'not-dicom', /not a DICOM file/)
  await rejects(buildDicom([...ids, ...imageModule({ rows: 2, columns: 2 }), pixels16([1, 2, 3])]), 'corrupt', /pixel data is 6 bytes but 1 frame\(s\) of 2×2×1 at 16 bits need 8/)
  // 65535² values would be 16 GiB of float32: refused from the header alone.
  await rejects(buildDicom([...ids, ...imageModule({ rows: 65535, columns: 65535 }), pixels16([1])]), 'too-large', new RegExp(`limit of ${MAX_OUTPUT_VALUES}`))
  await rejects(buildDicom([...ids, ...imageModule({ rows: 4, columns: 4, frames: 0 }), pixels16([1])]), 'corrupt', /NumberOfFrames 0 is out of range/)
  await rejects(buildDicom([...ids, ...imageModule({ rows: 4, columns: 4, bitsAllocated: 12 }), pixels16([1])]), 'unsupported', /BitsAllocated 12/)
  await rejects(buildDicom([...ids, ...imageModule({ rows: 4, columns: 4, samples: 4, photometric: 'ARGB' }), pixels16([1])]), 'unsupported', /SamplesPerPixel 4/)
  await rejects(buildDicom([...ids, ...imageModule({ rows: 1, columns: 1, photometric: 'RGB' }), pixels16([1])]), 'corrupt', /does not fit SamplesPerPixel 1/)
  await rejects(buildDicom([...ids, el(0x0010, 0x0010, 'PN', 'Doe^John')]), 'no-pixel-data', /has no pixel data/)
  // An element whose length runs past the end of the file.
  const truncated = buildDicom([...ids, ...imageModule({ rows: 8, columns: 8 }), pixels16(new Array(64).fill(3))]).subarray(0, -20)
  await rejects(truncated, 'corrupt', /truncated: pixel data needs 128 bytes but only 108 remain/)
})

test('headerOnly parses and validates without decoding pixels', async () => {
  const d = await decodeDicom(buildDicom([...ids, ...imageModule({ rows: 3, columns: 5, frames: 2 }), pixels16(new Array(30).fill(1))]), 'h', { headerOnly: true })
  assert.equal(d.pixels.length, 0)
  assert.deepEqual([d.frames, d.rows, d.columns, d.samples], [2, 3, 5, 1])
  assert.equal(d.seriesInstanceUid, '1.2.3.4')
})

test('metadata keeps identifiers with the character set applied', async () => {
  const utf8 = new TextEncoder().encode('Müller^Jörg')
  const d = await decodeDicom(
    buildDicom([
      ...ids,
      el(0x0008, 0x0005, 'CS', 'ISO_IR 192'),
      el(0x0008, 0x0060, 'CS', 'MR'),
      el(0x0010, 0x0010, 'PN', utf8),
      el(0x0010, 0x0020, 'LO', 'ID-42'),
      el(0x0020, 0x0011, 'IS', '7'),
      el(0x0020, 0x0032, 'DS', '1\\2\\3.5'),
      el(0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'),
      el(0x0028, 0x0030, 'DS', '0.5\\0.75'),
      ...imageModule({ rows: 1, columns: 1 }),
      pixels16([1])
    ]),
    'm'
  )
  assert.equal(d.metadata.PatientName, 'Müller^Jörg')
  assert.equal(d.metadata.PatientID, 'ID-42')
  assert.equal(d.metadata.SeriesNumber, 7)
  assert.equal(d.metadata.Modality, 'MR')
  assert.equal(d.metadata.TransferSyntaxUID, TS.explicitLE)
  assert.deepEqual(d.imagePositionPatient, [1, 2, 3.5])
  assert.deepEqual(d.imageOrientationPatient, [1, 0, 0, 0, 1, 0])
  assert.deepEqual(d.pixelSpacing, [0.5, 0.75])
})
