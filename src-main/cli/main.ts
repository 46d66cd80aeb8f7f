/**
 * `recon-studio` command line: the same engine as the desktop app, headless, for batch work
 * and benchmarks. Exit code 0 on success, 1 with a one-line error on bad input, 2 on usage.
 */
import { generatePattern } from '../engine/patterns/index.ts'
import { writeMaskFile } from '../io/mask-io.ts'
import {
  CONVERT_SPEC, INSPECT_SPEC, OptionError, PATTERN_SPEC, RECONSTRUCT_SPEC, helpText, parseArgv, resolveOptions, type PatternCommandOptions
} from '../schema/options.ts'
import { runReconstruct } from './reconstruct.ts'
import { runInspect } from './inspect.ts'
import { runConvert } from './convert.ts'
import { VERSION } from '../version.ts'

const USAGE = `recon-studio ${VERSION}

Usage:
  recon-studio reconstruct <input> [options]
  recon-studio inspect <file-or-folder> [--json]
  recon-studio convert <input> <output.(npy|png|dcm|nii|nii.gz)> [options]
  recon-studio pattern --shape HxW --out mask.(png|npy) [options]
  recon-studio --help | --version

Inputs: DICOM files, folders and DICOMDIR; NIfTI (.nii, .nii.gz); PNG, JPEG, TIFF; NumPy .npy/.npz
(images, or k-space with --domain kspace); BART .cfl/.hdr; fastMRI and ISMRMRD HDF5 k-space.

reconstruct options:
${helpText(RECONSTRUCT_SPEC)}

inspect options:
${helpText(INSPECT_SPEC)}

convert options:
${helpText(CONVERT_SPEC)}

pattern options:
${helpText(PATTERN_SPEC)}
`

export async function main(argv: string[], io = { out: console.log, err: console.error }): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE)
    return command ? 0 : 2
  }
  if (command === '--version') {
    io.out(VERSION)
    return 0
  }
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(USAGE)
      return 0
    }
    switch (command) {
      case 'reconstruct': {
        const { raw, positionals } = parseArgv(RECONSTRUCT_SPEC, rest)
        if (positionals.length !== 1) throw new OptionError(`reconstruct takes exactly one input file, got ${positionals.length}`)
        await runReconstruct({ ...raw, input: positionals[0] }, io.out)
        return 0
      }
      case 'inspect': {
        const { raw, positionals } = parseArgv(INSPECT_SPEC, rest)
        if (positionals.length !== 1) throw new OptionError(`inspect takes exactly one file or folder, got ${positionals.length}`)
        await runInspect(positionals[0], raw, io.out)
        return 0
      }
      case 'convert': {
        const { raw, positionals } = parseArgv(CONVERT_SPEC, rest)
        if (positionals.length !== 2) throw new OptionError(`convert takes an input and an output, got ${positionals.length} argument(s)`)
        await runConvert(positionals[0], positionals[1], raw, io.out)
        return 0
      }
      case 'pattern': {
        const { raw, positionals } = parseArgv(PATTERN_SPEC, rest)
        if (positionals.length) throw new OptionError(`pattern takes no positional arguments, got '${positionals[0]}'`)
        const o = resolveOptions<PatternCommandOptions>(PATTERN_SPEC, raw)
        const p = generatePattern({
          pattern: o.pattern,
          height: o.shape[0],
          width: o.shape[1],
          acceleration: o.acceleration,
          centerFraction: o.centerFraction,
          seed: o.seed
        })
        writeMaskFile(o.out, { height: p.height, width: p.width, data: p.mask }, { overwrite: o.overwrite })
        io.out(`${p.description}; wrote ${o.out}`)
        return 0
      }
      default:
        throw new OptionError(`unknown command '${command}' (expected reconstruct, inspect, convert or pattern; see --help)`)
    }
  } catch (e) {
    io.err(`recon-studio: error: ${oneLine(e instanceof Error ? e.message : String(e))}`)
    if (process.env.RECON_STUDIO_DEBUG && e instanceof Error && e.stack) io.err(e.stack)
    // Usage mistakes exit 2; everything else (bad data, existing output, I/O) exits 1.
    return e instanceof OptionError ? 2 : 1
  }
}

/** The error is promised as one line; a file name may hold a newline, so escape line breaks. */
function oneLine(message: string): string {
  return message.replace(/\r/g, '\\r').replace(/\n/g, '\\n')
}
