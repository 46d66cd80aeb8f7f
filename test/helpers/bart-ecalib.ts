/**
 * `bart ecalib` on our C×H×W centred k-space, for cross-checks of the coil sensitivity code.
 *
 * Layout: BART dims [1, W, H, C] (READ = 1, as in the BART workshop's brain k-space): with the
 * columns as BART's fastest non-singleton dimension the flat data are exactly our row-major
 * C×H×W, in and out. READ is kept singleton on purpose: BART takes the whole readout extent
 * into its calibration search and then moves the region along READ to the highest energy,
 * which would make its region differ from ours.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CArray } from '../../src-main/engine/complex.ts'
import { readCfl, writeCfl } from '../../src-main/io/cfl.ts'
import { loadKspace } from '../../src-main/io/kspace/index.ts'

export const KSPACE_DIR = fileURLToPath(new URL('../../../shared/data/kspace', import.meta.url))
export const BART_BRAIN = join(KSPACE_DIR, 'bart-workshop-brain-8coil', 'ksp.cfl')
export const SIGPY_BRAIN = join(KSPACE_DIR, 'sigpy-brain-8coil', 'cartesian_ksp.npy')

export interface EcalibResult {
  /** maps×C×H×W (BART's MAPS dimension is slower than COIL): C×H×W with -m 1. */
  maps: CArray
  /** maps×H×W eigenvalue maps, largest first. */
  eigenvalues: Float64Array
  seconds: number
  /** BART's stdout and stderr (with -d 3: the calibration region and the kernel count). */
  log: string
}

export function bartEcalib(kspace: CArray, shape: readonly [number, number, number], args: string[] = ['-m', '1']): EcalibResult {
  const [C, H, W] = shape
  const dir = mkdtempSync(join(tmpdir(), 'recon-ecalib-'))
  try {
    writeCfl(join(dir, 'ksp'), [1, W, H, C], kspace)
    const t0 = performance.now()
    const r = spawnSync('bart', ['ecalib', '-d', '3', ...args, 'ksp', 'sens', 'ev'], { cwd: dir, encoding: 'utf8' })
    const seconds = (performance.now() - t0) / 1000
    if (r.status !== 0) throw new Error(`bart ecalib failed: ${r.stderr || r.stdout}`)
    const sens = readCfl(join(dir, 'sens'))
    const ev = readCfl(join(dir, 'ev'))
    if (sens.data.re.length % (C * H * W) !== 0) throw new Error(`bart ecalib: sensitivities have dims [${sens.dims.join(' ')}], expected ${C}×${H}×${W} per map`)
    return { maps: sens.data, eigenvalues: ev.data.re, seconds, log: r.stdout + r.stderr }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** BART's calibration region (rows × columns) from an ecalib -d 3 log, or null. */
export function bartCalibrationSize(log: string): [number, number] | null {
  const m = /Calibration region\.\.\.\s+\(size: (\d+)x(\d+)x(\d+)/.exec(log)
  // BART dims [1, W, H]: the second number is columns, the third rows.
  return m ? [Number(m[3]), Number(m[2])] : null
}

export interface RealSlice {
  shape: [number, number, number]
  kspace: CArray
}

/** The (only) slice of a real k-space file as float64 C×H×W. */
export async function loadSlice(path: string): Promise<RealSlice> {
  const scan = await loadKspace(path)
  if (scan.slices !== 1) throw new Error(`${path}: expected one slice, got ${scan.slices}`)
  return { shape: [scan.coils, scan.rows, scan.columns], kspace: { re: Float64Array.from(scan.re), im: Float64Array.from(scan.im) } }
}
