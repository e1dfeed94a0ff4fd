/**
 * Edits of residents and households made on the phone: which fields changed (the protocol
 * sends only those, docs/sync-protocol.md), and the server's conflict answers put in words.
 * Pure functions over plain objects, tested in Node (tests/pwa/js/edits.test.js).
 */
import { t, fieldLabel, optionLabel, language, OPTIONS } from './i18n.js';

/** Values that mean "nothing entered": an empty field and a missing one are the same edit. */
function blank(v) {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length);
}

/** A stable text for a value, so two lists or objects compare by content, not identity. */
function canonical(v) {
  if (blank(v)) return 'null';
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (typeof v === 'object') {
    return '{' + Object.keys(v).filter((k) => !blank(v[k])).sort()
      .map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

/**
 * Do two field values say the same thing? ('' = null = missing; lists by content.)
 * @param {*} a
 * @param {*} b
 * @returns {boolean}
 */
export function sameValue(a, b) {
  return canonical(a) === canonical(b);
}

/**
 * The fields a form changed, compared with the copy the edit started from.
 * A field the doctor emptied is sent as null (the server clears it).
 * @param {object} before the entity as it was when the form opened
 * @param {object} after the form's values (missing keys = left empty)
 * @param {string[]} names the fields the form shows (only these can have changed)
 * @returns {object} {field: new value}
 */
export function changedFields(before, after, names) {
  const out = {};
  for (const name of names) {
    const next = blank(after[name]) ? null : after[name];
    if (!sameValue(before[name], next)) out[name] = next;
  }
  return out;
}

/**
 * The conditions list after an edit: every entry the form does not show (ended ones, and
 * conditions not offered on the phone) stays as it was; a condition unticked is ended
 * today rather than deleted, so the year's registers keep the time it was managed.
 * @param {object[]} original the resident's conditions
 * @param {Map<string, string|undefined>} ticked condition → managed_since, for those ticked
 * @param {string[]} shown the conditions the form offers
 * @param {string} today YYYY-MM-DD
 * @returns {object[]}
 */
export function editConditions(original, ticked, shown, today) {
  const out = [];
  const seen = new Set();
  for (const c of original || []) {
    if (c.ended_on || !shown.includes(c.condition)) { out.push(c); continue; }
    seen.add(c.condition);
    if (ticked.has(c.condition)) out.push({ ...c, managed_since: ticked.get(c.condition) });
    else out.push({ ...c, ended_on: today });
  }
  for (const [condition, since] of ticked) {
    if (!seen.has(condition)) out.push({ condition, managed_since: since });
  }
  return out;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A date as a person reads it: 2024年3月5日, or 5 Mar 2024.
 * @param {string} iso YYYY-MM-DD
 * @returns {string}
 */
export function formatDate(iso) {
  const m = DATE_RE.exec(iso || '');
  if (!m) return String(iso);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return language() === 'en' ? `${d} ${MONTHS[mo - 1]} ${y}` : `${y}年${mo}月${d}日`;
}

function conditionText(c) {
  const name = t('cond.' + c.condition);
  const since = c.managed_since ? t('conflict.since', { d: formatDate(c.managed_since) }) : '';
  const ended = c.ended_on ? t('conflict.ended', { d: formatDate(c.ended_on) }) : '';
  return name + since + ended;
}

/**
 * One field's value in words: labels for choices, dates spelt out, yes/no, names of the
 * village or household an id points to, and "(empty)" for nothing.
 * @param {string} field
 * @param {*} value
 * @param {{villages?: object[], households?: Map<string, object>}} [ctx]
 * @returns {string}
 */
export function formatValue(field, value, ctx = {}) {
  if (blank(value)) return t('conflict.empty');
  if (typeof value === 'boolean') return value ? t('form.yes') : t('form.no');
  if (field === 'conditions' && Array.isArray(value)) return value.map(conditionText).join(language() === 'en' ? ', ' : '、');
  if (field === 'village_id') {
    const v = (ctx.villages || []).find((x) => x.id === value);
    return v ? v.name : String(value);
  }
  if (field === 'household_id') {
    const hh = ctx.households && ctx.households.get(value);
    return hh ? (hh.address || hh.head_name || String(value)) : String(value);
  }
  if (OPTIONS[field] && typeof value === 'string') return optionLabel(field, value);
  if (typeof value === 'string' && DATE_RE.test(value)) return formatDate(value);
  if (Array.isArray(value)) return value.map((x) => formatValue(field, x, ctx)).join('、');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A conflict answer in words, one line per field: "电话：保留 13711112222，您的 13900000003 未采用".
 * @param {Array<{field: string, kept: *, yours: *}>} conflicts as the server's result carries them
 * @param {object} [ctx] lookups for formatValue
 * @returns {Array<{field: string, label: string, kept: string, yours: string, words: string, text: string}>}
 */
export function conflictLines(conflicts, ctx = {}) {
  if (!Array.isArray(conflicts)) return [];
  return conflicts.map((c) => {
    const label = fieldLabel(c.field);
    const kept = formatValue(c.field, c.kept, ctx);
    const yours = formatValue(c.field, c.yours, ctx);
    const words = t('conflict.line', { kept, yours });
    return { field: c.field, label, kept, yours, words, text: label + t('conflict.sep') + words };
  });
}
