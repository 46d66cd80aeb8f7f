/**
 * Sequential Huffman DCT JPEG decoder (ISO 10918-1 processes 1, 2 and 4): 8- and 12-bit
 * precision, 1–4 components, any sampling factors, restart intervals, interleaved and
 * non-interleaved scans.
 *
 * It exists for 12-bit JPEG Extended (1.2.840.10008.1.2.4.51, common for CT/MR/NM), which the
 * libjpeg-turbo 8-bit WASM build refuses ("Unsupported JPEG data precision 12"); 8-bit streams
 * go to libjpeg-turbo. The inverse DCT is IJG libjpeg 6b's integer "islow" algorithm
 * (jidctint.c) reproduced operation for operation, so that output matches what GDCM and DCMTK
 * (both built on IJG 6b) produce for the same stream. Subsampled components are upsampled by
 * replication (libjpeg's "fancy" upsampling is not reproduced) and no colour conversion is done:
 * the caller converts according to the DICOM Photometric Interpretation.
 *
 * Corrupt data never makes this loop longer than the frame size implies: entropy decoding reads
 * zeros past the end of the data (as libjpeg does), and the number of blocks comes from the
 * already-validated frame header.
 */

export interface DctDecoded {
  width: number
  height: number
  components: number
  precision: number
  /** Samples, pixel-interleaved, width × height × components. */
  data: Uint16Array
}

// prettier-ignore
const ZIGZAG = new Int32Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63
])

interface Huffman {
  /** Largest code of each length (index 1..16), -1 when none. */
  maxcode: Int32Array
  valptr: Int32Array
  mincode: Int32Array
  values: Uint8Array
}

interface Component {
  id: number
  h: number
  v: number
  tq: number
  /** Plane of samples, blocksPerLine*8 wide. */
  plane: Int32Array
  blocksPerLine: number
  blocksPerColumn: number
  /** Blocks actually covering the component (non-interleaved scans visit only these). */
  usedBlocksX: number
  usedBlocksY: number
  pred: number
  dcTable: number
  acTable: number
}

export function decodeDctJpeg(data: Uint8Array, maxSamples: number): DctDecoded {
  const r = new Reader(data)
  if (r.u16() !== 0xffd8) throw new Error('not a JPEG stream (no SOI marker)')
  const qt: (Int32Array | undefined)[] = []
  const dc: (Huffman | undefined)[] = []
  const ac: (Huffman | undefined)[] = []
  let restartInterval = 0
  let frame: { precision: number; width: number; height: number; comps: Component[]; hmax: number; vmax: number; mcusX: number; mcusY: number } | null = null
  let scans = 0

  for (;;) {
    const marker = r.nextMarker()
    if (marker === -1 || marker === 0xd9) break
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue
    const len = r.u16()
    if (len < 2 || r.pos + len - 2 > data.length) throw new Error(`JPEG marker 0xFF${marker.toString(16).toUpperCase()} runs past the end of the data`)
    const end = r.pos + len - 2
    switch (marker) {
      case 0xdb: // DQT
        while (r.pos < end) {
          const pq = data[r.pos] >> 4
          const tq = data[r.pos] & 15
          r.pos++
          if (tq > 3 || pq > 1) throw new Error('invalid JPEG quantisation table')
          const t = new Int32Array(64)
          for (let k = 0; k < 64; k++) t[ZIGZAG[k]] = pq ? r.u16() : data[r.pos++]
          if (r.pos > end) throw new Error('JPEG quantisation table truncated')
          qt[tq] = t
        }
        break
      case 0xc4: // DHT
        while (r.pos < end) {
          const tc = data[r.pos] >> 4
          const th = data[r.pos] & 15
          r.pos++
          if (tc > 1 || th > 3 || r.pos + 16 > end) throw new Error('invalid JPEG Huffman table')
          const counts = data.subarray(r.pos, r.pos + 16)
          r.pos += 16
          let total = 0
          for (let i = 0; i < 16; i++) total += counts[i]
          if (total > 256 || r.pos + total > end) throw new Error('invalid JPEG Huffman table')
          const table = buildHuffman(counts, data.subarray(r.pos, r.pos + total))
          r.pos += total
          if (tc === 0) dc[th] = table
          else ac[th] = table
        }
        break
      case 0xdd: // DRI
        restartInterval = r.u16()
        break
      case 0xc0:
      case 0xc1: {
        if (frame) throw new Error('JPEG stream has more than one frame header')
        const precision = data[r.pos]
        const height = (data[r.pos + 1] << 8) | data[r.pos + 2]
        const width = (data[r.pos + 3] << 8) | data[r.pos + 4]
        const nc = data[r.pos + 5]
        if (precision !== 8 && precision !== 12) throw new Error(`JPEG DCT precision ${precision} is not 8 or 12`)
        if (width === 0 || height === 0 || nc === 0 || nc > 4 || len !== 8 + 3 * nc) throw new Error('invalid JPEG frame header')
        if (width * height * nc > maxSamples) throw new Error(`JPEG frame ${width}×${height}×${nc} is larger than expected`)
        const comps: Component[] = []
        for (let i = 0; i < nc; i++) {
          const o = r.pos + 6 + 3 * i
          const h = data[o + 1] >> 4
          const v = data[o + 1] & 15
          if (h < 1 || h > 4 || v < 1 || v > 4) throw new Error('invalid JPEG sampling factors')
          comps.push({ id: data[o], h, v, tq: data[o + 2] & 3, plane: new Int32Array(0), blocksPerLine: 0, blocksPerColumn: 0, usedBlocksX: 0, usedBlocksY: 0, pred: 0, dcTable: 0, acTable: 0 })
        }
        const hmax = Math.max(...comps.map((c) => c.h))
        const vmax = Math.max(...comps.map((c) => c.v))
        const mcusX = Math.ceil(width / (8 * hmax))
        const mcusY = Math.ceil(height / (8 * vmax))
        for (const c of comps) {
          c.blocksPerLine = mcusX * c.h
          c.blocksPerColumn = mcusY * c.v
          c.usedBlocksX = Math.ceil(Math.ceil((width * c.h) / hmax) / 8)
          c.usedBlocksY = Math.ceil(Math.ceil((height * c.v) / vmax) / 8)
          c.plane = new Int32Array(c.blocksPerLine * 8 * c.blocksPerColumn * 8)
        }
        frame = { precision, width, height, comps, hmax, vmax, mcusX, mcusY }
        break
      }
      case 0xc2:
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new Error(`JPEG process with SOF marker 0xFF${marker.toString(16).toUpperCase()} (progressive, lossless, hierarchical or arithmetic) is not supported for this precision`)
      case 0xda: {
        if (!frame) throw new Error('JPEG scan before frame header')
        const ns = data[r.pos]
        if (ns < 1 || ns > 4 || len !== 6 + 2 * ns) throw new Error('invalid JPEG scan header')
        const scomps: Component[] = []
        for (let i = 0; i < ns; i++) {
          const id = data[r.pos + 1 + 2 * i]
          const t = data[r.pos + 2 + 2 * i]
          const c = frame.comps.find((x) => x.id === id)
          if (!c) throw new Error(`JPEG scan refers to unknown component ${id}`)
          c.dcTable = t >> 4
          c.acTable = t & 15
          if (c.dcTable > 3 || c.acTable > 3 || !dc[c.dcTable] || !ac[c.acTable]) throw new Error('JPEG scan uses an undefined Huffman table')
          if (!qt[c.tq]) throw new Error('JPEG component uses an undefined quantisation table')
          scomps.push(c)
        }
        r.pos = end
        decodeScan(r, frame, scomps, dc, ac, qt, restartInterval)
        scans++
        continue
      }
      default:
        // APPn, COM, DNL… carry nothing we need.
        break
    }
    r.pos = end
  }
  if (!frame || scans === 0) throw new Error('JPEG stream has no image scan')
  return output(frame)
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1)
  const valptr = new Int32Array(17)
  const mincode = new Int32Array(17)
  let code = 0
  let k = 0
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1]
    if (n) {
      valptr[l] = k
      mincode[l] = code
      code += n
      k += n
      maxcode[l] = code - 1
    }
    // A code set that overflows its length is corrupt; decoding would misread everything.
    if (code > 1 << l) throw new Error('invalid JPEG Huffman table (over-subscribed)')
    code <<= 1
  }
  maxcode[17] = 0x7fffffff
  return { maxcode, valptr, mincode, values: values.slice() }
}

class Reader {
  pos = 0
  private bits = 0
  private nbits = 0
  /** Set when a marker was hit inside entropy-coded data: from then on zeros are supplied. */
  markerHit = false
  constructor(readonly data: Uint8Array) {}

  u16(): number {
    if (this.pos + 2 > this.data.length) throw new Error('JPEG data truncated')
    const v = (this.data[this.pos] << 8) | this.data[this.pos + 1]
    this.pos += 2
    return v
  }

  /** The next marker code (skipping fill bytes and anything that is not a marker), or -1 at the end. */
  nextMarker(): number {
    const d = this.data
    while (this.pos + 1 < d.length) {
      if (d[this.pos] === 0xff && d[this.pos + 1] !== 0 && d[this.pos + 1] !== 0xff) {
        const m = d[this.pos + 1]
        this.pos += 2
        return m
      }
      this.pos++
    }
    this.pos = d.length
    return -1
  }

  resetBits(): void {
    this.bits = 0
    this.nbits = 0
    this.markerHit = false
  }

  bit(): number {
    if (this.nbits === 0) {
      let b = 0
      const d = this.data
      if (!this.markerHit && this.pos < d.length) {
        b = d[this.pos]
        if (b === 0xff) {
          const next = this.pos + 1 < d.length ? d[this.pos + 1] : 0xd9
          if (next === 0) {
            this.pos += 2
          } else {
            // A marker inside the entropy-coded data: stop here, feed zeros like libjpeg.
            this.markerHit = true
            b = 0
          }
        } else {
          this.pos++
        }
      }
      this.bits = b
      this.nbits = 8
    }
    this.nbits--
    return (this.bits >> this.nbits) & 1
  }

  receive(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit()
    return v
  }

  decode(t: Huffman): number {
    let code = this.bit()
    let l = 1
    while (code > t.maxcode[l]) {
      code = (code << 1) | this.bit()
      l++
      if (l > 16) return 0 // corrupt code: libjpeg also yields 0 and carries on
    }
    const idx = t.valptr[l] + code - t.mincode[l]
    return idx < t.values.length ? t.values[idx] : 0
  }

  /** After a restart interval: drop to the byte boundary and consume an RSTn marker if present. */
  restart(): void {
    this.resetBits()
    const d = this.data
    while (this.pos + 1 < d.length && !(d[this.pos] === 0xff && d[this.pos + 1] >= 0xd0 && d[this.pos + 1] <= 0xd7)) {
      if (d[this.pos] === 0xff && d[this.pos + 1] !== 0 && d[this.pos + 1] !== 0xff) return // another marker: leave it
      this.pos++
    }
    if (this.pos + 1 < d.length) this.pos += 2
  }
}

function extend(v: number, s: number): number {
  return s === 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v
}

function decodeScan(
  r: Reader,
  frame: { precision: number; comps: Component[]; mcusX: number; mcusY: number },
  scomps: Component[],
  dc: (Huffman | undefined)[],
  ac: (Huffman | undefined)[],
  qt: (Int32Array | undefined)[],
  restartInterval: number
): void {
  r.resetBits()
  for (const c of scomps) c.pred = 0
  const coef = new Int32Array(64)
  const ws = new Int32Array(64)
  const single = scomps.length === 1
  const total = single ? scomps[0].usedBlocksX * scomps[0].usedBlocksY : frame.mcusX * frame.mcusY
  const precision = frame.precision

  const block = (c: Component, by: number, bx: number): void => {
    coef.fill(0)
    const dct = dc[c.dcTable]!
    const act = ac[c.acTable]!
    const t = r.decode(dct)
    c.pred += extend(r.receive(t), t)
    coef[0] = c.pred
    for (let k = 1; k < 64; ) {
      const rs = r.decode(act)
      const s = rs & 15
      const run = rs >> 4
      if (s === 0) {
        if (run !== 15) break
        k += 16
        continue
      }
      k += run
      if (k > 63) break
      coef[ZIGZAG[k]] = extend(r.receive(s), s)
      k++
    }
    idctIslow(coef, qt[c.tq]!, ws, c.plane, (by * 8) * c.blocksPerLine * 8 + bx * 8, c.blocksPerLine * 8, precision)
  }

  for (let n = 0; n < total; n++) {
    if (restartInterval && n > 0 && n % restartInterval === 0) {
      r.restart()
      for (const c of scomps) c.pred = 0
    }
    if (single) {
      const c = scomps[0]
      block(c, Math.floor(n / c.usedBlocksX), n % c.usedBlocksX)
    } else {
      const my = Math.floor(n / frame.mcusX)
      const mx = n % frame.mcusX
      for (const c of scomps) {
        for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(c, my * c.v + v, mx * c.h + h)
      }
    }
  }
}

// IJG jidctint.c constants (CONST_BITS = 13).
const CONST_BITS = 13
const FIX_0_298631336 = 2446
const FIX_0_390180644 = 3196
const FIX_0_541196100 = 4433
const FIX_0_765366865 = 6270
const FIX_0_899976223 = 7373
const FIX_1_175875602 = 9633
const FIX_1_501321110 = 12299
const FIX_1_847759065 = 15137
const FIX_1_961570560 = 16069
const FIX_2_053119869 = 16819
const FIX_2_562915447 = 20995
const FIX_3_072711026 = 25172

/** IJG 6b jpeg_idct_islow, including its range-limit table behaviour, writing into `out`. */
function idctIslow(coef: Int32Array, q: Int32Array, ws: Int32Array, out: Int32Array, offset: number, stride: number, precision: number): void {
  const pass1 = precision === 8 ? 2 : 1
  const maxv = (1 << precision) - 1
  const center = 1 << (precision - 1)
  const rangeMask = maxv * 4 + 3
  const shift1 = CONST_BITS - pass1
  const round1 = 1 << (shift1 - 1)
  const shift2 = CONST_BITS + pass1 + 3
  const round2 = 1 << (shift2 - 1)

  for (let c = 0; c < 8; c++) {
    if (coef[8 + c] === 0 && coef[16 + c] === 0 && coef[24 + c] === 0 && coef[32 + c] === 0 && coef[40 + c] === 0 && coef[48 + c] === 0 && coef[56 + c] === 0) {
      const dcval = (coef[c] * q[c]) << pass1
      for (let k = 0; k < 8; k++) ws[8 * k + c] = dcval
      continue
    }
    let z2 = coef[16 + c] * q[16 + c]
    let z3 = coef[48 + c] * q[48 + c]
    let z1 = (z2 + z3) * FIX_0_541196100
    let tmp2 = z1 + z3 * -FIX_1_847759065
    let tmp3 = z1 + z2 * FIX_0_765366865
    z2 = coef[c] * q[c]
    z3 = coef[32 + c] * q[32 + c]
    let tmp0 = (z2 + z3) << CONST_BITS
    let tmp1 = (z2 - z3) << CONST_BITS
    const tmp10 = tmp0 + tmp3
    const tmp13 = tmp0 - tmp3
    const tmp11 = tmp1 + tmp2
    const tmp12 = tmp1 - tmp2

    tmp0 = coef[56 + c] * q[56 + c]
    tmp1 = coef[40 + c] * q[40 + c]
    tmp2 = coef[24 + c] * q[24 + c]
    tmp3 = coef[8 + c] * q[8 + c]
    z1 = tmp0 + tmp3
    z2 = tmp1 + tmp2
    z3 = tmp0 + tmp2
    let z4 = tmp1 + tmp3
    const z5 = (z3 + z4) * FIX_1_175875602
    tmp0 = tmp0 * FIX_0_298631336
    tmp1 = tmp1 * FIX_2_053119869
    tmp2 = tmp2 * FIX_3_072711026
    tmp3 = tmp3 * FIX_1_501321110
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    tmp0 += z1 + z3
    tmp1 += z2 + z4
    tmp2 += z2 + z3
    tmp3 += z1 + z4

    ws[c] = (tmp10 + tmp3 + round1) >> shift1
    ws[56 + c] = (tmp10 - tmp3 + round1) >> shift1
    ws[8 + c] = (tmp11 + tmp2 + round1) >> shift1
    ws[48 + c] = (tmp11 - tmp2 + round1) >> shift1
    ws[16 + c] = (tmp12 + tmp1 + round1) >> shift1
    ws[40 + c] = (tmp12 - tmp1 + round1) >> shift1
    ws[24 + c] = (tmp13 + tmp0 + round1) >> shift1
    ws[32 + c] = (tmp13 - tmp0 + round1) >> shift1
  }

  const limit = (x: number): number => {
    // The post-IDCT range_limit table indexed with "& RANGE_MASK" (jdmaster.c): clamps to
    // [0, MAXJSAMPLE] after re-centring, and wraps for absurdly large values exactly as libjpeg does.
    const idx = x & rangeMask
    if (idx < 2 * (maxv + 1)) return Math.min(idx + center, maxv)
    return Math.max(idx - 4 * (maxv + 1) + center, 0)
  }

  for (let row = 0; row < 8; row++) {
    const w = row * 8
    const o = offset + row * stride
    let z2 = ws[w + 2]
    let z3 = ws[w + 6]
    let z1 = (z2 + z3) * FIX_0_541196100
    let tmp2 = z1 + z3 * -FIX_1_847759065
    let tmp3 = z1 + z2 * FIX_0_765366865
    let tmp0 = (ws[w] + ws[w + 4]) << CONST_BITS
    let tmp1 = (ws[w] - ws[w + 4]) << CONST_BITS
    const tmp10 = tmp0 + tmp3
    const tmp13 = tmp0 - tmp3
    const tmp11 = tmp1 + tmp2
    const tmp12 = tmp1 - tmp2

    tmp0 = ws[w + 7]
    tmp1 = ws[w + 5]
    tmp2 = ws[w + 3]
    tmp3 = ws[w + 1]
    z1 = tmp0 + tmp3
    z2 = tmp1 + tmp2
    z3 = tmp0 + tmp2
    let z4 = tmp1 + tmp3
    const z5 = (z3 + z4) * FIX_1_175875602
    tmp0 = tmp0 * FIX_0_298631336
    tmp1 = tmp1 * FIX_2_053119869
    tmp2 = tmp2 * FIX_3_072711026
    tmp3 = tmp3 * FIX_1_501321110
    z1 = z1 * -FIX_0_899976223
    z2 = z2 * -FIX_2_562915447
    z3 = z3 * -FIX_1_961570560 + z5
    z4 = z4 * -FIX_0_390180644 + z5
    tmp0 += z1 + z3
    tmp1 += z2 + z4
    tmp2 += z2 + z3
    tmp3 += z1 + z4

    out[o] = limit((tmp10 + tmp3 + round2) >> shift2)
    out[o + 7] = limit((tmp10 - tmp3 + round2) >> shift2)
    out[o + 1] = limit((tmp11 + tmp2 + round2) >> shift2)
    out[o + 6] = limit((tmp11 - tmp2 + round2) >> shift2)
    out[o + 2] = limit((tmp12 + tmp1 + round2) >> shift2)
    out[o + 5] = limit((tmp12 - tmp1 + round2) >> shift2)
    out[o + 3] = limit((tmp13 + tmp0 + round2) >> shift2)
    out[o + 4] = limit((tmp13 - tmp0 + round2) >> shift2)
  }
}

function output(frame: { precision: number; width: number; height: number; comps: Component[]; hmax: number; vmax: number }): DctDecoded {
  const { width, height, comps, hmax, vmax } = frame
  const nc = comps.length
  const data = new Uint16Array(width * height * nc)
  for (let ci = 0; ci < nc; ci++) {
    const c = comps[ci]
    const stride = c.blocksPerLine * 8
    const sx = hmax / c.h
    const sy = vmax / c.v
    for (let y = 0; y < height; y++) {
      const row = Math.floor(y / sy) * stride
      let o = y * width * nc + ci
      for (let x = 0; x < width; x++, o += nc) data[o] = c.plane[row + Math.floor(x / sx)]
    }
  }
  return { width, height, components: nc, precision: frame.precision, data }
}
