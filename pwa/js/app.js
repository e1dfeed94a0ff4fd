/**
 * The app shell: boot (service worker, unlock), the status bar that always shows the
 * unsynced count and the last sync, the router, and when to sync (on start, when the
 * phone comes back online, every few minutes, and from the button).
 */
import { h, mount, toast } from './ui.js';
import { t, setLanguage, language } from './i18n.js';
import * as store from './store.js';
import { setBlockingHandler } from './db.js';
import { syncNow } from './sync.js';
import { syncTransport } from './net.js';
import { showLogin, showUnlock } from './account.js';
import { VIEWS } from './views.js';

export const SYNC_EVERY_MS = 3 * 60 * 1000;
export const STORAGE_LOW_MB = 100;

const shell = { status: null, view: null, nav: null, banner: null };
let syncing = null;
let syncAgain = false;
let timer = null;
let storageLowMb = null;
let updateWaiting = null;
let updateRequested = false;

/**
 * Start the app.
 */
export async function boot() {
  setLanguage(language());
  document.title = t('app');
  const root = document.getElementById('app');
  shell.status = h('header.status', { role: 'status' });
  shell.banner = h('div.banners');
  shell.view = h('main.view');
  shell.nav = h('nav.tabs');
  mount(root, shell.status, shell.banner, shell.view, shell.nav);
  setBlockingHandler(() => location.reload()); // a newer version is upgrading the database
  registerServiceWorker();
  window.addEventListener('online', () => runSync('online'));
  window.addEventListener('offline', renderStatus);
  window.addEventListener('hashchange', route);
  if (await store.isEnrolled()) showUnlock(shell.view, afterUnlock);
  else showLogin(shell.view, afterUnlock);
  renderStatus();
}

/** After unlock or first enrolment: show home, sync now and then on a timer. */
async function afterUnlock({ firstDownload = false } = {}) {
  document.body.classList.add('unlocked');
  renderNav();
  checkStorage();
  if (!location.hash || location.hash === '#/') location.hash = '#/home';
  route();
  if (!firstDownload) runSync('start');
  clearInterval(timer);
  timer = setInterval(() => runSync('timer'), SYNC_EVERY_MS);
}

/**
 * Sync now (unless a sync is already running, in which case wait for it).
 * @param {string} why 'start' | 'online' | 'timer' | 'button' | 'download'
 * @param {(totals: object) => void} [onRound]
 * @returns {Promise<object|null>}
 */
export function runSync(why, onRound) {
  if (!store.data.key || !store.data.device) return Promise.resolve(null);
  if (store.data.state.revoked && why !== 'button') return Promise.resolve(null);
  if (syncing) {
    // Something new may have been saved after this sync read the outbox: go once more.
    syncAgain = true;
    return syncing;
  }
  const post = syncTransport(store.data.device.token);
  const counting = onRound ? async (body) => { const r = await post(body); onRound(r); return r; } : post;
  syncing = (async () => {
    renderStatus();
    try {
      const totals = await syncNow(store, counting);
      if (store.data.state.revoked) await store.updateState({ revoked: false });
      if (why === 'button') toast(t('sync.ok'));
      return totals;
    } catch (e) {
      if (e.code === 'device_revoked') await store.updateState({ revoked: true });
      else if (e.status) await store.updateState({ last_error: e.message || e.code });
      if (why === 'button') toast(e.status ? t('sync.failed', { m: e.message || e.code }) : t('sync.offline'), 'error');
      return null;
    } finally {
      syncing = null;
      if (syncAgain) {
        syncAgain = false;
        setTimeout(() => runSync('again'), 0);
      }
      renderStatus();
      checkStorage();
      refreshView();
    }
  })();
  return syncing;
}

/** The status bar: connectivity, unsynced count, last sync, the sync button. */
export function renderStatus() {
  if (!shell.status) return;
  const s = store.data.state;
  const n = store.unsyncedCount();
  const rejected = [...store.data.outbox.values()].filter((op) => op.state === 'rejected').length;
  const last = s.last_sync_at ? formatTime(s.last_sync_at) : null;
  mount(shell.status,
    h('span.net' + (navigator.onLine ? '.on' : '.off'), null, navigator.onLine ? t('online') : t('offline')),
    h('a.count' + (n ? '.pending' : '') + (rejected ? '.bad' : ''), { href: '#/sync', id: 'unsynced', dataset: { count: n } },
      n ? t('sync.unsynced', { n }) : t('sync.allsynced')),
    h('span.last', { id: 'last-sync' }, last ? t('sync.last', { t: last }) : t('sync.never')),
    store.data.key ? h('button.sync', { id: 'sync-button', disabled: Boolean(syncing), onclick: () => runSync('button') },
      syncing ? t('sync.running') : t('sync.now')) : null);
  const banners = [];
  if (updateWaiting) banners.push(h('button.banner.info', { id: 'update-banner', onclick: applyUpdate }, t('home.update')));
  if (s.revoked) banners.push(h('div.banner.bad', null, t('sync.revoked')));
  if (s.clock_warning) banners.push(h('div.banner.warn', { id: 'clock-warning' }, t('sync.clock', { m: Math.round(Math.abs(s.clock_skew_s || 0) / 60) })));
  if (storageLowMb !== null) banners.push(h('div.banner.warn', { id: 'storage-low' }, t('storage.low', { mb: storageLowMb })));
  if (store.data.key) mount(shell.banner, banners); else mount(shell.banner, updateWaiting ? banners[0] : null);
}

function renderNav() {
  const tabs = [['home', '⌂'], ['search', '⌕'], ['new', '+'], ['sync', '⇅'], ['me', '☺']];
  mount(shell.nav, tabs.map(([name, icon]) => h('a.tab', { href: '#/' + name, dataset: { tab: name } },
    h('span.icon', { 'aria-hidden': 'true' }, icon), h('span', null, t('nav.' + name)))));
}

/** Show the screen the hash names. */
export function route() {
  if (!store.data.key) return;
  const [, name = 'home', ...args] = location.hash.split('/');
  const view = VIEWS[name] || VIEWS.home;
  shell.nav.querySelectorAll('.tab').forEach((a) => a.classList.toggle('active', a.dataset.tab === name));
  window.scrollTo(0, 0);
  view(shell.view, ...args.map(decodeURIComponent));
  renderStatus();
}

/** Re-render the current screen when data changed under it (after a sync), unless it is a form. */
function refreshView() {
  if (!store.data.key) return;
  const name = location.hash.split('/')[1];
  if (['home', 'sync', 'resident', 'household', 'me'].includes(name)) route();
}

/**
 * Lock the app: forget the key, show the unlock screen.
 */
export function lockApp() {
  store.lock();
  clearInterval(timer);
  document.body.classList.remove('unlocked');
  mount(shell.nav);
  showUnlock(shell.view, afterUnlock);
  renderStatus();
}

/** After logout: back to the first-login screen. */
export function loggedOut() {
  clearInterval(timer);
  document.body.classList.remove('unlocked');
  mount(shell.nav);
  location.hash = '';
  showLogin(shell.view, afterUnlock);
  renderStatus();
}

async function checkStorage() {
  if (!navigator.storage || !navigator.storage.estimate) return;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const freeMb = Math.floor((quota - usage) / 1048576);
  storageLowMb = quota && freeMb < STORAGE_LOW_MB ? freeMb : null;
  renderStatus();
}

/**
 * Format an ISO time as the doctor reads it (today: HH:MM; else M月D日 HH:MM).
 * @param {string} iso
 * @returns {string}
 */
export function formatTime(iso) {
  const d = new Date(iso);
  const hm = d.toLocaleTimeString(language() === 'en' ? 'en-GB' : 'zh-CN', { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return hm;
  return `${d.getMonth() + 1}${language() === 'en' ? '/' : '月'}${d.getDate()}${language() === 'en' ? '' : '日'} ${hm}`;
}

// ---- service worker: a new version installs in the background and takes over only
// when no screen is in use (at the next open), never mixing files of two versions.

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Only an update the page asked for reloads; the first install just claims the page.
    if (reloading || !updateRequested) return;
    reloading = true;
    location.reload();
  });
  try {
    const reg = await navigator.serviceWorker.register('./sw.js', { scope: './' });
    const consider = (worker) => {
      if (!worker || !navigator.serviceWorker.controller) return;
      updateWaiting = worker;
      // Before unlock nothing is being typed: take the new version at once.
      if (!store.data.key) applyUpdate(); else renderStatus();
    };
    consider(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      worker.addEventListener('statechange', () => { if (worker.state === 'installed') consider(worker); });
    });
    reg.update().catch(() => {});
  } catch (e) {
    // No service worker (e.g. an insecure origin): the app still works online.
  }
}

function applyUpdate() {
  if (!updateWaiting) return;
  updateRequested = true;
  updateWaiting.postMessage({ type: 'skip-waiting' });
}

boot();
