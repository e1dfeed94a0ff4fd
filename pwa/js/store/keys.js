/**
 * The data key (docs/adr/0010-phone-unlock-and-local-encryption.md): enrolment wraps it
 * under the PIN and under the account password; unlocking with either loads all local
 * data; a forgotten PIN is reset with the password; a password changed on the server is
 * wrapped anew; logging out wipes every local byte.
 */
import { database, wipeDatabase } from '../db.js';
import { newDataKey, wrapDataKey, unwrapDataKey, seal } from '../crypto.js';
import { data, EMPTY_STATE, loadAll, lock } from './local.js';

const ENROLLED_HINT = 'enrolled'; // localStorage; no secret, no personal data

/**
 * True when this phone has been enrolled (a wrapped data key exists).
 * @returns {Promise<boolean>}
 */
export async function isEnrolled() {
  const enrolled = Boolean(await (await database()).get('meta', 'keys'));
  if (enrolled) localStorage.setItem(ENROLLED_HINT, '1'); else localStorage.removeItem(ENROLLED_HINT);
  return enrolled;
}

/**
 * What the last look at IndexedDB found: this phone is enrolled. Read synchronously, so a
 * cold open shows the unlock screen while the database is still opening (ADR 0067); the
 * database has the last word (isEnrolled).
 * @returns {boolean}
 */
export function enrolledHint() {
  return localStorage.getItem(ENROLLED_HINT) === '1';
}

/**
 * Enrol: make the data key, wrap it under the PIN and the password, store the device.
 * @param {{pin: string, password: string, device: object}} args
 */
export async function enrol({ pin, password, device }) {
  const key = await newDataKey();
  const [pinBox, passwordBox] = await Promise.all([wrapDataKey(key, pin), wrapDataKey(key, password)]);
  const sealedDevice = await seal(key, device);
  const db = await database();
  const tx = db.transaction('meta', 'readwrite');
  await Promise.all([
    tx.store.put({ pin: pinBox, password: passwordBox }, 'keys'),
    tx.store.put(sealedDevice, 'device'),
    tx.store.put({ ...EMPTY_STATE }, 'state'),
    tx.done,
  ]);
  data.key = key;
  data.device = device;
  data.state = { ...EMPTY_STATE };
  localStorage.setItem(ENROLLED_HINT, '1');
}

/**
 * Unlock with the PIN (6 digits) or the account password; loads all local data.
 * @param {string} secret
 * @returns {Promise<boolean>} false when the secret is wrong
 */
export async function unlock(secret) {
  const db = await database();
  const keys = await db.get('meta', 'keys');
  if (!keys) return false;
  const box = /^\d{6}$/.test(secret) ? keys.pin : keys.password;
  const started = performance.now();
  const key = await unwrapDataKey(box, secret);
  if (!key) return false;
  data.key = key;
  const unwrapped = performance.now();
  await loadAll();
  performance.measure('unlock-key', { start: started, end: unwrapped });
  performance.measure('unlock-load', { start: unwrapped, end: performance.now() });
  return true;
}

/**
 * Change the PIN, after unlocking with the password (a forgotten PIN).
 * @param {string} password
 * @param {string} pin
 * @returns {Promise<boolean>}
 */
export async function resetPin(password, pin) {
  const db = await database();
  const keys = await db.get('meta', 'keys');
  const key = await unwrapDataKey(keys.password, password, true);
  if (!key) return false;
  keys.pin = await wrapDataKey(key, pin);
  await db.put('meta', keys, 'keys');
  return true;
}

/**
 * After the account password changed on the server: wrap the data key under the new
 * password, so a forgotten PIN is recovered offline with the password the person now has.
 * The key in memory cannot be used: it is not extractable (crypto.js). It is unwrapped
 * again from the box of the old password, or, when that box was made under an older
 * password than `password` (changed on the township pages meanwhile), from the PIN's box.
 * @param {string} newPassword
 * @param {{password?: string, pin?: string}} proof the password the phone's box was made
 *   under, or the PIN
 * @returns {Promise<boolean>} false when neither opens a box
 */
export async function rewrapPassword(newPassword, { password, pin } = {}) {
  const db = await database();
  const keys = await db.get('meta', 'keys');
  if (!keys) return false;
  let key = password ? await unwrapDataKey(keys.password, password, true) : null;
  if (!key && pin) key = await unwrapDataKey(keys.pin, pin, true);
  if (!key) return false;
  keys.password = await wrapDataKey(key, newPassword);
  await db.put('meta', keys, 'keys');
  return true;
}

/**
 * Delete every local byte (logout). The caller has made sure nothing unsynced is lost
 * silently: the doctor confirmed with the PIN after seeing the count.
 */
export async function wipe() {
  lock();
  data.state = { ...EMPTY_STATE };
  data.locked = { unsynced: 0, rejected: 0 };
  localStorage.removeItem(ENROLLED_HINT);
  await wipeDatabase();
}
