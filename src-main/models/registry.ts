/**
 * Finds model cards (`<dir>/<id>.json`) in the shipped `models/` folder and a user folder, and
 * hands out ONNX bytes only after their sha256 matches the card. The bytes that were hashed are
 * the bytes that get loaded, so a file swapped between check and load cannot slip through.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join, relative, resolve, isAbsolute } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseModelCard, type ModelCard, type ModelFileKind } from './card.ts'
import { ModelError } from './errors.ts'

export interface ModelEntry {
  card: ModelCard
  cardPath: string
  /** Folder holding the card; card file paths are relative to it. */
  dir: string
}

export interface ModelListing {
  models: ModelEntry[]
  /** Cards that could not be used (bad JSON, failed validation, duplicate id), with why. */
  problems: { path: string; message: string }[]
}

/** The repository's `models/` folder, both from src-main/models/ and from the bundled out/main/. */
export function builtinModelsDir(): string {
  return resolve(fileURLToPath(new URL('../../models/', import.meta.url)))
}

/** Default search path: shipped models first, then the user's folder if given. */
export function modelDirs(userDir?: string): string[] {
  return userDir ? [builtinModelsDir(), userDir] : [builtinModelsDir()]
}

function readCard(path: string): ModelEntry {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new ModelError('card', `model card ${path} is not readable JSON: ${(err as Error).message}`, { cause: err })
  }
  const card = parseModelCard(json, path)
  const stem = basename(path, '.json')
  if (card.id !== stem) throw new ModelError('card', `model card ${path} has id "${card.id}" but must be named ${card.id}.json`)
  return { card, cardPath: path, dir: resolve(path, '..') }
}

/** Every valid card in `dirs` (missing folders are skipped: a user may have none yet). */
export function listModels(dirs: string[] = modelDirs()): ModelListing {
  const listing: ModelListing = { models: [], problems: [] }
  const seen = new Map<string, string>()
  for (const dir of dirs) {
    let names: string[]
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    for (const name of names) {
      const path = join(dir, name)
      try {
        const entry = readCard(path)
        const first = seen.get(entry.card.id)
        if (first) throw new ModelError('card', `model id "${entry.card.id}" in ${path} is already defined by ${first}; ignored`)
        seen.set(entry.card.id, path)
        listing.models.push(entry)
      } catch (err) {
        if (!(err instanceof ModelError)) throw err
        listing.problems.push({ path, message: err.message })
      }
    }
  }
  return listing
}

/** The model with this id; an unknown id lists what is available (and cards that failed). */
export function findModel(id: string, dirs: string[] = modelDirs()): ModelEntry {
  const { models, problems } = listModels(dirs)
  const entry = models.find((m) => m.card.id === id)
  if (entry) return entry
  const available = models.length ? models.map((m) => m.card.id).sort().join(', ') : 'none'
  let message = `unknown model "${id}"; available: ${available} (searched ${dirs.join(', ')})`
  if (problems.length) message += `\nunusable cards:\n${problems.map((p) => `  ${p.message}`).join('\n')}`
  throw new ModelError('unknown-id', message)
}

/** Absolute path of one of the model's files, refusing anything outside the card's folder. */
export function modelFilePath(entry: ModelEntry, kind: ModelFileKind): string {
  const rel = entry.card.files[kind]
  if (!rel) throw new ModelError('load', `model "${entry.card.id}" has no ${kind} graph (${entry.cardPath})`)
  const path = resolve(entry.dir, rel)
  const inside = relative(entry.dir, path)
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new ModelError('card', `model "${entry.card.id}": files.${kind} ${rel} points outside ${entry.dir}`)
  }
  return path
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The file's bytes, after checking them against the card's sha256. */
export function readVerifiedModelFile(entry: ModelEntry, kind: ModelFileKind): Uint8Array {
  const path = modelFilePath(entry, kind)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (err) {
    throw new ModelError('load', `model "${entry.card.id}": cannot read ${kind} graph ${path}: ${(err as Error).message}`, { cause: err })
  }
  const expected = entry.card.sha256[kind]
  const actual = sha256Hex(bytes)
  if (actual !== expected) {
    throw new ModelError(
      'hash',
      `model "${entry.card.id}": ${kind} graph ${path} does not match its card (${entry.cardPath}); refusing to load it.\n` +
        `  expected sha256 ${expected}\n  actual   sha256 ${actual}`
    )
  }
  return bytes
}
