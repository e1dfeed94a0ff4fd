/**
 * The phone's IndexedDB database (jakearchibald/idb). Constants first, a lazily opened
 * database, additive upgrades. Every payload is sealed (crypto.js); what stays readable is
 * only what a lost phone may show: salts and wrapped keys, counters, op states.
 *
 * Stores:
 *  - meta: key → value. 'keys' (wrapped data key boxes), 'state' (cursor, last sync time,
 *    device counter, clock warning), 'device' and 'reference' (sealed).
 *  - buckets: `${entity}:${n}` → sealed {id: entity} for 64 buckets per entity type, so a
 *    cold open decrypts a few hundred blobs rather than one per resident or record.
 *  - outbox: op_id → {op_id, order, state: 'pending'|'rejected', iv, ct (the sealed op)}.
 *  - notices: auto id → sealed merge/conflict notices for the doctor.
 */
import { openDB, deleteDB } from 'idb';

export const DB_NAME = 'cunyi';
export const DB_VERSION = 1;
export const BUCKETS = 64;

let dbPromise = null;
let onBlocking = () => {};

/**
 * Called when a newer app version needs to upgrade the database: this page must let go.
 * @param {() => void} fn
 */
export function setBlockingHandler(fn) {
  onBlocking = fn;
}

/**
 * The database, opened once.
 * @returns {Promise<import('idb').IDBPDatabase>}
 */
export function database() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          db.createObjectStore('meta');
          db.createObjectStore('buckets');
          const outbox = db.createObjectStore('outbox', { keyPath: 'op_id' });
          outbox.createIndex('by_order', 'order');
          db.createObjectStore('notices', { autoIncrement: true });
        }
        // Later versions add `if (oldVersion < 2) { ... }` here: never drop the outbox.
      },
      blocking() {
        onBlocking();
      },
    });
  }
  return dbPromise;
}

/**
 * Close and forget the connection (before deleting, or when a new version takes over).
 */
export async function closeDatabase() {
  if (dbPromise) {
    (await dbPromise).close();
    dbPromise = null;
  }
}

/**
 * Delete everything on this phone (logout after every record is synced or explicitly given up).
 */
export async function wipeDatabase() {
  await closeDatabase();
  await deleteDB(DB_NAME);
}

/**
 * The bucket a UUID falls into: its first two hex digits, folded into 0..63.
 * @param {string} id
 * @returns {number}
 */
export function bucketOf(id) {
  return (parseInt(String(id).slice(0, 2), 16) || 0) % BUCKETS;
}

// A cold open waits on this database before it can show the unlock screen: start opening
// it as this module loads, while the rest of the app's modules are still being evaluated,
// not when boot() first asks (ADR 0067). Node (the unit tests) has no IndexedDB.
if (typeof indexedDB !== 'undefined') database().catch(() => { dbPromise = null; });
