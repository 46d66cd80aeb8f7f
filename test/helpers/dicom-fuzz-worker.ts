/**
 * Worker for the DICOM fuzz test: mutates seed files deterministically and decodes each mutant,
 * reporting every outcome to the parent, which runs a watchdog (a decoder stuck in a loop
 * cannot be interrupted from its own thread, but a worker can be terminated).
 *
 * Mutant (s, i) is always the same bytes: its generator is seeded with (seed, s, i).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Rng } from '../../src-main/engine/rng.ts'
import { decodeDicom, DicomError, MAX_OUTPUT_VALUES } from '../../src-main/io/dicom/index.ts'
import { parseDicomBytes } from '../../src-main/io/dicom/parse.ts'

export interface FuzzSeed {
  name: string
  bytes: Uint8Array
}

export interface FuzzJob {
  seeds: FuzzSeed[]
  perSeed: number
  seed: number
}

export type FuzzMessage =
  | { type: 'start'; id: string }
  | { type: 'done'; id: string; ms: number; outcome: 'decoded' | 'error' | 'bad'; detail: string; rss: number; external: number }
  | { type: 'finished' }

interface Field {
  pos: number
  size: 2 | 4
}

/** Where the length fields and the pixel-module values of a seed are, for targeted mutations. */
function layout(bytes: Uint8Array): { lengths: Field[]; values: Field[]; headerEnd: number } {
  const lengths: Field[] = []
  const values: Field[] = []
  let headerEnd = bytes.length
  try {
    const p = parseDicomBytes(bytes, 'seed')
    // A deflated data set's offsets point into the inflated copy: only its meta can be targeted.
    const inflated = p.dataSet.byteArray !== p.metaBytes
    const all = [...Object.values(p.meta).map((el) => ({ el, explicit: true })), ...(inflated ? [] : Object.values(p.dataSet.elements).map((el) => ({ el, explicit: p.explicitVr })))]
    for (const { el, explicit } of all) {
      const long = !explicit || LONG_VRS.has(el.vr ?? '')
      lengths.push(long ? { pos: el.dataOffset - 4, size: 4 } : { pos: el.dataOffset - 2, size: 2 })
      if (el.tag.startsWith('x0028') && el.length > 0 && el.length <= 16) values.push({ pos: el.dataOffset, size: el.length >= 4 ? 4 : 2 })
      if (el.tag === 'x7fe00010') headerEnd = el.dataOffset
    }
  } catch {
    // A seed that does not parse is still mutated, only without targets.
  }
  return { lengths, values, headerEnd }
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT'])
const HUGE32 = [0xffffffff, 0xfffffffe, 0x7fffffff, 0x80000000, 0x10000000, 0]
const HUGE16 = [0xffff, 0xfffe, 0x8000, 0, 1]

function mutate(src: Uint8Array, rng: Rng, l: ReturnType<typeof layout>): { bytes: Uint8Array; ops: string[] } {
  let b = src.slice()
  const ops: string[] = []
  const n = 1 + rng.int(3)
  const write = (f: Field, v: number): void => {
    if (f.pos < 0 || f.pos + f.size > b.length) return
    for (let k = 0; k < f.size; k++) b[f.pos + k] = (v >>> (8 * k)) & 0xff
  }
  for (let m = 0; m < n; m++) {
    const op = rng.int(8)
    if (op === 0 && b.length > 1) {
      const at = rng.int(b.length)
      b = b.slice(0, at)
      ops.push(`truncate@${at}`)
    } else if (op === 1) {
      const k = 1 + rng.int(8)
      for (let i = 0; i < k; i++) b[rng.int(b.length)] ^= 1 << rng.int(8)
      ops.push(`flip×${k}`)
    } else if (op === 2 && l.headerEnd > 0) {
      const k = 1 + rng.int(4)
      for (let i = 0; i < k; i++) b[rng.int(Math.min(l.headerEnd, b.length))] ^= 1 << rng.int(8)
      ops.push(`headerflip×${k}`)
    } else if (op === 3 && l.lengths.length) {
      const f = l.lengths[rng.int(l.lengths.length)]
      const v = f.size === 4 ? (rng.int(2) ? HUGE32[rng.int(HUGE32.length)] : rng.int(2 ** 31) * 2) : HUGE16[rng.int(HUGE16.length)]
      write(f, v)
      ops.push(`length@${f.pos}=${v}`)
    } else if (op === 4 && l.values.length) {
      const f = l.values[rng.int(l.values.length)]
      const v = [0, 1, 3, 0xffff, 0x8000, rng.int(65536), 0xffffffff][rng.int(7)]
      write(f, v)
      ops.push(`value@${f.pos}=${v}`)
    } else if (op === 5 && b.length > 8) {
      const len = 1 + rng.int(Math.min(512, b.length - 1))
      const from = rng.int(b.length - len)
      const to = rng.int(b.length)
      b = Uint8Array.from([...b.subarray(0, to), ...b.subarray(from, from + len), ...b.subarray(to)])
      ops.push(`dup ${len}@${from}→${to}`)
    } else if (op === 6 && b.length > 16) {
      const len = 1 + rng.int(Math.min(256, Math.floor(b.length / 2) - 1))
      const a = rng.int(b.length - 2 * len)
      const c = a + len + rng.int(b.length - a - 2 * len + 1)
      const tmp = b.slice(a, a + len)
      b.copyWithin(a, c, c + len)
      b.set(tmp, c)
      ops.push(`swap ${len}@${a}↔${c}`)
    } else {
      // Garbage inside the pixel data (compressed streams, RLE headers, fragment items).
      const k = 1 + rng.int(16)
      for (let i = 0; i < k; i++) b[l.headerEnd + rng.int(Math.max(1, b.length - l.headerEnd))] = rng.int(256)
      ops.push(`pixelgarbage×${k}`)
    }
  }
  return { bytes: b, ops }
}

const CODES = new Set(['corrupt', 'unsupported', 'no-pixel-data', 'not-dicom', 'too-large'])

/** Runs the job, reporting each step through `post` (postMessage in the worker). */
export async function runFuzzJob(job: FuzzJob, post: (m: FuzzMessage) => void): Promise<void> {
  for (const [s, seed] of job.seeds.entries()) {
    const l = layout(seed.bytes)
    for (let i = 0; i < job.perSeed; i++) {
      const rng = new Rng(job.seed * 1_000_003 + s * 10_007 + i)
      const { bytes, ops } = mutate(seed.bytes, rng, l)
      const id = `${seed.name}#${i} [${ops.join(', ')}]`
      post({ type: 'start', id })
      const source = `fuzz/${seed.name}#${i}`
      const t0 = performance.now()
      let outcome: 'decoded' | 'error' | 'bad' = 'decoded'
      let detail = ''
      try {
        const d = await decodeDicom(bytes, source)
        const n = d.frames * d.rows * d.columns * d.samples
        if (!(d.pixels instanceof Float32Array) || d.pixels.length !== n || n > MAX_OUTPUT_VALUES || d.frames < 1 || d.rows < 1 || d.columns < 1 || (d.samples !== 1 && d.samples !== 3)) {
          outcome = 'bad'
          detail = `inconsistent instance: ${d.frames}×${d.rows}×${d.columns}×${d.samples} with ${d.pixels.length} values`
        } else {
          detail = `${d.transferSyntax.uid}`
        }
      } catch (e) {
        if (e instanceof DicomError && CODES.has(e.code) && e.message.startsWith(`${source}: `)) {
          outcome = 'error'
          detail = `${e.code}: ${e.message.slice(source.length + 2)}`
        } else {
          outcome = 'bad'
          detail = `${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`
        }
      }
      const mem = process.memoryUsage()
      post({ type: 'done', id, ms: performance.now() - t0, outcome, detail, rss: mem.rss, external: mem.external + mem.arrayBuffers })
    }
  }
  post({ type: 'finished' })
}

if (parentPort) void runFuzzJob(workerData as FuzzJob, (m) => parentPort!.postMessage(m))
