/**
 * A record form (follow-ups, checks, visits, activities): it opens with today's date and
 * the last visit's stable items, validates as the server does on save (validate.js, the
 * resident's birth date included), and stores the record locally with its outbox op.
 */
import { h, mount, toast } from '../ui.js';
import { t } from '../i18n.js';
import * as store from '../store.js';
import { todaysWork, addDays } from '../today.js';
import { renderForm, FORMS } from '../forms.js';
import { validateRecord, todayChina } from '../validate.js';
import { runSync, syncSettled } from '../shell.js';
import { villages, rejectionBox } from './common.js';
import { keepDraft, draftOffer, reasonField } from './form-draft.js';

const { data } = store;
/** What a routine follow-up copies from the last one: the items that rarely change. */
const STABLE_ITEMS = ['weight_kg', 'target_weight_kg', 'medications', 'medication_adherence', 'cigarettes_per_day',
  'drinks_per_day', 'exercise_times_per_week', 'exercise_minutes', 'salt_intake', 'insulin'];

function lastOf(residentId, kind) {
  return (data.recordsByResident.get(residentId) || []).filter((x) => x.kind === kind)
    .sort((a, b) => b.service_date.localeCompare(a.service_date))[0];
}

/** Values a routine follow-up starts with: today's date, and last visit's stable items. */
function initialValues(kind, subjectId) {
  const values = { service_date: todayChina(), mode: kind === 'education_activity' ? 'group' : 'home' };
  const last = kind.endsWith('_followup') ? lastOf(subjectId, kind) : null;
  if (last) {
    for (const k of STABLE_ITEMS) {
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
 * @param {{correct?: object, restore?: object}} [opts] `correct`: the saved record the form
 *   corrects (it opens filled and asks for a reason); `restore`: a draft to open with
 */
export function recordForm(view, kind, subjectId, fix = null, opts = {}) {
  const { correct = null, restore = null } = opts;
  const def = FORMS[kind];
  const r = def.subject === 'resident_id' ? data.resident.get(subjectId) : null;
  const hh = def.subject === 'household_id' ? data.household.get(subjectId) : null;
  const init = restore ? { values: { ...restore.values }, copied: false }
    : fix ? { values: { ...fix.op.data }, copied: false }
      : correct ? { values: { ...correct }, copied: false } : initialValues(kind, subjectId);
  const ctx = { values: init.values, villages: villages(), members: hh ? [...data.resident.values()].filter((x) => x.household_id === hh.id) : [],
    doses: r && kind === 'vaccination_check' ? dosesFor(r) : [] };
  const nextVisit = () => {
    const c = rendered.el.querySelector('[data-field="classification"] input:checked');
    const nv = rendered.el.querySelector('input[name="next_visit_date"]');
    if (c && nv && !nv.dataset.touched) nv.value = addDays(todayChina(), c.value === 'controlled' ? 90 : 14);
  };
  const recordId = fix ? fix.op.id : correct ? correct.id : store.uuid();
  const asRecord = (values) => {
    // A correction sends the record's own device_created_at back (docs/sync-protocol.md).
    const record = { id: recordId, kind, ...values,
      device_created_at: fix?.op.data.device_created_at || correct?.device_created_at || new Date().toISOString() };
    if (def.subject !== 'village_id') record[def.subject] = subjectId;
    if (r) record.village_id = r.village_id;
    if (hh) record.village_id = hh.village_id;
    return record;
  };
  const validate = (values) => validateRecord(asRecord(values), r);
  const onInput = () => {
    nextVisit();
    fillBmi(rendered.el, rendered.collect(), validate);
    if (!rendered.el.querySelector('.field.invalid')) status.textContent = '';
  };
  const rendered = renderForm(kind, { ...ctx, onInput, validate });
  for (const name of ['next_visit_date', 'bmi']) {
    rendered.el.querySelector(`input[name="${name}"]`)?.addEventListener('input', (e) => { e.target.dataset.touched = '1'; });
  }
  const status = h('p.form-status', { role: 'status' });
  const reason = correct ? reasonField(t('correct.reason'), restore?.reason) : null;
  // Drafts: a new record per kind and subject, a correction per record; a rejected op being
  // fixed is kept in the outbox already.
  const draftKey = fix ? null : correct ? 'correct:' + correct.id : `new:${kind}:${subjectId || ''}`;
  const draft = draftKey ? keepDraft(draftKey, view, () => ({ values: rendered.collect(), reason: reason?.read() })) : null;
  const save = h('button.primary.wide#save', { type: 'button', onclick: async () => {
    const record = asRecord(rendered.collect());
    const n = rendered.showErrors(validateRecord(record, r)) + (reason && !reason.check() ? 1 : 0);
    if (n) { status.textContent = t('form.errors', { n }); status.className = 'form-status bad'; return; }
    save.disabled = true;
    draft?.stop();
    const doctor = data.reference.user?.id ?? data.device.user.id;
    if (correct) {
      await syncSettled(); // a push under way may be sending the op this one replaces
      await store.correctRecord({ ...record, doctor_id: correct.doctor_id ?? doctor, created_at: correct.created_at }, reason.read());
    } else {
      await store.saveLocal('record', { ...record, doctor_id: doctor }, fix ? { replaces: fix.op.op_id } : {});
    }
    if (draftKey) await store.dropDraft(draftKey);
    toast(t('form.saved'));
    location.hash = r ? '#/resident/' + r.id : hh ? '#/household/' + hh.id : '#/home';
    runSync('saved');
  } }, t('form.save'));
  const who = r ? `${r.name} · ` : hh ? `${hh.head_name || hh.address} · ` : '';
  const offer = draftKey && !restore ? draftOffer(draftKey, (kept) => {
    draft.stop();
    recordForm(view, kind, subjectId, null, { correct, restore: kept });
  }) : null;
  mount(view, h('h2.title', null, who + (correct ? t('correct.title') + ' · ' : '') + t('kind.' + kind)),
    offer, init.copied ? h('p.muted.copied', null, t('form.copy_last')) : null,
    fix ? rejectionBox(fix.op) : null, correct ? h('p.muted', null, t('correct.hint')) : null,
    reason ? reason.el : null, rendered.el, status, h('div.savebar', null, save));
  if (fix) rendered.showErrors(fix.op.errors, { server: true });
}

/**
 * The 65+ check's BMI from height and weight as they are typed (kg / m², one decimal),
 * unless the doctor typed a BMI of their own; none while either value is refused.
 */
function fillBmi(form, values, validate) {
  const bmi = form.querySelector('input[name="bmi"]');
  if (!bmi || bmi.dataset.touched) return;
  const { height_cm: cm, weight_kg: kg } = values;
  const errors = validate(values);
  if (typeof cm === 'number' && typeof kg === 'number' && !errors.height_cm && !errors.weight_kg) {
    bmi.value = String(Math.round((kg / (cm / 100) ** 2) * 10) / 10);
    bmi.dataset.auto = '1';
  } else if (bmi.dataset.auto) {
    bmi.value = '';
  }
}
