/* The phone app's service worker (classic script, scope /app/).
 *
 * The server fills in VERSION (a hash of every file below) and FILES when it serves this
 * script, so any change to the app is a new service worker. Roll-out is atomic
 * (docs/adr/0011-service-worker-updates.md):
 *  - install puts every file of this version into a cache of its own, taking the copy the
 *    page has just loaded from the HTTP cache when its X-App-Version header says it is of
 *    this version and fetching it again otherwise (docs/adr/0065-first-install-on-2g.md);
 *    if any file fails, the install fails and the old version keeps running untouched;
 *  - the new worker waits until the page says no screen is in use (skip-waiting);
 *  - activate deletes the old caches only then, when the new one is complete.
 * /api/ is never cached: data lives in IndexedDB, and an update never touches it.
 */
'use strict';

const VERSION = '__APP_VERSION__';
const FILES = ['__APP_FILES__'];
const CACHE = 'cunyi-app-' + VERSION;
const PREFIX = 'cunyi-app-';

// How far the install is, for the first login's progress (docs/adr/0065-first-install-on-2g.md).
const progress = { type: 'precache', version: VERSION, done: 0, total: FILES.length, bytes: 0,
  totalBytes: Number('__APP_BYTES__') || 0, state: 'installing' };

const tell = async () => {
  const pages = await self.clients.matchAll({ includeUncontrolled: true, type: 'window' });
  pages.forEach((page) => page.postMessage({ ...progress }));
};

/** One file of this version: from the HTTP cache when the page just loaded it, else the network. */
const fetchOwn = async (file) => {
  for (const mode of ['force-cache', 'reload']) {
    // 'force-cache' takes the copy the page itself loaded moments ago, so no file crosses a
    // slow link twice; its X-App-Version header says whether it is of this version, and a
    // copy of another version is fetched again ('reload').
    const response = await fetch(new Request(file, { cache: mode, credentials: 'same-origin' }));
    if (!response.ok) throw new Error('precache failed: ' + file + ' ' + response.status);
    const served = response.headers.get('X-App-Version');
    if (!served || served === VERSION) return response;
    if (mode === 'reload') throw new Error('version changed during install: ' + file);
  }
  throw new Error('unreachable');
};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const responses = await Promise.all(FILES.map(async (file) => {
      const response = await fetchOwn(file);
      progress.done += 1;
      progress.bytes += Number(response.headers.get('Content-Length')) || 0;
      tell();
      return [file, response];
    }));
    // Only when every file of this version arrived does any of them enter the cache.
    await Promise.all(responses.map(([file, response]) => cache.put(file, response)));
    progress.state = 'installed';
    tell();
  })().catch(async (e) => {
    progress.state = 'failed';
    tell();
    await caches.delete(CACHE);
    throw e;
  }));
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
  if (event.data && event.data.type === 'progress' && event.source) event.source.postMessage({ ...progress });
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  if (!url.pathname.startsWith(scope.pathname) || url.pathname.startsWith('/api/')) return;
  const path = url.pathname.slice(scope.pathname.length);
  if (path === 'version.json') {
    event.respondWith(fetch(request).catch(() => new Response(JSON.stringify({ version: VERSION, offline: true }),
      { headers: { 'Content-Type': 'application/json' } })));
    return;
  }
  // Every screen of the app is the one shell: navigations get index.html ("./").
  const key = request.mode === 'navigate' ? './' : './' + path;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(new URL(key, scope).href);
    if (cached) return cached;
    // Not part of this version (or not cached yet on a first visit): the network answers,
    // including its own 404; nothing is invented here.
    return fetch(request);
  })());
});
