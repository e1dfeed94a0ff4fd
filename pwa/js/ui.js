/**
 * Tiny DOM helpers: no framework, so the app opens fast on a cheap phone.
 */

/**
 * Make an element: h('button.primary', {onclick}, 'text', child...).
 * @param {string} tag 'tag.class.class#id' (the id last)
 * @param {object|null} [attrs]
 * @param {...(Node|string|null|false|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const hash = tag.indexOf('#');
  const id = hash >= 0 ? tag.slice(hash + 1) : '';
  const [tagName, ...classes] = (hash >= 0 ? tag.slice(0, hash) : tag).split('.');
  const el = document.createElement(tagName || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * Replace the children of an element.
 * @param {HTMLElement} el
 * @param {...*} children
 */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Show a short message at the bottom of the screen.
 * @param {string} text
 * @param {string} [kind] 'ok' | 'error'
 */
export function toast(text, kind = 'ok') {
  const el = h(`div.toast.${kind}`, { role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 2500);
}

/**
 * Mask an ID number or phone for lists: keep the start and the last four.
 * @param {string|null} value
 * @param {number} keep characters kept at the start
 * @returns {string}
 */
export function mask(value, keep = 3) {
  if (!value || value.length < keep + 4) return value || '';
  return value.slice(0, keep) + '*'.repeat(value.length - keep - 4) + value.slice(-4);
}
