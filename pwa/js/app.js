/**
 * The app: boot (service worker, unlock), the tab bar and the router. Everything else is
 * below it: the shell (status bar, when to sync; shell.js), the screens (views.js and
 * screens/), first login and unlock (account.js). app.js is the one module nothing
 * imports; it connects the shell to the router here (docs/adr/0057-phone-modules.md).
 */
import { h, mount } from './ui.js';
import { t, setLanguage, language } from './i18n.js';
import * as store from './store.js';
import { setBlockingHandler } from './db.js';
import { showLogin, showUnlock } from './account.js';
import { VIEWS } from './views.js';
import { parts, connect, runSync, renderStatus, checkStorage, startSyncTimer, stopSyncTimer } from './shell.js';
import { registerServiceWorker } from './update.js';

/**
 * Start the app.
 */
export async function boot() {
  setLanguage(language());
  document.title = t('app');
  const root = document.getElementById('app');
  parts.status = h('header.status', { role: 'status' });
  parts.banner = h('div.banners');
  parts.view = h('main.view');
  parts.nav = h('nav.tabs');
  mount(root, parts.status, parts.banner, parts.view, parts.nav);
  connect({ route, lock: lockApp, loggedOut });
  setBlockingHandler(() => location.reload()); // a newer version is upgrading the database
  registerServiceWorker();
  window.addEventListener('online', () => runSync('online'));
  window.addEventListener('offline', renderStatus);
  window.addEventListener('hashchange', route);
  // An enrolled phone shows the unlock screen at once, while IndexedDB opens; the status
  // bar's count and last sync are read before the PIN, so the lock screen never says
  // "all synced" over unsynced work (ADR 0067).
  const hinted = store.enrolledHint();
  if (hinted) showUnlock(parts.view, afterUnlock);
  renderStatus();
  const [enrolled] = await Promise.all([store.isEnrolled(), store.readLockedStatus()]);
  if (enrolled) {
    if (!hinted) showUnlock(parts.view, afterUnlock);
    store.prefetchSealed(); // read while the PIN is typed; unlocking then only decrypts
  } else {
    showLogin(parts.view, afterUnlock);
  }
  renderStatus();
}

/** After unlock or first enrolment: show home, sync now and then on a timer. */
async function afterUnlock({ firstDownload = false } = {}) {
  document.body.classList.add('unlocked');
  renderNav();
  checkStorage();
  // Setting the hash routes (hashchange); routing here as well drew home twice.
  if (!location.hash || location.hash === '#/') location.hash = '#/home';
  else route();
  if (!firstDownload) runSync('start');
  startSyncTimer();
}

function renderNav() {
  const tabs = [['home', '⌂'], ['search', '⌕'], ['new', '+'], ['sync', '⇅'], ['me', '☺']];
  mount(parts.nav, tabs.map(([name, icon]) => h('a.tab', { href: '#/' + name, dataset: { tab: name } },
    h('span.icon', { 'aria-hidden': 'true' }, icon), h('span', null, t('nav.' + name)))));
}

/** Show the screen the hash names. */
function route() {
  if (!store.data.key) return;
  const [, name = 'home', ...args] = location.hash.split('/');
  const view = VIEWS[name] || VIEWS.home;
  parts.nav.querySelectorAll('.tab').forEach((a) => a.classList.toggle('active', a.dataset.tab === name));
  window.scrollTo(0, 0);
  view(parts.view, ...args.map(decodeURIComponent));
  renderStatus();
}

/** Lock the app: forget the key, show the unlock screen. */
function lockApp() {
  store.lock();
  stopSyncTimer();
  document.body.classList.remove('unlocked');
  mount(parts.nav);
  showUnlock(parts.view, afterUnlock);
  store.prefetchSealed();
  renderStatus();
}

/** After logout: back to the first-login screen. */
function loggedOut() {
  stopSyncTimer();
  document.body.classList.remove('unlocked');
  mount(parts.nav);
  location.hash = '';
  showLogin(parts.view, afterUnlock);
  renderStatus();
}

boot();
