/**
 * Helpers of the canonical JSON form (docs/generated-code.md "TypeScript and JSON forms") that
 * generated `toJSON`/`fromJSON` call. The `fromJson*` readers throw `JsonDecodeError` with the JSON
 * Pointer of the offending value and nothing else.
 */
import { decodeBase64, encodeBase64 } from './base64.ts';
import type { JsonValue } from './codec.ts';
import { JsonDecodeError } from './errors.ts';
import { decodeLimits } from './reader.ts';
import { PROTO_KEY } from './strict-json.ts';

/** Canonical decimal integer text: no `-0`, no leading zeros, no `+` (as the JSON Schemas' patterns). */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]*)$/;
const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RFC3339 = /^(\d{4}|[+-]\d{6})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const MAX_DATE_MS = 8.64e15;

/** `path` extended by one object key or array index, escaped as RFC 6901 requires. */
export function jsonPointer(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}/${key}` : `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Sets an own enumerable property, `__proto__` included (it never touches the prototype). */
export function setJsonKey(o: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

function what(j: unknown): string {
  if (j === null) return 'null';
  if (Array.isArray(j)) return 'an array';
  return typeof j === 'object' ? 'an object' : typeof j === 'string' ? 'a string' : typeof j;
}

function fail(path: string, reason: string): never {
  throw new JsonDecodeError(path, reason);
}

/**
 * Runs a generated `fromJSON` on a root value: anything it throws other than a JsonDecodeError (a
 * stack overflow from input nested too deeply) becomes one.
 */
export function fromJsonRoot<T>(read: (j: unknown, path: string) => T, json: unknown): T {
  try {
    return read(json, '');
  } catch (err) {
    if (err instanceof JsonDecodeError) throw err;
    throw new JsonDecodeError('', err instanceof RangeError ? 'nested too deeply' : String(err));
  }
}

/** A JSON object (not null, not an array). */
export function fromJsonObject(j: unknown, path: string): { readonly [key: string]: unknown } {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) fail(path, `expected an object, got ${what(j)}`);
  return j as { readonly [key: string]: unknown };
}

export function fromJsonArray(j: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(j)) fail(path, `expected an array, got ${what(j)}`);
  return j;
}

export function unknownJsonKey(path: string, key: string, known: string): never {
  fail(jsonPointer(path, key), `unknown property (expected ${known})`);
}

export function fromJsonBool(j: unknown, path: string): boolean {
  if (typeof j !== 'boolean') fail(path, `expected true or false, got ${what(j)}`);
  return j;
}

export function fromJsonString(j: unknown, path: string): string {
  if (typeof j !== 'string') fail(path, `expected a string, got ${what(j)}`);
  return j;
}

/** An integer JSON number within [min, max] (u8–u32, i8–i32). */
export function fromJsonInt(j: unknown, path: string, min: number, max: number): number {
  if (typeof j !== 'number' || !Number.isInteger(j)) fail(path, `expected an integer, got ${typeof j === 'number' ? j : what(j)}`);
  if (j < min || j > max) fail(path, `${j} is outside ${min}..${max}`);
  return j === 0 ? 0 : j;
}

/**
 * A 64-bit integer: its decimal string within [min, max], or — as protobuf's JSON parsers accept, and
 * as devices write timestamps like `"ts": 1723622400000` — a JSON number that is a safe integer (one a
 * float holds exactly; a larger one must be written as a string, since its digits are already lost).
 */
export function fromJsonBigInt(j: unknown, path: string, min: bigint, max: bigint): bigint {
  if (typeof j !== 'number') return fromJsonBigIntText(j, path, min, max);
  if (!Number.isSafeInteger(j)) fail(path, `expected a decimal integer string or a safe integer, got ${j} (write integers beyond 2^53 as strings)`);
  const n = BigInt(j);
  if (n < min || n > max) fail(path, `${j} is outside ${min}..${max}`);
  return n;
}

/** A 64-bit integer written only as its canonical decimal string (canonical forms such as the flex frame). */
export function fromJsonBigIntText(j: unknown, path: string, min: bigint, max: bigint): bigint {
  if (typeof j !== 'string' || !INTEGER_TEXT.test(j))
    fail(path, `expected a decimal integer string, got ${typeof j === 'string' ? JSON.stringify(j) : what(j)}`);
  if (j.length > 21) fail(path, `${j} is outside ${min}..${max}`);
  const v = BigInt(j);
  if (v < min || v > max) fail(path, `${j} is outside ${min}..${max}`);
  return v;
}

/** An f64: a number, or "NaN", "Infinity", "-Infinity". */
export function fromJsonFloat(j: unknown, path: string): number {
  if (typeof j === 'number') return j;
  if (j === 'NaN') return NaN;
  if (j === 'Infinity') return Infinity;
  if (j === '-Infinity') return -Infinity;
  return fail(path, `expected a number, "NaN", "Infinity" or "-Infinity", got ${typeof j === 'string' ? JSON.stringify(j) : what(j)}`);
}

/** An f32: like f64, rounded to the nearest f32 (so that it survives the binary form unchanged). */
export function fromJsonF32(j: unknown, path: string): number {
  return Math.fround(fromJsonFloat(j, path));
}

export function toJsonFloat(v: number): JsonValue {
  if (v - v === 0) return v;
  return v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** An f32 as the shortest decimal that rounds to the same f32 (0.1, not 0.10000000149011612). */
export function toJsonF32(v: number): JsonValue {
  // A finite f64 beyond the f32 range is ±Infinity as an f32, and its JSON form says so.
  return toJsonFloat(shortestF32(v));
}

/** The number with the shortest decimal form that rounds to the same f32 as `v` (non-finite values pass through). */
export function shortestF32(v: number): number {
  const f = Math.fround(v);
  if (Number.isInteger(f) || f - f !== 0) return f;
  for (let p = 1; p < 9; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

export function toJsonBytes(v: Uint8Array): string {
  return encodeBase64(v);
}

export function fromJsonBytes(j: unknown, path: string): Uint8Array {
  if (typeof j !== 'string') fail(path, `expected a base64 string, got ${what(j)}`);
  const b = decodeBase64(j);
  if (b === undefined) fail(path, 'invalid base64 (RFC 4648, standard alphabet, padded)');
  return b;
}

/** RFC 3339 in UTC with milliseconds (`toISOString`). */
export function toJsonTimestamp(d: Date): string {
  return d.toISOString();
}

export function fromJsonTimestamp(j: unknown, path: string): Date {
  if (typeof j !== 'string') fail(path, `expected an RFC 3339 date-time string, got ${what(j)}`);
  const m = RFC3339.exec(j);
  if (!m) fail(path, `${JSON.stringify(j)} is not an RFC 3339 date-time`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const offset = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    Number(m[9] ?? 0) > 23 ||
    Number(m[10] ?? 0) > 59
  ) {
    fail(path, `${JSON.stringify(j)} is not a valid date-time`);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  const t = d.getTime() - offset * 60_000;
  if (!(t >= -MAX_DATE_MS && t <= MAX_DATE_MS)) fail(path, `${JSON.stringify(j)} is outside the range of Date`);
  return new Date(t);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Integer microseconds (a safe integer). */
export function fromJsonDuration(j: unknown, path: string): number {
  if (typeof j !== 'number' || !Number.isSafeInteger(j)) fail(path, `expected integer microseconds, got ${typeof j === 'number' ? j : what(j)}`);
  return j === 0 ? 0 : j;
}

/** A UUID in any case; the result is lower-case canonical. */
export function fromJsonUuid(j: unknown, path: string): string {
  if (typeof j !== 'string' || !UUID_TEXT.test(j)) fail(path, `expected a UUID string, got ${typeof j === 'string' ? JSON.stringify(j) : what(j)}`);
  return j.toLowerCase();
}

/**
 * Any JSON value, copied; `undefined`, functions, non-finite numbers, cycles and `__proto__` keys are
 * rejected (a free-form value is merged into objects by whoever reads it; a declared field or map key of
 * that name is ordinary data and never comes here).
 */
export function fromJsonAny(j: unknown, path: string): JsonValue {
  return copyJson(j, path, decodeLimits().maxDepth);
}

function copyJson(j: unknown, path: string, depth: number): JsonValue {
  if (j === null || typeof j === 'string' || typeof j === 'boolean') return j;
  if (typeof j === 'number') {
    if (!Number.isFinite(j)) fail(path, `${j} is not a JSON number`);
    return j;
  }
  if (typeof j !== 'object') fail(path, `${typeof j} is not a JSON value`);
  if (depth <= 0) fail(path, 'json value nested too deeply');
  if (Array.isArray(j)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < j.length; i++) out.push(copyJson(j[i], jsonPointer(path, i), depth - 1));
    return out;
  }
  const proto = Object.getPrototypeOf(j) as unknown;
  if (proto !== Object.prototype && proto !== null) fail(path, 'not a plain JSON object');
  const out: { [key: string]: JsonValue } = {};
  for (const k of Object.keys(j)) {
    if (PROTO_KEY.has(k)) fail(jsonPointer(path, k), 'key "__proto__" is not accepted in a json value');
    setJsonKey(out, k, copyJson((j as Record<string, unknown>)[k], jsonPointer(path, k), depth - 1));
  }
  return out;
}

/** A Map as a JSON object: keys as strings (integers in decimal), in wire order. */
export function toJsonMap<K extends string | number | bigint, V>(m: ReadonlyMap<K, V>, value: (v: V) => JsonValue): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of m.size < 2 ? m : [...m].sort((a, b) => compareMapKeys(a[0], b[0]))) setJsonKey(out, String(k), value(v));
  return out;
}

/** A JSON object as a Map, converting each key and value (with its JSON Pointer). */
export function fromJsonMap<K, V>(j: unknown, path: string, key: (k: string, path: string) => K, value: (v: unknown, path: string) => V): Map<K, V> {
  const o = fromJsonObject(j, path);
  const out = new Map<K, V>();
  for (const k of Object.keys(o)) out.set(key(k, path), value(o[k], jsonPointer(path, k)));
  return out;
}

/** A JSON array, converting each element (with its JSON Pointer). */
export function fromJsonList<T>(j: unknown, path: string, value: (v: unknown, path: string) => T): T[] {
  const a = fromJsonArray(j, path);
  const out: T[] = [];
  for (let i = 0; i < a.length; i++) out.push(value(a[i], `${path}/${i}`));
  return out;
}

/** An integer map key (decimal string) within [min, max]. */
export function fromJsonIntKey(key: string, path: string, min: number, max: number): number {
  if (!INTEGER_TEXT.test(key) || key.length > 11) fail(jsonPointer(path, key), `map key ${JSON.stringify(key)} is not an integer from ${min} to ${max}`);
  const v = Number(key);
  if (v < min || v > max) fail(jsonPointer(path, key), `map key ${key} is outside ${min}..${max}`);
  return v;
}

export function fromJsonBigIntKey(key: string, path: string, min: bigint, max: bigint): bigint {
  if (!INTEGER_TEXT.test(key) || key.length > 21) fail(jsonPointer(path, key), `map key ${JSON.stringify(key)} is not an integer from ${min} to ${max}`);
  const v = BigInt(key);
  if (v < min || v > max) fail(jsonPointer(path, key), `map key ${key} is outside ${min}..${max}`);
  return v;
}

/**
 * JSON text of a `json` value with object keys sorted (UTF-16 order, as RFC 8785), so that equal
 * values give equal bytes whatever the key insertion order.
 */
export function stringifySorted(v: unknown): string {
  // JSON.stringify gives undefined for undefined, functions and symbols, whatever its type says.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      const x: unknown = v[i];
      s += x === undefined || typeof x === 'function' || typeof x === 'symbol' ? 'null' : stringifySorted(x);
    }
    return s + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + stringifySorted(x);
    first = false;
  }
  return s + '}';
}

/**
 * Order of map keys on the wire: strings by Unicode code point (= UTF-8 byte order), numbers and
 * bigints numerically.
 */
export function compareMapKeys(a: string | number | bigint, b: string | number | bigint): number {
  if (typeof a !== 'string' || typeof b !== 'string') return a < b ? -1 : a > b ? 1 : 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** UTF-16 code units re-ranked so that surrogates (code points ≥ U+10000) sort after U+E000–U+FFFF. */
function codePointRank(c: number): number {
  return c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c;
}
