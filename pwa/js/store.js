/**
 * The phone's data: residents, households and records held in memory while unlocked, and
 * sealed into IndexedDB on every change, with the outbox written in the same transaction.
 *
 * Order of every write (serialised, one at a time): change memory → seal what changed
 * (async crypto, outside any transaction) → one IndexedDB transaction that puts it all.
 * An outbox entry is deleted only by applyPlan, after the server acknowledged it.
 */
import { database, bucketOf, BUCKETS, wipeDatabase } from './db.js';
import { timeOrderedUuid } from './ids.js';
import { newDataKey, wrapDataKey, unwrapDataKey, seal, open } from './crypto.js';
import { withSearchKeys, loadPinyin } from './search.js';
import { RECORD_SCHEMAS, RESIDENT, HOUSEHOLD } from './validate.js';

export const ENTITIES = ['resident', 'household', 'record'];
const EMPTY_STATE = { cursor: 0, reference_version: '', last_sync_at: null, device_counter: 0,
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
};

let chain = Promise.resolve();
function serial(fn) {
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

/**
 * True when this phone has been enrolled (a wrapped data key exists).
 * @returns {Promise<boolean>}
 */
export async function isEnrolled() {
  return Boolean(await (await database()).get('meta', 'keys'));
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

/** Forget the key and the decrypted data (the app shows the unlock screen). */
export function lock() {
  data.key = null;
  data.device = null;
  for (const e of ENTITIES) data[e].clear();
  data.recordsByResident.clear();
  data.outbox.clear();
  data.notices = [];
  data.reference = {};
  data.revision += 1;
}

/** Read and decrypt everything (cold open). */
async function loadAll() {
  const db = await database();
  const tx = db.transaction(['meta', 'buckets', 'outbox', 'notices']);
  const [state, device, reference, bucketKeys, buckets, outbox, notices] = await Promise.all([
    tx.objectStore('meta').get('state'), tx.objectStore('meta').get('device'),
    tx.objectStore('meta').get('reference'), tx.objectStore('buckets').getAllKeys(),
    tx.objectStore('buckets').getAll(), tx.objectStore('outbox').getAll(),
    tx.objectStore('notices').getAll(), tx.done,
  ]);
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

function reindexRecords() {
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

function putEntity(entity, value, touched) {
  if (entity === 'record') {
    unindexRecord(data.record.get(value.id));
    indexRecord(value);
  }
  if (entity === 'resident') withSearchKeys(value);
  data[entity].set(value.id, value);
  touched.add(`${entity}:${bucketOf(value.id)}`);
}

function dropEntity(entity, id, touched) {
  if (entity === 'record') unindexRecord(data.record.get(id));
  data[entity].delete(id);
  touched.add(`${entity}:${bucketOf(id)}`);
}

async function sealBuckets(touched) {
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

async function sealOp(op) {
  const { state, order, ...body } = op;
  return { op_id: op.op_id, order, state, ...(await seal(data.key, body)) };
}

/** The entity as the server's schema takes it: its own fields, no id, nothing local. */
function wireData(entity, value) {
  const schema = entity === 'record' ? RECORD_SCHEMAS[value.kind] : entity === 'resident' ? RESIDENT : HOUSEHOLD;
  const out = {};
  for (const [k, v] of Object.entries(value)) if (k !== 'id' && k in schema.fields && v !== undefined) out[k] = v;
  return out;
}

/**
 * Save an entity the doctor made or changed, and its outbox op, in one transaction.
 * @param {'resident'|'household'|'record'} entity
 * @param {object} value the full entity (with id)
 * @param {{action?: string, changed?: object, before?: object, replaces?: string}} [opts]
 *   `changed`: for an update of a resident/household, only the changed fields; `before`:
 *   their values before the edit (kept with the op, not sent); `replaces`: the op_id of a
 *   rejected or unsent op this one takes the place of (removed in the same transaction)
 * @returns {Promise<object>} the op
 */
export function saveLocal(entity, value, opts = {}) {
  return serial(async () => {
    if (entity === 'resident') await loadPinyin();
    const started = performance.now();
    const prior = data[entity].get(value.id);
    const replaced = opts.replaces ? data.outbox.get(opts.replaces) : null;
    const action = opts.action || (replaced ? replaced.action : (prior && prior.version ? 'update' : 'create'));
    const counter = data.state.device_counter + 1;
    const op = {
      op_id: uuid(), device_counter: counter, entity, action, id: value.id,
      // A corrected edit keeps the version the doctor's first try was made on.
      base_version: action === 'create' ? 0 : (replaced && replaced.action === 'update'
        ? replaced.base_version : (prior && prior.version) || 0),
      device_time: new Date().toISOString(),
      data: action === 'update' && entity !== 'record' ? opts.changed : wireData(entity, value),
      state: 'pending', order: replaced ? replaced.order : counter,
    };
    // Local only (never on the wire): the values an edit replaced, so a rejected edit can be
    // corrected against what the server still holds.
    if (opts.before) op.before = opts.before;
    const touched = new Set();
    putEntity(entity, { ...value, version: prior ? prior.version : 0 }, touched);
    const state = { ...data.state, device_counter: counter };
    const [buckets, sealedOp] = await Promise.all([sealBuckets(touched), sealOp(op)]);
    const db = await database();
    const tx = db.transaction(['buckets', 'outbox', 'meta'], 'readwrite');
    const puts = buckets.map(([bk, box]) => tx.objectStore('buckets').put(box, bk));
    puts.push(tx.objectStore('outbox').put(sealedOp), tx.objectStore('meta').put(state, 'state'));
    if (replaced) puts.push(tx.objectStore('outbox').delete(replaced.op_id));
    await Promise.all([...puts, tx.done]);
    data.state = state;
    if (replaced) data.outbox.delete(replaced.op_id);
    data.outbox.set(op.op_id, op);
    data.revision += 1;
    performance.measure('save-local', { start: started, end: performance.now() }); // docs/benchmarks.md
    return op;
  });
}

/**
 * Send a rejected op again as it is, under a new op_id (after the cause was fixed elsewhere).
 * @param {string} opId
 * @returns {Promise<object>}
 */
export function resend(opId) {
  const op = data.outbox.get(opId);
  const value = data[op.entity].get(op.id) || { id: op.id, ...op.data };
  return saveLocal(op.entity, value, { replaces: opId, changed: op.data, before: op.before });
}

/** @returns {{cursor: number, referenceVersion: string, freshCopy: number|null}} for the sync loop */
export async function syncState() {
  return { cursor: data.state.cursor, referenceVersion: data.state.reference_version,
    freshCopy: data.state.fresh_copy ?? null };
}

/**
 * Ops waiting to be pushed, oldest entity first (a corrected op keeps its entity's place).
 * @param {number} limit
 * @returns {Promise<object[]>}
 */
export async function pendingOps(limit) {
  return [...data.outbox.values()].filter((op) => op.state === 'pending')
    .sort((a, b) => a.order - b.order || a.device_counter - b.device_counter).slice(0, limit);
}

/** More residents than this moving at once (a change of the doctor's villages) make one
 * notice with their number instead of one each. */
export const MOVED_AWAY_LISTED = 5;

/** Notices of `kind` naming `people` ({id, name}), or one `<kind>_many` with their number. */
function residentNotices(plan, kind, people) {
  if (people.length > MOVED_AWAY_LISTED) {
    return [{ kind: kind + '_many', entity: 'resident', count: people.length, at: plan.serverTime }];
  }
  return people.map((r) => ({ kind, entity: 'resident', id: r.id, name: r.name, at: plan.serverTime }));
}

/** Residents the township moved to a village this phone does not serve, named in a notice
 * before they leave the phone. */
function movedAway(plan) {
  if (plan.reset) return [];
  return residentNotices(plan, 'moved_away', plan.changes
    .filter((c) => c.op === 'evict' && c.entity === 'resident')
    .map((c) => data.resident.get(c.id)).filter(Boolean));
}

/** Residents new to this phone's villages once it holds everything (`caught_up`: not
 * during the first download or a re-initialisation), moved in by the township or
 * registered elsewhere: named, so the doctor knows whom to visit. */
function arrived(plan) {
  if (plan.reset || !data.state.caught_up) return [];
  const seen = new Set();
  return residentNotices(plan, 'arrived', plan.changes
    .filter((c) => c.op === 'upsert' && c.entity === 'resident' && !data.resident.has(c.id) &&
      !seen.has(c.id) && seen.add(c.id))
    .map((c) => ({ id: c.id, name: c.data.name })));
}

/**
 * Apply one sync round's plan (sync.planResponse) in one local transaction.
 * @param {object} plan
 */
export function applyPlan(plan) {
  return serial(async () => {
    await loadPinyin();
    const started = performance.now();
    const touched = new Set();
    const removeOps = new Set(plan.remove);
    const changedOps = [];
    let clearAll = false;
    if (plan.reset) {
      // Keep what the outbox still needs; everything else comes again from cursor 0.
      const keep = new Set([...data.outbox.values()].filter((op) => !removeOps.has(op.op_id)).map((op) => op.id));
      for (const e of ENTITIES) for (const id of [...data[e].keys()]) if (!keep.has(id)) data[e].delete(id);
      reindexRecords();
      clearAll = true;
    }
    for (const s of plan.stored) {
      const current = data[s.entity].get(s.id);
      const next = s.data ? { ...current, ...s.data } : { ...current, ...s.fields };
      next.version = s.version;
      if (s.record_no) next.record_no = s.record_no;
      if (current || s.data) putEntity(s.entity, next, touched);
    }
    for (const r of plan.rejected) {
      const op = data.outbox.get(r.op_id);
      if (!op) continue;
      Object.assign(op, { state: 'rejected', errors: r.errors, reject_code: r.code });
      changedOps.push(op);
    }
    plan.notices.push(...movedAway(plan), ...arrived(plan));
    for (const c of plan.changes) {
      if (c.op === 'upsert') putEntity(c.entity, { ...c.data, version: c.version }, touched);
      else dropEntity(c.entity, c.id, touched);
    }
    // A rejected edit stays visible on the phone until it is corrected or given up.
    for (const op of data.outbox.values()) {
      if (removeOps.has(op.op_id) || op.action !== 'update' || op.entity === 'record') continue;
      const current = data[op.entity].get(op.id);
      if (current && touched.has(`${op.entity}:${bucketOf(op.id)}`)) Object.assign(current, op.data);
    }
    const state = { ...data.state, cursor: plan.reset ? 0 : plan.cursor, last_error: null,
      // Kept with the cursor while a fresh copy is paged (docs/sync-protocol.md).
      fresh_copy: plan.freshCopy === undefined ? data.state.fresh_copy ?? null : plan.freshCopy,
      caught_up: !plan.reset && (Boolean(data.state.caught_up) || !plan.more),
      reference_version: plan.referenceVersion || data.state.reference_version,
      last_sync_at: plan.serverTime || new Date().toISOString(),
      clock_skew_s: plan.clock.skew, clock_warning: plan.clock.warning };
    if (clearAll) for (const e of ENTITIES) for (let n = 0; n < BUCKETS; n += 1) touched.add(`${e}:${n}`);
    const [buckets, ops, ref, notes] = await Promise.all([
      sealBuckets(touched), Promise.all(changedOps.map(sealOp)),
      plan.reference ? seal(data.key, plan.reference) : null,
      Promise.all(plan.notices.map((n) => seal(data.key, n))),
    ]);
    const db = await database();
    const tx = db.transaction(['buckets', 'outbox', 'meta', 'notices'], 'readwrite');
    const b = tx.objectStore('buckets');
    const puts = buckets.map(([bk, box]) => b.put(box, bk));
    for (const id of removeOps) puts.push(tx.objectStore('outbox').delete(id));
    for (const op of ops) puts.push(tx.objectStore('outbox').put(op));
    if (ref) puts.push(tx.objectStore('meta').put(ref, 'reference'));
    for (const n of notes) puts.push(tx.objectStore('notices').add(n));
    puts.push(tx.objectStore('meta').put(state, 'state'));
    await Promise.all([...puts, tx.done]);
    for (const id of removeOps) data.outbox.delete(id);
    if (plan.reference) data.reference = plan.reference;
    data.notices.push(...plan.notices);
    data.state = state;
    data.revision += 1;
    performance.measure('apply-plan', { start: started, end: performance.now() });
  });
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

/**
 * Ops not yet acknowledged by the server (pending and rejected).
 * @returns {number}
 */
export function unsyncedCount() {
  return data.outbox.size;
}

/**
 * Delete every local byte (logout). The caller has made sure nothing unsynced is lost
 * silently: the doctor confirmed with the PIN after seeing the count.
 */
export async function wipe() {
  lock();
  data.state = { ...EMPTY_STATE };
  await wipeDatabase();
}
