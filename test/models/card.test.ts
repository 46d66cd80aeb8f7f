import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseModelCard } from '../../src-main/models/card.ts'
import { ModelError } from '../../src-main/models/errors.ts'
import { builtinModelsDir, modelFilePath, readVerifiedModelFile, findModel } from '../../src-main/models/registry.ts'

const cardPath = join(builtinModelsDir(), 'test-tiny.json')
const shipped = (): Record<string, unknown> => JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>

test('the shipped test-tiny card validates and describes its files', () => {
  const card = parseModelCard(shipped(), cardPath)
  assert.equal(card.id, 'test-tiny')
  assert.equal(card.domain, 'test')
  assert.equal(card.input.multiple, 4)
  assert.equal(card.sigma.parameterisation, 'edm')
  assert.equal(card.sigma.data, 0.5)
  assert.ok(card.parameters > 1000 && card.parameters < 100_000)
  assert.ok(card.training.licences.length > 0)
  const entry = findModel('test-tiny')
  for (const kind of ['denoiser', 'vjp', 'saving', 'pullback'] as const) {
    const size = statSync(modelFilePath(entry, kind)).size
    assert.ok(size > 0 && size < 1 << 20, `${kind} graph is ${size} bytes; the test model must stay under 1 MB`)
    readVerifiedModelFile(entry, kind) // the hashes in the card are the files' hashes
  }
  assert.ok(card.timing, 'the card records onnxruntime-node timings (npx tsx models/time_card.ts models/test-tiny.json)')
  assert.equal(card.timing.size, 256)
})

test('an invalid card is refused with every problem and its JSON path', () => {
  const bad = shipped()
  bad.domain = 'mri-knee'
  ;(bad.sigma as Record<string, unknown>).min = -1
  ;(bad.input as Record<string, unknown>).multiple = 6
  ;(bad.sha256 as Record<string, unknown>).vjp = 'ABC'
  delete (bad.training as Record<string, unknown>).licences
  assert.throws(
    () => parseModelCard(bad, 'bad.json'),
    (e: unknown) => {
      assert.ok(e instanceof ModelError)
      assert.equal(e.code, 'card')
      assert.match(e.message, /^model card bad\.json is invalid:/)
      assert.match(e.message, /domain: expected one of "mri-brain", "natural-gray", "test", got "mri-knee"/)
      assert.match(e.message, /sigma\.min: expected a positive number, got -1/)
      assert.match(e.message, /input\.multiple: expected a power of two \(2\^levels\), got 6/)
      assert.match(e.message, /sha256\.vjp: expected 64 lower-case hex digits, got "ABC"/)
      assert.match(e.message, /training\.licences: expected a non-empty array of strings, got undefined/)
      return true
    }
  )
  assert.throws(() => parseModelCard([], 'list.json'), /list\.json is invalid: expected a JSON object/)
})

test('card file paths must stay inside the card folder', () => {
  for (const path of ['../elsewhere.onnx', '/abs/model.onnx', 'a/../../b.onnx', 'test-tiny/weights.pt', 'dir\\x.onnx']) {
    const card = shipped()
    ;(card.files as Record<string, unknown>).denoiser = path
    assert.throws(() => parseModelCard(card, 'c.json'), /files\.denoiser: expected a relative \.onnx path inside the card folder/, path)
  }
})

test('the saving and pullback graphs come as a pair', () => {
  const card = shipped()
  delete (card.files as Record<string, unknown>).pullback
  delete (card.sha256 as Record<string, unknown>).pullback
  assert.throws(() => parseModelCard(card, 'c.json'), /saving and pullback come as a pair/)
  delete (card.files as Record<string, unknown>).saving
  delete (card.sha256 as Record<string, unknown>).saving
  assert.equal(parseModelCard(card, 'c.json').files.saving, undefined)
})

test('a card without a VJP graph is valid (sampler then has no denoiseVjp)', () => {
  const card = shipped()
  delete (card.files as Record<string, unknown>).vjp
  delete (card.sha256 as Record<string, unknown>).vjp
  assert.equal(parseModelCard(card, 'c.json').files.vjp, undefined)
  ;(card.sha256 as Record<string, unknown>).vjp = 'a'.repeat(64) // hash without a file
  assert.throws(() => parseModelCard(card, 'c.json'), /files\.vjp: expected a relative \.onnx path/)
})
