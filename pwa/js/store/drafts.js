/**
 * Drafts: what the doctor typed into a record form and has not saved, kept across leaving
 * the form and closing the app (docs/adr/0066-phone-corrections-and-drafts.md). All of them
 * are one entry of the `meta` store, `drafts`, sealed with the data key like everything
 * else the phone holds: not even which resident has a draft is readable without it. The
 * logout wipe deletes them with the database.
 */
import { database } from '../db.js';
import { seal, open } from '../crypto.js';
import { data, serial } from './local.js';

const KEY = 'drafts';

/** Every draft, {form: draft}; none when there are none or they cannot be opened. */
async function readAll(db) {
  const box = await db.get('meta', KEY);
  if (!box || !data.key) return {};
  try {
    return await open(data.key, box);
  } catch {
    return {}; // sealed under a key this phone no longer has (after a reset): useless
  }
}

/** Seal and store the drafts (or delete the entry when none is left). */
async function writeAll(db, all) {
  if (!Object.keys(all).length) return db.delete('meta', KEY);
  const box = await seal(data.key, all); // sealed before the write, not inside it
  return db.put('meta', box, KEY);
}

/**
 * Keep a form's unsaved values (replacing that form's earlier draft).
 * @param {string} form which form: a new record of a kind for a subject, or a correction
 * @param {object} draft what to restore (the form's values, the reason of a correction)
 * @returns {Promise<void>}
 */
export function saveDraft(form, draft) {
  return serial(async () => {
    if (!data.key) return; // locked meanwhile: nothing can be sealed
    const db = await database();
    const all = await readAll(db);
    all[form] = { ...draft, at: new Date().toISOString() };
    await writeAll(db, all);
  });
}

/**
 * A form's draft, or null.
 * @param {string} form
 * @returns {Promise<object|null>} the draft with `at`, when it was kept
 */
export function loadDraft(form) {
  // In the write queue: a draft kept or dropped just before is read as it now is.
  return serial(async () => (await readAll(await database()))[form] || null);
}

/**
 * Forget a form's draft (saved, or discarded by the doctor).
 * @param {string} form
 * @returns {Promise<void>}
 */
export function dropDraft(form) {
  return serial(async () => {
    if (!data.key) return;
    const db = await database();
    const all = await readAll(db);
    if (!(form in all)) return;
    delete all[form];
    await writeAll(db, all);
  });
}
