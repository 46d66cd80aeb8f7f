/** Wall-clock timing of a prior at one size, for model cards and the benchmarks. */
import { cpus, availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { ModelTiming } from './card.ts'
import type { OnnxDenoiser } from './onnx-denoiser.ts'
import { defaultThreads, onnxRuntimeVersion } from './session.ts'

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Median seconds of each function, run in turns (a, b, c, a, b, c, …) rather than one after the
 * other, so that a shared machine's drift (other load, clock changes) hits all of them alike
 * and their ratios (a DPS step over a forward) stay meaningful.
 */
async function timeInterleaved(fns: (() => Promise<unknown>)[], repeats: number): Promise<number[]> {
  // warm-up: the first runs allocate the arena and plan memory
  for (let i = 0; i < 3; i++) for (const fn of fns) await fn()
  const times: number[][] = fns.map(() => [])
  for (let i = 0; i < repeats; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now()
      await fn()
      times[k].push((performance.now() - t0) / 1000)
    }
  }
  return times.map(median)
}

/** Median seconds of one denoise, one fused denoise+VJP call and one DPS step's network work on a size×size image at sigma 0.5. */
export async function timeDenoiser(d: OnnxDenoiser, size = 256, repeats = 7, threads = defaultThreads()): Promise<ModelTiming> {
  const n = size * size
  const x = new Float64Array(n)
  const r = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    x[i] = 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011)
    r[i] = Math.sin(i * 1.3)
  }
  const fns: (() => Promise<unknown>)[] = [() => d.denoise(x, 0.5, size, size)]
  if (d.denoiseVjp) fns.push(() => d.denoiseVjp!(x, 0.5, r, size, size))
  // What one DPS step costs in the network: the saving + pullback pair when there is one,
  // else a forward followed by the fused VJP graph.
  if (d.denoiseWithPullback) fns.push(async () => (await d.denoiseWithPullback!(x, 0.5, size, size)).pullback(r))
  const t = await timeInterleaved(fns, repeats)
  const forward = t[0]
  const vjp = d.denoiseVjp ? t[1] : null
  const dpsStep = d.denoiseWithPullback ? t[t.length - 1] : vjp === null ? null : forward + vjp
  const round = (s: number) => Number(s.toPrecision(3))
  return {
    runtime: `onnxruntime-node ${await onnxRuntimeVersion()}, ${d.executionProvider.provider} EP, ${threads} intra-op threads, graph optimisation all`,
    machine: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, ${process.platform}/${process.arch}, Node ${process.versions.node}`,
    size,
    forward_s: round(forward),
    vjp_s: vjp === null ? null : round(vjp),
    dps_step_s: dpsStep === null ? null : round(dpsStep),
    measured: new Date().toISOString().slice(0, 10)
  }
}
