/**
 * The screens: home (today's work), search, resident profile, household, forms, new
 * household / resident / activity, the sync screen (outbox, rejections, notices) and "me".
 * Every screen reads local data only; none waits for the network.
 */
import { h, mount, toast, mask } from './ui.js';
import { t, fieldLabel, optionLabel, errorText, language, setLanguage } from './i18n.js';
import * as store from './store.js';
import { todaysWork, ageOn, addDays } from './today.js';
import { ResidentIndex, loadPinyin } from './search.js';
import { renderForm, FORMS } from './forms.js';
import { validateRecord, validateResident, validateHousehold, todayChina, urgentFlags, RESIDENT, HOUSEHOLD } from './validate.js';
import { changedFields, conflictLines } from './edits.js';
import { runSync, lockApp, formatTime, route } from './app.js';
import { logout, showChangePassword } from './account.js';
import { scanView } from './scan.js';

const { data } = store;
const LIST_MAX = 5;
let index = null;
let indexRevision = -1;

function villages() {
  return data.reference.villages || [];
}

function pendingIds() {
  return new Set([...data.outbox.values()].map((op) => op.id));
}

function residentLine(r, extra) {
  const age = r.birth_date ? t('home.age', { n: ageOn(r.birth_date, todayChina()) }) : '';
  return h('a.item', { href: '#/resident/' + r.id },
    h('span.name', null, r.name), h('span.muted', null, ` ${t('sex.' + r.sex)} ${age}`), extra ? h('span.right', null, extra) : null);
}

function section(id, title, items, renderItem) {
  const shown = items.slice(0, LIST_MAX);
  const rest = items.length - shown.length;
  const list = h('div.list', null, shown.map(renderItem));
  return h(`section.card.work#${id}`, null,
    h('h3', null, title, h('span.badge' + (items.length ? '.on' : ''), null, String(items.length))),
    items.length ? list : h('p.muted', null, t('home.none')),
    rest > 0 ? h('button.link', { type: 'button', onclick: (e) => {
      list.append(...items.slice(LIST_MAX).map(renderItem));
      e.target.remove();
    } }, t('home.more', { n: rest })) : null);
}

/** Home: today's work, computed on the phone. */
function home(view) {
  const started = performance.now();
  const today = todayChina();
  const work = todaysWork({ residents: data.resident.values(), recordsByResident: data.recordsByResident,
    schedule: data.reference.vaccine_schedule }, today);
  mount(view, h('h2.title', null, t('home.today'), h('span.muted', null, ' ' + today)),
    section('followups', t('home.followups'), work.followUps, (x) => residentLine(x.resident,
      h('span.tag' + (x.overdue ? '.bad' : ''), null, `${t('kind.' + x.kind).replace('随访', '')} ${x.overdue ? t('home.overdue') : t('home.due', { d: x.due.slice(5) })}`))),
    section('vaccines', t('home.vaccines'), work.vaccinations, (x) => residentLine(x.resident,
      h('span.tag' + (x.missed.length ? '.bad' : ''), null, x.missed.length ? `${t('home.missed')} ${x.missed.length}` : `${t('home.duev')} ${x.due.length}`))),
    section('elderly', t('home.elderly'), work.elderly, (x) => residentLine(x.resident)),
    section('urgent', t('home.urgent'), work.urgent, (x) => residentLine(x.resident,
      h('span.tag.bad', null, x.flags.length ? x.flags.map((f) => f.value).join('/') : '转诊'))));
  performance.measure('home-render', { start: started, end: performance.now() });
  document.body.dataset.ready = 'home';
}

/** Search by name, pinyin initials, ID number, phone or household. */
async function search(view) {
  const input = h('input.search#search-input', { type: 'search', placeholder: t('search.placeholder'), autocomplete: 'off' });
  const count = h('p.muted#search-count');
  const results = h('div.list#search-results');
  mount(view, h('a.action#scan-button', { href: '#/scan' }, '扫码找居民'), input, count, results);
  input.focus();
  await loadPinyin();
  const run = () => {
    if (indexRevision !== data.revision) {
      index = new ResidentIndex(data.resident.values(), data.household);
      indexRevision = data.revision;
    }
    const started = performance.now();
    const hits = index.search(input.value);
    performance.measure('search', { start: started, end: performance.now() });
    count.textContent = input.value.trim() ? (hits.length ? t('search.count', { n: hits.length }) : t('search.none')) : '';
    mount(results, hits.map((r) => residentLine(r, mask(r.national_id, 6) || mask(r.phone))));
  };
  input.addEventListener('input', run);
  run();
}

function recordSummary(rec) {
  const bits = [];
  if (rec.sbp) bits.push(`${rec.sbp}/${rec.dbp}`);
  if (rec.sbp_left) bits.push(`${rec.sbp_left}/${rec.dbp_left}`);
  if (rec.fasting_glucose) bits.push(`${rec.fasting_glucose} mmol/L`);
  if (rec.classification) bits.push(optionLabel('classification', rec.classification));
  if (rec.topic) bits.push(rec.topic);
  if (rec.doses_given && rec.doses_given.length) bits.push(rec.doses_given.map((d) => d.vaccine + d.dose_no).join(' '));
  return bits.join(' · ');
}

/** A resident's profile: record, conditions, history, and the forms that apply. */
function resident(view, id) {
  const r = data.resident.get(id);
  if (!r) { mount(view, h('p', null, t('search.none'))); return; }
  const today = todayChina();
  const age = ageOn(r.birth_date, today);
  const conditions = (r.conditions || []).filter((c) => !c.ended_on).map((c) => c.condition);
  const pending = pendingIds();
  const records = [...(data.recordsByResident.get(id) || [])].filter((x) => !x.deleted_at)
    .sort((a, b) => b.service_date.localeCompare(a.service_date));
  const household = r.household_id ? data.household.get(r.household_id) : null;
  const kinds = [];
  if (conditions.includes('hypertension')) kinds.push('hypertension_followup');
  if (conditions.includes('diabetes')) kinds.push('diabetes_followup');
  if (age >= 65) kinds.push('elderly_health_check');
  if (age < 7) kinds.push('vaccination_check');
  for (const k of ['hypertension_followup', 'diabetes_followup']) if (!kinds.includes(k) && age >= 35) kinds.push(k);
  mount(view,
    h('section.card.profile', null,
      h('h2', null, r.name, ' ', h('span.muted', null, `${t('sex.' + r.sex)} ${t('home.age', { n: age })}`),
        pending.has(r.id) ? h('span.tag.warn', null, t('resident.unsynced')) : null,
        r.record_created_on ? null : h('span.tag.warn#no-record', null, t('resident.no_record')),
        r.status && r.status !== 'active' ? h('span.tag.bad#resident-status', null, optionLabel('status', r.status)) : null),
      h('dl', null,
        h('dt', null, fieldLabel('birth_date')), h('dd', null, r.birth_date),
        h('dt', null, fieldLabel('national_id')), h('dd', null, r.national_id || '—'),
        h('dt', null, fieldLabel('phone')), h('dd', null, r.phone ? h('a', { href: 'tel:' + r.phone }, r.phone) : '—'),
        h('dt', null, t('resident.record_no')), h('dd', null, r.record_no || '—'),
        h('dt', null, '居民卡'), h('dd#card-fallback', null, r.card_fallback ? r.card_fallback.replace(/^(.{4})(.{4})/, '$1-$2-') : '—'),
        h('dt', null, t('resident.household')), h('dd', null, household ? h('a', { href: '#/household/' + household.id },
          household.address || household.head_name || '—') : '—')),
      h('div.chips', null, conditions.length ? conditions.map((c) => h('span.tag.cond', null, t('cond.' + c))) : null)),
    noticesFor(r.id),
    h('section.actions', null, kinds.map((k) => h('a.action', { href: `#/form/${k}/${r.id}` }, '+ ' + t('kind.' + k))),
      h('a.action#edit-resident', { href: '#/edit-resident/' + r.id }, t('edit.resident')),
      h('a.action#link-card', { href: '#/scan/link/' + r.id }, r.card_code ? '换绑居民卡' : '绑定居民卡')),
    h('section.card', null, h('h3', null, t('resident.history')),
      records.length ? h('div.list.history', null, records.map((rec) => h('div.item', null,
        h('span', null, rec.service_date.slice(2), ' ', t('kind.' + rec.kind)),
        h('span.muted', null, ' ' + recordSummary(rec)),
        urgentFlags(rec).length ? h('span.tag.bad', null, '⚠') : null,
        pending.has(rec.id) ? h('span.tag.warn', null, t('resident.unsynced')) : null))) : h('p.muted', null, t('resident.none'))));
}

/** A household: its members and the household visit. */
function household(view, id) {
  const hh = data.household.get(id);
  if (!hh) { mount(view, h('p', null, t('search.none'))); return; }
  const members = [...data.resident.values()].filter((r) => r.household_id === id);
  mount(view, h('section.card', null, h('h2', null, hh.head_name || hh.address),
    h('p.muted', null, [hh.address, hh.group_no && hh.group_no + '组', hh.house_no].filter(Boolean).join(' ')),
    h('h3', null, t('resident.members')), h('div.list', null, members.map((r) => residentLine(r, r.relationship_to_head)))),
  h('section.actions', null,
    h('a.action', { href: '#/form/household_visit/' + id }, '+ ' + t('new.household_visit')),
    h('a.action', { href: '#/new-resident/' + id }, '+ ' + t('resident.add_member')),
    h('a.action#edit-household', { href: '#/edit-household/' + id }, t('edit.household'))),
  noticesFor(id));
}

function lastOf(residentId, kind) {
  return (data.recordsByResident.get(residentId) || []).filter((x) => x.kind === kind)
    .sort((a, b) => b.service_date.localeCompare(a.service_date))[0];
}

/** Values a routine follow-up starts with: today's date, and last visit's stable items. */
function initialValues(kind, subjectId) {
  const values = { service_date: todayChina(), mode: kind === 'education_activity' ? 'group' : 'home' };
  const last = kind.endsWith('_followup') ? lastOf(subjectId, kind) : null;
  if (last) {
    for (const k of ['weight_kg', 'target_weight_kg', 'medications', 'medication_adherence', 'cigarettes_per_day',
      'drinks_per_day', 'exercise_times_per_week', 'exercise_minutes', 'salt_intake', 'insulin']) {
      if (last[k] !== null && last[k] !== undefined) values[k] = last[k];
    }
  }
  if (kind === 'education_activity') values.village_id = (villages()[0] || {}).id;
  return { values, copied: Boolean(last) };
}

function dosesFor(r) {
  const work = todaysWork({ residents: [r], recordsByResident: data.recordsByResident,
    schedule: data.reference.vaccine_schedule }, todayChina());
  const x = work.vaccinations[0];
  return x ? [...x.missed.map((d) => ({ ...d, missed: true })), ...x.due] : [];
}

/**
 * A record form: save validates as the server does, then stores locally with its outbox op.
 * @param {HTMLElement} view
 * @param {string} kind
 * @param {string} subjectId resident or household id (or nothing for an activity)
 * @param {object} [fix] {op} when correcting a rejected op
 */
function form(view, kind, subjectId, fix = null) {
  const def = FORMS[kind];
  const r = def.subject === 'resident_id' ? data.resident.get(subjectId) : null;
  const hh = def.subject === 'household_id' ? data.household.get(subjectId) : null;
  const init = fix ? { values: { ...fix.op.data }, copied: false } : initialValues(kind, subjectId);
  const ctx = { values: init.values, villages: villages(), members: hh ? [...data.resident.values()].filter((x) => x.household_id === hh.id) : [],
    doses: r && kind === 'vaccination_check' ? dosesFor(r) : [] };
  const nextVisit = () => {
    const c = rendered.el.querySelector('[data-field="classification"] input:checked');
    const nv = rendered.el.querySelector('input[name="next_visit_date"]');
    if (c && nv && !nv.dataset.touched) nv.value = addDays(todayChina(), c.value === 'controlled' ? 90 : 14);
  };
  const rendered = renderForm(kind, { ...ctx, onInput: nextVisit });
  rendered.el.querySelector('input[name="next_visit_date"]')?.addEventListener('input', (e) => { e.target.dataset.touched = '1'; });
  const status = h('p.form-status', { role: 'status' });
  const save = h('button.primary.wide#save', { type: 'button', onclick: async () => {
    const values = rendered.collect();
    const recordId = fix ? fix.op.id : store.uuid();
    const record = { id: recordId, kind, ...values, device_created_at: fix?.op.data.device_created_at || new Date().toISOString() };
    if (def.subject !== 'village_id') record[def.subject] = subjectId;
    if (r) record.village_id = r.village_id;
    if (hh) record.village_id = hh.village_id;
    const errors = validateRecord(record);
    if (r && record.service_date && record.service_date < r.birth_date) {
      errors.service_date = [{ code: 'before_birth', message: '服务日期不能早于出生日期' }];
    }
    const n = rendered.showErrors(errors);
    if (n) { status.textContent = t('form.errors', { n }); status.className = 'form-status bad'; return; }
    save.disabled = true;
    await store.saveLocal('record', { ...record, doctor_id: data.reference.user?.id ?? data.device.user.id },
      fix ? { replaces: fix.op.op_id } : {});
    toast(t('form.saved'));
    location.hash = r ? '#/resident/' + r.id : hh ? '#/household/' + hh.id : '#/home';
    runSync('saved');
  } }, t('form.save'));
  const who = r ? `${r.name} · ` : hh ? `${hh.head_name || hh.address} · ` : '';
  mount(view, h('h2.title', null, who + t('kind.' + kind)),
    init.copied ? h('p.muted.copied', null, t('form.copy_last')) : null,
    fix ? rejectionBox(fix.op) : null, rendered.el, status, h('div.savebar', null, save));
  if (fix) rendered.showErrors(fix.op.errors);
}

function rejectionBox(op) {
  const lines = Object.entries(op.errors || {}).map(([k, v]) => `${fieldLabel(k)}：${(Array.isArray(v) ? v : []).map(errorText).join('；')}`);
  return h('div.banner.bad#rejection', null, h('strong', null, t('form.rejected')), h('br'), lines.join('\n') || op.reject_code);
}

/** New household, then its first member. */
function newHousehold(view, _a, fix = null) {
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

/** Typing an ID number fills in the birth date and sex it encodes. */
function fillFromNationalId(formEl) {
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

/** The stored fields the server would check an edit against: schema fields with a value. */
function storedFields(schema, value) {
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (k in schema.fields && k !== 'id' && k !== 'card_code' && v !== null && v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Correct a resident's or a household's details, offline. Only the fields that changed go
 * to the outbox, with the version the edit was made on (docs/adr/0013); the local copy
 * changes at once. Validation is the server's, on the record as a whole after the edit.
 * @param {HTMLElement} view
 * @param {'resident'|'household'} entity
 * @param {string} id
 * @param {object} [fix] {op} when correcting a rejected edit
 */
function editEntity(view, entity, id, fix = null) {
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

/** New resident (of a household), with conditions under management. */
function newResident(view, householdId, fix = null) {
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

/** "New": household, resident without a household, education activity. */
function newMenu(view) {
  mount(view, h('h2.title', null, t('new.title')), h('section.actions.big', null,
    h('a.action#new-household', { href: '#/new-household' }, '+ ' + t('new.household')),
    h('a.action#new-education', { href: '#/form/education_activity' }, '+ ' + t('new.education')),
    h('a.action', { href: '#/search' }, t('nav.search') + ' → ' + t('resident.new_record'))));
}

function opTitle(op) {
  const value = data[op.entity]?.get(op.id) || op.data;
  if (op.entity === 'record') {
    const who = value.resident_id ? data.resident.get(value.resident_id)?.name : '';
    return `${t('kind.' + value.kind)} ${who || ''} ${value.service_date || ''}`;
  }
  const edit = op.action === 'update' ? t('edit.op') + ' ' : '';
  return `${edit}${t('kind.' + op.entity)} ${value.name || value.head_name || value.address || ''}`;
}

/** Correct a rejected op: the same form, its values, the server's reasons. */
function fixOp(view, opId) {
  const op = data.outbox.get(opId);
  if (!op) { location.hash = '#/sync'; return; }
  if (op.entity === 'record') {
    const value = data.record.get(op.id) || op.data;
    const subject = value.resident_id || value.household_id || '';
    form(view, value.kind, subject, { op: { ...op, data: { ...op.data } } });
  } else if (op.action === 'update') {
    editEntity(view, op.entity, op.id, { op });
  } else if (op.entity === 'resident') {
    newResident(view, null, { op });
  } else {
    newHousehold(view, null, { op });
  }
}

/** Sync: the outbox (rejected first, with reasons), notices for township review, the clock. */
function syncView(view) {
  const ops = [...data.outbox.values()].sort((a, b) => (a.state === 'rejected' ? 0 : 1) - (b.state === 'rejected' ? 0 : 1) || a.order - b.order);
  const s = data.state;
  mount(view, h('h2.title', null, t('nav.sync')),
    h('section.card', null,
      h('p', null, s.last_sync_at ? t('sync.last', { t: formatTime(s.last_sync_at) }) : t('sync.never')),
      s.last_error ? h('p.bad', null, t('sync.failed', { m: s.last_error })) : null,
      h('button.primary.wide#sync-now', { type: 'button', onclick: () => runSync('button') }, t('sync.now'))),
    h('section.card#outbox', null, h('h3', null, t('sync.outbox'), h('span.badge.on', null, String(ops.length))),
      ops.length ? h('div.list', null, ops.map((op) => h('div.item.op' + (op.state === 'rejected' ? '.rejected' : ''), { dataset: { op: op.op_id } },
        h('div', null, opTitle(op)),
        op.state === 'rejected' ? h('div.bad', null, t('sync.rejected'), '：',
          Object.entries(op.errors || {}).map(([k, v]) => `${fieldLabel(k)} ${(Array.isArray(v) ? v : []).map(errorText).join('；')}`).join('；')) : h('div.muted', null, t('sync.pending')),
        op.state === 'rejected' ? h('div.buttons', null,
          h('a.small.fix', { href: '#/fix/' + op.op_id, role: 'button' }, t('sync.fix')),
          h('button.small', { type: 'button', onclick: async () => { await store.resend(op.op_id); route(); runSync('button'); } }, t('sync.resend'))) : null)))
        : h('p.muted', null, t('sync.empty'))),
    data.notices.length ? h('section.card#notices', null, h('h3', null, t('sync.notices')), h('div.list', null,
      data.notices.slice(-20).reverse().map(noticeItem))) : null);
}

/** A notice from the township's server: a merged edit, or a conflict with each field in words. */
function noticeItem(n) {
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

/** The latest conflict notices about one resident or household, on its own page. */
function noticesFor(id) {
  const mine = data.notices.filter((n) => n.id === id && n.kind === 'conflict').slice(-3).reverse();
  return mine.length ? h('section.card#entity-notices', null, h('h3', null, t('sync.notices')), h('div.list', null, mine.map(noticeItem))) : null;
}

/** Me: account, villages, language, storage, version, password, lock and logout. */
async function me(view) {
  const user = data.reference.user || data.device?.user || {};
  const storage = h('p.muted#storage');
  const version = h('span#app-version');
  mount(view, h('section.card', null, h('h2', null, user.full_name || user.username || ''),
    h('p.muted', null, t('me.villages'), '：', villages().map((v) => v.name).join('、')),
    h('a.small#change-password', { href: '#/password', role: 'button' }, t('password.change'))),
  h('section.card', null, h('h3', null, t('me.language')), h('div.seg', null,
    ['zh', 'en'].map((lang) => h('button' + (language() === lang ? '.on' : ''), { type: 'button', id: 'lang-' + lang,
      onclick: () => { setLanguage(lang); location.reload(); } }, lang === 'zh' ? '中文' : 'English')))),
  h('section.card', null, storage, h('p.muted', null, t('me.version'), '：', version)),
  h('section.card.buttons', null,
    h('button.wide#lock', { type: 'button', onclick: () => lockApp() }, t('me.lock')),
    h('button.danger.wide#logout', { type: 'button', onclick: () => logout(view) }, t('me.logout'))));
  if (navigator.storage && navigator.storage.estimate) {
    const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([navigator.storage.estimate(),
      navigator.storage.persisted ? navigator.storage.persisted() : false]);
    storage.textContent = t('storage.used', { used: (usage / 1048576).toFixed(1), quota: Math.round(quota / 1048576) }) +
      '。' + (persisted ? t('storage.persisted') : t('storage.notpersisted'));
  }
  fetch('./version.json', { cache: 'no-store' }).then((r) => r.json()).then((v) => { version.textContent = v.version; })
    .catch(() => { version.textContent = document.documentElement.dataset.version || '—'; });
}

/** Screens by the first part of the hash. */
export const VIEWS = {
  home, search, resident, household, new: newMenu, sync: syncView, me,
  form: (view, kind, subjectId) => form(view, kind, subjectId),
  'new-household': (view) => newHousehold(view),
  'new-resident': (view, householdId) => newResident(view, householdId),
  'edit-resident': (view, id) => editEntity(view, 'resident', id),
  'edit-household': (view, id) => editEntity(view, 'household', id),
  fix: fixOp,
  scan: scanView,
  password: showChangePassword,
};
