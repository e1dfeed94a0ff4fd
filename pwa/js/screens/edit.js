/**
 * Correcting a resident's or a household's details, offline (docs/adr/0013). Only the
 * fields that changed go to the outbox, with the version the edit was made on; the local
 * copy changes at once. Validation is the server's, on the record as a whole after the edit.
 */
import { h, mount, toast } from '../ui.js';
import { t } from '../i18n.js';
import * as store from '../store.js';
import { renderForm, FORMS } from '../forms.js';
import { validateResident, validateHousehold, RESIDENT, HOUSEHOLD } from '../validate.js';
import { changedFields } from '../edits.js';
import { runSync } from '../shell.js';
import { rejectionBox } from './common.js';
import { fillFromNationalId } from './new.js';

const { data } = store;

/** The stored fields the server would check an edit against: schema fields with a value. */
function storedFields(schema, value) {
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (k in schema.fields && k !== 'id' && k !== 'card_code' && v !== null && v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * The edit form of a resident or a household.
 * @param {HTMLElement} view
 * @param {'resident'|'household'} entity
 * @param {string} id
 * @param {object} [fix] {op} when correcting a rejected edit
 */
export function editEntity(view, entity, id, fix = null) {
  const current = data[entity].get(id);
  if (!current) { mount(view, h('p', null, t('search.none'))); return; }
  const kind = entity + '_edit';
  const schema = entity === 'resident' ? RESIDENT : HOUSEHOLD;
  // What the server still holds: the local copy, minus a rejected edit being corrected.
  const before = fix ? { ...current, ...(fix.op.before || {}) } : { ...current };
  const names = FORMS[kind].fields.map((f) => f.name);
  const households = entity === 'resident' ? [...data.household.values()]
    .filter((x) => x.village_id === current.village_id || x.id === current.household_id)
    .sort((a, b) => (a.address || '').localeCompare(b.address || '', 'zh-CN')) : [];
  const rendered = renderForm(kind, { values: current, households });
  if (entity === 'resident') fillFromNationalId(rendered.el);
  const status = h('p.form-status#edit-status', { role: 'status' });
  const save = h('button.primary.wide#save', { type: 'button', onclick: async () => {
    const values = rendered.collect();
    if (values.national_id) values.national_id = values.national_id.toUpperCase();
    const changes = changedFields(before, values, names);
    for (const [k, v] of Object.entries(changes)) {
      // A text the schema does not let be null is cleared as an empty text.
      if (v === null && schema.fields[k] && schema.fields[k].t === 'str' && !schema.fields[k].allowNone) changes[k] = '';
    }
    if (!Object.keys(changes).length) { status.textContent = t('edit.none'); status.className = 'form-status'; return; }
    const n = rendered.showErrors((entity === 'resident' ? validateResident : validateHousehold)(
      { ...storedFields(schema, current), ...changes }));
    if (n) { status.textContent = t('form.errors', { n }); status.className = 'form-status bad'; return; }
    save.disabled = true;
    const value = { ...current, ...changes };
    // Never sent yet: the edit joins the waiting create (one op, all of it new to the server).
    const unsent = [...data.outbox.values()].find((op) => op.entity === entity && op.id === id && op.action === 'create');
    if (unsent) {
      await store.saveLocal(entity, value, { replaces: unsent.op_id });
    } else {
      const was = Object.fromEntries(Object.keys(changes).map((k) => [k, before[k] ?? null]));
      await store.saveLocal(entity, value, { action: 'update', changed: changes, before: was,
        replaces: fix ? fix.op.op_id : undefined });
    }
    toast(t('form.saved'));
    location.hash = `#/${entity}/${id}`;
    runSync('saved');
  } }, t('form.save'));
  const who = current.name || current.head_name || current.address || '';
  mount(view, h('h2.title', null, t('edit.' + entity), h('span.muted', null, ' · ' + who)),
    h('p.muted.hint', null, t('edit.hint')), fix ? rejectionBox(fix.op) : null, rendered.el, status,
    h('div.savebar', null, save));
  if (fix) rendered.showErrors(fix.op.errors);
}
