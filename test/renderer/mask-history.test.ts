/**
 * The inpainting mask's undo/redo history and painting primitives (src-renderer/src/lib):
 * pure logic, so it is tested here under Node rather than through the UI.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MaskHistory } from '../../src-renderer/src/lib/mask-history.ts'
import { maskFromRgba, maskToRgba, paintDisc, paintRect, paintSegment, resampleNearest } from '../../src-renderer/src/lib/mask-paint.ts'

const ones = (m: Uint8Array): number => m.reduce((n, v) => n + v, 0)

test('commit, undo and redo walk the history in both directions', () => {
  const h = new MaskHistory(4, 3)
  assert.equal(h.canUndo, false)
  assert.equal(h.canRedo, false)
  const a = h.draft()
  a[0] = 1
  a[5] = 1
  assert.equal(h.commit(a), true)
  const b = h.draft()
  b[5] = 0
  b[11] = 1
  assert.equal(h.commit(b), true)
  assert.deepEqual([...h.current], [...b])

  assert.equal(h.undo(), true)
  assert.deepEqual([...h.current], [...a])
  assert.equal(h.undo(), true)
  assert.equal(ones(h.current), 0)
  assert.equal(h.canUndo, false)
  assert.equal(h.undo(), false, 'nothing left to undo')

  assert.equal(h.redo(), true)
  assert.deepEqual([...h.current], [...a])
  assert.equal(h.redo(), true)
  assert.deepEqual([...h.current], [...b])
  assert.equal(h.redo(), false, 'nothing left to redo')
})

test('a new edit after undo discards the redo branch', () => {
  const h = new MaskHistory(2, 2)
  const a = h.draft()
  a[0] = 1
  h.commit(a)
  h.undo()
  assert.equal(h.canRedo, true)
  const c = h.draft()
  c[3] = 1
  h.commit(c)
  assert.equal(h.canRedo, false)
  assert.deepEqual([...h.current], [0, 0, 0, 1])
})

test('a commit that changes nothing records no step; values are normalised to 0/1', () => {
  const h = new MaskHistory(3, 1)
  assert.equal(h.commit(new Uint8Array(3)), false)
  assert.equal(h.canUndo, false)
  assert.equal(h.commit(Uint8Array.from([255, 0, 7])), true)
  assert.deepEqual([...h.current], [1, 0, 1])
  assert.equal(h.commit(Uint8Array.from([1, 0, 1])), false, 'same mask after normalising')
})

test('drafts are copies: painting a stroke does not touch the mask until committed', () => {
  const h = new MaskHistory(2, 2)
  const d = h.draft()
  d[1] = 1
  assert.equal(ones(h.current), 0)
  h.commit(d)
  d[2] = 1
  assert.deepEqual([...h.current], [0, 1, 0, 0])
})

test('clear is undoable and count() follows', () => {
  const h = new MaskHistory(3, 3, { initial: Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0, 1]) })
  assert.equal(h.count(), 4)
  assert.equal(h.clear(), true)
  assert.equal(h.count(), 0)
  assert.equal(h.clear(), false, 'already empty')
  h.undo()
  assert.equal(h.count(), 4)
})

test('the history keeps at most `limit` steps, dropping the oldest', () => {
  const h = new MaskHistory(5, 1, { limit: 3 })
  for (let i = 0; i < 5; i++) {
    const d = h.draft()
    d[i] = 1
    h.commit(d)
  }
  let undone = 0
  while (h.undo()) undone++
  assert.equal(undone, 3)
  assert.deepEqual([...h.current], [1, 1, 0, 0, 0], 'the two oldest steps can no longer be undone')
})

test('wrong sizes are refused with a message naming both sizes', () => {
  assert.throws(() => new MaskHistory(0, 4), /positive integers/)
  const h = new MaskHistory(4, 4)
  assert.throws(() => h.commit(new Uint8Array(15)), /15 pixels; expected 4×4 = 16/)
})

test('a disc covers the pixels whose centres lie inside it, clipped at the border', () => {
  const m = new Uint8Array(7 * 7)
  paintDisc(m, 7, 7, 3.5, 3.5, 3, 1)
  // Radius 1.5 around the centre of pixel (3,3): the 3×3 block minus nothing (corners at √2 < 1.5).
  assert.equal(ones(m), 9)
  assert.equal(m[3 * 7 + 3], 1)
  const e = new Uint8Array(4 * 4)
  paintDisc(e, 4, 4, 0.2, 0.2, 6, 1)
  assert.ok(ones(e) > 0 && ones(e) < 16)
  assert.equal(e[0], 1)
})

test('a 1-pixel brush always hits the pixel under the cursor', () => {
  const m = new Uint8Array(5 * 5)
  paintDisc(m, 5, 5, 2.95, 1.05, 1, 1)
  assert.equal(m[1 * 5 + 2], 1)
})

test('segments leave no gaps; the eraser writes zeros', () => {
  const m = new Uint8Array(20 * 5)
  paintSegment(m, 20, 5, 0.5, 2.5, 19.5, 2.5, 1, 1)
  for (let x = 0; x < 20; x++) assert.equal(m[2 * 20 + x], 1, `pixel ${x} of the line`)
  paintSegment(m, 20, 5, 5.5, 2.5, 9.5, 2.5, 1, 0)
  assert.equal(ones(m), 15)
})

test('rectangles include both corner pixels in any drag direction', () => {
  const m = new Uint8Array(6 * 6)
  paintRect(m, 6, 6, 4.2, 3.9, 1.7, 1.1, 1)
  assert.equal(ones(m), 4 * 3)
  assert.equal(m[1 * 6 + 1], 1)
  assert.equal(m[3 * 6 + 4], 1)
  assert.equal(m[0], 0)
})

test('PNG pixels: white = missing, round trip through RGBA, nearest resampling', () => {
  const mask = Uint8Array.from([1, 0, 0, 1])
  const rgba = maskToRgba(mask)
  assert.deepEqual([...maskFromRgba(rgba, 2, 2)], [1, 0, 0, 1])
  // Transparent white is not missing; mid grey rounds by luminance.
  const odd = Uint8ClampedArray.from([255, 255, 255, 0, 140, 140, 140, 255, 100, 100, 100, 255])
  assert.deepEqual([...maskFromRgba(odd, 3, 1)], [0, 1, 0])
  assert.deepEqual([...resampleNearest(mask, 2, 2, 4, 4)], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1])
})
