/**
 * Thin wrapper around the `bart` command-line tool for cross-checks and benchmarks: run
 * `bart pics` (and `ecalib`/`poisson` later) on our data through .cfl files in a temp dir.
 * Used only by bench/ and by tests that skip when BART is not installed.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readCfl, writeCfl } from '../src-main/io/cfl.ts'
import type { CArray } from '../src-main/engine/complex.ts'

export function bartAvailable(): boolean {
  const r = spawnSync('bart', ['version'], { encoding: 'utf8' })
  return r.status === 0
}

export function bartVersion(): string {
  return spawnSync('bart', ['version'], { encoding: 'utf8' }).stdout.trim()
}

function bart(args: string[], cwd: string, threads?: number): void {
  const env = { ...process.env }
  if (threads) env.OMP_NUM_THREADS = String(threads)
  const r = spawnSync('bart', args, { cwd, encoding: 'utf8', env })
  if (r.status !== 0) throw new Error(`bart ${args.join(' ')} failed: ${r.stderr || r.stdout}`)
}

export interface PicsResult {
  image: CArray
  seconds: number
}

/**
 * Single-coil `bart pics -R T:3:0:λ` on centred k-space (our fft2c convention equals BART's
 * centred unitary FFT on even sizes). Our row-major H×W maps to BART dims [W, H].
 */
export function bartPicsTV(kspace: CArray, height: number, width: number, lambda: number, iterations?: number, threads?: number): PicsResult {
  const dir = mkdtempSync(join(tmpdir(), 'recon-bart-'))
  try {
    writeCfl(join(dir, 'ksp'), [width, height], kspace)
    writeCfl(join(dir, 'sens'), [width, height], { re: new Float64Array(height * width).fill(1), im: new Float64Array(height * width) })
    const args = ['pics', '-S', '-R', `T:3:0:${lambda}`]
    if (iterations) args.push('-i', String(iterations))
    args.push('ksp', 'sens', 'out')
    const t0 = performance.now()
    bart(args, dir, threads)
    const seconds = (performance.now() - t0) / 1000
    return { image: readCfl(join(dir, 'out')).data, seconds }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** BART's Shepp–Logan phantom (image domain), as a row-major n×n complex image. */
export function bartPhantom(n: number): CArray {
  const dir = mkdtempSync(join(tmpdir(), 'recon-bart-'))
  try {
    bart(['phantom', '-x', String(n), 'ph'], dir)
    return readCfl(join(dir, 'ph')).data
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `bart fft -u 3` (centred unitary 2-D FFT) of a row-major H×W array. */
export function bartFft(x: CArray, height: number, width: number): CArray {
  const dir = mkdtempSync(join(tmpdir(), 'recon-bart-'))
  try {
    writeCfl(join(dir, 'in'), [width, height], x)
    bart(['fft', '-u', '3', 'in', 'out'], dir)
    return readCfl(join(dir, 'out')).data
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `bart poisson` mask (1 = sampled) as a row-major H×W array. */
export function bartPoisson(height: number, width: number, accY: number, accZ: number, calib: number, seed: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'recon-bart-'))
  try {
    bart(['poisson', '-Y', String(height), '-Z', String(width), '-y', String(accY), '-z', String(accZ), '-C', String(calib), '-v', '-e', '-s', String(seed), 'm'], dir)
    const m = readCfl(join(dir, 'm'))
    // BART dims [1, Y, Z]: Y fastest, so element (y, z) is at y + Y·z.
    const out = new Uint8Array(height * width)
    for (let z = 0; z < width; z++) for (let y = 0; y < height; y++) out[y * width + z] = m.data.re[y + height * z] !== 0 ? 1 : 0
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `bart ecalib -m 1` then `bart pics -R T:3:0:λ` on coils×H×W k-space (BART dims [W, H, 1, C]); timed separately. */
export function bartMulticoil(k: CArray, coils: number, height: number, width: number, lambda: number): { image: CArray; ecalib: number; pics: number } {
  const dir = mkdtempSync(join(tmpdir(), 'recon-bart-'))
  try {
    writeCfl(join(dir, 'k'), [width, height, 1, coils], k)
    let t0 = performance.now()
    bart(['ecalib', '-m', '1', 'k', 's'], dir)
    const ecalib = (performance.now() - t0) / 1000
    t0 = performance.now()
    bart(['pics', '-S', '-R', `T:3:0:${lambda}`, 'k', 's', 'x'], dir)
    const pics = (performance.now() - t0) / 1000
    return { image: readCfl(join(dir, 'x')).data, ecalib, pics }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
