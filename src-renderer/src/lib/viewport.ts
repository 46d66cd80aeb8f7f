/**
 * cornerstone-core glue: an image loader for `recon:<key>` that serves ImagePlanes from an
 * in-memory cache (quantised to 16 bits, see quantise.ts), and a controller per viewport that
 * owns the mouse/keyboard interaction (pan, zoom, window/level, slice wheel, a painting hook)
 * and keeps any number of viewports in step through a SyncGroup.
 *
 * Interaction lives here rather than in cornerstone-tools: the workbench needs five gestures,
 * and owning them makes the synchronisation explicit (a user gesture on one viewport is
 * applied to its group; a programmatic change is not echoed back).
 */
import cornerstone, { type CornerstoneImage, type EnabledElement, type ImageRenderedDetail, type Viewport } from 'cornerstone-core'
import type { ImagePlane } from '../../../src-main/api/contract.ts'
import { quantise } from './quantise.ts'

const SCHEME = 'recon'
/** Cache budget for quantised images (bytes of float input); the newest always stays. */
const CACHE_BYTES = 256 * 1024 * 1024

interface Entry {
  plane: ImagePlane
  window?: Window
  image?: CornerstoneImage
  version: number
}

export interface Window {
  center: number
  width: number
}

const cache = new Map<string, Entry>()
let cachedBytes = 0
let version = 0
let registered = false

function makeImage(imageId: string, e: Entry): CornerstoneImage {
  const q = quantise(e.plane.data)
  const span = q.max - q.min || 1
  const win = e.window ?? { center: (q.min + q.max) / 2, width: span }
  return {
    imageId,
    minPixelValue: q.minStored,
    // The LUT spans [min, max] stored values; at least 1 so a constant image still renders.
    maxPixelValue: Math.max(1, q.maxStored),
    slope: q.slope,
    intercept: q.intercept,
    windowCenter: win.center,
    windowWidth: Math.max(win.width, 1e-12),
    getPixelData: () => q.pixels,
    rows: e.plane.height,
    columns: e.plane.width,
    height: e.plane.height,
    width: e.plane.width,
    color: false,
    rgba: false,
    invert: false,
    columnPixelSpacing: 1,
    rowPixelSpacing: 1,
    sizeInBytes: q.pixels.byteLength,
    stats: {}
  }
}

function ensureLoader(): void {
  if (registered) return
  registered = true
  cornerstone.registerImageLoader(SCHEME, (imageId: string) => {
    const key = imageId.slice(SCHEME.length + 1)
    const e = cache.get(key)
    if (!e) return { promise: Promise.reject(new Error(`image ${key} is no longer in memory`)) }
    e.image ??= makeImage(imageId + '#' + e.version, e)
    return { promise: Promise.resolve(e.image) }
  })
}

/**
 * Put a plane in the cache under `key` (replacing what was there) and return its imageId.
 * `window` is the suggested display window in real units (e.g. the DICOM window).
 */
export function putPlane(key: string, plane: ImagePlane, window?: Window): string {
  ensureLoader()
  const old = cache.get(key)
  if (old) {
    cachedBytes -= old.plane.data.byteLength
    cache.delete(key)
  }
  cache.set(key, { plane, window, version: ++version })
  cachedBytes += plane.data.byteLength
  // Evict oldest-first (Map keeps insertion order; re-put entries move to the end).
  for (const [k, e] of cache) {
    if (cachedBytes <= CACHE_BYTES || k === key) break
    cache.delete(k)
    cachedBytes -= e.plane.data.byteLength
  }
  return `${SCHEME}:${key}`
}

export function planeOf(imageId: string): ImagePlane | undefined {
  return cache.get(imageId.slice(SCHEME.length + 1))?.plane
}

/**
 * The shared part of a view: what a SyncGroup copies between viewports. Zoom is relative to
 * "fit to window" and translation is in image pixels, so viewports of different sizes (a
 * grid while it is being laid out, a resized window) still show the same part of the image.
 */
export interface SharedView {
  /** 1 = the image fits the viewport. */
  zoom: number
  translation: { x: number; y: number }
  voi: { windowWidth: number; windowCenter: number }
  /** Screen pixels per image pixel (readouts only; never copied between viewports). */
  scale: number
}

export interface PrimaryDrag {
  /** Image pixel coordinates (x right, y down; pixel i spans [i, i+1)). */
  start(x: number, y: number, ev: PointerEvent): void
  move(x: number, y: number, ev: PointerEvent): void
  end(x: number, y: number, ev: PointerEvent): void
  /** Brush outline etc. drawn in image pixel coordinates after each render. */
  cursor?: string
}

export interface ControllerOptions {
  /** Plain wheel / arrow keys: step slices (main viewer). Without it the wheel is left alone. */
  onStep?: (direction: 1 | -1) => void
  /** Any change of the view (readouts). */
  onView?: (view: SharedView) => void
  /** Drawn in image pixel coordinates after every render (mask overlay). */
  overlay?: (ctx: CanvasRenderingContext2D, image: CornerstoneImage) => void
  /** Pointer readout in image pixel coordinates (null when outside). */
  onHover?: (p: { x: number; y: number; value: number } | null) => void
}

export class SyncGroup {
  private members = new Set<ViewportController>()

  add(c: ViewportController): () => void {
    this.members.add(c)
    return () => this.members.delete(c)
  }

  /** The view of any member that has one, for newcomers to adopt. */
  current(except?: ViewportController): SharedView | null {
    for (const m of this.members) if (m !== except && m.hasImage) return m.shared()
    return null
  }

  broadcast(from: ViewportController, view: Partial<SharedView>): void {
    for (const m of this.members) if (m !== from) m.apply(view, false)
  }
}

const ZOOM_STEP = 1.25

export class ViewportController {
  private readonly el: HTMLElement
  private readonly opts: ControllerOptions
  private sync: SyncGroup | null = null
  private leaveSync: (() => void) | null = null
  private resizeObs: ResizeObserver
  private lastSize = { w: 0, h: 0 }
  private drag: { mode: 'pan' | 'wl' | 'primary'; x: number; y: number; pointer: number } | null = null
  private range = 1
  private showToken = 0
  primary: PrimaryDrag | null = null
  private smoothing = true
  /** Zoom relative to fit, kept so that a resize keeps the same relative zoom and pan. */
  private rel = 1
  private disposed = false
  private readonly listeners: [string, EventListener, AddEventListenerOptions?][] = []

  constructor(element: HTMLElement, options: ControllerOptions = {}) {
    ensureLoader()
    this.el = element
    this.opts = options
    cornerstone.enable(element)
    this.on('cornerstoneimagerendered', (e) => this.rendered((e as CustomEvent<ImageRenderedDetail>).detail))
    this.on('pointerdown', (e) => this.pointerDown(e as PointerEvent))
    this.on('pointermove', (e) => this.pointerMove(e as PointerEvent))
    this.on('pointerup', (e) => this.pointerUp(e as PointerEvent))
    this.on('pointercancel', (e) => this.pointerUp(e as PointerEvent))
    this.on('pointerleave', () => this.opts.onHover?.(null))
    this.on('contextmenu', (e) => e.preventDefault())
    this.on('wheel', (e) => this.wheel(e as WheelEvent), { passive: false })
    this.on('dblclick', () => this.fit())
    this.on('keydown', (e) => this.key(e as KeyboardEvent))
    this.resizeObs = new ResizeObserver(() => this.resized())
    this.resizeObs.observe(element)
  }

  get element(): HTMLElement {
    return this.el
  }

  get hasImage(): boolean {
    return !this.disposed && cornerstone.getImage(this.el) !== undefined
  }

  /**
   * Join a sync group (null: leave it). A viewport that already shows an image takes the
   * group's view (zoom relative to fit, pan, W/L) on joining: views linked again after being
   * zoomed apart would otherwise keep different zooms until the next gesture. Members join in
   * tile order, so the first tile's view is the one they all take.
   */
  join(group: SyncGroup | null): void {
    if (group === this.sync) return
    this.leaveSync?.()
    this.sync = group
    this.leaveSync = group ? group.add(this) : null
    const shared = group && this.hasImage ? group.current(this) : null
    if (shared) this.apply({ zoom: shared.zoom, translation: shared.translation, voi: shared.voi }, false)
  }

  /**
   * Show an image. `fit` resets zoom/pan; `window` sets W/L (real units); otherwise the
   * current view is kept (slice scrolling keeps zoom and W/L).
   */
  async show(imageId: string, opts: { fit?: boolean; window?: Window; adoptSync?: boolean } = {}): Promise<void> {
    const token = ++this.showToken
    const image = await cornerstone.loadImage(imageId)
    // A newer show() (fast slice scrolling) wins; a disposed viewport shows nothing.
    if (this.disposed || token !== this.showToken) return
    this.range = Math.max(1e-12, (image.maxPixelValue - image.minPixelValue) * image.slope)
    const had = cornerstone.getImage(this.el) !== undefined
    let vp: Partial<Viewport> | undefined
    const fitted = cornerstone.getDefaultViewportForImage(this.el, image)
    if (!had || opts.fit) {
      vp = fitted
      vp.pixelReplication = !this.smoothing
      this.rel = 1
    }
    const win = opts.window
    if (win) {
      vp = { ...(vp ?? {}), voi: { windowCenter: win.center, windowWidth: Math.max(win.width, 1e-12) } }
    }
    // Joining a synchronised group: take its zoom and pan, and its W/L unless one was given.
    const shared = opts.adoptSync ? this.sync?.current(this) : null
    if (shared) {
      this.rel = shared.zoom
      vp = {
        ...(vp ?? {}),
        scale: fitted.scale > 0 ? fitted.scale * shared.zoom : fitted.scale,
        translation: { ...shared.translation },
        ...(win ? {} : { voi: { ...shared.voi } })
      }
    }
    cornerstone.displayImage(this.el, image, vp)
    this.notify()
  }

  shared(): SharedView {
    const v = cornerstone.getViewport(this.el)!
    return { zoom: this.rel, scale: v.scale, translation: { ...v.translation }, voi: { ...v.voi } }
  }

  /** "Fit to window" scale for the current image and canvas size (0 while hidden). */
  private fitScale(): number {
    const img = cornerstone.getImage(this.el)
    return img ? cornerstone.getDefaultViewportForImage(this.el, img).scale : 0
  }

  /** Apply a view change; `broadcast` passes it on to the sync group (user gestures). */
  apply(view: Partial<Omit<SharedView, 'scale'>>, broadcast = true): void {
    if (!this.hasImage) return
    const next: Partial<Viewport> = {}
    if (view.zoom !== undefined) {
      this.rel = view.zoom
      const fit = this.fitScale()
      if (fit > 0) next.scale = fit * view.zoom
    }
    if (view.translation) next.translation = { ...view.translation }
    if (view.voi) next.voi = { ...view.voi }
    cornerstone.setViewport(this.el, next)
    this.notify()
    if (broadcast) this.sync?.broadcast(this, view)
  }

  setWindow(center: number, width: number): void {
    this.apply({ voi: { windowCenter: center, windowWidth: Math.max(width, 1e-12) } })
  }

  /** Zoom by a factor about a point given in element (CSS pixel) coordinates; default: centre. */
  zoomBy(factor: number, at?: { x: number; y: number }): void {
    if (!this.hasImage) return
    const v = cornerstone.getViewport(this.el)!
    const s = v.scale
    const fit = this.fitScale()
    if (!(fit > 0)) return
    const s2 = Math.min(64, Math.max(0.02, s * factor))
    let t = { ...v.translation }
    if (at) {
      // Keep the image point under the cursor fixed: c = centre + s·(t + p − imageCentre).
      const img = cornerstone.getImage(this.el)!
      const rect = this.el.getBoundingClientRect()
      const p = cornerstone.pageToPixel(this.el, at.x + rect.left + window.scrollX, at.y + rect.top + window.scrollY)
      const icx = img.width / 2
      const icy = img.height / 2
      t = { x: (s / s2) * (t.x + p.x - icx) - p.x + icx, y: (s / s2) * (t.y + p.y - icy) - p.y + icy }
    }
    this.apply({ zoom: s2 / fit, translation: t })
  }

  panBy(dx: number, dy: number): void {
    if (!this.hasImage) return
    const v = cornerstone.getViewport(this.el)!
    this.apply({ translation: { x: v.translation.x + dx / v.scale, y: v.translation.y + dy / v.scale } })
  }

  fit(): void {
    this.apply({ zoom: 1, translation: { x: 0, y: 0 } })
  }

  /** Fit and return to the image's own window. */
  reset(): void {
    if (!this.hasImage) return
    const img = cornerstone.getImage(this.el)!
    this.apply({ zoom: 1, translation: { x: 0, y: 0 }, voi: { windowCenter: img.windowCenter, windowWidth: img.windowWidth } })
  }

  /** Interpolate between pixels (true) or show them as squares; kept across images. */
  setSmoothing(on: boolean): void {
    this.smoothing = on
    if (this.hasImage) cornerstone.setViewport(this.el, { pixelReplication: !on })
  }

  /** Redraw (e.g. after the overlay changed). */
  redraw(): void {
    if (this.hasImage) cornerstone.updateImage(this.el)
  }

  toPixel(ev: { pageX: number; pageY: number }): { x: number; y: number } {
    return cornerstone.pageToPixel(this.el, ev.pageX, ev.pageY)
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.leaveSync?.()
    this.resizeObs.disconnect()
    for (const [type, fn, o] of this.listeners) this.el.removeEventListener(type, fn, o)
    try {
      cornerstone.disable(this.el)
    } catch {
      // Already gone with its element: nothing to release.
    }
  }

  private on(type: string, fn: EventListener, o?: AddEventListenerOptions): void {
    this.el.addEventListener(type, fn, o)
    this.listeners.push([type, fn, o])
  }

  private notify(): void {
    if (this.opts.onView && this.hasImage) this.opts.onView(this.shared())
  }

  private rendered(d: ImageRenderedDetail): void {
    if (!this.opts.overlay) return
    const ctx = d.canvasContext
    ctx.save()
    cornerstone.setToPixelCoordinateSystem(d.enabledElement as EnabledElement, ctx)
    this.opts.overlay(ctx, d.image)
    ctx.restore()
  }

  private resized(): void {
    const w = this.el.clientWidth
    const h = this.el.clientHeight
    if (w === 0 || h === 0 || this.disposed) return
    if (w === this.lastSize.w && h === this.lastSize.h) return
    this.lastSize = { w, h }
    if (!this.hasImage) {
      cornerstone.resize(this.el, true)
      return
    }
    // Keep the zoom relative to fit and the pan (in image pixels) across the size change, so
    // a grid being laid out or a resized window leaves synchronised viewports in step.
    const t = { ...cornerstone.getViewport(this.el)!.translation }
    cornerstone.resize(this.el, true)
    const fit = this.fitScale()
    cornerstone.setViewport(this.el, { scale: fit > 0 ? fit * this.rel : fit, translation: t })
    this.notify()
  }

  private pointerDown(e: PointerEvent): void {
    if (!this.hasImage || this.drag) return
    this.el.focus({ preventScroll: true })
    let mode: 'pan' | 'wl' | 'primary'
    if (e.button === 2 || (e.button === 0 && e.altKey)) mode = 'wl'
    else if (e.button === 1 || (e.button === 0 && (e.shiftKey || !this.primary))) mode = 'pan'
    else if (e.button === 0) mode = 'primary'
    else return
    e.preventDefault()
    this.el.setPointerCapture(e.pointerId)
    this.drag = { mode, x: e.clientX, y: e.clientY, pointer: e.pointerId }
    if (mode === 'primary') {
      const p = this.toPixel(e)
      this.primary!.start(p.x, p.y, e)
    }
  }

  private pointerMove(e: PointerEvent): void {
    if (this.hasImage && this.opts.onHover) this.hover(e)
    const d = this.drag
    if (!d || d.pointer !== e.pointerId) return
    const dx = e.clientX - d.x
    const dy = e.clientY - d.y
    d.x = e.clientX
    d.y = e.clientY
    if (d.mode === 'pan') this.panBy(dx, dy)
    else if (d.mode === 'wl') {
      const v = cornerstone.getViewport(this.el)!
      // One screen pixel = 1/400 of the image's value range: a drag across the viewport
      // sweeps the whole range whatever the units.
      const k = this.range / 400
      this.setWindow(v.voi.windowCenter + dy * k, Math.max(this.range * 1e-4, v.voi.windowWidth + dx * k))
    } else if (this.primary) {
      const p = this.toPixel(e)
      this.primary.move(p.x, p.y, e)
    }
  }

  private pointerUp(e: PointerEvent): void {
    const d = this.drag
    if (!d || d.pointer !== e.pointerId) return
    this.drag = null
    if (this.el.hasPointerCapture(e.pointerId)) this.el.releasePointerCapture(e.pointerId)
    if (d.mode === 'primary' && this.primary) {
      const p = this.toPixel(e)
      this.primary.end(p.x, p.y, e)
    }
  }

  private hover(e: PointerEvent): void {
    const img = cornerstone.getImage(this.el)!
    const p = this.toPixel(e)
    const x = Math.floor(p.x)
    const y = Math.floor(p.y)
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) {
      this.opts.onHover!(null)
      return
    }
    const stored = img.getPixelData()[y * img.width + x]
    this.opts.onHover!({ x, y, value: stored * img.slope + img.intercept })
  }

  private wheel(e: WheelEvent): void {
    if (!this.hasImage) return
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault()
      const rect = this.el.getBoundingClientRect()
      this.zoomBy(Math.pow(1.0015, -e.deltaY), { x: e.clientX - rect.left, y: e.clientY - rect.top })
    } else if (this.opts.onStep) {
      e.preventDefault()
      if (e.deltaY !== 0) this.opts.onStep(e.deltaY > 0 ? 1 : -1)
    }
  }

  private key(e: KeyboardEvent): void {
    if (!this.hasImage) return
    const step = e.shiftKey ? 50 : 10
    let handled = true
    switch (e.key) {
      case '+':
      case '=':
        this.zoomBy(ZOOM_STEP)
        break
      case '-':
      case '_':
        this.zoomBy(1 / ZOOM_STEP)
        break
      case '0':
      case 'r':
      case 'R':
        this.reset()
        break
      case 'ArrowUp':
      case 'PageUp':
        if (this.opts.onStep) this.opts.onStep(-1)
        else this.panBy(0, -step)
        break
      case 'ArrowDown':
      case 'PageDown':
        if (this.opts.onStep) this.opts.onStep(1)
        else this.panBy(0, step)
        break
      case 'ArrowLeft':
        this.panBy(-step, 0)
        break
      case 'ArrowRight':
        this.panBy(step, 0)
        break
      default:
        handled = false
    }
    if (handled) e.preventDefault()
  }
}

export { ZOOM_STEP }
