/**
 * Helpers of generated `validate` functions. Lengths and formats follow JSON Schema as ajv applies
 * it (lengths in code points; formats as ajv-formats "full" mode), so that
 * `N.validate(v).ok === ajvValidate(N.toJSON(v))`.
 */
import type { ValidationIssue, ValidationResult } from './codec.ts';
import { validatorSupport } from './validator-support.ts';

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

/**
 * Formats are checked by ajv-formats' "full" definitions: the same table the generated ajv
 * validators use, so `validate` and the JSON Schema agree by construction (no second copy of the
 * rules).
 */
const FULL_FORMATS = validatorSupport.fullFormats;

/** Whether `s` is a valid `format`; formats ajv-formats does not implement are annotations (always valid). */
export function matchesFormat(format: string, s: string): boolean {
  const def = Object.hasOwn(FULL_FORMATS, format) ? FULL_FORMATS[format] : undefined;
  if (def === undefined || def === true) return true;
  const check = def instanceof RegExp || typeof def === 'function' ? def : def.validate;
  if (check === undefined) return true;
  return check instanceof RegExp ? check.test(s) : check(s);
}
