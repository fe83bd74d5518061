/**
 * Control frames of the network Bus (SysEx8 sub-id 0x03 on group 0, see frame.ts): session
 * negotiation, acknowledgements and subscriptions. Body = kind byte + fields, big-endian, strings as
 * u16 length + UTF-8, lists as u16 count + items. Layouts are in docs/wire.md § Bus frames.
 */
import { CONTROL_SUB_ID, FrameError, MAX_ADDRESS_BYTES, decodeUtf8, sealed } from './frame.ts';
import { MIDL_MANUFACTURER_ID } from '../ump/index.ts';

export const ControlKind = {
  Hello: 0x01,
  Welcome: 0x02,
  Refuse: 0x03,
  Ack: 0x04,
  Nack: 0x05,
  Subscribe: 0x06,
  Subscribed: 0x07,
  Unsubscribe: 0x08,
  Heartbeat: 0x09,
  Close: 0x0a,
} as const;

/**
 * Reasons carried by NACK: the BusError code the publisher's promise rejects with. `undelivered`: the
 * receiver accepted the frame but a handler that acknowledges only after its work (a recorder) failed.
 * `limit`: a per-session limit of the receiver's was reached. New reasons are appended (the index is the wire value).
 */
export const NACK_REASONS = [
  'forbidden',
  'stale',
  'replay',
  'invalid-payload',
  'invalid-address',
  'too-large',
  'backpressure',
  'undelivered',
  'limit',
] as const;
export type NackReason = (typeof NACK_REASONS)[number];

/** One subscription as announced to the peer (its interest). */
export interface Interest {
  readonly subId: number;
  /** Topic id of a typed subscription (it answers requests), 0 for a pattern. */
  readonly topicId: number;
  readonly pattern: string;
}

export interface ResumeRequest {
  readonly sessionId: number;
  readonly token: string;
  /** Highest seq received from the authority with nothing missing below it. */
  readonly lastSeq: bigint;
}

export type Control =
  | {
      readonly kind: typeof ControlKind.Hello;
      readonly name: string;
      readonly capabilities: bigint;
      readonly maxPayload: number;
      readonly jitterBudgetUs: number;
      readonly heartbeatMs: number;
      /** Numbers of fountain.session.ClockSource (runtime/protocol), most preferred first; unknown ones are kept as sent. */
      readonly clockSources: readonly number[];
      readonly interests: readonly Interest[];
      readonly resume: ResumeRequest | undefined;
    }
  | {
      readonly kind: typeof ControlKind.Welcome;
      readonly sessionId: number;
      readonly capabilities: bigint;
      readonly maxPayload: number;
      readonly jitterBudgetUs: number;
      /** A number of fountain.session.ClockSource (runtime/protocol). */
      readonly clockSource: number;
      readonly heartbeatMs: number;
      readonly resumeToken: string;
      readonly resumed: boolean;
      /** Highest seq the authority received from the client with nothing missing below it. */
      readonly lastSeq: bigint;
      readonly name: string;
      readonly interests: readonly Interest[];
    }
  /** `code` and `name`: a member of fountain.session.SessionError (runtime/protocol). */
  | { readonly kind: typeof ControlKind.Refuse; readonly code: number; readonly name: string; readonly message: string }
  | {
      readonly kind: typeof ControlKind.Ack;
      readonly floor: bigint;
      readonly seqs: readonly bigint[];
      /**
       * Seqs at or below `floor` that were refused (NACKed) lately: the floor does not acknowledge them,
       * so a sender whose NACK was lost does not count one as delivered (it sends it again and gets the NACK again).
       */
      readonly refused?: readonly bigint[];
    }
  | { readonly kind: typeof ControlKind.Nack; readonly seq: bigint; readonly reason: NackReason; readonly retryAfterMs: number; readonly message: string }
  | ({ readonly kind: typeof ControlKind.Subscribe } & Interest)
  | { readonly kind: typeof ControlKind.Subscribed; readonly subId: number; readonly refused: NackReason | undefined; readonly message: string }
  | { readonly kind: typeof ControlKind.Unsubscribe; readonly subId: number }
  | { readonly kind: typeof ControlKind.Heartbeat; readonly sentAtUs: bigint }
  | { readonly kind: typeof ControlKind.Close; readonly reason: string };

/** Most items in one list (interests, selective ACKs): bounds what a hostile frame can make us build. */
export const MAX_LIST = 4096;
const MAX_STRING = 4096;
/** Longest node name a HELLO or WELCOME carries, in bytes of UTF-8 (a longer one is refused by the reader). */
export const MAX_NAME_BYTES = 256;

class Out {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  at = 0;
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.at++] = v;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.at, v);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.at, v >>> 0);
    this.at += 4;
    return this;
  }
  u64(v: bigint): this {
    this.room(8);
    this.view.setBigUint64(this.at, BigInt.asUintN(64, v));
    this.at += 8;
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    if (b.length > MAX_STRING) throw new RangeError(`control string of ${b.length} bytes exceeds ${MAX_STRING}`);
    this.u16(b.length);
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

class In {
  private readonly view: DataView;
  at = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number, what: string): void {
    if (this.at + n > this.buf.length) throw new FrameError(`control frame ends inside ${what}`, this.at);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.at++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.at);
    this.at += 8;
    return v;
  }
  str(what: string, max = MAX_STRING): string {
    const n = this.u16(`${what} length`);
    if (n > max) throw new FrameError(`${what} of ${n} bytes exceeds ${max}`, this.at - 2);
    this.need(n, what);
    const s = decodeUtf8(this.buf.subarray(this.at, this.at + n), this.at, what);
    this.at += n;
    return s;
  }
  count(what: string): number {
    const n = this.u16(`${what} count`);
    if (n > MAX_LIST) throw new FrameError(`${n} ${what} exceed ${MAX_LIST}`, this.at - 2);
    return n;
  }
  end(): void {
    if (this.at !== this.buf.length) throw new FrameError(`${this.buf.length - this.at} unexpected bytes after the control frame`, this.at);
  }
}

function writeInterests(o: Out, list: readonly Interest[]): void {
  if (list.length > MAX_LIST) throw new RangeError(`${list.length} subscriptions exceed ${MAX_LIST}`);
  o.u16(list.length);
  for (const i of list) o.u32(i.subId).u32(i.topicId).str(i.pattern);
}

function readInterests(r: In): Interest[] {
  const n = r.count('subscriptions');
  const out: Interest[] = [];
  for (let k = 0; k < n; k++) out.push({ subId: r.u32('subscription id'), topicId: r.u32('topic id'), pattern: r.str('pattern', MAX_ADDRESS_BYTES) });
  return out;
}

function nackReason(r: In, what: string): NackReason {
  const i = r.u8(what);
  const reason = NACK_REASONS[i];
  if (reason === undefined) throw new FrameError(`unknown ${what} ${i}`, r.at - 1);
  return reason;
}

/** The SysEx8 data of a control frame: `00 7D 03` + body + CRC-32. */
export function encodeControl(c: Control): Uint8Array {
  const o = new Out().u8(0x00).u8(MIDL_MANUFACTURER_ID).u8(CONTROL_SUB_ID).u8(c.kind);
  switch (c.kind) {
    case ControlKind.Hello:
      o.str(c.name).u64(c.capabilities).u32(c.maxPayload).u32(c.jitterBudgetUs).u32(c.heartbeatMs);
      o.u8(c.clockSources.length);
      for (const s of c.clockSources) o.u8(s);
      writeInterests(o, c.interests);
      if (c.resume) o.u8(1).u32(c.resume.sessionId).str(c.resume.token).u64(c.resume.lastSeq);
      else o.u8(0);
      break;
    case ControlKind.Welcome:
      o.u32(c.sessionId).u64(c.capabilities).u32(c.maxPayload).u32(c.jitterBudgetUs).u8(c.clockSource).u32(c.heartbeatMs);
      o.str(c.resumeToken)
        .u8(c.resumed ? 1 : 0)
        .u64(c.lastSeq)
        .str(c.name);
      writeInterests(o, c.interests);
      break;
    case ControlKind.Refuse:
      o.u16(c.code).str(c.name).str(c.message);
      break;
    case ControlKind.Ack:
      if (c.seqs.length > MAX_LIST) throw new RangeError(`${c.seqs.length} selective ACKs exceed ${MAX_LIST}`);
      if ((c.refused?.length ?? 0) > MAX_LIST) throw new RangeError(`${c.refused?.length} refused seqs exceed ${MAX_LIST}`);
      o.u64(c.floor).u16(c.seqs.length);
      for (const s of c.seqs) o.u64(s);
      o.u16(c.refused?.length ?? 0);
      for (const s of c.refused ?? []) o.u64(s);
      break;
    case ControlKind.Nack:
      o.u64(c.seq).u8(NACK_REASONS.indexOf(c.reason)).u32(c.retryAfterMs).str(c.message);
      break;
    case ControlKind.Subscribe:
      o.u32(c.subId).u32(c.topicId).str(c.pattern);
      break;
    case ControlKind.Subscribed:
      o.u32(c.subId)
        .u8(c.refused === undefined ? 0xff : NACK_REASONS.indexOf(c.refused))
        .str(c.message);
      break;
    case ControlKind.Unsubscribe:
      o.u32(c.subId);
      break;
    case ControlKind.Heartbeat:
      o.u64(c.sentAtUs);
      break;
    case ControlKind.Close:
      o.str(c.reason);
      break;
  }
  return sealed(o.bytes());
}

/** Decodes a control frame body (after the `00 7D 03` prefix); throws FrameError. */
export function decodeControl(body: Uint8Array): Control {
  const r = new In(body);
  const kind = r.u8('kind');
  let c: Control;
  switch (kind) {
    case ControlKind.Hello: {
      const name = r.str('name', MAX_NAME_BYTES);
      const capabilities = r.u64('capabilities');
      const maxPayload = r.u32('max payload');
      const jitterBudgetUs = r.u32('jitter budget');
      const heartbeatMs = r.u32('heartbeat interval');
      const nClock = r.u8('clock source count');
      if (nClock > 5) throw new FrameError(`${nClock} clock sources exceed 5`, r.at - 1);
      const clockSources: number[] = [];
      for (let i = 0; i < nClock; i++) clockSources.push(r.u8('clock source'));
      const interests = readInterests(r);
      const hasResume = r.u8('resume flag');
      if (hasResume > 1) throw new FrameError(`resume flag must be 0 or 1, got ${hasResume}`, r.at - 1);
      const resume = hasResume ? { sessionId: r.u32('session id'), token: r.str('resume token', 256), lastSeq: r.u64('last seq') } : undefined;
      c = { kind, name, capabilities, maxPayload, jitterBudgetUs, heartbeatMs, clockSources, interests, resume };
      break;
    }
    case ControlKind.Welcome: {
      const sessionId = r.u32('session id');
      const capabilities = r.u64('capabilities');
      const maxPayload = r.u32('max payload');
      const jitterBudgetUs = r.u32('jitter budget');
      const clockSource = r.u8('clock source');
      const heartbeatMs = r.u32('heartbeat interval');
      const resumeToken = r.str('resume token', 256);
      const resumed = r.u8('resumed flag') === 1;
      const lastSeq = r.u64('last seq');
      const name = r.str('name', MAX_NAME_BYTES);
      c = {
        kind,
        sessionId,
        capabilities,
        maxPayload,
        jitterBudgetUs,
        clockSource,
        heartbeatMs,
        resumeToken,
        resumed,
        lastSeq,
        name,
        interests: readInterests(r),
      };
      break;
    }
    case ControlKind.Refuse:
      c = { kind, code: r.u16('code'), name: r.str('name', 64), message: r.str('message') };
      break;
    case ControlKind.Ack: {
      const floor = r.u64('floor');
      const n = r.count('selective ACKs');
      const seqs: bigint[] = [];
      for (let i = 0; i < n; i++) seqs.push(r.u64('seq'));
      const m = r.count('refused seqs');
      const refused: bigint[] = [];
      for (let i = 0; i < m; i++) refused.push(r.u64('refused seq'));
      c = { kind, floor, seqs, refused };
      break;
    }
    case ControlKind.Nack:
      c = { kind, seq: r.u64('seq'), reason: nackReason(r, 'NACK reason'), retryAfterMs: r.u32('retry hint'), message: r.str('message') };
      break;
    case ControlKind.Subscribe:
      c = { kind, subId: r.u32('subscription id'), topicId: r.u32('topic id'), pattern: r.str('pattern', MAX_ADDRESS_BYTES) };
      break;
    case ControlKind.Subscribed: {
      const subId = r.u32('subscription id');
      const refusedAt = r.at;
      const code = r.u8('refusal');
      const refused = code === 0xff ? undefined : NACK_REASONS[code];
      if (code !== 0xff && refused === undefined) throw new FrameError(`unknown refusal ${code}`, refusedAt);
      c = { kind, subId, refused, message: r.str('message') };
      break;
    }
    case ControlKind.Unsubscribe:
      c = { kind, subId: r.u32('subscription id') };
      break;
    case ControlKind.Heartbeat:
      c = { kind, sentAtUs: r.u64('sent at') };
      break;
    case ControlKind.Close:
      c = { kind, reason: r.str('reason') };
      break;
    default:
      throw new FrameError(`unknown control frame kind ${kind}`, 0);
  }
  r.end();
  return c;
}
