/**
 * The few network calls the phone makes: first login and enrolment, and POST /api/sync.
 * No personal data ever goes into a URL. Nothing here touches IndexedDB.
 */
import { SyncError } from './sync.js';

export const SYNC_TIMEOUT_MS = 60000;

async function call(path, { body, token, timeout = 20000 } = {}) {
  // X-Requested-With: a cross-site page cannot send it, so the server takes it (with the
  // JSON content type) as proof that a cookie-authenticated write is ours (docs/adr/0048).
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json',
    'X-Requested-With': 'cunyi' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  let response;
  try {
    response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body || {}),
      credentials: token ? 'omit' : 'same-origin', cache: 'no-store', signal: ctrl.signal });
  } catch (e) {
    throw new SyncError(0, 'network', e.name === 'AbortError' ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
  let payload = null;
  try { payload = await response.json(); } catch (e) { payload = null; }
  if (!response.ok) {
    throw new SyncError(response.status, (payload && payload.code) || 'http_' + response.status,
      (payload && payload.message) || '');
  }
  return payload;
}

/**
 * First login: check the password (session cookie), then enrol this phone.
 * @param {string} username
 * @param {string} password
 * @param {string} label how the township will recognise this phone
 * @returns {Promise<{device_id: string, token: string, user: object}>}
 */
export async function loginAndEnrol(username, password, label) {
  await call('/api/auth/login', { body: { username, password } });
  const device = await call('/api/devices', { body: { label } });
  // The session cookie is not needed any more: the phone uses its device token from now on.
  await call('/api/auth/logout').catch(() => {});
  return device;
}

/**
 * A transport for sync.syncNow: one POST /api/sync with the device token.
 * @param {string} token
 * @returns {(body: object) => Promise<object>}
 */
export function syncTransport(token) {
  return (body) => call('/api/sync', { body, token, timeout: SYNC_TIMEOUT_MS });
}
