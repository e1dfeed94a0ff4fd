/**
 * Form validation that mirrors the server's marshmallow schemas (server/schemas/*.py) rule
 * for rule, with the same codes and the same Chinese messages, so a record the phone
 * accepts is one the server accepts. tests/pwa/test_validation_parity.py runs both on the
 * same cases. Errors have the API's shape: {field: [{code, message}]}, nested by list index.
 * The field kinds and the engine that runs a schema are in validate/base.js.
 */
import { validateNationalId, birthDateOf, sexOf } from './idcard.js';
import {
  str, int, num, bool, date, datetime, uuid, choice, list, nested, dict, N, R, todayChina,
  notFuture, plausiblePast, phone, personName, nationalId, runSchema, toApiShape,
} from './validate/base.js';

export { todayChina };

const CONDITIONS = ['hypertension', 'diabetes', 'mental_disorder', 'tuberculosis'];
const MODES = ['clinic', 'home', 'phone', 'group'];
const LEVELS = ['good', 'fair', 'poor'];
const SALT = ['light', 'moderate', 'heavy'];
const ADHERENCE = ['regular', 'intermittent', 'none'];
const CLASSIFICATIONS = ['controlled', 'uncontrolled', 'adverse_reaction', 'complication'];
const EDUCATION_TYPES = ['lecture', 'consultation', 'bulletin_board', 'audio_visual',
  'printed_materials', 'individual'];

/** Thresholds at which a value calls for an urgent referral (DOMAIN.md). */
export const URGENT = { sbp: 180, dbp: 110, glucoseHigh: 16.7, glucoseLow: 3.9 };

// ---- the schemas of server/schemas/people.py and records.py -----------------------------

const DATE_PAST = [notFuture, plausiblePast];
const QR_LENGTH = 22; // server/cards/codes.py: 'C1' + 20 Crockford base32 characters
const cardCode = (v) => (/^C1[0-9A-HJKMNP-TV-Z]{20}$/.test(v) ? null : 'card_format|这不是本系统的居民卡二维码');

export const HOUSEHOLD = {
  fields: {
    id: uuid(), village_id: int(1, null, R), group_no: str(20), house_no: str(20), address: str(200),
    head_name: str(50, 0, { validate: [personName] }),
    phone: str(20, 0, { ...N, validate: [phone] }),
    kitchen_ventilation: str(20, 0, N), fuel: str(20, 0, N), drinking_water: str(20, 0, N),
    toilet: str(20, 0, N), animal_pen: str(20, 0, N), low_income: bool(),
    responsible_doctor_id: int(1, null, N),
  },
};

const CONDITION = {
  fields: {
    condition: choice(CONDITIONS, R),
    diagnosed_on: date({ ...N, validate: DATE_PAST }),
    managed_since: date({ ...R, validate: DATE_PAST }),
    ended_on: date({ ...N, validate: [notFuture] }),
  },
};

function residentConsistent(d) {
  const errors = {};
  const born = d.birth_date;
  if (d.national_id && born) {
    let nid;
    try { nid = validateNationalId(d.national_id); } catch { nid = null; }
    if (nid && birthDateOf(nid) !== born) {
      errors.national_id = ['national_id_birth_mismatch|身份证号中的出生日期与填写的出生日期不一致'];
    } else if (nid && ['male', 'female'].includes(d.sex) && sexOf(nid) !== d.sex) {
      errors.national_id = ['national_id_sex_mismatch|身份证号中的性别与填写的性别不一致'];
    }
  }
  if (born) {
    for (const key of ['died_on', 'moved_in_on', 'moved_out_on', 'contract_signed_on']) {
      if (d[key] && d[key] < born) errors[key] = ['before_birth|日期不能早于出生日期'];
    }
  }
  if (d.status === 'deceased' && !d.died_on) errors.died_on = ['required|死亡状态须填写死亡日期'];
  return errors;
}

export const RESIDENT = {
  fields: {
    id: uuid(), household_id: uuid(N), village_id: int(1, null, R),
    name: str(50, 1, { ...R, validate: [personName] }),
    sex: choice(['male', 'female', 'unknown'], R),
    birth_date: date({ ...R, validate: DATE_PAST }),
    national_id: str(20, 0, { ...N, after: nationalId }),
    relationship_to_head: str(20, 0, N),
    phone: str(20, 0, { ...N, validate: [phone] }),
    contact_name: str(50, 0, { ...N, validate: [personName] }),
    contact_phone: str(20, 0, { ...N, validate: [phone] }),
    residence_type: choice(['registered', 'non_registered']), permanent: bool(),
    ethnicity: str(20, 0, N), blood_type: choice(['A', 'B', 'O', 'AB', 'unknown'], N),
    payment_type: str(30, 0, N), allergies: str(500, 0, N), past_history: str(2000, 0, N),
    family_history: str(2000, 0, N), disability: str(50, 0, N), pregnant: bool(),
    status: choice(['active', 'moved_out', 'deceased', 'lost']),
    moved_in_on: date({ ...N, validate: [notFuture] }), moved_out_on: date({ ...N, validate: [notFuture] }),
    died_on: date({ ...N, validate: [notFuture] }), record_created_on: date({ ...N, validate: [notFuture] }),
    contract_team: str(50, 0, N), contract_signed_on: date({ ...N, validate: [notFuture] }),
    contract_package: str(50, 0, N), conditions: list(nested(CONDITION), 10),
    card_code: str(QR_LENGTH, 0, { validate: [cardCode] }),
  },
  rules: [residentConsistent],
};

const ENVELOPE = {
  id: uuid(R), kind: str(40, 0, R), resident_id: uuid(N), household_id: uuid(N),
  village_id: int(1, null, N), doctor_id: int(1, null, N),
  service_date: date({ ...R, validate: DATE_PAST }), mode: choice(MODES, R),
  notes: str(2000, 0, N), evidence: dict(N), device_created_at: datetime(N),
};

const subjectPresent = (subject) => (d) => (d[subject] ? {} : { [subject]: ['required|必填项'] });

function bpRule(sbpKey, dbpKey) {
  return (d) => {
    const s = d[sbpKey]; const p = d[dbpKey];
    return s != null && p != null && p >= s ? { [dbpKey]: ['dbp_not_below_sbp|舒张压应低于收缩压'] } : {};
  };
}

const nextAfterService = (d) => (d.next_visit_date && d.service_date && d.next_visit_date < d.service_date
  ? { next_visit_date: ['before_service|下次随访日期不能早于本次随访日期'] } : {});

const MEDICATION = { fields: { drug: str(100, 1, R), dose: str(50, 0, N), frequency: str(50, 0, N) } };
const DOSE = {
  fields: {
    vaccine: str(20, 1, R), dose_no: int(1, 10, R), date: date({ ...N, validate: [notFuture] }),
    lot: str(40, 0, N), site: str(40, 0, N), unit: str(100, 0, N), reason: str(200, 0, N),
  },
};
const MATERIAL = { fields: { kind: str(50, 1, R), quantity: int(0, 100000, R) } };

const CHRONIC = {
  symptoms: list(str(50), 20, N), sbp: int(60, 300, N), dbp: int(30, 200, N),
  weight_kg: num(2, 300, N), target_weight_kg: num(2, 300, N), bmi: num(10, 60, N),
  target_bmi: num(10, 60, N), heart_rate: int(20, 250, N), cigarettes_per_day: int(0, 100, N),
  drinks_per_day: num(0, 50, N), exercise_times_per_week: int(0, 21, N),
  exercise_minutes: int(0, 600, N), salt_intake: choice(SALT, N), mood_adjustment: choice(LEVELS, N),
  compliance: choice(LEVELS, N), medication_adherence: choice(ADHERENCE, N),
  adverse_reactions: str(500, 0, N), classification: choice(CLASSIFICATIONS, N),
  medications: list(nested(MEDICATION), 20, N), referral_reason: str(500, 0, N),
  referral_to: str(100, 0, N), next_visit_date: date(N),
};
const CHRONIC_RULES = [subjectPresent('resident_id'), bpRule('sbp', 'dbp'), nextAfterService];

/** In person the figures are measured; a follow-up by phone may not have them. */
const measuredUnlessPhone = (keys) => (d) => {
  if (d.mode === 'phone') return {};
  const out = {};
  for (const k of keys) if (d[k] === undefined || d[k] === null) out[k] = ['required|当面随访须填写此项（电话随访可不填）'];
  return out;
};

/** The record schemas by kind, as server/schemas/records.py SCHEMAS. */
export const RECORD_SCHEMAS = {
  household_visit: {
    fields: { ...ENVELOPE, members_seen: list(uuid(), 30, N), services_done: list(str(50), 30, N),
      problems_found: str(2000, 0, N), next_visit_date: date(N) },
    rules: [subjectPresent('household_id')],
  },
  hypertension_followup: {
    fields: { ...ENVELOPE, ...CHRONIC },
    rules: [...CHRONIC_RULES, measuredUnlessPhone(['sbp', 'dbp'])],
  },
  diabetes_followup: {
    fields: { ...ENVELOPE, ...CHRONIC, dorsal_foot_pulse: choice(['palpable', 'weakened', 'absent'], N),
      fasting_glucose: num(1, 35, N), hba1c: num(3, 20, N), staple_food_g: int(0, 2000, N),
      hypoglycaemia: choice(['none', 'occasional', 'frequent'], N), insulin: str(100, 0, N) },
    rules: [...CHRONIC_RULES, measuredUnlessPhone(['fasting_glucose'])],
  },
  vaccination_check: {
    fields: { ...ENVELOPE, card_sighted: bool(), certificate_present: bool(),
      doses_due: list(nested(DOSE), 40, N), doses_given: list(nested(DOSE), 40, N),
      missed_doses: list(nested(DOSE), 40, N), guardian_notified: bool(),
      notified_via: choice(['phone', 'home_visit', 'in_person', 'message', 'notice'], N),
      notified_on: date({ ...N, validate: [notFuture] }), notification_outcome: str(100, 0, N),
      catch_up_result: str(100, 0, N), found_by_active_search: bool(), school_entry_checked: bool() },
    rules: [subjectPresent('resident_id')],
  },
  education_activity: {
    fields: { ...ENVELOPE, activity_type: choice(EDUCATION_TYPES, R), place: str(100, 1, R),
      topic: str(200, 1, R), presenter: str(50, 0, N), audience_type: str(50, 0, N),
      audience_count: int(0, 100000), attendee_ids: list(uuid(), 2000, N),
      materials: list(nested(MATERIAL), 20, N), board_id: str(50, 0, N) },
    rules: [subjectPresent('village_id')],
  },
  elderly_health_check: {
    fields: { ...ENVELOPE, symptoms: list(str(50), 30, N), temperature_c: num(34, 43, N),
      pulse: int(20, 250, N), respiration: int(5, 80, N), sbp_left: int(60, 300, N),
      dbp_left: int(30, 200, N), sbp_right: int(60, 300, N), dbp_right: int(30, 200, N),
      height_cm: num(80, 230, N), weight_kg: num(15, 300, N), waist_cm: num(30, 200, N),
      bmi: num(10, 60, N), self_rated_health: choice(['satisfied', 'fairly_satisfied', 'unsure', 'fairly_unsatisfied', 'unsatisfied'], N),
      self_care_score: int(0, 30, N), cognition_screen: choice(['negative', 'positive'], N),
      mood_screen: choice(['negative', 'positive'], N), lifestyle: dict(N), organ_function: dict(N),
      tests: dict(N), fasting_glucose: num(1, 35, N), problems_found: str(2000, 0, N),
      health_assessment: choice(['normal', 'abnormal'], N), guidance: list(str(100), 20, N) },
    rules: [subjectPresent('resident_id'), bpRule('sbp_left', 'dbp_left'), bpRule('sbp_right', 'dbp_right')],
  },
};

/**
 * What the server checks of a record against the resident it is about, after the schema
 * (server/services/records.py resolve_subject): no service before the resident was born.
 */
function againstResident(data, resident) {
  if (data.resident_id && resident.birth_date && data.service_date < resident.birth_date) {
    return { service_date: ['before_birth|服务日期不能早于出生日期'] };
  }
  return {};
}

/**
 * Validate a record of any kind as the server does: its load_record, then, given the
 * resident the record is about, the checks against that resident.
 * @param {object} data the record as it will be sent
 * @param {{birth_date: string}|null} [resident] the resident of `data.resident_id`, as stored
 * @returns {object} errors keyed by field ({} when valid)
 */
export function validateRecord(data, resident = null) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return toApiShape({ _schema: ['type|数据格式应为对象'] });
  }
  const schema = RECORD_SCHEMAS[data.kind];
  if (typeof data.kind !== 'string' || !schema) return toApiShape({ kind: ['choice|记录类型无效'] });
  const errors = runSchema(schema, data);
  // As on the server, the record is checked against its resident only once it is valid.
  if (!Object.keys(errors).length && resident) Object.assign(errors, againstResident(data, resident));
  return toApiShape(errors);
}

/**
 * Validate a resident as the server's ResidentSchema does.
 * @param {object} data
 * @returns {object} errors keyed by field
 */
export function validateResident(data) {
  return toApiShape(runSchema(RESIDENT, data));
}

/**
 * Validate a household as the server's HouseholdSchema does.
 * @param {object} data
 * @returns {object} errors keyed by field
 */
export function validateHousehold(data) {
  return toApiShape(runSchema(HOUSEHOLD, data));
}

/**
 * Values that call for an urgent referral, as the doctor types them.
 * @param {object} values sbp, dbp, fasting_glucose (and the 65+ check's both-arm readings)
 * @returns {Array<{field: string, code: string, value: number}>}
 */
export function urgentFlags(values) {
  const flags = [];
  const n = (k) => (typeof values[k] === 'number' && Number.isFinite(values[k]) ? values[k] : null);
  for (const k of ['sbp', 'sbp_left', 'sbp_right']) {
    if (n(k) !== null && n(k) >= URGENT.sbp) flags.push({ field: k, code: 'sbp_high', value: n(k) });
  }
  for (const k of ['dbp', 'dbp_left', 'dbp_right']) {
    if (n(k) !== null && n(k) >= URGENT.dbp) flags.push({ field: k, code: 'dbp_high', value: n(k) });
  }
  const g = n('fasting_glucose');
  if (g !== null && g >= URGENT.glucoseHigh) flags.push({ field: 'fasting_glucose', code: 'glucose_high', value: g });
  if (g !== null && g <= URGENT.glucoseLow) flags.push({ field: 'fasting_glucose', code: 'glucose_low', value: g });
  return flags;
}

/**
 * True when a stored record carries an urgent-referral value.
 * @param {object} record
 * @returns {boolean}
 */
export function isUrgent(record) {
  return urgentFlags(record).length > 0;
}
