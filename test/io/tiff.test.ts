import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { decodeTiff, isTiff } from '../../src-main/io/tiff.ts'
import { decodeImage, detectImageFormat, readImageFile } from '../../src-main/io/image.ts'
import { findPython, runPython } from '../helpers/python-oracle.ts'

// PIL writes the test files and decodes them independently; tifffile (when present) adds the
// layouts PIL cannot write: big-endian, predictor, tiles, separate planes, WhiteIsZero, int16.
const PY = findPython('numpy, PIL')
const NO_PIL = PY ? false : 'PIL and numpy not available (tried /usr/bin/python3 and python3)'
const HAS_TIFFFILE = PY !== null && findPython('numpy, PIL, tifffile') === PY

interface OraclePage {
  mode: string
  width: number
  height: number
  /** 'gray': one value per pixel; 'rgb': r, g, b per pixel. */
  kind: 'gray' | 'rgb'
  pixels: number[]
}

const MAKE = String.raw`
import json, sys, os
import numpy as np
from PIL import Image
out = sys.argv[1]
want_tifffile = sys.argv[2] == '1'
rng = np.random.default_rng(7)
H, W = 37, 53
g8 = rng.integers(0, 256, (H, W), dtype=np.uint8)
g16 = rng.integers(0, 65536, (H, W), dtype=np.uint16)
rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
# Large enough random 16-bit data for LZW to fill its table (12-bit codes) and send clear codes.
big16 = rng.integers(0, 65536, (257, 300), dtype=np.uint16)
f32 = (rng.standard_normal((20, 30)) * 1000).astype(np.float32)
files = {}
def pil(name, im, **kw):
    im.save(os.path.join(out, name), **kw); files[name] = 'pil'
pil('gray8.tif', Image.fromarray(g8))
pil('gray16.tif', Image.fromarray(g16))
pil('rgb8.tif', Image.fromarray(rgb))
pil('gray8_lzw.tif', Image.fromarray(g8), compression='tiff_lzw')
pil('gray16_lzw.tif', Image.fromarray(g16), compression='tiff_lzw')
pil('big16_lzw.tif', Image.fromarray(big16), compression='tiff_lzw')
pil('rgb8_lzw.tif', Image.fromarray(rgb), compression='tiff_lzw')
pil('gray8_deflate.tif', Image.fromarray(g8), compression='tiff_adobe_deflate')
pil('gray8_packbits.tif', Image.fromarray(g8), compression='packbits')
pil('float32.tif', Image.fromarray(f32))
pil('palette.tif', Image.fromarray(rgb).convert('P', palette=Image.ADAPTIVE, colors=50))
pil('rgba.tif', Image.fromarray(np.dstack([rgb, g8])))
pil('gray_alpha.tif', Image.fromarray(np.dstack([g8, g8[::-1]])).convert('LA'))
pages = [Image.fromarray(g8), Image.fromarray(g8[:20, :30].copy()), Image.fromarray(g16)]
pages[0].save(os.path.join(out, 'multipage.tif'), save_all=True, append_images=pages[1:]); files['multipage.tif'] = 'pil'
pil('jpeg.tif', Image.fromarray(rgb), compression='jpeg')
pil('bilevel.tif', Image.fromarray(g8 > 127))
if want_tifffile:
    import tifffile
    def tf(name, data, **kw):
        tifffile.imwrite(os.path.join(out, name), data, **kw); files[name] = 'tifffile'
    tf('gray16_be.tif', g16, byteorder='>')
    tf('gray16_pred.tif', g16, compression='zlib', predictor=True)
    tf('rgb8_pred.tif', rgb, compression='zlib', predictor=True, photometric='rgb')
    tf('gray16_tiled.tif', g16, tile=(16, 16))
    tf('rgb8_planar.tif', np.moveaxis(rgb, 2, 0).copy(), photometric='rgb', planarconfig='separate')
    tf('gray8_miniswhite.tif', g8, photometric='miniswhite')
    tf('int16_pred.tif', (g16.astype(np.int32) - 32768).astype(np.int16), compression='zlib', predictor=True)
    tf('float32_be.tif', f32, byteorder='>')
    tf('gray8_strips.tif', g8, rowsperstrip=5)
manifest = {}
for name in files:
    im = Image.open(os.path.join(out, name))
    if name in ('jpeg.tif', 'bilevel.tif'):
        continue
    pages = []
    for i in range(getattr(im, 'n_frames', 1)):
        im.seek(i)
        p = im
        if p.mode in ('P', 'RGBA'):
            p = p.convert('RGB')
        a = np.array(p)
        if p.mode == 'LA':
            a = a[:, :, 0]
        kind = 'rgb' if a.ndim == 3 else 'gray'
        pages.append({'mode': im.mode, 'width': im.width, 'height': im.height, 'kind': kind,
                      'pixels': [float(v) for v in a.reshape(-1)]})
    manifest[name] = pages
json.dump(manifest, sys.stdout)
`

/** Expected gray as image.ts defines it: the channel when R = G = B, else unrounded BT.601 luma. */
function expectedGray(p: OraclePage): Float64Array {
  const n = p.width * p.height
  if (p.kind === 'gray') return Float64Array.from(p.pixels)
  const px = p.pixels
  let allGray = true
  for (let i = 0; i < n && allGray; i++) if (px[3 * i] !== px[3 * i + 1] || px[3 * i] !== px[3 * i + 2]) allGray = false
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = allGray ? px[3 * i] : (299 * px[3 * i] + 587 * px[3 * i + 1] + 114 * px[3 * i + 2]) / 1000
  return out
}

let fixture: { dir: string; manifest: Record<string, OraclePage[]> } | null = null
function fixtures(): { dir: string; manifest: Record<string, OraclePage[]> } {
  if (!fixture) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-tiff-'))
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
    const manifest = JSON.parse(runPython(PY!, MAKE, [dir, HAS_TIFFFILE ? '1' : '0'])) as Record<string, OraclePage[]>
    fixture = { dir, manifest }
  }
  return fixture
}

function read(name: string): Buffer {
  return fs.readFileSync(path.join(fixtures().dir, name))
}

test('every TIFF layout decodes to exactly the pixels PIL decodes', { skip: NO_PIL }, () => {
  const { manifest } = fixtures()
  const names = Object.keys(manifest)
  assert.ok(names.length >= 14, `only ${names.length} test files`)
  if (!HAS_TIFFFILE) console.log('# tifffile not available: big-endian, predictor, tiled, planar, WhiteIsZero and int16 layouts not tested')
  for (const name of names) {
    const t = decodeTiff(read(name), name)
    const pages = manifest[name]
    assert.equal(t.pageCount, pages.length, name)
    assert.equal(t.pages.length, pages.length, name)
    pages.forEach((p, i) => {
      const got = t.pages[i]
      const where = `${name} page ${i + 1}: ${got.description}`
      assert.equal(got.width, p.width, where)
      assert.equal(got.height, p.height, where)
      const want = expectedGray(p)
      for (let k = 0; k < want.length; k++) {
        if (got.gray[k] !== want[k]) assert.fail(`${where}: pixel ${k} is ${got.gray[k]}, PIL says ${want[k]}`)
      }
      assert.equal(got.colorConverted, p.kind === 'rgb', where)
    })
  }
})

test('TIFF metadata: bit depth, sample format, channels, alpha, description', { skip: NO_PIL }, () => {
  const t16 = decodeTiff(read('gray16_lzw.tif'), 'x')
  assert.deepEqual([t16.bitDepth, t16.sampleFormat, t16.channels, t16.hasAlpha, t16.format], [16, 'uint', 1, false, 'tiff'])
  assert.match(t16.description, /^TIFF 53×37, 16-bit grayscale, LZW$/)
  const f = decodeTiff(read('float32.tif'), 'x')
  assert.deepEqual([f.bitDepth, f.sampleFormat], [32, 'float'])
  const rgba = decodeTiff(read('rgba.tif'), 'x')
  assert.deepEqual([rgba.channels, rgba.hasAlpha, rgba.colorConverted], [4, true, true])
  const la = decodeTiff(read('gray_alpha.tif'), 'x')
  assert.deepEqual([la.channels, la.hasAlpha, la.colorConverted], [2, true, false])
  const pal = decodeTiff(read('palette.tif'), 'x')
  assert.deepEqual([pal.channels, pal.bitDepth], [3, 8])
  const multi = decodeTiff(read('multipage.tif'), 'x')
  assert.match(multi.description, /page 1 of 3$/)
  assert.deepEqual(multi.pages.map((p) => [p.width, p.height, p.bitDepth]), [[53, 37, 8], [30, 20, 8], [53, 37, 16]])
  const first = decodeTiff(read('multipage.tif'), 'x', { firstPageOnly: true })
  assert.equal(first.pages.length, 1)
  assert.equal(first.pageCount, 3)
})

test('decodeImage and readImageFile route TIFF by magic bytes', { skip: NO_PIL }, () => {
  const { dir, manifest } = fixtures()
  assert.equal(detectImageFormat(Buffer.from('II*\0\x08\0\0\0', 'latin1')), 'tiff')
  assert.equal(detectImageFormat(Buffer.from('MM\0*\0\0\0\x08', 'latin1')), 'tiff')
  assert.equal(isTiff(Buffer.from('II*')), false)
  const img = readImageFile(path.join(dir, 'gray16.tif'))
  assert.deepEqual([img.format, img.bitDepth, img.channels, img.width, img.height], ['tiff', 16, 1, 53, 37])
  assert.deepEqual(Array.from(img.gray), manifest['gray16.tif'][0].pixels)
  const multi = decodeImage(read('multipage.tif'), 'm.tif')
  assert.deepEqual(Array.from(multi.gray), manifest['multipage.tif'][0].pixels)
  assert.match(multi.description, /page 1 of 3/)
  // decodeImage's callers divide by 255 or 65535: float data must not slip through as if it were 16-bit.
  assert.throws(() => decodeImage(read('float32.tif'), 'f.tif'), /^Error: f\.tif: TIFF 30×20, 32-bit float .*only 8- and 16-bit unsigned TIFF/)
})

/** Little-endian TIFF builder for hand-made damage: one strip per page, 8-bit gray. */
function buildTiff(pages: { width: number; height: number; pixels?: Uint8Array }[], opts: { loop?: boolean } = {}): Buffer {
  const parts: Buffer[] = []
  let offset = 8
  const header = Buffer.alloc(8)
  header.write('II', 0, 'latin1')
  header.writeUInt16LE(42, 2)
  parts.push(header)
  const ifdOffsets: number[] = []
  const nextFields: number[] = []
  for (const p of pages) {
    const data = p.pixels ?? new Uint8Array(0)
    const dataOff = offset
    parts.push(Buffer.from(data))
    offset += data.length + (data.length & 1)
    if (data.length & 1) parts.push(Buffer.alloc(1))
    const entries: [number, number, number, number][] = [
      [256, 4, 1, p.width],
      [257, 4, 1, p.height],
      [258, 3, 1, 8],
      [259, 3, 1, 1],
      [262, 3, 1, 1],
      [273, 4, 1, dataOff],
      [277, 3, 1, 1],
      [278, 4, 1, p.height],
      [279, 4, 1, p.width * p.height]
    ]
    const ifd = Buffer.alloc(2 + 12 * entries.length + 4)
    ifd.writeUInt16LE(entries.length, 0)
    entries.forEach(([tag, type, count, value], i) => {
      ifd.writeUInt16LE(tag, 2 + 12 * i)
      ifd.writeUInt16LE(type, 4 + 12 * i)
      ifd.writeUInt32LE(count, 6 + 12 * i)
      if (type === 3) ifd.writeUInt16LE(value, 10 + 12 * i)
      else ifd.writeUInt32LE(value, 10 + 12 * i)
    })
    ifdOffsets.push(offset)
    nextFields.push(offset + ifd.length - 4)
    parts.push(ifd)
    offset += ifd.length
  }
  const out = Buffer.concat(parts)
  out.writeUInt32LE(ifdOffsets[0], 4)
  for (let i = 0; i + 1 < pages.length; i++) out.writeUInt32LE(ifdOffsets[i + 1], nextFields[i])
  if (opts.loop) out.writeUInt32LE(ifdOffsets[0], nextFields[nextFields.length - 1])
  return out
}

/** Overwrite element `index` of a LONG/SHORT tag in the first IFD of a little-endian TIFF. */
function patchTag(bytes: Buffer, tag: number, index: number, value: number): void {
  const ifd = bytes.readUInt32LE(4)
  const n = bytes.readUInt16LE(ifd)
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + 12 * i
    if (bytes.readUInt16LE(e) !== tag) continue
    const type = bytes.readUInt16LE(e + 2)
    const size = type === 3 ? 2 : 4
    const count = bytes.readUInt32LE(e + 4)
    const pos = count * size <= 4 ? e + 8 : bytes.readUInt32LE(e + 8)
    if (size === 2) bytes.writeUInt16LE(value, pos + 2 * index)
    else bytes.writeUInt32LE(value, pos + 4 * index)
    return
  }
  throw new Error(`tag ${tag} not found`)
}

function readTag(bytes: Buffer, tag: number, index: number): number {
  const ifd = bytes.readUInt32LE(4)
  const n = bytes.readUInt16LE(ifd)
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + 12 * i
    if (bytes.readUInt16LE(e) !== tag) continue
    const size = bytes.readUInt16LE(e + 2) === 3 ? 2 : 4
    const pos = bytes.readUInt32LE(e + 4) * size <= 4 ? e + 8 : bytes.readUInt32LE(e + 8)
    return size === 2 ? bytes.readUInt16LE(pos + 2 * index) : bytes.readUInt32LE(pos + 4 * index)
  }
  throw new Error(`tag ${tag} not found`)
}

function expectError(bytes: Uint8Array, re: RegExp, limits = {}): void {
  assert.throws(() => decodeTiff(bytes, 'bad.tif', limits), (err: Error) => {
    assert.ok(err.message.startsWith('bad.tif: '), err.message)
    assert.match(err.message, re)
    return true
  })
}

test('hand-built TIFFs: page chain, bounds and size limits are checked before decoding', () => {
  const px = Uint8Array.from({ length: 12 }, (_, i) => i * 20)
  const good = buildTiff([{ width: 4, height: 3, pixels: px }, { width: 4, height: 3, pixels: px.map((v) => 255 - v) }])
  const t = decodeTiff(good, 'good.tif')
  assert.deepEqual(Array.from(t.pages[1].gray), Array.from(px, (v) => 255 - v))

  expectError(new Uint8Array(0), /file is empty/)
  expectError(Buffer.from('II*\0xxxxxxxx', 'latin1'), /truncated TIFF: directory of page 1 at byte 2021161080 is past the end of the 12-byte file/)
  expectError(Buffer.from('II+\0\x08\0\0\0\0\0\0\0\0\0\0\0', 'latin1'), /BigTIFF .* not supported/)
  expectError(buildTiff([{ width: 4, height: 3, pixels: px }, { width: 4, height: 3, pixels: px }], { loop: true }), /corrupt TIFF: the page chain loops back to byte \d+ after page 2/)
  // A header that claims 60000×60000 pixels in a 100-byte file: refused by the limit, not by running out of memory.
  expectError(buildTiff([{ width: 60000, height: 60000 }]), /image is 60000×60000 \(3600\.0 MP\), over the 100 MP limit/)
  expectError(good, /image is 2 pages with 0\.000024 MP in all, over the 0\.00002 MP limit/, { maxMegapixels: 0.00002 })
  // A strip that starts 2 bytes before the end of the file, and one shorter than its pixels.
  const past = buildTiff([{ width: 4, height: 3, pixels: px }])
  patchTag(past, 273, 0, past.length - 2)
  expectError(past, /truncated TIFF: strip 1 of 1 needs bytes \d+\.\.\d+ but the file ends at \d+/)
  const shortStrip = buildTiff([{ width: 4, height: 3, pixels: px }])
  patchTag(shortStrip, 279, 0, 5)
  expectError(shortStrip, /truncated TIFF: 5 of the 12 bytes in strip 1 of 1/)
  const noWidth = buildTiff([{ width: 4, height: 3, pixels: px }])
  patchTag(noWidth, 256, 0, 0)
  expectError(noWidth, /corrupt TIFF: invalid size 0×3/)
})

test('truncated, damaged and unsupported TIFFs from PIL give clear errors', { skip: NO_PIL }, () => {
  const lzw = read('gray8_lzw.tif')
  // PIL writes the directory last: cutting the file loses it.
  expectError(lzw.subarray(0, lzw.length >> 1), /truncated TIFF: directory of page 1 at byte \d+ is past the end/)

  // Each compressed strip cut to half its bytes.
  const halve = (name: string): Buffer => {
    const b = Buffer.from(read(name))
    patchTag(b, 279, 0, readTag(b, 279, 0) >> 1)
    return b
  }
  expectError(halve('gray8_lzw.tif'), /truncated or corrupt LZW data: \d+ of the \d+ bytes in strip 1 of \d+/)
  expectError(halve('gray8_deflate.tif'), /corrupt or truncated Deflate data .* in strip 1 of \d+/)
  expectError(halve('gray8_packbits.tif'), /truncated PackBits data: \d+ of the \d+ bytes in strip 1 of \d+/)

  // A damaged LZW stream without an end code (utif's decoder loops for ever on this one): ours
  // stops at the end of the strip's bytes, with an error or with (garbage) pixels, but it stops.
  const damaged = Buffer.from(read('gray8_lzw.tif'))
  const off = readTag(damaged, 273, 0)
  const count = readTag(damaged, 279, 0)
  damaged.fill(0, off + (count >> 1), off + count)
  const t0 = Date.now()
  try {
    decodeTiff(damaged, 'bad.tif')
  } catch (err) {
    assert.match((err as Error).message, /^bad\.tif: .*LZW/)
  }
  assert.ok(Date.now() - t0 < 5000)

  expectError(read('jpeg.tif'), /JPEG-compressed TIFF is not supported \(only uncompressed, PackBits, LZW and Deflate\)/)
  expectError(read('bilevel.tif'), /1-bit TIFF is not supported/)
  if (HAS_TIFFFILE) {
    // tifffile writes the directory first, so a cut file keeps it and loses pixel data instead.
    const tf = read('gray16_pred.tif')
    expectError(tf.subarray(0, tf.length - 100), /truncated TIFF: strip 1 of 1 needs bytes/)
  }
})
