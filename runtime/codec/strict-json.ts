/**
 * JSON text from outside, read strictly: one linear scan finds what `JSON.parse` would silently accept
 * and change (I-JSON, RFC 7493, forbids the same): a key twice in one object (the last one wins), a
 * `__proto__` key, a number no 64-bit float holds (a 400-digit number becomes Infinity, which prints as
 * `null`; 1e-400 becomes 0; 12345678901234567891 becomes …7000), and nesting deeper than a limit. Each
 * is reported with the JSON Pointer and offset where it is. `JSON.parse` then checks the syntax.
 */
import { JsonDecodeError } from './errors.ts';

export type JsonProblemKind = 'duplicate-key' | 'forbidden-key' | 'too-deep' | 'number-range';

export interface JsonProblem {
  readonly kind: JsonProblemKind;
  /** JSON Pointer (RFC 6901) of the offending key or value; long keys shortened with '…'. */
  readonly pointer: string;
  /** The same place as object keys and array indexes, for callers that print paths their own way. */
  readonly trail: readonly (string | number)[];
  /** UTF-16 offset in the text. */
  readonly offset: number;
  readonly reason: string;
}

/** Keys refused by default: the one that writes a prototype when a parsed object is merged or assigned. */
export const PROTO_KEY: ReadonlySet<string> = new Set(['__proto__']);

/** Longest key segment or number shown in a message. */
const SHOWN = 64;

const shorten = (s: string): string => (s.length > SHOWN ? `${s.slice(0, SHOWN)}…` : s);

interface Frame {
  /** Keys seen so far (an object) or null (an array). */
  readonly keys: Set<string> | null;
  key: string;
  index: number;
}

/** Where the value being read is; with `key`, that key of the innermost object instead. */
function placeOf(frames: readonly Frame[], key?: string): { pointer: string; trail: (string | number)[] } {
  const trail: (string | number)[] = [];
  const last = key === undefined ? frames.length : frames.length - 1;
  for (let i = 0; i < last; i++) {
    const f = frames[i]!;
    trail.push(f.keys ? shorten(f.key) : f.index);
  }
  if (key !== undefined) trail.push(shorten(key));
  let pointer = '';
  for (const step of trail) pointer += `/${typeof step === 'number' ? step : step.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return { pointer, trail };
}

/** Why the number `token` does not survive as an f64, or null when it does (or is no number: JSON.parse says so). */
function numberProblem(token: string): string | null {
  const v = Number(token);
  if (Number.isNaN(v)) return null;
  if (!Number.isFinite(v)) return `${shorten(token)} is beyond the range of a 64-bit float`;
  if (v === 0) {
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      if (c === 0x65 || c === 0x45) break; // the exponent: only the digits before it count
      if (c >= 0x31 && c <= 0x39) return `${shorten(token)} is too small for a 64-bit float (it would read as 0)`;
    }
    return null;
  }
  // An integer literal beyond 2^53 that reads back as another integer (fractions round by nature; integers
  // should not). The float's exact value passes, and so does what JavaScript writes for it (its shortest form).
  if (!Number.isSafeInteger(v) && !/[.eE]/.test(token) && String(v) !== token && BigInt(token) !== BigInt(v)) {
    return `${shorten(token)} is an integer a 64-bit float cannot hold (it would read as ${String(v)}); write it as a string`;
  }
  return null;
}

const isNumberChar = (c: number): boolean => (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;

/**
 * The first problem in `text`, or null. It does not check the syntax (JSON.parse does); on malformed text
 * it may report nothing or a problem of its own. Time and memory linear in the text.
 */
export function findJsonProblem(text: string, maxDepth: number, forbiddenKeys: ReadonlySet<string> = PROTO_KEY): JsonProblem | null {
  const frames: Frame[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // The closing quote by native search: a quote after an odd run of backslashes is escaped.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end < 0) return null; // unterminated string: JSON.parse reports it
        let b = end - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        if ((end - 1 - b) % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (expectKey) {
        expectKey = false;
        const raw = text.slice(i + 1, end);
        let key = raw;
        if (raw.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return null; // a malformed escape: JSON.parse reports it
          }
        }
        const top = frames[frames.length - 1]!;
        if (forbiddenKeys.has(key)) return problem('forbidden-key', placeOf(frames, key), i, `key "${key}" is not accepted`);
        if (top.keys!.has(key)) return problem('duplicate-key', placeOf(frames, key), i, `key "${shorten(key)}" appears twice in one object`);
        top.keys!.add(key);
        top.key = key;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (frames.length >= maxDepth) return problem('too-deep', placeOf(frames), i, `nesting deeper than ${maxDepth}`);
      const isObject = c === 0x7b;
      frames.push({ keys: isObject ? new Set() : null, key: '', index: 0 });
      expectKey = isObject;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = frames[frames.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
      const why = numberProblem(text.slice(i, end));
      if (why) return problem('number-range', placeOf(frames), i, why);
      i = end - 1;
    }
  }
  return null;
}

function problem(kind: JsonProblemKind, place: { pointer: string; trail: (string | number)[] }, offset: number, reason: string): JsonProblem {
  return { kind, pointer: place.pointer, trail: place.trail, offset, reason };
}

/**
 * Parses JSON text strictly (see the module comment); throws `JsonDecodeError` whose path is the JSON
 * Pointer of the problem and whose reason ends with its offset.
 */
export function parseJsonStrict(text: string, maxDepth: number, forbiddenKeys: ReadonlySet<string> = PROTO_KEY): unknown {
  const found = findJsonProblem(text, maxDepth, forbiddenKeys);
  if (found) throw new JsonDecodeError(found.pointer, `${found.reason} (at offset ${found.offset})`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new JsonDecodeError('', `invalid JSON: ${(err as Error).message}`);
  }
}
