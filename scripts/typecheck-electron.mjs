#!/usr/bin/env node
// Type-checks the Electron shell (src-main/electron) when the `electron` package, which carries
// its type declarations, is installed. It is an optional dependency: offline installs drop it
// (its binary download fails), and then there is nothing to check the shell against.
import { createRequire } from 'node:module'
import { spawnSync } from 'node:child_process'

try {
  createRequire(import.meta.url).resolve('electron/electron.d.ts')
} catch {
  console.log('typecheck-electron: skipped (the optional `electron` package is not installed, so its types are absent)')
  process.exit(0)
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', 'src-main/electron/tsconfig.json'], { stdio: 'inherit' })
process.exit(r.status ?? 1)
