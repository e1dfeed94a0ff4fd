/**
 * Drafts: what the doctor typed into a record form and has not saved, kept across leaving
 * the form and closing the app (docs/adr/0066-phone-corrections-and-drafts.md). Sealed with
 * the data key like everything else the phone holds, in the `meta` store under
 * `draft:<form>`; the logout wipe deletes them with the database.
 */
import { database } from '../db.js';
import { seal, open } from '../crypto.js';
import { data, serial } from './local.js';

const PREFIX = 'draft:';

/**
 * Keep a form's unsaved values (replacing that form's earlier draft).
 * @param {string} form which form: a new record of a kind for a subject, or a correction
 * @param {object} draft what to restore (the form's values, the reason of a correction)
 * @returns {Promise<void>}
 */
export function saveDraft(form, draft) {
  return serial(async () => {
    if (!data.key) return; // locked meanwhile: nothing can be sealed
    const box = await seal(data.key, { ...draft, at: new Date().toISOString() });
    const db = await database();
    await db.put('meta', box, PREFIX + form);
  });
}

/**
 * A form's draft, or null.
 * @param {string} form
 * @returns {Promise<object|null>} the draft with `at`, when it was kept
 */
export async function loadDraft(form) {
  const db = await database();
  const box = await db.get('meta', PREFIX + form);
  if (!box || !data.key) return null;
  try {
    return await open(data.key, box);
  } catch {
    return null; // sealed under a key this phone no longer has (after a reset): useless
  }
}

/**
 * Forget a form's draft (saved, or discarded by the doctor).
 * @param {string} form
 * @returns {Promise<void>}
 */
export function dropDraft(form) {
  return serial(async () => {
    const db = await database();
    await db.delete('meta', PREFIX + form);
  });
}
