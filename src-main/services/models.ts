/**
 * The diffusion priors the app can use: every card in the model folders, each checked against
 * its files' sha256 (hashes cached by path, size and modification time, so listing a folder of
 * large models twice does not read them twice). One bad card or file makes that model
 * unusable, with the reason — it never fails the listing.
 */
import { readdirSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import type { ModelInfo } from '../api/contract.ts'
import { MODEL_FILE_KINDS, type ModelFileKind } from '../models/card.ts'
import { listModels, modelFilePath, readVerifiedModelFile, type ModelEntry } from '../models/registry.ts'

const hashChecks = new Map<string, string | null>()

/** null when the file matches its card, else why not. */
function fileProblem(entry: ModelEntry, kind: ModelFileKind): string | null {
  let path: string
  try {
    path = modelFilePath(entry, kind)
    const st = statSync(path)
    const key = `${path}\0${st.size}\0${st.mtimeMs}\0${entry.card.sha256[kind]}`
    const cached = hashChecks.get(key)
    if (cached !== undefined) return cached
    let problem: string | null = null
    try {
      readVerifiedModelFile(entry, kind)
    } catch (err) {
      problem = (err as Error).message
    }
    hashChecks.set(key, problem)
    return problem
  } catch (err) {
    return `model "${entry.card.id}": ${kind} graph not readable: ${(err as Error).message}`
  }
}

/** Folders that exist but cannot be listed (ENOTDIR, EACCES…), with why; missing ones are fine. */
function unreadableDirs(dirs: string[]): Map<string, string> {
  const bad = new Map<string, string>()
  for (const dir of dirs) {
    try {
      readdirSync(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') bad.set(dir, `models folder ${dir} cannot be read: ${(err as Error).message}`)
    }
  }
  return bad
}

export interface ModelSurvey {
  infos: ModelInfo[]
  /** Usable entries (valid card, files match), for choosing a prior. */
  usable: ModelEntry[]
}

export function surveyModels(dirs: string[]): ModelSurvey {
  const bad = unreadableDirs(dirs)
  const listing = listModels(dirs.filter((d) => !bad.has(d)))
  const infos: ModelInfo[] = []
  const usable: ModelEntry[] = []
  for (const entry of listing.models) {
    const c = entry.card
    const problems = MODEL_FILE_KINDS.filter((k) => c.files[k] !== undefined).map((k) => fileProblem(entry, k)).filter((p): p is string => p !== null)
    const info: ModelInfo = {
      id: c.id,
      domain: c.domain,
      description: c.description,
      parameters: c.parameters,
      sha256: { ...c.sha256 },
      usable: problems.length === 0
    }
    if (problems.length) info.problem = problems.join('\n')
    else usable.push(entry)
    infos.push(info)
  }
  for (const p of listing.problems) {
    infos.push({ id: basename(p.path, '.json'), domain: 'unknown', description: '', parameters: 0, sha256: { denoiser: '' }, usable: false, problem: p.message })
  }
  for (const [dir, message] of bad) {
    infos.push({ id: basename(dir), domain: 'unknown', description: '', parameters: 0, sha256: { denoiser: '' }, usable: false, problem: message })
  }
  return { infos, usable }
}

/** The domain of prior a task needs (as methods/diffusion.ts chooses it). */
export function priorDomain(task: string): 'mri-brain' | 'natural-gray' {
  return task === 'mri' ? 'mri-brain' : 'natural-gray'
}

/**
 * The prior a diffusion method will use: the requested id, or the first usable prior of the
 * task's domain. Throws an Error whose message lists what is installed.
 */
export function resolvePrior(task: string, requested: string | undefined, dirs: string[]): ModelEntry {
  const survey = surveyModels(dirs)
  const installed = survey.infos.map((m) => `${m.id} (${m.domain}${m.usable ? '' : ', unusable'})`).join(', ') || 'none'
  if (requested) {
    const entry = survey.usable.find((m) => m.card.id === requested)
    if (entry) return entry
    const info = survey.infos.find((m) => m.id === requested)
    if (info?.problem) throw new Error(`model "${requested}" cannot be used: ${info.problem}`)
    throw new Error(`unknown model "${requested}"; installed: ${installed}`)
  }
  const domain = priorDomain(task)
  const entry = survey.usable.find((m) => m.card.domain === domain)
  if (entry) return entry
  throw new Error(`no ${domain} diffusion prior is installed (installed: ${installed}); train one (models/README.md) or choose a model in the method settings`)
}
