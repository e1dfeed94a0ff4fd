/**
 * Putting a saved record right: its author corrects it (the whole record again) or voids it,
 * with a reason (docs/adr/0066-phone-corrections-and-drafts.md, the server's rules in
 * docs/adr/0052). A record the server has not acknowledged yet is corrected in its queued
 * create; a synced one gets an update or delete made on the version the phone holds.
 */
import { database } from '../db.js';
import { data, serial, dropEntity, sealBuckets } from './local.js';
import { saveLocal } from './outbox.js';

/**
 * The outbox ops about one entity, oldest first.
 * @param {string} id
 * @returns {object[]}
 */
export function opsFor(id) {
  return [...data.outbox.values()].filter((op) => op.id === id)
    .sort((a, b) => a.order - b.order || a.device_counter - b.device_counter);
}

/**
 * Save a correction of a record: `value` is the whole record as the doctor left it.
 * A queued create or correction of it is replaced (a create stays a create; a correction
 * keeps the version it was made on); otherwise an update on the version the phone holds.
 * @param {object} value the record, with its id, kind, subject and doctor
 * @param {string} reason
 * @returns {Promise<object>} the op
 */
export function correctRecord(value, reason) {
  const queued = opsFor(value.id).filter((op) => op.action !== 'delete').pop();
  if (queued && queued.action === 'create') return saveLocal('record', value, { replaces: queued.op_id });
  const corrected = { ...value, change_reason: reason };
  if (queued) return saveLocal('record', corrected, { replaces: queued.op_id, reason });
  return saveLocal('record', corrected, { action: 'update', reason });
}

/**
 * Void a record. One whose create the server refused (nothing of it is stored there) is
 * dropped with that op; one whose create is still queued is voided after it, on the
 * version the create will make (1); a synced one on the version the phone holds (a
 * voiding the server refused is replaced).
 * @param {string} id
 * @param {string} reason
 * @returns {Promise<object|null>} the op, or null when nothing had to be sent
 */
export function voidRecord(id, reason) {
  const record = data.record.get(id);
  const ops = opsFor(id);
  const create = ops.find((op) => op.action === 'create');
  if (create && create.state === 'rejected') return discard(id, ops);
  const voided = { ...record, deleted_at: new Date().toISOString(), change_reason: reason };
  // Voided again after the server refused it (corrected_since): on the version now held,
  // in place of the refused op.
  const refused = ops.find((op) => op.action === 'delete' && op.state === 'rejected');
  return saveLocal('record', voided, { action: 'delete', reason, baseVersion: record.version || 1,
    replaces: refused ? refused.op_id : undefined });
}

/** Forget a record the server never stored, and its ops, in one transaction. */
function discard(id, ops) {
  return serial(async () => {
    const touched = new Set();
    dropEntity('record', id, touched);
    const buckets = await sealBuckets(touched);
    const db = await database();
    const tx = db.transaction(['buckets', 'outbox'], 'readwrite');
    const puts = buckets.map(([bk, box]) => tx.objectStore('buckets').put(box, bk));
    for (const op of ops) puts.push(tx.objectStore('outbox').delete(op.op_id));
    await Promise.all([...puts, tx.done]);
    for (const op of ops) data.outbox.delete(op.op_id);
    data.revision += 1;
    return null;
  });
}
