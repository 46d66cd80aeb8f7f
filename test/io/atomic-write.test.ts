import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import fsCjs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import { writeFileAtomic, ensureDir, FileExistsError } from '../../src-main/io/atomic-write.ts'

function withTmp(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-'))
  try {
    fn(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

test('writes a new file with exactly the bytes given, and no temp file remains', () => {
  withTmp((dir) => {
    const f = path.join(dir, 'out.bin')
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 255)
    writeFileAtomic(f, bytes)
    assert.deepEqual(new Uint8Array(fs.readFileSync(f)), bytes)
    writeFileAtomic(path.join(dir, 'text.txt'), 'héllo\n')
    assert.equal(fs.readFileSync(path.join(dir, 'text.txt'), 'utf8'), 'héllo\n')
    writeFileAtomic(path.join(dir, 'empty'), new Uint8Array(0))
    assert.equal(fs.statSync(path.join(dir, 'empty')).size, 0)
    assert.deepEqual(fs.readdirSync(dir).sort(), ['empty', 'out.bin', 'text.txt'])
  })
})

test('refuses to overwrite without the flag, with a FileExistsError naming the file', () => {
  withTmp((dir) => {
    const f = path.join(dir, 'keep.txt')
    fs.writeFileSync(f, 'original')
    assert.throws(
      () => writeFileAtomic(f, 'new'),
      (err: unknown) => {
        assert.ok(err instanceof FileExistsError)
        assert.equal(err.path, f)
        assert.equal(err.code, 'EEXIST')
        assert.match(err.message, /keep\.txt already exists; refusing to overwrite it/)
        return true
      }
    )
    assert.throws(() => writeFileAtomic(f, 'new', { overwrite: false }), FileExistsError)
    assert.equal(fs.readFileSync(f, 'utf8'), 'original')
    // A dangling symlink is still something in the way.
    const link = path.join(dir, 'link')
    fs.symlinkSync(path.join(dir, 'nowhere'), link)
    assert.throws(() => writeFileAtomic(link, 'x'), FileExistsError)
    assert.deepEqual(fs.readdirSync(dir).sort(), ['keep.txt', 'link'])
  })
})

test('overwrites with the flag', () => {
  withTmp((dir) => {
    const f = path.join(dir, 'x.txt')
    fs.writeFileSync(f, 'a much longer original content')
    writeFileAtomic(f, 'short', { overwrite: true })
    assert.equal(fs.readFileSync(f, 'utf8'), 'short')
    assert.deepEqual(fs.readdirSync(dir), ['x.txt'])
  })
})

test('failures give clear errors and leave no temp files', () => {
  withTmp((dir) => {
    // Missing directory: nothing can be created at all.
    assert.throws(() => writeFileAtomic(path.join(dir, 'no', 'such', 'f.txt'), 'x'), /Cannot write .*f\.txt: directory .*such does not exist/)

    // A directory as target without overwrite is simply "exists".
    const sub = path.join(dir, 'sub')
    fs.mkdirSync(sub)
    fs.writeFileSync(path.join(sub, 'inner'), 'x')
    assert.throws(() => writeFileAtomic(sub, 'x'), FileExistsError)
    assert.throws(() => writeFileAtomic(sub, 'x', { overwrite: true }), /Cannot write .*sub: it is a directory/)

    // Parent path component is a file.
    fs.writeFileSync(path.join(dir, 'plain'), 'x')
    assert.throws(() => writeFileAtomic(path.join(dir, 'plain', 'f.txt'), 'x'), /Cannot write .*f\.txt: directory .*plain does not exist|is not a directory/)

    assert.deepEqual(fs.readdirSync(dir).sort(), ['plain', 'sub'])
    assert.deepEqual(fs.readdirSync(sub), ['inner'])
  })
})

// Failures after the temp file exists are injected by replacing node:fs functions: ESM imports
// of built-in modules are live bindings that syncBuiltinESMExports() updates.
function withFsPatch(name: 'renameSync' | 'writeSync' | 'fsyncSync' | 'linkSync', impl: (orig: (...a: never[]) => unknown) => (...a: never[]) => unknown, fn: () => void): void {
  const target = fsCjs as unknown as Record<string, (...a: never[]) => unknown>
  const orig = target[name]
  target[name] = impl(orig.bind(fsCjs))
  syncBuiltinESMExports()
  try {
    fn()
  } finally {
    target[name] = orig
    syncBuiltinESMExports()
  }
}

test('the temp file is removed when a write, fsync or rename fails', () => {
  withTmp((dir) => {
    const boom = (code: string) => () => () => {
      throw Object.assign(new Error(`${code}: simulated failure`), { code })
    }
    withFsPatch('writeSync', boom('ENOSPC'), () => {
      assert.throws(() => writeFileAtomic(path.join(dir, 'a.bin'), new Uint8Array(10)), /Cannot write .*a\.bin: ENOSPC: simulated failure/)
    })
    withFsPatch('fsyncSync', boom('EIO'), () => {
      assert.throws(() => writeFileAtomic(path.join(dir, 'b.bin'), new Uint8Array(10)), /Cannot write .*b\.bin: EIO: simulated failure/)
    })
    withFsPatch('renameSync', boom('EXDEV'), () => {
      fs.writeFileSync(path.join(dir, 'c.bin'), 'old')
      assert.throws(() => writeFileAtomic(path.join(dir, 'c.bin'), 'new', { overwrite: true }), /Cannot write .*c\.bin: EXDEV/)
      assert.equal(fs.readFileSync(path.join(dir, 'c.bin'), 'utf8'), 'old')
    })
    // No hard links on this file system and rename fails too.
    withFsPatch('linkSync', boom('EPERM'), () => {
      withFsPatch('renameSync', boom('EACCES'), () => {
        assert.throws(() => writeFileAtomic(path.join(dir, 'd.bin'), 'x'), /Cannot write .*d\.bin: EACCES/)
      })
      // ...while with a working rename the fallback publishes the file.
      writeFileAtomic(path.join(dir, 'e.bin'), 'fallback')
      assert.equal(fs.readFileSync(path.join(dir, 'e.bin'), 'utf8'), 'fallback')
    })
    assert.deepEqual(fs.readdirSync(dir).sort(), ['c.bin', 'e.bin'])
  })
})

test('a file created by someone else during the write is not overwritten', () => {
  withTmp((dir) => {
    const f = path.join(dir, 'race.txt')
    // Between our up-front existence check and publishing, another process creates the file.
    withFsPatch('fsyncSync', (orig) => (...args) => {
      if (!fs.existsSync(f)) fs.writeFileSync(f, 'someone else')
      return orig(...args)
    }, () => {
      assert.throws(() => writeFileAtomic(f, 'mine'), FileExistsError)
    })
    assert.equal(fs.readFileSync(f, 'utf8'), 'someone else')
    assert.deepEqual(fs.readdirSync(dir), ['race.txt'])
  })
})

test('ensureDir creates nested directories and refuses a file in the way', () => {
  withTmp((dir) => {
    const nested = path.join(dir, 'a', 'b', 'c')
    ensureDir(nested)
    assert.ok(fs.statSync(nested).isDirectory())
    ensureDir(nested) // idempotent
    fs.writeFileSync(path.join(dir, 'file'), 'x')
    assert.throws(() => ensureDir(path.join(dir, 'file')), /Cannot create directory .*file: a file with that name exists/)
    assert.throws(() => ensureDir(path.join(dir, 'file', 'sub')), /Cannot create directory .*sub: /)
  })
})
