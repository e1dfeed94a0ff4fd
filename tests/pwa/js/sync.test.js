import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { buildRequest, planResponse, syncNow, PROTOCOL, MAX_PUSH } from '../../../pwa/js/sync.js';

const op = (n, extra = {}) => ({ op_id: `op-${n}`, device_counter: n, entity: 'record', action: 'create',
  id: `id-${n}`, base_version: 0, device_time: '2026-11-20T09:13:00Z', data: { kind: 'x' }, state: 'pending', order: n, ...extra });

test('the request carries the cursor, reference version and the ops, wire fields only', () => {
  const body = buildRequest({ cursor: 7, referenceVersion: 'abc', ops: [op(1)], deviceTime: '2026-11-23T08:00:00Z' });
  assert.equal(body.protocol, PROTOCOL);
  assert.equal(body.cursor, 7);
  assert.equal(body.reference_version, 'abc');
  assert.deepEqual(Object.keys(body.push[0]).sort(),
    ['action', 'base_version', 'data', 'device_counter', 'device_time', 'entity', 'id', 'op_id']);
});

test("a record's correction or voiding carries the doctor's reason; other ops go without one", () => {
  const voiding = op(2, { action: 'delete', base_version: 1, data: {}, reason: '重复录入' });
  const [create, voided] = buildRequest({ cursor: 0, referenceVersion: '', ops: [op(1), voiding],
    deviceTime: '2026-11-23T08:00:00Z' }).push;
  assert.equal('reason' in create, false);
  assert.equal(voided.reason, '重复录入');
  assert.deepEqual(voided.data, {});
});

test('only acknowledged ops leave the outbox; rejected ones stay with their reasons', () => {
  const ops = [op(1), op(2), op(3, { entity: 'resident', action: 'update', base_version: 2 }), op(4), op(5)];
  const response = { protocol: 1, cursor: 10, more: false, reset: false, changes: [], server_time: '2026-11-23T08:00:01Z',
    clock_skew_s: -400, clock_warning: true, results: [
      { op_id: 'op-1', id: 'id-1', status: 'accepted', version: 1, seq: 9 },
      { op_id: 'op-2', id: 'id-2', status: 'rejected', errors: { sbp: [{ code: 'range', message: '应在 60–300 之间' }] } },
      { op_id: 'op-3', id: 'id-3', status: 'conflict', version: 4, data: { name: '甲' }, conflicts: { phone: 'x' } },
      { op_id: 'op-4', id: 'id-4', status: 'duplicate', version: 1 },
    ] };
  const plan = planResponse(ops, response);
  assert.deepEqual(plan.remove, ['op-1', 'op-3', 'op-4']); // op-5 had no answer: it stays
  assert.deepEqual(plan.rejected.map((r) => r.op_id), ['op-2']);
  assert.equal(plan.rejected[0].errors.sbp[0].message, '应在 60–300 之间');
  assert.equal(plan.notices[0].kind, 'conflict');
  assert.deepEqual(plan.clock, { skew: -400, warning: true });
  assert.equal(plan.cursor, 10);
});

test("an accepted record's server fields are kept for the store, a resident's data as before", () => {
  const fields = { village_id: 3, doctor_id: 7, created_at: '2026-11-23T08:00:01Z' };
  const response = { protocol: 1, cursor: 0, more: false, reset: false, changes: [], results: [
    { op_id: 'op-1', id: 'id-1', status: 'accepted', version: 1, seq: 9, server_fields: fields },
    { op_id: 'op-2', id: 'id-2', status: 'accepted', version: 2, seq: 10, data: { name: '甲' } },
  ] };
  const plan = planResponse([op(1), op(2, { entity: 'resident' })], response);
  assert.deepEqual(plan.stored.map((s) => [s.data, s.fields]), [[null, fields], [{ name: '甲' }, null]]);
});

test('a response of another protocol version is refused', () => {
  assert.throws(() => planResponse([], { protocol: 2 }), /protocol_mismatch/);
});

function fakeStore(ops) {
  const outbox = new Map(ops.map((o) => [o.op_id, o]));
  const state = { cursor: 0, referenceVersion: '', freshCopy: null };
  const applied = [];
  return {
    outbox, applied,
    async syncState() { return state; },
    async pendingOps(limit) { return [...outbox.values()].filter((o) => o.state === 'pending').slice(0, limit); },
    async applyPlan(plan) {
      applied.push(plan);
      for (const id of plan.remove) outbox.delete(id);
      for (const r of plan.rejected) outbox.get(r.op_id).state = 'rejected';
      state.cursor = plan.reset ? 0 : plan.cursor;
      if (plan.freshCopy !== undefined) state.freshCopy = plan.freshCopy; // as store.applyPlan
    },
  };
}

test('syncNow pages the push, follows `more`, and never re-sends a rejected op in one run', async () => {
  const ops = Array.from({ length: MAX_PUSH + 5 }, (_, i) => op(i + 1));
  const store = fakeStore(ops);
  const bodies = [];
  let seq = 0;
  const post = async (body) => {
    bodies.push(body);
    const results = body.push.map((o) => (o.op_id === 'op-3' ? { op_id: o.op_id, status: 'rejected', errors: {} }
      : { op_id: o.op_id, status: 'accepted', version: 1 }));
    seq += 1;
    return { protocol: 1, results, changes: [{ seq, entity: 'record', id: 's' + seq, op: 'upsert', version: 1, data: {} }],
      cursor: seq, more: seq < 4, reset: false };
  };
  const totals = await syncNow(store, post, { now: () => new Date('2026-11-23T08:00:00Z') });
  assert.equal(bodies[0].push.length, MAX_PUSH);
  assert.equal(bodies[1].push.length, 5);
  assert.equal(bodies[2].push.length, 0); // pulling on: `more` was true
  assert.equal(bodies.length, 4);
  assert.equal(bodies[1].cursor, 1);
  assert.deepEqual([...store.outbox.keys()], ['op-3']);
  assert.equal(totals.rejected, 1);
  assert.equal(totals.pulled, 4);
});

test('a failed request leaves the outbox as it was', async () => {
  const store = fakeStore([op(1)]);
  await assert.rejects(syncNow(store, async () => { throw new Error('network'); }));
  assert.equal(store.outbox.size, 1);
  assert.equal(store.applied.length, 0);
});

// ---- fresh copies and resets (docs/sync-protocol.md, docs/adr/0049-reset-once.md) -------

test('fresh_copy goes out only when held, and a plan keeps it while the copy has pages', () => {
  const base = { cursor: 8, referenceVersion: 'r', ops: [], deviceTime: '2026-11-23T08:00:00Z' };
  assert.equal('fresh_copy' in buildRequest(base), false);
  assert.equal(buildRequest({ ...base, freshCopy: 30 }).fresh_copy, 30);
  const page = { protocol: 1, results: [], changes: [], cursor: 8, more: true, reset: false };
  assert.equal(planResponse([], { ...page, fresh_copy: 30 }).freshCopy, 30);
  assert.equal(planResponse([], { ...page, more: false, cursor: 31 }).freshCopy, null);
  assert.equal(planResponse([], { ...page, more: false, cursor: 0, reset: true }).freshCopy, null);
  // A push-only answer pulls nothing: the copy in progress is kept as it is.
  assert.equal(planResponse([], { ...page, more: false, own_seqs: null }).freshCopy, undefined);
});

/**
 * A server that pages and resets as docs/sync-protocol.md says: seqs 1..hwm all live,
 * tombstones purged through `purged`.
 */
function pagingServer({ hwm, purged, pageSize }) {
  return async (body) => {
    const fresh = body.cursor === 0 ? hwm : body.fresh_copy ?? null;
    const neededAfter = fresh === null ? body.cursor : Math.max(body.cursor, fresh);
    if (body.cursor > 0 && neededAfter < purged) {
      return { protocol: 1, results: [], changes: [], cursor: 0, more: false, reset: true };
    }
    const changes = [];
    for (let seq = body.cursor + 1; seq <= hwm && changes.length < pageSize; seq += 1) {
      changes.push({ seq, entity: 'record', id: `r${seq}`, op: 'upsert', version: 1, data: {} });
    }
    const more = changes.length === pageSize;
    const response = { protocol: 1, results: [], changes, cursor: more ? changes.at(-1).seq : hwm,
      more, reset: false };
    if (more) response.fresh_copy = fresh;
    return response;
  };
}

test('after a purge an old cursor is reset once, then the fresh copy pages to its end', async () => {
  const store = fakeStore([]);
  (await store.syncState()).cursor = 5; // older than the purge horizon (25)
  const bodies = [];
  const server = pagingServer({ hwm: 30, purged: 25, pageSize: 4 });
  const totals = await syncNow(store, async (body) => { bodies.push(body); return server(body); });
  assert.equal(store.applied.filter((plan) => plan.reset).length, 1);
  assert.deepEqual(bodies.map((b) => b.cursor), [5, 0, 4, 8, 12, 16, 20, 24, 28]);
  assert.deepEqual(bodies.slice(2).map((b) => b.fresh_copy), Array(7).fill(30));
  assert.equal(totals.pulled, 30);
  assert.deepEqual(await store.syncState(), { cursor: 30, referenceVersion: '', freshCopy: null });
});

// ---- the golden vectors shared with the Python client (sync/vectors/) --------------------

// The shared conversation (sync/vectors/v1.json): replay every case through planResponse
// with a minimal local state that applies the plan as store.applyPlan does, and compare
// with the state the vectors say a client must hold afterwards.
const V1 = new URL('../../../sync/vectors/v1.json', import.meta.url);
if (existsSync(V1)) {
  const golden = JSON.parse(readFileSync(V1, 'utf8'));
  const tracksRecords = golden.cases.some((c) => Object.keys(c.client_after.entities).some((k) => k.startsWith('record:')));
  test('golden conversation v1: the phone ends each case in the state the vectors require', () => {
    const entities = new Map();
    const outbox = new Map();
    for (const c of golden.cases) {
      for (const o of c.request.push) if (!outbox.has(o.op_id)) outbox.set(o.op_id, { ...o, status: 'pending' });
      const ops = c.request.push;
      const body = buildRequest({ cursor: c.request.cursor, referenceVersion: c.request.reference_version,
        ops, deviceTime: c.request.device_time, pullLimit: c.request.pull_limit });
      assert.deepEqual(body.push, ops.map((o) => wireKeys(o)), `${c.name}: request ops`);
      assert.equal(body.protocol, c.request.protocol);
      const plan = planResponse(ops, c.response);
      for (const id of plan.remove) outbox.delete(id);
      for (const r of plan.rejected) outbox.get(r.op_id).status = 'rejected';
      for (const s of plan.stored) entities.set(`${s.entity}:${s.id}`, s.version);
      for (const ch of plan.changes) {
        if (ch.op === 'upsert') entities.set(`${ch.entity}:${ch.id}`, ch.version);
        else entities.delete(`${ch.entity}:${ch.id}`);
      }
      const cursor = plan.reset ? 0 : plan.cursor;
      const mine = Object.fromEntries([...entities].filter(([k]) => tracksRecords || !k.startsWith('record:')));
      assert.deepEqual(mine, c.client_after.entities, `${c.name}: entity versions`);
      assert.deepEqual([...outbox.values()].map((o) => ({ op_id: o.op_id, status: o.status })),
        c.client_after.outbox, `${c.name}: outbox`);
      assert.equal(cursor, c.client_after.cursor, `${c.name}: cursor`);
    }
  });
}

function wireKeys(o) {
  return { op_id: o.op_id, device_counter: o.device_counter, entity: o.entity, action: o.action, id: o.id,
    base_version: o.base_version, device_time: o.device_time, data: o.data };
}

test('a push made from cursor 0 is stored like a reset (results, copy cleared, changes)', () => {
  const response = { protocol: PROTOCOL, results: [{ op_id: 'o1', status: 'accepted', version: 1 }],
    changes: [], cursor: 5, more: false, reset: false };
  const ops = [{ op_id: 'o1', entity: 'record', id: 'r1', action: 'create' }];
  assert.equal(planResponse(ops, response, 0).freshStart, true);
  // Not from an ordinary cursor, not when nothing was pushed, not on a reset (cleared anyway).
  assert.equal(planResponse(ops, response, 7).freshStart, false);
  assert.equal(planResponse([], response, 0).freshStart, false);
  assert.equal(planResponse(ops, { ...response, reset: true }, 0).freshStart, false);
});
