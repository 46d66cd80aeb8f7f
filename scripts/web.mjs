#!/usr/bin/env node
// `npm run web`: Recon Studio in a browser, for machines without the Electron binary.
//
// Builds the renderer when out/renderer is missing or older than its sources, starts the
// reconstruction services (the same WorkbenchService as the desktop app) and the local server
// (src-main/web/server.ts) on 127.0.0.1, and prints exactly one line on stdout once it is ready:
// the address to open, with the per-run access token. Everything else goes to stderr, so
// `url=$(npm run -s web | head -1)` works. Ctrl-C (SIGINT) or SIGTERM cancels running jobs,
// stops the workers and the server, and exits 0.
//
//   npm run web -- [--port N] [--data-dir DIR] [--no-build]
import { existsSync, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout } from 'node:timers'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const rendererDir = join(root, 'out', 'renderer')
const rendererIndex = join(rendererDir, 'index.html')

// stdout carries the address and nothing else: anything that logs goes to stderr.
console.log = console.info = console.debug = (...args) => console.error(...args)
const note = (line) => process.stderr.write(`recon-studio web: ${line}\n`)
const fail = (line) => {
  note(line)
  process.exit(1)
}

const USAGE = `Usage: npm run web -- [--port N] [--data-dir DIR] [--no-build]

Serves Recon Studio on http://127.0.0.1 for use in a web browser and prints the address to
open (it carries a per-run access token) as the only line on stdout.

  --port N        listen on port N (default: any free port)
  --data-dir DIR  settings and recent files (default: $XDG_CONFIG_HOME/recon-studio)
  --no-build      do not (re)build the renderer; use out/renderer as it is
`

let opts
try {
  opts = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  }).values
} catch (err) {
  fail(`${err.message}\n${USAGE}`)
}
if (opts.help) {
  process.stderr.write(USAGE)
  process.exit(0)
}
const port = opts.port === undefined ? 0 : Number(opts.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer between 0 and 65535, got ${opts.port}`)

function defaultDataDir() {
  if (process.env.XDG_CONFIG_HOME) return join(process.env.XDG_CONFIG_HOME, 'recon-studio')
  if (process.platform === 'win32' && process.env.APPDATA) return join(process.env.APPDATA, 'recon-studio')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'recon-studio')
  return join(homedir(), '.config', 'recon-studio')
}
const dataDir = opts['data-dir'] ?? defaultDataDir()

/** Newest modification time under `path` (a file or a folder), in ms. */
function newest(path) {
  let st
  try {
    st = statSync(path)
  } catch {
    return 0
  }
  if (!st.isDirectory()) return st.mtimeMs
  let t = st.mtimeMs
  for (const name of readdirSync(path)) if (name !== 'node_modules') t = Math.max(t, newest(join(path, name)))
  return t
}

/** Why the renderer must be (re)built, or null when out/renderer is up to date. */
function staleReason() {
  if (!existsSync(rendererIndex)) return 'out/renderer is missing'
  const built = statSync(rendererIndex).mtimeMs
  const inputs = [join(root, 'src-renderer'), join(root, 'electron.vite.config.ts'), join(root, 'src-main', 'electron', 'csp.ts')]
  return inputs.some((p) => newest(p) > built) ? 'the renderer sources changed since the last build' : null
}

/** The renderer part of electron.vite.config.ts, built with Vite (main and preload are not needed here). */
async function buildRenderer() {
  process.env.NODE_ENV_ELECTRON_VITE = 'production'
  const { resolveConfig } = await import('electron-vite')
  const { build } = await import('vite')
  const resolved = await resolveConfig({ root, logLevel: 'warn' }, 'build', 'production')
  const renderer = resolved.config?.renderer
  if (!renderer) throw new Error('electron.vite.config.ts has no renderer configuration')
  await build({ ...renderer, logLevel: 'warn' })
}

if (!opts['no-build']) {
  const reason = staleReason()
  if (reason) {
    note(`${reason}: building the renderer…`)
    try {
      await buildRenderer()
    } catch (err) {
      fail(`building the renderer failed: ${err?.message ?? err}`)
    }
  }
}
if (!existsSync(rendererIndex)) fail('out/renderer/index.html is missing: build it with `npx electron-vite build` (or run without --no-build)')

// The services are TypeScript: tsx compiles them on the fly, as for the CLI (bin/recon-studio.mjs).
const { register } = await import('tsx/esm/api')
register()
const { WorkbenchService } = await import('../src-main/services/workbench.ts')
const { startWebServer } = await import('../src-main/web/server.ts')

const services = new WorkbenchService({ dataDir, log: note })
let server
try {
  server = await startWebServer({ services, rendererDir, port, log: note })
} catch (err) {
  await services.dispose()
  fail(err?.code === 'EADDRINUSE' ? `port ${port} is already in use (choose another with --port, or 0 for any free port)` : `could not start: ${err?.message ?? err}`)
}
note(`serving ${rendererDir}; settings in ${dataDir}. Open the address below in a browser; Ctrl-C stops the server.`)
process.stdout.write(server.url + '\n')

let stopping = false
async function shutdown(signal) {
  if (stopping) {
    note(`${signal} again: exiting without waiting`)
    process.exit(1)
  }
  stopping = true
  note(`${signal}: cancelling jobs and stopping…`)
  // Do not hang forever on a worker that will not stop.
  setTimeout(() => {
    note('shutdown took too long; exiting')
    process.exit(1)
  }, 15000).unref()
  try {
    await services.dispose()
    await server.close()
  } catch (err) {
    note(`error while stopping: ${err?.message ?? err}`)
  }
  process.exit(0)
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void shutdown(signal))
