/**
 * Pieces several screens show: a resident's line in a list, the box with the server's
 * reasons for a rejected op, and the township's notices about a resident or household.
 */
import { h } from '../ui.js';
import { t, fieldLabel, errorText } from '../i18n.js';
import { data } from '../store.js';
import { ageOn } from '../today.js';
import { todayChina } from '../validate.js';
import { conflictLines } from '../edits.js';
import { formatTime } from '../shell.js';

/**
 * The villages this phone serves.
 * @returns {object[]}
 */
export function villages() {
  return data.reference.villages || [];
}

/**
 * Ids of entities with an op still in the outbox (shown as not yet synced).
 * @returns {Set<string>}
 */
export function pendingIds() {
  return new Set([...data.outbox.values()].map((op) => op.id));
}

/**
 * Age as a doctor says it: years from one, months under one, days in the first month.
 * @param {string} birth YYYY-MM-DD
 * @param {string} today YYYY-MM-DD
 * @returns {string}
 */
export function ageLabel(birth, today) {
  const years = ageOn(birth, today);
  if (years >= 1) return t('home.age', { n: years });
  const [by, bm, bd] = birth.split('-').map(Number);
  const [ty, tm, td] = today.split('-').map(Number);
  const months = (ty - by) * 12 + (tm - bm) - (td < bd ? 1 : 0);
  if (months >= 1) return t('home.age_months', { n: months });
  return t('home.age_days', { n: Math.max(0, Math.round((Date.parse(today) - Date.parse(birth)) / 86400000)) });
}

/**
 * A household's address once: the address as written, or its group and house number.
 * @param {object} hh
 * @returns {string}
 */
export function addressLine(hh) {
  if (hh.address) return hh.address;
  return [hh.group_no && hh.group_no + '组', hh.house_no && hh.house_no + '号'].filter(Boolean).join('');
}

/**
 * A resident in a list: name, sex and age, and what the list says about them.
 * @param {object} r
 * @param {*} [extra]
 * @returns {HTMLElement}
 */
export function residentLine(r, extra) {
  const age = r.birth_date ? ageLabel(r.birth_date, todayChina()) : '';
  return h('a.item', { href: '#/resident/' + r.id },
    h('span.name', null, r.name), h('span.muted', null, ` ${t('sex.' + r.sex)} ${age}`), extra ? h('span.right', null, extra) : null);
}

/**
 * Why the server rejected an op, field by field, above the form that corrects it.
 * @param {object} op
 * @returns {HTMLElement}
 */
export function rejectionBox(op) {
  const lines = Object.entries(op.errors || {}).map(([k, v]) => `${fieldLabel(k)}：${(Array.isArray(v) ? v : []).map(errorText).join('；')}`);
  return h('div.banner.bad#rejection', null, h('strong', null, t('form.rejected')), h('br'), lines.join('\n') || op.reject_code);
}

/**
 * A notice from the township's server: a merged edit, or a conflict with each field in words.
 * @param {object} n
 * @returns {HTMLElement}
 */
export function noticeItem(n) {
  const value = data[n.entity]?.get(n.id);
  const who = value ? (value.name || value.head_name || value.address || '') : (n.name || '');
  const lines = conflictLines(n.conflicts, { villages: villages(), households: data.household });
  const says = { conflict: t('sync.conflict'), moved_away: t('sync.moved_away'),
    moved_away_many: t('sync.moved_away_many', { n: n.count }), arrived: t('sync.arrived'),
    arrived_many: t('sync.arrived_many', { n: n.count }) }[n.kind] || t('sync.merged');
  const title = `${t('kind.' + n.entity)} ${who}`;
  return h('div.item.notice', { dataset: { kind: n.kind, id: n.id || '' } },
    h('div', null, value && n.entity === 'resident' ? h('a', { href: '#/resident/' + n.id }, h('strong', null, title))
      : h('strong', null, title), n.at ? h('span.muted', null, ' ' + formatTime(n.at)) : null),
    h('div.muted', null, says),
    lines.map((l) => h('p.conflict', { dataset: { field: l.field } }, h('strong', null, l.label + t('conflict.sep')), l.words)));
}

/**
 * The latest conflict notices about one resident or household, on its own page.
 * @param {string} id
 * @returns {HTMLElement|null}
 */
export function noticesFor(id) {
  const mine = data.notices.filter((n) => n.id === id && n.kind === 'conflict').slice(-3).reverse();
  return mine.length ? h('section.card#entity-notices', null, h('h3', null, t('sync.notices')), h('div.list', null, mine.map(noticeItem))) : null;
}
