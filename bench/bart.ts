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
