/**
 * A resident's profile (record, conditions, history, and the forms that apply to them)
 * and a household's page (its members and the household visit).
 */
import { h, mount } from '../ui.js';
import { t, fieldLabel, optionLabel } from '../i18n.js';
import { data } from '../store.js';
import { ageOn } from '../today.js';
import { todayChina, urgentFlags } from '../validate.js';
import { pendingIds, residentLine, noticesFor, ageLabel, addressLine } from './common.js';
import { trendCard } from './progress.js';
import { summary, recordState, isMine } from './record-changes.js';

/** A record in the history: what it says, where its last change stands, and, for its
 * author, correcting or voiding it (a voided record stays listed, struck through). */
function historyItem(rec) {
  const state = recordState(rec);
  return h('div.item.record' + (rec.deleted_at ? '.voided' : ''), { dataset: { record: rec.id } },
    h('div', null,
      h('span.what', null, rec.service_date.slice(2), ' ', t('kind.' + rec.kind)),
      h('span.muted', null, ' ' + summary(rec)),
      !rec.deleted_at && urgentFlags(rec).length ? h('span.tag.bad', null, '⚠') : null,
      state.tags),
    state.words,
    isMine(rec) ? h('div.buttons', null,
      h('a.small.correct', { href: '#/correct/' + rec.id, role: 'button' }, t('record.correct')),
      h('a.small.void', { href: '#/void/' + rec.id, role: 'button' }, t('record.void'))) : null);
}

/** The record forms a resident's page offers: their conditions, their age group. */
function formsFor(conditions, age) {
  const kinds = [];
  if (conditions.includes('hypertension')) kinds.push('hypertension_followup');
  if (conditions.includes('diabetes')) kinds.push('diabetes_followup');
  if (age >= 65) kinds.push('elderly_health_check');
  if (age < 7) kinds.push('vaccination_check');
  for (const k of ['hypertension_followup', 'diabetes_followup']) if (!kinds.includes(k) && age >= 35) kinds.push(k);
  return kinds;
}

/**
 * A resident's profile: record, conditions, history, and the forms that apply.
 * @param {HTMLElement} view
 * @param {string} id
 */
export function resident(view, id) {
  const r = data.resident.get(id);
  if (!r) { mount(view, h('p', null, t('search.none'))); return; }
  const today = todayChina();
  const age = ageOn(r.birth_date, today);
  const conditions = (r.conditions || []).filter((c) => !c.ended_on).map((c) => c.condition);
  const pending = pendingIds();
  const records = [...(data.recordsByResident.get(id) || [])]
    .sort((a, b) => b.service_date.localeCompare(a.service_date));
  const household = r.household_id ? data.household.get(r.household_id) : null;
  const kinds = formsFor(conditions, age);
  mount(view,
    h('section.card.profile', null,
      h('h2', null, r.name, ' ', h('span.muted', null, `${t('sex.' + r.sex)} ${ageLabel(r.birth_date, today)}`),
        pending.has(r.id) ? h('span.tag.warn', null, t('resident.unsynced')) : null,
        r.record_created_on ? null : h('span.tag.warn#no-record', null, t('resident.no_record')),
        r.status && r.status !== 'active' ? h('span.tag.bad#resident-status', null, optionLabel('status', r.status)) : null),
      h('dl', null,
        h('dt', null, fieldLabel('birth_date')), h('dd', null, r.birth_date),
        h('dt', null, fieldLabel('national_id')), h('dd', null, r.national_id || '—'),
        h('dt', null, fieldLabel('phone')), h('dd', null, r.phone ? h('a', { href: 'tel:' + r.phone }, r.phone) : '—'),
        h('dt', null, t('resident.record_no')), h('dd', null, r.record_no || '—'),
        h('dt', null, '居民卡'), h('dd#card-fallback', null, r.card_fallback ? r.card_fallback.replace(/^(.{4})(.{4})/, '$1-$2-') : '—'),
        h('dt', null, t('resident.household')), h('dd', null, household ? h('a.tap#household-link', { href: '#/household/' + household.id },
          addressLine(household) || household.head_name || '—') : '—')),
      h('div.chips', null, conditions.length ? conditions.map((c) => h('span.tag.cond', null, t('cond.' + c))) : null)),
    noticesFor(r.id),
    trendCard(records),
    h('section.actions', null, kinds.map((k) => h('a.action', { href: `#/form/${k}/${r.id}` }, '+ ' + t('kind.' + k))),
      h('a.action#edit-resident', { href: '#/edit-resident/' + r.id }, t('edit.resident')),
      h('a.action#link-card', { href: '#/scan/link/' + r.id }, r.card_code ? '换绑居民卡' : '绑定居民卡')),
    h('section.card', null, h('h3', null, t('resident.history')),
      records.length ? h('div.list.history', null, records.map(historyItem)) : h('p.muted', null, t('resident.none'))));
}

/**
 * A household: its members and the household visit.
 * @param {HTMLElement} view
 * @param {string} id
 */
export function household(view, id) {
  const hh = data.household.get(id);
  if (!hh) { mount(view, h('p', null, t('search.none'))); return; }
  const members = [...data.resident.values()].filter((r) => r.household_id === id);
  const pending = pendingIds();
  // Household visits are not indexed by resident: one pass over the records, on this page only.
  const visits = [...data.record.values()].filter((x) => x.household_id === id && !x.deleted_at)
    .sort((a, b) => b.service_date.localeCompare(a.service_date));
  mount(view, h('section.card', null, h('h2', null, hh.head_name || addressLine(hh)),
    h('p.muted#household-address', null, addressLine(hh)),
    h('h3', null, t('resident.members')), h('div.list', null, members.map((r) => residentLine(r, r.relationship_to_head)))),
  h('section.actions', null,
    h('a.action', { href: '#/form/household_visit/' + id }, '+ ' + t('new.household_visit')),
    h('a.action', { href: '#/new-resident/' + id }, '+ ' + t('resident.add_member')),
    h('a.action#edit-household', { href: '#/edit-household/' + id }, t('edit.household'))),
  h('section.card#household-visits', null, h('h3', null, t('kind.household_visit')),
    visits.length ? h('div.list.history', null, visits.map((rec) => h('div.item', null,
      h('span', null, rec.service_date.slice(2), ' ', optionLabel('mode', rec.mode)),
      h('span.muted', null, ' ' + visitSummary(rec)),
      pending.has(rec.id) ? h('span.tag.warn', null, t('resident.unsynced')) : null))) : h('p.muted', null, t('resident.none'))),
  noticesFor(id));
}

/** A household visit in one line: the members seen and the services given. */
function visitSummary(rec) {
  const seen = (rec.members_seen || []).map((m) => data.resident.get(m)?.name).filter(Boolean);
  const services = (rec.services_done || []).map((x) => optionLabel('services_done', x));
  return [seen.join('、'), services.join('、'), rec.problems_found].filter(Boolean).join(' · ');
}
