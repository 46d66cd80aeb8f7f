// Content-Security-Policy for the renderer: one source of truth for both the HTTP header that
// the main process adds to every response and the <meta> tag in src-renderer/index.html
// (electron.vite.config.ts checks that the two agree at build time and relaxes the meta tag
// for the dev server). No `electron` import here: the build config imports this file.

const PRODUCTION: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  // Svelte sets dynamic styles through CSSOM (element.style), which CSP allows; the
  // compiled CSS is an external file, so production needs no 'unsafe-inline'.
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"]
}

// The Vite dev server injects component CSS as <style> elements (hot reload) and talks
// to the page over a WebSocket; only `electron-vite dev` gets these.
const DEV_EXTRA: Record<string, string[]> = {
  'style-src': ["'unsafe-inline'"],
  'connect-src': ['ws://localhost:*', 'ws://127.0.0.1:*']
}

/**
 * The policy string. `header: true` adds directives that browsers ignore (and warn about)
 * in a <meta> tag, such as frame-ancestors.
 */
export function contentSecurityPolicy(opts: { dev: boolean; header: boolean }): string {
  const directives: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(PRODUCTION)) directives[k] = [...v, ...(opts.dev ? (DEV_EXTRA[k] ?? []) : [])]
  if (opts.header) directives['frame-ancestors'] = ["'none'"]
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ')
}
