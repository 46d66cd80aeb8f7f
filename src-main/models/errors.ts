/** One error type for everything that can go wrong with a prior, so callers (CLI, UI) can show
 * `message` as is and branch on `code` when they need to. */
export type ModelErrorCode = 'card' | 'unknown-id' | 'hash' | 'load' | 'input'

export class ModelError extends Error {
  readonly code: ModelErrorCode

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ModelError'
    this.code = code
  }
}
