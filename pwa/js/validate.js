/**
 * Form validation that mirrors the server's marshmallow schemas (server/schemas/*.py) rule
 * for rule, with the same codes and the same Chinese messages, so a record the phone
 * accepts is one the server accepts. tests/pwa/test_validation_parity.py runs both on the
 * same cases. Errors have the API's shape: {field: [{code, message}]}, nested by list index.
 */
import { validateNationalId, birthDateOf, sexOf } from './idcard.js';

const CONDITIONS = ['hypertension', 'diabetes', 'mental_disorder', 'tuberculosis'];
const MODES = ['clinic', 'home', 'phone', 'group'];
const LEVELS = ['good', 'fair', 'poor'];
const SALT = ['light', 'moderate', 'heavy'];
const ADHERENCE = ['regular', 'intermittent', 'none'];
const CLASSIFICATIONS = ['controlled', 'uncontrolled', 'adverse_reaction', 'complication'];
const EDUCATION_TYPES = ['lecture', 'consultation', 'bulletin_board', 'audio_visual',
  'printed_materials', 'individual'];
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const PHONE_RE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;

/** Thresholds at which a value calls for an urgent referral (DOMAIN.md). */
export const URGENT = { sbp: 180, dbp: 110, glucoseHigh: 16.7, glucoseLow: 3.9 };

// ---- the field kinds of server/schemas/base.py ------------------------------------------

const fmt = (v) => (v === null || v === undefined ? 'None' : String(v));
const str = (max = 200, min = 0, o = {}) => ({ t: 'str', max, min, ...o });
const int = (lo = null, hi = null, o = {}) => ({ t: 'int', lo, hi, ...o });
const num = (lo = null, hi = null, o = {}) => ({ t: 'num', lo, hi, ...o });
const bool = (o = {}) => ({ t: 'bool', ...o });
const date = (o = {}) => ({ t: 'date', ...o });
const datetime = (o = {}) => ({ t: 'datetime', ...o });
const uuid = (o = {}) => ({ t: 'uuid', ...o });
const choice = (choices, o = {}) => ({ t: 'str', max: 40, min: 0, choices, ...o });
const list = (inner, maxItems = 50, o = {}) => ({ t: 'list', inner, maxItems, ...o });
const nested = (schema, o = {}) => ({ t: 'nested', schema, ...o });
const dict = (o = {}) => ({ t: 'dict', maxKeys: 40, ...o });
const N = { allowNone: true };
const R = { required: true };

/**
 * Today's date in China Standard Time (UTC+8), the date the server checks against.
 * @returns {string} YYYY-MM-DD
 */
export function todayChina() {
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
}

function validDate(s) {
  if (typeof s !== 'string' || !DATE_RE.test(s)) return false;
  const d = new Date(s + 'T00:00:00Z');
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const notFuture = (v) => (v > todayChina() ? 'date_in_future|日期不能晚于今天' : null);
const plausiblePast = (v) => (Number(v.slice(0, 4)) < 1900 ? 'date_too_early|日期过早，请核对' : null);
const phone = (v) => (PHONE_RE.test(v) ? null : 'phone_format|电话号码格式不正确（11位手机号或带区号的座机）');

function personName(v) {
  if (!v.trim()) return 'required|姓名不能为空';
  for (const ch of v) {
    if ('·•・ '.includes(ch) || /[\p{L}\p{M}]/u.test(ch)) continue;
    return 'name_chars|姓名只能包含文字和间隔号“·”';
  }
  return null;
}

const ID_MESSAGES = {
  national_id_format: 'national_id_format|身份证号应为18位（最后一位可为X）',
  national_id_birth_date: 'national_id_birth_date|身份证号中的出生日期无效',
  national_id_checksum: 'national_id_checksum|身份证号校验位不正确，请核对',
};

function nationalId(v) {
  try {
    validateNationalId(v);
    return null;
  } catch (e) {
    return ID_MESSAGES[e.code];
  }
}

function entry(message) {
  const i = message.indexOf('|');
  return i < 0 ? { code: 'invalid', message } : { code: message.slice(0, i), message: message.slice(i + 1) };
}

/** Check one present value against a field; returns a list of "code|text" or a nested object. */
function checkField(f, v) {
  if (v === null) return f.allowNone ? null : ['null|不能为空'];
  const out = [];
  switch (f.t) {
    case 'str':
      if (typeof v !== 'string') return ['type|应为文字'];
      if (v.includes('\0')) return ['invalid_char|不能包含空字符']; // PostgreSQL cannot store it
      for (const fn of f.validate || []) { const m = fn(v); if (m) out.push(m); }
      if (f.choices && !f.choices.includes(v)) out.push('choice|不在可选范围内');
      { const n = [...v].length; if (n < f.min || n > f.max) out.push(`length|长度应在 ${f.min}–${f.max} 个字之间`); }
      break;
    case 'int':
    case 'num':
      if (typeof v !== 'number' || !Number.isFinite(v)) return [f.t === 'int' ? 'type|应为整数' : 'type|应为数字'];
      if (f.t === 'int' && !Number.isInteger(v)) return ['type|应为整数'];
      if ((f.lo !== null && v < f.lo) || (f.hi !== null && v > f.hi)) out.push(`range|应在 ${fmt(f.lo)}–${fmt(f.hi)} 之间`);
      break;
    case 'bool':
      if (typeof v !== 'boolean') return ['type|应为是/否'];
      break;
    case 'date':
      if (!validDate(v)) return ['type|日期格式应为 YYYY-MM-DD'];
      for (const fn of f.validate || []) { const m = fn(v); if (m) out.push(m); }
      break;
    case 'datetime':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) return ['type|时间格式应为 ISO 8601'];
      if (!/(Z|[+-]\d{2}:?\d{2})$/.test(v)) return ['type|时间应带时区'];
      break;
    case 'uuid':
      if (typeof v !== 'string' || !UUID_RE.test(v)) return ['type|编号格式无效'];
      break;
    case 'list': {
      if (!Array.isArray(v)) return ['type|应为列表'];
      const inner = {};
      v.forEach((item, i) => {
        const e = item === undefined ? null : checkField(f.inner, item);
        if (e && (Array.isArray(e) ? e.length : Object.keys(e).length)) inner[i] = e;
      });
      if (Object.keys(inner).length) return inner;
      if (v.length > f.maxItems) out.push(`length|最多 ${f.maxItems} 项`);
      break;
    }
    case 'nested': {
      if (typeof v !== 'object' || Array.isArray(v)) return { _schema: ['type|数据格式应为对象'] };
      const e = runSchema(f.schema, v);
      return Object.keys(e).length ? e : null;
    }
    case 'dict':
      if (typeof v !== 'object' || Array.isArray(v)) return ['type|应为对象'];
      if (Object.keys(v).length > f.maxKeys) return [`length|最多 ${f.maxKeys} 项`];
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\0') || (typeof x === 'string' && x.includes('\0'))) return ['invalid_char|不能包含空字符'];
        const ok = x === null || ['boolean', 'number'].includes(typeof x) || (typeof x === 'string' && [...x].length <= 500);
        if (!ok) return ['type|只能填写简短的文字或数字'];
      }
      break;
    default:
      break;
  }
  return out.length ? out : null;
}

/** Run a schema: field errors first; cross-field rules only when every field passed. */
function runSchema(schema, data) {
  const errors = {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { _schema: ['type|数据格式应为对象'] };
  for (const [name, f] of Object.entries(schema.fields)) {
    if (!(name in data) || data[name] === undefined) {
      if (f.required) errors[name] = ['required|必填项'];
      continue;
    }
    let e = checkField(f, data[name]);
    if (!e && f.after && data[name] !== null) { const m = f.after(data[name]); if (m) e = [m]; }
    if (e) errors[name] = e;
  }
  for (const key of Object.keys(data)) {
    if (!(key in schema.fields) && data[key] !== undefined) errors[key] = ['unknown_field|不允许的字段'];
  }
  if (Object.keys(errors).length) return errors;
  for (const rule of schema.rules || []) {
    for (const [k, msgs] of Object.entries(rule(data) || {})) (errors[k] = errors[k] || []).push(...msgs);
  }
  return errors;
}

function toApiShape(errors) {
  if (Array.isArray(errors)) return errors.map(entry);
  const out = {};
  for (const [k, v] of Object.entries(errors)) out[k] = toApiShape(v);
  return out;
}

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
    let nid = null;
    try { nid = validateNationalId(d.national_id); } catch (e) { nid = null; }
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
 * Validate a record of any kind as the server's load_record does.
 * @param {object} data the record as it will be sent
 * @returns {object} errors keyed by field ({} when valid)
 */
export function validateRecord(data) {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return toApiShape({ _schema: ['type|数据格式应为对象'] });
  }
  const schema = RECORD_SCHEMAS[data.kind];
  if (typeof data.kind !== 'string' || !schema) return toApiShape({ kind: ['choice|记录类型无效'] });
  return toApiShape(runSchema(schema, data));
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
