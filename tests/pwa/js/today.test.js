import { test } from 'node:test';
import assert from 'node:assert/strict';
import { todaysWork, addMonths, ageOn } from '../../../pwa/js/today.js';

const TODAY = '2026-11-23';
const byResident = (records) => {
  const m = new Map();
  for (const r of records) m.set(r.resident_id, [...(m.get(r.resident_id) || []), r]);
  return m;
};

test('follow-ups: never seen is due today, a past next visit is overdue, far ones wait', () => {
  const residents = [
    { id: 'new', name: 'A', birth_date: '1960-01-01', conditions: [{ condition: 'hypertension' }] },
    { id: 'late', name: 'B', birth_date: '1960-01-01', conditions: [{ condition: 'diabetes' }] },
    { id: 'fine', name: 'C', birth_date: '1960-01-01', conditions: [{ condition: 'hypertension' }] },
    { id: 'ended', name: 'D', birth_date: '1960-01-01', conditions: [{ condition: 'hypertension', ended_on: '2025-01-01' }] },
  ];
  const records = [
    { resident_id: 'late', kind: 'diabetes_followup', service_date: '2026-08-01', next_visit_date: '2026-11-01', fasting_glucose: 6 },
    { resident_id: 'fine', kind: 'hypertension_followup', service_date: '2026-11-01', next_visit_date: '2027-02-01', sbp: 130, dbp: 80 },
  ];
  const work = todaysWork({ residents, recordsByResident: byResident(records) }, TODAY);
  assert.deepEqual(work.followUps.map((x) => [x.resident.id, x.overdue]), [['late', true], ['new', false]]);
});

test('vaccinations: doses given are not due, late ones are missed', () => {
  const child = { id: 'kid', name: 'K', birth_date: '2026-05-20' };
  const records = [{ resident_id: 'kid', kind: 'vaccination_check', service_date: '2026-06-01',
    doses_given: [{ vaccine: 'HepB', dose_no: 1 }, { vaccine: 'BCG', dose_no: 1 }, { vaccine: 'HepB', dose_no: 2 }] }];
  const [item] = todaysWork({ residents: [child], recordsByResident: byResident(records) }, TODAY).vaccinations;
  const missed = item.missed.map((d) => `${d.vaccine}${d.dose_no}`);
  assert.ok(missed.includes('IPV1') && missed.includes('DTaP1'));
  assert.ok(!missed.includes('HepB1') && !missed.includes('BCG1'));
  assert.ok(item.due.map((d) => `${d.vaccine}${d.dose_no}`).includes('HepB3')); // due at 6 months
});

test('65+ without a check this year; a check last year does not count', () => {
  const residents = [{ id: 'old', name: 'O', birth_date: '1950-03-07' }, { id: 'done', name: 'P', birth_date: '1940-01-01' },
    { id: 'young', name: 'Y', birth_date: '1962-01-01' }];
  const records = [{ resident_id: 'old', kind: 'elderly_health_check', service_date: '2025-06-01' },
    { resident_id: 'done', kind: 'elderly_health_check', service_date: '2026-04-01' }];
  const work = todaysWork({ residents, recordsByResident: byResident(records) }, TODAY);
  assert.deepEqual(work.elderly.map((x) => x.resident.id), ['old']);
});

test('urgent referral stays on the list until a later follow-up', () => {
  const residents = [{ id: 'u', name: 'U', birth_date: '1960-01-01' }, { id: 'v', name: 'V', birth_date: '1960-01-01' }];
  const records = [
    { resident_id: 'u', kind: 'hypertension_followup', service_date: '2026-11-20', sbp: 185, dbp: 100 },
    { resident_id: 'v', kind: 'diabetes_followup', service_date: '2026-11-01', fasting_glucose: 3.5 },
    { resident_id: 'v', kind: 'diabetes_followup', service_date: '2026-11-15', fasting_glucose: 6.1 },
  ];
  const work = todaysWork({ residents, recordsByResident: byResident(records) }, TODAY);
  assert.deepEqual(work.urgent.map((x) => x.resident.id), ['u']);
  assert.equal(work.urgent[0].flags[0].code, 'sbp_high');
});

test('dates: months clamp to the end of the month, ages turn on the birthday', () => {
  assert.equal(addMonths('2024-01-31', 1), '2024-02-29');
  assert.equal(ageOn('1950-03-07', '2025-03-06'), 74);
  assert.equal(ageOn('1950-03-07', '2025-03-07'), 75);
});

test('residents who died, moved out or are lost are left out of every list', () => {
  const residents = ['deceased', 'moved_out', 'lost', 'active'].map((status) => ({
    id: status, name: status, status, birth_date: '1950-01-01',
    conditions: [{ condition: 'hypertension' }],
  }));
  const work = todaysWork({ residents, recordsByResident: new Map() }, TODAY);
  assert.deepEqual(work.followUps.map((x) => x.resident.id), ['active']);
  assert.deepEqual(work.elderly.map((x) => x.resident.id), ['active']);
});
