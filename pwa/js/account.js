/**
 * First login and enrolment (with a one-time password: choosing one's own first), the
 * 6-digit PIN, unlocking, changing the password, and logging out without losing unsynced
 * work silently (docs/adr/0010-phone-unlock-and-local-encryption.md).
 */
import { h, mount, toast } from './ui.js';
import { t, errorText } from './i18n.js';
import * as store from './store.js';
import { loginAndEnrol, enrol, changePassword, instanceInfo } from './net.js';
import { runSync, loggedOut, renderStatus } from './shell.js';
import { firstRunPending, showFirstRun, startFirstRun } from './firstrun.js';

const WEAK_PINS = new Set(['000000', '111111', '123456', '654321', '121212', '888888', '666666', '123123']);
const FAIL_KEY = 'unlockFails';
const MIN_PASSWORD = 8; // the server's rule (server/services/accounts.py); it checks the rest

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
      const answer = await loginAndEnrol(username.value.trim(), password.value, t('login.device_label'));
      if (answer.mustChangePassword) showOneTimePassword(view, password.value, done);
      else showSetPin(view, password.value, answer, done);
    } catch (ex) {
      err.textContent = ex.status === 0 ? t('login.offline') : ex.status === 401 ? t('login.failed') : (ex.message || ex.code);
      button.disabled = false;
    }
  } },
  h('h1', null, t('app')), h('h2', null, t('login.title')), h('p.muted', null, t('login.hint')),
  h('label', { for: 'username' }, t('login.username')), username,
  h('label', { for: 'password' }, t('login.password')), password, err, button);
  mount(view, form);
  showDemoNotice(form);
}

/** A demo server's passwords are published: say so above the login, before anyone types.
 * Nothing is shown offline or when the server does not answer. */
async function showDemoNotice(form) {
  if (!navigator.onLine) return;
  try {
    const info = await instanceInfo();
    if (info && info.demo && form.isConnected) {
      form.querySelector('h1').after(h('p.demo-notice#demo-notice', { role: 'note' }, t('login.demo')));
    }
  } catch (e) {
    // No notice: the login works the same, and the township's pages say it too.
  }
}

/** A new password typed twice, with the checks the phone can make before sending. */
function newPasswordFields() {
  // No minlength: the browser's bubble would hide the reason; the check below says it in words.
  const attrs = { type: 'password', autocomplete: 'new-password', required: true };
  const first = h('input#new-password1', attrs);
  const again = h('input#new-password2', attrs);
  return {
    first, again,
    nodes: [h('label', { for: 'new-password1' }, t('password.new')), first,
      h('label', { for: 'new-password2' }, t('password.again')), again],
    /** @returns {string} what is wrong, or '' */
    problem() {
      if (first.value.length < MIN_PASSWORD) return t('password.short', { n: MIN_PASSWORD });
      if (first.value !== again.value) return t('password.mismatch');
      return '';
    },
  };
}

/** The server's refusal of a password change in words (its messages, or English by code). */
function passwordRefusal(ex) {
  if (ex.status === 0) return t('password.offline');
  const errors = ex.errors || {};
  const entries = [...(errors.new_password || []), ...(errors.current_password || [])].map((x) => {
    if (typeof x !== 'string') return x;
    const [code, message] = x.split('|');
    return { code, message: message || code };
  });
  if (ex.code === 'wrong_password') return t('password.wrong_current');
  if (entries.length) return entries.map(errorText).join('；');
  return ex.message || ex.code;
}

/**
 * The township gave a one-time password: it only lets the person choose their own. The
 * phone is enrolled with the new one, and the local data key is wrapped under it.
 * @param {HTMLElement} view
 * @param {string} oneTime
 * @param {(opts: object) => void} done
 */
function showOneTimePassword(view, oneTime, done) {
  const fields = newPasswordFields();
  const err = h('p.err', { role: 'alert' });
  const button = h('button.primary.wide#set-password', { type: 'submit' }, t('password.continue'));
  mount(view, h('form.card.login#one-time', { onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = fields.problem();
    if (err.textContent) return;
    button.disabled = true;
    const chosen = fields.first.value;
    try {
      await changePassword(oneTime, chosen);
    } catch (ex) {
      err.textContent = ex.status === 401 ? t('password.session_gone') : passwordRefusal(ex);
      button.disabled = false;
      return;
    }
    try {
      showSetPin(view, chosen, await enrol(chosen, t('login.device_label')), done);
    } catch (ex) {
      // The new password is set; only the enrolment failed: log in again with it.
      toast(ex.status === 0 ? t('login.offline') : (ex.message || ex.code), 'error');
      showLogin(view, done);
    }
  } },
  h('h1', null, t('app')), h('h2', null, t('password.onetime_title')),
  h('p.muted', null, t('password.onetime_hint', { n: MIN_PASSWORD })), ...fields.nodes, err, button));
  fields.first.focus();
}

/**
 * "Me → change password" (online): the current password and the new one twice, sent with
 * the device token; then the local data key is wrapped under the new password, so "forgot
 * PIN" works with it offline.
 * @param {HTMLElement} view
 */
export function showChangePassword(view) {
  const back = h('a.wide#password-back', { href: '#/me', role: 'button' }, t('password.back'));
  if (!navigator.onLine) {
    mount(view, h('section.card#password-offline', null, h('h2', null, t('password.change')),
      h('p.err', null, t('password.offline')), back));
    return;
  }
  const current = h('input#current-password', { type: 'password', autocomplete: 'current-password', required: true });
  const fields = newPasswordFields();
  const err = h('p.err', { role: 'alert' });
  const button = h('button.primary.wide#change-password-submit', { type: 'submit' }, t('password.submit'));
  mount(view, h('form.card#change-password-form', { onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = fields.problem();
    if (err.textContent) return;
    button.disabled = true;
    const [old, chosen] = [current.value, fields.first.value];
    try {
      await changePassword(old, chosen, store.data.device.token);
    } catch (ex) {
      err.textContent = passwordRefusal(ex);
      button.disabled = false;
      return;
    }
    if (await store.rewrapPassword(chosen, { password: old })) passwordChanged(view);
    else askPinToRewrap(view, chosen);
  } },
  h('h2', null, t('password.change')), h('p.muted', null, t('password.change_hint')),
  h('label', { for: 'current-password' }, t('password.current')), current, ...fields.nodes, err, button, back));
  current.focus();
}

function passwordChanged(view) {
  mount(view, h('section.card#password-changed', null, h('h2.ok', null, '✓ ' + t('password.changed')),
    h('p', null, t('password.changed_hint')), h('a.wide', { href: '#/me', role: 'button' }, t('password.back'))));
}

/** The phone's copy of the key was wrapped under a password changed elsewhere since: the
 * PIN opens the other copy. Without it, "forgot PIN" would still want that old password. */
function askPinToRewrap(view, chosen) {
  const pin = pinInput('rewrap-pin');
  const err = h('p.err', { role: 'alert' });
  mount(view, h('form.card#rewrap', { onsubmit: async (e) => {
    e.preventDefault();
    if (await store.rewrapPassword(chosen, { pin: pin.value })) passwordChanged(view);
    else { err.textContent = t('unlock.wrong'); pin.value = ''; }
  } },
  h('h2', null, t('password.changed')), h('p', null, t('password.need_pin')),
  h('label', { for: 'rewrap-pin' }, t('unlock.title')), pin, err,
  h('button.primary.wide', { type: 'submit' }, t('pin.save'))));
  pin.focus();
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
    await startFirstRun(view, done);
  } },
  h('h2', null, resetOnly ? t('unlock.newpin') : t('pin.title')), h('p.muted', null, t('pin.hint')),
  h('label', { for: 'pin1' }, t('pin.first')), first, h('label', { for: 'pin2' }, t('pin.again')), again, err,
  h('button.primary.wide#set-pin', { type: 'submit' }, t('pin.save')));
  mount(view, form);
  first.focus();
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
    else if (firstRunPending()) showFirstRun(view, done); // the first download was cut off
    else done({});
  };
  input.addEventListener('input', () => { if (!usePassword && /^\d{6}$/.test(input.value)) submit(); });
  const forgot = h('button.link#forgot-pin', { type: 'button', onclick: () => {
    usePassword = true;
    input.type = 'password';
    input.removeAttribute('maxlength');
    input.removeAttribute('inputmode');
    input.removeAttribute('pattern'); // digits only would block a password from submitting
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
