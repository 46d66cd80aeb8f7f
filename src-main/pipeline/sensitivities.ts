/** Coil sensitivity estimation for SENSE problems, by name, with a one-line description for reports. */
import type { CArray } from '../engine/complex.ts'
import { espirit } from '../engine/coils/espirit.ts'
import { simpleSensitivities } from '../engine/coils/simple.ts'

export type MapsMethod = 'espirit' | 'simple'

export function estimateSensitivities(kspace: CArray, shape: [number, number, number], method: MapsMethod): { maps: CArray; description: string } {
  const r = method === 'espirit' ? espirit(kspace, shape) : simpleSensitivities(kspace, shape)
  const description = method === 'espirit'
    ? `ESPIRiT maps (calibration ${r.calibSize.join('×')}, ${(r as ReturnType<typeof espirit>).kernelsKept} kernels)`
    : `low-resolution maps (calibration ${r.calibSize.join('×')})`
  // A calibration region too small for the kernel leaves no pixel above the eigenvalue crop:
  // say so instead of failing later with a zero operator.
  if (!r.maps.re.some((v) => v !== 0) && !r.maps.im.some((v) => v !== 0)) {
    throw new Error(
      `coil sensitivity estimation (${method}) found no usable signal with a ${r.calibSize.join('×')} calibration region; ` +
        'sample a larger fully sampled centre (e.g. --center-fraction 0.15) or use --maps simple'
    )
  }
  return { maps: r.maps, description }
}
