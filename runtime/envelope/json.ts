/**
 * Defensive JSON text handling shared by the Flex and SSE envelopes:
 *   1. size bound in UTF-8 bytes before anything else,
 *   2. strict UTF-8 decoding (no replacement characters, BOM not stripped),
 *   3. a linear pre-scan (the codec's strict JSON scan) that bounds nesting depth and rejects duplicate
 *      keys, the keys `__proto__`, `constructor` and `prototype` anywhere, and numbers no float holds,
 *      before `JSON.parse` builds anything,
 *   4. `JSON.parse` itself, with its SyntaxError turned into a typed error.
 * Plus canonical serialisation (recursively sorted keys, RFC 8785 order for plain JSON values).
 */
import { findJsonProblem, type JsonProblemKind } from '../codec/strict-json.ts';
import { EnvelopeError, EnvelopeErrorCode as E, fail, ok, type ParseResult } from './errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface JsonLimits {
  /** Largest accepted text, in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Deepest accepted nesting of objects and arrays (the envelope object itself is depth 1). */
  readonly maxDepth: number;
}

/** Keys that enable prototype pollution when parsed objects are later merged or assigned. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 length of `s`, stopping early once it exceeds `stopAbove`. Lone surrogates count 3 bytes (as U+FFFD). */
export function utf8Length(s: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let n = 0;
  for (let i = 0; i < s.length && n <= stopAbove; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const PROBLEM_CODES: Record<Exclude<JsonProblemKind, 'number-range'>, E> = {
  'duplicate-key': E.DuplicateKey,
  'forbidden-key': E.ForbiddenKey,
  'too-deep': E.TooDeep,
};

/**
 * One linear pass over JSON text: bounds depth, rejects forbidden and duplicate keys and numbers no
 * float holds. It does not validate syntax (JSON.parse does); on malformed text it may report nothing
 * or a structural error.
 */
export function prescanJson(text: string, maxDepth: number): EnvelopeError | null {
  const found = findJsonProblem(text, maxDepth, FORBIDDEN_KEYS);
  if (!found) return null;
  // A number no float holds is a bad value of its field, named as the envelope checks name fields.
  if (found.kind === 'number-range') return fieldError(renderPath('$', found.trail), found.reason);
  return new EnvelopeError(PROBLEM_CODES[found.kind], found.reason, { offset: found.offset });
}

/** Reads hostile JSON text (string or UTF-8 bytes) within `limits`. Never throws. */
export function readJsonText(input: string | Uint8Array, limits: JsonLimits): ParseResult<unknown> {
  let text: string;
  if (typeof input === 'string') {
    // UTF-16 units ≤ UTF-8 bytes ≤ 3 × UTF-16 units: count exactly only between the two bounds.
    if (input.length > limits.maxBytes || (input.length * 3 > limits.maxBytes && utf8Length(input, limits.maxBytes) > limits.maxBytes)) {
      return fail(new EnvelopeError(E.TooLarge, `text exceeds ${limits.maxBytes} UTF-8 bytes`, { offset: limits.maxBytes }));
    }
    text = input;
  } else {
    if (!(input instanceof Uint8Array)) return fail(new EnvelopeError(E.BadField, 'input must be a string or a Uint8Array'));
    if (input.length > limits.maxBytes) {
      return fail(new EnvelopeError(E.TooLarge, `text of ${input.length} bytes exceeds ${limits.maxBytes}`, { offset: limits.maxBytes }));
    }
    try {
      text = strictUtf8.decode(input);
    } catch {
      return fail(new EnvelopeError(E.BadUtf8, 'text is not valid UTF-8'));
    }
  }
  const structural = prescanJson(text, limits.maxDepth);
  if (structural) return fail(structural);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return fail(new EnvelopeError(E.BadJson, e instanceof Error ? e.message : 'invalid JSON'));
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function fieldError(path: string, reason: string, code: E = E.BadField): EnvelopeError {
  return new EnvelopeError(code, reason, { path });
}

/** Checks that `o` has every `required` key and no key outside `allowed`. */
export function checkKeys(o: Record<string, unknown>, allowed: readonly string[], required: readonly string[], path: string): EnvelopeError | null {
  for (const k of required) if (o[k] === undefined) return fieldError(`${path}.${k}`, `missing field "${k}"`);
  for (const k of Object.keys(o)) if (!allowed.includes(k)) return fieldError(`${path}.${k}`, `unknown field "${k}"`);
  return null;
}

export function isSafeUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A string of 1..max UTF-16 units matching `pattern`. */
export function checkString(v: unknown, path: string, max: number, pattern: RegExp, what: string): EnvelopeError | null {
  if (typeof v !== 'string') return fieldError(path, `${what} must be a string, got ${typeName(v)}`);
  if (v.length === 0 || v.length > max) return fieldError(path, `${what} must have 1..${max} characters, got ${v.length}`);
  if (!pattern.test(v)) return fieldError(path, `${what} ${JSON.stringify(v.slice(0, 64))} does not match ${pattern.source}`);
  return null;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function renderPath(root: string, trail: readonly (string | number)[]): string {
  let p = root;
  for (const step of trail) {
    if (typeof step === 'number') p += `[${step}]`;
    else p += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return p;
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every level, no whitespace, numbers and
 * strings as `JSON.stringify` writes them (RFC 8785 for plain JSON). Properties whose value is
 * `undefined` are omitted. Throws `EnvelopeError` (with the JSON path below `path`) for values JSON
 * cannot represent (bigint, functions, NaN/±Infinity, `undefined` in arrays, non-plain objects),
 * forbidden keys, and nesting deeper than `maxDepth` counted from `depth` (which also catches cycles).
 */
export function canonicalJson(value: unknown, maxDepth: number, path = '$', depth = 0): string {
  // The path is only rendered when something is wrong; `trail` tracks where we are.
  const trail: (string | number)[] = [];
  const problem = (reason: string, code: E = E.BadField): EnvelopeError => fieldError(renderPath(path, trail), reason, code);
  const write = (v: unknown, level: number): string => {
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        if (!Number.isFinite(v)) throw problem(`${v} is not representable in JSON`);
        return JSON.stringify(v);
      case 'object': {
        if (v === null) return 'null';
        if (level >= maxDepth) throw problem(`nesting deeper than ${maxDepth} (or cyclic)`, E.TooDeep);
        let out: string;
        if (Array.isArray(v)) {
          out = '[';
          for (let i = 0; i < v.length; i++) {
            trail.push(i);
            const item: unknown = v[i];
            if (item === undefined) throw problem('undefined is not representable in JSON');
            out += (i ? ',' : '') + write(item, level + 1);
            trail.pop();
          }
          return `${out}]`;
        }
        if (!isPlainObject(v)) throw problem('only plain objects are representable in JSON');
        out = '{';
        let first = true;
        for (const k of Object.keys(v).sort()) {
          const item = v[k];
          if (item === undefined) continue;
          trail.push(k);
          if (FORBIDDEN_KEYS.has(k)) throw problem(`key "${k}" is not accepted`, E.ForbiddenKey);
          out += `${first ? '' : ','}${JSON.stringify(k)}:${write(item, level + 1)}`;
          first = false;
          trail.pop();
        }
        return `${out}}`;
      }
      default:
        throw problem(`${typeof v} is not representable in JSON`);
    }
  };
  return write(value, depth);
}

/**
 * Shared front half of the JSON envelope parsers: read the text within limits, require a top-level
 * object, then hand it to `check`, which returns the typed envelope or the first problem.
 */
export function parseJsonEnvelope<T>(input: string | Uint8Array, limits: JsonLimits, check: (o: Record<string, unknown>) => T | EnvelopeError): ParseResult<T> {
  const read = readJsonText(input, limits);
  if (!read.ok) return read;
  if (!isPlainObject(read.value)) return fail(fieldError('$', `envelope must be a JSON object, got ${typeName(read.value)}`));
  const checked = check(read.value);
  return checked instanceof EnvelopeError ? fail(checked) : ok(checked);
}

/** Canonical serialisation bounded like parsing, so whatever we write, our own parser accepts. */
export function serializeWithin(text: string, limits: JsonLimits): string {
  const n = utf8Length(text, limits.maxBytes);
  if (n > limits.maxBytes) throw new EnvelopeError(E.TooLarge, `serialised envelope exceeds ${limits.maxBytes} UTF-8 bytes`);
  return text;
}
