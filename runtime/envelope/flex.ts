/**
 * The Flex bridge JSON envelope `{v, ts, corr, intent, body}` (fountain.md §1.2, seed 001 §5) and
 * its replies: envelopes with intent `flex.reply` and the same `corr`, whose body is
 * `{ack, progress?, success?, error?}`: first `{ack:true}`, optional progress, then exactly one
 * terminal `success` or `error`. A rejected request (replay, back-pressure, unknown intent) gets
 * `{ack:false, error}`; `error.code === "backpressure"` carries `retryAfterMs`.
 */
import { EnvelopeError, EnvelopeErrorCode as E, fail, ok, type ParseResult } from './errors.ts';
import {
  canonicalJson,
  checkKeys,
  checkString,
  fieldError,
  isPlainObject,
  isSafeUint,
  parseJsonEnvelope,
  serializeWithin,
  typeName,
  type JsonLimits,
  type JsonObject,
  type JsonValue,
} from './json.ts';

export const FLEX_VERSION = 1;
export const FLEX_REPLY_INTENT = 'flex.reply';
export const BACKPRESSURE = 'backpressure';

export const DEFAULT_FLEX_LIMITS: JsonLimits = { maxBytes: 64 * 1024, maxDepth: 32 };

/**
 * `corr` ends up in journal file names (`<corr>-req.json`), so it is restricted to a
 * file-name-safe alphabet and may not start with a dot.
 */
export const CORR_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
export const CORR_MAX = 128;
/** Dotted identifiers: `llm.chat`, `planner.execute`, custom `acme.footswitch_2`. */
export const INTENT_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
export const INTENT_MAX = 128;
const ERROR_CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]*$/;

export interface FlexEnvelope {
  readonly v: typeof FLEX_VERSION;
  /** Milliseconds since the Unix epoch (a non-negative safe integer). */
  readonly ts: number;
  readonly corr: string;
  readonly intent: string;
  readonly body: JsonObject;
}

export interface FlexProgress {
  readonly done: number;
  readonly total?: number;
  readonly note?: string;
}

export interface FlexErrorInfo {
  readonly code: string;
  readonly message: string;
  /** Retry hint; required when `code` is "backpressure". */
  readonly retryAfterMs?: number;
}

/** The body of a `flex.reply` envelope. */
export interface FlexReplyBody {
  readonly ack: boolean;
  readonly progress?: FlexProgress;
  readonly success?: JsonValue;
  readonly error?: FlexErrorInfo;
}

interface ReplyBase {
  readonly corr: string;
  readonly ts: number;
}
export type FlexReply =
  | (ReplyBase & { readonly kind: 'ack' })
  | (ReplyBase & { readonly kind: 'progress'; readonly progress: FlexProgress })
  | (ReplyBase & { readonly kind: 'success'; readonly result: JsonValue })
  | (ReplyBase & { readonly kind: 'error'; readonly accepted: boolean; readonly error: FlexErrorInfo });

const ENVELOPE_KEYS = ['v', 'ts', 'corr', 'intent', 'body'] as const;

function checkVersion(v: unknown, path: string): EnvelopeError | null {
  if (v === undefined) return fieldError(path, 'missing field "v"');
  if (typeof v !== 'number' || !Number.isInteger(v)) return fieldError(path, `v must be an integer, got ${typeName(v)}`);
  if (v !== FLEX_VERSION) return fieldError(path, `envelope version ${v} is not supported (this build reads ${FLEX_VERSION})`, E.UnsupportedVersion);
  return null;
}

/** Validates an already-parsed object as a Flex envelope; returns it typed or the first problem. */
export function checkFlexEnvelope(o: Record<string, unknown>): FlexEnvelope | EnvelopeError {
  const problem =
    checkVersion(o.v, '$.v') ??
    checkKeys(o, ENVELOPE_KEYS, ENVELOPE_KEYS, '$') ??
    (isSafeUint(o.ts) ? null : fieldError('$.ts', `ts must be a non-negative safe integer (ms), got ${describe(o.ts)}`)) ??
    checkString(o.corr, '$.corr', CORR_MAX, CORR_PATTERN, 'corr') ??
    checkString(o.intent, '$.intent', INTENT_MAX, INTENT_PATTERN, 'intent') ??
    (isPlainObject(o.body) ? null : fieldError('$.body', `body must be an object, got ${typeName(o.body)}`));
  if (problem) return problem;
  return { v: FLEX_VERSION, ts: o.ts as number, corr: o.corr as string, intent: o.intent as string, body: o.body as JsonObject };
}

function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeName(v);
}

/** Parses a Flex envelope from hostile UTF-8 JSON (string or bytes). Never throws. */
export function parseFlexEnvelope(input: string | Uint8Array, limits: JsonLimits = DEFAULT_FLEX_LIMITS): ParseResult<FlexEnvelope> {
  return parseJsonEnvelope(input, limits, checkFlexEnvelope);
}

/**
 * Canonical text of a Flex envelope: keys in the order v, ts, corr, intent, body; body keys sorted
 * recursively. Throws `EnvelopeError` if the envelope would not pass `parseFlexEnvelope` with the
 * same limits.
 */
export function serializeFlexEnvelope(env: FlexEnvelope, limits: JsonLimits = DEFAULT_FLEX_LIMITS): string {
  const checked = checkFlexEnvelope(env as unknown as Record<string, unknown>);
  if (checked instanceof EnvelopeError) throw checked;
  const body = canonicalJson(env.body, limits.maxDepth, '$.body', 1);
  return serializeWithin(`{"v":${env.v},"ts":${env.ts},"corr":${JSON.stringify(env.corr)},"intent":${JSON.stringify(env.intent)},"body":${body}}`, limits);
}

function checkProgress(p: unknown, path: string): EnvelopeError | null {
  if (!isPlainObject(p)) return fieldError(path, `progress must be an object, got ${typeName(p)}`);
  const problem = checkKeys(p, ['done', 'total', 'note'], ['done'], path);
  if (problem) return problem;
  if (!isSafeUint(p.done)) return fieldError(`${path}.done`, `done must be a non-negative safe integer, got ${describe(p.done)}`);
  if (p.total !== undefined) {
    if (!isSafeUint(p.total)) return fieldError(`${path}.total`, `total must be a non-negative safe integer, got ${describe(p.total)}`);
    if (p.done > p.total) return fieldError(`${path}.done`, `done ${p.done} exceeds total ${p.total}`);
  }
  if (p.note !== undefined && (typeof p.note !== 'string' || p.note.length > 1024)) {
    return fieldError(`${path}.note`, 'note must be a string of at most 1024 characters');
  }
  return null;
}

function checkErrorInfo(e: unknown, path: string): EnvelopeError | null {
  if (!isPlainObject(e)) return fieldError(path, `error must be an object, got ${typeName(e)}`);
  const problem =
    checkKeys(e, ['code', 'message', 'retryAfterMs'], ['code', 'message'], path) ?? checkString(e.code, `${path}.code`, 64, ERROR_CODE_PATTERN, 'error code');
  if (problem) return problem;
  if (typeof e.message !== 'string' || e.message.length > 4096) {
    return fieldError(`${path}.message`, 'message must be a string of at most 4096 characters');
  }
  if (e.retryAfterMs !== undefined && !isSafeUint(e.retryAfterMs)) {
    return fieldError(`${path}.retryAfterMs`, `retryAfterMs must be a non-negative safe integer, got ${describe(e.retryAfterMs)}`);
  }
  if (e.code === BACKPRESSURE && e.retryAfterMs === undefined) {
    return fieldError(`${path}.retryAfterMs`, 'a backpressure error must carry retryAfterMs');
  }
  return null;
}

/** Interprets a Flex envelope as a `flex.reply`; returns the reply kind or the first problem. */
export function checkFlexReply(env: FlexEnvelope): FlexReply | EnvelopeError {
  if (env.intent !== FLEX_REPLY_INTENT) return fieldError('$.intent', `a reply has intent "${FLEX_REPLY_INTENT}", got "${env.intent}"`);
  const b = env.body;
  const problem = checkKeys(b, ['ack', 'progress', 'success', 'error'], ['ack'], '$.body');
  if (problem) return problem;
  if (typeof b.ack !== 'boolean') return fieldError('$.body.ack', `ack must be a boolean, got ${typeName(b.ack)}`);
  const present = (['progress', 'success', 'error'] as const).filter((k) => b[k] !== undefined);
  if (present.length > 1) return fieldError('$.body', `a reply carries at most one of progress, success, error; got ${present.join(', ')}`);
  const base = { corr: env.corr, ts: env.ts };
  if (b.error !== undefined) {
    const bad = checkErrorInfo(b.error, '$.body.error');
    if (bad) return bad;
    return { ...base, kind: 'error', accepted: b.ack, error: b.error as unknown as FlexErrorInfo };
  }
  if (!b.ack) return fieldError('$.body.ack', 'ack:false (request not accepted) must carry an error');
  if (b.progress !== undefined) {
    const bad = checkProgress(b.progress, '$.body.progress');
    if (bad) return bad;
    return { ...base, kind: 'progress', progress: b.progress as unknown as FlexProgress };
  }
  if (b.success !== undefined) return { ...base, kind: 'success', result: b.success };
  return { ...base, kind: 'ack' };
}

/** Parses a `flex.reply` envelope from hostile text, or interprets an already parsed envelope. Never throws. */
export function parseFlexReply(input: string | Uint8Array | FlexEnvelope, limits: JsonLimits = DEFAULT_FLEX_LIMITS): ParseResult<FlexReply> {
  const env = typeof input === 'string' || input instanceof Uint8Array ? parseFlexEnvelope(input, limits) : ok(input);
  if (!env.ok) return env;
  const reply = checkFlexReply(env.value);
  return reply instanceof EnvelopeError ? fail(reply) : ok(reply);
}

function replyEnvelope(corr: string, ts: number, body: FlexReplyBody): FlexEnvelope {
  const env: FlexEnvelope = { v: FLEX_VERSION, ts, corr, intent: FLEX_REPLY_INTENT, body: body as unknown as JsonObject };
  const checked = checkFlexEnvelope(env as unknown as Record<string, unknown>);
  if (checked instanceof EnvelopeError) throw checked;
  const reply = checkFlexReply(env);
  if (reply instanceof EnvelopeError) throw reply;
  return env;
}

/** `{ack:true}`: the request was accepted (sent before the handler runs). */
export function flexAck(corr: string, ts: number): FlexEnvelope {
  return replyEnvelope(corr, ts, { ack: true });
}

export function flexProgress(corr: string, ts: number, progress: FlexProgress): FlexEnvelope {
  return replyEnvelope(corr, ts, { ack: true, progress });
}

/** Terminal success with the handler's result. */
export function flexSuccess(corr: string, ts: number, result: JsonValue): FlexEnvelope {
  return replyEnvelope(corr, ts, { ack: true, success: result });
}

/** Terminal error; `accepted:false` when the request was refused before it ran. */
export function flexError(corr: string, ts: number, error: FlexErrorInfo, accepted = true): FlexEnvelope {
  return replyEnvelope(corr, ts, { ack: accepted, error });
}

/** Refusal under load: `{ack:false, error:{code:"backpressure", message, retryAfterMs}}`. */
export function flexBackpressure(corr: string, ts: number, retryAfterMs: number, message = 'rate limited, retry later'): FlexEnvelope {
  return flexError(corr, ts, { code: BACKPRESSURE, message, retryAfterMs }, false);
}
