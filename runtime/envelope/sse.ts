/**
 * The SSE-over-MIDI JSON envelope `{v, ev, id?, ct?, seq, frag?{i,n}, ts?, data?}` (seed 002 §3,
 * fountain.md §1.2), its control messages (`ev:"ctrl"`, data `{ack:n}` | `{nack:[…]}` |
 * `{window:n}` | `{hb:true|n}`) and a bounded fragment reassembler (frag i/n per id).
 *
 * Wire notes:
 * - `ts` is wall-clock seconds (may be fractional), as in the seed; `seq` a non-negative safe integer.
 * - Event data is text. Ctrl data is an object; on input, a string holding that object's JSON is
 *   also accepted (Fountain's Swift `Reliability.buildAck` sends it that way); output is always the object.
 * - A fragmented event needs an `id` (fragments are grouped by id); ctrl messages are never fragmented.
 */
import { crc32 } from './crc32.ts';
import { EnvelopeError, EnvelopeErrorCode as E, type ParseResult } from './errors.ts';
import {
  canonicalJson,
  checkKeys,
  checkString,
  fieldError,
  isPlainObject,
  isSafeUint,
  parseJsonEnvelope,
  readJsonText,
  serializeWithin,
  typeName,
  type JsonLimits,
} from './json.ts';
import { BoundedPartials, partialsConfig, type PartialsOptions, type PendingOrDuplicate } from './partials.ts';

export const SSE_VERSION = 1;
export const SSE_CTRL = 'ctrl';
export const SseEvent = { Message: 'message', Error: 'error', Done: 'done', Ctrl: SSE_CTRL } as const;

export interface SseLimits extends JsonLimits {
  /** Largest `frag.n` accepted. */
  readonly maxFragments: number;
  /** Most sequence numbers in one `nack`. */
  readonly maxNack: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = { maxBytes: 16 * 1024, maxDepth: 8, maxFragments: 256, maxNack: 512 };

/** SSE event names: `message`, `done`, or custom ones like `response.output_text.delta`. */
export const EV_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
/** SSE ids may not contain NUL, CR or LF; we also refuse other control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const ID_PATTERN = /^[^\u0000-\u001f\u007f]+$/;
/** `type/subtype` with optional parameters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CT_PATTERN = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;[^\u0000-\u001f\u007f]*)?$/;

export type SseCtrl = { readonly ack: number } | { readonly nack: readonly number[] } | { readonly window: number } | { readonly hb: true | number };

export interface SseFrag {
  readonly i: number;
  readonly n: number;
}

export interface SseEnvelope {
  readonly v: typeof SSE_VERSION;
  readonly ev: string;
  readonly id?: string;
  readonly ct?: string;
  readonly seq: number;
  readonly frag?: SseFrag;
  /** Wall-clock seconds since the Unix epoch. */
  readonly ts?: number;
  /** Text for events; a control object for `ev:"ctrl"`. */
  readonly data?: string | SseCtrl;
}

export interface SseCtrlEnvelope extends SseEnvelope {
  readonly ev: typeof SSE_CTRL;
  readonly data: SseCtrl;
}

export function isSseCtrl(env: SseEnvelope): env is SseCtrlEnvelope {
  return env.ev === SSE_CTRL;
}

const KEYS = ['v', 'ev', 'id', 'ct', 'seq', 'frag', 'ts', 'data'] as const;
const REQUIRED = ['v', 'ev', 'seq'] as const;

function checkCtrl(raw: unknown, limits: SseLimits): SseCtrl | EnvelopeError {
  let d = raw;
  if (typeof d === 'string') {
    const inner = readJsonText(d, { maxBytes: limits.maxBytes, maxDepth: 2 });
    if (!inner.ok) return new EnvelopeError(inner.error.code, `ctrl data string: ${inner.error.reason}`, { path: '$.data' });
    d = inner.value;
  }
  if (!isPlainObject(d)) return fieldError('$.data', `ctrl data must be an object, got ${typeName(d)}`);
  const keys = Object.keys(d);
  if (keys.length !== 1) return fieldError('$.data', `ctrl data must have exactly one of ack, nack, window, hb; got ${keys.length} keys`);
  const path = `$.data.${keys[0]!}`;
  if ('ack' in d) return isSafeUint(d.ack) ? { ack: d.ack } : fieldError(path, 'ack must be a non-negative safe integer');
  if ('window' in d) return isSafeUint(d.window) ? { window: d.window } : fieldError(path, 'window must be a non-negative safe integer');
  if ('hb' in d) {
    return d.hb === true || (typeof d.hb === 'number' && Number.isFinite(d.hb) && d.hb >= 0)
      ? { hb: d.hb }
      : fieldError(path, 'hb must be true or a non-negative number');
  }
  if ('nack' in d) {
    const list = d.nack;
    if (!Array.isArray(list) || list.length === 0 || list.length > limits.maxNack) {
      return fieldError(path, `nack must be an array of 1..${limits.maxNack} sequence numbers`);
    }
    for (let i = 0; i < list.length; i++) if (!isSafeUint(list[i])) return fieldError(`${path}[${i}]`, 'nack entries must be non-negative safe integers');
    return { nack: list.slice() as number[] };
  }
  return fieldError(path, `unknown ctrl field "${keys[0]!}"`);
}

function checkFrag(f: unknown, limits: Pick<SseLimits, 'maxFragments'>): SseFrag | EnvelopeError {
  if (!isPlainObject(f)) return fieldError('$.frag', `frag must be an object, got ${typeName(f)}`);
  const problem = checkKeys(f, ['i', 'n'], ['i', 'n'], '$.frag');
  if (problem) return problem;
  if (!isSafeUint(f.n) || f.n < 1) return fieldError('$.frag.n', 'frag.n must be an integer ≥ 1');
  if (f.n > limits.maxFragments) return fieldError('$.frag.n', `frag.n ${f.n} exceeds ${limits.maxFragments}`, E.TooLarge);
  if (!isSafeUint(f.i)) return fieldError('$.frag.i', 'frag.i must be a non-negative integer');
  if (f.i >= f.n) return fieldError('$.frag.i', `frag.i ${f.i} is not below frag.n ${f.n}`, E.ChunkOutOfRange);
  return { i: f.i, n: f.n };
}

/** Validates an already-parsed object as an SSE envelope; returns it typed or the first problem. */
export function checkSseEnvelope(o: Record<string, unknown>, limits: SseLimits = DEFAULT_SSE_LIMITS): SseEnvelope | EnvelopeError {
  if (o.v === undefined) return fieldError('$.v', 'missing field "v"');
  if (typeof o.v !== 'number' || !Number.isInteger(o.v)) return fieldError('$.v', `v must be an integer, got ${typeName(o.v)}`);
  if (o.v !== SSE_VERSION) return fieldError('$.v', `envelope version ${o.v} is not supported (this build reads ${SSE_VERSION})`, E.UnsupportedVersion);
  const problem =
    checkKeys(o, KEYS, REQUIRED, '$') ??
    checkString(o.ev, '$.ev', 64, EV_PATTERN, 'ev') ??
    (o.id === undefined ? null : checkString(o.id, '$.id', 256, ID_PATTERN, 'id')) ??
    (o.ct === undefined ? null : checkString(o.ct, '$.ct', 128, CT_PATTERN, 'ct')) ??
    (isSafeUint(o.seq) ? null : fieldError('$.seq', 'seq must be a non-negative safe integer')) ??
    (o.ts === undefined || (typeof o.ts === 'number' && Number.isFinite(o.ts) && o.ts >= 0)
      ? null
      : fieldError('$.ts', 'ts must be a non-negative number of seconds'));
  if (problem) return problem;
  const env: { -readonly [K in keyof SseEnvelope]: SseEnvelope[K] } = { v: SSE_VERSION, ev: o.ev as string, seq: o.seq as number };
  if (o.id !== undefined) env.id = o.id as string;
  if (o.ct !== undefined) env.ct = o.ct as string;
  if (o.ts !== undefined) env.ts = o.ts as number;
  if (o.frag !== undefined) {
    if (env.ev === SSE_CTRL) return fieldError('$.frag', 'ctrl messages are never fragmented');
    if (env.id === undefined) return fieldError('$.id', 'a fragmented event needs an id');
    const frag = checkFrag(o.frag, limits);
    if (frag instanceof EnvelopeError) return frag;
    env.frag = frag;
  }
  if (env.ev === SSE_CTRL) {
    if (o.data === undefined) return fieldError('$.data', 'ctrl messages need data');
    const ctrl = checkCtrl(o.data, limits);
    if (ctrl instanceof EnvelopeError) return ctrl;
    env.data = ctrl;
  } else if (o.data !== undefined) {
    if (typeof o.data !== 'string') return fieldError('$.data', `event data must be a string, got ${typeName(o.data)}`);
    env.data = o.data;
  }
  return env;
}

/** Parses an SSE envelope from hostile UTF-8 JSON (string or bytes). Never throws. */
export function parseSseEnvelope(input: string | Uint8Array, limits: SseLimits = DEFAULT_SSE_LIMITS): ParseResult<SseEnvelope> {
  return parseJsonEnvelope(input, limits, (o) => checkSseEnvelope(o, limits));
}

/**
 * Canonical text: keys in the order v, ev, id, ct, seq, frag{i,n}, ts, data; absent optionals
 * omitted. Throws `EnvelopeError` if the envelope would not pass `parseSseEnvelope` with the same limits.
 */
export function serializeSseEnvelope(env: SseEnvelope, limits: SseLimits = DEFAULT_SSE_LIMITS): string {
  const checked = checkSseEnvelope(env as unknown as Record<string, unknown>, limits);
  if (checked instanceof EnvelopeError) throw checked;
  let s = `{"v":${checked.v},"ev":${JSON.stringify(checked.ev)}`;
  if (checked.id !== undefined) s += `,"id":${JSON.stringify(checked.id)}`;
  if (checked.ct !== undefined) s += `,"ct":${JSON.stringify(checked.ct)}`;
  s += `,"seq":${checked.seq}`;
  if (checked.frag !== undefined) s += `,"frag":{"i":${checked.frag.i},"n":${checked.frag.n}}`;
  if (checked.ts !== undefined) s += `,"ts":${JSON.stringify(checked.ts)}`;
  if (checked.data !== undefined) s += `,"data":${canonicalJson(checked.data, 2, '$.data')}`;
  return serializeWithin(`${s}}`, limits);
}

/** Builds a ctrl envelope (`ev:"ctrl"`) with the given sequence number. */
export function sseCtrl(seq: number, data: SseCtrl, ts?: number): SseCtrlEnvelope {
  const env = ts === undefined ? { v: SSE_VERSION, ev: SSE_CTRL, seq, data } : { v: SSE_VERSION, ev: SSE_CTRL, seq, ts, data };
  const checked = checkSseEnvelope(env);
  if (checked instanceof EnvelopeError) throw checked;
  return checked as SseCtrlEnvelope;
}

/** Defaults of an `SseFragmentReassembler`: 32 open events, 10 s, 256 remembered ids, 1 Mi characters per event. */
export const DEFAULT_SSE_REASSEMBLY = { maxOpen: 32, timeoutMs: 10_000, rememberCompleted: 256, maxChars: 1024 * 1024 } as const;

/**
 * Splits an event's text data into fragments of at most `maxDataChars` UTF-16 units (never between
 * the halves of a surrogate pair), each a full envelope with `frag{i,n}` and sequence number
 * `firstSeq + i`. An event that fits is returned unchanged (with `seq: firstSeq`). Needs an `id`.
 */
export function fragmentSseEvent(env: SseEnvelope, maxDataChars: number, firstSeq: number = env.seq): SseEnvelope[] {
  if (!Number.isInteger(maxDataChars) || maxDataChars < 2) throw new EnvelopeError(E.BadField, 'maxDataChars must be an integer ≥ 2');
  if (typeof env.data === 'object') throw new EnvelopeError(E.BadField, 'ctrl messages are never fragmented', { path: '$.frag' });
  const data = env.data ?? '';
  const { frag: _frag, ...rest } = env;
  if (data.length <= maxDataChars) return [{ ...rest, seq: firstSeq }];
  if (env.id === undefined) throw new EnvelopeError(E.BadField, 'a fragmented event needs an id', { path: '$.id' });
  const parts: string[] = [];
  for (let at = 0; at < data.length;) {
    let end = Math.min(data.length, at + maxDataChars);
    if (end < data.length && (data.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
    parts.push(data.slice(at, end));
    at = end;
  }
  return parts.map((part, i) => ({ ...rest, seq: firstSeq + i, frag: { i, n: parts.length }, data: part }));
}

export interface SseReassemblyOptions extends PartialsOptions {
  /** Most UTF-16 units of data in one reassembled event. */
  readonly maxChars?: number;
  /** Largest `frag.n` accepted; default `DEFAULT_SSE_LIMITS.maxFragments`. */
  readonly maxFragments?: number;
}

/** `key` is the event id. */
export type SseReassemblyResult = { readonly status: 'complete'; readonly envelope: SseEnvelope } | PendingOrDuplicate;

interface OpenEvent {
  readonly id: string;
  readonly first: SseEnvelope;
  readonly n: number;
  readonly parts: Map<number, SseEnvelope>;
  chars: number;
}

function fragData(env: SseEnvelope): string {
  return typeof env.data === 'string' ? env.data : '';
}

/**
 * Joins fragmented events (same id, frag i of n) back into one event whose data is the fragments'
 * data in index order; v, ev, id, ct, seq and ts come from fragment 0. Unfragmented envelopes pass
 * through. Bounded in open events, characters per event and time; fragments that disagree (n, ev,
 * ct, or different data for a repeated index) throw `EnvelopeError` and discard only their event.
 */
export class SseFragmentReassembler {
  private readonly maxChars: number;
  private readonly fragLimits: Pick<SseLimits, 'maxFragments'>;
  private readonly partials: BoundedPartials<OpenEvent, readonly number[]>;

  constructor(options: SseReassemblyOptions = {}) {
    this.maxChars = options.maxChars ?? DEFAULT_SSE_REASSEMBLY.maxChars;
    this.fragLimits = { maxFragments: options.maxFragments ?? DEFAULT_SSE_LIMITS.maxFragments };
    this.partials = new BoundedPartials<OpenEvent, readonly number[]>(partialsConfig(options, DEFAULT_SSE_REASSEMBLY));
  }

  get openCount(): number {
    return this.partials.size;
  }

  sweep(): EnvelopeError[] {
    return this.partials.expire();
  }

  push(env: SseEnvelope): SseReassemblyResult {
    if (env.frag === undefined) return { status: 'complete', envelope: env };
    // Envelopes may be built by hand rather than parsed: re-check what indexing relies on.
    const frag = checkFrag(env.frag, this.fragLimits);
    if (frag instanceof EnvelopeError) throw frag;
    const id = env.id;
    if (id === undefined) throw new EnvelopeError(E.BadField, 'a fragmented event needs an id', { path: '$.id' });
    if (typeof env.data !== 'string' && env.data !== undefined) {
      throw new EnvelopeError(E.BadField, 'fragment data must be text', { path: '$.data', key: id });
    }
    this.partials.expire();
    let open = this.partials.get(id);
    if (open === undefined) {
      // A late repeat of a fragment of an event that already completed: same n, same data at i.
      const memo = this.partials.recall(id);
      if (memo !== undefined && memo.length === frag.n && memo[frag.i] === crc32(fragData(env))) return { status: 'duplicate', key: id };
      open = { id, first: env, n: frag.n, parts: new Map(), chars: 0 };
      this.checkSize(null, id, fragData(env).length);
      if (frag.n > 1) this.partials.add(id, open);
    } else {
      const first = open.first;
      const mismatch =
        frag.n !== open.n ? `frag.n ${frag.n} differs from ${open.n}` : env.ev !== first.ev ? 'ev differs' : env.ct !== first.ct ? 'ct differs' : null;
      if (mismatch) this.discard(open, E.ChunkInconsistent, `fragment ${frag.i}: ${mismatch}`);
      const seen = open.parts.get(frag.i);
      if (seen !== undefined) {
        if (fragData(seen) === fragData(env)) return { status: 'duplicate', key: id };
        this.discard(open, E.ChunkInconsistent, `fragment ${frag.i} repeated with different data`);
      }
      this.checkSize(open, id, fragData(env).length);
    }
    open.parts.set(frag.i, env);
    open.chars += fragData(env).length;
    if (open.parts.size < open.n) return { status: 'pending', key: id, received: open.parts.size, total: open.n };
    let data = '';
    const memo: number[] = [];
    for (let i = 0; i < open.n; i++) {
      const part = fragData(open.parts.get(i)!);
      memo.push(crc32(part));
      data += part;
    }
    this.partials.complete(id, memo);
    const { frag: _frag, data: _data, ...rest } = open.parts.get(0)!;
    return { status: 'complete', envelope: { ...rest, data } };
  }

  private checkSize(open: OpenEvent | null, id: string, more: number): void {
    const chars = (open?.chars ?? 0) + more;
    if (chars > this.maxChars) {
      if (open) this.partials.delete(id);
      throw new EnvelopeError(E.TooLarge, `event data exceeds ${this.maxChars} characters`, { key: id });
    }
  }

  private discard(open: OpenEvent, code: E, reason: string): never {
    this.partials.delete(open.id);
    throw new EnvelopeError(code, reason, { key: open.id });
  }
}
