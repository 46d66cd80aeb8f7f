/**
 * Files from the picker and from drag-and-drop → FileUpload[] for openFiles(). Folders keep
 * their relative paths ("series/IM0001.dcm") so the service can group DICOM series and find a
 * DICOMDIR, exactly as when it opens a folder by path.
 */
import type { FileUpload } from '../../../src-main/api/contract.ts'

/** Bytes of files from an <input type="file"> (with or without webkitdirectory). */
export async function uploadsFromFileList(files: FileList | File[]): Promise<FileUpload[]> {
  const list = Array.from(files)
  return Promise.all(
    list.map(async (f) => ({
      name: f.webkitRelativePath || f.name,
      bytes: new Uint8Array(await f.arrayBuffer())
    }))
  )
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries() hands out at most ~100 entries per call: keep asking until it returns none.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = []
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all)
        else {
          all.push(...batch)
          next()
        }
      }, reject)
    next()
  })
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject))
}

async function walk(entry: FileSystemEntry, prefix: string, out: { path: string; file: File }[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name
  if (entry.isFile) out.push({ path, file: await fileOf(entry as FileSystemFileEntry) })
  else if (entry.isDirectory) {
    for (const child of await readAllEntries((entry as FileSystemDirectoryEntry).createReader())) await walk(child, path, out)
  }
}

/** Everything dropped on the window: files, and folders read recursively (FileSystemEntry API). */
export async function uploadsFromDrop(dt: DataTransfer): Promise<FileUpload[]> {
  // Entries must be taken synchronously, before the first await: the DataTransfer is emptied
  // once the drop handler yields.
  const entries: FileSystemEntry[] = []
  const loose: File[] = []
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue
    const entry = item.webkitGetAsEntry?.()
    if (entry) entries.push(entry)
    else {
      const f = item.getAsFile()
      if (f) loose.push(f)
    }
  }
  const found: { path: string; file: File }[] = loose.map((file) => ({ path: file.name, file }))
  for (const e of entries) await walk(e, '', found)
  return Promise.all(found.map(async ({ path, file }) => ({ name: path, bytes: new Uint8Array(await file.arrayBuffer()) })))
}

export function totalBytes(uploads: FileUpload[]): number {
  return uploads.reduce((n, u) => n + u.bytes.length, 0)
}
