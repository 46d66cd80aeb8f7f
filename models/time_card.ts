// Measures a model's onnxruntime-node forward and VJP time at 256² and writes it into its card:
//   npx tsx models/time_card.ts models/test-tiny.json
// Run with the machine otherwise idle: the card's numbers are what a user of this machine gets.
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { OnnxDenoiser } from '../src-main/models/onnx-denoiser.ts'
import { findModel } from '../src-main/models/registry.ts'
import { timeDenoiser } from '../src-main/models/timing.ts'

const cardPath = resolve(process.argv[2] ?? 'models/test-tiny.json')
const id = cardPath.replace(/^.*[\\/]/, '').replace(/\.json$/, '')
const threads = 2
const d = await OnnxDenoiser.fromEntry(findModel(id, [resolve(cardPath, '..')]), { threads })
const timing = await timeDenoiser(d, 256, 21, threads)
await d.dispose()
const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>
card.timing = timing
writeFileSync(cardPath, JSON.stringify(card, null, 2) + '\n')
console.log(`${id}: forward ${timing.forward_s} s, VJP ${timing.vjp_s} s at ${timing.size}² (${timing.runtime})`)
