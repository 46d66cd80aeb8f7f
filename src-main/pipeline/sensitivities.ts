/** Coil sensitivity estimation for SENSE problems, by name, with a one-line description for reports. */
import type { CArray } from '../engine/complex.ts'
import { espirit } from '../engine/coils/espirit.ts'
import { simpleSensitivities } from '../engine/coils/simple.ts'

export type MapsMethod = 'espirit' | 'simple'

export function estimateSensitivities(kspace: CArray, shape: [number, number, number], method: MapsMethod): { maps: CArray; description: string } {
  if (method === 'espirit') {
    const r = espirit(kspace, shape)
    return { maps: r.maps, description: `ESPIRiT maps (calibration ${r.calibSize.join('×')}, ${r.kernelsKept} kernels)` }
  }
  const r = simpleSensitivities(kspace, shape)
  return { maps: r.maps, description: `low-resolution maps (calibration ${r.calibSize.join('×')})` }
}
