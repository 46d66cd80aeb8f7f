/**
 * Runs models/test_export.py: for test-tiny and every shipped prior, the hand-written VJP
 * network equals torch.autograd (float64 ~1e-12, float32 < 1e-4), and the committed ONNX
 * graphs are valid, dynamically shaped, hashed as their cards say, and numerically equal to
 * float64 autograd on fresh inputs at sizes the export never saw (< 1e-4), run through
 * onnxruntime-node. Skipped where PyTorch and onnx are not installed.
 */
import { test } from 'node:test'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { findPython } from '../helpers/python-oracle.ts'

const python = findPython('torch, onnx')
const script = fileURLToPath(new URL('../../models/test_export.py', import.meta.url))

test('exported graphs equal PyTorch autograd (models/test_export.py)', { timeout: 600_000 }, (t) => {
  if (!python) {
    t.skip('PyTorch and onnx are not installed (apt-get install python3-torch python3-onnx)')
    return
  }
  const r = spawnSync(python, [script], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } })
  if (r.status !== 0) throw new Error(`models/test_export.py failed:\n${r.stdout}\n${r.stderr}`)
  t.diagnostic(r.stdout.trim().split('\n').filter((l) => !l.startsWith('ok ')).join('; '))
})
