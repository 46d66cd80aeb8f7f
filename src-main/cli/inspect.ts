/** `recon-studio inspect`: what a file or folder holds, as text or JSON (no pixel data). */
import { loadScans } from '../io/load-scan.ts'
import { describeScan, type Scan } from '../io/scan.ts'
import { INSPECT_SPEC, resolveOptions, type InspectOptions } from '../schema/options.ts'

/** Everything about a scan except its samples. */
export function scanSummary(s: Scan, index: number): Record<string, unknown> {
  const common = {
    index,
    kind: s.kind,
    format: s.provenance.format,
    description: describeScan(s),
    path: s.provenance.path,
    files: s.provenance.files.length,
    notes: s.provenance.notes,
    metadata: s.metadata
  }
  if (s.kind === 'image') {
    let min = Infinity
    let max = -Infinity
    for (let i = 0; i < s.data.length; i++) {
      const v = s.data[i]
      if (v < min) min = v
      if (v > max) max = v
    }
    return {
      ...common,
      dims: { frames: s.frames, rows: s.rows, columns: s.columns, samples: s.samples },
      complex: Boolean(s.imag),
      value_range: [min, max],
      geometry: { ...s.geometry, positions: s.geometry.positions ? `${s.geometry.positions.length} positions` : undefined },
      display: s.display
    }
  }
  return {
    ...common,
    dims: { slices: s.slices, coils: s.coils, rows: s.rows, columns: s.columns },
    sampled_fraction: s.sampledFraction,
    looks_undersampled: s.looksUndersampled,
    recon_size: s.reconSize ?? null,
    has_reference: Boolean(s.reference)
  }
}

export async function runInspect(path: string, raw: Record<string, unknown>, out: (s: string) => void): Promise<void> {
  const opts = resolveOptions<InspectOptions>(INSPECT_SPEC, raw)
  const scans = await loadScans(path, { domain: opts.domain })
  const summaries = scans.map(scanSummary)
  if (opts.json) {
    out(JSON.stringify({ path, scans: summaries }, null, 2))
    return
  }
  out(`${path}: ${scans.length} ${scans.length === 1 ? 'scan' : 'series/scans'}`)
  for (const s of summaries) {
    out(`[${s.index}] ${s.description}`)
    const md = s.metadata as Record<string, string | number>
    const keys = ['Modality', 'TransferSyntax', 'TransferSyntaxUID', 'SeriesInstanceUID', 'SeriesDescription', 'PatientID', 'StudyDate', 'Description']
    for (const k of keys) if (md[k] !== undefined && md[k] !== '') out(`    ${k}: ${md[k]}`)
    if (s.kind === 'image') {
      const d = s.dims as Record<string, number>
      out(`    dims: ${d.frames} frame(s) × ${d.rows}×${d.columns}${d.samples === 3 ? ' RGB' : ''}; values ${(s.value_range as number[]).map((v) => +v.toPrecision(6)).join('…')}`)
      const g = s.geometry as Record<string, unknown>
      if (g.pixelSpacing) out(`    pixel spacing: ${(g.pixelSpacing as number[]).join(' × ')} mm`)
    } else {
      const d = s.dims as Record<string, number>
      out(`    k-space: ${d.slices} slice(s), ${d.coils} coil(s), ${d.rows}×${d.columns}; ${(100 * (s.sampled_fraction as number)).toFixed(1)} % sampled; ${s.looks_undersampled ? 'looks undersampled (exact zeros)' : 'fully sampled'}`)
    }
    if (s.files !== 1) out(`    files: ${s.files}`)
    for (const n of s.notes as string[]) out(`    note: ${n}`)
  }
}
