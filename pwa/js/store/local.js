/**
 * The phone's data while unlocked: residents, households, records, the outbox and the
 * notices in memory (`data`), and how they are read from and sealed into IndexedDB.
 * keys.js, outbox.js and pull.js write through here; the screens read `data` through
 * store.js.
 *
 * Order of every write (serialised, one at a time): change memory → seal what changed
 * (async crypto, outside any transaction) → one IndexedDB transaction that puts it all.
 */
import { database, bucketOf } from '../db.js';
import { timeOrderedUuid } from '../ids.js';
import { seal, open } from '../crypto.js';
import { withSearchKeys } from '../search.js';

export const ENTITIES = ['resident', 'household', 'record'];
export const EMPTY_STATE = { cursor: 0, reference_version: '', last_sync_at: null, device_counter: 0,
  clock_skew_s: null, clock_warning: false, revoked: false, last_error: null };

/** Everything the screens read. Filled by unlock(), emptied by lock(). */
export const data = {
  key: null,
  device: null, // {device_id, token, user}
  reference: {},
  state: { ...EMPTY_STATE },
  resident: new Map(),
  household: new Map(),
  record: new Map(),
  recordsByResident: new Map(),
  outbox: new Map(), // op_id → op (decrypted), with state and errors
  notices: [],
  revision: 0, // bumped on every change, so screens and the search index know to refresh
  // The outbox's size while locked (the ops themselves are sealed): read from the
  // outbox's readable states, so the status bar tells the truth before the PIN.
  locked: null, // {unsynced, rejected}; null until read
};

let chain = Promise.resolve();
let prefetched = null; // the sealed stores, read while the PIN is typed

/**
 * Run `fn` after every write queued before it: writes never interleave.
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export function serial(fn) {
  const next = chain.then(fn, fn);
  chain = next.catch(() => {});
  return next;
}

/**
 * A fresh record id: a time-ordered UUID (v7, ids.js).
 * @returns {string}
 */
export function uuid() {
  return timeOrderedUuid();
}

/** Forget the key and the decrypted data (the app shows the unlock screen). */
export function lock() {
  data.locked = outboxCounts();
  prefetched = null;
  data.key = null;
  data.device = null;
  for (const e of ENTITIES) data[e].clear();
  data.recordsByResident.clear();
  data.outbox.clear();
  data.notices = [];
  data.reference = {};
  data.revision += 1;
}

/** Every sealed store as IndexedDB holds it (nothing opened). */
async function readSealed() {
  const db = await database();
  const tx = db.transaction(['meta', 'buckets', 'outbox', 'notices']);
  const [state, device, reference, bucketKeys, buckets, outbox, notices] = await Promise.all([
    tx.objectStore('meta').get('state'), tx.objectStore('meta').get('device'),
    tx.objectStore('meta').get('reference'), tx.objectStore('buckets').getAllKeys(),
    tx.objectStore('buckets').getAll(), tx.objectStore('outbox').getAll(),
    tx.objectStore('notices').getAll(), tx.done,
  ]);
  return { state, device, reference, bucketKeys, buckets, outbox, notices };
}

/**
 * While the unlock screen waits for the PIN, read the sealed stores, so unlocking only
 * opens them (ADR 0067). Nothing is written while locked, so the read stays current;
 * lock() drops it.
 */
export function prefetchSealed() {
  if (!prefetched && !data.key) {
    prefetched = readSealed();
    prefetched.catch(() => { prefetched = null; });
  }
}

/** Read and decrypt everything (cold open), with `data.key` set. */
export async function loadAll() {
  const sealed = prefetched || readSealed();
  prefetched = null; // each read is used once: after unlock, memory is the truth
  const { state, device, reference, bucketKeys, buckets, outbox, notices } = await sealed;
  const k = data.key;
  const [dev, ref, opened, ops, notes] = await Promise.all([
    device ? open(k, device) : null, reference ? open(k, reference) : {},
    Promise.all(buckets.map((b) => open(k, b))),
    Promise.all(outbox.map(async (o) => ({ ...(await open(k, o)), state: o.state, order: o.order }))),
    Promise.all(notices.map((n) => open(k, n))),
  ]);
  data.device = dev;
  data.reference = ref || {};
  data.state = { ...EMPTY_STATE, ...(state || {}) };
  for (const e of ENTITIES) data[e].clear();
  bucketKeys.forEach((bk, i) => {
    const entity = bk.split(':')[0];
    for (const [id, value] of Object.entries(opened[i])) data[entity].set(id, value);
  });
  data.outbox = new Map(ops.map((op) => [op.op_id, op]));
  data.notices = notes;
  reindexRecords();
  data.revision += 1;
}

/** Rebuild the records-by-resident index from the records in memory. */
export function reindexRecords() {
  data.recordsByResident.clear();
  for (const rec of data.record.values()) indexRecord(rec);
}

function indexRecord(rec) {
  if (!rec.resident_id) return;
  const list = data.recordsByResident.get(rec.resident_id);
  if (list) {
    const i = list.findIndex((x) => x.id === rec.id);
    if (i >= 0) list[i] = rec; else list.push(rec);
  } else {
    data.recordsByResident.set(rec.resident_id, [rec]);
  }
}

function unindexRecord(rec) {
  const list = rec && rec.resident_id && data.recordsByResident.get(rec.resident_id);
  if (list) data.recordsByResident.set(rec.resident_id, list.filter((x) => x.id !== rec.id));
}

/**
 * Put an entity in memory and note its bucket as one to seal.
 * @param {string} entity
 * @param {object} value
 * @param {Set<string>} touched buckets changed by this write
 */
export function putEntity(entity, value, touched) {
  if (entity === 'record') {
    unindexRecord(data.record.get(value.id));
    indexRecord(value);
  }
  if (entity === 'resident') withSearchKeys(value);
  data[entity].set(value.id, value);
  touched.add(`${entity}:${bucketOf(value.id)}`);
}

/**
 * Drop an entity from memory and note its bucket as one to seal.
 * @param {string} entity
 * @param {string} id
 * @param {Set<string>} touched
 */
export function dropEntity(entity, id, touched) {
  if (entity === 'record') unindexRecord(data.record.get(id));
  data[entity].delete(id);
  touched.add(`${entity}:${bucketOf(id)}`);
}

/**
 * Seal every touched bucket as it now is in memory.
 * @param {Set<string>} touched
 * @returns {Promise<Array<[string, object]>>} [bucket key, sealed box]
 */
export async function sealBuckets(touched) {
  const byBucket = new Map([...touched].map((bk) => [bk, {}]));
  for (const bk of byBucket.keys()) {
    const [entity, n] = bk.split(':');
    const out = byBucket.get(bk);
    for (const [id, value] of data[entity]) if (bucketOf(id) === Number(n)) out[id] = value;
  }
  const keys = [...byBucket.keys()];
  const sealed = await Promise.all(keys.map((bk) => seal(data.key, byBucket.get(bk))));
  return keys.map((bk, i) => [bk, sealed[i]]);
}

/**
 * Seal an outbox op; its id, order and state stay readable (the outbox is read in order).
 * @param {object} op
 * @returns {Promise<object>}
 */
export async function sealOp(op) {
  const { state, order, ...body } = op;
  return { op_id: op.op_id, order, state, ...(await seal(data.key, body)) };
}

/**
 * Remember a sync failure (or a revoked device) in the readable state.
 * @param {object} patch
 */
export function updateState(patch) {
  return serial(async () => {
    const state = { ...data.state, ...patch };
    await (await database()).put('meta', state, 'state');
    data.state = state;
    data.revision += 1;
  });
}

/** @returns {{cursor: number, referenceVersion: string, freshCopy: number|null}} for the sync loop */
export async function syncState() {
  return { cursor: data.state.cursor, referenceVersion: data.state.reference_version,
    freshCopy: data.state.fresh_copy ?? null };
}

/**
 * Ops not yet acknowledged by the server (pending and rejected), locked or not.
 * @returns {number}
 */
export function unsyncedCount() {
  return outboxCounts().unsynced ?? 0;
}

/**
 * The outbox in numbers: from memory while unlocked, else what the database showed.
 * @returns {{unsynced: number|null, rejected: number}} `unsynced` null while not yet read
 */
export function outboxCounts() {
  if (!data.key) return data.locked || { unsynced: null, rejected: 0 }; // null: not read yet
  let rejected = 0;
  for (const op of data.outbox.values()) if (op.state === 'rejected') rejected += 1;
  return { unsynced: data.outbox.size, rejected };
}

/**
 * Before unlock (a cold open): read what the database keeps readable, the sync state and
 * each outbox entry's state, so the status bar shows the true unsynced count and the last
 * sync while locked. Nothing sealed is opened; no key is needed (ADR 0067).
 */
export async function readLockedStatus() {
  const db = await database();
  const tx = db.transaction(['meta', 'outbox']);
  const [state, ops] = await Promise.all([tx.objectStore('meta').get('state'),
    tx.objectStore('outbox').getAll(), tx.done]);
  if (data.key) return; // unlocked meanwhile: memory is the truth
  data.state = { ...EMPTY_STATE, ...(state || {}) };
  data.locked = { unsynced: ops.length, rejected: ops.filter((o) => o.state === 'rejected').length };
}
