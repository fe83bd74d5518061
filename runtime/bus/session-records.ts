/**
 * The session descriptor an authority keeps outside its memory, so that a restarted authority resumes
 * the sessions it granted (docs/wire.md, "Sessions kept in a store"): the record's shape, the check a
 * record read back passes (a store is input like any other), and the hook the bus writes through. The
 * bus knows no store: `NetworkBusOptions.sessionRecords` is whatever keeps the records
 * (services/authority keeps them in a FountainStore).
 */
import type { QosLevel } from './descriptor.ts';
import { createSha256 } from './sha256.ts';
import { secretsEqual } from './web-crypto.ts';

/** Why an authority writes a record: a session granted, resumed, or detached (its link dropped). */
export type SessionRecordEvent = 'grant' | 'resume' | 'detach';

/**
 * One session as the authority granted it, in JSON (u64s as decimal strings). It holds no secret: the
 * resume token is kept as its SHA-256, so whoever reads the store cannot resume (hijack) the session.
 */
export interface SessionRecord {
  /** The record's layout (this is layout 1). */
  readonly format: 1;
  readonly sessionId: number;
  /** The client's name (its HELLO). */
  readonly peerName: string;
  /** The link the session was granted or last resumed on, for operators. */
  readonly link: string;
  /** The user the client's link proved at the grant (transports that authenticate users); absent otherwise. */
  readonly user?: string;
  /** The granted capability mask (u64, decimal). */
  readonly granted: string;
  /** The QoS levels the session may publish and request with; absent: all. */
  readonly qos?: readonly QosLevel[];
  /** What decided the grant (a policy rule). */
  readonly grantedBy?: string;
  readonly maxPayload: number;
  readonly jitterBudgetUs: number;
  readonly heartbeatMs: number;
  /** A number of fountain.session.ClockSource. */
  readonly clockSource: number;
  /** SHA-256 of the current resume token (lowercase hex): what a resume's token must hash to. */
  readonly resumeTokenSha256: string;
  /** The authority's inbox: every seq at or below it was received from the client and answered (u64, decimal). */
  readonly receivedFloor: string;
  /** The authority's outbox: the highest seq it had assigned when the record was written (u64, decimal). */
  readonly sentSeq: string;
  /** Wall-clock ms (Unix epoch) of the grant, and of this record's writing. */
  readonly grantedAtMs: number;
  readonly savedAtMs: number;
  /** Wall-clock ms the link dropped at; absent while the session was attached when written. */
  readonly detachedAtMs?: number;
}

/** Where an authority keeps its session records (NetworkBusOptions.sessionRecords). */
export interface SessionRecords {
  /**
   * Writes `record` (replacing the session's earlier one). A grant's and a resume's are awaited before
   * the WELCOME goes out, and the session is refused when this rejects: a session a restart would lose
   * is never granted.
   */
  save(record: SessionRecord, event: SessionRecordEvent): Promise<void>;
  /** The session ended (CLOSE, expiry, refusal): its record goes. */
  remove(sessionId: number): Promise<void>;
}

/** A record read back that is not one: which record, which field, why. */
export class SessionRecordError extends Error {
  override readonly name = 'SessionRecordError';
  constructor(
    /** The field at fault ('' for the record as a whole). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How far a restored session's outbox jumps past every seq the old authority may have used: its
 * sequence state after the last record is lost with its process, and a seq used twice would make the
 * client drop a new message as a copy of an old one (while acknowledging it: a loss). 2^32 is more than
 * any inbox keeps above its floor (it compacts at four times its in-flight bound); a u64 takes 2^32 such
 * jumps.
 */
export const RESTORED_SEQ_JUMP = 1n << 32n;

const U64_MAX = (1n << 64n) - 1n;
const HEX = '0123456789abcdef';
const UTF8 = new TextEncoder();

/** The SHA-256 of a resume token as a record keeps it. */
export function hashResumeToken(token: string): string {
  let hex = '';
  for (const b of createSha256().update(UTF8.encode(token)).digest()) hex += HEX[b >> 4]! + HEX[b & 15]!;
  return hex;
}

/** Whether `token` is the one whose hash a record keeps (compared in constant time). */
export function resumeTokenMatches(token: string, sha256: string): boolean {
  return secretsEqual(hashResumeToken(token), sha256);
}

const RECORD_FIELDS = new Set([
  'format',
  'sessionId',
  'peerName',
  'link',
  'user',
  'granted',
  'qos',
  'grantedBy',
  'maxPayload',
  'jitterBudgetUs',
  'heartbeatMs',
  'clockSource',
  'resumeTokenSha256',
  'receivedFloor',
  'sentSeq',
  'grantedAtMs',
  'savedAtMs',
  'detachedAtMs',
]);

/** Reads a stored record, refusing anything a record cannot hold, with `SessionRecordError` naming the field. */
export function parseSessionRecord(value: unknown): SessionRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SessionRecordError('', 'a session record is a JSON object');
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!RECORD_FIELDS.has(key)) throw new SessionRecordError(key, `unknown field ${JSON.stringify(key.slice(0, 64))}`);
  if (o.format !== 1) throw new SessionRecordError('format', `layout ${brief(o.format)} is not 1`);
  const detachedAtMs = o.detachedAtMs === undefined ? undefined : whole(o, 'detachedAtMs', 0, Number.MAX_SAFE_INTEGER);
  const user = o.user === undefined ? undefined : text(o, 'user', 4096);
  const grantedBy = o.grantedBy === undefined ? undefined : text(o, 'grantedBy', 4096);
  const qos = o.qos === undefined ? undefined : qosLevels(o.qos);
  return {
    format: 1,
    sessionId: whole(o, 'sessionId', 1, 0xffff_ffff),
    peerName: text(o, 'peerName', 4096),
    link: text(o, 'link', 4096),
    ...(user === undefined ? {} : { user }),
    granted: u64(o, 'granted'),
    ...(qos === undefined ? {} : { qos }),
    ...(grantedBy === undefined ? {} : { grantedBy }),
    maxPayload: whole(o, 'maxPayload', 1, 0xffff_ffff),
    jitterBudgetUs: whole(o, 'jitterBudgetUs', 0, 0xffff_ffff),
    heartbeatMs: whole(o, 'heartbeatMs', 0, 0xffff_ffff),
    clockSource: whole(o, 'clockSource', 0, 0xff),
    resumeTokenSha256: sha256Hex(o, 'resumeTokenSha256'),
    receivedFloor: u64(o, 'receivedFloor'),
    sentSeq: u64(o, 'sentSeq'),
    grantedAtMs: whole(o, 'grantedAtMs', 0, Number.MAX_SAFE_INTEGER),
    savedAtMs: whole(o, 'savedAtMs', 0, Number.MAX_SAFE_INTEGER),
    ...(detachedAtMs === undefined ? {} : { detachedAtMs }),
  };
}

function whole(o: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new SessionRecordError(field, `${field}: ${brief(v)} is not a whole number from ${min} to ${max}`);
  return v;
}

function text(o: Record<string, unknown>, field: string, maxBytes: number): string {
  const v = o[field];
  if (typeof v !== 'string') throw new SessionRecordError(field, `${field}: ${brief(v)} is not a string`);
  if (UTF8.encode(v).length > maxBytes) throw new SessionRecordError(field, `${field}: longer than ${maxBytes} bytes`);
  return v;
}

function u64(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v) || BigInt(v) > U64_MAX)
    throw new SessionRecordError(field, `${field}: ${brief(v)} is not a u64 in decimal`);
  return v;
}

const QOS_LEVELS: readonly QosLevel[] = ['at_most_once', 'at_least_once', 'exactly_once'];

function qosLevels(v: unknown): QosLevel[] {
  if (!Array.isArray(v) || v.length > QOS_LEVELS.length || new Set(v).size !== v.length || !v.every((q) => (QOS_LEVELS as readonly unknown[]).includes(q)))
    throw new SessionRecordError('qos', `qos: ${brief(v)} is not a list of distinct QoS levels (${QOS_LEVELS.join(', ')})`);
  return v as QosLevel[];
}

function sha256Hex(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new SessionRecordError(field, `${field}: ${brief(v)} is not a SHA-256 in lowercase hex`);
  return v;
}

/** A value for a message: its JSON, clipped (a hostile record may hold anything). */
function brief(v: unknown): string {
  let s: string;
  try {
    if (typeof v === 'bigint') return `${v}n`;
    // JSON.stringify gives undefined for a function or a symbol, whatever its declared type says.
    const json = JSON.stringify(v) as string | undefined;
    s = v === undefined ? 'absent' : (json ?? typeof v);
  } catch {
    s = typeof v; // a value JSON cannot write (a cycle)
  }
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}
