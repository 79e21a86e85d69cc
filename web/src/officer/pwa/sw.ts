/**
 * The officer app's service worker, served as `/m/sw.js` with scope `/m/`.
 *
 * The build (web/build/officerPwa.ts) strips the types, puts the list of the officer app's files
 * (`__PRECACHE__`: m/index.html, every script, style sheet and asset reachable from it including the
 * lazy map, the manifest and the icons) and a version hash of their contents (`__SW_VERSION__`) in
 * front, and writes it as a classic script. A new build therefore yields a new worker, which
 * installs its own cache and takes over once no page of the old version is open; then the old
 * cache is deleted.
 *
 * Fetch handling: page loads under /m/ go to the network first (fresh HTML while online) and fall
 * back to the cached shell after 4 s or on failure, so the app opens offline; the precached files
 * are answered from the cache; everything else (/api, /ws, map data) is not touched.
 *
 * Only the types below are declared here: the app's TypeScript setup has the DOM library, not
 * the WebWorker one.
 */

declare const __PRECACHE__: string[]
declare const __SW_VERSION__: string

interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEventLike extends ExtendableEventLike {
  readonly request: Request
  respondWith(response: Response | Promise<Response>): void
}
interface ServiceWorkerScopeLike {
  readonly location: Location
  readonly clients: { claim(): Promise<void> }
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void
}

const sw = self as unknown as ServiceWorkerScopeLike
const CACHE_PREFIX = 'patrolgrid-officer-'
const CACHE_NAME = `${CACHE_PREFIX}${__SW_VERSION__}`
const SHELL = '/m/index.html'
const NAVIGATION_TIMEOUT_MS = 4000
const PRECACHED = new Set(__PRECACHE__)

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE_NAME).then((cache) =>
      // `reload`: past the HTTP cache, so the cache holds exactly this build's files.
      cache.addAll(__PRECACHE__.map((url) => new Request(url, { cache: 'reload' }))),
    ),
  )
})

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => sw.clients.claim()),
  )
})

async function cachedShell(): Promise<Response> {
  const cache = await caches.open(CACHE_NAME)
  const shell = await cache.match(SHELL)
  return shell ?? Response.error()
}

/** The network's page if it answers well within the timeout, else the cached shell. */
async function networkFirstPage(request: Request): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), NAVIGATION_TIMEOUT_MS)
  })
  const network = fetch(request)
    .then((response) => (response.ok ? response : null))
    .catch(() => null)
  const response = await Promise.race([network, timeout])
  clearTimeout(timer)
  return response ?? cachedShell()
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE_NAME)
  const cached = await cache.match(request, { ignoreSearch: true })
  return cached ?? fetch(request)
}

sw.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== sw.location.origin) return
  if (url.pathname.startsWith('/api/') || url.pathname === '/ws' || url.pathname.startsWith('/osmand')) {
    return
  }
  if (request.mode === 'navigate') {
    if (url.pathname === '/m' || url.pathname.startsWith('/m/')) event.respondWith(networkFirstPage(request))
    return
  }
  if (PRECACHED.has(url.pathname)) event.respondWith(cacheFirst(request))
})

export {}
