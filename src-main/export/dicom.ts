/**
 * Reconstructions as derived DICOM series, one per method, in the source's study when the
 * input was DICOM (io/dicom-write.ts does the writing, atomically, refusing existing files).
 * Series numbers are consecutive from the writer's default (source SeriesNumber + 1000, or 1
 * without one), so that the methods of one export do not share a number.
 */
import * as path from 'node:path'
import type { MethodOutcome } from '../api/contract.ts'
import { newUid, writeDerivedDicomSeries, type DicomSource } from '../io/dicom-write.ts'

export interface DicomJob {
  outcome: MethodOutcome
  /** Absolute folder of the series. */
  dir: string
  /** Absolute paths the series must end up in (checked against what the writer reports). */
  files: string[]
}

/**
 * Without a DICOM source the writer would open a new study for every series; one placeholder
 * study (patient "Anonymous") keeps the methods of an export together instead.
 */
export function placeholderSource(now: Date, description: string): DicomSource {
  const p = (n: number): string => String(n).padStart(2, '0')
  return {
    metadata: {
      PatientName: 'Anonymous',
      PatientID: 'Anonymous',
      StudyInstanceUID: newUid(),
      StudyDate: `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}`,
      StudyTime: `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`,
      StudyDescription: description.replace(/[^\x20-\x7e]/g, '?').slice(0, 64)
    }
  }
}

/** Writes the series; returns the notes the writer had for the user. */
export function writeDicomSeries(jobs: DicomJob[], source: DicomSource, overwrite: boolean, firstIndex = 0): string[] {
  const notes: string[] = []
  const base = baseSeriesNumber(source) + firstIndex
  jobs.forEach((job, i) => {
    const { outcome } = job
    const log = (message: string): void => {
      const line = `DICOM ${outcome.label}: ${message}`
      if (!notes.includes(line)) notes.push(line)
    }
    const written = writeDerivedDicomSeries(
      job.dir,
      { frames: 1, rows: outcome.image.height, columns: outcome.image.width, data: outcome.image.data },
      source,
      { method: outcome.label, parameters: { method: outcome.name, ...outcome.params } },
      { overwrite, seriesNumber: base + i, log }
    )
    const expected = job.files.map((f) => path.resolve(f))
    if (written.length !== expected.length || written.some((w, k) => path.resolve(w) !== expected[k])) {
      throw new Error(`DICOM writer produced ${written.join(', ')}, expected ${expected.join(', ')}`)
    }
  })
  return notes
}

function baseSeriesNumber(source: DicomSource): number {
  const raw = source.metadata.SeriesNumber
  const n = Number(raw)
  if (raw !== undefined && raw !== '' && Number.isInteger(n) && n >= 0 && n + 1000 + 100 <= 2 ** 31 - 1) return n + 1000
  return 1
}
