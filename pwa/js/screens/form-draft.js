/**
 * A record form's draft (docs/adr/0066-phone-corrections-and-drafts.md): what was typed is
 * kept, sealed, shortly after each change and at once when the doctor leaves the form or
 * the app goes to the background; reopening the form offers it back until it is saved or
 * discarded; and the reason field a correction or a voiding asks for.
 */
import { h } from '../ui.js';
import { t } from '../i18n.js';
import * as store from '../store.js';
import { formatTime } from '../shell.js';

/** Quiet time after the last keystroke before the draft is sealed again. */
export const DRAFT_DELAY_MS = 400;
/** The longest reason the server keeps (sync/protocol.py REASON_MAX). */
export const REASON_MAX = 200;

/**
 * Keep the draft of the form in `el` under `key` while it is on screen.
 * @param {string} key
 * @param {HTMLElement} el the form (and anything else whose input counts as typing)
 * @param {() => object} read what to keep: the form's values and the reason
 * @returns {{stop: () => void}} stop keeping it (saved, or the form is re-rendered)
 */
export function keepDraft(key, el, read) {
  let timer = null;
  let typed = false;
  let stopped = false;
  const keep = () => {
    clearTimeout(timer);
    if (!stopped && typed) store.saveDraft(key, read());
  };
  const later = () => {
    typed = true;
    clearTimeout(timer);
    timer = setTimeout(keep, DRAFT_DELAY_MS);
  };
  const hidden = () => { if (document.visibilityState === 'hidden') keep(); };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    el.removeEventListener('input', later);
    el.removeEventListener('change', later);
    document.removeEventListener('visibilitychange', hidden);
    window.removeEventListener('pagehide', keep);
    window.removeEventListener('hashchange', leave);
  };
  // Leaving the form: kept at once (not after the delay), then nothing more to watch.
  const leave = () => { keep(); stop(); };
  el.addEventListener('input', later);
  el.addEventListener('change', later);
  document.addEventListener('visibilitychange', hidden);
  window.addEventListener('pagehide', keep);
  window.addEventListener('hashchange', leave);
  return { stop };
}

/**
 * The offer of a kept draft, shown above the form once it is read, or nothing.
 * @param {string} key
 * @param {(draft: object) => void} restore re-render the form with the draft
 * @returns {HTMLElement} a placeholder the offer fills
 */
export function draftOffer(key, restore) {
  const box = h('div#draft-offer', { hidden: true });
  store.loadDraft(key).then((draft) => {
    if (!draft || !box.isConnected) return;
    box.className = 'banner warn';
    box.hidden = false;
    box.replaceChildren(h('p', null, t('draft.found', { t: formatTime(draft.at) })),
      h('div.buttons', null,
        h('button.small#draft-restore', { type: 'button', onclick: () => restore(draft) }, t('draft.restore')),
        h('button.small#draft-discard', { type: 'button', onclick: () => {
          box.hidden = true; // at once; the drop is queued before any later read of drafts
          store.dropDraft(key);
        } }, t('draft.discard'))));
  });
  return box;
}

/**
 * A required reason (correcting or voiding a record), with its error line.
 * @param {string} label
 * @param {string} [value]
 * @returns {{el: HTMLElement, read: () => string, check: () => boolean}}
 */
export function reasonField(label, value = '') {
  const input = h('textarea#change-reason', { name: 'change_reason', rows: 2, maxlength: REASON_MAX });
  input.value = value;
  const err = h('div.err', { 'aria-live': 'polite' });
  const el = h('div.field.reason', { dataset: { field: 'change_reason' } }, h('label', null, label), input, err);
  const read = () => input.value.trim();
  const check = () => {
    const text = read();
    err.textContent = !text ? t('reason.required') : text.length > REASON_MAX ? t('reason.long', { n: REASON_MAX }) : '';
    el.classList.toggle('invalid', Boolean(err.textContent));
    return !err.textContent;
  };
  input.addEventListener('input', () => { if (el.classList.contains('invalid')) check(); });
  return { el, read, check };
}
