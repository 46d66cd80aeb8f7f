/**
 * Crash-safe file writes.
 *
 * A reconstruction can run for minutes; a crash or a full disk half-way through writing its result
 * must never leave a truncated file where a good one (or nothing) was. So every output is written
 * to a temporary file in the same directory (rename is only atomic within one file system),
 * flushed to disk, and then renamed onto the target name. Readers see either the old file or the
 * complete new one.
 *
 * Everything here is synchronous: the CLI writes a handful of files at the end of a run, and a
 * synchronous write keeps the "temp file removed on every failure" guarantee simple.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { randomBytes } from 'node:crypto'

/** Thrown when the target exists and the caller did not ask to overwrite it. */
export class FileExistsError extends Error {
  readonly code = 'EEXIST'
  constructor(readonly path: string) {
    super(`${path} already exists; refusing to overwrite it (pass overwrite: true / --overwrite to replace it)`)
    this.name = 'FileExistsError'
  }
}

export interface AtomicWriteOptions {
  /** Replace an existing file. Default false: an existing target raises FileExistsError. */
  overwrite?: boolean
  /** Permission bits for a new file (before umask). Default 0o666. */
  mode?: number
}

/**
 * Write `bytes` to `target` atomically. Throws FileExistsError when the target exists and
 * `overwrite` is not true; throws a plain Error naming the file for every other failure. The
 * temporary file is removed on every failure.
 *
 * If `target` is a symbolic link, the link itself is replaced, not the file it points to.
 */
export function writeFileAtomic(target: string, bytes: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  const overwrite = options.overwrite === true
  const abs = path.resolve(target)
  const dir = path.dirname(abs)
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes

  // Fail before doing any work when the outcome is already known.
  const existing = lstatOrNull(abs)
  if (existing) {
    if (!overwrite) throw new FileExistsError(target)
    if (existing.isDirectory()) throw new Error(`Cannot write ${target}: it is a directory`)
  }
  const dirStat = statOrNull(dir)
  if (!dirStat) throw new Error(`Cannot write ${target}: directory ${dir} does not exist`)
  if (!dirStat.isDirectory()) throw new Error(`Cannot write ${target}: ${dir} is not a directory`)

  // Dot-prefixed so that directory listings and globs (e.g. *.png) do not pick up a half-written
  // file; pid + random suffix so that concurrent writers never share a temp file.
  const tmp = path.join(dir, `.${path.basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let tmpCreated = false
  try {
    const fd = fs.openSync(tmp, 'wx', options.mode ?? 0o666)
    tmpCreated = true
    try {
      let off = 0
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off)
      // Without fsync a power loss after the rename can leave a zero-length file under the new name.
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }

    if (overwrite) {
      fs.renameSync(tmp, abs)
    } else {
      publishWithoutOverwrite(tmp, abs, target)
    }
    tmpCreated = false
    fsyncDir(dir)
  } catch (err) {
    if (tmpCreated) removeQuietly(tmp)
    if (err instanceof FileExistsError) throw err
    throw new Error(`Cannot write ${target}: ${describe(err)}`, { cause: err })
  }
}

/**
 * rename() silently replaces an existing file, so a file created by someone else between our
 * existence check and the rename would be lost. link() fails with EEXIST instead, atomically.
 * File systems without hard links (FAT, some network mounts) fall back to check-then-rename.
 */
function publishWithoutOverwrite(tmp: string, abs: string, target: string): void {
  try {
    fs.linkSync(tmp, abs)
  } catch (err) {
    if (errCode(err) === 'EEXIST') throw new FileExistsError(target)
    if (lstatOrNull(abs)) throw new FileExistsError(target)
    fs.renameSync(tmp, abs)
    return
  }
  removeQuietly(tmp)
}

/** Create a directory and its parents; a clear error if something that is not a directory is in the way. */
export function ensureDir(dir: string): void {
  const st = statOrNull(dir)
  if (st) {
    if (!st.isDirectory()) throw new Error(`Cannot create directory ${dir}: a file with that name exists`)
    return
  }
  try {
    fs.mkdirSync(dir, { recursive: true })
  } catch (err) {
    throw new Error(`Cannot create directory ${dir}: ${describe(err)}`, { cause: err })
  }
}

function fsyncDir(dir: string): void {
  // Persists the rename itself. Not possible on every platform (Windows cannot open directories),
  // and the data is already safe in the file, so failure here is not an error.
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd)
      } catch {
        // best effort
      }
    }
  }
}

/** Remove a file if it is there; never throws (cleaning up after a failure). */
export function removeQuietly(p: string): void {
  try {
    fs.unlinkSync(p)
  } catch {
    // Already gone, or the directory vanished: nothing left to clean up.
  }
}

/** Remove a directory only if it is empty (so never anything else); never throws. */
export function removeDirQuietly(dir: string): void {
  try {
    fs.rmdirSync(dir)
  } catch {
    // Not empty, or already gone.
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p)
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return null
    throw new Error(`Cannot access ${p}: ${describe(err)}`, { cause: err })
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p)
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return null
    throw new Error(`Cannot access ${p}: ${describe(err)}`, { cause: err })
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
