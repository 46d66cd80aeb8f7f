#!/usr/bin/env node
// `npm start`: run the desktop app in development (electron-vite dev) when the Electron binary
// is installed. Electron is an optional dependency whose binary is downloaded at install time;
// after an offline install it is missing, and this says so plainly instead of a stack trace.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { constants } from 'node:os'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** Path of the Electron executable, or null when the package or its binary is missing. */
function electronBinary() {
  try {
    // The electron package's main export is the path to the downloaded executable; it
    // throws when the download never happened (no path.txt).
    const path = require('electron')
    return typeof path === 'string' && existsSync(path) ? path : null
  } catch {
    return null
  }
}

/** Directory of node_modules/electron when the package (not necessarily its binary) is present. */
function electronPackageDir() {
  try {
    return dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
}

if (!electronBinary()) {
  const pkgDir = electronPackageDir()
  const installer = pkgDir && existsSync(join(pkgDir, 'install.js')) ? 'node node_modules/electron/install.js' : null
  const how = installer
    ? `with internet access run \`${installer}\` (or \`npm rebuild electron\`)`
    : 'with internet access run `npm install` again (or `npm rebuild electron`)'
  process.stderr.write(
    'recon-studio: the Electron binary is not installed: it could not be downloaded during install (offline install).\n' +
      `  To get it, ${how}, then run \`npm start\` again.\n` +
      '  The command-line engine works now: `npx recon-studio --help`.\n'
  )
  process.exit(1)
}

const evPkgPath = require.resolve('electron-vite/package.json')
const evPkg = JSON.parse(readFileSync(evPkgPath, 'utf8'))
const evBin = join(dirname(evPkgPath), typeof evPkg.bin === 'string' ? evPkg.bin : evPkg.bin['electron-vite'])

const child = spawn(process.execPath, [evBin, 'dev', ...process.argv.slice(2)], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal))
}
child.on('error', (err) => {
  process.stderr.write(`recon-studio: could not start electron-vite: ${err.message}\n`)
  process.exit(1)
})
child.on('exit', (code, signal) => {
  // Forward the exit status; a child killed by a signal exits like a shell would (128 + n).
  process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 0))
})
