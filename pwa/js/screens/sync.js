/**
 * The sync screen: the outbox (rejected ops first, with the server's reasons, to correct
 * or send again), the township's notices, the last sync; and correcting a rejected op in
 * the form it came from.
 */
import { h, mount } from '../ui.js';
import { t, fieldLabel, errorText } from '../i18n.js';
import * as store from '../store.js';
import { runSync, route, formatTime } from '../shell.js';
import { noticeItem, addressLine } from './common.js';
import { recordForm } from './record-form.js';
import { newHousehold, newResident } from './new.js';
import { editEntity } from './edit.js';

const { data } = store;

function opTitle(op) {
  const value = data[op.entity]?.get(op.id) || op.data;
  if (op.entity === 'record') return `${t('kind.' + value.kind)} ${recordSubject(value)} ${value.service_date || ''}`;
  const edit = op.action === 'update' ? t('edit.op') + ' ' : '';
  return `${edit}${t('kind.' + op.entity)} ${value.name || value.head_name || value.address || ''}`;
}

/** Who or what a record in the outbox is about: the resident, the household, the topic. */
function recordSubject(rec) {
  if (rec.resident_id) return data.resident.get(rec.resident_id)?.name || '';
  if (rec.household_id) {
    const hh = data.household.get(rec.household_id);
    return hh ? hh.head_name || addressLine(hh) : '';
  }
  const village = (data.reference.villages || []).find((v) => v.id === rec.village_id);
  return [rec.topic, village && village.name].filter(Boolean).join(' · ');
}

/**
 * Correct a rejected op: the same form, its values, the server's reasons.
 * @param {HTMLElement} view
 * @param {string} opId
 */
export function fixOp(view, opId) {
  const op = data.outbox.get(opId);
  if (!op) { location.hash = '#/sync'; return; }
  if (op.entity === 'record') {
    const value = data.record.get(op.id) || op.data;
    const subject = value.resident_id || value.household_id || '';
    recordForm(view, value.kind, subject, { op: { ...op, data: { ...op.data } } });
  } else if (op.action === 'update') {
    editEntity(view, op.entity, op.id, { op });
  } else if (op.entity === 'resident') {
    newResident(view, null, { op });
  } else {
    newHousehold(view, null, { op });
  }
}

/**
 * Sync: the outbox (rejected first, with reasons), notices for township review, the clock.
 * @param {HTMLElement} view
 */
export function syncView(view) {
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
