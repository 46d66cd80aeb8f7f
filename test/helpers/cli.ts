/**
 * Shared helpers for the `recon-studio` command-line tests: run the CLI in-process or as the
 * real binary, make inputs in temporary directories, read the outputs back, and find the real
 * data outside the repository.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { main } from '../../src-main/cli/main.ts'
import { encodeNpy, parseNpy, type NpyArray, type NpyWritableDtype } from '../../src-main/io/npy.ts'
import { decodeImage, encodePng8, type DecodedImage } from '../../src-main/io/image.ts'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = path.join(REPO, 'bin', 'recon-studio.mjs')

// Real data lives outside the repository, at <repo>/../shared/data; never copied in.
export const DATA = fileURLToPath(new URL('../../../shared/data', import.meta.url))
export const SET12 = path.join(DATA, 'natural', 'set12')
export const MRI_SLICES = path.join(DATA, 'mri-slices', 'Testing')

// A developer's RECON_STUDIO_DEBUG would add stack traces to every error; the tests check that
// errors are one line, so the CLI must run without it.
delete process.env.RECON_STUDIO_DEBUG

const tempDirs: string[] = []
process.on('exit', () => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true })
})

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-cli-'))
  tempDirs.push(d)
  return d
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** `main()` in-process, with stdout and stderr captured (each io call is one line, as console.log). */
export async function runCli(args: string[]): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await main(args, {
    out: (s: string) => {
      stdout += s + '\n'
    },
    err: (s: string) => {
      stderr += s + '\n'
    }
  })
  return { code, stdout, stderr }
}

/** The real binary, `node bin/recon-studio.mjs …`, from the repository root. */
export function spawnCli(args: string[]): CliResult {
  const env = { ...process.env }
  delete env.RECON_STUDIO_DEBUG
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env, timeout: 120_000 })
  if (r.error) throw r.error
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** A run that must succeed: exit 0 and nothing on stderr (the output is shown if not). */
export function assertOk(r: CliResult, what = 'recon-studio'): void {
  assert.equal(r.code, 0, `${what} failed with exit code ${r.code}:\n${r.stderr}${r.stdout}`)
  assert.equal(r.stderr, '', `${what} wrote to stderr:\n${r.stderr}`)
}

/**
 * A run that must fail cleanly: the given non-zero exit code and exactly one stderr line that
 * starts `recon-studio: error:`, matches `pattern`, and holds no stack trace.
 */
export function assertCliError(r: CliResult, code: 1 | 2, pattern: RegExp): void {
  const lines = r.stderr.replace(/\n$/, '').split('\n')
  assert.equal(lines.length, 1, `expected one stderr line, got ${lines.length}:\n${r.stderr}`)
  const line = lines[0]
  assert.ok(line.startsWith('recon-studio: error: '), `stderr does not start with 'recon-studio: error: ': ${line}`)
  assert.doesNotMatch(line, /\n|\s+at .+:\d+:\d+/, `stack trace in: ${line}`)
  assert.match(line, pattern)
  assert.equal(r.code, code, `exit code ${r.code}, expected ${code} (${line})`)
}

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * A test image with edges and smooth parts, values in (0, 1], max exactly 1: a bright disc, a
 * rectangle, a soft blob and a gentle ramp. H ≠ W is deliberate, to catch swapped axes.
 */
export function phantom(height: number, width: number): Float64Array {
  const img = new Float64Array(height * width)
  const cy = height * 0.45
  const cx = width * 0.5
  const r = Math.min(height, width) * 0.3
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0.1 + (0.1 * x) / width
      if ((y - cy) ** 2 + (x - cx) ** 2 < r * r) v = 0.6
      if (y > height * 0.72 && y < height * 0.88 && x > width * 0.15 && x < width * 0.55) v = 0.9
      v += 0.3 * Math.exp(-((y - height * 0.3) ** 2 + (x - width * 0.62) ** 2) / (2 * (r / 3) ** 2))
      img[y * width + x] = v
    }
  }
  let max = 0
  for (const v of img) max = Math.max(max, v)
  for (let i = 0; i < img.length; i++) img[i] /= max
  return img
}

export function writeNpy(file: string, data: ArrayLike<number> | { re: ArrayLike<number>; im: ArrayLike<number> }, shape: number[], dtype: NpyWritableDtype): string {
  fs.writeFileSync(file, encodeNpy(data, shape, dtype))
  return file
}

/** An 8-bit gray PNG of values in [0, 1]. */
export function writePng(file: string, data: ArrayLike<number>, height: number, width: number): string {
  fs.writeFileSync(file, encodePng8(data, height, width, { min: 0, max: 1 }))
  return file
}

/** A real Set12 image cropped to height × width at (y0, x0), written as an 8-bit PNG (exact values). */
export function writeSet12Crop(file: string, name: string, y0: number, x0: number, height: number, width: number): string {
  const img = readPng(path.join(SET12, name))
  assert.ok(y0 + height <= img.height && x0 + width <= img.width, `crop does not fit ${name} (${img.height}×${img.width})`)
  const crop = new Float64Array(height * width)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) crop[y * width + x] = img.gray[(y0 + y) * img.width + x0 + x]
  fs.writeFileSync(file, encodePng8(crop, height, width, { min: 0, max: 255 }))
  return file
}

// ---------------------------------------------------------------------------------------------
// Outputs

export function readNpy(file: string): NpyArray {
  return parseNpy(fs.readFileSync(file), file)
}

/** A float32 [H, W] result file, checked as such, as numbers. */
export function readResult(file: string, height: number, width: number): Float64Array {
  const a = readNpy(file)
  assert.equal(a.dtype, 'f4', `${path.basename(file)} dtype`)
  assert.deepEqual(a.shape, [height, width], `${path.basename(file)} shape`)
  return Float64Array.from(a.data)
}

export function readPng(file: string): DecodedImage {
  return decodeImage(fs.readFileSync(file), file)
}

export interface MethodEntry {
  name: string
  psnr: number | null
  ssim: number | null
  nmse: number | null
  seconds: number
  params: Record<string, unknown>
  files: { npy: string; png: string }
}

export interface Report {
  input: string
  task: string
  pattern: string | null
  acceleration: number | null
  effective_acceleration: number | null
  seed: number
  noise: number
  shape: [number, number]
  metrics_convention: string
  description: string
  input_description: string
  mask: { png: string; meaning: string } | null
  blur_sigma: number | null
  factor: number | null
  methods: MethodEntry[]
  [key: string]: unknown
}

export function readReport(dir: string): Report {
  return JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report
}

export function method(report: Report, name: string): MethodEntry {
  const m = report.methods.find((x) => x.name === name)
  assert.ok(m, `report has no method ${name} (has ${report.methods.map((x) => x.name).join(', ')})`)
  return m
}

/** PSNR of a method's entry, which must be a number. */
export function psnrOf(report: Report, name: string): number {
  const p = method(report, name).psnr
  assert.equal(typeof p, 'number', `${name} PSNR is ${String(p)}`)
  return p as number
}

/**
 * PSNR as fastMRI's evaluate.py computes it (skimage peak_signal_noise_ratio with
 * data_range = gt.max()), written out here independently of the engine.
 */
export function psnrFastMri(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  assert.equal(reference.length, test.length)
  let max = -Infinity
  let sse = 0
  for (let i = 0; i < reference.length; i++) {
    max = Math.max(max, reference[i])
    sse += (reference[i] - test[i]) ** 2
  }
  return 10 * Math.log10((max * max) / (sse / reference.length))
}

export function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []
}

export function sameBytes(a: string, b: string): boolean {
  return Buffer.compare(fs.readFileSync(a), fs.readFileSync(b)) === 0
}

/** Number of white (non-zero) pixels of a mask PNG. */
export function countWhite(img: DecodedImage): number {
  let n = 0
  for (const v of img.gray) n += v > 127.5 ? 1 : 0
  return n
}

/** The first `.jpg` under MRI_SLICES in sorted order, or null when the data is absent. */
export function firstBrainSlice(): string | null {
  if (!fs.existsSync(MRI_SLICES)) return null
  const walk = (dir: string): string | null => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) {
        const f = walk(p)
        if (f) return f
      } else if (e.name.toLowerCase().endsWith('.jpg')) return p
    }
    return null
  }
  return walk(MRI_SLICES)
}
