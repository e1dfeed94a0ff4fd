/**
 * Local saves and the outbox: an entity the doctor made or changed is stored with its
 * outbox op in one transaction (docs/adr/0012). An outbox entry is deleted only by
 * applyPlan (pull.js), after the server acknowledged it.
 */
import { database } from '../db.js';
import { loadPinyin } from '../search.js';
import { RECORD_SCHEMAS, RESIDENT, HOUSEHOLD } from '../validate.js';
import { data, serial, uuid, putEntity, sealBuckets, sealOp } from './local.js';

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
 * @param {{action?: string, changed?: object, before?: object, replaces?: string,
 *   baseVersion?: number, reason?: string}} [opts]
 *   `changed`: for an update of a resident/household, only the changed fields; `before`:
 *   their values before the edit (kept with the op, not sent); `replaces`: the op_id of a
 *   rejected or unsent op this one takes the place of (removed in the same transaction);
 *   `baseVersion`: the version the op is made on, when it is not the one the phone holds
 *   (voiding a record whose create is still queued); `reason`: why a record is corrected or
 *   voided (sent with its update or delete)
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
      base_version: action === 'create' ? 0 : opts.baseVersion ?? (replaced && replaced.action === 'update'
        ? replaced.base_version : (prior && prior.version) || 0),
      device_time: new Date().toISOString(),
      data: action === 'delete' ? {} : action === 'update' && entity !== 'record' ? opts.changed : wireData(entity, value),
      state: 'pending', order: replaced ? replaced.order : counter,
    };
    if (opts.reason && action !== 'create') op.reason = opts.reason;
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
  return saveLocal(op.entity, value, { replaces: opId, changed: op.data, before: op.before, reason: op.reason });
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
