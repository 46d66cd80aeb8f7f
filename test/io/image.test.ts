import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { spawnSync } from 'node:child_process'
import jpeg from 'jpeg-js'
import { fileURLToPath } from 'node:url'
import {
  readImageFile,
  decodeImage,
  detectImageFormat,
  encodePng8,
  encodePng16,
  writePngFile,
  type DecodedImage
} from '../../src-main/io/image.ts'
import { FileExistsError } from '../../src-main/io/atomic-write.ts'

// PIL (with numpy to hand arrays over) is the independent decoder. /usr/bin/python3 is tried
// first because a pyenv python3 may lack these packages.
function findPython(modules: string): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', `import ${modules}`], { stdio: 'ignore' })
    if (r.status === 0) return exe
  }
  return null
}
const PY = findPython('numpy, PIL')
const NO_PIL = PY ? false : 'PIL and numpy not available (tried /usr/bin/python3 and python3); no independent decoder to compare with'

// Outside the repository: <repo>/../shared/data, found from this file so that the cwd does not matter.
const DATA = fileURLToPath(new URL('../../../shared/data', import.meta.url))
const SET12 = path.join(DATA, 'natural/set12')
const BSD68 = path.join(DATA, 'natural/bsd68')
const MRI = path.join(DATA, 'mri-slices/Testing')
const NO_SET12 = fs.existsSync(path.join(SET12, '01.png')) ? false : `real test images not found in ${SET12}`
const NO_MRI = fs.existsSync(MRI) ? false : `real MRI slices not found in ${MRI}`

function listFiles(dir: string, ext: string): string[] {
  if (!fs.existsSync(dir)) return []
  const out: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...listFiles(p, ext))
    else if (e.name.endsWith(ext)) out.push(p)
  }
  return out
}

function withTmp(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-'))
  try {
    fn(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function runPython(script: string, args: string[]): string {
  const r = spawnSync(PY!, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}\n${r.stdout}`)
  return r.stdout
}

function readF64(file: string): Float64Array {
  const b = fs.readFileSync(file)
  const out = new Float64Array(b.length / 8)
  new Uint8Array(out.buffer).set(b)
  return out
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

/** Reference luminance by PIL, written as float64 next to each listed file (".ref"). */
const PIL_REFERENCE = String.raw`
import sys, numpy as np
from PIL import Image
for p in sys.argv[1:]:
    im = Image.open(p)
    ycc = 'jfif' in im.info or im.info.get('adobe_transform', 1) != 0   # libjpeg's rule
    if im.format == 'JPEG' and im.mode == 'RGB' and ycc:
        # The Y plane itself, as the decoder under test uses it for YCbCr JPEGs.
        im.draft('YCbCr', im.size)
        assert im.mode == 'YCbCr', im.mode
        g = np.asarray(im, dtype=np.float64)[..., 0]
    elif im.mode in ('L', 'I;16', 'I;16B', 'I'):
        g = np.asarray(im, dtype=np.float64)
    elif im.mode == 'LA':
        g = np.asarray(im, dtype=np.float64)[..., 0]
    elif im.mode == '1':
        g = np.asarray(im.convert('L'), dtype=np.float64)
    else:
        a = np.asarray(im.convert('RGB'), dtype=np.float64)
        if (a[..., 0] == a[..., 1]).all() and (a[..., 0] == a[..., 2]).all():
            g = a[..., 0]
        else:
            g = (299 * a[..., 0] + 587 * a[..., 1] + 114 * a[..., 2]) / 1000
    np.ascontiguousarray(g, dtype=np.float64).tofile(p + '.ref')
`

function pilReference(files: string[], dir: string): Map<string, Float64Array> {
  // Copies so that reference files are written to the temp dir, never next to the data.
  const copies = files.map((f, i) => {
    const c = path.join(dir, `${i}${path.extname(f)}`)
    fs.copyFileSync(f, c)
    return c
  })
  runPython(PIL_REFERENCE, copies)
  const out = new Map<string, Float64Array>()
  files.forEach((f, i) => out.set(f, readF64(copies[i] + '.ref')))
  return out
}

// ---------------------------------------------------------------------------------------------
// Real data

test('decodes a real 8-bit grayscale PNG from set12', { skip: NO_SET12 }, () => {
  const im = readImageFile(path.join(SET12, '01.png'))
  assert.equal(im.format, 'png')
  assert.equal(im.height, 256)
  assert.equal(im.width, 256)
  assert.equal(im.channels, 1)
  assert.equal(im.bitDepth, 8)
  assert.equal(im.colorConverted, false)
  assert.equal(im.gray.length, 256 * 256)
  let lo = Infinity
  let hi = -Infinity
  for (const v of im.gray) {
    assert.ok(Number.isInteger(v))
    lo = Math.min(lo, v)
    hi = Math.max(hi, v)
  }
  assert.ok(lo >= 0 && hi <= 255 && hi - lo > 100, `range ${lo}..${hi}`)
  assert.equal(im.description, 'PNG 256×256, 8-bit grayscale')
})

test('decodes a real MRI JPEG slice', { skip: NO_MRI }, () => {
  const file = listFiles(MRI, '.jpg')[0]
  const im = readImageFile(file)
  assert.equal(im.format, 'jpeg')
  assert.equal(im.height, 224)
  assert.equal(im.width, 224)
  assert.equal(im.bitDepth, 8)
  assert.ok(im.channels === 1 || im.channels === 3)
  assert.ok(im.gray.every((v) => v >= 0 && v <= 255))
})

test('real PNGs match PIL exactly', { skip: NO_PIL || NO_SET12 }, () => {
  const files = [...listFiles(SET12, '.png'), ...listFiles(BSD68, '.png').slice(0, 8)]
  withTmp((dir) => {
    const ref = pilReference(files, dir)
    for (const f of files) {
      const im = readImageFile(f)
      assert.deepEqual(im.gray, ref.get(f), f)
    }
  })
})

test('real MRI JPEGs match PIL within ±2 grey levels', { skip: NO_PIL || NO_MRI }, () => {
  // Every 20th slice of each class: grayscale and gray-as-RGB files, baseline and varied encoders.
  const files = listFiles(MRI, '.jpg').filter((_, i) => i % 20 === 0)
  assert.ok(files.length > 20)
  withTmp((dir) => {
    const ref = pilReference(files, dir)
    for (const f of files) {
      const im = readImageFile(f)
      const d = maxAbsDiff(im.gray, ref.get(f)!)
      // Different IDCT implementations (jpeg-js vs libjpeg) round differently.
      assert.ok(d <= 2, `${f}: max difference ${d}`)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Every PNG colour type and bit depth, and JPEG variants, against PIL or the raw pixels

const VARIANT_WRITER = String.raw`
import sys, os, json, zlib, struct, numpy as np
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(1)
H, W = 37, 29   # odd sizes: partial Adam7 passes, partial bytes at low bit depths
yy, xx = np.mgrid[0:H, 0:W]
gray8 = ((xx * 7 + yy * 5) % 256).astype(np.uint8)
rgb8 = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
alpha8 = rng.integers(0, 256, (H, W), dtype=np.uint8)
cases = []

def pil(name, im, **kw):
    p = os.path.join(d, name + '.png')
    im.save(p, **kw)
    cases.append({'name': name, 'file': p, 'ref': 'pil'})

pil('L', Image.fromarray(gray8, 'L'))
pil('LA', Image.fromarray(np.dstack([gray8, alpha8]), 'LA'))
pil('RGB', Image.fromarray(rgb8, 'RGB'))
pil('RGB_gray', Image.fromarray(np.dstack([gray8] * 3), 'RGB'))
pil('RGBA', Image.fromarray(np.dstack([rgb8, alpha8]), 'RGBA'))
pil('P', Image.fromarray(rgb8, 'RGB').quantize(50))
pt = Image.fromarray(rgb8, 'RGB').quantize(16); pt.info['transparency'] = 3
pil('P_trns', pt, transparency=3)
pil('P_gray', Image.fromarray(gray8, 'L').convert('P'))
# tRNS on gray and RGB images marks one colour "transparent"; its pixels must keep their values.
pil('L_trns', Image.fromarray(gray8, 'L'), transparency=int(gray8[3, 4]))
pil('RGB_trns', Image.fromarray(rgb8, 'RGB'), transparency=tuple(int(v) for v in rgb8[2, 2]))
pil('1bit', Image.fromarray(gray8 > 100))
g16 = rng.integers(0, 65536, (H, W)).astype(np.uint16)
pil('I16', Image.fromarray(g16.astype(np.int32)).convert('I;16'))
jp = Image.fromarray(rgb8, 'RGB')
jp.save(os.path.join(d, 'colour420.jpg'), quality=90)
jp.save(os.path.join(d, 'colour444.jpg'), quality=95, subsampling=0)
jp.save(os.path.join(d, 'progressive.jpg'), quality=85, progressive=True)
Image.fromarray(gray8, 'L').save(os.path.join(d, 'gray.jpg'), quality=80)
Image.fromarray(np.dstack([gray8] * 3), 'RGB').save(os.path.join(d, 'gray_as_rgb.jpg'), quality=92)
for n in ['colour420', 'colour444', 'progressive', 'gray', 'gray_as_rgb']:
    cases.append({'name': n, 'file': os.path.join(d, n + '.jpg'), 'ref': 'pil'})

# Hand-written PNGs for what PIL cannot write (16-bit colour, 2/4-bit gray, interlacing); the
# reference is the raw sample array, independent of any decoder.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
def chunk(t, b):
    return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b) & 0xffffffff)
def rows(a, depth):
    out = b''
    for row in a:
        v = row.reshape(-1).astype(np.uint32)
        if depth == 16:
            data = v.astype('>u2').tobytes()
        elif depth == 8:
            data = v.astype(np.uint8).tobytes()
        else:
            bits = ((v[:, None] >> np.arange(depth - 1, -1, -1)) & 1).astype(np.uint8).reshape(-1)
            data = np.packbits(bits).tobytes()
        out += b'\x00' + data
    return out
def handpng(name, a, depth, ctype, interlace, expected):
    a = a.reshape(a.shape[0], a.shape[1], -1)
    if interlace:
        raw = b''.join(rows(a[ys::dy, xs::dx], depth) for xs, ys, dx, dy in ADAM7 if a[ys::dy, xs::dx].size)
    else:
        raw = rows(a, depth)
    ihdr = struct.pack('>IIBBBBB', a.shape[1], a.shape[0], depth, ctype, 0, 0, interlace)
    p = os.path.join(d, name + '.png')
    open(p, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
    np.ascontiguousarray(expected, dtype=np.float64).tofile(p + '.ref')
    cases.append({'name': name, 'file': p, 'ref': 'raw'})
rgb16 = rng.integers(0, 65536, (H, W, 3)).astype(np.uint16)
f16 = rgb16.astype(np.float64)  # before weighting: uint16 * 587 would wrap
luma16 = (299 * f16[..., 0] + 587 * f16[..., 1] + 114 * f16[..., 2]) / 1000
handpng('RGB16', rgb16, 16, 2, 0, luma16)
handpng('RGBA16_interlaced', np.dstack([rgb16, g16]), 16, 6, 1, luma16)
handpng('GA16', np.dstack([g16, rgb16[..., 0]]), 16, 4, 0, g16)
handpng('L16_interlaced', g16, 16, 0, 1, g16)
g2 = rng.integers(0, 4, (H, W))
handpng('L2', g2, 2, 0, 0, g2 * 85)
g4 = rng.integers(0, 16, (H, W))
handpng('L4_interlaced', g4, 4, 0, 1, g4 * 17)
handpng('L8_interlaced', gray8, 8, 0, 1, gray8)
handpng('RGB8_gray_interlaced', np.dstack([gray8] * 3), 8, 2, 1, gray8)
json.dump(cases, open(os.path.join(d, 'cases.json'), 'w'))
`

test('every PNG colour type, bit depth and interlacing decodes exactly; JPEG variants within ±2 of PIL', { skip: NO_PIL }, () => {
  withTmp((dir) => {
    runPython(VARIANT_WRITER, [dir])
    const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { name: string; file: string; ref: string }[]
    // The same scan data declared RGB or YCbCr by an Adobe APP14 marker (transform 0 / 1), with
    // and without the JFIF marker, which (as in libjpeg) overrides it and means YCbCr.
    const base = fs.readFileSync(path.join(dir, 'colour444.jpg'))
    assert.equal(base.toString('latin1', 6, 11), 'JFIF\0')
    const afterJfif = 4 + base.readUInt16BE(4)
    for (const transform of [0, 1]) {
      const app14 = Buffer.from([0xff, 0xee, 0x00, 0x0e, ...Buffer.from('Adobe'), 0x00, 0x64, 0, 0, 0, 0, transform])
      const file = path.join(dir, `adobe${transform}.jpg`)
      fs.writeFileSync(file, Buffer.concat([base.subarray(0, 2), app14, base.subarray(afterJfif)]))
      cases.push({ name: `adobe${transform}`, file, ref: 'pil' })
      const withJfif = path.join(dir, `adobe${transform}_jfif.jpg`)
      fs.writeFileSync(withJfif, Buffer.concat([base.subarray(0, afterJfif), app14, base.subarray(afterJfif)]))
      cases.push({ name: `adobe${transform}_jfif`, file: withJfif, ref: 'pil' })
    }
    const pilFiles = cases.filter((c) => c.ref === 'pil').map((c) => c.file)
    runPython(PIL_REFERENCE, pilFiles)
    const decoded = new Map<string, DecodedImage>()
    for (const c of cases) {
      const im = readImageFile(c.file)
      decoded.set(c.name, im)
      assert.equal(im.height, 37, c.name)
      assert.equal(im.width, 29, c.name)
      const ref = readF64(c.file + '.ref')
      if (im.format === 'png') assert.deepEqual(im.gray, ref, `${c.name} (${im.description})`)
      else assert.ok(maxAbsDiff(im.gray, ref) <= 2, `${c.name}: max difference ${maxAbsDiff(im.gray, ref)}`)
    }
    const meta = (n: string): [number, number, boolean, boolean] => {
      const im = decoded.get(n)!
      return [im.channels, im.bitDepth, im.hasAlpha, im.colorConverted]
    }
    assert.deepEqual(meta('L'), [1, 8, false, false])
    assert.deepEqual(meta('LA'), [2, 8, true, false])
    assert.deepEqual(meta('RGB'), [3, 8, false, true])
    assert.deepEqual(meta('RGB_gray'), [3, 8, false, false])
    assert.deepEqual(meta('RGBA'), [4, 8, true, true])
    assert.deepEqual(meta('P'), [3, 8, false, true])
    assert.deepEqual(meta('P_trns'), [4, 8, true, true])
    assert.deepEqual(meta('P_gray'), [3, 8, false, false])
    assert.deepEqual(meta('L_trns'), [1, 8, true, false])
    assert.deepEqual(meta('RGB_trns'), [3, 8, true, true])
    assert.deepEqual(meta('1bit'), [1, 8, false, false])
    assert.deepEqual(meta('I16'), [1, 16, false, false])
    assert.deepEqual(meta('RGB16'), [3, 16, false, true])
    assert.deepEqual(meta('RGBA16_interlaced'), [4, 16, true, true])
    assert.deepEqual(meta('GA16'), [2, 16, true, false])
    assert.deepEqual(meta('L2'), [1, 8, false, false])
    assert.deepEqual(meta('colour420'), [3, 8, false, true])
    assert.deepEqual(meta('gray'), [1, 8, false, false])
    assert.equal(decoded.get('gray_as_rgb')!.channels, 3)
    assert.match(decoded.get('progressive')!.description, /progressive/)
    assert.match(decoded.get('adobe0')!.description, /8-bit RGB$/)
    assert.match(decoded.get('adobe1')!.description, /8-bit YCbCr$/)
    assert.match(decoded.get('adobe0_jfif')!.description, /8-bit YCbCr$/)
    assert.deepEqual(decoded.get('adobe1')!.gray, decoded.get('colour444')!.gray)
    assert.deepEqual(decoded.get('adobe0_jfif')!.gray, decoded.get('colour444')!.gray)
    assert.match(decoded.get('L16_interlaced')!.description, /^PNG 29×37, 16-bit grayscale, interlaced$/)
  })
})

// ---------------------------------------------------------------------------------------------
// Writing

test('16-bit PNG round trip is exact, and PIL reads the same values', () => {
  const h = 19
  const w = 23
  const data = Float64Array.from({ length: h * w }, (_, i) => (i * 2654435761) % 65536)
  data[0] = 0
  data[1] = 65535
  const png = encodePng16(data, h, w, { min: 0, max: 65535 })
  assert.equal(detectImageFormat(png), 'png')
  const im = decodeImage(png)
  assert.equal(im.bitDepth, 16)
  assert.equal(im.channels, 1)
  assert.deepEqual(im.gray, data)
  // Default window = data range, which here is exactly 0..65535 too.
  assert.deepEqual(decodeImage(encodePng16(data, h, w)).gray, data)
  if (PY) {
    withTmp((dir) => {
      const f = path.join(dir, 'a.png')
      fs.writeFileSync(f, png)
      runPython(PIL_REFERENCE, [f])
      assert.deepEqual(readF64(f + '.ref'), data)
    })
  }
})

test('8-bit windowing maps min to 0 and max to 255, clamps and rounds', () => {
  const data = [-5, 10, 20, 15, 12.5, 10.02, 30, NaN].slice(0, 7)
  const im = decodeImage(encodePng8(data, 1, 7, { min: 10, max: 20 }))
  assert.equal(im.bitDepth, 8)
  // (x - 10) / 10 * 255: -5 → clamp 0, 10 → 0, 20 → 255, 15 → 127.5 → 128, 12.5 → 63.75 → 64,
  // 10.02 → 0.51 → 1, 30 → clamp 255
  assert.deepEqual([...im.gray], [0, 0, 255, 128, 64, 1, 255])
  // Default window: the data's own range.
  assert.deepEqual([...decodeImage(encodePng8([2, 4, 3], 1, 3)).gray], [0, 255, 128])
  assert.deepEqual([...decodeImage(encodePng8([-Infinity, 0, Infinity], 3, 1, { min: -1, max: 1 })).gray], [0, 128, 255])
  // A constant image is black rather than a division by zero.
  assert.deepEqual([...decodeImage(encodePng8([7, 7, 7, 7], 2, 2)).gray], [0, 0, 0, 0])
  assert.throws(() => encodePng8([1, NaN, 3, 4], 2, 2), /NaN at pixel \(y=0, x=1\)/)
  assert.throws(() => encodePng8([1, 2], 2, 2), /2 values for a 2×2 image \(needs 4\)/)
  assert.throws(() => encodePng8([1, 2], 1, 2, { min: 3, max: 1 }), /window max 1 is below min 3/)
  assert.throws(() => encodePng8([1, 2], 1, 2, { min: 0, max: Infinity }), /not finite/)
  assert.throws(() => encodePng16([], 0, 0), /invalid size 0×0/)
})

test('8-bit PNG we write is read identically by PIL', { skip: NO_PIL }, () => {
  withTmp((dir) => {
    const h = 31
    const w = 17
    const data = Float64Array.from({ length: h * w }, (_, i) => Math.sin(i / 7) * 3 + 1)
    const f = path.join(dir, 'w.png')
    writePngFile(f, { data, height: h, width: w, window: { min: -2, max: 4 } })
    const ours = readImageFile(f)
    runPython(PIL_REFERENCE, [f])
    assert.deepEqual(ours.gray, readF64(f + '.ref'))
    for (let i = 0; i < data.length; i++) {
      assert.equal(ours.gray[i], Math.min(255, Math.max(0, Math.round(((data[i] + 2) / 6) * 255))))
    }
  })
})

test('writePngFile: atomic, refuses to overwrite, rejects non-PNG bytes', () => {
  withTmp((dir) => {
    const f = path.join(dir, 'out.png')
    writePngFile(f, encodePng8([0, 1, 2, 3], 2, 2))
    assert.deepEqual([...readImageFile(f).gray], [0, 85, 170, 255])
    assert.throws(() => writePngFile(f, encodePng8([0, 1], 1, 2)), FileExistsError)
    writePngFile(f, { data: [0, 1000, 500, 250], height: 2, width: 2, bitDepth: 16, window: { min: 0, max: 1000 } }, { overwrite: true })
    const im = readImageFile(f)
    assert.equal(im.bitDepth, 16)
    assert.deepEqual([...im.gray], [0, 65535, 32768, 16384])
    assert.throws(() => writePngFile(path.join(dir, 'raw.png'), new Uint8Array([1, 2, 3, 4])), /raw\.png: the bytes given are not a PNG/)
    assert.throws(() => writePngFile(path.join(dir, 'bad.png'), { data: [1], height: 2, width: 2 }), /Cannot write .*bad\.png: cannot encode PNG: 1 values/)
    assert.deepEqual(fs.readdirSync(dir), ['out.png'])
  })
})

// ---------------------------------------------------------------------------------------------
// Bad input: a clear error naming the file, never a crash, hang or wrong image

function crc(type: string, body: Uint8Array): number {
  return zlib.crc32(Buffer.concat([Buffer.from(type, 'latin1'), body]))
}
function pngChunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.write(type, 4, 'latin1')
  out.set(body, 8)
  out.writeUInt32BE(crc(type, body), 8 + body.length)
  return out
}
function ihdr(w: number, h: number, depth = 8, colorType = 0, interlace = 0): Buffer {
  const b = Buffer.alloc(13)
  b.writeUInt32BE(w, 0)
  b.writeUInt32BE(h, 4)
  b[8] = depth
  b[9] = colorType
  b[12] = interlace
  return pngChunk('IHDR', b)
}
const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

test('empty, unknown and corrupt PNG files give clear errors', () => {
  withTmp((dir) => {
    const good = Buffer.from(encodePng8(Float64Array.from({ length: 64 * 64 }, (_, i) => i % 97), 64, 64))
    const write = (name: string, bytes: Uint8Array): string => {
      const f = path.join(dir, name)
      fs.writeFileSync(f, bytes)
      return f
    }
    const expectError = (name: string, bytes: Uint8Array, re: RegExp): void => {
      const f = write(name, bytes)
      assert.throws(() => readImageFile(f), (err: Error) => {
        assert.ok(err.message.startsWith(f + ': '), err.message)
        assert.match(err.message, re)
        return true
      })
    }
    expectError('empty.png', new Uint8Array(0), /file is empty \(0 bytes\)/)
    expectError('text.png', Buffer.from('hello world, not an image'), /not a PNG or JPEG file \(unrecognised format; first bytes 68 65 6c 6c/)
    expectError('array.png', Buffer.from('\x93NUMPY\x01\x00', 'latin1'), /it is a NumPy \.npy array/)
    expectError('tiff.png', Buffer.from('II*\0xxxxxxxx', 'latin1'), /truncated TIFF: directory of page 1 at byte \d+ is past the end/)
    expectError('half.png', good.subarray(0, Math.floor(good.length / 2)), /truncated PNG: chunk IDAT at byte 33 needs/)
    expectError('noend.png', good.subarray(0, good.length - 12), /truncated PNG: the file ends before the IEND chunk/)
    expectError('sigonly.png', good.subarray(0, 8), /truncated PNG: no IHDR chunk/)
    expectError('headeronly.png', good.subarray(0, 12), /truncated PNG: incomplete chunk header/)
    const flipped = Buffer.from(good)
    flipped[60] ^= 0x40 // inside the IDAT data: CRC mismatch
    expectError('flipped.png', flipped, /corrupt PNG: checksum \(CRC\) mismatch in chunk IDAT at byte 33/)
    const badType = Buffer.concat([SIG, ihdr(4, 4, 8, 5)])
    expectError('ctype.png', Buffer.concat([badType, pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(20))), pngChunk('IEND', Buffer.alloc(0))]), /invalid colour type 5/)
    expectError('depth.png', Buffer.concat([SIG, ihdr(4, 4, 4, 2), pngChunk('IEND', Buffer.alloc(0))]), /bit depth 4 is invalid for RGB/)
    expectError('noidat.png', Buffer.concat([SIG, ihdr(4, 4), pngChunk('IEND', Buffer.alloc(0))]), /no image data \(IDAT\)/)
    // Short image data: 4×4 gray needs 4 × (1 + 4) = 20 bytes.
    const short = Buffer.concat([SIG, ihdr(4, 4), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(15))), pngChunk('IEND', Buffer.alloc(0))])
    expectError('short.png', short, /image data holds 15 of the 20 bytes/)
    // Decompression bomb: 100 MB of zeros behind a 4×4 header (~100 kB compressed).
    const bomb = Buffer.concat([SIG, ihdr(4, 4), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(100 << 20), { level: 9 })), pngChunk('IEND', Buffer.alloc(0))])
    expectError('bomb.png', bomb, /inflates to more than the 20 bytes a 4×4 image needs/)
    // Absurd dimensions are refused before any allocation.
    const huge = Buffer.concat([SIG, ihdr(100000, 100000), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(10))), pngChunk('IEND', Buffer.alloc(0))])
    expectError('huge.png', huge, /image is 100000×100000 \(10000\.0 MP\), over the 100 MP limit/)
    expectError('zero.png', Buffer.concat([SIG, ihdr(0, 5), pngChunk('IEND', Buffer.alloc(0))]), /invalid size 0×5/)
  })
  const small = encodePng8(new Float64Array(2000 * 1000), 1000, 2000)
  assert.throws(() => decodeImage(small, 'mem', { maxMegapixels: 1 }), /^Error: mem: image is 2000×1000 \(2\.0 MP\), over the 1 MP limit/)
})

test('corrupt and truncated JPEG files give clear errors', () => {
  // A JPEG made here (jpeg-js's encoder) so that this runs without the real data.
  const rgba = Buffer.alloc(64 * 48 * 4)
  for (let i = 0; i < 64 * 48; i++) rgba.set([i % 256, (i * 3) % 256, 100, 255], 4 * i)
  const jpg = jpeg.encode({ width: 64, height: 48, data: rgba }, 90).data
  assert.equal(decodeImage(jpg).width, 64)
  const fail = (bytes: Uint8Array, re: RegExp): void => {
    assert.throws(() => decodeImage(bytes, 'x.jpg'), (err: Error) => {
      assert.match(err.message, /^x\.jpg: /)
      assert.match(err.message, re)
      return true
    })
  }
  fail(jpg.subarray(0, Math.floor(jpg.length * 0.6)), /truncated JPEG: no end-of-image marker/)
  fail(jpg.subarray(0, jpg.length - 2), /truncated JPEG: no end-of-image marker/)
  fail(jpg.subarray(0, 30), /truncated JPEG/)
  fail(jpg.subarray(0, 3), /truncated JPEG: the file ends before the image data/)
  fail(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), /end-of-image marker before any image data/)
  // A frame header claiming 60000×60000 must be refused, not allocated.
  const sofAt = findMarker(jpg, 0xc0) ?? findMarker(jpg, 0xc2)!
  const huge = Buffer.from(jpg)
  huge.writeUInt16BE(60000, sofAt + 5)
  huge.writeUInt16BE(60000, sofAt + 7)
  fail(huge, /image is 60000×60000 \(3600\.0 MP\), over the 100 MP limit/)
  const twelve = Buffer.from(jpg)
  twelve[sofAt + 4] = 12
  fail(twelve, /12-bit JPEG is not supported/)
  const lossless = Buffer.from(jpg)
  lossless[sofAt + 1] = 0xc3
  fail(lossless, /lossless JPEG is not supported/)
  // Garbage where the entropy-coded data should be: a decoder error, reported as such.
  const sos = findMarker(jpg, 0xda)!
  const garbage = Buffer.concat([jpg.subarray(0, sos + 2 + jpg.readUInt16BE(sos + 2)), Buffer.from([0xff, 0x12, 0x34]), Buffer.from([0xff, 0xd9])])
  fail(garbage, /corrupt or unsupported JPEG/)
})

function findMarker(buf: Buffer, marker: number): number | null {
  let pos = 2
  while (pos + 4 <= buf.length && buf[pos] === 0xff) {
    const m = buf[pos + 1]
    if (m === marker) return pos
    if (m === 0xda) return null
    pos += 2 + buf.readUInt16BE(pos + 2)
  }
  return null
}
