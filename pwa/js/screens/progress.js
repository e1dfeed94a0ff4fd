/**
 * "My progress": this month's services, and the villages' chronic-disease rates estimated
 * from local data (progress.js); and the blood-pressure or glucose trend on a resident's
 * page. Labelled as estimates: the township's figures are computed on the server.
 */
import { h, mount } from '../ui.js';
import { t } from '../i18n.js';
import { data } from '../store.js';
import { todayChina } from '../validate.js';
import { monthServices, chronicRates, targetFor, readings } from '../progress.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHART = { w: 320, h: 120, pad: 22 };
const RATES = [['hypertension', 'htn'], ['diabetes', 'dm']];

function percent(n, d) {
  return d ? `${Math.round((100 * n) / d)}%` : '—';
}

function rateRow(id, label, n, d, target) {
  return h(`div.item.rate#${id}`, null, h('span', null, label),
    h('strong.right', null, percent(n, d)), h('span.muted', null, ` ${t('progress.of', { a: n, b: d })}`),
    target !== null ? h('span.tag', null, t('progress.target', { v: Math.round(target * 100) + '%' })) : null);
}

/**
 * My progress: this month's services and the estimated rates of the doctor's villages.
 * @param {HTMLElement} view
 */
export function progress(view) {
  const today = todayChina();
  const me = data.reference.user?.id ?? data.device?.user?.id;
  const month = monthServices(data.record.values(), me, today);
  const villageIds = (data.reference.villages || []).map((v) => v.id);
  const year = Number(today.slice(0, 4));
  const targets = data.reference.targets || [];
  const local = { residents: [...data.resident.values()], recordsByResident: data.recordsByResident,
    countedModes: data.reference.settings?.followup_counted_modes?.modes };
  mount(view, h('h2.title', null, t('progress.title')),
    h('section.card#progress-month', null, h('h3', null, t('progress.month'), h('span.badge.on', null, String(month.total))),
      month.total ? h('div.list', null, Object.entries(month.byKind).map(([kind, n]) =>
        h('div.item', null, h('span', null, t('kind.' + kind)), h('strong.right', null, String(n)))))
        : h('p.muted', null, t('progress.none'))),
    RATES.map(([condition, key]) => {
      const r = chronicRates(local, condition, today);
      return h(`section.card#progress-${key}`, null, h('h3', null, t('cond.' + condition), h('span.muted', null, ` ${r.managed}`)),
        rateRow(`${key}-standard`, t('progress.standard'), r.standard, r.asked, targetFor(targets, `${key}_standard`, year, villageIds)),
        rateRow(`${key}-control`, t('progress.control'), r.controlled, r.managed, targetFor(targets, `${key}_control`, year, villageIds)));
    }),
    h('p.muted#progress-estimate', null, t('progress.estimate')));
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** A small line chart: one or two series over the same dates, with a reference line. */
function chart(series, limit, label) {
  const values = series.flatMap((s) => s.points).concat(limit);
  const lo = Math.min(...values) * 0.95;
  const hi = Math.max(...values) * 1.05;
  const n = series[0].points.length;
  const x = (i) => CHART.pad + (n > 1 ? (i * (CHART.w - 2 * CHART.pad)) / (n - 1) : (CHART.w - 2 * CHART.pad) / 2);
  const y = (v) => CHART.h - CHART.pad - ((v - lo) * (CHART.h - 2 * CHART.pad)) / (hi - lo || 1);
  return svg('svg', { viewBox: `0 0 ${CHART.w} ${CHART.h}`, role: 'img', 'aria-label': label, class: 'trend' },
    svg('line', { x1: CHART.pad, x2: CHART.w - CHART.pad, y1: y(limit), y2: y(limit), class: 'limit' }),
    ...series.map((s) => svg('g', { class: s.cls },
      svg('polyline', { points: s.points.map((v, i) => `${x(i)},${y(v)}`).join(' ') }),
      ...s.points.map((v, i) => svg('circle', { cx: x(i), cy: y(v), r: 3 })),
      svg('text', { x: x(n - 1), y: y(s.points[n - 1]) - 6, 'text-anchor': 'end' }, String(s.points[n - 1])))));
}

/**
 * A resident's blood-pressure or glucose trend (the latest readings), or nothing.
 * @param {object[]} records the resident's records
 * @returns {HTMLElement|null}
 */
export function trendCard(records) {
  const { bp, glucose } = readings(records);
  const parts = [];
  if (bp.length >= 2) {
    parts.push(h('h3', null, t('trend.bp'), h('span.muted', null, ` ${bp[0].date.slice(2)} – ${bp[bp.length - 1].date.slice(2)}`)),
      chart([{ cls: 'sbp', points: bp.map((p) => p.sbp) }, { cls: 'dbp', points: bp.map((p) => p.dbp) }], 140, t('trend.bp')));
  }
  if (glucose.length >= 2) {
    parts.push(h('h3', null, t('trend.glucose'), h('span.muted', null, ` ${glucose[0].date.slice(2)} – ${glucose[glucose.length - 1].date.slice(2)}`)),
      chart([{ cls: 'glucose', points: glucose.map((p) => p.value) }], 7, t('trend.glucose')));
  }
  return parts.length ? h('section.card#trend', null, parts) : null;
}
