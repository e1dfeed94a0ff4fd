/**
 * The search screen: by name, pinyin initials, ID number, phone or household, over the
 * residents on this phone (the index is rebuilt only when the data changed).
 */
import { h, mount, mask } from '../ui.js';
import { t } from '../i18n.js';
import { data } from '../store.js';
import { ResidentIndex, loadPinyin } from '../search.js';
import { residentLine } from './common.js';

let index = null;
let indexRevision = -1;

/**
 * Search by name, pinyin initials, ID number, phone or household.
 * @param {HTMLElement} view
 */
export async function search(view) {
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
