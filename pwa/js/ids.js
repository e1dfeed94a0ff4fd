/* Record ids: time-ordered UUIDs (version 7, RFC 9562), as the Python client makes them
 * (sync/ids.py, docs/adr/0040-time-ordered-ids.md). The first 48 bits are the Unix time in
 * milliseconds, so a phone's new records sort after its older ones and land at the end of
 * the server's indexes; the other 74 bits are random, so ids stay unique without
 * coordination. A wrong phone clock changes only the order, never uniqueness.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A fresh version 7 UUID.
 * @param {number} [ms] Unix milliseconds (defaults to now)
 * @returns {string}
 */
export function timeOrderedUuid(ms = Date.now()) {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes.subarray(6));
  let t = Math.max(0, Math.floor(ms));
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // RFC 9562 variant
  const h = Array.from(bytes, (b) => HEX[b]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
