/**
 * The phone's data, as the rest of the app uses it: residents, households and records held
 * in memory while unlocked (`data`), sealed into IndexedDB on every change, with the outbox
 * written in the same transaction. The parts live in store/:
 *  - local.js: `data`, loading and sealing, the order of writes;
 *  - keys.js: the data key, enrolment, unlock, PIN and password, the logout wipe;
 *  - outbox.js: local saves and the outbox;
 *  - pull.js: applying a sync round;
 *  - corrections.js: correcting and voiding a saved record; drafts.js: unsaved forms.
 * An outbox entry is deleted only by applyPlan, after the server acknowledged it.
 */
export { ENTITIES, data, uuid, lock, updateState, syncState, unsyncedCount,
  outboxCounts, readLockedStatus, prefetchSealed } from './store/local.js';
export { isEnrolled, enrolledHint, enrol, unlock, resetPin, rewrapPassword, wipe } from './store/keys.js';
export { saveLocal, resend, pendingOps } from './store/outbox.js';
export { MOVED_AWAY_LISTED, applyPlan } from './store/pull.js';
export { opsFor, correctRecord, voidRecord } from './store/corrections.js';
export { saveDraft, loadDraft, dropDraft } from './store/drafts.js';
