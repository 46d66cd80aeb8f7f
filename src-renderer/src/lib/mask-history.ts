/**
 * Undo/redo for a painted binary mask (inpainting: 1 = missing pixel).
 *
 * Each step is stored as the list of pixels it changed with their old and new values, not as a
 * full snapshot: a brush stroke on a 512×512 image touches a few hundred pixels, so a long
 * history costs kilobytes instead of megabytes. Pure TypeScript (no DOM) so it is unit-tested
 * under Node (test/renderer/mask-history.test.ts).
 */

interface Edit {
  indices: Uint32Array
  before: Uint8Array
  after: Uint8Array
}

export interface MaskHistoryOptions {
  /** Most undo steps kept; the oldest are dropped first. */
  limit?: number
  initial?: Uint8Array
}

export class MaskHistory {
  readonly width: number
  readonly height: number
  private readonly limit: number
  private mask: Uint8Array
  private undoStack: Edit[] = []
  private redoStack: Edit[] = []

  constructor(width: number, height: number, options: MaskHistoryOptions = {}) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`mask size must be positive integers; got ${width}×${height}`)
    }
    this.width = width
    this.height = height
    this.limit = Math.max(1, options.limit ?? 200)
    this.mask = new Uint8Array(width * height)
    if (options.initial) this.mask.set(this.checked(options.initial))
  }

  /** The current mask. Read-only by convention: change it through commit(). */
  get current(): Uint8Array {
    return this.mask
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0
  }

  /** Number of missing (1) pixels. */
  count(): number {
    let n = 0
    for (let i = 0; i < this.mask.length; i++) n += this.mask[i] ? 1 : 0
    return n
  }

  /** A copy to paint a stroke into; commit it when the stroke ends. */
  draft(): Uint8Array {
    return this.mask.slice()
  }

  /**
   * Make `next` the current mask as one undoable step (values are normalised to 0/1).
   * Returns false, and records nothing, when no pixel changes. Clears the redo list.
   */
  commit(next: Uint8Array): boolean {
    this.checked(next)
    const changed: number[] = []
    for (let i = 0; i < next.length; i++) if ((next[i] ? 1 : 0) !== this.mask[i]) changed.push(i)
    if (changed.length === 0) return false
    const edit: Edit = {
      indices: Uint32Array.from(changed),
      before: new Uint8Array(changed.length),
      after: new Uint8Array(changed.length)
    }
    for (let k = 0; k < changed.length; k++) {
      const i = changed[k]
      edit.before[k] = this.mask[i]
      edit.after[k] = next[i] ? 1 : 0
    }
    this.apply(edit, 'after')
    this.undoStack.push(edit)
    if (this.undoStack.length > this.limit) this.undoStack.shift()
    this.redoStack = []
    return true
  }

  undo(): boolean {
    const edit = this.undoStack.pop()
    if (!edit) return false
    this.apply(edit, 'before')
    this.redoStack.push(edit)
    return true
  }

  redo(): boolean {
    const edit = this.redoStack.pop()
    if (!edit) return false
    this.apply(edit, 'after')
    this.undoStack.push(edit)
    return true
  }

  /** Empty the mask (undoable). */
  clear(): boolean {
    return this.commit(new Uint8Array(this.mask.length))
  }

  private apply(edit: Edit, side: 'before' | 'after'): void {
    const values = edit[side]
    for (let k = 0; k < edit.indices.length; k++) this.mask[edit.indices[k]] = values[k]
  }

  private checked(m: Uint8Array): Uint8Array {
    if (m.length !== this.width * this.height) {
      throw new Error(`mask has ${m.length} pixels; expected ${this.width}×${this.height} = ${this.width * this.height}`)
    }
    return m
  }
}
