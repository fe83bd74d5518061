/**
 * Flex-lane frames: how the network Bus carries a message of a topic whose lane is `flex`. Where a
 * SysEx8 data frame (frame.ts) carries the payload as binary, a flex frame is ONE Flex Data text
 * message (MT 0xD, group 1, group-addressed, channel 0, bank 0x01 "metadata text", status 0x00
 * "unknown"; 12 bytes per packet, never truncated) whose UTF-8 text is readable JSON:
 *
 *   <crc> {"k":…,"s":…,"f":…,"a":…,"t":…,"v":[…],"sid":…,"c":…,"ts":…,"q":…,"cap":…,"body":…}
 *
 * `<crc>` is 8 lowercase hex digits of the CRC-32 of the UTF-8 bytes of the JSON after the one space.
 * Flex Data has no stream id and a transport that skips a lost stretch of packets can join the Start of
 * one message to the End of another on the same address; the checksum turns that into a refused frame
 * instead of a wrong value (same rationale as the SysEx8 frames' trailing CRC). It comes first, as
 * text, so the frame stays plain text and a reader can check it before parsing any JSON.
 *
 * u64 fields (`s`, `c`, `ts`) are canonical decimal strings and `cap` 16 hex digits, because JSON
 * numbers lose precision above 2^53. The fields mirror the SysEx8 data frame plus its binary envelope;
 * `body` is the payload's JSON form (`codec.toJSON`) instead of its binary encoding, and an error
 * reply's body is `{"name","code","message"}`. Layout and rules: docs/wire.md § "Flex lane frames".
 *
 * The decoder treats the text as hostile: size bound first, then checksum, then the defensive JSON
 * reader of the Flex/SSE envelopes (strict, depth-bounded, duplicate and forbidden keys refused), then
 * every member. Failures are `FrameError`s whose offset is a UTF-8 byte offset into the text; member
 * problems name the member by JSON Pointer (their offset is that of the JSON object).
 */
import { JsonDecodeError } from '../codec/errors.ts';
import { fromJsonArray, fromJsonBigIntText, fromJsonInt, fromJsonObject, fromJsonString } from '../codec/json.ts';
import { crc32 } from '../envelope/crc32.ts';
import { DEFAULT_FLEX_LIMITS } from '../envelope/flex.ts';
import { U32_MAX, U64_MAX, checkHeader, type EnvelopeHeader, type Qos } from '../envelope/header.ts';
import { canonicalJson, readJsonText, utf8Length, type JsonValue } from '../envelope/json.ts';
import { FlexBank, packFlexText, type FlexAddressOptions, type FlexTextMessage } from '../ump/index.ts';
import { DATA_GROUP, FLAG_RETRANSMISSION, FrameError, FrameKind, MAX_ADDRESS_BYTES } from './frame.ts';

/** Where flex frames travel: `packFlexText(text, FLEX_FRAME)`. */
export const FLEX_FRAME = {
  group: DATA_GROUP,
  addressing: 'group',
  channel: 0,
  bank: FlexBank.MetadataText,
  /** "Unknown" metadata text: the one status that claims no standard meaning (project name, …). */
  status: 0x00,
} as const satisfies FlexAddressOptions;

/** Nesting bound of the whole frame object (level 1), as for the Flex bridge envelope. */
export const FLEX_FRAME_MAX_DEPTH = DEFAULT_FLEX_LIMITS.maxDepth;

/** `XXXXXXXX ` before the JSON. */
const CRC_PREFIX_BYTES = 9;
const CRC_TEXT = /^[0-9a-f]{8} /;
const CAP_TEXT = /^[0-9a-f]{16}$/;
const LONE_SURROGATE = /\p{Cs}/u;

/** `k` of each frame kind. */
export const FLEX_KIND_NAMES = {
  [FrameKind.Publish]: 'pub',
  [FrameKind.Request]: 'req',
  [FrameKind.Reply]: 'rep',
  [FrameKind.ErrorReply]: 'err',
} as const satisfies Record<FrameKind, string>;

const KIND_OF_NAME: ReadonlyMap<string, FrameKind> = new Map(Object.entries(FLEX_KIND_NAMES).map(([kind, name]) => [name, Number(kind) as FrameKind]));

/** Members in encoding order; decoding accepts any order but exactly these. */
const MEMBERS = ['k', 's', 'f', 'a', 't', 'v', 'sid', 'c', 'ts', 'q', 'cap', 'body'] as const;
const ERROR_MEMBERS = ['name', 'code', 'message'] as const;

/** The parts of a flex frame: what `encodeFlexFrame` takes and `decodeFlexFrame` returns. */
export interface FlexFrame {
  readonly kind: FrameKind;
  /** 0 or FLAG_RETRANSMISSION (`f`). */
  readonly flags: number;
  readonly seq: bigint;
  readonly address: string;
  /** Never chunked: a flex frame is one text message of any length. */
  readonly header: EnvelopeHeader;
  /** The payload's JSON form; for an error reply `{"name","code","message"}`. */
  readonly body: JsonValue;
}

/**
 * The text of one flex frame (checksum, space, JSON). `body` is written as canonical JSON (keys sorted,
 * no whitespace). Throws RangeError for parts no decoder would accept (address over 1024 bytes or with
 * a lone surrogate, bad flags or seq, a chunked header, an error body of the wrong shape, text over
 * `maxBytes`) and EnvelopeError for a header field out of range or a body JSON cannot carry.
 */
export function encodeFlexFrameText(f: FlexFrame, maxBytes = Number.POSITIVE_INFINITY): string {
  const name = FLEX_KIND_NAMES[f.kind];
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a JavaScript caller may pass anything
  if (name === undefined) throw new RangeError(`unknown frame kind ${String(f.kind)}`);
  if (f.flags !== 0 && f.flags !== FLAG_RETRANSMISSION) throw new RangeError(`flags must be 0 or ${FLAG_RETRANSMISSION}, got ${String(f.flags)}`);
  if (typeof f.seq !== 'bigint' || f.seq < 0n || f.seq > U64_MAX) throw new RangeError(`seq must be a u64 bigint, got ${String(f.seq)}`);
  if (typeof f.address !== 'string' || LONE_SURROGATE.test(f.address)) throw new RangeError('address must be a string without lone surrogates');
  const addressBytes = utf8Length(f.address, MAX_ADDRESS_BYTES);
  if (addressBytes > MAX_ADDRESS_BYTES) throw new RangeError(`address is more than ${MAX_ADDRESS_BYTES} UTF-8 bytes`);
  const h = f.header;
  if (h.chunk !== undefined) throw new RangeError('a flex frame is never chunked; its header may not carry a chunk block');
  const problem = checkHeader(h, 0);
  if (problem) throw problem;
  if (f.kind === FrameKind.ErrorReply) {
    try {
      checkErrorBody(f.body);
    } catch (err) {
      if (err instanceof JsonDecodeError) throw new RangeError(`error reply body ${err.message}`, { cause: err });
      throw err;
    }
  }
  const body = canonicalJson(f.body, FLEX_FRAME_MAX_DEPTH, '$.body', 1);
  const json =
    `{"k":"${name}","s":"${f.seq}","f":${f.flags},"a":${JSON.stringify(f.address)},"t":${h.topicId},` +
    `"v":[${h.schemaMajor},${h.schemaMinor}],"sid":${h.sessionId},"c":"${h.corrId}","ts":"${h.timestampUs}",` +
    `"q":${h.qos},"cap":"${h.capabilities.toString(16).padStart(16, '0')}","body":${body}}`;
  const text = `${crc32(json).toString(16).padStart(8, '0')} ${json}`;
  if (utf8Length(text, maxBytes) > maxBytes) throw new RangeError(`flex frame text is more than ${maxBytes} UTF-8 bytes`);
  return text;
}

/** UMP words of one flex frame: Flex Data text on FLEX_FRAME's address. Throws as `encodeFlexFrameText`. */
export function encodeFlexFrame(f: FlexFrame, maxBytes?: number): Uint32Array {
  return packFlexText(encodeFlexFrameText(f, maxBytes), FLEX_FRAME);
}

/** True when a reassembled Flex text message is on the flex frames' address (group, addressing, channel, bank, status). */
export function isFlexFrame(m: FlexTextMessage): boolean {
  return (
    m.group === FLEX_FRAME.group &&
    m.addressing === FLEX_FRAME.addressing &&
    m.channel === FLEX_FRAME.channel &&
    m.bank === FLEX_FRAME.bank &&
    m.status === FLEX_FRAME.status
  );
}

/**
 * Parses the text of a flex frame (hostile input) into its parts; the body stays JSON for the topic's
 * codec (`fromJSON`). Throws `FrameError` and nothing else (RangeError only for a `maxBytes` that is
 * not a non-negative integer: a caller's bug, not the input's).
 */
export function decodeFlexFrame(text: string, maxBytes: number): FlexFrame {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  if (utf8Length(text, maxBytes) > maxBytes) throw new FrameError(`flex frame text is more than ${maxBytes} UTF-8 bytes`, maxBytes);
  // The reader hands us strictly decoded UTF-8; a lone surrogate means the text did not come off the wire.
  const lone = LONE_SURROGATE.exec(text);
  if (lone) throw new FrameError('flex frame text contains a lone surrogate (not UTF-8)', byteOffset(text, lone.index));
  if (!CRC_TEXT.test(text)) {
    throw new FrameError(`flex frame text must start with 8 lowercase hex digits of its checksum and a space, got ${show(text.slice(0, CRC_PREFIX_BYTES))}`, 0);
  }
  const json = text.slice(CRC_PREFIX_BYTES);
  const expected = Number.parseInt(text.slice(0, 8), 16);
  const actual = crc32(json);
  if (actual !== expected) throw new FrameError(`checksum mismatch (frame says ${hex(expected)}, text gives ${hex(actual)})`, 0);
  const read = readJsonText(json, { maxBytes, maxDepth: FLEX_FRAME_MAX_DEPTH });
  if (!read.ok) {
    const e = read.error;
    throw new FrameError(`flex frame JSON: ${e.code}: ${e.reason}`, CRC_PREFIX_BYTES + (e.offset === null ? 0 : byteOffset(json, e.offset)));
  }
  try {
    return checkMembers(read.value);
  } catch (err) {
    if (err instanceof JsonDecodeError) throw new FrameError(`flex frame ${err.message}`, CRC_PREFIX_BYTES);
    throw err;
  }
}

/** Every member of a parsed frame object; throws JsonDecodeError with the member's JSON Pointer. */
function checkMembers(value: unknown): FlexFrame {
  const o = fromJsonObject(value, '');
  for (const k of Object.keys(o)) if (!(MEMBERS as readonly string[]).includes(k)) throw new JsonDecodeError(`/${k}`, 'unknown member');
  for (const k of MEMBERS) if (!Object.hasOwn(o, k)) throw new JsonDecodeError(`/${k}`, 'missing member');
  const kindName = fromJsonString(o.k, '/k');
  const kind = KIND_OF_NAME.get(kindName);
  if (kind === undefined) throw new JsonDecodeError('/k', `expected "pub", "req", "rep" or "err", got ${show(kindName)}`);
  const address = fromJsonString(o.a, '/a');
  if (utf8Length(address, MAX_ADDRESS_BYTES) > MAX_ADDRESS_BYTES) throw new JsonDecodeError('/a', `address is more than ${MAX_ADDRESS_BYTES} UTF-8 bytes`);
  // A `\ud800` escape parses to a lone surrogate, which no UTF-8 address (SysEx8 lane) can hold.
  if (LONE_SURROGATE.test(address)) throw new JsonDecodeError('/a', 'address contains a lone surrogate');
  const version = fromJsonArray(o.v, '/v');
  if (version.length !== 2) throw new JsonDecodeError('/v', `expected [major, minor], got ${version.length} elements`);
  const cap = fromJsonString(o.cap, '/cap');
  if (!CAP_TEXT.test(cap)) throw new JsonDecodeError('/cap', `expected 16 lowercase hex digits, got ${show(cap)}`);
  const body = o.body as JsonValue;
  if (kind === FrameKind.ErrorReply) checkErrorBody(body);
  const header: EnvelopeHeader = {
    topicId: fromJsonInt(o.t, '/t', 0, U32_MAX),
    schemaMajor: fromJsonInt(version[0], '/v/0', 0, 0xffff),
    schemaMinor: fromJsonInt(version[1], '/v/1', 0, 0xffff),
    sessionId: fromJsonInt(o.sid, '/sid', 0, U32_MAX),
    corrId: fromJsonBigIntText(o.c, '/c', 0n, U64_MAX),
    timestampUs: fromJsonBigIntText(o.ts, '/ts', 0n, U64_MAX),
    qos: fromJsonInt(o.q, '/q', 0, 2) as Qos,
    capabilities: BigInt(`0x${cap}`),
  };
  return {
    kind,
    flags: fromJsonInt(o.f, '/f', 0, 1) === 1 ? FLAG_RETRANSMISSION : 0,
    seq: fromJsonBigIntText(o.s, '/s', 0n, U64_MAX),
    address,
    header,
    body,
  };
}

/** An error reply's body: exactly `{name, code, message}`, code a u16 (error-set codes are 1..65535, 0 = INTERNAL). */
function checkErrorBody(body: unknown): void {
  const e = fromJsonObject(body, '/body');
  for (const k of Object.keys(e)) if (!(ERROR_MEMBERS as readonly string[]).includes(k)) throw new JsonDecodeError(`/body/${k}`, 'unknown member');
  for (const k of ERROR_MEMBERS) if (!Object.hasOwn(e, k)) throw new JsonDecodeError(`/body/${k}`, 'missing member');
  if (fromJsonString(e.name, '/body/name') === '') throw new JsonDecodeError('/body/name', 'expected a non-empty error name');
  fromJsonInt(e.code, '/body/code', 0, 0xffff);
  fromJsonString(e.message, '/body/message');
}

/** UTF-8 byte offset of UTF-16 index `index` of `s`. */
function byteOffset(s: string, index: number): number {
  return utf8Length(s.slice(0, index));
}

/** A bounded excerpt of hostile text for an error message. */
function show(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
