/** Trailing-edge debounce with cancel, for live previews that follow typing. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  const run = (...args: A): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = undefined
      fn(...args)
    }, ms)
  }
  run.cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
  return run
}
