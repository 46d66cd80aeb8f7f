// electron-vite build: main process (ESM), sandboxed preload (CommonJS), Svelte renderer.
// `npm run build` only bundles, so it works without the Electron binary installed.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import type { Plugin } from 'vite'
import { contentSecurityPolicy } from './src-main/electron/csp.ts'

// (import.meta.url, not import.meta.dirname: electron-vite bundles this file and rewrites only the former)
const root = fileURLToPath(new URL('.', import.meta.url))

// electron-vite picks the output format and Node target from the installed Electron's major
// version. Electron is an optional dependency whose binary download may fail (offline
// install); then fall back to the major version package.json asks for, so the bundle is
// the same either way.
function declaredElectronMajor(): string {
  try {
    createRequire(import.meta.url).resolve('electron/package.json')
    return '' // installed: electron-vite reads it itself
  } catch {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>
      optionalDependencies?: Record<string, string>
      devDependencies?: Record<string, string>
    }
    const range = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? pkg.dependencies?.electron ?? ''
    return /\d+/.exec(range)?.[0] ?? ''
  }
}
const fallbackMajor = declaredElectronMajor()
if (fallbackMajor && !process.env.ELECTRON_MAJOR_VER) process.env.ELECTRON_MAJOR_VER = fallbackMajor

// Chromium of each Electron major (electron-vite 6 leaves the renderer target empty).
const CHROME_OF_ELECTRON: Record<string, number> = { '37': 138, '38': 140, '39': 142, '40': 144, '41': 146, '42': 148 }
const electronMajor = process.env.ELECTRON_MAJOR_VER ?? fallbackMajor
const rendererTarget = CHROME_OF_ELECTRON[electronMajor] ? `chrome${CHROME_OF_ELECTRON[electronMajor]}` : 'es2023'

/**
 * Keeps the renderer's CSP <meta> tag in step with the header the main process sends
 * (src-main/electron/csp.ts): the build fails if index.html disagrees, and the dev server
 * gets the dev policy (inline <style> for hot reload, the HMR WebSocket).
 */
function cspMetaPlugin(): Plugin {
  const metaRE = /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)("\s*\/?>)/i
  let dev = false
  return {
    name: 'recon:csp-meta',
    configResolved(config) {
      dev = config.command === 'serve'
    },
    transformIndexHtml(html) {
      const m = metaRE.exec(html)
      if (!m) throw new Error('src-renderer/index.html lacks the Content-Security-Policy <meta> tag')
      const expected = contentSecurityPolicy({ dev: false, header: false })
      if (m[2] !== expected) {
        throw new Error(`index.html CSP differs from src-main/electron/csp.ts.\n  index.html: ${m[2]}\n  csp.ts:     ${expected}`)
      }
      return dev ? html.replace(metaRE, `$1${contentSecurityPolicy({ dev: true, header: false })}$3`) : html
    }
  }
}

/**
 * src-main/version.ts reads ../package.json next to itself, which is not where the bundled
 * out/main/ ends up: in the main build the version is a constant taken from package.json.
 */
function versionConstantPlugin(): Plugin {
  const versionModule = resolve(root, 'src-main/version.ts')
  const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }
  return {
    name: 'recon:version-constant',
    load(id) {
      if (resolve(id.split('?')[0]) === versionModule) return `export const VERSION = ${JSON.stringify(version)}\n`
      return null
    }
  }
}

export default defineConfig({
  main: {
    plugins: [versionConstantPlugin()],
    build: {
      outDir: resolve(root, 'out/main'),
      // Node dependencies stay external (electron-vite 6 default: build.externalizeDeps).
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'src-main/electron/main.ts'),
          // The reconstruction worker (src-main/jobs/worker.ts) as plain JS: out/main/worker.js,
          // which main.ts hands to the WorkbenchService (no tsx in the app).
          worker: resolve(root, 'src-main/jobs/worker.ts')
        }
      }
    }
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // Sandboxed preloads cannot be ES modules, and may require() only `electron`:
      // CommonJS output with everything else bundled in.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [svelte({ configFile: false }), cspMetaPlugin()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      target: rendererTarget,
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') }
      }
    }
  }
})
