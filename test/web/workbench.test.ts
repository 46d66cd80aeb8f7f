/**
 * Browser mode over the real WorkbenchService: the bridge script (as the renderer runs it)
 * uploads a PNG, views a slice, previews a measurement, runs a zero-filled reconstruction with
 * its events, and gets the run back — the whole path from window.recon to the engine.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import type { ReconApi, RunEvent } from '../../src-main/api/contract.ts'
import { WorkbenchService } from '../../src-main/services/workbench.ts'
import { startWebServer, type WebServer } from '../../src-main/web/server.ts'

let dir: string
let services: WorkbenchService
let server: WebServer
let recon: ReconApi

/** A minimal EventSource over node:http for the bridge (Node 20 has none). */
class NodeEventSource {
  static readonly CLOSED = 2
  readyState = 0
  onopen: (() => void) | null = null
  onmessage: ((m: { data: string; lastEventId: string }) => void) | null = null
  onerror: (() => void) | null = null
  constructor(url: string) {
    const req = request(new URL(url, `http://127.0.0.1:${server.port}`), { headers: { 'X-Recon-Token': server.token } }, (res) => {
      this.readyState = 1
      this.onopen?.()
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
          const id = block.split('\n').find((l) => l.startsWith('id: '))
          if (data.length) this.onmessage?.({ data: data.join('\n'), lastEventId: id ? id.slice(4) : '' })
        }
      })
      res.on('end', () => {
        this.readyState = 2
        this.onerror?.()
      })
    })
    req.on('error', () => {
      this.readyState = 2
      this.onerror?.()
    })
    req.end()
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'recon-web-wb-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>')
  services = new WorkbenchService({ dataDir: join(dir, 'data'), workers: 1, exportDefaultFolder: join(dir, 'exports') })
  server = await startWebServer({ services, rendererDir: renderer, log: () => {} })
  const js = await (await fetch(`http://127.0.0.1:${server.port}/bridge.js`, { headers: { 'X-Recon-Token': server.token } })).text()
  const window: Record<string, unknown> = {}
  const fakeFetch = (url: string, init: RequestInit): Promise<Response> =>
    fetch(new URL(url, `http://127.0.0.1:${server.port}`), { ...init, headers: { ...(init.headers as Record<string, string>), 'X-Recon-Token': server.token } })
  const unrefTimeout = (fn: () => void, ms: number): NodeJS.Timeout => setTimeout(fn, ms).unref()
  new Function('window', 'fetch', 'EventSource', 'setTimeout', js)(window, fakeFetch, NodeEventSource, unrefTimeout)
  recon = window.recon as ReconApi
})

after(async () => {
  await services.dispose()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

function phantomPng(size: number): Uint8Array {
  const png = new PNG({ width: size, height: size })
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - size / 2, y - size / 2)
      const v = r < size * 0.35 ? (r < size * 0.15 ? 230 : 140) : 10
      const i = 4 * (y * size + x)
      png.data[i] = png.data[i + 1] = png.data[i + 2] = v
      png.data[i + 3] = 255
    }
  }
  return new Uint8Array(PNG.sync.write(png))
}

test('window.recon over HTTP drives the real services: upload, slice, preview, run with events, getRun', { timeout: 60000 }, async () => {
  const info = await recon.info()
  assert.equal(info.shell, 'browser')

  const scan = await recon.openFiles([{ name: 'phantom.png', bytes: phantomPng(32) }])
  assert.equal(scan.name, 'phantom.png')
  assert.equal(scan.series.length, 1)
  assert.equal(scan.series[0].width, 32)

  const view = await recon.slice({ scanId: scan.id, series: 0 })
  assert.ok(view.magnitude.data instanceof Float32Array)
  assert.equal(view.magnitude.data.length, 32 * 32)
  assert.ok(view.kspaceLog.data instanceof Float32Array)

  const setup = { scanId: scan.id, series: 0, task: 'mri', pattern: 'poisson', acceleration: 3, seed: 1, noise: 0, blurSigma: 1, factor: 2, coils: 1, maps: 'espirit' } as const
  const preview = await recon.previewMeasurement({ ...setup })
  assert.equal(preview.maskMeaning, 'sampled')
  assert.ok(preview.zeroFilled.data instanceof Float32Array)
  assert.ok(preview.effectiveAcceleration !== null && preview.effectiveAcceleration > 1)

  const events: RunEvent[] = []
  let done!: () => void
  const finished = new Promise<void>((r) => (done = r))
  const off = recon.onEvent((e) => {
    events.push(e)
    if (e.type === 'run-finished') done()
  })
  await new Promise((r) => setTimeout(r, 200)) // the event stream connects
  const { runId } = await recon.startRun({
    setup: { ...setup },
    settings: { methods: [], lambda: 0.003, iterations: 10, innerIterations: 5, tolerance: 1e-3, dps: { steps: 10, samples: 1 }, mc: { steps: 10, samples: 1, lambdaMc: 1, mcData: 'clean' } }
  })
  await finished
  off()
  assert.ok(events.some((e) => e.type === 'method-done' && e.runId === runId && e.outcome.name === 'zero-filled'))
  const run = await recon.getRun(runId)
  assert.equal(run.state, 'done')
  assert.equal(run.outcomes[0].name, 'zero-filled')
  assert.ok(run.outcomes[0].image.data instanceof Float32Array)
  assert.ok(typeof run.outcomes[0].psnr === 'number' && run.outcomes[0].psnr > 10)

  await assert.rejects(recon.getRun('run-0-deadbeef'), (e: Error & { code?: string }) => e.name === 'ApiError' && e.code === 'not-found')
  await assert.rejects(recon.slice({ scanId: scan.id, series: 5 }), (e: Error & { code?: string }) => e.code === 'bad-request' && /series 5 does not exist/.test(e.message))
})
