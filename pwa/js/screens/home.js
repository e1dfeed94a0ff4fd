/**
 * Home: today's work, computed on the phone from local data (follow-ups due, vaccinations
 * due or missed, the elderly check, urgent referrals).
 */
import { h, mount } from '../ui.js';
import { t } from '../i18n.js';
import { data } from '../store.js';
import { todaysWork } from '../today.js';
import { todayChina } from '../validate.js';
import { residentLine } from './common.js';

const LIST_MAX = 5;

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

/**
 * Home: today's work.
 * @param {HTMLElement} view
 */
export function home(view) {
  const started = performance.now();
  const today = todayChina();
  const work = todaysWork({ residents: data.resident.values(), recordsByResident: data.recordsByResident,
    schedule: data.reference.vaccine_schedule }, today);
  mount(view, h('h2.title', null, t('home.today'), h('span.muted', null, ' ' + today),
    h('a.small.right#progress-link', { href: '#/progress', role: 'button' }, t('progress.link'))),
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
