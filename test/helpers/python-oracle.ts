/**
 * Independent decoders for tests: system Python with PIL, pydicom, nibabel… run as a child
 * process. /usr/bin/python3 is tried first because a pyenv python3 may lack these packages.
 */
import { spawnSync } from 'node:child_process'

/** A Python that imports every module in `modules` (comma-separated), or null. */
export function findPython(modules: string): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', `import ${modules}`], { stdio: 'ignore' })
    if (r.status === 0) return exe
  }
  return null
}

/** Run `script` with `args` (sys.argv[1:]); returns stdout, throws with stderr on failure. */
export function runPython(exe: string, script: string, args: string[] = []): string {
  const r = spawnSync(exe, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`python failed (exit ${r.status}):\n${r.stderr}`)
  return r.stdout
}

/** A command-line tool on PATH (e.g. dcmdump), or null. */
export function findTool(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null
}
