import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ModelError } from '../../src-main/models/errors.ts'
import { OnnxDenoiser } from '../../src-main/models/onnx-denoiser.ts'
import { builtinModelsDir, findModel, listModels, modelDirs, sha256Hex } from '../../src-main/models/registry.ts'

/** A user models folder holding a copy of test-tiny under `id`, card edited by `edit`. */
function userCopy(id: string, edit: (card: Record<string, unknown>, dir: string) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'recon-models-'))
  cpSync(join(builtinModelsDir(), 'test-tiny'), join(dir, 'test-tiny'), { recursive: true })
  const card = JSON.parse(readFileSync(join(builtinModelsDir(), 'test-tiny.json'), 'utf8')) as Record<string, unknown>
  card.id = id
  edit(card, dir)
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(card, null, 2))
  return dir
}

function flipByte(path: string, at: number): Buffer {
  const bytes = readFileSync(path)
  bytes[at] ^= 0xff
  writeFileSync(path, bytes)
  return bytes
}

test('the shipped models folder lists test-tiny and has no broken cards', () => {
  const { models, problems } = listModels()
  assert.deepEqual(problems, [])
  assert.ok(models.some((m) => m.card.id === 'test-tiny'))
})

test('an unknown model id lists the available ids', () => {
  assert.throws(
    () => findModel('brain-unet-v9'),
    (e: unknown) =>
      e instanceof ModelError && e.code === 'unknown-id' && /unknown model "brain-unet-v9"; available: .*test-tiny/.test(e.message)
  )
})

test('a user folder adds models; a duplicate id or a broken card there is reported, not loaded', () => {
  const dir = userCopy('my-prior')
  try {
    writeFileSync(join(dir, 'test-tiny.json'), readFileSync(join(builtinModelsDir(), 'test-tiny.json')))
    writeFileSync(join(dir, 'broken.json'), '{ "id": ')
    const { models, problems } = listModels(modelDirs(dir))
    const shipped = listModels([builtinModelsDir()]).models.map((m) => m.card.id)
    assert.deepEqual(models.map((m) => m.card.id).sort(), [...shipped, 'my-prior'].sort())
    assert.equal(models.find((m) => m.card.id === 'test-tiny')!.dir, builtinModelsDir())
    assert.equal(problems.length, 2)
    assert.match(problems.map((p) => p.message).join('\n'), /broken\.json is not readable JSON/)
    assert.match(problems.map((p) => p.message).join('\n'), /model id "test-tiny" in .* is already defined by .*models\/test-tiny\.json/)
    assert.throws(() => findModel('broken', modelDirs(dir)), new RegExp(`unknown model "broken"; available: ${[...shipped, 'my-prior'].sort().join(', ')}[^]*unusable cards:[^]*broken\\.json`))
    // a card must be named after its id
    writeFileSync(join(dir, 'other-name.json'), readFileSync(join(dir, 'my-prior.json')))
    assert.match(listModels([dir]).problems.map((p) => p.message).join('\n'), /has id "my-prior" but must be named my-prior\.json/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a model file whose sha256 differs from its card is refused, naming the file and both hashes', async () => {
  const dir = userCopy('tampered')
  try {
    const path = join(dir, 'test-tiny', 'vjp.onnx')
    const expected = sha256Hex(readFileSync(path))
    const actual = sha256Hex(flipByte(path, 1000))
    await assert.rejects(OnnxDenoiser.open('tampered', { userDir: dir }), (e: unknown) => {
      assert.ok(e instanceof ModelError)
      assert.equal(e.code, 'hash')
      assert.ok(e.message.includes(path), e.message)
      assert.ok(e.message.includes(`expected sha256 ${expected}`), e.message)
      assert.ok(e.message.includes(`actual   sha256 ${actual}`), e.message)
      assert.match(e.message, /refusing to load it/)
      return true
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a corrupt .onnx file whose card matches it gives a clear load error naming the file', async () => {
  let path = ''
  const dir = userCopy('corrupt', (card, d) => {
    // replace the denoiser by garbage and record its hash, as a careless re-export would
    path = join(d, 'test-tiny', 'denoiser.onnx')
    writeFileSync(path, 'this is not an ONNX model')
    ;(card.sha256 as Record<string, string>).denoiser = sha256Hex(readFileSync(path))
  })
  try {
    await assert.rejects(OnnxDenoiser.open('corrupt', { userDir: dir }), (e: unknown) => {
      assert.ok(e instanceof ModelError)
      assert.equal(e.code, 'load')
      assert.ok(e.message.startsWith(`cannot load model "corrupt" denoiser graph ${path}: onnxruntime rejected it:`), e.message)
      return true
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a missing model file gives a clear error', async () => {
  const dir = userCopy('missing')
  try {
    rmSync(join(dir, 'test-tiny', 'vjp.onnx'))
    await assert.rejects(OnnxDenoiser.open('missing', { userDir: dir }), /model "missing": cannot read vjp graph .*vjp\.onnx: ENOENT/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a card without gradient graphs gives a denoiser without denoiseVjp or denoiseWithPullback', async () => {
  const dir = userCopy('forward-only', (card) => {
    for (const kind of ['vjp', 'saving', 'pullback']) {
      delete (card.files as Record<string, unknown>)[kind]
      delete (card.sha256 as Record<string, unknown>)[kind]
    }
  })
  try {
    const d = await OnnxDenoiser.open('forward-only', { userDir: dir, threads: 1 })
    assert.equal(d.denoiseVjp, undefined)
    assert.equal(d.denoiseWithPullback, undefined)
    assert.equal((await d.denoise(new Float64Array(16).fill(0.5), 0.1, 4, 4)).length, 16)
    await d.dispose()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
