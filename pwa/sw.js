/* The phone app's service worker (classic script, scope /app/).
 *
 * The server fills in VERSION (a hash of every file below) and FILES when it serves this
 * script, so any change to the app is a new service worker. Roll-out is atomic
 * (docs/adr/0011-service-worker-updates.md):
 *  - install downloads every file of this version into a cache of its own, bypassing the
 *    HTTP cache, and checks each response says it belongs to this version; if any file
 *    fails, the install fails and the old version keeps running untouched;
 *  - the new worker waits until the page says no screen is in use (skip-waiting);
 *  - activate deletes the old caches only then, when the new one is complete.
 * /api/ is never cached: data lives in IndexedDB, and an update never touches it.
 */
'use strict';

const VERSION = '__APP_VERSION__';
const FILES = ['__APP_FILES__'];
const CACHE = 'cunyi-app-' + VERSION;
const PREFIX = 'cunyi-app-';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const responses = await Promise.all(FILES.map(async (file) => {
      const response = await fetch(new Request(file, { cache: 'reload', credentials: 'same-origin' }));
      if (!response.ok) throw new Error('precache failed: ' + file + ' ' + response.status);
      const served = response.headers.get('X-App-Version');
      if (served && served !== VERSION) throw new Error('version changed during install: ' + file);
      return [file, response];
    }));
    // Only when every file of this version arrived does any of them enter the cache.
    await Promise.all(responses.map(([file, response]) => cache.put(file, response)));
  })().catch(async (e) => {
    await caches.delete(CACHE);
    throw e;
  }));
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
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
