/**
 * The few network calls the phone makes: first login and enrolment, a password change,
 * whether the server is a demo, and POST /api/sync.
 * No personal data ever goes into a URL. Nothing here touches IndexedDB.
 */
import { SyncError } from './sync.js';

export const SYNC_TIMEOUT_MS = 60000;

async function call(path, { body, token, timeout = 20000, method = 'POST' } = {}) {
  // X-Requested-With: a cross-site page cannot send it, so the server takes it (with the
  // JSON content type) as proof that a cookie-authenticated write is ours (docs/adr/0048).
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json',
    'X-Requested-With': 'cunyi' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  let response;
  try {
    const sent = method === 'GET' ? undefined : JSON.stringify(body || {});
    response = await fetch(path, { method, headers, body: sent,
      credentials: token ? 'omit' : 'same-origin', cache: 'no-store', signal: ctrl.signal });
  } catch (e) {
    throw new SyncError(0, 'network', e.name === 'AbortError' ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
  let payload;
  try { payload = await response.json(); } catch { payload = null; }
  if (!response.ok) {
    const error = new SyncError(response.status, (payload && payload.code) || 'http_' + response.status,
      (payload && payload.message) || '');
    error.errors = (payload && payload.errors) || {}; // by field, for forms that show them
    throw error;
  }
  return payload;
}

/**
 * First login: check the password (session cookie), then enrol this phone with the same
 * password typed once more (the server asks for it again: a session alone cannot enrol).
 * When the account is on a one-time password from the township, nothing is enrolled: the
 * answer is `{mustChangePassword: true, user}` and the session stays open for
 * changePassword() and then enrol() with the new password.
 * @param {string} username
 * @param {string} password
 * @param {string} label how the township will recognise this phone
 * @returns {Promise<{device_id: string, token: string, user: object}|{mustChangePassword: true, user: object}>}
 */
export async function loginAndEnrol(username, password, label) {
  const user = await call('/api/auth/login', { body: { username, password } });
  if (user && user.must_change_password) return { mustChangePassword: true, user };
  return enrol(password, label);
}

/**
 * Enrol this phone in the open session, proving the password again; then end the session.
 * @param {string} password
 * @param {string} label
 * @returns {Promise<{device_id: string, token: string, user: object}>}
 */
export async function enrol(password, label) {
  const device = await call('/api/devices', { body: { label, password } });
  // The session cookie is not needed any more: the phone uses its device token from now on.
  await call('/api/auth/logout').catch(() => {});
  return device;
}

/**
 * Change the account password: in the login session (no token: a one-time password at the
 * first login) or with the phone's device token (the "me" screen). The phone stays enrolled.
 * Refusals: 403 `wrong_password` (errors.current_password), 422 `validation_failed`
 * (errors.new_password: too short, too common, contains the username, same as now).
 * @param {string} currentPassword
 * @param {string} newPassword
 * @param {string} [token]
 * @returns {Promise<object>} the account
 */
export function changePassword(currentPassword, newPassword, token) {
  return call('/api/auth/password', { token,
    body: { current_password: currentPassword, new_password: newPassword } });
}

/**
 * What the login screen shows before anyone logs in: `{demo: boolean}` (a demo server's
 * passwords are published).
 * @returns {Promise<{demo: boolean}>}
 */
export function instanceInfo() {
  return call('/api/auth/instance', { method: 'GET', timeout: 8000 });
}

/**
 * A transport for sync.syncNow: one POST /api/sync with the device token.
 * @param {string} token
 * @returns {(body: object) => Promise<object>}
 */
export function syncTransport(token) {
  return (body) => call('/api/sync', { body, token, timeout: SYNC_TIMEOUT_MS });
}
