import { test } from 'node:test';
import assert from 'node:assert/strict';

const { timeOrderedUuid } = await import('../../../pwa/js/ids.js');

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a version 7 UUID with the RFC 9562 variant', () => {
  for (let i = 0; i < 1000; i += 1) assert.match(timeOrderedUuid(), SHAPE);
});

test('the first 48 bits are the Unix milliseconds', () => {
  const ms = Date.UTC(2026, 10, 23, 10, 0, 0, 123);
  const id = timeOrderedUuid(ms);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), ms);
  assert.match(timeOrderedUuid(0), /^00000000-0000-7/);
  assert.match(timeOrderedUuid(2 ** 48 - 1), /^ffffffff-ffff-7/);
});

test('ids made later sort after earlier ones; none repeat', () => {
  const early = timeOrderedUuid(1_700_000_000_000);
  const late = timeOrderedUuid(1_700_000_000_001);
  assert.ok(early < late);
  const seen = new Set(Array.from({ length: 20000 }, () => timeOrderedUuid(1_700_000_000_000)));
  assert.equal(seen.size, 20000);
});

test('the same as the Python client for the same time (sync/ids.py)', () => {
  // sync/ids.py: time_ordered_uuid(0x0190_1234_5678) starts 01901234-5678-7
  assert.ok(timeOrderedUuid(0x019012345678).startsWith('01901234-5678-7'));
});
