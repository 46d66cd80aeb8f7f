/**
 * Calling a ReconServices method on behalf of a transport, shared by both: the Electron IPC
 * handlers (src-main/electron/main.ts) and the browser-mode HTTP server (./server.ts). Only the
 * methods of API_METHODS can be called, and every argument is checked before it reaches the
 * service: arity here, type/range/size by the services' validators. `info` belongs to the
 * transport (it says which shell) and is answered by the caller-supplied `info`.
 */
import { API_METHODS, ApiError, type ApiMethod, type AppInfo } from '../api/contract.ts'
import type { ReconServices } from '../services/types.ts'
import { API_ARGUMENTS } from '../services/validate.ts'

/** An argument the caller got wrong: 400 over HTTP. */
export class BadRequestError extends ApiError {
  constructor(message: string) {
    super(message, 'bad-request')
    this.name = 'BadRequestError'
  }
}

export function isApiMethod(name: string): name is ApiMethod {
  return (API_METHODS as readonly string[]).includes(name)
}

const ORDINAL = ['first', 'second', 'third']

/**
 * Arity and shape of a method's arguments (trailing `undefined`s dropped). Throws
 * BadRequestError with a message naming the method and the argument.
 */
export function checkArgs(method: ApiMethod, args: unknown): unknown[] {
  if (!Array.isArray(args)) throw new BadRequestError(`${method}: the arguments must be a list`)
  const list = [...args]
  while (list.length && list[list.length - 1] === undefined) list.pop()
  // The services' own validators, so a request is refused at the door with the message the
  // service would give, and nothing malformed reaches it.
  const sig = API_ARGUMENTS[method]
  const max = sig.required.length + (sig.optional?.length ?? 0)
  if (list.length < sig.required.length || list.length > max) {
    const want = max === sig.required.length ? `${max}` : `${sig.required.length} to ${max}`
    throw new BadRequestError(`${method} takes ${want} argument${max === 1 ? '' : 's'}, got ${list.length}`)
  }
  const checks = [...sig.required, ...(sig.optional ?? [])]
  list.forEach((a, i) => {
    try {
      checks[i](a)
    } catch (err) {
      if (err instanceof ApiError) throw err
      throw new BadRequestError(`${method}: bad ${ORDINAL[i] ?? `#${i + 1}`} argument: ${(err as Error)?.message ?? String(err)}`)
    }
  })
  return list
}

/**
 * Check the arguments, then call the service. `info` is answered by `info()`; everything else
 * by the method of the same name on `services`.
 */
export async function callService(services: ReconServices, method: string, args: unknown, info: () => AppInfo): Promise<unknown> {
  if (!isApiMethod(method)) throw new ApiError(`unknown API method ${JSON.stringify(method)}`, 'not-found')
  const list = checkArgs(method, args)
  if (method === 'info') return info()
  const fn = services[method] as (...a: unknown[]) => Promise<unknown>
  if (typeof fn !== 'function') throw new ApiError(`${method} is not available`, 'not-implemented')
  return await fn.apply(services, list)
}
