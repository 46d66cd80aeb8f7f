/**
 * PyTorch reference for the shipped test model, computed at test time: the float64 torch model
 * (models/tiny_unet.py + the card's weights) applied to the reflect-padded input and cropped,
 * with its VJP from torch.autograd.grad — independent of the hand-written backward network and
 * of src-main/models/padding.ts. Null (with the reason) where torch is not installed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findPython, runPython } from '../helpers/python-oracle.ts'
import { builtinModelsDir } from '../../src-main/models/registry.ts'

export interface ReferenceCase {
  name: string
  H: number
  W: number
  sigma: number
  /** top, bottom, left, right: reflect padding applied before the model, cropped after. */
  pad: [number, number, number, number]
  x: Float64Array
  r: Float64Array
}

const SCRIPT = `
import json, os, sys
import numpy as np, torch
import torch.nn.functional as F
models_dir, work = sys.argv[1], sys.argv[2]
sys.dont_write_bytecode = True
sys.path.insert(0, models_dir)
from tiny_unet import TinyUNet, EDMDenoiser
card = json.load(open(os.path.join(models_dir, 'test-tiny.json')))
net = TinyUNet()
net.load_state_dict(torch.load(os.path.join(models_dir, card['training']['pytorch_weights'])))
D = EDMDenoiser(net.double()).eval()
for c in json.load(open(os.path.join(work, 'cases.json'))):
    H, W, (top, bottom, left, right) = c['H'], c['W'], c['pad']
    load = lambda k: torch.from_numpy(np.fromfile(os.path.join(work, c['name'] + '.' + k), dtype='<f8').reshape(1, 1, H, W).copy())
    x, r = load('x').requires_grad_(True), load('r')
    xp = F.pad(x, (left, right, top, bottom), mode='reflect') if any(c['pad']) else x
    d = D(xp, torch.tensor([c['sigma']], dtype=torch.float64))[:, :, top:top + H, left:left + W]
    (g,) = torch.autograd.grad(d, x, r)
    d.detach().numpy().astype('<f8').tofile(os.path.join(work, c['name'] + '.denoised'))
    g.numpy().astype('<f8').tofile(os.path.join(work, c['name'] + '.vjp'))
`

function readF64(path: string): Float64Array {
  const b = readFileSync(path)
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

export type Reference = { denoised: Float64Array; vjp: Float64Array }

/** Reference outputs per case name, or a string saying why there are none. */
export function torchReference(cases: ReferenceCase[]): Map<string, Reference> | string {
  const python = findPython('torch, numpy')
  if (!python) return 'PyTorch not installed for /usr/bin/python3 (apt-get install python3-torch)'
  const work = mkdtempSync(join(tmpdir(), 'recon-torch-ref-'))
  try {
    const meta = cases.map(({ name, H, W, sigma, pad }) => ({ name, H, W, sigma, pad }))
    writeFileSync(join(work, 'cases.json'), JSON.stringify(meta))
    for (const c of cases) {
      writeFileSync(join(work, `${c.name}.x`), new Uint8Array(c.x.buffer, c.x.byteOffset, c.x.byteLength))
      writeFileSync(join(work, `${c.name}.r`), new Uint8Array(c.r.buffer, c.r.byteOffset, c.r.byteLength))
    }
    runPython(python, SCRIPT, [builtinModelsDir(), work])
    return new Map(cases.map((c) => [c.name, { denoised: readF64(join(work, `${c.name}.denoised`)), vjp: readF64(join(work, `${c.name}.vjp`)) }]))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
