/**
 * Putting a saved record right (docs/adr/0066-phone-corrections-and-drafts.md): its author
 * corrects it in its own form, or voids it with a reason; each record in a resident's
 * history says where its last change stands (待同步, 已更正, 已作废, 冲突 with the
 * server's answer in words).
 */
import { h, mount, toast } from '../ui.js';
import { t, fieldLabel, errorText, optionLabel } from '../i18n.js';
import * as store from '../store.js';
import { conflictLines } from '../edits.js';
import { runSync, syncSettled } from '../shell.js';
import { villages } from './common.js';
import { recordForm } from './record-form.js';
import { reasonField } from './form-draft.js';

const { data } = store;

/**
 * May this phone's doctor correct or void the record? Only its author (docs/adr/0052).
 * @param {object} rec
 * @returns {boolean}
 */
export function isMine(rec) {
  const me = data.reference.user?.id ?? data.device?.user?.id;
  return !rec.deleted_at && rec.doctor_id !== undefined && rec.doctor_id === me;
}

function backTo(rec) {
  return rec.resident_id ? '#/resident/' + rec.resident_id : rec.household_id ? '#/household/' + rec.household_id : '#/home';
}

/**
 * The correction form: the record's own form, filled, asking for a reason.
 * @param {HTMLElement} view
 * @param {string} id
 */
export function correctForm(view, id) {
  const rec = data.record.get(id);
  if (!rec || !isMine(rec)) { location.hash = rec ? backTo(rec) : '#/home'; return; }
  recordForm(view, rec.kind, rec.resident_id || rec.household_id || '', null, { correct: rec });
}

/**
 * Voiding a record: what it is, why (required), and a button that says what it does.
 * @param {HTMLElement} view
 * @param {string} id
 */
export function voidView(view, id) {
  const rec = data.record.get(id);
  if (!rec || !isMine(rec)) { location.hash = rec ? backTo(rec) : '#/home'; return; }
  const who = rec.resident_id ? data.resident.get(rec.resident_id)?.name : '';
  const reason = reasonField(t('void.reason'));
  const confirm = h('button.primary.wide.danger#void-confirm', { type: 'button', onclick: async () => {
    if (!reason.check()) return;
    confirm.disabled = true;
    await syncSettled(); // a push under way may be sending the record's create
    await store.voidRecord(id, reason.read());
    toast(t('void.done'));
    location.hash = backTo(rec);
    runSync('saved');
  } }, t('void.confirm'));
  mount(view, h('h2.title', null, t('void.title')),
    h('section.card', null, h('p', null, h('strong', null, `${who || ''} ${t('kind.' + rec.kind)}`)),
      h('p.muted', null, rec.service_date, ' ', summary(rec)), h('p.muted', null, t('void.hint'))),
    reason.el,
    h('div.savebar', null, confirm, h('a.action#void-cancel', { href: backTo(rec) }, t('void.cancel'))));
}

/**
 * The values a history line shows for a record.
 * @param {object} rec
 * @returns {string}
 */
export function summary(rec) {
  const bits = [];
  if (rec.sbp) bits.push(`${rec.sbp}/${rec.dbp}`);
  if (rec.sbp_left) bits.push(`${rec.sbp_left}/${rec.dbp_left}`);
  if (rec.fasting_glucose) bits.push(`${rec.fasting_glucose} mmol/L`);
  if (rec.classification) bits.push(optionLabel('classification', rec.classification));
  if (rec.topic) bits.push(rec.topic);
  if (rec.doses_given && rec.doses_given.length) bits.push(rec.doses_given.map((d) => d.vaccine + d.dose_no).join(' '));
  return bits.join(' · ');
}

/**
 * Where a record's last change stands: tags, and the reason or the server's answer in words.
 * @param {object} rec
 * @returns {{tags: HTMLElement[], words: HTMLElement|null}}
 */
export function recordState(rec) {
  const ops = store.opsFor(rec.id);
  const refused = ops.find((op) => op.state === 'rejected');
  const notice = ops.length ? null : data.notices.filter((n) => n.entity === 'record' && n.id === rec.id && n.kind === 'conflict').pop();
  const tags = [];
  if (ops.some((op) => op.state !== 'rejected')) tags.push(h('span.tag.warn.state-pending', null, t('record.pending')));
  if (rec.deleted_at) tags.push(h('span.tag.bad.state-voided', null, t('record.voided')));
  else if ((rec.version > 1 || rec.change_reason) && !ops.some((op) => op.action === 'create')) {
    tags.push(h('span.tag.state-corrected', null, t('record.corrected')));
  }
  if (refused || notice) tags.push(h('span.tag.bad.state-conflict', null, t('record.conflict')));
  let words = null;
  if (refused) {
    // A field of the record is named; a refusal of the op itself (its version, its id) is
    // said by the server's message alone.
    words = Object.entries(refused.errors || {}).map(([k, v]) => {
      const label = fieldLabel(k);
      return (label && label !== k ? label + '：' : '') + (Array.isArray(v) ? v : []).map(errorText).join('；');
    }).join('；');
  } else if (notice) {
    words = conflictLines(notice.conflicts, { villages: villages(), households: data.household }).map((l) => l.label + t('conflict.sep') + l.words).join('；');
  } else if (rec.change_reason && !ops.some((op) => op.action === 'create')) {
    words = t('record.reason', { r: rec.change_reason });
  }
  return { tags, words: words ? h('div.muted.record-words', null, words) : null };
}
