import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { buildRequest, planResponse, syncNow, PROTOCOL, MAX_PUSH } from '../js/sync.js';

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

test('a response of another protocol version is refused', () => {
  assert.throws(() => planResponse([], { protocol: 2 }), /protocol_mismatch/);
});

function fakeStore(ops) {
  const outbox = new Map(ops.map((o) => [o.op_id, o]));
  const state = { cursor: 0, referenceVersion: '' };
  const applied = [];
  return {
    outbox, applied,
    async syncState() { return state; },
    async pendingOps(limit) { return [...outbox.values()].filter((o) => o.state === 'pending').slice(0, limit); },
    async applyPlan(plan) {
      applied.push(plan);
      for (const id of plan.remove) outbox.delete(id);
      for (const r of plan.rejected) outbox.get(r.op_id).state = 'rejected';
      state.cursor = plan.cursor;
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

// ---- the golden vectors shared with the Python client (sync/vectors/) --------------------

const VECTORS = new URL('../../sync/vectors/', import.meta.url);
const vectorFiles = existsSync(VECTORS) ? readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort() : [];

for (const file of vectorFiles) {
  const vector = JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8'));
  const exchanges = Array.isArray(vector.exchanges) ? vector.exchanges : [vector];
  exchanges.forEach((ex, i) => {
    if (!ex.request || !ex.response || !Array.isArray(ex.request.push)) return;
    test(`vector ${file} #${i}: the phone's request and its reading of the response`, () => {
      const req = ex.request;
      const rebuilt = buildRequest({ cursor: req.cursor, referenceVersion: req.reference_version,
        ops: req.push, deviceTime: req.device_time, pullLimit: req.pull_limit });
      assert.deepEqual(rebuilt.push, req.push.map((o) => ({ ...o, device_time: o.device_time ?? undefined })));
      if (ex.response.protocol !== PROTOCOL) return; // an error response (e.g. 401): nothing to plan
      const plan = planResponse(req.push, ex.response);
      const byStatus = (s) => (ex.response.results || []).filter((r) => s.includes(r.status)).map((r) => r.op_id);
      assert.deepEqual(plan.remove, byStatus(['accepted', 'duplicate', 'merged', 'conflict']));
      assert.deepEqual(plan.rejected.map((r) => r.op_id), byStatus(['rejected']));
      assert.equal(plan.cursor, ex.response.cursor);
      assert.equal(plan.reset, Boolean(ex.response.reset));
      assert.deepEqual(plan.changes, ex.response.changes || []);
    });
  });
}
