/**
 * Finding a resident on the phone: by name, pinyin initials ('zsf' → 张三丰), full pinyin,
 * ID number, phone, or household (head's name, address, house number).
 *
 * Each resident carries `_py` (initials) and `_pyfull` (full pinyin), computed once when it
 * is stored, so a search is a scan of short strings (timings: docs/benchmarks.md#phone-app).
 */

let pinyinModule = null;

/**
 * Load the pinyin library (lazily: the home screen does not need it).
 * @returns {Promise<void>}
 */
export async function loadPinyin() {
  if (pinyinModule) return;
  // In the app the import map names pinyin-pro's one-file build, which sets
  // globalThis.pinyinPro (one request on 2G, ADR 0065); Node resolves the package's ES modules.
  const loaded = await import('pinyin-pro');
  pinyinModule = loaded.pinyin ? loaded : globalThis.pinyinPro;
}

/**
 * Pinyin initials and full pinyin of a name; surnames read as surnames (单 → shan).
 * @param {string} name
 * @returns {{py: string, pyfull: string}}
 */
export function pinyinKeys(name) {
  if (!pinyinModule || !name) return { py: '', pyfull: '' };
  const opts = { toneType: 'none', type: 'array', surname: 'head', v: true };
  const full = pinyinModule.pinyin(name, opts).filter((s) => /^[a-zü]+$/i.test(s));
  return { py: full.map((s) => s[0]).join('').toLowerCase(), pyfull: full.join('').toLowerCase() };
}

/**
 * Add the search keys to a resident in place (needs loadPinyin() first).
 * @param {object} resident
 * @returns {object} the same resident
 */
export function withSearchKeys(resident) {
  if (resident.name && (!resident._py || resident._pyname !== resident.name)) {
    const k = pinyinKeys(resident.name);
    resident._py = k.py;
    resident._pyfull = k.pyfull;
    resident._pyname = resident.name;
  }
  return resident;
}

/** An index over residents and their households, rebuilt when the data changes. */
export class ResidentIndex {
  /**
   * @param {Iterable<object>} residents
   * @param {Map<string, object>} households
   */
  constructor(residents, households) {
    this.rows = [];
    for (const r of residents) {
      const h = r.household_id ? households.get(r.household_id) : null;
      this.rows.push({
        r,
        name: r.name || '',
        py: r._py || '',
        pyfull: r._pyfull || '',
        digits: [r.national_id, r.phone, r.contact_phone, h && h.phone].filter(Boolean).join(' ').toUpperCase(),
        household: h ? [h.head_name, h.address, h.group_no && h.group_no + '组', h.house_no, h.household_no]
          .filter(Boolean).join(' ') : '',
      });
    }
  }

  /**
   * Residents matching a query, best matches first.
   * @param {string} query
   * @param {number} [limit]
   * @returns {object[]} residents
   */
  search(query, limit = 50) {
    const q = query.trim().toLowerCase().replace(/\s+/g, '');
    if (!q) return [];
    const isLatin = /^[a-zü]+$/.test(q);
    const isDigits = /^[\dx-]+$/.test(q);
    const hits = [];
    for (const row of this.rows) {
      let score = 0;
      if (isLatin) {
        if (row.py === q) score = 100;
        else if (row.py.startsWith(q)) score = 80;
        else if (row.pyfull.startsWith(q)) score = 70;
        else if (row.pyfull.includes(q) || row.py.includes(q)) score = 30;
      } else if (isDigits) {
        const upper = q.toUpperCase();
        const at = row.digits.indexOf(upper);
        if (at >= 0) score = at === 0 || row.digits[at - 1] === ' ' ? 90 : 40;
        else if (row.household.includes(q)) score = 20;
      } else if (row.name === query.trim()) {
        score = 100;
      } else if (row.name.startsWith(q)) {
        score = 80;
      } else if (row.name.includes(q)) {
        score = 50;
      } else if (row.household.includes(q)) {
        score = 25;
      }
      if (score) hits.push([score, row]);
    }
    hits.sort((a, b) => b[0] - a[0] || a[1].name.localeCompare(b[1].name, 'zh'));
    return hits.slice(0, limit).map(([, row]) => row.r);
  }
}
