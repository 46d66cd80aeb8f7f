/**
 * k-space in BART .cfl/.hdr pairs. BART dimensions are column-major (dim 0 fastest): 0 READ,
 * 1 PHS1, 2 PHS2 (spatial), 3 COIL, 4 MAPS, 5 TE, … 10 TIME, … 13 SLICE, 14 AVG, 15 BATCH.
 * Our planes are row-major rows × columns, so the faster non-singleton spatial dimension
 * becomes the columns and the slower one the rows: [kx ky 1 …] → ky rows × kx columns, and the
 * workshop's [1 180 230 8] (a slice of 3-D data after an inverse FFT along the readout) →
 * 230 rows × 180 columns, as in the same scan saved from Python ((8, 230, 180)).
 * Because singleton dimensions take no room, the flat data are then already in slices × coils
 * × rows × columns order, and nothing needs to be permuted.
 */
import { readFileSync } from 'node:fs'
import { parseCflHeader, readCfl } from '../cfl.ts'
import type { KspaceScan } from '../scan.ts'
import { checkSize, finishScan, type KspaceLoadOptions } from './common.ts'

const BART_DIM_NAMES = ['READ', 'PHS1', 'PHS2', 'COIL', 'MAPS', 'TE', 'COEFF', 'COEFF2', 'ITER', 'CSHIFT', 'TIME', 'TIME2', 'LEVEL', 'SLICE', 'AVG', 'BATCH']
const COIL_DIM = 3
const SLICE_DIM = 13

function dimName(d: number): string {
  return `${d} (${BART_DIM_NAMES[d] ?? 'beyond BART’s 16'})`
}

export function loadCflKspace(path: string, options: KspaceLoadOptions = {}): KspaceScan {
  const base = path.replace(/\.(cfl|hdr)$/i, '')
  let headerText: string
  try {
    headerText = readFileSync(base + '.hdr', 'utf8')
  } catch (e) {
    throw new Error(`cannot read BART header ${base}.hdr: ${(e as Error).message}`)
  }
  const dims = parseCflHeader(headerText, base + '.hdr')
  const layout = bartLayout(dims, base + '.cfl')
  // Checked from the header, before readCfl reads (and converts) the data.
  checkSize([layout.slices, layout.coils, layout.rows, layout.columns], 'the array', base + '.cfl', options.maxSamples)
  const { data } = readCfl(base + '.cfl')
  // readCfl widens to float64; the values came from float32, so narrowing back is exact.
  const re = Float32Array.from(data.re)
  const im = Float32Array.from(data.im)
  const command = /# Command\r?\n(.*)/.exec(headerText)?.[1]?.trim()
  const creator = /# Creator\r?\n(.*)/.exec(headerText)?.[1]?.trim()
  return finishScan({
    path: base + '.cfl',
    files: [base + '.cfl', base + '.hdr'],
    format: 'cfl',
    slices: layout.slices,
    coils: layout.coils,
    rows: layout.rows,
    columns: layout.columns,
    re,
    im,
    metadata: {
      Format: 'BART .cfl/.hdr',
      BartDims: trimDims(dims).join(' '),
      Dtype: 'complex64',
      ...(command ? { BartCommand: command } : {}),
      ...(creator ? { BartCreator: creator } : {})
    },
    notes: layout.notes
  })
}

function trimDims(dims: number[]): number[] {
  let end = dims.length
  while (end > 1 && dims[end - 1] === 1) end--
  return dims.slice(0, end)
}

export function bartLayout(dims: number[], source: string): { slices: number; coils: number; rows: number; columns: number; notes: string[] } {
  const notes: string[] = []
  const at = (d: number): number => dims[d] ?? 1
  const spatial = [0, 1, 2].filter((d) => at(d) > 1)
  if (spatial.length > 2) {
    throw new Error(`${source}: 3-D k-space [${trimDims(dims).join(' ')}] is not supported; take one slice first (e.g. an inverse FFT along the readout, then \`bart slice 0 <x>\`)`)
  }
  if (spatial.length < 2) throw new Error(`${source}: needs two spatial dimensions among BART dims 0–2, got [${trimDims(dims).join(' ')}]`)
  const [colDim, rowDim] = spatial
  const extra = dims.map((d, i) => ({ i, d })).filter(({ i, d }) => i > COIL_DIM && d > 1)
  let slices = 1
  if (extra.length === 1) {
    slices = extra[0].d
    if (extra[0].i !== SLICE_DIM) notes.push(`BART dimension ${dimName(extra[0].i)} of size ${slices} read as slices`)
  } else if (extra.length > 1) {
    throw new Error(`${source}: more than one non-spatial, non-coil dimension is set (${extra.map(({ i, d }) => `${dimName(i)} = ${d}`).join(', ')}); only one (slices) is supported`)
  }
  notes.push(`BART dims [${trimDims(dims).join(' ')}]: dim ${rowDim} → ${at(rowDim)} rows, dim ${colDim} → ${at(colDim)} columns, dim 3 → ${at(COIL_DIM)} coils`)
  return { slices, coils: at(COIL_DIM), rows: at(rowDim), columns: at(colDim), notes }
}
