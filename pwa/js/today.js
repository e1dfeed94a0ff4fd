/**
 * Today's work, computed on the phone from local data only (no network): follow-ups due
 * and overdue, children with vaccinations due or missed, 65+ residents without this year's
 * health check, and urgent referrals to check on. Pure functions of (data, today).
 */
import { urgentFlags } from './validate.js';

export const FOLLOWUP_DUE_SOON_DAYS = 7;
export const FOLLOWUP_INTERVAL_DAYS = 90; // at least 4 follow-ups a year
export const VACCINE_LOOKAHEAD_DAYS = 30;
export const ELDERLY_AGE = 65;
export const URGENT_WINDOW_DAYS = 60;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const CHRONIC = { hypertension: 'hypertension_followup', diabetes: 'diabetes_followup' };

/** Used when the township's reference data has not arrived yet (national schedule). */
export const DEFAULT_SCHEDULE = [
  ['HepB', '乙肝疫苗', 1, 0], ['BCG', '卡介苗', 1, 0], ['HepB', '乙肝疫苗', 2, 1],
  ['IPV', '脊灰灭活疫苗', 1, 2], ['IPV', '脊灰灭活疫苗', 2, 3], ['DTaP', '百白破疫苗', 1, 3],
  ['bOPV', '脊灰减毒活疫苗', 3, 4], ['DTaP', '百白破疫苗', 2, 4], ['DTaP', '百白破疫苗', 3, 5],
  ['HepB', '乙肝疫苗', 3, 6], ['MenA', 'A群流脑多糖疫苗', 1, 6], ['MMR', '麻腮风疫苗', 1, 8],
  ['JE', '乙脑减毒活疫苗', 1, 8], ['MenA', 'A群流脑多糖疫苗', 2, 9], ['DTaP', '百白破疫苗', 4, 18],
  ['MMR', '麻腮风疫苗', 2, 18], ['HepA', '甲肝减毒活疫苗', 1, 18], ['JE', '乙脑减毒活疫苗', 2, 24],
  ['MenAC', 'A群C群流脑多糖疫苗', 1, 36], ['bOPV', '脊灰减毒活疫苗', 4, 48],
  ['MenAC', 'A群C群流脑多糖疫苗', 2, 72], ['DT', '白破疫苗', 1, 72],
].map(([vaccine, name_zh, dose_no, due_age_months]) => ({ vaccine, name_zh, dose_no, due_age_months,
  timely_within_months: 1 }));

/**
 * A date plus days, as YYYY-MM-DD.
 * @param {string} day YYYY-MM-DD
 * @param {number} days
 * @returns {string}
 */
export function addDays(day, days) {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * A date plus months (end-of-month clamped), as YYYY-MM-DD.
 * @param {string} day
 * @param {number} months
 * @returns {string}
 */
export function addMonths(day, months) {
  // Plain arithmetic, no Date: todaysWork calls this thousands of times on a cold open.
  const total = Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7)) - 1 + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12; // 0-based
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const last = month === 1 && leap ? 29 : MONTH_DAYS[month];
  const d = Math.min(Number(day.slice(8, 10)), last);
  return `${String(year).padStart(4, '0')}-${month < 9 ? '0' : ''}${month + 1}-${d < 10 ? '0' : ''}${d}`;
}

/**
 * Age in whole years on a day.
 * @param {string} birth YYYY-MM-DD
 * @param {string} day YYYY-MM-DD
 * @returns {number}
 */
export function ageOn(birth, day) {
  let age = Number(day.slice(0, 4)) - Number(birth.slice(0, 4));
  if (day.slice(5) < birth.slice(5)) age -= 1;
  return age;
}

function activeConditions(r) {
  return (r.conditions || []).filter((c) => !c.ended_on).map((c) => c.condition);
}

/**
 * The work list for today.
 * @param {{residents: Iterable<object>, recordsByResident: Map<string, object[]>,
 *   schedule?: object[], elderlyAge?: number}} data
 * @param {string} today YYYY-MM-DD (China time)
 * @returns {{followUps: object[], vaccinations: object[], elderly: object[], urgent: object[]}}
 */
export function todaysWork(data, today) {
  // By due age, so a child's list stops at the first dose beyond the horizon.
  const schedule = [...(data.schedule && data.schedule.length ? data.schedule : DEFAULT_SCHEDULE)]
    .sort((a, b) => a.due_age_months - b.due_age_months);
  const elderlyAge = data.elderlyAge || ELDERLY_AGE;
  const soon = addDays(today, FOLLOWUP_DUE_SOON_DAYS);
  const vaccineHorizon = addDays(today, VACCINE_LOOKAHEAD_DAYS);
  const year = today.slice(0, 4);
  const urgentSince = addDays(today, -URGENT_WINDOW_DAYS);
  const out = { followUps: [], vaccinations: [], elderly: [], urgent: [] };

  for (const r of data.residents) {
    if (r.status && r.status !== 'active') continue;
    if (!r.birth_date) continue;
    const records = (data.recordsByResident.get(r.id) || []).filter((x) => !x.deleted_at);
    const age = ageOn(r.birth_date, today);

    for (const condition of activeConditions(r)) {
      const kind = CHRONIC[condition];
      if (!kind) continue;
      const latest = latestOf(records, kind);
      const due = latest ? (latest.next_visit_date || addDays(latest.service_date, FOLLOWUP_INTERVAL_DAYS)) : today;
      if (due <= soon) out.followUps.push({ resident: r, kind, due, overdue: due < today, latest });
    }

    if (age < 7) {
      const given = new Set();
      for (const rec of records) {
        if (rec.kind !== 'vaccination_check') continue;
        for (const d of rec.doses_given || []) given.add(`${d.vaccine}:${d.dose_no}`);
      }
      const due = [];
      const missed = [];
      for (const dose of schedule) {
        const dueOn = addMonths(r.birth_date, dose.due_age_months);
        if (dueOn > vaccineHorizon) break;
        if (given.has(`${dose.vaccine}:${dose.dose_no}`)) continue;
        const lateAfter = addMonths(dueOn, dose.timely_within_months || 1);
        (today > lateAfter ? missed : due).push({ ...dose, due: dueOn });
      }
      if (due.length || missed.length) out.vaccinations.push({ resident: r, due, missed });
    }

    if (age >= elderlyAge) {
      const checked = records.some((x) => x.kind === 'elderly_health_check' && x.service_date.startsWith(year));
      if (!checked) out.elderly.push({ resident: r, age });
    }

    const latestChronic = latestOf(records, null);
    if (latestChronic && latestChronic.service_date >= urgentSince) {
      const flags = urgentFlags(latestChronic);
      if (flags.length || latestChronic.referral_reason) {
        out.urgent.push({ resident: r, record: latestChronic, flags });
      }
    }
  }
  // ISO dates compare as strings; localeCompare (ICU collation) cost ~100 ms here at 4× CPU.
  out.followUps.sort((a, b) => byString(a.due, b.due));
  out.vaccinations.sort((a, b) => b.missed.length - a.missed.length);
  out.elderly.sort((a, b) => b.age - a.age);
  out.urgent.sort((a, b) => byString(b.record.service_date, a.record.service_date));
  return out;
}

function byString(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

const CLINICAL = new Set(['hypertension_followup', 'diabetes_followup', 'elderly_health_check']);

function latestOf(records, kind) {
  let best = null;
  for (const rec of records) {
    if (kind ? rec.kind !== kind : !CLINICAL.has(rec.kind)) continue;
    if (!best || rec.service_date > best.service_date ||
        (rec.service_date === best.service_date && (rec.device_created_at || '') > (best.device_created_at || ''))) {
      best = rec;
    }
  }
  return best;
}
