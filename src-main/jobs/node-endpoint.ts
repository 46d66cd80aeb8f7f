/**
 * Comlink endpoint over a Node `Worker` / `parentPort` / `MessagePort` — the same as comlink's
 * `dist/esm/node-adapter.mjs`, which ships no declaration file for its ESM path, written here
 * with types. Node ports emit the message itself; Comlink expects `{ data }` events.
 */
import type { Endpoint } from 'comlink'

interface NodePort {
  postMessage(message: unknown, transfer?: readonly Transferable[]): void
  on(type: 'message', listener: (data: unknown) => void): unknown
  off(type: 'message', listener: (data: unknown) => void): unknown
  start?: () => void
}

type Handler = EventListenerOrEventListenerObject

export function nodeEndpoint(port: NodePort): Endpoint {
  const listeners = new WeakMap<Handler, (data: unknown) => void>()
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer),
    addEventListener: (_type: string, handler: Handler) => {
      const l = (data: unknown): void => {
        const event = { data } as MessageEvent
        if ('handleEvent' in handler) handler.handleEvent(event)
        else handler(event)
      }
      port.on('message', l)
      listeners.set(handler, l)
    },
    removeEventListener: (_type: string, handler: Handler) => {
      const l = listeners.get(handler)
      if (!l) return
      port.off('message', l)
      listeners.delete(handler)
    },
    start: port.start ? () => port.start?.() : undefined
  }
}
