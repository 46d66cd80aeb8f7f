/**
 * JobService (src-main/jobs): methods run in worker threads with progress + ETA, previews,
 * cancellation within one iteration, failures that leave the service usable, determinism
 * against an in-process run, a responsive main thread, and a clean dispose.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Worker } from 'node:worker_threads'
import { JobService, spawnReconWorker, type JobProgress } from '../../src-main/jobs/service.ts'
import { METHODS, type MethodParams } from '../../src-main/methods/index.ts'
import { buildProblem, type ProblemSpec } from '../../src-main/pipeline/problem.ts'
import type { ProblemRecipe } from '../../src-main/pipeline/recipe.ts'
import type { CArray, ComplexImage } from '../../src-main/engine/complex.ts'
import { phantom } from '../helpers/cli.ts'

const H = 64
const W = 64
const reference: ComplexImage = { height: H, width: W, re: phantom(H, W), im: new Float64Array(H * W) }
const spec: ProblemSpec = { task: 'mri', pattern: 'poisson', acceleration: 4, seed: 7, noise: 0.01 }
const recipe: ProblemRecipe = { kind: 'simulated', reference, spec }
const params: MethodParams = { lambda: 0.003, iterations: 40, innerIterations: 5, tolerance: 1e-3 }
/** Never converges (tolerance 0): runs until cancelled. */
const LONG: MethodParams = { lambda: 0.003, iterations: 100000, innerIterations: 5, tolerance: 0 }

let spawned = 0
const service = new JobService({
  workers: 1,
  spawn: () => {
    spawned++
    return spawnReconWorker()
  }
})
after(() => service.dispose())

function sameBits(a: CArray, b: CArray): boolean {
  if (a.re.length !== b.re.length) return false
  for (let i = 0; i < a.re.length; i++) if (!Object.is(a.re[i], b.re[i]) || !Object.is(a.im[i], b.im[i])) return false
  return true
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

test('FISTA-TV in a worker gives the in-process image bit for bit, with progress, ETA and previews', async () => {
  const progress: JobProgress[] = []
  const previews: number[] = []
  const job = service.run('fista-tv', recipe, params, {
    onProgress: (p) => progress.push(p),
    onPreview: (img, step) => {
      assert.equal(img.re.length, H * W)
      previews.push(step)
    },
    previewEvery: 5
  })
  assert.equal(typeof job.id, 'number')
  const r = await job.result
  const local = await METHODS['fista-tv'].run(buildProblem({ height: H, width: W, re: reference.re.slice(), im: reference.im.slice() }, spec), params)
  assert.ok(sameBits(r.image, local.image), 'worker and in-process results differ')
  assert.deepEqual(r.params, local.params)
  assert.ok(r.seconds > 0)
  assert.ok(progress.length >= 2, `only ${progress.length} progress events`)
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i].step > progress[i - 1].step, 'steps must increase')
    assert.ok(progress[i].elapsed >= progress[i - 1].elapsed)
  }
  const last = progress[progress.length - 1]
  assert.equal(last.step, r.params.iterations_run)
  for (const p of progress) {
    assert.equal(p.total, params.iterations)
    assert.ok(p.eta !== undefined && p.eta >= 0 && Number.isFinite(p.eta))
  }
  assert.ok(previews.length >= 1, 'no preview arrived')
})

test('the main thread stays responsive during a long job, and cancel stops it within one iteration', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 10)
  let lastStep = 0
  const job = service.run('fista-tv', recipe, LONG, { onProgress: (p) => (lastStep = p.step) })
  const t0 = performance.now()
  while (lastStep < 50 && performance.now() - t0 < 10000) await sleep(20)
  await sleep(300)
  assert.ok(lastStep >= 50, 'the job made no progress')
  assert.ok(ticks >= 20, `the main thread ticked only ${ticks} times`)
  const tCancel = performance.now()
  job.cancel()
  await assert.rejects(job.result, (e: Error) => e.name === 'CancelledError')
  const latency = performance.now() - tCancel
  clearInterval(timer)
  console.log(`cancel latency ${latency.toFixed(1)} ms after ${lastStep}+ iterations; ${ticks} timer ticks`)
  assert.ok(latency < 1000, `cancel took ${latency.toFixed(0)} ms`)

  // The same service (and worker) runs the next job normally.
  const next = await service.run('fista-tv', recipe, params).result
  assert.equal(next.image.re.length, H * W)
  assert.equal(spawned, 1, 'the cancelled worker should have been reused, not replaced')
})

test('a failing job rejects with the method message and the service keeps working', async () => {
  const bad = service.run('fista-tv', recipe, { ...params, innerIterations: 0 })
  await assert.rejects(bad.result, (e: Error) => {
    assert.match(e.message, /inner iterations must be a positive integer/)
    assert.notEqual(e.name, 'CancelledError')
    return true
  })
  const badSpec = service.run('fista-tv', { kind: 'simulated', reference: { ...reference, re: new Float64Array(H * W) }, spec }, params)
  await assert.rejects(badSpec.result, /all zeros/)
  const ok = await service.run('zero-filled', recipe, params).result
  assert.equal(ok.image.re.length, H * W)
})

test('queued jobs run in order on a one-worker pool; cancelling a queued job rejects at once', async () => {
  const a = service.run('fista-tv', recipe, params)
  const b = service.run('fista-tv', recipe, params)
  const c = service.run('zero-filled', recipe, params)
  b.cancel()
  await assert.rejects(b.result, { name: 'CancelledError' })
  const [ra, rc] = await Promise.all([a.result, c.result])
  assert.equal(ra.image.re.length, H * W)
  assert.equal(rc.image.re.length, H * W)
})

test('a worker that cannot be started fails its job with a readable message, nothing is left queued, and the service recovers', async () => {
  let attempts = 0
  const svc = new JobService({
    workers: 1,
    spawn: () => {
      if (++attempts === 1) throw new Error('no worker today')
      return spawnReconWorker()
    }
  })
  try {
    // run() must not throw: the failure arrives through the job's promise.
    const failed = svc.run('zero-filled', recipe, params)
    await assert.rejects(failed.result, /could not start a reconstruction worker: no worker today/)
    // The failed job is gone from the queue: the next job is the one that runs.
    const ok = await svc.run('zero-filled', recipe, params).result
    assert.equal(ok.image.re.length, H * W)
    assert.equal(attempts, 2)
  } finally {
    await svc.dispose()
  }
})

test('a worker that dies is replaced; dispose terminates the workers', async () => {
  const workers: Worker[] = []
  const svc = new JobService({
    workers: 2,
    spawn: () => {
      const w = spawnReconWorker()
      workers.push(w)
      return w
    }
  })
  const j1 = svc.run('fista-tv', recipe, LONG)
  const j2 = svc.run('fista-tv', recipe, params)
  await j2.result
  assert.equal(workers.length, 2)
  // Kill the worker under j1 from outside: its job fails, a fresh worker takes the next job.
  const j1Failed = assert.rejects(j1.result, /exited/)
  await workers[0].terminate()
  await j1Failed
  const j3 = await svc.run('fista-tv', recipe, params).result
  assert.equal(j3.image.re.length, H * W)
  const exits = workers.map((w) => new Promise<void>((r) => (w.threadId < 0 ? r() : w.once('exit', () => r()))))
  const running = svc.run('fista-tv', recipe, LONG)
  const runningFailed = assert.rejects(running.result, /disposed/)
  await svc.dispose()
  await runningFailed
  await Promise.all(exits)
  await assert.rejects(svc.run('zero-filled', recipe, params).result, /disposed/)
})
