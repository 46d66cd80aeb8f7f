/**
 * Persistent settings (`<dataDir>/settings.json`) and the recent-files list
 * (`<dataDir>/recent.json`), written atomically (temp file + fsync + rename), so a crash while
 * saving leaves the old file, never a truncated one. A missing file gives the defaults; a
 * corrupt one gives the defaults plus a note saying so (the bad file is kept until the next
 * save replaces it) — never a crash at start-up.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Settings } from '../api/contract.ts'
import { ensureDir, writeFileAtomic } from '../io/atomic-write.ts'
import { validateSettings, validateSettingsPatch } from './validate.ts'

export const RECENT_MAX = 10

export function defaultSettings(): Settings {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  return {
    threads: Math.max(1, Math.min(2, cores - 1)),
    executionProvider: 'cpu',
    modelsFolder: null,
    defaultMethods: ['fista-tv'],
    exportFolder: path.join(os.homedir(), 'Recon Studio', 'exports')
  }
}

export class SettingsStore {
  readonly settingsFile: string
  readonly recentFile: string
  /** What went wrong while reading the files (shown once, e.g. in a status line). */
  readonly notes: string[] = []
  private current: Settings
  private recent: string[]

  constructor(
    readonly dataDir: string,
    private readonly defaults: Settings = defaultSettings()
  ) {
    this.settingsFile = path.join(dataDir, 'settings.json')
    this.recentFile = path.join(dataDir, 'recent.json')
    this.current = this.readSettings()
    this.recent = this.readRecent()
  }

  get(): Settings {
    return { ...this.current, defaultMethods: [...this.current.defaultMethods] }
  }

  /** Validate a patch (ApiError on a bad value; nothing changes then), apply it and save. */
  set(patch: unknown): Settings {
    const next = { ...this.current, ...validateSettingsPatch(patch) }
    this.save(this.settingsFile, next)
    this.current = next
    return this.get()
  }

  recentFiles(): string[] {
    return [...this.recent]
  }

  /** Put `file` first (once), keep at most RECENT_MAX, save. A failed save only adds a note. */
  addRecent(file: string): void {
    const abs = path.resolve(file)
    const next = [abs, ...this.recent.filter((f) => f !== abs)].slice(0, RECENT_MAX)
    this.recent = next
    try {
      this.save(this.recentFile, next)
    } catch (err) {
      this.notes.push(`could not save the recent-files list: ${(err as Error).message}`)
    }
  }

  private save(file: string, value: unknown): void {
    ensureDir(this.dataDir)
    writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', { overwrite: true })
  }

  private readJson(file: string, what: string): unknown {
    let text: string
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.notes.push(`${what} ${file} is not readable (${(err as Error).message}); using defaults`)
      return undefined
    }
    try {
      return JSON.parse(text)
    } catch (err) {
      this.notes.push(`${what} ${file} is not valid JSON (${(err as Error).message}); using defaults`)
      return undefined
    }
  }

  private readSettings(): Settings {
    const defaults = { ...this.defaults, defaultMethods: [...this.defaults.defaultMethods] }
    const raw = this.readJson(this.settingsFile, 'settings file')
    if (raw === undefined) return defaults
    try {
      return { ...defaults, ...validateSettings(raw) }
    } catch (err) {
      this.notes.push(`settings file ${this.settingsFile} has a bad value (${(err as Error).message}); using defaults`)
      return defaults
    }
  }

  private readRecent(): string[] {
    const raw = this.readJson(this.recentFile, 'recent-files list')
    if (raw === undefined) return []
    if (!Array.isArray(raw)) {
      this.notes.push(`recent-files list ${this.recentFile} is not a list; starting empty`)
      return []
    }
    return raw.filter((f): f is string => typeof f === 'string' && f.length > 0 && !f.includes('\0')).slice(0, RECENT_MAX)
  }
}
