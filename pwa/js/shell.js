/**
 * The frame around every screen: the status bar that always shows the unsynced count and
 * the last sync, its banners, when a sync runs (on start, when the phone comes back
 * online, every few minutes, and from the button), and the few things a screen asks of
 * the app: show the current screen again, lock, go back to the first login.
 *
 * The screens, account.js and scan.js import this module; app.js imports them and, at
 * boot, tells this module how to route, lock and log out (connect). So imports inside
 * pwa/js run one way, from app.js down (docs/adr/0057-phone-modules.md).
 */
import { h, mount, toast } from './ui.js';
import { t, language } from './i18n.js';
import * as store from './store.js';
import { syncNow } from './sync.js';
import { syncTransport } from './net.js';

export const SYNC_EVERY_MS = 3 * 60 * 1000;
export const STORAGE_LOW_MB = 100;
/** Screens that only show data: a sync that changed it shows them again (never a form). */
const READ_ONLY_SCREENS = ['home', 'sync', 'resident', 'household', 'me', 'progress'];

/** The shell's elements, made by app.js at boot. */
export const parts = { status: null, view: null, nav: null, banner: null };

const actions = { route: () => {}, lock: () => {}, loggedOut: () => {} };
let syncing = null;
let syncAgain = false;
let timer = null;
let storageLowMb = null;
let applyUpdate = null;

/**
 * Tell the shell how the app routes, locks and logs out (app.js, at boot).
 * @param {{route: () => void, lock: () => void, loggedOut: () => void}} fns
 */
export function connect(fns) {
  Object.assign(actions, fns);
}

/** Show the screen the hash names (again). */
export function route() {
  actions.route();
}

/** Lock the app: forget the key, show the unlock screen. */
export function lockApp() {
  actions.lock();
}

/** After logout: back to the first-login screen. */
export function loggedOut() {
  actions.loggedOut();
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
  const revision = store.data.revision;
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
      // Only when the sync changed something: offline, the screen just drawn stays as it is
      // (drawing home again cost a cold open ~300 ms more on a slow phone, ADR 0067).
      if (store.data.revision !== revision) refreshView();
    }
  })();
  return syncing;
}

/**
 * Settles when no sync is running: a change that replaces a queued op waits for the push
 * that may be sending it, then looks at the outbox again.
 * @returns {Promise<void>}
 */
export async function syncSettled() {
  while (syncing) await syncing;
}

/** Sync every few minutes from now on (after unlock). */
export function startSyncTimer() {
  clearInterval(timer);
  timer = setInterval(() => runSync('timer'), SYNC_EVERY_MS);
}

/** No more syncs on the timer (locked or logged out). */
export function stopSyncTimer() {
  clearInterval(timer);
}

/**
 * A new version of the app is installed and waiting: the status bar offers it.
 * @param {() => void} apply takes the new version (update.js)
 */
export function offerUpdate(apply) {
  applyUpdate = apply;
}

/** The status bar: connectivity, unsynced count, last sync, the sync button; and banners. */
export function renderStatus() {
  if (!parts.status) return;
  const s = store.data.state;
  const { unsynced: n, rejected } = store.outboxCounts(); // right while locked too (ADR 0067)
  const last = s.last_sync_at ? formatTime(s.last_sync_at) : null;
  mount(parts.status,
    h('span.net' + (navigator.onLine ? '.on' : '.off'), null, navigator.onLine ? t('online') : t('offline')),
    n === null ? h('a.count', { href: '#/sync', id: 'unsynced' }, '…') // not read yet: claim nothing
      : h('a.count' + (n ? '.pending' : '') + (rejected ? '.bad' : ''), { href: '#/sync', id: 'unsynced', dataset: { count: n } },
        n ? t('sync.unsynced', { n }) : t('sync.allsynced')),
    h('span.last', { id: 'last-sync' }, last ? t('sync.last', { t: last }) : t('sync.never')),
    store.data.key ? h('button.sync', { id: 'sync-button', disabled: Boolean(syncing), onclick: () => runSync('button') },
      syncing ? t('sync.running') : t('sync.now')) : null);
  const banners = [];
  if (applyUpdate) banners.push(h('button.banner.info', { id: 'update-banner', onclick: applyUpdate }, t('home.update')));
  if (s.revoked) banners.push(h('div.banner.bad', null, t('sync.revoked')));
  if (s.clock_warning) banners.push(h('div.banner.warn', { id: 'clock-warning' }, t('sync.clock', { m: Math.round(Math.abs(s.clock_skew_s || 0) / 60) })));
  if (storageLowMb !== null) banners.push(h('div.banner.warn', { id: 'storage-low' }, t('storage.low', { mb: storageLowMb })));
  if (store.data.key) mount(parts.banner, banners); else mount(parts.banner, applyUpdate ? banners[0] : null);
}

/** Re-render the current screen when data changed under it (after a sync), unless it is a form. */
function refreshView() {
  if (!store.data.key) return;
  const name = location.hash.split('/')[1];
  if (READ_ONLY_SCREENS.includes(name)) route();
}

/** Warn in a banner when the phone's storage runs low. */
export async function checkStorage() {
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
  // By hand, not toLocaleTimeString: building ICU's formatter cost ~150 ms of a cold open
  // on a slow phone (ADR 0067), and HH:MM reads the same in both languages.
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (d.toDateString() === new Date().toDateString()) return hm;
  return `${d.getMonth() + 1}${language() === 'en' ? '/' : '月'}${d.getDate()}${language() === 'en' ? '' : '日'} ${hm}`;
}
