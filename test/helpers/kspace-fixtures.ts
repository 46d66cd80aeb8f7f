/**
 * Synthetic k-space files written by the real tools (numpy, h5py), laid out exactly as fastMRI
 * and ISMRMRD files are, from a known complex phantom and coil maps normalised so that
 * Σ_c |s_c|² = 1: the root sum of squares of the coil images is then |phantom| exactly, and a
 * loader that misplaces, transposes or mis-centres anything cannot reproduce it.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A python3 that imports `modules` (/usr/bin/python3 first: a pyenv python3 may lack them). */
export function findPython(modules: string): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', `import ${modules}`], { stdio: 'ignore' })
    if (r.status === 0) return exe
  }
  return null
}

export const PY_H5 = findPython('numpy, h5py')
export const NO_H5PY = PY_H5 ? false : 'h5py not available (tried /usr/bin/python3 and python3 with "import numpy, h5py")'
export const PY_NUMPY = findPython('numpy')
export const NO_NUMPY = PY_NUMPY ? false : 'numpy not available (tried /usr/bin/python3 and python3 with "import numpy")'

export const KSPACE_DATA = fileURLToPath(new URL('../../../shared/data/kspace', import.meta.url))
export const TEST_OUTPUT = fileURLToPath(new URL('../../test-output', import.meta.url))

export function tempDir(prefix = 'recon-kspace-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function runPython(exe: string, script: string, args: string[]): string {
  const r = spawnSync(exe, ['-c', script, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}\n${r.stdout}`)
  return r.stdout
}

/** Shared Python: phantom, coil maps, centred orthonormal FFTs (fastMRI's fft2c). */
const PY_COMMON = String.raw`
import sys, json, numpy as np

def fft2c(x):
    return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=(-2, -1)), norm='ortho'), axes=(-2, -1))

def ifft2c(x):
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(x, axes=(-2, -1)), norm='ortho'), axes=(-2, -1))

# Modified Shepp-Logan: (value, a, b, x0, y0, phi in degrees).
ELLIPSES = [(1.0, .69, .92, 0, 0, 0), (-.8, .6624, .874, 0, -.0184, 0), (-.2, .11, .31, .22, 0, -18),
            (-.2, .16, .41, -.22, 0, 18), (.1, .21, .25, 0, .35, 0), (.1, .046, .046, 0, .1, 0),
            (.1, .046, .046, 0, -.1, 0), (.1, .046, .023, -.08, -.605, 0), (.1, .023, .023, 0, -.606, 0),
            (.1, .023, .046, .06, -.605, 0)]

def phantom(H, W, ry, rx, scale=1.0, shift=0.0):
    # The object spans ±ry rows and ±rx columns around the centre (so it can leave room for
    # readout oversampling), with a smooth phase as real MR images have.
    y, x = np.meshgrid((np.arange(H) - H // 2) / ry, (np.arange(W) - W // 2) / rx - shift, indexing='ij')
    img = np.zeros((H, W))
    for v, a, b, x0, y0, phi in ELLIPSES:
        t = np.deg2rad(phi)
        xr = (x - x0) * np.cos(t) + (y - y0) * np.sin(t)
        yr = -(x - x0) * np.sin(t) + (y - y0) * np.cos(t)
        img[(xr / a) ** 2 + (yr / b) ** 2 <= 1] += v
    return scale * img * np.exp(1j * (0.6 * x + 0.3 * y))

def coil_maps(C, H, W):
    y, x = np.meshgrid(np.linspace(-1, 1, H), np.linspace(-1, 1, W), indexing='ij')
    maps = []
    for c in range(C):
        a = 2 * np.pi * c / C
        g = np.exp(-((x - 1.2 * np.cos(a)) ** 2 + (y - 1.2 * np.sin(a)) ** 2) / 1.5)
        maps.append(g * np.exp(1j * (a + 0.4 * x)))
    maps = np.array(maps)
    return maps / np.sqrt((np.abs(maps) ** 2).sum(0))

def crop(x, h, w):
    H, W = x.shape[-2:]
    r0, c0 = (H - h) // 2, (W - w) // 2
    return x[..., r0:r0 + h, c0:c0 + w]
`

const PY_FASTMRI = PY_COMMON + String.raw`
import h5py
out = sys.argv[1]
S, C, H, W, RH, RW = 3, 4, 64, 40, 32, 32

def header():
    return ('''<?xml version="1.0" encoding="utf-8"?>
<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.ismrm.org/ISMRMRD ismrmrd.xsd">
  <studyInformation><studyTime>10:12:31</studyTime></studyInformation>
  <measurementInformation><measurementID>45093_41230234_41230243_1224</measurementID><patientPosition>HFS</patientPosition><protocolName>AXT2</protocolName><frameOfReferenceUID>1.3.12.2.1107.5.2.18.41185.1.20181009100833312.0.0.0</frameOfReferenceUID></measurementInformation>
  <acquisitionSystemInformation><systemVendor>SIEMENS</systemVendor><systemModel>Skyra</systemModel><systemFieldStrength_T>2.89362</systemFieldStrength_T><relativeReceiverNoiseBandwidth>0.793</relativeReceiverNoiseBandwidth><receiverChannels>%d</receiverChannels><institutionName>NYU</institutionName></acquisitionSystemInformation>
  <experimentalConditions><H1resonanceFrequency_Hz>123250000</H1resonanceFrequency_Hz></experimentalConditions>
  <encoding>
    <encodedSpace><matrixSize><x>%d</x><y>%d</y><z>1</z></matrixSize><fieldOfView_mm><x>440</x><y>220</y><z>5</z></fieldOfView_mm></encodedSpace>
    <reconSpace><matrixSize><x>%d</x><y>%d</y><z>1</z></matrixSize><fieldOfView_mm><x>220</x><y>220</y><z>5</z></fieldOfView_mm></reconSpace>
    <trajectory>cartesian</trajectory>
    <encodingLimits>
      <kspace_encoding_step_1><minimum>0</minimum><maximum>%d</maximum><center>%d</center></kspace_encoding_step_1>
      <kspace_encoding_step_2><minimum>0</minimum><maximum>0</maximum><center>0</center></kspace_encoding_step_2>
      <slice><minimum>0</minimum><maximum>%d</maximum><center>0</center></slice>
    </encodingLimits>
    <parallelImaging><accelerationFactor><kspace_encoding_step_1>1</kspace_encoding_step_1><kspace_encoding_step_2>1</kspace_encoding_step_2></accelerationFactor><calibrationMode>other</calibrationMode></parallelImaging>
  </encoding>
  <sequenceParameters><TR>6000</TR><TE>113</TE><TI>100</TI><flipAngle_deg>150</flipAngle_deg><sequence_type>TurboSpinEcho</sequence_type><echo_spacing>11.3</echo_spacing></sequenceParameters>
</ismrmrdHeader>''' % (C, H, W, RH, RW, W - 1, W // 2, S - 1))

# Each slice: the phantom inside the central half of the readout (2x oversampling).
imgs = np.array([phantom(H, W, H / 4, W / 2.4, 1 + 0.25 * s, 0.05 * s) for s in range(S)])
maps = coil_maps(C, H, W)
ksp = fft2c(imgs[:, None] * maps[None]).astype(np.complex64)
np.save(out + '/phantom.npy', np.abs(imgs).astype(np.float64))

def rss_ref(k):
    return crop(np.sqrt((np.abs(ifft2c(k.astype(np.complex128))) ** 2).sum(1)), RH, RW).astype(np.float32)

def write(name, k, multicoil=True, mask=None, fixed_header=False):
    with h5py.File(out + '/' + name, 'w') as f:
        f.create_dataset('kspace', data=k if multicoil else k[:, 0])
        ref = rss_ref(k) if multicoil else crop(np.abs(ifft2c(k[:, 0].astype(np.complex128))), RH, RW).astype(np.float32)
        if mask is None:  # like the real test/challenge files, masked ones carry no reference
            f.create_dataset('reconstruction_rss' if multicoil else 'reconstruction_esc', data=ref)
        xml = header().encode()
        f.create_dataset('ismrmrd_header', data=np.bytes_(xml) if fixed_header else xml)
        f.attrs['acquisition'] = 'AXT2' if multicoil else 'CORPD_FBK'
        f.attrs['max'] = float(ref.max())
        f.attrs['norm'] = float(np.linalg.norm(ref))
        f.attrs['patient_id'] = 'c3f1a8e0d2b64c1f9e7a5b3d1f0e2c4a6b8d0f1e3a5c7e9b2d4f6a8c0e1b3d5'
        if mask is not None:
            f.create_dataset('mask', data=mask)
            f.attrs['acceleration'] = 4
            f.attrs['num_low_frequency'] = int(mask[W // 2 - 3:W // 2 + 3].sum())

write('multicoil_full.h5', ksp)
# fastMRI-style equispaced mask: every 4th column plus the 6 central ones.
mask = np.zeros(W, dtype=bool)
mask[::4] = True
mask[W // 2 - 3:W // 2 + 3] = True
write('multicoil_r4.h5', ksp * mask[None, None, None, :], mask=mask, fixed_header=True)
write('singlecoil_full.h5', ksp, multicoil=False)
print(json.dumps({'maskColumns': int(mask.sum()), 'W': W}))
`

const PY_ISMRMRD = PY_COMMON + String.raw`
import h5py
out = sys.argv[1]
S, C, NY, NX, RX = 2, 4, 48, 64, 32

# The complete AcquisitionHeader of ismrmrd-python's hdf5.py (ISMRMRD 1.x), field for field.
counters = np.dtype([('kspace_encode_step_1', '<u2'), ('kspace_encode_step_2', '<u2'), ('average', '<u2'),
    ('slice', '<u2'), ('contrast', '<u2'), ('phase', '<u2'), ('repetition', '<u2'), ('set', '<u2'),
    ('segment', '<u2'), ('user', '<u2', (8,))])
acq_header = np.dtype([('version', '<u2'), ('flags', '<u8'), ('measurement_uid', '<u4'), ('scan_counter', '<u4'),
    ('acquisition_time_stamp', '<u4'), ('physiology_time_stamp', '<u4', (3,)), ('number_of_samples', '<u2'),
    ('available_channels', '<u2'), ('active_channels', '<u2'), ('channel_mask', '<u8', (16,)),
    ('discard_pre', '<u2'), ('discard_post', '<u2'), ('center_sample', '<u2'), ('encoding_space_ref', '<u2'),
    ('trajectory_dimensions', '<u2'), ('sample_time_us', '<f4'), ('position', '<f4', (3,)), ('read_dir', '<f4', (3,)),
    ('phase_dir', '<f4', (3,)), ('slice_dir', '<f4', (3,)), ('patient_table_position', '<f4', (3,)),
    ('idx', counters), ('user_int', '<i4', (8,)), ('user_float', '<f4', (8,))])
acq_dtype = np.dtype([('head', acq_header), ('traj', h5py.vlen_dtype(np.dtype('float32'))),
    ('data', h5py.vlen_dtype(np.dtype('float32')))])

def flag(n):
    return 1 << (n - 1)

NOISE, FIRST_IN_SLICE, LAST_IN_SLICE = 19, 7, 8

def xml(center1, max1):
    return '''<?xml version="1.0"?>
<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD">
  <subjectInformation><patientName>phantom</patientName></subjectInformation>
  <measurementInformation><protocolName>gre_2d</protocolName><patientPosition>HFS</patientPosition></measurementInformation>
  <acquisitionSystemInformation><systemVendor>Synthetic &amp; Co</systemVendor><systemModel>Simulator</systemModel><systemFieldStrength_T>3.0</systemFieldStrength_T><receiverChannels>%d</receiverChannels></acquisitionSystemInformation>
  <experimentalConditions><H1resonanceFrequency_Hz>127000000</H1resonanceFrequency_Hz></experimentalConditions>
  <encoding>
    <encodedSpace><matrixSize><x>%d</x><y>%d</y><z>1</z></matrixSize><fieldOfView_mm><x>512</x><y>192</y><z>5</z></fieldOfView_mm></encodedSpace>
    <reconSpace><matrixSize><x>%d</x><y>%d</y><z>1</z></matrixSize><fieldOfView_mm><x>256</x><y>192</y><z>5</z></fieldOfView_mm></reconSpace>
    <encodingLimits>
      <kspace_encoding_step_1><minimum>0</minimum><maximum>%d</maximum><center>%d</center></kspace_encoding_step_1>
      <kspace_encoding_step_2><minimum>0</minimum><maximum>0</maximum><center>0</center></kspace_encoding_step_2>
      <slice><minimum>0</minimum><maximum>%d</maximum><center>0</center></slice>
      <average><minimum>0</minimum><maximum>1</maximum><center>0</center></average>
    </encodingLimits>
    <trajectory>cartesian</trajectory>
  </encoding>
  <sequenceParameters><TR>250</TR><TE>4.5</TE><flipAngle_deg>15</flipAngle_deg></sequenceParameters>
</ismrmrdHeader>''' % (C, NX, NY, RX, NY, max1, center1, S - 1)

# Image rows = y (phase encoding), columns = x (readout, 2x oversampled: object in the middle half).
imgs = np.array([phantom(NY, NX, NY / 2.4, NX / 4, 1 + 0.5 * s) for s in range(S)])
maps = coil_maps(C, NY, NX)
ksp = fft2c(imgs[:, None] * maps[None]).astype(np.complex64)  # (S, C, NY, NX)
np.save(out + '/phantom.npy', np.abs(imgs).astype(np.float64))

def write(name, lines, center1, max1, step_offset=0):
    # (slice, ky, average) of every imaging readout; the centre line twice, as averages.
    readouts = [(s, ky, avg) for s in range(S) for ky in lines for avg in ([0, 1] if ky == NY // 2 else [0])]
    acqs = np.zeros(1 + len(readouts), dtype=acq_dtype)
    h = acqs['head']  # field-first indexing gives writable views
    h['version'] = 1
    h['active_channels'] = C
    h['available_channels'] = C
    # Readout 0: a noise scan, with a different length, which must be skipped.
    h['flags'][0] = flag(NOISE)
    h['number_of_samples'][0] = 2 * NX
    acqs['data'][0] = (np.random.default_rng(1).standard_normal(C * 2 * NX * 2) * 1e-3).astype(np.float32)
    for n, (s, ky, avg) in enumerate(readouts, start=1):
        first = ky == lines[0] and avg == 0
        last = ky == lines[-1]
        h['flags'][n] = (flag(FIRST_IN_SLICE) if first else 0) | (flag(LAST_IN_SLICE) if last else 0)
        h['scan_counter'][n] = n
        h['number_of_samples'][n] = NX
        h['channel_mask'][n, 0] = (1 << C) - 1
        h['center_sample'][n] = NX // 2
        h['sample_time_us'][n] = 7.5
        h['read_dir'][n] = (1, 0, 0)
        h['phase_dir'][n] = (0, 1, 0)
        h['slice_dir'][n] = (0, 0, 1)
        h['position'][n] = (0, 0, 5.0 * s)
        h['idx']['kspace_encode_step_1'][n] = ky + step_offset
        h['idx']['slice'][n] = s
        h['idx']['average'][n] = avg
        # (channels, samples) complex64, stored as interleaved float32.
        acqs['data'][n] = np.ascontiguousarray(ksp[s, :, ky, :]).view(np.float32).ravel()
    for n in range(len(acqs)):
        acqs['traj'][n] = np.zeros(0, np.float32)
    with h5py.File(out + '/' + name, 'w') as f:
        g = f.create_group('dataset')
        x = g.create_dataset('xml', (1,), dtype=h5py.string_dtype())
        x[0] = xml(center1, max1)
        d = g.create_dataset('data', (len(acqs),), maxshape=(None,), dtype=acq_dtype, chunks=True)
        d[...] = acqs

write('full.h5', list(range(NY)), NY // 2, NY - 1)
# Partial Fourier (first 4 lines never acquired, counters start at 0 so the centre is 20) and
# every 3rd line outside 8 central ones.
kept = [ky for ky in range(4, NY) if ky % 3 == 0 or abs(ky - NY // 2) < 4]
write('undersampled.h5', kept, NY // 2 - 4, NY - 1 - 4, step_offset=-4)
print(json.dumps({'kept': len(kept), 'NY': NY}))
`

export interface FastMriFixture {
  dir: string
  maskColumns: number
  W: number
}

export function makeFastMriFiles(): FastMriFixture {
  const dir = tempDir('recon-fastmri-')
  const info = JSON.parse(runPython(PY_H5!, PY_FASTMRI, [dir]))
  return { dir, maskColumns: info.maskColumns, W: info.W }
}

export interface IsmrmrdFixture {
  dir: string
  kept: number
  NY: number
}

export function makeIsmrmrdFiles(): IsmrmrdFixture {
  const dir = tempDir('recon-ismrmrd-')
  const info = JSON.parse(runPython(PY_H5!, PY_ISMRMRD, [dir]))
  return { dir, kept: info.kept, NY: info.NY }
}
