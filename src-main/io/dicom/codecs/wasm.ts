/**
 * Loading and caching the Emscripten/WASM codecs (@cornerstonejs/codec-*).
 *
 * Each package ships a "decode only" build whose CommonJS module exports an async factory; the
 * factory finds its .wasm next to itself, so it is loaded with requireCjs() rather than bundled.
 * One initialised module per codec is kept for the life of the process (initialising costs a
 * few milliseconds and ~50 MB of WASM memory).
 *
 * A WASM module's memory only grows, and a decoder that aborted (a trap) may leave the module
 * unusable. So after a trap, or when its memory has grown past MAX_RETAINED_BYTES (one huge
 * image, or leaks from many failed decodes), the module is dropped and the next decode starts a
 * fresh one; the old memory is then garbage-collected with it.
 *
 * The codecs print diagnostics (OpenJPEG's "[ERROR] …") through print/printErr; they are
 * captured rather than written to the console, and the last lines go into error messages.
 */
import { createRequire } from 'node:module'

export interface EmbindObject {
  delete(): void
}

export interface EmscriptenModule {
  HEAPU8: Uint8Array
}

type Factory<M> = (options: { print: (s: string) => void; printErr: (s: string) => void }) => Promise<M>

// Not named `require`: electron-vite's ESM shim declares a top-level `require` in the bundle.
const requireCjs = createRequire(import.meta.url)

/** Past this much WASM memory a module is replaced after use, so one huge image does not pin it. */
const MAX_RETAINED_BYTES = 256 * 1024 * 1024
const MAX_LOG_LINES = 20

export class WasmCodec<M extends EmscriptenModule> {
  private module: Promise<M> | null = null
  private log: string[] = []

  constructor(
    /** Human name for messages, e.g. "JPEG-LS (CharLS)". */
    readonly label: string,
    /** requireCjs() id of the factory script. */
    private readonly id: string
  ) {}

  /**
   * Runs `fn` with the initialised module. Anything it throws becomes an Error naming the codec
   * (with the codec's own last diagnostics), and the module is discarded.
   */
  async use<T>(fn: (m: M) => T): Promise<T> {
    const m = await this.load()
    this.log = []
    try {
      const result = fn(m)
      if (m.HEAPU8.length > MAX_RETAINED_BYTES) this.module = null
      return result
    } catch (e) {
      // A trap or abort (WebAssembly.RuntimeError) can leave the module unusable; a C++
      // exception from corrupt data does not, and its leaks are caught by the size check.
      if (e instanceof WebAssembly.RuntimeError || m.HEAPU8.length > MAX_RETAINED_BYTES) this.module = null
      // A C++ exception arrives as a number (a pointer into WASM memory), meaningless to report.
      const detail = e instanceof Error ? e.message : typeof e === 'number' ? 'it rejected the data' : String(e)
      const diag = this.log.filter((l) => /error|warn|fail|invalid|unsupported|corrupt/i.test(l)).slice(-3)
      throw new Error(`${this.label} decoder failed: ${detail}${diag.length ? ` [${diag.join('; ')}]` : ''}`, { cause: e })
    }
  }

  private load(): Promise<M> {
    if (!this.module) {
      const capture = (s: string): void => {
        if (this.log.length < MAX_LOG_LINES) this.log.push(String(s).trim())
      }
      let factory: Factory<M>
      try {
        factory = requireCjs(this.id) as Factory<M>
      } catch (e) {
        return Promise.reject(new Error(`${this.label} codec could not be loaded (${this.id}): ${(e as Error).message}`))
      }
      const p = factory({ print: capture, printErr: capture }).catch((e: unknown) => {
        // Retry on the next call rather than caching a failure forever.
        if (this.module === p) this.module = null
        throw new Error(`${this.label} codec could not be initialised: ${e instanceof Error ? e.message : String(e)}`)
      })
      this.module = p
    }
    return this.module
  }
}
