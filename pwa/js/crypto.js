/**
 * Local encryption (docs/adr/0010-phone-unlock-and-local-encryption.md).
 *
 * One random AES-GCM data key encrypts every payload stored in IndexedDB. The data key is
 * stored only wrapped: once under a key derived from the doctor's 6-digit PIN and once
 * under a key derived from the account password (PBKDF2-SHA-256), so a forgotten PIN is
 * recovered with the password, offline, without losing unsynced work.
 */

export const PBKDF2_ITERATIONS = 250000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Random bytes.
 * @param {number} n
 * @returns {Uint8Array}
 */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * A fresh, extractable-only-for-wrapping AES-GCM data key.
 * @returns {Promise<CryptoKey>}
 */
export function newDataKey() {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
}

async function deriveWrappingKey(secret, salt, iterations) {
  const base = await crypto.subtle.importKey('raw', enc.encode(secret), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base, { name: 'AES-GCM', length: 256 }, false, ['wrapKey', 'unwrapKey'],
  );
}

/**
 * Wrap the data key under a secret (PIN or password).
 * @param {CryptoKey} dataKey
 * @param {string} secret
 * @param {number} [iterations]
 * @returns {Promise<{salt: Uint8Array, iv: Uint8Array, wrapped: ArrayBuffer, iterations: number}>}
 */
export async function wrapDataKey(dataKey, secret, iterations = PBKDF2_ITERATIONS) {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const kek = await deriveWrappingKey(secret, salt, iterations);
  const wrapped = await crypto.subtle.wrapKey('raw', dataKey, kek, { name: 'AES-GCM', iv });
  return { salt, iv, wrapped, iterations };
}

/**
 * Unwrap the data key with a secret; null when the secret is wrong (the GCM tag fails).
 * The unwrapped key is not extractable: page code can use it but never read it out.
 * @param {{salt: Uint8Array, iv: Uint8Array, wrapped: ArrayBuffer, iterations: number}} box
 * @param {string} secret
 * @param {boolean} [extractable] true only while re-wrapping under a new secret
 * @returns {Promise<CryptoKey|null>}
 */
export async function unwrapDataKey(box, secret, extractable = false) {
  const kek = await deriveWrappingKey(secret, box.salt, box.iterations);
  try {
    return await crypto.subtle.unwrapKey('raw', box.wrapped, kek, { name: 'AES-GCM', iv: box.iv },
      { name: 'AES-GCM', length: 256 }, extractable, ['encrypt', 'decrypt']);
  } catch (e) {
    return null;
  }
}

/**
 * Encrypt a JSON-able value.
 * @param {CryptoKey} key
 * @param {*} value
 * @returns {Promise<{iv: Uint8Array, ct: ArrayBuffer}>}
 */
export async function seal(key, value) {
  const iv = randomBytes(12);
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, enc.encode(JSON.stringify(value)));
  return { iv, ct };
}

/**
 * Decrypt what seal() made.
 * @param {CryptoKey} key
 * @param {{iv: Uint8Array, ct: ArrayBuffer}} box
 * @returns {Promise<*>}
 */
export async function open(key, box) {
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: box.iv }, key, box.ct);
  return JSON.parse(dec.decode(pt));
}
