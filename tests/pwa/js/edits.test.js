import { test } from 'node:test';
import assert from 'node:assert/strict';

// i18n.js keeps the language in localStorage and on <html lang>: minimal stand-ins for Node.
const saved = new Map();
globalThis.localStorage = { getItem: (k) => saved.get(k) ?? null, setItem: (k, v) => saved.set(k, String(v)) };
globalThis.document = { documentElement: {} };

const { changedFields, sameValue, editConditions, formatValue, conflictLines } = await import('../../../pwa/js/edits.js');
const { setLanguage } = await import('../../../pwa/js/i18n.js');

const resident = {
  id: 'r1', version: 3, name: '张三丰', phone: '13800138000', ethnicity: null, permanent: true,
  conditions: [{ condition: 'hypertension', diagnosed_on: null, managed_since: '2020-01-01', ended_on: null }],
};

test('only the fields the form changed are sent; emptied ones as null', () => {
  const form = { name: '张三丰', phone: '13900000003', permanent: true, ethnicity: undefined, allergies: '青霉素',
    conditions: [{ condition: 'hypertension', managed_since: '2020-01-01' }] };
  const changes = changedFields(resident, form, ['name', 'phone', 'permanent', 'ethnicity', 'allergies', 'conditions', 'contact_name']);
  assert.deepEqual(changes, { phone: '13900000003', allergies: '青霉素' });
  assert.deepEqual(changedFields(resident, { name: '张三丰' }, ['name', 'phone']), { phone: null });
});

test('empty, null and missing are the same; lists compare by content', () => {
  assert.ok(sameValue('', null) && sameValue(undefined, null) && sameValue([], null));
  assert.ok(sameValue({ a: 1, b: null }, { a: 1 }));
  assert.ok(!sameValue([{ a: 1 }], [{ a: 2 }]));
  assert.ok(!sameValue(false, null));
});

test('an unticked condition is ended, a new one added, others kept as they were', () => {
  const original = [
    { condition: 'hypertension', managed_since: '2020-01-01', ended_on: null },
    { condition: 'tuberculosis', managed_since: '2024-02-01', ended_on: null }, // not offered on the phone
    { condition: 'diabetes', managed_since: '2010-01-01', ended_on: '2015-01-01' }, // ended long ago
  ];
  const out = editConditions(original, new Map([['diabetes', '2026-03-01']]), ['hypertension', 'diabetes'], '2026-11-23');
  assert.deepEqual(out, [
    { condition: 'hypertension', managed_since: '2020-01-01', ended_on: '2026-11-23' },
    original[1], original[2],
    { condition: 'diabetes', managed_since: '2026-03-01' },
  ]);
  const moved = editConditions(original, new Map([['hypertension', '2019-06-01']]), ['hypertension', 'diabetes'], '2026-11-23');
  assert.equal(moved[0].managed_since, '2019-06-01');
  assert.equal(moved[0].ended_on, null);
});

test('a conflict in words, in Chinese and in English', () => {
  const conflicts = [
    { field: 'phone', kept: '13711112222', yours: '13900000003' },
    { field: 'status', kept: 'moved_out', yours: 'active' },
    { field: 'died_on', kept: null, yours: '2026-03-05' },
    { field: 'permanent', kept: true, yours: false },
    { field: 'household_id', kept: 'h1', yours: 'h2' },
    { field: 'conditions', kept: [{ condition: 'hypertension', managed_since: '2020-01-01' }], yours: [] },
  ];
  const ctx = { households: new Map([['h1', { address: '龙泉村1组1号' }], ['h2', { head_name: '王建国' }]]) };
  setLanguage('zh');
  assert.deepEqual(conflictLines(conflicts, ctx).map((l) => l.text), [
    '电话：保留 13711112222，您的 13900000003 未采用',
    '档案状态：保留 已迁出，您的 在册 未采用',
    '死亡日期：保留 （空），您的 2026年3月5日 未采用',
    '常住（半年以上）：保留 是，您的 否 未采用',
    '家庭：保留 龙泉村1组1号，您的 王建国 未采用',
    '登记疾病：保留 高血压（2020年1月1日起管理），您的 （空） 未采用',
  ]);
  setLanguage('en');
  assert.equal(conflictLines(conflicts, ctx)[0].text, 'Phone: kept 13711112222; yours, 13900000003, was not used');
  assert.equal(conflictLines(conflicts, ctx)[2].text, 'Died on: kept (empty); yours, 5 Mar 2026, was not used');
  assert.equal(formatValue('sex', 'female'), 'Female');
  setLanguage('zh');
  assert.deepEqual(conflictLines({ phone: 'x' }), []); // an old notice's shape: nothing to word
});
