/**
 * onnxruntime-node sessions with an explicit execution-provider choice. Accelerated providers
 * are tried only when asked for; whatever cannot start falls back to the CPU provider and the
 * reason is kept, so the app can say what it is actually running on.
 *
 * onnxruntime-node is imported lazily: listing and validating models must work even where its
 * native binary cannot load, and the error then names the cause.
 */
import { availableParallelism } from 'node:os'
import type { InferenceSession } from 'onnxruntime-node'
import { ModelError } from './errors.ts'

type Ort = typeof import('onnxruntime-node')

/** Providers this module knows how to ask for; 'cpu' is always the last resort. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu'

export interface SessionSettings {
  /** Providers to try, in order; default ['cpu']. */
  executionProviders?: ExecutionProvider[]
  /** Intra-op threads; default min(4, cores). */
  threads?: number
  /** Turn off the CPU memory arena and memory pattern: a VJP session of a 2.5 M-parameter net
   * drops from 1.1 GiB to 0.27 GiB at 256², about 26 % slower (shared/notes). */
  lowMemory?: boolean
}

export interface ProviderChoice {
  provider: ExecutionProvider
  /** Why each requested provider before it was not used. */
  fallbacks: string[]
}

let ortPromise: Promise<Ort> | undefined

export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').catch((err: unknown) => {
    ortPromise = undefined
    throw new ModelError('load', `onnxruntime-node could not be loaded (${process.platform}/${process.arch}): ${(err as Error).message}`, {
      cause: err
    })
  })
  return ortPromise
}

export async function onnxRuntimeVersion(): Promise<string> {
  return (await loadOrt()).env.versions.node ?? 'unknown'
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()))
}

function sessionOptions(provider: ExecutionProvider, s: SessionSettings): InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: s.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    enableCpuMemArena: !s.lowMemory,
    enableMemPattern: !s.lowMemory,
    logSeverityLevel: 3,
    // A prior has up to four sessions, each with its own intra-op pool, and the samplers
    // alternate between them (DPS: saving, then pullback). Spinning workers of the session
    // that just finished would compete with the next one's for the same cores.
    extra: { session: { intra_op: { allow_spinning: '0' } } }
  }
}

/**
 * One session per graph, all on the same provider: the first requested provider with which
 * every graph loads, else CPU. A graph that fails on CPU is a broken file: that error is thrown.
 */
export async function createSessions(
  graphs: { label: string; bytes: Uint8Array }[],
  settings: SessionSettings = {}
): Promise<{ sessions: InferenceSession[]; choice: ProviderChoice }> {
  const ort = await loadOrt()
  const requested = (settings.executionProviders ?? ['cpu']).filter((p) => p !== 'cpu')
  const supported = new Set(ort.listSupportedBackends().map((b) => b.name))
  const fallbacks: string[] = []
  for (const provider of [...requested, 'cpu' as const]) {
    if (provider !== 'cpu' && !supported.has(provider)) {
      fallbacks.push(`${provider}: not in this onnxruntime-node build for ${process.platform}/${process.arch}`)
      continue
    }
    const sessions: InferenceSession[] = []
    try {
      for (const g of graphs) sessions.push(await ort.InferenceSession.create(g.bytes, sessionOptions(provider, settings)))
      return { sessions, choice: { provider, fallbacks } }
    } catch (err) {
      await Promise.all(sessions.map((s) => s.release()))
      const message = (err as Error).message.trim()
      if (provider === 'cpu') {
        const label = graphs[sessions.length].label
        throw new ModelError('load', `cannot load ${label}: onnxruntime rejected it: ${message}`, { cause: err })
      }
      fallbacks.push(`${provider}: ${message.split('\n')[0]}`)
    }
  }
  throw new Error('unreachable: the CPU provider either returns or throws')
}
