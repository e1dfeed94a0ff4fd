/**
 * The phone's side of the sync protocol (docs/sync-protocol.md, version 1).
 *
 * Pure parts (buildRequest, planResponse) are tested in Node against the golden vectors in
 * sync/vectors/; syncNow drives them with a store and a transport, so the same loop runs
 * in the app (fetch + IndexedDB) and in tests (fakes).
 */

export const PROTOCOL = 1;
export const MAX_PUSH = 1000;
export const PULL_LIMIT = 1000;
const MAX_ROUNDS = 200;

/**
 * The body of one POST /api/sync. `freshCopy` is the last page's `fresh_copy`, sent back
 * while a fresh copy is being paged (docs/sync-protocol.md, "Fresh copies and resets").
 * @param {{cursor: number, referenceVersion: string, ops: object[], deviceTime: string,
 *   pullLimit?: number, freshCopy?: number|null}} s
 * @returns {object}
 */
export function buildRequest({
  cursor, referenceVersion, ops, deviceTime, pullLimit = PULL_LIMIT, freshCopy = null,
}) {
  const body = {
    protocol: PROTOCOL,
    device_time: deviceTime,
    cursor,
    reference_version: referenceVersion || '',
    pull_limit: pullLimit,
    push: ops.map(wireOp),
  };
  if (freshCopy !== null && freshCopy !== undefined) body.fresh_copy = freshCopy;
  return body;
}

/**
 * An outbox op as it travels: only the protocol's fields.
 * @param {object} op
 * @returns {object}
 */
export function wireOp(op) {
  const wire = {
    op_id: op.op_id, device_counter: op.device_counter, entity: op.entity, action: op.action,
    id: op.id, base_version: op.base_version, device_time: op.device_time, data: op.data,
  };
  if (op.reason) wire.reason = op.reason; // a record's correction or voiding: why
  return wire;
}

/**
 * The cursor to keep after a response. A push-only response leaves the cursor where the
 * request had it, unless its `own_seqs` [a, b] says seqs a+1..b are all this push's own
 * ops, accepted as sent: from a cursor at a the phone may skip to b (docs/sync-protocol.md).
 * @param {object} response
 * @returns {number}
 */
function ownCursor(response) {
  const own = response.own_seqs;
  return Array.isArray(own) && own[0] === response.cursor ? own[1] : response.cursor;
}

/**
 * The fresh copy to keep after a response: the page's `fresh_copy` while the copy has
 * pages to come, null once it is over or on a reset, and undefined (keep what you hold)
 * after a push-only answer, the one kind with `own_seqs`, which pulls nothing.
 * @param {object} response
 * @returns {number|null|undefined}
 */
function freshCopyAfter(response) {
  if ('own_seqs' in response) return undefined;
  return response.reset ? null : response.fresh_copy ?? null;
}

/**
 * What the phone must do with a response, without doing it.
 * @param {object[]} ops the ops that were pushed, in order
 * @param {object} response the parsed response body
 * @param {number} [requestCursor] the cursor the request was sent from: a push made from
 *   cursor 0 (a new phone, the pull after a reset) is stored like a reset (`freshStart`)
 * @returns {{remove: string[], rejected: object[], stored: object[], notices: object[],
 *   changes: object[], cursor: number, freshCopy: number|null|undefined, more: boolean,
 *   reset: boolean, freshStart: boolean, reference: object|null,
 *   referenceVersion: string, clock: {skew: number|null, warning: boolean}, serverTime: string|null}}
 */
export function planResponse(ops, response, requestCursor) {
  if (!response || response.protocol !== PROTOCOL) throw new Error('protocol_mismatch');
  const byId = new Map(ops.map((op) => [op.op_id, op]));
  const plan = {
    remove: [], rejected: [], stored: [], notices: [], changes: response.changes || [],
    cursor: ownCursor(response), freshCopy: freshCopyAfter(response),
    more: Boolean(response.more), reset: Boolean(response.reset),
    // Results first, then the copy of server data cleared, then the changes: an entity
    // that left the phone's villages in this push has no eviction in a fresh copy
    // (docs/sync-protocol.md, "A response to a request made from cursor 0").
    freshStart: requestCursor === 0 && ops.length > 0 && !response.reset,
    reference: response.reference || null, referenceVersion: response.reference_version || '',
    clock: { skew: response.clock_skew_s ?? null, warning: Boolean(response.clock_warning) },
    serverTime: response.server_time || null,
  };
  for (const result of response.results || []) {
    const op = byId.get(result.op_id);
    if (!op) continue; // not ours (cannot happen with a well-behaved server): keep nothing
    const entity = op.entity;
    switch (result.status) {
      case 'accepted':
      case 'duplicate':
        plan.remove.push(op.op_id);
        plan.stored.push({ entity, id: op.id, version: result.version, data: result.data || null,
          // An accepted record's server-made fields (village, doctor, created_at).
          fields: result.server_fields || null,
          record_no: result.record_no || (result.data && result.data.record_no) || null });
        break;
      case 'merged':
      case 'conflict':
        plan.remove.push(op.op_id);
        plan.stored.push({ entity, id: op.id, version: result.version, data: result.data || null });
        plan.notices.push({ kind: result.status, entity, id: op.id, op_id: op.op_id,
          conflicts: result.conflicts || null, at: response.server_time });
        break;
      case 'rejected':
        plan.rejected.push({ op_id: op.op_id, errors: result.errors || {}, code: result.code || null });
        break;
      default:
        break; // an unknown status keeps the op: nothing is lost
    }
  }
  // Ops without a result stay in the outbox and go again next time (idempotent by op_id).
  return plan;
}

/** An error from the server in the API's one error shape. */
export class SyncError extends Error {
  /**
   * @param {number} status HTTP status (0 when the network failed)
   * @param {string} code the API's error code
   * @param {string} [message]
   */
  constructor(status, code, message = '') {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

/**
 * Sync until the server has nothing more: push the outbox in pages, pull every page.
 * The store is told the plan of each round in one call (one local transaction).
 * @param {{syncState(): Promise<{cursor: number, referenceVersion: string, freshCopy?: number|null}>,
 *   pendingOps(limit: number): Promise<object[]>, applyPlan(plan: object): Promise<void>}} store
 * @param {(body: object) => Promise<object>} post sends a body, returns the parsed response
 * @param {{now?: () => Date}} [opts]
 * @returns {Promise<{pushed: number, accepted: number, rejected: number, pulled: number, rounds: number}>}
 */
export async function syncNow(store, post, opts = {}) {
  const now = opts.now || (() => new Date());
  const totals = { pushed: 0, accepted: 0, rejected: 0, pulled: 0, rounds: 0 };
  const sentThisRun = new Set();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const { cursor, referenceVersion, freshCopy } = await store.syncState();
    // Ops already sent in this run and still here were rejected or unanswered: not again.
    const ops = (await store.pendingOps(MAX_PUSH + sentThisRun.size))
      .filter((op) => !sentThisRun.has(op.op_id)).slice(0, MAX_PUSH);
    const body = buildRequest({ cursor, referenceVersion, ops, freshCopy,
      deviceTime: now().toISOString() });
    const response = await post(body); // never inside an IndexedDB transaction
    const plan = planResponse(ops, response, cursor);
    await store.applyPlan(plan);
    ops.forEach((op) => sentThisRun.add(op.op_id));
    totals.rounds += 1;
    totals.pushed += ops.length;
    totals.accepted += plan.remove.length;
    totals.rejected += plan.rejected.length;
    totals.pulled += plan.changes.length;
    const morePush = ops.length === MAX_PUSH;
    if (!plan.more && !plan.reset && !morePush) return totals;
  }
  return totals;
}
