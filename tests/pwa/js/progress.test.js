import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monthServices, chronicRates, targetFor, readings } from '../../../pwa/js/progress.js';

const TODAY = '2026-08-15'; // Q1 and Q2 are over, Q3 is running
const HTN = [{ condition: 'hypertension', managed_since: '2020-01-01' }];
const fu = (resident_id, service_date, sbp, dbp, mode = 'home') =>
  ({ resident_id, kind: 'hypertension_followup', service_date, sbp, dbp, mode });
const byResident = (records) => {
  const m = new Map();
  for (const r of records) m.set(r.resident_id, [...(m.get(r.resident_id) || []), r]);
  return m;
};

test('standard management asks one counted follow-up per finished quarter under management', () => {
  const residents = [
    { id: 'two', birth_date: '1970-01-01', conditions: HTN }, // Q1 + Q2: standard
    { id: 'phone', birth_date: '1970-01-01', conditions: HTN }, // a phone call does not count
    { id: 'new', birth_date: '1970-01-01', conditions: [{ condition: 'hypertension', managed_since: '2026-07-01' }] },
    { id: 'visitor', birth_date: '1970-01-01', permanent: false, conditions: HTN }, // never counts
  ];
  const records = [fu('two', '2026-02-01', 130, 80), fu('two', '2026-05-01', 135, 85),
    fu('phone', '2026-02-01', 130, 80), fu('phone', '2026-05-01', 150, 85, 'phone'),
    fu('new', '2026-07-10', 120, 70), fu('visitor', '2026-02-01', 120, 70)];
  const r = chronicRates({ residents, recordsByResident: byResident(records) }, 'hypertension', TODAY);
  // 'new' is asked nothing yet (Q3 is running): under management, out of the standard ratio.
  assert.deepEqual(r, { managed: 3, asked: 2, standard: 1, controlled: 2 });
});

test('control: the latest reading, relaxed to 150/90 at 65 and over; glucose under 7.0', () => {
  const residents = [
    { id: 'old', birth_date: '1950-01-01', conditions: HTN }, // 145/85 at 76: controlled
    { id: 'young', birth_date: '1980-01-01', conditions: HTN }, // 145/85 at 46: not
  ];
  const records = [fu('old', '2026-01-05', 170, 95), fu('old', '2026-04-05', 145, 85), fu('young', '2026-04-05', 145, 85)];
  const htn = chronicRates({ residents, recordsByResident: byResident(records) }, 'hypertension', TODAY);
  assert.equal(htn.controlled, 1);
  const dm = [{ id: 'd', birth_date: '1960-01-01', conditions: [{ condition: 'diabetes', managed_since: '2019-01-01' }] }];
  const g = (v, day) => ({ resident_id: 'd', kind: 'diabetes_followup', service_date: day, fasting_glucose: v, mode: 'clinic' });
  const ok = chronicRates({ residents: dm, recordsByResident: byResident([g(9.1, '2026-01-03'), g(6.4, '2026-04-03')]) }, 'diabetes', TODAY);
  assert.deepEqual(ok, { managed: 1, asked: 1, standard: 1, controlled: 1 });
});

test("this month's services are the doctor's own, voided ones left out", () => {
  const records = [{ doctor_id: 7, kind: 'household_visit', service_date: '2026-08-02' },
    { doctor_id: 7, kind: 'hypertension_followup', service_date: '2026-08-03' },
    { doctor_id: 7, kind: 'hypertension_followup', service_date: '2026-07-31' },
    { doctor_id: 8, kind: 'hypertension_followup', service_date: '2026-08-03' },
    { doctor_id: 7, kind: 'hypertension_followup', service_date: '2026-08-04', deleted_at: '2026-08-05T00:00:00Z' }];
  assert.deepEqual(monthServices(records, 7, TODAY), { total: 2, byKind: { household_visit: 1, hypertension_followup: 1 } });
});

test("targets: the village's own before the township's; 'rising' has no number", () => {
  const targets = [{ indicator: 'htn_standard', village_id: null, year: 2026, value: 0.6 },
    { indicator: 'htn_standard', village_id: 3, year: 2026, value: 0.7 },
    { indicator: 'htn_control', village_id: null, year: 2026, value: null }];
  assert.equal(targetFor(targets, 'htn_standard', 2026, [3]), 0.7);
  assert.equal(targetFor(targets, 'htn_standard', 2026, [3, 4]), 0.6);
  assert.equal(targetFor(targets, 'htn_control', 2026, [3]), null);
  assert.equal(targetFor(targets, 'htn_standard', 2025, [3]), null);
});

test('readings: oldest first, both-arm checks use the left arm, the latest few', () => {
  const records = [{ service_date: '2026-03-01', sbp: 150, dbp: 90 }, { service_date: '2026-01-01', sbp_left: 160, dbp_left: 95 },
    { service_date: '2026-02-01', fasting_glucose: 8.2 }];
  assert.deepEqual(readings(records), { bp: [{ date: '2026-01-01', sbp: 160, dbp: 95 }, { date: '2026-03-01', sbp: 150, dbp: 90 }],
    glucose: [{ date: '2026-02-01', value: 8.2 }] });
});

test('control: of two readings on the same day, the one entered later', () => {
  const residents = [{ id: 'a', birth_date: '1950-01-01', conditions: HTN }];
  const records = [{ ...fu('a', '2026-08-01', 168, 96), device_created_at: '2026-08-01T09:00:00Z' },
    { ...fu('a', '2026-08-01', 142, 86), device_created_at: '2026-08-01T10:00:00Z' }];
  assert.equal(chronicRates({ residents, recordsByResident: byResident(records) }, 'hypertension', TODAY).controlled, 1);
  assert.equal(chronicRates({ residents, recordsByResident: byResident(records.reverse()) }, 'hypertension', TODAY).controlled, 1);
});
