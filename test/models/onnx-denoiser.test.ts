import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OnnxDenoiser } from '../../src-main/models/onnx-denoiser.ts'
import { ModelError } from '../../src-main/models/errors.ts'
import { timeDenoiser } from '../../src-main/models/timing.ts'
import { Rng } from '../../src-main/engine/rng.ts'
import { torchReference, type ReferenceCase } from './torch-reference.ts'

const denoiser = await OnnxDenoiser.open('test-tiny', { threads: 1 })

/** The samplers' interface (src-main/engine/diffusion/denoiser.ts), restated so this test checks
 * the class against the contract rather than against whatever that file says today. */
interface Denoiser {
  id: string
  denoise(x: Float64Array, sigma: number, H: number, W: number): Promise<Float64Array> | Float64Array
  denoiseVjp?(x: Float64Array, sigma: number, r: Float64Array, H: number, W: number): Promise<{ denoised: Float64Array; vjp: Float64Array }>
}
const asSamplerPrior: Denoiser = denoiser

/** Smooth image with noise in about [0, 1], and a standard normal direction; float32-exact so
 * the float64 torch reference sees exactly what onnxruntime sees. */
function inputs(H: number, W: number, seed: number): { x: Float64Array; r: Float64Array } {
  const rng = new Rng(seed)
  const x = new Float64Array(H * W)
  const r = new Float64Array(H * W)
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      x[i * W + j] = Math.fround(0.5 + 0.3 * Math.sin(i / 5) * Math.cos(j / 3) + 0.1 * rng.normal())
      r[i * W + j] = Math.fround(rng.normal())
    }
  }
  return { x, r }
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0
  let den = 0
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2
    den += b[i] ** 2
  }
  return Math.sqrt(num / den)
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

test('test-tiny runs on the CPU provider and satisfies the sampler interface', () => {
  assert.equal(asSamplerPrior.id, 'test-tiny')
  assert.equal(denoiser.executionProvider.provider, 'cpu')
  assert.equal(typeof denoiser.denoise, 'function')
  assert.equal(typeof denoiser.denoiseVjp, 'function', 'the card ships a VJP graph')
  assert.equal(denoiser.card.input.multiple, 4)
})

// Sizes: already a multiple of 4, the 30×22 of the brief (pad 1 on every side), and 29×21
// (uneven padding, extra pixel at the bottom/right).
const cases: ReferenceCase[] = [
  { name: 'plain', H: 32, W: 32, sigma: 0.3, pad: [0, 0, 0, 0], ...inputs(32, 32, 1) },
  { name: 'pad30x22', H: 30, W: 22, sigma: 0.05, pad: [1, 1, 1, 1], ...inputs(30, 22, 2) },
  { name: 'pad29x21', H: 29, W: 21, sigma: 3, pad: [1, 2, 1, 2], ...inputs(29, 21, 3) }
]

test('onnxruntime-node denoised and VJP equal float64 PyTorch (autograd) on fixed inputs, padded sizes included', async (t) => {
  const ref = torchReference(cases)
  if (typeof ref === 'string') {
    t.skip(`PyTorch comparison skipped: ${ref}`)
    return
  }
  for (const c of cases) {
    const denoised = await denoiser.denoise(c.x, c.sigma, c.H, c.W)
    const both = await denoiser.denoiseVjp!(c.x, c.sigma, c.r, c.H, c.W)
    const split = await denoiser.denoiseWithPullback!(c.x, c.sigma, c.H, c.W)
    const pulled = await split.pullback(c.r)
    const want = ref.get(c.name)!
    assert.equal(denoised.length, c.H * c.W)
    // float32 graphs against float64 torch: measured ~1e-6; 1e-4 is the brief's bound.
    for (const [what, got, exp] of [
      ['denoise', denoised, want.denoised],
      ['denoiseVjp.denoised', both.denoised, want.denoised],
      ['denoiseVjp.vjp', both.vjp, want.vjp],
      ['denoiseWithPullback.denoised', split.denoised, want.denoised],
      ['pullback', pulled, want.vjp]
    ] as const) {
      const e = relErr(got, exp)
      assert.ok(e < 1e-4, `${c.name} ${c.H}×${c.W} σ=${c.sigma}: ${what} relative error ${e.toExponential(2)}`)
    }
  }
})

/*
 * Adjoint identity ⟨J v, r⟩ = ⟨v, Jᵀ r⟩ with J v by central differences of the ONNX denoiser,
 * on its own (no torch), through the padding (30×22). r = J v + noise makes ⟨J v, r⟩ large.
 * Tolerance 2e-4: with h = 1e-3 the central-difference truncation error (∝ h²) measured
 * 1.7e-3 at h = 1e-2, so ~2e-5 here, and float32 rounding in the graph (~1e-7 of D, divided by
 * 2h) is ~1e-5; 2e-4 is ten times both. Using J in place of Jᵀ is off by 0.7–10 % on this
 * model (checked below), so the bound tells the transpose from the Jacobian.
 */
test('the saving + pullback graphs give the fused VJP graph\'s numbers, and one saving serves several pullbacks', async () => {
  assert.equal(typeof denoiser.denoiseWithPullback, 'function', 'the card ships the saving/pullback pair')
  const { x, r } = inputs(29, 21, 7)
  const r2 = r.map((v, i) => Math.fround(Math.cos(i) - v))
  const split = await denoiser.denoiseWithPullback!(x, 0.2, 29, 21)
  const a = await split.pullback(r)
  const b = await split.pullback(r2)
  const fusedA = await denoiser.denoiseVjp!(x, 0.2, r, 29, 21)
  const fusedB = await denoiser.denoiseVjp!(x, 0.2, r2, 29, 21)
  // Same float32 arithmetic up to operator fusion: agree to rounding.
  assert.ok(relErr(split.denoised, fusedA.denoised) < 1e-6, `denoised ${relErr(split.denoised, fusedA.denoised)}`)
  assert.ok(relErr(a, fusedA.vjp) < 1e-5, `vjp(r) ${relErr(a, fusedA.vjp)}`)
  assert.ok(relErr(b, fusedB.vjp) < 1e-5, `vjp(r2) ${relErr(b, fusedB.vjp)}`)
  assert.ok(relErr(a, b) > 0.1, 'different directions give different pullbacks')
  await assert.rejects(split.pullback(new Float64Array(5)), /r has 5 values, expected 29×21/)
  // The saving graph's buffers are reused: a newer call invalidates the older pullback, and the
  // reused buffers give the same numbers as freshly allocated ones.
  const { x: x2 } = inputs(29, 21, 8)
  const second = await denoiser.denoiseWithPullback!(x2, 0.7, 29, 21)
  await assert.rejects(split.pullback(r), /pullback used after a newer denoiseWithPullback/)
  const fused2 = await denoiser.denoiseVjp!(x2, 0.7, r, 29, 21)
  assert.ok(relErr(await second.pullback(r), fused2.vjp) < 1e-5)
  const third = await denoiser.denoiseWithPullback!(x, 0.2, 29, 21)
  assert.ok(relErr(await third.pullback(r), a) < 1e-6, 'same input, same pullback after reuse')
})

test('the VJP is the adjoint of the denoiser Jacobian (central differences), padded size included', async () => {
  const h = 1e-3
  const tol = 2e-4
  for (const [H, W] of [[32, 32], [30, 22]]) {
    for (const sigma of [0.05, 0.5, 5]) {
      const rng = new Rng(H * 100 + sigma * 10)
      const { x } = inputs(H, W, 11)
      const v = Float64Array.from({ length: H * W }, () => rng.normal())
      const jvp = async (u: Float64Array): Promise<Float64Array> => {
        const plus = await denoiser.denoise(x.map((xi, i) => xi + h * u[i]), sigma, H, W)
        const minus = await denoiser.denoise(x.map((xi, i) => xi - h * u[i]), sigma, H, W)
        return plus.map((p, i) => (p - minus[i]) / (2 * h))
      }
      const jv = await jvp(v)
      const r = jv.map((a) => a + 0.1 * rng.normal())
      const { vjp } = await denoiser.denoiseVjp!(x, sigma, r, H, W)
      const lhs = dot(jv, r)
      const err = Math.abs(lhs - dot(v, vjp)) / Math.abs(lhs)
      assert.ok(err < tol, `${H}×${W} σ=${sigma}: ⟨Jv,r⟩ ${lhs} vs ⟨v,Jᵀr⟩ ${dot(v, vjp)}, relative ${err.toExponential(2)}`)
      if (sigma === 0.5) {
        const asym = Math.abs(lhs - dot(v, await jvp(r))) / Math.abs(lhs)
        assert.ok(asym > 10 * tol, `${H}×${W}: the Jacobian is too symmetric (${asym.toExponential(2)}) for this test to tell Jᵀ from J`)
      }
    }
  }
})

test('padding crops back to the input size and keeps denoise and denoiseVjp consistent', async () => {
  const { x, r } = inputs(30, 22, 5)
  const d = await denoiser.denoise(x, 0.2, 30, 22)
  const both = await denoiser.denoiseVjp!(x, 0.2, r, 30, 22)
  assert.equal(d.length, 30 * 22)
  assert.equal(both.vjp.length, 30 * 22)
  // Two graphs (fused GroupNorm vs the saved-statistics one), so float32 rounding only.
  assert.ok(relErr(both.denoised, d) < 1e-5)
  // Tiny images still work: a 1×3 image is mirrored out to 4×4.
  const tiny = await denoiser.denoise(Float64Array.of(0.2, 0.5, 0.8), 0.1, 1, 3)
  assert.equal(tiny.length, 3)
  assert.ok(tiny.every(Number.isFinite))
})

test('bad inputs give clear errors', async () => {
  const x = new Float64Array(12)
  await assert.rejects(denoiser.denoise(x, 0.1, 3, 5), (e: unknown) => e instanceof ModelError && /x has 12 values, expected 3×5 = 15/.test(e.message))
  await assert.rejects(denoiser.denoise(x, 0, 3, 4), /sigma must be positive and finite, got 0/)
  await assert.rejects(denoiser.denoise(x, Number.NaN, 3, 4), /sigma must be positive/)
  await assert.rejects(denoiser.denoiseVjp!(x, 0.1, new Float64Array(3), 3, 4), /r has 3 values, expected 3×4 = 12/)
  await assert.rejects(denoiser.denoise(x, 0.1, 2.5, 4), /positive integers/)
})

test('a requested accelerator that cannot start falls back to the CPU provider and says why', async () => {
  const d = await OnnxDenoiser.open('test-tiny', { executionProviders: ['cuda', 'coreml'], threads: 1 })
  try {
    assert.equal(d.executionProvider.provider, 'cpu')
    assert.equal(d.executionProvider.fallbacks.length, 2, d.executionProvider.fallbacks.join('; '))
    assert.match(d.executionProvider.fallbacks[0], /^cuda: /)
    assert.match(d.executionProvider.fallbacks[1], /^coreml: /)
    const { x } = inputs(8, 8, 9)
    assert.equal((await d.denoise(x, 0.5, 8, 8)).length, 64)
  } finally {
    await d.dispose()
  }
})

test('timing hook reports forward and VJP seconds', async () => {
  const t = await timeDenoiser(denoiser, 32, 1, 1)
  assert.equal(t.size, 32)
  assert.ok(t.forward_s > 0 && t.vjp_s !== null && t.vjp_s > 0, JSON.stringify(t))
  assert.match(t.runtime, /^onnxruntime-node 1\.\d+\.\d+, cpu EP, 1 intra-op threads/)
})

test('dispose', async () => {
  await denoiser.dispose()
})
