/**
 * Property Exchange header JSON (Common Rules for PE, M2-103-UM): read with the runtime's defensive JSON
 * reader (size- and depth-bounded, no duplicate or prototype keys), the types of the known keys checked;
 * written as 7-bit ASCII with every non-ASCII character escaped as \uXXXX.
 */
import { readJsonText, isPlainObject, typeName } from '../envelope/json.ts';
import { PeEncoding } from './constants.ts';
import { CiError, CiErrorCode as E } from './errors.ts';

/** A header is at most what its 14-bit length field can say. */
export const PE_HEADER_MAX_BYTES = 0x3fff;
/** Headers are flat objects in practice; 8 levels leave room for vendor keys without unbounded nesting. */
export const PE_HEADER_MAX_DEPTH = 8;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Subscription `command` values. */
export const PE_COMMANDS = ['start', 'end', 'partial', 'full', 'notify'] as const;
export type PeCommand = (typeof PE_COMMANDS)[number];

/** Known header keys with their types; other keys are kept as they came. */
export interface PeHeader {
  readonly resource?: string;
  readonly resId?: string;
  readonly status?: number;
  readonly message?: string;
  readonly mutualEncoding?: PeEncoding;
  readonly mediaType?: string;
  readonly offset?: number;
  readonly limit?: number;
  readonly totalCount?: number;
  readonly command?: PeCommand;
  readonly subscribeId?: string;
  readonly setPartial?: boolean;
  readonly cacheTime?: string;
  readonly [key: string]: Json | undefined;
}

const STRING_KEYS = ['resource', 'resId', 'message', 'mediaType', 'subscribeId', 'cacheTime'] as const;
const COUNT_KEYS = ['offset', 'limit', 'totalCount'] as const;
const ENCODINGS: readonly string[] = Object.values(PeEncoding);

/** Escapes every UTF-16 unit above 0x7E in JSON text as \uXXXX, so the text is 7-bit and parses to the same value. */
export function escapeJsonAscii(json: string): string {
  // Outside strings valid JSON is ASCII already, so escaping everywhere only touches string contents.
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `JSON.stringify`, typed as what it returns: undefined for a function, a symbol or undefined. */
const stringify = (v: unknown): string | undefined => JSON.stringify(v);

/** JSON text of `value` as 7-bit ASCII bytes (the PE "ASCII" encoding). Throws a `bad-field` CiError for values JSON cannot hold. */
export function encodeAsciiJson(value: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = stringify(value);
  } catch (e) {
    throw new CiError(E.BadField, `value is not representable as JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text === undefined) throw new CiError(E.BadField, `a ${typeof value} is not representable as JSON`);
  const ascii = escapeJsonAscii(text);
  const out = new Uint8Array(ascii.length);
  for (let i = 0; i < ascii.length; i++) out[i] = ascii.charCodeAt(i);
  return out;
}

/** Header JSON bytes of `header`; throws a `bad-field` CiError for a bad known key or a `too-large` one over 16383 bytes. */
export function encodePeHeader(header: PeHeader): Uint8Array {
  const problem = checkHeader(header);
  if (problem) throw new CiError(E.BadField, problem);
  const bytes = encodeAsciiJson(header);
  if (bytes.length > PE_HEADER_MAX_BYTES) throw new CiError(E.TooLarge, `header JSON of ${bytes.length} bytes exceeds ${PE_HEADER_MAX_BYTES}`);
  return bytes;
}

function checkHeader(o: Record<string, unknown>): string | null {
  for (const k of STRING_KEYS) if (o[k] !== undefined && typeof o[k] !== 'string') return `header "${k}" must be a string, got ${typeName(o[k])}`;
  for (const k of COUNT_KEYS) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0))
      return `header "${k}" must be a non-negative integer, got ${JSON.stringify(v)}`;
  }
  const status = o.status;
  if (status !== undefined && !(typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 999)) {
    return `header "status" must be an integer status code, got ${JSON.stringify(status)}`;
  }
  if (o.mutualEncoding !== undefined && !ENCODINGS.includes(o.mutualEncoding as string)) {
    return `header "mutualEncoding" must be one of ${ENCODINGS.join(', ')}, got ${JSON.stringify(o.mutualEncoding)}`;
  }
  if (o.command !== undefined && !(PE_COMMANDS as readonly unknown[]).includes(o.command)) {
    return `header "command" must be one of ${PE_COMMANDS.join(', ')}, got ${JSON.stringify(o.command)}`;
  }
  if (o.setPartial !== undefined && typeof o.setPartial !== 'boolean') return `header "setPartial" must be a boolean, got ${typeName(o.setPartial)}`;
  return null;
}

/** Parses header JSON bytes (7-bit ASCII, ≤ 16383 bytes, a JSON object) and checks the types of its known keys. Never throws. */
export function parsePeHeader(bytes: Uint8Array): PeHeader | CiError {
  if (!(bytes instanceof Uint8Array)) return new CiError(E.BadField, 'header must be a Uint8Array', 0);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! > 0x7f) return new CiError(E.Not7Bit, 'PE header is 7-bit ASCII', i);
  }
  const read = readJsonText(bytes, { maxBytes: PE_HEADER_MAX_BYTES, maxDepth: PE_HEADER_MAX_DEPTH });
  if (!read.ok)
    return new CiError(
      read.error.code === 'too-large' ? E.TooLarge : E.BadBody,
      `PE header: ${read.error.message}`,
      Math.min(read.error.offset ?? 0, bytes.length),
    );
  if (!isPlainObject(read.value)) return new CiError(E.BadBody, `PE header must be a JSON object, got ${typeName(read.value)}`, 0);
  const problem = checkHeader(read.value);
  return problem ? new CiError(E.BadField, problem, 0) : (read.value as PeHeader);
}
