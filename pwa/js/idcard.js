/**
 * The 18-digit resident identity number (GB 11643), as server/validation/idcard.py checks it:
 * region, birth date, sequence, and an ISO 7064 MOD 11-2 check character ('X' = 10).
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
const SHAPE = /^\d{17}[\dX]$/;

/**
 * The check character for 17 digits.
 * @param {string} first17
 * @returns {string}
 */
export function checkChar(first17) {
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[total % 11];
}

/**
 * Strip spaces and upper-case a trailing 'x', as people type it.
 * @param {string} value
 * @returns {string}
 */
export function normalise(value) {
  return value.trim().replace(/ /g, '').toUpperCase();
}

/**
 * The birth date (YYYY-MM-DD) encoded in digits 7–14, or null when it is not a real date.
 * @param {string} number
 * @returns {string|null}
 */
export function birthDateOf(number) {
  const y = Number(number.slice(6, 10));
  const m = Number(number.slice(10, 12));
  const d = Number(number.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return null;
  }
  return number.slice(6, 10) + '-' + number.slice(10, 12) + '-' + number.slice(12, 14);
}

/**
 * 'male' or 'female' from the 17th digit.
 * @param {string} number
 * @returns {string}
 */
export function sexOf(number) {
  return Number(number[16]) % 2 ? 'male' : 'female';
}

/**
 * Return the normalised number, or throw an Error whose `code` says why it is not valid.
 * @param {string} number
 * @returns {string}
 */
export function validateNationalId(number) {
  const n = normalise(number);
  const fail = (code) => Object.assign(new Error(code), { code });
  if (!SHAPE.test(n)) throw fail('national_id_format');
  const born = birthDateOf(n);
  if (!born || Number(born.slice(0, 4)) < 1880) throw fail('national_id_birth_date');
  if (checkChar(n.slice(0, 17)) !== n[17]) throw fail('national_id_checksum');
  return n;
}
