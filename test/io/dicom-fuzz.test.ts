/**
 * Fuzzing the DICOM reader: a few thousand seeded mutants of small valid files of different
 * syntaxes (truncations, bit flips, huge length fields, absurd pixel-module values, duplicated
 * and swapped byte ranges, garbage in compressed streams). Every outcome must be a decoded
 * instance of consistent size or a DicomError naming the file; each decode must finish within
 * 2 s; memory must stay bounded. Decoding runs in a worker so that a hang can be caught and
 * reported (with the mutant's id, which reproduces it) instead of freezing the test run.
 *
 * Statistics go to test-output/dicom-fuzz-report.md.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { FuzzJob, FuzzMessage, FuzzSeed } from '../helpers/dicom-fuzz-worker.ts'
import { NO_SHARED_DICOM, SHARED_DICOM, TEST_OUTPUT } from '../helpers/dicom-data.ts'
import { buildDicom, el, encapsulatedPixelData, imageModule, TS } from '../helpers/dicom-writer.ts'

const SEED_FILES = [
  'pydicom/test_files/MR_small.dcm', // Explicit VR LE, 16-bit signed
  'pydicom/test_files/MR_small_implicit.dcm',
  'pydicom/test_files/MR_small_bigendian.dcm',
  'pydicom/test_files/MR_small_RLE.dcm',
  'pydicom/test_files/MR_small_jpeg_ls_lossless.dcm',
  'pydicom/test_files/MR_small_jp2klossless.dcm',
  'pydicom/test_files/JPEG2000.dcm', // J2K lossy
  'pydicom/test_files/SC_rgb_small_odd_jpeg.dcm', // JPEG baseline YBR_FULL
  'pydicom/test_files/JPGExtended.dcm', // 12-bit JPEG extended (our DCT decoder)
  'pydicom/test_files/SC_rgb_jpeg_gdcm.dcm', // JPEG lossless RGB
  'pydicom/test_files/image_dfl.dcm', // deflated
  'pydicom/test_files/rtdose_rle.dcm', // 15-frame RLE, 32-bit
  'pydicom/test_files/SC_rgb_rle_16bit_2frame.dcm'
]

const PER_SEED = 300
const TIME_LIMIT_MS = 2000
const WATCHDOG_MS = 10_000
/** Growth of the process's resident memory over the whole run (WASM heaps included). */
const RSS_GROWTH_LIMIT = 512 * 1024 * 1024
/** ArrayBuffers and external memory (three WASM codec heaps of 50 MiB each among them). */
const EXTERNAL_LIMIT = 512 * 1024 * 1024

/** Seeds built here: palette, 1-bit, YBR_FULL_422 and a multi-fragment RLE frame set. */
function builtSeeds(): FuzzSeed[] {
  const ids = [el(0x0008, 0x0018, 'UI', '1.2.3'), el(0x0020, 0x000e, 'UI', '1.2.3.4')]
  const lut = new Uint8Array(16).map((_, i) => i * 13)
  const palette = buildDicom([
    ...ids,
    ...imageModule({ rows: 4, columns: 4, bitsAllocated: 8, photometric: 'PALETTE COLOR' }),
    el(0x0028, 0x1101, 'US', [8, 0, 16]),
    el(0x0028, 0x1102, 'US', [8, 0, 16]),
    el(0x0028, 0x1103, 'US', [8, 0, 16]),
    el(0x0028, 0x1201, 'OW', lut),
    el(0x0028, 0x1202, 'OW', lut),
    el(0x0028, 0x1203, 'OW', lut),
    el(0x7fe0, 0x0010, 'OB', new Uint8Array(16).map((_, i) => i % 9))
  ])
  const onebit = buildDicom([...ids, ...imageModule({ rows: 5, columns: 7, bitsAllocated: 1, frames: 3 }), el(0x7fe0, 0x0010, 'OB', Uint8Array.from([0xa5, 0x3c, 0xff, 0x00, 0x81, 0x7e, 0x55, 0xaa, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]))])
  const ybr = buildDicom([...ids, ...imageModule({ rows: 2, columns: 4, bitsAllocated: 8, samples: 3, photometric: 'YBR_FULL_422' }), el(0x7fe0, 0x0010, 'OB', new Uint8Array(16).map((_, i) => 16 * i))])
  const rleHeader = new Uint8Array(64)
  new DataView(rleHeader.buffer).setUint32(0, 1, true)
  new DataView(rleHeader.buffer).setUint32(4, 64, true)
  const rleFrame = Uint8Array.from([...rleHeader, 0xfd, 7, 3, 1, 2, 3, 4])
  const rle = buildDicom([...ids, ...imageModule({ rows: 2, columns: 4, bitsAllocated: 8, frames: 2 }), encapsulatedPixelData([rleFrame, rleFrame], [0, 8 + rleFrame.length])], { transferSyntax: TS.rle })
  return [
    { name: 'built-palette', bytes: palette },
    { name: 'built-1bit', bytes: onebit },
    { name: 'built-ybr422', bytes: ybr },
    { name: 'built-rle-bot', bytes: rle }
  ]
}

test('fuzzed DICOM files decode consistently or fail with a clear DicomError, quickly and within memory', { skip: NO_SHARED_DICOM, timeout: 120_000 }, async () => {
  const seeds: FuzzSeed[] = [...SEED_FILES.map((f) => ({ name: path.basename(f), bytes: new Uint8Array(fs.readFileSync(path.join(SHARED_DICOM, f))) })), ...builtSeeds()]
  const job: FuzzJob = { seeds, perSeed: PER_SEED, seed: 20240917 }
  const started = performance.now()
  const results = await runWorker(job)
  const wall = performance.now() - started

  const total = results.length
  const decoded = results.filter((r) => r.outcome === 'decoded').length
  const bad = results.filter((r) => r.outcome === 'bad')
  const slow = results.filter((r) => r.ms > TIME_LIMIT_MS)
  const byCode = new Map<string, number>()
  const byMessage = new Map<string, number>()
  for (const r of results.filter((x) => x.outcome === 'error')) {
    const code = r.detail.split(':')[0]
    byCode.set(code, (byCode.get(code) ?? 0) + 1)
    const kind = r.detail.replace(/[\da-f]*\d[\da-f]*/g, 'N').slice(0, 140)
    byMessage.set(kind, (byMessage.get(kind) ?? 0) + 1)
  }
  const maxMs = Math.max(...results.map((r) => r.ms))
  const meanMs = results.reduce((s, r) => s + r.ms, 0) / total
  const rss0 = results[0].rss
  const peakRss = Math.max(...results.map((r) => r.rss))
  const peakExternal = Math.max(...results.map((r) => r.external))

  const report = [
    '# DICOM fuzz run',
    '',
    `${total} mutants of ${seeds.length} seeds (${PER_SEED} each, seed ${job.seed}) in ${(wall / 1000).toFixed(1)} s.`,
    `Decoded: ${decoded}. Clear errors: ${total - decoded - bad.length} (${[...byCode].map(([c, n]) => `${c} ${n}`).join(', ')}). Bad outcomes: ${bad.length}.`,
    `Decode time: mean ${meanMs.toFixed(2)} ms, max ${maxMs.toFixed(0)} ms (limit ${TIME_LIMIT_MS} ms).`,
    `Resident memory: first ${(rss0 / 2 ** 20).toFixed(0)} MiB, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB; peak ArrayBuffer/external ${(peakExternal / 2 ** 20).toFixed(0)} MiB.`,
    '',
    '## Most frequent errors',
    '',
    ...[...byMessage].sort((a, b) => b[1] - a[1]).slice(0, 60).map(([m, n]) => `- ${n} × ${m}`),
    '',
    ...(bad.length ? ['## Bad outcomes', '', ...bad.slice(0, 20).map((r) => `- ${r.id}: ${r.detail}`)] : [])
  ].join('\n')
  fs.mkdirSync(TEST_OUTPUT, { recursive: true })
  fs.writeFileSync(path.join(TEST_OUTPUT, 'dicom-fuzz-report.md'), report)

  assert.deepEqual(bad.map((r) => `${r.id}: ${r.detail}`), [])
  assert.deepEqual(slow.map((r) => `${r.id}: ${r.ms.toFixed(0)} ms`), [])
  assert.ok(peakRss - rss0 < RSS_GROWTH_LIMIT, `resident memory grew by ${((peakRss - rss0) / 2 ** 20).toFixed(0)} MiB`)
  assert.ok(peakExternal < EXTERNAL_LIMIT, `ArrayBuffer/external memory peaked at ${(peakExternal / 2 ** 20).toFixed(0)} MiB`)
  // The mutants must exercise both paths, or the fuzzing proves nothing.
  assert.ok(decoded > total * 0.1 && decoded < total * 0.9, `${decoded} of ${total} decoded`)
})

interface Result {
  id: string
  ms: number
  outcome: 'decoded' | 'error' | 'bad'
  detail: string
  rss: number
  external: number
}

function runWorker(job: FuzzJob): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    // Workers do not inherit the TypeScript loader the test runner was started with: a small
    // bootstrap registers tsx in the worker, then imports the worker module.
    const entry = new URL('../helpers/dicom-fuzz-worker.ts', import.meta.url).href
    const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}) })`
    const worker = new Worker(bootstrap, { eval: true, workerData: job })
    const results: Result[] = []
    let current: string | null = null
    let since = performance.now()
    const watchdog = setInterval(() => {
      if (current && performance.now() - since > WATCHDOG_MS) {
        clearInterval(watchdog)
        void worker.terminate()
        reject(new Error(`decoding hung for over ${WATCHDOG_MS} ms on mutant ${current}`))
      }
    }, 500)
    worker.on('message', (m: FuzzMessage) => {
      if (m.type === 'start') {
        current = m.id
        since = performance.now()
      } else if (m.type === 'done') {
        current = null
        results.push(m)
      } else {
        clearInterval(watchdog)
        void worker.terminate()
        resolve(results)
      }
    })
    worker.on('error', (e) => {
      clearInterval(watchdog)
      reject(new Error(`fuzz worker crashed${current ? ` on mutant ${current}` : ''}: ${e.message}`))
    })
  })
}
