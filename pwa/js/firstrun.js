/**
 * The first login's download, until the phone can work offline: the app's files (the
 * service worker's install) and the villages' data (the first sync), each with its
 * progress in files, records and bytes. "Ready to work offline" shows only when both are
 * stored; until then the screen says plainly that the phone must stay online. A download
 * cut off goes on by itself when the network is back, from where it stopped: what was
 * stored stays, and an app closed meanwhile resumes here after unlock
 * (docs/adr/0065-first-install-on-2g.md).
 */
import { h, mount } from './ui.js';
import { t } from './i18n.js';
import * as store from './store.js';
import { runSync } from './shell.js';

const RETRY_MS = 5000; // a failed data round is tried again this often while online
const READY_PAUSE_MS = 1200; // "ready" stays on screen this long before home opens by itself

/**
 * Whether the first download (the app's files and the data) has yet to finish: kept with
 * the sync state, readable before unlock, and set to 'done' only once both are stored.
 * Phones enrolled before this flag existed count as done.
 * @returns {boolean}
 */
export function firstRunPending() {
  return store.data.state.first_download === 'pending';
}

/**
 * Just enrolled: remember that the data is still to come, then show the download.
 * @param {HTMLElement} view
 * @param {(opts: object) => void} done
 */
export async function startFirstRun(view, done) {
  await store.updateState({ first_download: 'pending' });
  showFirstRun(view, done);
}

/** Bytes as the screen shows them: whole KB. */
function kb(bytes) {
  return Math.round((bytes || 0) / 1024).toLocaleString();
}

/** What the phone holds: residents, households and records. */
function entityCount() {
  return store.data.resident.size + store.data.household.size + store.data.record.size;
}

/** The bytes the phone received for its data so far (the sync responses on the wire). */
function dataBytes() {
  return performance.getEntriesByType('resource')
    .filter((e) => new URL(e.name).pathname === '/api/sync')
    .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0);
}

/**
 * The download screen; `done({firstDownload: true})` once both parts are stored.
 * @param {HTMLElement} view
 * @param {(opts: object) => void} done
 */
export function showFirstRun(view, done) {
  // No hash: a sync that finishes re-renders the screen the hash names (shell.js), and
  // home must not open over this one. replaceState fires no hashchange.
  history.replaceState(null, '', location.pathname);
  const app = { done: 0, total: 0, bytes: 0, totalBytes: 0, ready: false, failed: false, unsupported: false };
  const data = { records: entityCount(), ready: false };
  let finished = false;

  const filesBar = h('progress#files-progress', { max: 1, value: 0 });
  const filesText = h('span.progress-text#files-count');
  const dataBar = h('progress#data-progress');
  const dataText = h('span.progress-text#data-count');
  const status = h('p#first-run-status', { role: 'status' });
  const card = h('section.card.first-run#first-run', null,
    h('h2', null, t('ready.title')),
    h('div.progress-row', null, h('span.progress-label', null, t('ready.files')), filesBar, filesText),
    h('div.progress-row', null, h('span.progress-label', null, t('ready.data')), dataBar, dataText),
    status);
  mount(view, card);

  const render = () => {
    if (!card.isConnected) return;
    if (app.ready) Object.assign(app, { done: app.total || app.done, bytes: app.totalBytes || app.bytes });
    filesBar.max = app.total || 1;
    filesBar.value = app.ready ? filesBar.max : app.done;
    // Before the worker reports (it starts once the page has what it needs): no figures yet.
    filesText.textContent = app.unsupported ? t('ready.no_worker') : !app.total ? '…'
      : t('ready.files_n', { done: app.done, total: app.total, kb: kb(app.bytes), total_kb: kb(app.totalBytes) });
    if (data.ready) { dataBar.max = 1; dataBar.value = 1; } else dataBar.removeAttribute('value');
    dataText.textContent = t('ready.data_n', { n: data.records.toLocaleString(), kb: kb(dataBytes()) });
    // Ready only once that is stored too: an app closed now opens ready, not mid-download.
    const ready = app.ready && data.ready && !firstRunPending();
    card.classList.toggle('ready', ready);
    card.dataset.state = ready ? 'ready' : navigator.onLine ? 'downloading' : 'offline';
    if (ready) {
      status.className = 'ready-status';
      mount(status, h('strong.ok#offline-ready', null, t('ready.done')), h('span.muted', null, t('ready.done_hint')),
        h('button.primary.wide#start-work', { type: 'button', onclick: finish }, t('ready.start')));
    } else {
      status.className = navigator.onLine ? 'warn' : 'err';
      mount(status, navigator.onLine ? t('ready.stay_online') : t('ready.offline'));
      if (app.unsupported) status.append(h('button.wide#start-online', { type: 'button', onclick: finish },
        t('ready.continue_online')));
    }
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    window.removeEventListener('online', render);
    window.removeEventListener('offline', render);
    done({ firstDownload: true });
  };
  window.addEventListener('online', render);
  window.addEventListener('offline', render);

  const changed = async () => {
    if (app.ready && data.ready && firstRunPending()) {
      await store.updateState({ first_download: 'done' });
      setTimeout(finish, READY_PAUSE_MS);
    }
    render();
  };
  watchAppFiles(app, changed);
  downloadData(data, changed);
  render();
}

/** Follow the service worker's install: its progress messages, and `ready` when complete. */
async function watchAppFiles(app, changed) {
  const sw = navigator.serviceWorker;
  if (!sw) { app.unsupported = true; changed(); return; }
  sw.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || m.type !== 'precache') return;
    Object.assign(app, { done: m.done, total: m.total, bytes: m.bytes, totalBytes: m.totalBytes,
      failed: m.state === 'failed' });
    if (app.failed && navigator.onLine) setTimeout(retry, RETRY_MS); // e.g. the server was restarting
    changed();
  });
  // An install cut off by the network failed whole: register again when it is back.
  const retry = () => { if (!app.ready) sw.register('./sw.js', { scope: './' }).catch(() => {}); };
  window.addEventListener('online', retry);
  const reg = await sw.getRegistration();
  const worker = reg && (reg.installing || reg.waiting || reg.active);
  if (worker) worker.postMessage({ type: 'progress' });
  // `ready`: a worker is active, so its cache holds every file of its version.
  await sw.ready;
  performance.mark('first-run-files'); // bench/phone_install.py reads the marks
  app.ready = true;
  changed();
}

/** The first sync, round after round, again after every failure, until it is complete
 * (resumed after unlock, it goes on from the cursor: only what is missing comes). */
async function downloadData(data, changed) {
  const started = performance.now();
  for (;;) {
    const totals = await runSync('download', (response) => {
      data.records += (response.changes || []).length;
      changed();
    });
    if (totals) break;
    changed(); // offline or failed: the screen says so; what was stored stays
    await new Promise((resume) => {
      const timer = setTimeout(resume, RETRY_MS);
      window.addEventListener('online', () => { clearTimeout(timer); resume(); }, { once: true });
    });
  }
  data.records = entityCount();
  performance.measure('first-download', { start: started, end: performance.now() });
  performance.mark('first-run-data');
  data.ready = true;
  changed();
}
