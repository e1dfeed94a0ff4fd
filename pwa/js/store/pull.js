/**
 * Applying one sync round (sync.planResponse) in one local transaction: what the server
 * stored, what it rejected, the changes pulled, the notices (moved away, arrived), the new
 * cursor; and, on a reset, everything again from cursor 0 but what the outbox still needs.
 */
import { database, bucketOf, BUCKETS } from '../db.js';
import { seal } from '../crypto.js';
import { loadPinyin } from '../search.js';
import { data, ENTITIES, serial, reindexRecords, putEntity, dropEntity, sealBuckets, sealOp } from './local.js';

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

/** Drop every entity but those the outbox still needs (ops not acknowledged in this
 * round, `removeOps`): the copy of server data comes again from cursor 0. */
function clearServerCopy(removeOps) {
  const keep = new Set([...data.outbox.values()].filter((op) => !removeOps.has(op.op_id)).map((op) => op.id));
  for (const e of ENTITIES) for (const id of [...data[e].keys()]) if (!keep.has(id)) data[e].delete(id);
  reindexRecords();
  return true;
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
      clearAll = clearServerCopy(removeOps);
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
    if (plan.freshStart) {
      // A push from cursor 0: what it stored comes again in the copy if this phone may
      // still see it; only what the outbox still needs stays meanwhile.
      clearAll = clearServerCopy(removeOps);
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
