/**
 * The screens by the first part of the hash (#/name/args…): the router's table. Each
 * screen is a module of screens/ (first login, unlock and the password in account.js,
 * the card scanner in scan.js). Every screen reads local data only; none waits for the
 * network.
 */
import { showChangePassword } from './account.js';
import { scanView } from './scan.js';
import { home } from './screens/home.js';
import { search } from './screens/search.js';
import { resident, household } from './screens/resident.js';
import { recordForm } from './screens/record-form.js';
import { newMenu, newHousehold, newResident } from './screens/new.js';
import { editEntity } from './screens/edit.js';
import { syncView, fixOp } from './screens/sync.js';
import { correctForm, voidView } from './screens/record-changes.js';
import { me } from './screens/me.js';
import { progress } from './screens/progress.js';

/** Screens by the first part of the hash. */
export const VIEWS = {
  home, search, resident, household, new: newMenu, sync: syncView, me, progress,
  form: (view, kind, subjectId) => recordForm(view, kind, subjectId),
  'new-household': (view) => newHousehold(view),
  'new-resident': (view, householdId) => newResident(view, householdId),
  'edit-resident': (view, id) => editEntity(view, 'resident', id),
  'edit-household': (view, id) => editEntity(view, 'household', id),
  fix: fixOp,
  correct: correctForm,
  void: voidView,
  scan: scanView,
  password: showChangePassword,
};
