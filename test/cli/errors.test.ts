/**
 * Bad input to `recon-studio`: every case must exit non-zero (2 for usage mistakes, 1 for bad
 * data or an existing output), print exactly one clear `recon-studio: error:` line and no stack
 * trace, and leave no output behind. Plus --help, --version and a bad input through the binary.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  assertCliError,
  assertOk,
  filesIn,
  phantom,
  readReport,
  runCli,
  spawnCli,
  tempDir,
  writeNpy,
  writePng
} from '../helpers/cli.ts'

const H = 48
const W = 40

interface Fixture {
  dir: string
  out: string
  good: string
}

function fixture(): Fixture {
  const dir = tempDir()
  return { dir, out: path.join(dir, 'out'), good: writeNpy(path.join(dir, 'good.npy'), phantom(H, W), [H, W], 'f4') }
}

/** Run reconstruct expecting a clean failure, and check that nothing was written to --out. */
async function expectReconstructError(f: Fixture, args: string[], code: 1 | 2, pattern: RegExp): Promise<void> {
  const r = await runCli(['reconstruct', '--iterations', '5', '--out', f.out, ...args])
  assertCliError(r, code, pattern)
  assert.equal(r.stdout.includes('wrote'), false, 'a failed run claims to have written files')
  assert.deepEqual(filesIn(f.out), [], `files left in the output directory after: ${r.stderr}`)
}

test('unreadable or malformed inputs are refused with one clear line', async (t) => {
  const f = fixture()
  const file = (name: string, bytes: Uint8Array | string): string => {
    const p = path.join(f.dir, name)
    fs.writeFileSync(p, bytes)
    return p
  }
  const goodBytes = fs.readFileSync(f.good)
  const garbage = Uint8Array.from({ length: 500 }, (_, i) => (i * 37 + 11) % 256)
  const nan = phantom(H, W)
  nan[123] = NaN
  const inf = phantom(H, W)
  inf[7] = -Infinity

  const cases: [string, string, RegExp][] = [
    ['missing file', path.join(f.dir, 'nope.png'), /cannot read input .*nope\.png.*no such file/i],
    ['directory without DICOM files', f.dir, /no DICOM images found/],
    ['empty file', file('empty.npy', new Uint8Array(0)), /input .*empty\.npy is empty/],
    ['garbage bytes (.png name)', file('garbage.png', garbage), /unsupported input .*garbage\.png: expected DICOM, NIfTI, PNG\/JPEG\/TIFF, NumPy/],
    ['garbage bytes (.npy name)', file('garbage.npy', garbage), /garbage\.npy: not a NumPy \.npy file/],
    ['text file', file('notes.txt', 'hello\n'), /unsupported input .*notes\.txt/],
    ['truncated .npy', file('trunc.npy', goodBytes.subarray(0, goodBytes.length - 100)), /trunc\.npy: truncated data/],
    ['truncated .npy header', file('header.npy', goodBytes.subarray(0, 40)), /header\.npy: truncated header/],
    ['.npy with NaN', writeNpy(path.join(f.dir, 'nan.npy'), nan, [H, W], 'f8'), /nan\.npy contains NaN or Infinity/],
    ['.npy with -Infinity', writeNpy(path.join(f.dir, 'inf.npy'), inf, [H, W], 'f4'), /inf\.npy contains NaN or Infinity/],
    ['4-D array', writeNpy(path.join(f.dir, 'stack.npy'), new Float32Array(4 * H * W).fill(1), [2, 2, H, W], 'f4'), /stack\.npy: an image array must be 2-D \(H, W\) or 3-D \(frames, H, W\); got shape \(2, 2, 48, 40\)/],
    ['1-D array', writeNpy(path.join(f.dir, 'vector.npy'), new Float32Array(64).fill(1), [64], 'f4'), /vector\.npy: an image array must be 2-D/],
    ['too small', writeNpy(path.join(f.dir, 'small.npy'), new Float32Array(16).fill(1), [4, 4], 'f4'), /small\.npy is 4×4; at least 8×8/],
    ['all zeros', writeNpy(path.join(f.dir, 'zeros.npy'), new Float32Array(H * W), [H, W], 'f4'), /zeros\.npy is all zeros/],
    ['values beyond float32', writeNpy(path.join(f.dir, 'huge.npy'), phantom(H, W).map((v) => v * 1e300), [H, W], 'f8'), /huge\.npy has a peak magnitude of 1\.00e\+300; .*rescale/],
    ['subnormal values', writeNpy(path.join(f.dir, 'tiny.npy'), phantom(H, W).map((v) => v * 1e-310), [H, W], 'f8'), /tiny\.npy has a peak magnitude of .*e-310/]
  ]
  for (const [what, input, pattern] of cases) {
    await t.test(what, () => expectReconstructError(f, [input], 1, pattern))
  }
})

test('usage mistakes exit 2 with one line', async (t) => {
  const f = fixture()
  const cases: [string, string[], RegExp][] = [
    ['unknown option', [f.good, '--bogus', '1'], /unknown option --bogus/],
    ['unknown method', [f.good, '--methods', 'fista-tv,magic'], /--methods: unknown value 'magic'; choose from zero-filled, fista-tv/],
    ['empty method list', [f.good, '--methods', ','], /--methods needs at least one value/],
    ['unknown pattern', [f.good, '--pattern', 'zigzag'], /--pattern must be one of random, .*golden-radial; got 'zigzag'/],
    ['unknown task', [f.good, '--task', 'denoise'], /--task must be one of/],
    ['--acceleration 0', [f.good, '--acceleration', '0'], /--acceleration must be ≥ 1; got 0/],
    ['--acceleration abc', [f.good, '--acceleration', 'abc'], /--acceleration must be a finite number; got 'abc'/],
    ['--acceleration=', [f.good, '--acceleration='], /--acceleration needs a number/],
    ['--iterations 2.5', [f.good, '--iterations', '2.5'], /--iterations must be an integer/],
    ['--noise -0.1', [f.good, '--noise', '-0.1'], /--noise must be ≥ 0/],
    ['--seed Infinity', [f.good, '--seed', 'Infinity'], /--seed must be a finite number/],
    ['--overwrite=maybe', [f.good, '--overwrite=maybe'], /--overwrite must be true or false/],
    ['value missing at the end', [f.good, '--lambda'], /--lambda needs a value/],
    ['value missing before another flag', [f.good, '--noise', '--overwrite'], /--noise needs a value/],
    ['no input', [], /exactly one input file, got 0/],
    ['two inputs', [f.good, f.good], /exactly one input file, got 2/],
    ['--mask with --task mri', [f.good, '--task', 'mri', '--mask', f.good], /--mask is the inpainting mask/],
    ['--kspace-mask with --task blur', [f.good, '--task', 'blur', '--kspace-mask', f.good], /--kspace-mask only applies to --task mri/]
  ]
  for (const [what, args, pattern] of cases) {
    await t.test(what, () => expectReconstructError(f, args, 2, pattern))
  }
  await t.test('unknown command', async () => assertCliError(await runCli(['frobnicate']), 2, /unknown command 'frobnicate'/))
})

test('--out followed by a flag is a missing value, not an output named after the flag', async () => {
  const f = fixture()
  await expectReconstructError(f, [f.good, '--out', '--seed', '3'], 2, /--out needs a value/)
})

test('masks that do not fit are refused before anything is written', async (t) => {
  const f = fixture()
  const small = writePng(path.join(f.dir, 'small.png'), new Float64Array(32 * 32), 32, 32)
  const transposed = writeNpy(path.join(f.dir, 'transposed.npy'), new Uint8Array(W * H), [W, H], 'u1')
  const complexMask = writeNpy(path.join(f.dir, 'complex.npy'), { re: new Float32Array(H * W), im: new Float32Array(H * W) }, [H, W], 'c8')
  const none = writeNpy(path.join(f.dir, 'none.npy'), new Uint8Array(H * W), [H, W], 'u1')
  const all = writeNpy(path.join(f.dir, 'all.npy'), new Uint8Array(H * W).fill(1), [H, W], 'u1')
  const garbage = path.join(f.dir, 'garbage.png')
  fs.writeFileSync(garbage, 'not an image')
  const cases: [string, string[], RegExp][] = [
    ['inpainting mask of the wrong size', ['--mask', small], /mask .*small\.png is 32×32 but the image is 48×40/],
    ['transposed inpainting mask', ['--mask', transposed], /mask .*transposed\.npy is 40×48 but the image is 48×40/],
    ['k-space mask of the wrong size', ['--kspace-mask', small], /mask .*small\.png is 32×32 but the image is 48×40/],
    ['missing mask file', ['--mask', path.join(f.dir, 'nope.png')], /cannot read mask .*nope\.png/],
    ['garbage mask file', ['--kspace-mask', garbage], /garbage\.png: not a PNG or JPEG file/],
    ['complex mask', ['--mask', complexMask], /mask .*complex\.npy is complex/],
    ['k-space mask sampling nothing', ['--kspace-mask', none], /k-space mask samples nothing/],
    ['inpainting mask hiding every pixel', ['--mask', all], /marks every pixel missing/]
  ]
  for (const [what, args, pattern] of cases) {
    await t.test(what, () => expectReconstructError(f, [f.good, ...args], 1, pattern))
  }
  await t.test('--task inpaint without --mask', () => expectReconstructError(f, [f.good, '--task', 'inpaint'], 1, /inpainting needs a mask/))
})

test('an output directory with results is kept unless --overwrite', async () => {
  const f = fixture()
  assertOk(await runCli(['reconstruct', f.good, '--iterations', '5', '--out', f.out]))
  const files = filesIn(f.out)
  const before = new Map(files.map((n) => [n, fs.readFileSync(path.join(f.out, n))]))
  const first = readReport(f.out)

  const r = await runCli(['reconstruct', f.good, '--iterations', '7', '--out', f.out])
  assertCliError(r, 1, /already holds .*report\.json.*; pass --overwrite to replace them/)
  assert.deepEqual(filesIn(f.out), files, 'files were added or removed')
  for (const [n, bytes] of before) assert.ok(Buffer.compare(bytes, fs.readFileSync(path.join(f.out, n))) === 0, `${n} was changed`)

  assertOk(await runCli(['reconstruct', f.good, '--iterations', '7', '--out', f.out, '--overwrite']))
  assert.deepEqual(filesIn(f.out), files, 'an overwrite leaves exactly the result files (no temporaries)')
  const second = readReport(f.out)
  assert.notEqual(second.created, first.created)
  const params = second.methods.find((m) => m.name === 'fista-tv')?.params
  assert.equal(params?.max_iterations, 7, 'report.json was not replaced')

  // A file where the directory should be.
  const blocker = path.join(f.dir, 'blocker')
  fs.writeFileSync(blocker, 'x')
  assertCliError(await runCli(['reconstruct', f.good, '--out', blocker]), 1, /blocker exists and is not a directory/)
})

test('pattern: bad --shape and other mistakes', async (t) => {
  const dir = tempDir()
  const out = path.join(dir, 'm.png')
  const cases: [string, string[], 1 | 2, RegExp][] = [
    ['no x', ['--shape', '128'], 2, /--shape must look like HxW, e\.g\. 256x256; got '128'/],
    ['zero side', ['--shape', '0x64'], 2, /--shape: each side must be between 1 and 8192/],
    ['too large', ['--shape', '9000x64'], 2, /--shape: each side must be between 1 and 8192/],
    ['not numbers', ['--shape', 'axb'], 2, /--shape must look like HxW/],
    ['negative', ['--shape', '-4x4'], 2, /--shape must look like HxW/],
    ['missing --shape', [], 2, /--shape is required/],
    ['missing --out', ['--shape', '64x64', '--out'], 2, /--out needs a value/],
    ['positional', ['--shape', '64x64', 'extra'], 2, /pattern takes no positional arguments, got 'extra'/],
    ['bad extension', ['--shape', '64x64', '--out', path.join(dir, 'm.txt')], 1, /mask output must end in \.png or \.npy/],
    ['--acceleration abc', ['--shape', '64x64', '--acceleration', 'abc'], 2, /--acceleration must be a finite number/]
  ]
  for (const [what, args, code, pattern] of cases) {
    await t.test(what, async () => {
      const full = args.includes('--out') ? args : [...args, '--out', out]
      assertCliError(await runCli(['pattern', ...full]), code, pattern)
      assert.deepEqual(filesIn(dir), [], 'nothing may be written')
    })
  }
  await t.test('existing file without --overwrite', async () => {
    assertOk(await runCli(['pattern', '--shape', '32x32', '--out', out]))
    const bytes = fs.readFileSync(out)
    assertCliError(await runCli(['pattern', '--shape', '32x32', '--seed', '9', '--out', out]), 1, /already exists/)
    assert.ok(Buffer.compare(bytes, fs.readFileSync(out)) === 0, 'the existing mask was changed')
    assertOk(await runCli(['pattern', '--shape', '32x32', '--seed', '9', '--out', out, '--overwrite']))
    assert.deepEqual(filesIn(dir), ['m.png'])
  })
})

test('a file name with a line break still gives a one-line error', async () => {
  const f = fixture()
  await expectReconstructError(f, [path.join(f.dir, 'two\nlines.npy')], 1, /cannot read input .*two\\nlines\.npy/)
})

test('binary: --help and --version', () => {
  const help = spawnCli(['--help'])
  assertOk(help, '--help')
  assert.match(help.stdout, /^recon-studio \d+\.\d+\.\d+/)
  assert.match(help.stdout, /recon-studio reconstruct <input/)
  assert.match(help.stdout, /recon-studio pattern --shape HxW/)
  for (const flag of ['--pattern', '--acceleration', '--kspace-mask', '--mask', '--noise', '--methods', '--iterations', '--overwrite', '--shape']) {
    assert.ok(help.stdout.includes(flag), `--help does not mention ${flag}`)
  }
  const version = spawnCli(['--version'])
  assertOk(version, '--version')
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/)
})

test('binary: a bad input exits non-zero with one error line on stderr and writes nothing', () => {
  const f = fixture()
  const bad = path.join(f.dir, 'bad.npy')
  const nan = phantom(H, W)
  nan[0] = NaN
  writeNpy(bad, nan, [H, W], 'f4')
  const r = spawnCli(['reconstruct', bad, '--out', f.out])
  assertCliError(r, 1, /bad\.npy contains NaN or Infinity values/)
  assert.equal(r.stderr.endsWith('\n'), true)
  assert.equal(r.stdout, '', 'nothing on stdout before the error')
  assert.equal(fs.existsSync(f.out), false, 'the output directory was created')

  const usage = spawnCli(['reconstruct', f.good, '--acceleration', '0', '--out', f.out])
  assertCliError(usage, 2, /--acceleration must be ≥ 1/)
})
