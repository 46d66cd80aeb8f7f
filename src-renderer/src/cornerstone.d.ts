// The slice of cornerstone-core 2.x that the workbench uses (the package ships no types).
// Only what lib/viewport.ts calls is declared; everything else stays out of reach on purpose.
declare module 'cornerstone-core' {
  export interface CornerstoneImage {
    imageId: string
    minPixelValue: number
    maxPixelValue: number
    slope: number
    intercept: number
    windowCenter: number
    windowWidth: number
    getPixelData(): Uint16Array
    rows: number
    columns: number
    height: number
    width: number
    color: boolean
    rgba?: boolean
    invert: boolean
    columnPixelSpacing: number
    rowPixelSpacing: number
    sizeInBytes: number
    stats?: Record<string, number>
    cachedLut?: unknown
  }

  export interface Viewport {
    scale: number
    translation: { x: number; y: number }
    voi: { windowWidth: number; windowCenter: number }
    invert: boolean
    pixelReplication: boolean
    rotation: number
    hflip: boolean
    vflip: boolean
  }

  export interface EnabledElement {
    element: HTMLElement
    canvas: HTMLCanvasElement
    image?: CornerstoneImage
    viewport?: Viewport
  }

  export interface ImageRenderedDetail {
    element: HTMLElement
    image: CornerstoneImage
    viewport: Viewport
    enabledElement: EnabledElement
    canvasContext: CanvasRenderingContext2D
  }

  export type ImageLoader = (imageId: string) => { promise: Promise<CornerstoneImage>; cancelFn?: () => void }

  interface Cornerstone {
    enable(element: HTMLElement, options?: Record<string, unknown>): void
    disable(element: HTMLElement): void
    displayImage(element: HTMLElement, image: CornerstoneImage, viewport?: Partial<Viewport>): void
    loadImage(imageId: string): Promise<CornerstoneImage>
    registerImageLoader(scheme: string, loader: ImageLoader): void
    getViewport(element: HTMLElement): Viewport | undefined
    setViewport(element: HTMLElement, viewport: Partial<Viewport>): void
    getDefaultViewportForImage(element: HTMLElement, image: CornerstoneImage): Viewport
    getEnabledElement(element: HTMLElement): EnabledElement
    getImage(element: HTMLElement): CornerstoneImage | undefined
    resize(element: HTMLElement, forceFitToWindow?: boolean): void
    reset(element: HTMLElement): void
    fitToWindow(element: HTMLElement): void
    updateImage(element: HTMLElement, invalidated?: boolean): void
    pageToPixel(element: HTMLElement, pageX: number, pageY: number): { x: number; y: number }
    setToPixelCoordinateSystem(enabledElement: EnabledElement, context: CanvasRenderingContext2D, scale?: number): void
    EVENTS: Record<string, string>
  }

  const cornerstone: Cornerstone
  export default cornerstone
}
