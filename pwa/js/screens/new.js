/**
 * Registering people on the phone, offline: the "new" menu, a new household, and a new
 * resident (of a household, or on their own), each saved locally with its outbox op.
 */
import { h, mount, toast } from '../ui.js';
import { t } from '../i18n.js';
import * as store from '../store.js';
import { renderForm } from '../forms.js';
import { validateResident, validateHousehold, todayChina } from '../validate.js';
import { runSync } from '../shell.js';
import { villages, rejectionBox } from './common.js';

const { data } = store;

/**
 * "New": household, resident without a household, education activity.
 * @param {HTMLElement} view
 */
export function newMenu(view) {
  mount(view, h('h2.title', null, t('new.title')), h('section.actions.big', null,
    h('a.action#new-household', { href: '#/new-household' }, '+ ' + t('new.household')),
    h('a.action#new-education', { href: '#/form/education_activity' }, '+ ' + t('new.education')),
    h('a.action', { href: '#/search' }, t('nav.search') + ' → ' + t('resident.new_record'))));
}

/**
 * New household, then its first member.
 * @param {HTMLElement} view
 * @param {*} _a unused (the route's argument)
 * @param {object} [fix] {op} when correcting a rejected op
 */
export function newHousehold(view, _a, fix = null) {
  const init = fix ? { ...fix.op.data } : { village_id: (villages()[0] || {}).id };
  const rendered = renderForm('household', { values: init, villages: villages() });
  const save = h('button.primary.wide#save', { type: 'button', onclick: async () => {
    const value = { id: fix ? fix.op.id : store.uuid(), ...rendered.collect() };
    if (rendered.showErrors(validateHousehold(value))) return;
    save.disabled = true;
    await store.saveLocal('household', value, fix ? { replaces: fix.op.op_id, changed: rendered.collect() } : {});
    toast(t('form.saved'));
    location.hash = fix ? '#/sync' : '#/new-resident/' + value.id;
    runSync('saved');
  } }, t('form.save'));
  mount(view, h('h2.title', null, t('new.household')), fix ? rejectionBox(fix.op) : null, rendered.el, h('div.savebar', null, save));
  if (fix) rendered.showErrors(fix.op.errors);
}

/**
 * Typing an ID number fills in the birth date and sex it encodes.
 * @param {HTMLElement} formEl
 */
export function fillFromNationalId(formEl) {
  formEl.querySelector('input[name="national_id"]').addEventListener('input', (e) => {
    const v = e.target.value.trim();
    if (v.length !== 18) return;
    const bd = formEl.querySelector('input[name="birth_date"]');
    bd.value = `${v.slice(6, 10)}-${v.slice(10, 12)}-${v.slice(12, 14)}`;
    const sex = Number(v[16]) % 2 ? 'male' : 'female';
    const radio = formEl.querySelector(`[data-field="sex"] input[value="${sex}"]`);
    if (radio) radio.checked = true;
  });
}

/**
 * New resident (of a household), with conditions under management.
 * @param {HTMLElement} view
 * @param {string|null} householdId
 * @param {object} [fix] {op} when correcting a rejected op
 */
export function newResident(view, householdId, fix = null) {
  const hh = householdId ? data.household.get(householdId) : null;
  const members = hh ? [...data.resident.values()].filter((x) => x.household_id === hh.id).length : 0;
  const init = fix ? { ...fix.op.data } : { relationship_to_head: hh && !members ? '户主' : '', name: hh && !members ? hh.head_name : '' };
  const rendered = renderForm('resident', { values: init });
  fillFromNationalId(rendered.el);
  const save = h('button.primary.wide#save', { type: 'button', onclick: async () => {
    const values = rendered.collect();
    const value = { id: fix ? fix.op.id : store.uuid(), household_id: hh ? hh.id : (fix?.op.data.household_id ?? null),
      village_id: hh ? hh.village_id : (fix?.op.data.village_id ?? (villages()[0] || {}).id), ...values };
    if (value.national_id) value.national_id = value.national_id.toUpperCase();
    if (value.household_id === null) delete value.household_id;
    // Registering someone at the door opens their health record today; the server
    // invents no date (a person on the township's roll may have no record yet).
    if (!value.record_created_on) value.record_created_on = todayChina();
    if (rendered.showErrors(validateResident(value))) return;
    save.disabled = true;
    await store.saveLocal('resident', value, fix ? { replaces: fix.op.op_id, changed: values } : {});
    toast(t('form.saved'));
    location.hash = fix ? '#/sync' : '#/resident/' + value.id;
    runSync('saved');
  } }, t('form.save'));
  mount(view, h('h2.title', null, t('new.resident'), hh ? h('span.muted', null, ' · ' + (hh.head_name || hh.address)) : null),
    fix ? rejectionBox(fix.op) : null, rendered.el, h('div.savebar', null, save));
  if (fix) rendered.showErrors(fix.op.errors);
}
