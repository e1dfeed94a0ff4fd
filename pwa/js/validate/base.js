/**
 * The field kinds of server/schemas/base.py and the engine that runs a schema: each kind's
 * checks with the server's codes and Chinese messages, cross-field rules only once every
 * field passed, and errors in the API's shape. The schemas themselves are in validate.js.
 */
import { validateNationalId } from '../idcard.js';

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const PHONE_RE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;

const fmt = (v) => (v === null || v === undefined ? 'None' : String(v)); // as Python prints it

// Field kinds: the constructors the schemas in validate.js are written with.
export const str = (max = 200, min = 0, o = {}) => ({ t: 'str', max, min, ...o });
export const int = (lo = null, hi = null, o = {}) => ({ t: 'int', lo, hi, ...o });
export const num = (lo = null, hi = null, o = {}) => ({ t: 'num', lo, hi, ...o });
export const bool = (o = {}) => ({ t: 'bool', ...o });
export const date = (o = {}) => ({ t: 'date', ...o });
export const datetime = (o = {}) => ({ t: 'datetime', ...o });
export const uuid = (o = {}) => ({ t: 'uuid', ...o });
export const choice = (choices, o = {}) => ({ t: 'str', max: 40, min: 0, choices, ...o });
export const list = (inner, maxItems = 50, o = {}) => ({ t: 'list', inner, maxItems, ...o });
export const nested = (schema, o = {}) => ({ t: 'nested', schema, ...o });
export const dict = (o = {}) => ({ t: 'dict', maxKeys: 40, ...o });
/** A field that may be null. */
export const N = { allowNone: true };
/** A field that must be present. */
export const R = { required: true };

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

// Validators the schemas share ("code|message", or null when the value is fine).
export const notFuture = (v) => (v > todayChina() ? 'date_in_future|日期不能晚于今天' : null);
export const plausiblePast = (v) => (Number(v.slice(0, 4)) < 1900 ? 'date_too_early|日期过早，请核对' : null);
export const phone = (v) => (PHONE_RE.test(v) ? null : 'phone_format|电话号码格式不正确（11位手机号或带区号的座机）');

/**
 * A person's name: letters (any script) and the middle dot only.
 * @param {string} v
 * @returns {string|null}
 */
export function personName(v) {
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

/**
 * An ID number with a valid birth date and check character.
 * @param {string} v
 * @returns {string|null}
 */
export function nationalId(v) {
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

/**
 * Run a schema: field errors first; cross-field rules only when every field passed.
 * @param {{fields: object, rules?: Function[]}} schema
 * @param {object} data
 * @returns {object} errors as "code|message" lists by field ({} when valid)
 */
export function runSchema(schema, data) {
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

/**
 * Errors as the API words them: {field: [{code, message}]}, nested by list index.
 * @param {object|string[]} errors
 * @returns {object}
 */
export function toApiShape(errors) {
  if (Array.isArray(errors)) return errors.map(entry);
  const out = {};
  for (const [k, v] of Object.entries(errors)) out[k] = toApiShape(v);
  return out;
}

