/**
 * The forms a village doctor fills in: field lists per record kind (the fields of the
 * server's schemas), a renderer that collects typed values, shows the server's error
 * messages under each field, and flags urgent-referral values as they are typed.
 *
 * Routine items come first with big tap targets; rarely used ones sit under "更多项目".
 */
import { h } from './ui.js';
import { t, fieldLabel, optionLabel, errorText, OPTIONS } from './i18n.js';
import { urgentFlags, todayChina } from './validate.js';
import { editConditions } from './edits.js';

const D = (name, o = {}) => ({ name, type: 'date', ...o });
const I = (name, o = {}) => ({ name, type: 'int', ...o });
const F = (name, o = {}) => ({ name, type: 'num', ...o });
const T = (name, o = {}) => ({ name, type: 'text', ...o });
const C = (name, values, o = {}) => ({ name, type: 'choice', values, ...o });
const B = (name, o = {}) => ({ name, type: 'bool', ...o });
const X = (name, o = {}) => ({ name, type: 'chips', ...o });
const MORE = { more: true };
const MODES = ['home', 'clinic', 'phone'];

const CHRONIC_TAIL = [
  X('symptoms', MORE), I('heart_rate', MORE), F('target_weight_kg', MORE),
  I('cigarettes_per_day', MORE), F('drinks_per_day', MORE), I('exercise_times_per_week', MORE),
  I('exercise_minutes', MORE), C('salt_intake', ['light', 'moderate', 'heavy'], MORE),
  C('mood_adjustment', ['good', 'fair', 'poor'], MORE), C('compliance', ['good', 'fair', 'poor'], MORE),
  T('adverse_reactions', MORE), T('referral_reason', MORE), T('referral_to', MORE), T('notes', MORE),
];
const CHRONIC_HEAD = [
  C('medication_adherence', ['regular', 'intermittent', 'none']),
  C('classification', ['controlled', 'uncontrolled', 'adverse_reaction', 'complication']),
  { name: 'medications', type: 'meds' }, D('next_visit_date'),
];

/** Form definitions by record kind (and 'household', 'resident'). */
export const FORMS = {
  hypertension_followup: {
    subject: 'resident_id',
    fields: [D('service_date'), C('mode', MODES), I('sbp', { big: true }), I('dbp', { big: true }),
      F('weight_kg'), ...CHRONIC_HEAD, ...CHRONIC_TAIL],
  },
  diabetes_followup: {
    subject: 'resident_id',
    fields: [D('service_date'), C('mode', MODES), F('fasting_glucose', { big: true }), I('sbp'), I('dbp'),
      F('weight_kg'), ...CHRONIC_HEAD, F('hba1c', MORE),
      C('dorsal_foot_pulse', ['palpable', 'weakened', 'absent'], MORE),
      C('hypoglycaemia', ['none', 'occasional', 'frequent'], MORE), I('staple_food_g', MORE),
      T('insulin', MORE), ...CHRONIC_TAIL],
  },
  elderly_health_check: {
    subject: 'resident_id',
    fields: [D('service_date'), C('mode', ['clinic', 'home']), I('sbp_left'), I('dbp_left'),
      I('sbp_right'), I('dbp_right'), F('height_cm'), F('weight_kg'), F('waist_cm'), F('bmi'),
      F('fasting_glucose'), C('self_rated_health', ['satisfied', 'fairly_satisfied', 'unsure', 'fairly_unsatisfied', 'unsatisfied']),
      I('self_care_score'), C('cognition_screen', ['negative', 'positive']),
      C('mood_screen', ['negative', 'positive']), C('health_assessment', ['normal', 'abnormal']),
      X('guidance'), F('temperature_c', MORE), I('pulse', MORE), I('respiration', MORE),
      X('symptoms', MORE), T('problems_found', MORE), T('notes', MORE)],
  },
  vaccination_check: {
    subject: 'resident_id',
    fields: [D('service_date'), C('mode', MODES), B('card_sighted'), B('certificate_present'),
      { name: 'doses', type: 'doses' }, B('guardian_notified'),
      C('notified_via', ['phone', 'home_visit', 'in_person', 'message', 'notice']), D('notified_on', MORE),
      T('notification_outcome', MORE), T('catch_up_result', MORE), B('found_by_active_search', MORE),
      B('school_entry_checked', MORE), T('notes', MORE)],
  },
  household_visit: {
    subject: 'household_id',
    fields: [D('service_date'), C('mode', ['home', 'phone']), { name: 'members_seen', type: 'members' },
      X('services_done'), T('problems_found'), D('next_visit_date'), T('notes', MORE)],
  },
  education_activity: {
    subject: 'village_id',
    fields: [D('service_date'), C('mode', ['group', 'clinic']), { name: 'village_id', type: 'village' },
      C('activity_type', ['lecture', 'consultation', 'bulletin_board', 'audio_visual', 'printed_materials', 'individual']),
      T('topic'), T('place'), I('audience_count'), T('presenter'), T('audience_type', MORE),
      { name: 'materials', type: 'materials' }, T('notes', MORE)],
  },
  household: {
    fields: [{ name: 'village_id', type: 'village' }, T('head_name'), T('group_no'), T('house_no'),
      T('address'), T('phone', { inputmode: 'tel' }), B('low_income'), T('kitchen_ventilation', MORE),
      T('fuel', MORE), T('drinking_water', MORE), T('toilet', MORE), T('animal_pen', MORE)],
  },
  resident: {
    fields: [T('name'), T('national_id', { inputmode: 'text' }), C('sex', ['male', 'female']), D('birth_date'),
      T('relationship_to_head'), T('phone', { inputmode: 'tel' }), { name: 'conditions', type: 'conditions' },
      C('residence_type', ['registered', 'non_registered']), B('permanent', { initial: true }),
      T('contact_name', MORE), T('contact_phone', { ...MORE, inputmode: 'tel' }), T('ethnicity', MORE)],
  },
  // Correcting a resident's details (views.js editEntity): what changes in a record's life.
  resident_edit: {
    fields: [T('name'), T('phone', { inputmode: 'tel' }), { name: 'household_id', type: 'household' },
      T('relationship_to_head'), T('national_id', { inputmode: 'text' }), C('sex', ['male', 'female', 'unknown']),
      D('birth_date'), { name: 'conditions', type: 'conditions', dated: true },
      D('record_created_on'), C('status', ['active', 'moved_out', 'deceased', 'lost']),
      D('moved_out_on', { when: (v) => v.status === 'moved_out' }), D('died_on', { when: (v) => v.status === 'deceased' }),
      C('residence_type', ['registered', 'non_registered']), B('permanent', { initial: true }),
      T('contact_name', MORE), T('contact_phone', { ...MORE, inputmode: 'tel' }), T('ethnicity', MORE),
      C('blood_type', ['A', 'B', 'O', 'AB', 'unknown'], MORE), T('allergies', MORE), T('past_history', MORE),
      T('family_history', MORE), T('disability', MORE)],
  },
};
// A household's details as edited later; moving a household to another village is the township's.
FORMS.household_edit = { fields: FORMS.household.fields.filter((f) => f.name !== 'village_id') };

function numberValue(raw, integer) {
  const s = raw.trim();
  if (!s) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) return s; // the validator answers "应为数字" as the server would
  return integer && !Number.isInteger(n) ? n : n;
}

/**
 * Render a form.
 * @param {string} kind a key of FORMS
 * @param {{values?: object, villages?: object[], households?: object[], members?: object[], doses?: object[],
 *   onInput?: () => void, validate?: (values: object) => object}} ctx initial values and choices;
 *   `validate`: the form's errors by field for the values typed (clears fixed errors, and
 *   keeps a refused value from raising the urgent banner)
 * @returns {{el: HTMLElement, collect: () => object,
 *   showErrors: (errors: object, opts?: {server?: boolean}) => number}} `server`: the reasons
 *   of a rejected op, kept until their own field is edited
 */
export function renderForm(kind, ctx = {}) {
  const def = FORMS[kind];
  const values = ctx.values || {};
  const controls = [];
  const main = h('div.fields');
  const more = h('details.more', null, h('summary', null, t('form.more')));
  const urgentBox = h('div.urgent', { hidden: true, role: 'alert' });
  for (const f of def.fields) {
    const control = renderField(f, values, ctx);
    controls.push(control);
    (f.more && !hasValue(values[f.name]) ? more : main).append(control.el);
  }
  const el = h('form.form', { novalidate: true, onsubmit: (e) => e.preventDefault() }, urgentBox, main,
    more.children.length > 1 ? more : null);

  function collect() {
    const out = {};
    for (const c of controls) Object.assign(out, c.get());
    for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
    return out;
  }

  function refreshUrgent() {
    // A value the form refuses (glucose 45: a slip for 4.5) is an error to fix, not a referral.
    const values = collect();
    const refused = ctx.validate ? ctx.validate(values) : {};
    const flags = urgentFlags(values).filter((f) => !refused[f.field]);
    el.querySelectorAll('.field.urgent-value').forEach((x) => x.classList.remove('urgent-value'));
    for (const f of flags) el.querySelector(`[data-field="${f.field}"]`)?.classList.add('urgent-value');
    urgentBox.hidden = !flags.length;
    urgentBox.replaceChildren(h('strong', null, '⚠ ' + t('form.urgent')), ' ',
      flags.map((f) => t('urgent.' + f.code)).join('；'), h('br'), t('urgent.advice'));
  }
  // A field shown only when another one calls for it (a date of death for "deceased"); one
  // that already holds a value stays visible, so nothing typed is ever hidden.
  function refreshShown() {
    const now = collect();
    def.fields.forEach((f, i) => { if (f.when) controls[i].el.hidden = !f.when(now) && !hasValue(now[f.name]); });
  }
  // An error shown under a field goes as soon as the field is put right: with the form's
  // validator, every marked field is checked again (none newly marked while typing);
  // without one, the field being edited loses its mark.
  function recheck(target) {
    const marked = [...el.querySelectorAll('.field.invalid')];
    if (!marked.length) return;
    const errors = ctx.validate ? ctx.validate(collect()) : null;
    for (const box of marked) {
      // The server's reasons (a rejected op) stay until their own field is edited.
      if ((!errors || box.dataset.server) && !box.contains(target)) continue;
      delete box.dataset.server;
      const keys = [box.dataset.field, ...(box.dataset.covers || '').split(' ')];
      const list = errors ? keys.flatMap((k) => (errors[k] ? flatten(errors[k]) : [])) : [];
      if (list.length) box.querySelector('.err').textContent = list.map(errorText).join('；');
      else { box.classList.remove('invalid'); box.querySelector('.err').textContent = ''; }
    }
  }
  el.addEventListener('input', (e) => {
    recheck(e.target); refreshUrgent(); refreshShown(); if (ctx.onInput) ctx.onInput();
  });
  el.addEventListener('change', (e) => { recheck(e.target); refreshUrgent(); refreshShown(); });
  refreshUrgent();
  refreshShown();

  function showErrors(errors, { server = false } = {}) {
    let n = 0;
    el.querySelectorAll('.err').forEach((x) => { x.textContent = ''; });
    el.querySelectorAll('.field.invalid').forEach((x) => { x.classList.remove('invalid'); delete x.dataset.server; });
    for (const [field, list] of Object.entries(errors || {})) {
      const box = el.querySelector(`[data-field="${field}"]`) || el.querySelector(`[data-covers~="${field}"]`);
      const text = flatten(list).map(errorText).join('；');
      n += 1;
      if (box) {
        box.hidden = false;
        box.classList.add('invalid');
        if (server) box.dataset.server = '1';
        box.querySelector('.err').textContent = text;
        if (box.closest('details')) box.closest('details').open = true;
      } else {
        urgentBox.before(h('p.err.form-err', null, `${fieldLabel(field)}：${text}`));
      }
    }
    const first = el.querySelector('.field.invalid');
    if (first) first.scrollIntoView({ block: 'center' });
    return n;
  }
  return { el, collect, showErrors };
}

function hasValue(v) {
  return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length);
}

function flatten(list) {
  if (Array.isArray(list)) return list;
  const out = [];
  for (const [k, v] of Object.entries(list)) {
    for (const e of flatten(v)) out.push({ ...e, message: (/^\d+$/.test(k) ? `第${Number(k) + 1}项 ` : `${fieldLabel(k)} `) + e.message });
  }
  return out;
}

function wrap(f, control, extra = {}) {
  return h('div.field', { dataset: { field: f.name, ...extra } },
    h('label', null, fieldLabel(f.name)), control, h('div.err', { 'aria-live': 'polite' }));
}

function renderField(f, values, ctx) {
  const v = values[f.name];
  switch (f.type) {
    case 'date': case 'text': case 'int': case 'num': {
      const numeric = f.type === 'int' || f.type === 'num';
      const input = h(`input${f.big ? '.big' : ''}`, {
        name: f.name, type: f.type === 'date' ? 'date' : 'text',
        inputmode: numeric ? (f.type === 'int' ? 'numeric' : 'decimal') : f.inputmode,
        value: v === undefined || v === null ? '' : String(v), autocomplete: 'off',
        max: f.type === 'date' && f.name !== 'next_visit_date' ? todayChina() : undefined,
      });
      return { el: wrap(f, input), get: () => ({ [f.name]: numeric ? numberValue(input.value, f.type === 'int') : (input.value.trim() || undefined) }) };
    }
    case 'choice': {
      const name = f.name + '-' + Math.random().toString(36).slice(2, 7);
      const group = h('div.seg', { role: 'radiogroup' }, f.values.map((value) => h('label.opt', null,
        h('input', { type: 'radio', name, value, checked: v === value, dataset: { field: f.name } }),
        h('span', null, optionLabel(f.name, value)))));
      return { el: wrap(f, group), get: () => ({ [f.name]: group.querySelector('input:checked')?.value }) };
    }
    case 'bool': {
      const box = h('input', { type: 'checkbox', name: f.name, checked: v === undefined ? Boolean(f.initial) : Boolean(v) });
      const el = h('div.field.bool', { dataset: { field: f.name } }, h('label.switch', null, box, h('span', null, fieldLabel(f.name))), h('div.err'));
      return { el, get: () => ({ [f.name]: box.checked }) };
    }
    case 'chips': {
      const selected = new Set(v || []);
      const group = h('div.chips', null, Object.keys(OPTIONS[f.name] || {}).map((value) => h('label.chip', null,
        h('input', { type: 'checkbox', value, checked: selected.has(value) }), h('span', null, optionLabel(f.name, value)))));
      return { el: wrap(f, group), get: () => {
        const list = [...group.querySelectorAll('input:checked')].map((x) => x.value);
        return { [f.name]: list.length ? list : undefined };
      } };
    }
    case 'village': {
      const villages = ctx.villages || [];
      const select = h('select', { name: 'village_id' }, villages.map((x) => h('option', { value: x.id, selected: x.id === v }, x.name)));
      return { el: wrap(f, select), get: () => ({ village_id: select.value ? Number(select.value) : undefined }) };
    }
    case 'household': {
      // The resident's household, among the households of the village (or none).
      const list = ctx.households || [];
      // A household the phone does not hold stays chosen: never cleared by not being listed.
      const unknown = v && !list.some((x) => x.id === v) ? h('option', { value: v, selected: true }, v) : null;
      const select = h('select', { name: 'household_id' }, h('option', { value: '' }, '—'), unknown,
        list.map((x) => h('option', { value: x.id, selected: x.id === v }, [x.address, x.head_name].filter(Boolean).join(' · ') || x.id)));
      return { el: wrap(f, select), get: () => ({ household_id: select.value || undefined }) };
    }
    case 'members': {
      const seen = new Set(v || []);
      const group = h('div.chips', null, (ctx.members || []).map((m) => h('label.chip', null,
        h('input', { type: 'checkbox', value: m.id, checked: seen.has(m.id) }), h('span', null, m.name))));
      return { el: wrap(f, group), get: () => {
        const list = [...group.querySelectorAll('input:checked')].map((x) => x.value);
        return { members_seen: list.length ? list : undefined };
      } };
    }
    case 'conditions': {
      if (f.dated) return datedConditions(f, v);
      const have = new Set((v || []).map((c) => c.condition));
      const group = h('div.chips', null, Object.keys(OPTIONS.conditions).map((value) => h('label.chip', null,
        h('input', { type: 'checkbox', value, checked: have.has(value) }), h('span', null, optionLabel('conditions', value)))));
      return { el: wrap(f, group), get: () => {
        const list = [...group.querySelectorAll('input:checked')].map((x) => (v || []).find((c) => c.condition === x.value) ||
          { condition: x.value, managed_since: todayChina() });
        return { conditions: list.length ? list : undefined };
      } };
    }
    case 'meds': return rowsField(f, v, ['drug', 'dose', 'frequency'], ['药名', '剂量', '用法'], () => ({}));
    case 'materials': return rowsField(f, v, ['kind', 'quantity'], ['资料种类', '数量'], () => ({}), { quantity: 'int' });
    case 'doses': return dosesField(f, values, ctx);
    default: throw new Error('field type ' + f.type);
  }
}

/** Conditions under management, each with the date it has been managed since. */
function datedConditions(f, v) {
  const shown = Object.keys(OPTIONS.conditions);
  const active = new Map((v || []).filter((c) => !c.ended_on).map((c) => [c.condition, c]));
  const rows = shown.map((condition) => {
    const box = h('input', { type: 'checkbox', value: condition, checked: active.has(condition) });
    const since = h('input', { type: 'date', name: 'managed_since-' + condition, max: todayChina(),
      value: active.get(condition)?.managed_since || todayChina(), 'aria-label': t('edit.managed_since') });
    const line = h('div.cond-row', null, h('label.chip', null, box, h('span', null, optionLabel('conditions', condition))),
      h('label.since', null, h('span', null, t('edit.managed_since')), since));
    const sync = () => { since.disabled = !box.checked; };
    box.addEventListener('change', sync);
    sync();
    return { condition, box, since, line };
  });
  return { el: wrap(f, h('div.conds', null, rows.map((r) => r.line))), get: () => {
    const ticked = new Map(rows.filter((r) => r.box.checked).map((r) => [r.condition, r.since.value || undefined]));
    const list = editConditions(v || [], ticked, shown, todayChina());
    return { conditions: list.length ? list : undefined };
  } };
}

function rowsField(f, v, keys, labels, blank, types = {}) {
  const list = h('div.rows');
  const addRow = (row = {}) => {
    const inputs = keys.map((k, i) => h('input', { placeholder: labels[i], value: row[k] ?? '', dataset: { key: k },
      inputmode: types[k] === 'int' ? 'numeric' : undefined }));
    const line = h('div.row', null, inputs, h('button.icon', { type: 'button', 'aria-label': t('form.remove'), onclick: () => line.remove() }, '×'));
    list.append(line);
  };
  (v || []).forEach(addRow);
  const el = wrap(f, h('div', null, list, h('button.small', { type: 'button', onclick: () => addRow(blank()) }, '+ ' + t('form.add'))));
  return { el, get: () => {
    const rows = [...list.querySelectorAll('.row')].map((line) => {
      const row = {};
      for (const input of line.querySelectorAll('input')) {
        const k = input.dataset.key;
        const s = input.value.trim();
        if (types[k] === 'int') { if (s) row[k] = numberValue(s, true); } else if (s) row[k] = s;
        else if (k !== keys[0]) row[k] = null;
      }
      return row;
    }).filter((row) => Object.values(row).some((x) => x !== null && x !== undefined));
    for (const row of rows) if (!(keys[0] in row)) row[keys[0]] = '';
    return { [f.name]: rows.length ? rows : undefined };
  } };
}

function dosesField(f, values, ctx) {
  const doses = ctx.doses || [];
  const rows = doses.map((d) => {
    const given = h('input', { type: 'checkbox' });
    const date = h('input', { type: 'date', max: todayChina(), value: todayChina() });
    const reason = h('input', { placeholder: '未种原因' });
    return { d, given, date, reason, el: h('div.dose', null,
      h('div', null, h('strong', null, `${d.name_zh || d.vaccine} 第${d.dose_no}剂`), ' ',
        h('span.tag' + (d.missed ? '.bad' : ''), null, d.missed ? t('home.missed') : t('home.duev')), ` ${d.due}`),
      h('label.switch', null, given, h('span', null, '已接种')), date, reason) };
  });
  const el = h('div.field', { dataset: { field: 'doses', covers: 'doses_due doses_given missed_doses' } },
    h('label', null, '应种剂次'), rows.length ? rows.map((r) => r.el) : h('p.muted', null, t('home.none')), h('div.err'));
  return { el, get: () => {
    if (!rows.length) return {};
    const base = (r) => ({ vaccine: r.d.vaccine, dose_no: r.d.dose_no });
    return {
      doses_due: rows.map(base),
      doses_given: rows.filter((r) => r.given.checked).map((r) => ({ ...base(r), date: r.date.value || null })),
      missed_doses: rows.filter((r) => !r.given.checked && r.d.missed).map((r) => ({ ...base(r), reason: r.reason.value.trim() || null })),
    };
  } };
}
