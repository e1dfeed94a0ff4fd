/**
 * The service worker and new versions of the app: a new version installs in the
 * background and takes over only when no screen is in use (before unlock, or when the
 * doctor taps the banner), never mixing files of two versions
 * (docs/adr/0011-service-worker-updates.md).
 */
import * as store from './store.js';
import { offerUpdate, renderStatus } from './shell.js';

const WARM_PAUSE_MS = 1000;
let waiting = null;
let requested = false;

/** Register the service worker and watch for a new version. */
export async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Only an update the page asked for reloads; the first install just claims the page.
    if (reloading || !requested) return;
    reloading = true;
    location.reload();
  });
  try {
    // A first install: the page loads the search's pinyin module (its largest) before the
    // worker starts, so the worker finds it in the HTTP cache and the page never asks for
    // it again while the worker installs: no file crosses a 2G link twice (ADR 0065).
    if (!navigator.serviceWorker.controller) {
      await import('pinyin-pro').catch(() => {});
      // The HTTP cache takes a moment to hand a just-loaded file to another reader: asked
      // at once, the last few were revalidated (a round trip each on 2G).
      await new Promise((resume) => { setTimeout(resume, WARM_PAUSE_MS); });
    }
    const reg = await navigator.serviceWorker.register('./sw.js', { scope: './' });
    const consider = (worker) => {
      if (!worker || !navigator.serviceWorker.controller) return;
      waiting = worker;
      offerUpdate(applyUpdate);
      // Before unlock nothing is being typed: take the new version at once.
      if (!store.data.key) applyUpdate(); else renderStatus();
    };
    consider(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      worker.addEventListener('statechange', () => { if (worker.state === 'installed') consider(worker); });
    });
    // A first install is already the newest: asking again would fetch sw.js once more.
    if (navigator.serviceWorker.controller) reg.update().catch(() => {});
  } catch {
    // No service worker (e.g. an insecure origin): the app still works online.
  }
}

function applyUpdate() {
  if (!waiting) return;
  requested = true;
  waiting.postMessage({ type: 'skip-waiting' });
}
