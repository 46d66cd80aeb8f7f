/**
 * Decoded instances → one ImageScan per series.
 *
 * Instances are grouped by SeriesInstanceUID (a file without one is a series of its own), split
 * further when their image sizes differ, and sorted by ImagePositionPatient projected on the
 * slice normal (from ImageOrientationPatient), falling back to InstanceNumber and then the file
 * name. Multi-frame files contribute all their frames, in file order.
 */
import { basename } from 'node:path'
import type { ImageScan } from '../scan.ts'
import { sliceNormal } from './header.ts'
import type { DicomInstance } from './instance.ts'

export function groupIntoScans(instances: DicomInstance[], openedPath: string, loaderNotes: string[]): ImageScan[] {
  const bySeries = new Map<string, DicomInstance[]>()
  for (const inst of instances) {
    const key = inst.seriesInstanceUid || `file:${inst.path}`
    const list = bySeries.get(key)
    if (list) list.push(inst)
    else bySeries.set(key, [inst])
  }
  const scans: ImageScan[] = []
  for (const [uid, members] of bySeries) {
    const bySize = new Map<string, DicomInstance[]>()
    for (const inst of members) {
      const key = `${inst.rows}×${inst.columns}${inst.samples === 3 ? '×3' : ''}`
      const list = bySize.get(key)
      if (list) list.push(inst)
      else bySize.set(key, [inst])
    }
    const seriesNotes: string[] = []
    if (!uid.startsWith('file:') && bySize.size > 1) {
      seriesNotes.push(`series ${uid} holds images of different sizes (${[...bySize.keys()].join(', ')}); split into ${bySize.size} scans`)
    }
    if (uid.startsWith('file:')) seriesNotes.push(`${basename(members[0].path)} has no SeriesInstanceUID: loaded as a series of its own`)
    for (const group of bySize.values()) scans.push(buildScan(group, openedPath, [...loaderNotes, ...seriesNotes]))
  }
  return scans
}

interface Ordered {
  instances: DicomInstance[]
  how: string
  /** Sorted along one shared slice normal (so distances along it mean something). */
  byPosition: boolean
}

/** Sorting order and the reason for it (kept in the notes: slice order matters for everything downstream). */
export function orderInstances(instances: DicomInstance[]): Ordered {
  const byName = (a: DicomInstance, b: DicomInstance): number => a.path.localeCompare(b.path, undefined, { numeric: true })
  const byNumber = (a: DicomInstance, b: DicomInstance): number => (a.instanceNumber ?? Infinity) - (b.instanceNumber ?? Infinity) || byName(a, b)
  if (instances.length < 2) return { instances, how: 'single file', byPosition: instances[0]?.imageOrientationPatient !== undefined }

  const iop = instances[0].imageOrientationPatient
  const positioned = instances.every((i) => firstPosition(i) && i.imageOrientationPatient && sameOrientation(i.imageOrientationPatient, iop!))
  if (positioned && iop) {
    const n = sliceNormal(iop)
    const key = new Map(instances.map((i) => [i, dot(firstPosition(i)!, n)]))
    const sorted = [...instances].sort((a, b) => key.get(a)! - key.get(b)! || byNumber(a, b))
    return { instances: sorted, how: 'sorted by ImagePositionPatient along the slice normal', byPosition: true }
  }
  if (instances.every((i) => i.instanceNumber !== undefined)) {
    return { instances: [...instances].sort(byNumber), how: 'sorted by InstanceNumber (no consistent ImagePositionPatient/ImageOrientationPatient)', byPosition: false }
  }
  return { instances: [...instances].sort(byName), how: 'sorted by file name (no slice positions or instance numbers)', byPosition: false }
}

function buildScan(members: DicomInstance[], openedPath: string, notes: string[]): ImageScan {
  const { instances, how, byPosition } = orderInstances(members)
  const first = instances[0]
  const frames = instances.reduce((s, i) => s + i.frames, 0)
  const frameSize = first.rows * first.columns * first.samples
  const data = new Float32Array(frames * frameSize)
  const positions: [number, number, number][] = []
  let allPositioned = true
  let offset = 0
  for (const inst of instances) {
    data.set(inst.pixels.subarray(0, inst.frames * frameSize), offset)
    offset += inst.frames * frameSize
    // The instances belong to the loader; dropping each file's pixels once copied keeps the peak
    // near one copy of the series instead of two.
    inst.pixels = new Float32Array(0)
    const fp = inst.framePositions ?? (inst.frames === 1 && inst.imagePositionPatient ? [inst.imagePositionPatient] : undefined)
    if (fp && fp.length === inst.frames) positions.push(...fp)
    else allPositioned = false
  }

  const scanNotes = [...notes]
  if (instances.length > 1) scanNotes.push(`${instances.length} files ${how}`)
  const geometry: ImageScan['geometry'] = {}
  if (first.pixelSpacing) geometry.pixelSpacing = first.pixelSpacing
  if (first.sliceThickness !== undefined) geometry.sliceThickness = first.sliceThickness
  if (first.imageOrientationPatient) geometry.orientation = first.imageOrientationPatient
  if (allPositioned && positions.length === frames) {
    geometry.positions = positions
    // Spacing only means something when every slice shares one orientation (not for a
    // three-plane localiser sorted by instance number).
    if (first.imageOrientationPatient && frames > 1 && byPosition) {
      const spacing = sliceSpacing(positions, sliceNormal(first.imageOrientationPatient), scanNotes)
      if (spacing !== undefined) geometry.sliceSpacing = spacing
    }
  }
  scanNotes.push(...summariseInstanceNotes(instances))

  return {
    kind: 'image',
    frames,
    rows: first.rows,
    columns: first.columns,
    samples: first.samples,
    data,
    geometry,
    display: instances.find((i) => i.display.window)?.display ?? first.display,
    metadata: { ...first.metadata, NumberOfFiles: instances.length },
    provenance: { path: openedPath, files: instances.map((i) => i.path), format: 'dicom', notes: [...new Set(scanNotes)] }
  }
}

/** Median distance between consecutive slice centres along the normal; notes duplicates and gaps. */
function sliceSpacing(positions: [number, number, number][], normal: [number, number, number], notes: string[]): number | undefined {
  const d: number[] = []
  for (let i = 1; i < positions.length; i++) d.push(Math.abs(dot(positions[i], normal) - dot(positions[i - 1], normal)))
  const duplicates = d.filter((x) => x < 1e-4).length
  if (duplicates) notes.push(`${duplicates + 1} or more frames share a slice position (several echoes, phases or time points?)`)
  const steps = d.filter((x) => x >= 1e-4).sort((a, b) => a - b)
  if (steps.length === 0) return undefined
  const median = steps[Math.floor(steps.length / 2)]
  if (steps[steps.length - 1] - steps[0] > 0.05 * median + 1e-3) notes.push(`slice spacing varies from ${round(steps[0])} to ${round(steps[steps.length - 1])} mm`)
  return median
}

/** Notes from every file once each, with how many files said it. */
function summariseInstanceNotes(instances: DicomInstance[]): string[] {
  const count = new Map<string, number>()
  for (const inst of instances) for (const n of inst.notes) count.set(n, (count.get(n) ?? 0) + 1)
  return [...count].map(([n, c]) => (instances.length > 1 ? `${n} (${c} of ${instances.length} files)` : n))
}

function firstPosition(i: DicomInstance): [number, number, number] | undefined {
  return i.framePositions?.[0] ?? i.imagePositionPatient
}

function sameOrientation(a: readonly number[], b: readonly number[]): boolean {
  return a.every((v, k) => Math.abs(v - b[k]) < 1e-3)
}

function dot(p: readonly number[], n: readonly number[]): number {
  return p[0] * n[0] + p[1] * n[1] + p[2] * n[2]
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
