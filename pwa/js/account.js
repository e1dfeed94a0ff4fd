/**
 * First login and enrolment, the 6-digit PIN, unlocking, and logging out without losing
 * unsynced work silently (docs/adr/0010-phone-unlock-and-local-encryption.md).
 */
import { h, mount, toast } from './ui.js';
import { t } from './i18n.js';
import * as store from './store.js';
import { loginAndEnrol } from './net.js';
import { runSync, loggedOut, renderStatus } from './app.js';

const WEAK_PINS = new Set(['000000', '111111', '123456', '654321', '121212', '888888', '666666', '123123']);
const FAIL_KEY = 'unlockFails';

/**
 * The first-login screen (online): account and password, then the PIN, then the download.
 * @param {HTMLElement} view
 * @param {(opts: object) => void} done
 */
export function showLogin(view, done) {
  const username = h('input#username', { autocomplete: 'username', autocapitalize: 'off', required: true });
  const password = h('input#password', { type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p.err', { role: 'alert' });
  const button = h('button.primary.wide#login', { type: 'submit' }, t('login.submit'));
  const form = h('form.card.login', { onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = '';
    button.disabled = true;
    try {
      const device = await loginAndEnrol(username.value.trim(), password.value, t('login.device_label'));
      showSetPin(view, password.value, device, done);
    } catch (ex) {
      err.textContent = ex.status === 0 ? t('login.offline') : ex.status === 401 ? t('login.failed') : (ex.message || ex.code);
      button.disabled = false;
    }
  } },
  h('h1', null, t('app')), h('h2', null, t('login.title')), h('p.muted', null, t('login.hint')),
  h('label', { for: 'username' }, t('login.username')), username,
  h('label', { for: 'password' }, t('login.password')), password, err, button);
  mount(view, form);
}

function pinInput(id) {
  return h(`input.pin#${id}`, { type: 'password', inputmode: 'numeric', pattern: '[0-9]*', maxlength: 6,
    autocomplete: 'off', 'aria-label': 'PIN' });
}

function showSetPin(view, password, device, done, { resetOnly = false } = {}) {
  const first = pinInput('pin1');
  const again = pinInput('pin2');
  const err = h('p.err', { role: 'alert' });
  const form = h('form.card', { onsubmit: async (e) => {
    e.preventDefault();
    const pin = first.value;
    if (!/^\d{6}$/.test(pin)) { err.textContent = t('pin.first'); return; }
    if (WEAK_PINS.has(pin)) { err.textContent = t('pin.weak'); return; }
    if (pin !== again.value) { err.textContent = t('pin.mismatch'); again.value = ''; return; }
    form.querySelector('button').disabled = true;
    if (resetOnly) {
      await store.resetPin(password, pin);
      done({});
      return;
    }
    await store.enrol({ pin, password, device });
    if (navigator.storage && navigator.storage.persist) await navigator.storage.persist().catch(() => false);
    await firstDownload(view);
    done({ firstDownload: true });
  } },
  h('h2', null, resetOnly ? t('unlock.newpin') : t('pin.title')), h('p.muted', null, t('pin.hint')),
  h('label', { for: 'pin1' }, t('pin.first')), first, h('label', { for: 'pin2' }, t('pin.again')), again, err,
  h('button.primary.wide#set-pin', { type: 'submit' }, t('pin.save')));
  mount(view, form);
  first.focus();
}

async function firstDownload(view) {
  let n = 0;
  const count = h('p#download-count', null, t('download.done', { n }));
  mount(view, h('div.card.center', null, h('h2', null, t('download.title')), h('div.spinner'), count));
  const started = performance.now();
  await runSync('download', (response) => {
    n += (response.changes || []).length;
    count.textContent = t('download.done', { n });
  });
  performance.measure('first-download', { start: started, end: performance.now() });
}

/**
 * The unlock screen: the PIN (or the account password when the PIN is forgotten).
 * @param {HTMLElement} view
 * @param {(opts: object) => void} done
 */
export function showUnlock(view, done) {
  let usePassword = false;
  const input = pinInput('unlock-pin');
  performance.mark('unlock-shown');
  const err = h('p.err', { role: 'alert' });
  const submit = async () => {
    const fails = Number(localStorage.getItem(FAIL_KEY) || 0);
    const waitUntil = Number(localStorage.getItem(FAIL_KEY + 'Until') || 0);
    if (Date.now() < waitUntil) {
      err.textContent = t('unlock.wait', { s: Math.ceil((waitUntil - Date.now()) / 1000) });
      return;
    }
    const secret = input.value;
    input.disabled = true;
    const ok = await store.unlock(secret);
    input.disabled = false;
    if (!ok) {
      // Each wrong try past the fifth doubles a wait, so guessing a PIN on the phone is slow.
      localStorage.setItem(FAIL_KEY, String(fails + 1));
      if (fails + 1 >= 5) localStorage.setItem(FAIL_KEY + 'Until', String(Date.now() + 1000 * 30 * 2 ** (fails - 4)));
      err.textContent = t('unlock.wrong');
      input.value = '';
      input.focus();
      return;
    }
    localStorage.removeItem(FAIL_KEY);
    localStorage.removeItem(FAIL_KEY + 'Until');
    if (usePassword) showSetPin(view, secret, null, done, { resetOnly: true });
    else done({});
  };
  input.addEventListener('input', () => { if (!usePassword && /^\d{6}$/.test(input.value)) submit(); });
  const forgot = h('button.link#forgot-pin', { type: 'button', onclick: () => {
    usePassword = true;
    input.type = 'password';
    input.removeAttribute('maxlength');
    input.removeAttribute('inputmode');
    input.classList.remove('pin');
    input.value = '';
    label.textContent = t('unlock.password');
    forgot.remove();
    input.focus();
  } }, t('unlock.forgot'));
  const label = h('label', { for: 'unlock-pin' }, t('unlock.title'));
  mount(view, h('form.card.unlock', { onsubmit: (e) => { e.preventDefault(); submit(); } },
    h('h1', null, t('app')), label, input, err,
    h('button.primary.wide#unlock', { type: 'submit' }, t('unlock.submit')), forgot));
  input.focus();
}

/**
 * Log out: sync first; if anything is still unsynced, say how much and ask for the PIN.
 * @param {HTMLElement} view
 */
export async function logout(view) {
  if (store.unsyncedCount()) await runSync('button');
  const n = store.unsyncedCount();
  if (!n) {
    if (!confirm(t('logout.sure'))) return;
    await store.wipe();
    loggedOut();
    return;
  }
  const pin = pinInput('logout-pin');
  const err = h('p.err', { role: 'alert' });
  mount(view, h('form.card#logout-confirm', { onsubmit: async (e) => {
    e.preventDefault();
    const ok = await store.unlock(pin.value); // proves the PIN; reloads the same data
    if (!ok) { err.textContent = t('unlock.wrong'); return; }
    await store.wipe();
    toast(t('me.logout'));
    loggedOut();
  } },
  h('h2.bad', null, '⚠ ' + t('logout.unsynced', { n })),
  h('a.primary.wide', { href: '#/sync', role: 'button' }, t('logout.try_sync')),
  h('label', { for: 'logout-pin' }, t('logout.confirm')), pin, err,
  h('button.danger.wide', { type: 'submit' }, t('logout.go'))));
  renderStatus();
}
