/**
 * The inpainting mask on the main viewer: a drag handler for the brush, eraser and rectangle
 * tools, and an overlay drawn in image pixel coordinates after every cornerstone render, so the
 * painted pixels and the image pixels coincide at any zoom and pan.
 */
import type { MaskHistory } from './mask-history.ts'
import { paintRect, paintSegment } from './mask-paint.ts'
import type { PrimaryDrag } from './viewport.ts'

export type Tool = 'brush' | 'eraser' | 'rectangle'

export interface MaskToolHost {
  history(): MaskHistory | null
  tool(): Tool
  brushSize(): number
  /** A stroke is in progress: show `draft` (null when it ends). */
  setDraft(draft: Uint8Array | null): void
  /** The history changed (a stroke was committed). */
  committed(): void
  /** Something to draw changed (draft, cursor). */
  redraw(): void
}

export function maskDrag(host: MaskToolHost): PrimaryDrag & { hover: { x: number; y: number } | null; rect: [number, number, number, number] | null } {
  let draft: Uint8Array | null = null
  let last = { x: 0, y: 0 }
  let start = { x: 0, y: 0 }
  const self = {
    hover: null as { x: number; y: number } | null,
    rect: null as [number, number, number, number] | null,
    start(x: number, y: number): void {
      const h = host.history()
      if (!h) return
      draft = h.draft()
      start = last = { x, y }
      if (host.tool() === 'rectangle') {
        self.rect = [x, y, x, y]
      } else {
        paintSegment(draft, h.width, h.height, x, y, x, y, host.brushSize(), host.tool() === 'eraser' ? 0 : 1)
      }
      host.setDraft(draft)
    },
    move(x: number, y: number): void {
      const h = host.history()
      if (!h || !draft) return
      if (host.tool() === 'rectangle') {
        self.rect = [start.x, start.y, x, y]
        draft = h.draft()
        paintRect(draft, h.width, h.height, start.x, start.y, x, y, 1)
      } else {
        paintSegment(draft, h.width, h.height, last.x, last.y, x, y, host.brushSize(), host.tool() === 'eraser' ? 0 : 1)
      }
      last = { x, y }
      host.setDraft(draft)
    },
    end(x: number, y: number): void {
      const h = host.history()
      if (h && draft) {
        if (host.tool() === 'rectangle') {
          draft = h.draft()
          paintRect(draft, h.width, h.height, start.x, start.y, x, y, 1)
        }
        const changed = h.commit(draft)
        draft = null
        self.rect = null
        host.setDraft(null)
        if (changed) host.committed()
      }
    }
  }
  return self
}

/** RGBA overlay image of a mask: translucent red where pixels are missing. */
export class MaskOverlay {
  private canvas: HTMLCanvasElement = document.createElement('canvas')
  private drawn: Uint8Array | null = null
  private drawnVersion = -1

  /** Re-render the offscreen canvas when the mask (or its version) changed. */
  update(mask: Uint8Array, width: number, height: number, version: number): void {
    if (mask === this.drawn && version === this.drawnVersion && this.canvas.width === width) return
    this.drawn = mask
    this.drawnVersion = version
    this.canvas.width = width
    this.canvas.height = height
    const ctx = this.canvas.getContext('2d')!
    const img = ctx.createImageData(width, height)
    const px = img.data
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue
      px[4 * i] = 255
      px[4 * i + 1] = 60
      px[4 * i + 2] = 60
      px[4 * i + 3] = 140
    }
    ctx.putImageData(img, 0, 0)
  }

  /** Draw in image pixel coordinates (the context is already transformed by cornerstone). */
  draw(ctx: CanvasRenderingContext2D): void {
    ctx.imageSmoothingEnabled = false
    ctx.drawImage(this.canvas, 0, 0)
  }
}
