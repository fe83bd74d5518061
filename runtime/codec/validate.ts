/**
 * Helpers of generated `validate` functions. Lengths and formats follow JSON Schema as ajv applies
 * it (lengths in code points; formats as ajv-formats "full" mode), so that
 * `N.validate(v).ok === ajvValidate(N.toJSON(v))`.
 */
import type { ValidationIssue, ValidationResult } from './codec.ts';

export const VALID: ValidationResult = Object.freeze({ ok: true as const });

/** A result from the issues collected (VALID when there are none). */
export function validationResult(errors: ValidationIssue[]): ValidationResult {
  return errors.length === 0 ? VALID : { ok: false, errors };
}

/** Runs a generated check on a root value; a value nested too deeply to check is an issue, not a crash. */
export function validateRoot(check: (v: unknown, path: string, errors: ValidationIssue[]) => void, v: unknown): ValidationResult {
  const errors: ValidationIssue[] = [];
  try {
    check(v, '', errors);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    errors.push({ path: '', message: 'nested too deeply to check' });
  }
  return validationResult(errors);
}

/** Length of `s` in Unicode code points (a lone surrogate counts one), as JSON Schema counts. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

/** Whether `v` is plain JSON data (what a `json` field holds) nested at most `depth` deep. */
export function isJsonValue(v: unknown, depth = 64): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || depth <= 0) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isJsonValue(v[i], depth - 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k of Object.keys(v)) if (!isJsonValue((v as Record<string, unknown>)[k], depth - 1)) return false;
  return true;
}

/** A uuid as the TS form holds it: 8-4-4-4-12 hex digits (decode gives lower case; encode accepts either). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DATE = /^(\d\d\d\d)-(\d\d)-(\d\d)$/;
const TIME = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)$/i;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && leap ? 29 : DAYS[mo]!);
}

function isTime(s: string): boolean {
  const m = TIME.exec(s);
  if (!m) return false;
  const hr = Number(m[1]);
  const min = Number(m[2]);
  const sec = Number(m[3]);
  const tzSign = m[5] === '-' ? -1 : 1;
  const tzH = Number(m[6] ?? 0);
  const tzM = Number(m[7] ?? 0);
  if (tzH > 23 || tzM > 59) return false;
  if (hr <= 23 && min <= 59 && sec < 60) return true;
  // A leap second is 23:59:60 in UTC.
  const utcMin = min - tzM * tzSign;
  const utcHr = hr - tzH * tzSign - (utcMin < 0 ? 1 : 0);
  return (utcHr === 23 || utcHr === -1) && (utcMin === 59 || utcMin === -1) && sec < 61;
}

const FORMATS: { readonly [name: string]: RegExp | ((s: string) => boolean) } = {
  'date-time': (s) => {
    const parts = s.split(/t|\s/i);
    return parts.length === 2 && isDate(parts[0]!) && isTime(parts[1]!);
  },
  date: isDate,
  time: isTime,
  duration: /^P(?!$)((\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?|(\d+W)?)$/,
  email: /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i,
  hostname: /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$/i,
  ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
  ipv6: isIpv6,
  uri: (s) => /\/|:/.test(s) && /^[a-z][a-z0-9+\-.]*:[^\s]*$/i.test(s),
  'uri-reference': /^[^\s]*$/,
  'uri-template': /^(?:[^\x00-\x20"'<>%\\^`{|}]|%[0-9a-f]{2}|\{[+#./;?&=,!@|]?(?:[a-z0-9_]|%[0-9a-f]{2})+(?::[1-9][0-9]{0,3}|\*)?(?:,(?:[a-z0-9_]|%[0-9a-f]{2})+(?::[1-9][0-9]{0,3}|\*)?)*\})*$/i,
  uuid: /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i,
  'json-pointer': /^(?:\/(?:[^~/]|~0|~1)*)*$/,
  'relative-json-pointer': /^(?:0|[1-9][0-9]*)(?:#|(?:\/(?:[^~/]|~0|~1)*)*)$/,
  regex: (s) => {
    if (/[^\\]\\Z/.test(s)) return false;
    try {
      new RegExp(s, 'u');
      return true;
    } catch {
      return false;
    }
  },
};

function isIpv6(s: string): boolean {
  const zone = s.indexOf('%');
  if (zone >= 0) return false;
  let text = s;
  let groups = 8;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    if (!(FORMATS['ipv4'] as RegExp).test(text.slice(lastColon + 1))) return false;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const parse = (h: string): number => (h === '' ? 0 : h.split(':').every((g) => /^[0-9a-f]{1,4}$/i.test(g)) ? h.split(':').length : -1);
  if (halves.length === 1) return parse(text) === groups;
  const a = parse(halves[0]!);
  const b = parse(halves[1]!);
  groups -= 1;
  return a >= 0 && b >= 0 && a + b <= groups;
}

/** Whether `s` satisfies the JSON Schema `format`; formats ajv-formats does not know always pass. */
export function matchesFormat(format: string, s: string): boolean {
  const f = FORMATS[format];
  if (f === undefined) return true;
  return typeof f === 'function' ? f(s) : f.test(s);
}
