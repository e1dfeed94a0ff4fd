/**
 * The doctor's own progress, computed on the phone from local data only: this month's
 * services, and the villages' hypertension and diabetes standard-management and control
 * rates, year to date, after docs/indicators.md (htn_standard, htn_control, dm_standard,
 * dm_control), simplified. It is an estimate: the phone holds only what it has synced,
 * and it ignores the server's entry times and closed periods; the township's figures are
 * the ones that count. Pure functions of (data, today).
 */

export const COUNTED_MODES = ['clinic', 'home']; // national default (followup_counted_modes)
export const BP_RELAXED_AGE = 65; // age_thresholds.bp_relaxed
export const GLUCOSE_CONTROLLED = 7.0; // mmol/L, fasting
const FOLLOWUP = { hypertension: 'hypertension_followup', diabetes: 'diabetes_followup' };
const QUARTER_ENDS = ['03-31', '06-30', '09-30', '12-31'];

/**
 * This month's records by this doctor, by kind.
 * @param {Iterable<object>} records
 * @param {number} doctorId
 * @param {string} today YYYY-MM-DD
 * @returns {{total: number, byKind: Object<string, number>}}
 */
export function monthServices(records, doctorId, today) {
  const month = today.slice(0, 7);
  const byKind = {};
  let total = 0;
  for (const rec of records) {
    if (rec.deleted_at || rec.doctor_id !== doctorId || !rec.service_date?.startsWith(month)) continue;
    byKind[rec.kind] = (byKind[rec.kind] || 0) + 1;
    total += 1;
  }
  return { total, byKind };
}

function earliest(...days) {
  return days.filter(Boolean).sort()[0];
}

function latest(...days) {
  return days.filter(Boolean).sort().pop();
}

/** The days a resident was under management for `condition` this year, up to today. */
function managedSpan(r, condition, today) {
  if (r.permanent === false) return null;
  const c = (r.conditions || []).find((x) => x.condition === condition);
  if (!c) return null;
  const from = latest(`${today.slice(0, 4)}-01-01`, c.managed_since, r.birth_date, r.moved_in_on);
  const to = earliest(today, c.ended_on, r.moved_out_on, r.died_on);
  return from <= to ? { from, to, ended: to < today } : null;
}

/** Quarters asked of a span: each calendar quarter it touches, once that quarter is over
 * (or management ended in it). */
function quartersAsked(span, today) {
  const year = today.slice(0, 4);
  let asked = 0;
  QUARTER_ENDS.forEach((end, i) => {
    const start = `${year}-${String(i * 3 + 1).padStart(2, '0')}-01`;
    const last = `${year}-${end}`;
    if (span.from > last || span.to < start) return;
    if (last < today || (span.ended && span.to <= last)) asked += 1;
  });
  return asked;
}

/** The later of two records: by service date, then (the same day) by when it was entered. */
function later(a, b) {
  if (a.service_date !== b.service_date) return a.service_date > b.service_date;
  return (a.device_created_at || '') > (b.device_created_at || '');
}

function controlled(condition, rec, age) {
  if (condition === 'diabetes') return typeof rec.fasting_glucose === 'number' && rec.fasting_glucose < GLUCOSE_CONTROLLED;
  const sbpLimit = age >= BP_RELAXED_AGE ? 150 : 140;
  return rec.sbp < sbpLimit && rec.dbp < 90;
}

function hasReading(condition, rec) {
  return condition === 'diabetes' ? typeof rec.fasting_glucose === 'number'
    : typeof rec.sbp === 'number' && typeof rec.dbp === 'number';
}

/**
 * Standard management and control for one condition, year to date, from local data.
 * @param {{residents: Iterable<object>, recordsByResident: Map<string, object[]>,
 *   countedModes?: string[]}} data
 * @param {'hypertension'|'diabetes'} condition
 * @param {string} today YYYY-MM-DD
 * @returns {{managed: number, asked: number, standard: number, controlled: number}}
 *   `managed`: under management this year; `asked`: of them, those a follow-up was due
 *   from (the standard rate's denominator); `standard` and `controlled`: numerators
 */
export function chronicRates(data, condition, today) {
  const kind = FOLLOWUP[condition];
  const modes = data.countedModes || COUNTED_MODES;
  const out = { managed: 0, asked: 0, standard: 0, controlled: 0 };
  for (const r of data.residents) {
    const span = managedSpan(r, condition, today);
    if (!span) continue;
    out.managed += 1;
    let counted = 0;
    let last = null;
    for (const rec of data.recordsByResident.get(r.id) || []) {
      if (rec.kind !== kind || rec.deleted_at || rec.service_date < span.from || rec.service_date > span.to) continue;
      if (modes.includes(rec.mode)) counted += 1;
      if (hasReading(condition, rec) && (!last || later(rec, last))) last = rec;
    }
    const asked = quartersAsked(span, today);
    if (asked) {
      out.asked += 1;
      if (counted >= asked) out.standard += 1;
    }
    const age = Number(today.slice(0, 4)) - Number((r.birth_date || today).slice(0, 4));
    if (last && controlled(condition, last, age)) out.controlled += 1;
  }
  return out;
}

/**
 * The township's target for an indicator this year: the village's own, else the township's.
 * @param {object[]} targets reference.targets
 * @param {string} indicator
 * @param {number} year
 * @param {number[]} villageIds
 * @returns {number|null} a rate in 0..1, or null (none, or "rising")
 */
export function targetFor(targets, indicator, year, villageIds) {
  const mine = (targets || []).filter((x) => x.indicator === indicator && x.year === year);
  const village = mine.find((x) => villageIds.length === 1 && x.village_id === villageIds[0]);
  const town = mine.find((x) => x.village_id === null || x.village_id === undefined);
  const found = village || town;
  return found && typeof found.value === 'number' ? found.value : null;
}

/**
 * A resident's readings over time for a trend: blood pressure or fasting glucose.
 * @param {object[]} records the resident's records
 * @param {number} [max] the latest this many
 * @returns {{bp: Array<{date: string, sbp: number, dbp: number}>, glucose: Array<{date: string, value: number}>}}
 */
export function readings(records, max = 12) {
  const bp = [];
  const glucose = [];
  const sorted = [...records].filter((x) => !x.deleted_at).sort((a, b) => (a.service_date < b.service_date ? -1 : 1));
  for (const rec of sorted) {
    const sbp = rec.sbp ?? rec.sbp_left;
    const dbp = rec.dbp ?? rec.dbp_left;
    if (typeof sbp === 'number' && typeof dbp === 'number') bp.push({ date: rec.service_date, sbp, dbp });
    if (typeof rec.fasting_glucose === 'number') glucose.push({ date: rec.service_date, value: rec.fasting_glucose });
  }
  return { bp: bp.slice(-max), glucose: glucose.slice(-max) };
}
