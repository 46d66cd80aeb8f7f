/**
 * `recon-studio convert`: decoded pixels out as NumPy (stored values after the modality
 * rescale; frames on the first axis, colour samples on the last), PNG (one slice: 8-bit
 * windowed for display, or 16-bit linear), NIfTI (volumes) or a derived DICOM series.
 */
import { extname } from 'node:path'
import { loadScans } from '../io/load-scan.ts'
import { encodeNpy } from '../io/npy.ts'
import { encodePng8, encodePng16 } from '../io/image.ts'
import { writeFileAtomic } from '../io/atomic-write.ts'
import { zeroFilledRss } from '../io/kspace/recon.ts'
import { pickFrame, pickSeries } from '../pipeline/select-input.ts'
import { writeNiftiFile, niftiVolumeFromImage } from '../io/nifti.ts'
import { writeDerivedDicomSeries } from '../io/dicom-write.ts'
import { frameGray, type ImageScan, type KspaceScan } from '../io/scan.ts'
import { CONVERT_SPEC, OptionError, resolveOptions, type ConvertOptions } from '../schema/options.ts'

export async function runConvert(input: string, output: string, raw: Record<string, unknown>, log: (s: string) => void): Promise<void> {
  const opts = resolveOptions<ConvertOptions>(CONVERT_SPEC, raw)
  if (opts.bitDepth !== 8 && opts.bitDepth !== 16) throw new OptionError('--bit-depth must be 8 or 16')
  const ext = output.toLowerCase().endsWith('.nii.gz') ? '.nii.gz' : extname(output).toLowerCase()
  if (!['.npy', '.png', '.dcm', '.nii', '.nii.gz'].includes(ext)) {
    throw new OptionError(`output must end in .npy, .png, .dcm, .nii or .nii.gz; got '${output}'`)
  }
  const scans = await loadScans(input, { domain: opts.domain })
  const scan = pickSeries(scans, opts.series)
  const write = (bytes: Uint8Array): void => writeFileAtomic(output, bytes, { overwrite: opts.overwrite })
  if (scan.kind === 'kspace') return convertKspace(scan, output, ext, opts, write, log)

  const { frames, rows: H, columns: W, samples } = scan
  switch (ext) {
    case '.npy': {
      const shape = [...(frames > 1 ? [frames] : []), H, W, ...(samples === 3 ? [3] : [])]
      write(scan.imag ? encodeNpy({ re: scan.data, im: scan.imag }, shape, 'c8') : encodeNpy(scan.data, shape, 'f4'))
      log(`wrote ${output}: float32${scan.imag ? ' complex' : ''} (${shape.join(', ')}), stored values after rescale`)
      return
    }
    case '.png': {
      const f = pickFrame(scan.frames, opts.slice, 'slice')
      const gray = grayFrame(scan, f)
      if (opts.bitDepth === 16) {
        write(encodePng16(gray, H, W))
        log(`wrote ${output}: 16-bit, linear from min to max of slice ${f}`)
      } else {
        const { min, max } = displayWindow(scan, gray)
        const png = encodePng8(scan.display.invert ? gray.map((v) => max + min - v) : gray, H, W, { min, max })
        write(png)
        log(`wrote ${output}: 8-bit, window ${min}…${max}${scan.display.invert ? ', MONOCHROME1 inverted for display' : ''}, slice ${f}`)
      }
      return
    }
    case '.nii':
    case '.nii.gz': {
      if (samples !== 1) throw new Error('NIfTI export supports grayscale images only')
      writeNiftiFile(output, niftiVolumeFromImage(scan, scan.geometry, `recon-studio convert of ${scan.provenance.format}`), { overwrite: opts.overwrite })
      log(`wrote ${output}: NIfTI float32 ${W}×${H}×${frames}`)
      return
    }
    case '.dcm': {
      if (samples !== 1) throw new Error('DICOM export supports grayscale images only')
      const files = await writeDerivedDicomSeries(
        output,
        { frames, rows: H, columns: W, data: scan.data },
        scan.provenance.format === 'dicom' ? { metadata: scan.metadata, geometry: scan.geometry } : null,
        { method: 'convert', parameters: { source: scan.provenance.path }, seriesDescription: `${scan.metadata.SeriesDescription ?? 'converted'} (recon-studio)` },
        { overwrite: opts.overwrite, log: (m: string) => log(`  note: ${m}`) }
      )
      log(`wrote ${files.length} DICOM file(s): ${files[0]}${files.length > 1 ? ' …' : ''}`)
      return
    }
  }
}

function convertKspace(scan: KspaceScan, output: string, ext: string, opts: ConvertOptions, write: (b: Uint8Array) => void, log: (s: string) => void): void {
  if (ext === '.npy') {
    const shape = [...(scan.slices > 1 ? [scan.slices] : []), ...(scan.coils > 1 ? [scan.coils] : []), scan.rows, scan.columns]
    write(encodeNpy({ re: scan.re, im: scan.im }, shape, 'c8'))
    log(`wrote ${output}: complex64 k-space (${shape.join(', ')})`)
    return
  }
  if (ext !== '.png') throw new Error(`k-space converts to .npy (raw) or .png (zero-filled root-sum-of-squares image), not ${ext}`)
  const slice = pickFrame(scan.slices, opts.slice, 'slice')
  const img = zeroFilledRss(scan, slice)
  write(opts.bitDepth === 16 ? encodePng16(img.data, img.rows, img.columns, { min: 0 }) : encodePng8(img.data, img.rows, img.columns, { min: 0 }))
  log(`wrote ${output}: zero-filled root-sum-of-squares image of slice ${slice}`)
}

/** One frame for PNG: luma for colour, magnitude for complex data. */
function grayFrame(scan: ImageScan, f: number): Float64Array {
  const out = frameGray(scan, f)
  if (scan.imag) {
    const base = f * scan.rows * scan.columns
    for (let i = 0; i < out.length; i++) out[i] = Math.hypot(out[i], scan.imag[base + i])
  }
  return out
}

/** The file's own window (DICOM WindowCenter/Width) when present, else the slice's range. */
function displayWindow(scan: ImageScan, gray: Float64Array): { min: number; max: number } {
  const w = scan.display.window
  if (w && w.width > 0) return { min: w.center - w.width / 2, max: w.center + w.width / 2 }
  let min = Infinity
  let max = -Infinity
  for (const v of gray) {
    if (v < min) min = v
    if (v > max) max = v
  }
  return { min, max }
}
