import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResidentIndex, loadPinyin, withSearchKeys } from '../../../pwa/js/search.js';

await loadPinyin();

const residents = [
  { id: 'a', name: '张三丰', national_id: '511921195003070018', phone: '13800138000', household_id: 'h1' },
  { id: 'b', name: '张三', phone: '13912345678', household_id: 'h2' },
  { id: 'c', name: '单雄信', national_id: '51192119850612001X' },
  { id: 'd', name: '曾小明' },
].map(withSearchKeys);
const households = new Map([['h1', { head_name: '张三丰', address: '龙泉村1组1号' }],
  ['h2', { head_name: '李四', address: '石板村2组5号', house_no: '5' }]]);
const index = new ResidentIndex(residents, households);
const names = (q) => index.search(q).map((r) => r.name);

test('pinyin initials find the name, exact initials first', () => {
  assert.deepEqual(names('zsf'), ['张三丰']);
  assert.deepEqual(names('zs'), ['张三', '张三丰']);
});

test('surnames are read as surnames', () => {
  assert.deepEqual(names('sxx'), ['单雄信']);
  assert.deepEqual(names('zxm'), ['曾小明']);
});

test('full pinyin, Chinese name, ID number, phone, household', () => {
  assert.deepEqual(names('zhangsanfeng'), ['张三丰']);
  assert.deepEqual(names('张三'), ['张三', '张三丰']);
  assert.deepEqual(names('5119211950'), ['张三丰']);
  assert.deepEqual(names('51192119850612001x'), ['单雄信']);
  assert.deepEqual(names('139123'), ['张三']);
  assert.deepEqual(names('李四'), ['张三']);
  assert.deepEqual(names('石板村'), ['张三']);
});

test('no match and empty query give nothing', () => {
  assert.deepEqual(names('qqq'), []);
  assert.deepEqual(names('  '), []);
});
