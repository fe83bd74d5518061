/**
 * The binary bus frames: the bytes the binary lanes carry (sysex8.ts as they are, sysex7.ts in
 * Mcoded7). Frame bytes are `00 7D <sub-id>` (midl's carrier prefix, see docs/wire.md) followed by the
 * frame body:
 *
 *   sub-id 0x02, data frame, on group 1 (the first data lane):
 *     off width
 *       0    1   kind: 1 publish, 2 request, 3 reply, 4 error reply
 *       1    1   flags: bit 0 = retransmission (set on every copy after the first); others 0
 *       2    2   address length n (u16, ≤ 1024)
 *       4    8   seq (u64): the sender's sequence number in this session (QoS, dedupe, resume)
 *      12    n   concrete address, UTF-8 (a reply's address is `<request address>/reply/<corr>`)
 *    12+n    …   one binary envelope (runtime/envelope/header.ts): topic id, session id, corr,
 *                timestamp, QoS, capability mask, payload. An error reply's payload is UTF-8 JSON
 *                `{"name","code","message"}`.
 *   sub-id 0x03, control frame, on group 0 (session, ACK/NACK, subscriptions): see control.ts.
 *
 * Both end with a CRC-32 (IEEE, big-endian) of everything before it, prefix included: a transport
 * that skips a lost stretch of packets can splice the head of one SysEx8 message onto the tail of
 * another, and the checksum turns that into a refused frame instead of a wrong value.
 *
 * Decoders treat input as hostile: every length is checked against the bytes present; failures are
 * `FrameError`s with an offset.
 */
import { CHUNKED_HEADER_BYTES, decodeEnvelope, encodeEnvelope, type DecodedEnvelope, type EnvelopeHeader } from '../envelope/index.ts';
import { crc32 } from '../envelope/crc32.ts';
import { MIDL_MANUFACTURER_ID, packSysEx8 } from '../ump/index.ts';

export const DATA_SUB_ID = 0x02;
export const CONTROL_SUB_ID = 0x03;
export const CONTROL_GROUP = 0;
export const DATA_GROUP = 1;
export const MAX_ADDRESS_BYTES = 1024;
const DATA_HEADER_BYTES = 12;
/** The most a data frame adds to its payload: prefix, header, the longest address, the largest envelope header, CRC. */
const MAX_DATA_FRAME_OVERHEAD = 3 + DATA_HEADER_BYTES + MAX_ADDRESS_BYTES + CHUNKED_HEADER_BYTES + 4;

/**
 * The largest payload every data frame can carry within one MIDI 1.0 SysEx of at most `maxMessageBytes`
 * (`F0 7D <sub-id> Mcoded7(frame) F7`: 8 bytes on the wire for every 7 of the frame, and one more for a
 * last short group), whatever its address: what a session over such a link may promise its peer.
 */
export function payloadWithinSysEx7(maxMessageBytes: number): number {
  return Math.floor(((maxMessageBytes - 5) * 7) / 8) - MAX_DATA_FRAME_OVERHEAD;
}

export const FrameKind = {
  Publish: 1,
  Request: 2,
  Reply: 3,
  ErrorReply: 4,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const FLAG_RETRANSMISSION = 0x01;

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

export interface DataFrame {
  readonly kind: FrameKind;
  readonly flags: number;
  readonly seq: bigint;
  readonly address: string;
  readonly envelope: DecodedEnvelope;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 or throws a FrameError naming where. */
export function decodeUtf8(bytes: Uint8Array, offset: number, what: string): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw new FrameError(`${what} is not valid UTF-8`, offset);
  }
}

/** The body of a data frame (without the carrier prefix). */
export function encodeDataFrame(
  kind: FrameKind,
  flags: number,
  seq: bigint,
  address: string,
  header: EnvelopeHeader,
  payload: Uint8Array,
  maxPayloadBytes: number,
): Uint8Array {
  const addr = utf8.encode(address);
  if (addr.length > MAX_ADDRESS_BYTES) throw new RangeError(`address is ${addr.length} bytes, more than ${MAX_ADDRESS_BYTES}`);
  const envelope = encodeEnvelope(header, payload, { maxPayloadBytes });
  const out = new Uint8Array(3 + DATA_HEADER_BYTES + addr.length + envelope.length + CRC_BYTES);
  out[0] = 0x00;
  out[1] = MIDL_MANUFACTURER_ID;
  out[2] = DATA_SUB_ID;
  const view = new DataView(out.buffer);
  out[3] = kind;
  out[4] = flags;
  view.setUint16(5, addr.length);
  view.setBigUint64(7, seq);
  out.set(addr, 3 + DATA_HEADER_BYTES);
  out.set(envelope, 3 + DATA_HEADER_BYTES + addr.length);
  return reseal(out);
}

const CRC_BYTES = 4;

/** Writes the trailing CRC-32 of a frame built with room for it (again after a change, e.g. the retransmission flag). */
export function reseal(data: Uint8Array): Uint8Array {
  const end = data.length - CRC_BYTES;
  new DataView(data.buffer, data.byteOffset, data.byteLength).setUint32(end, crc32(data.subarray(0, end)));
  return data;
}

/** Marks data frame bytes (as built by encodeDataFrame) as a retransmitted copy: the flag, and the checksum that covers it; once. */
export function markRetransmission(frame: Uint8Array): void {
  if ((frame[4]! & FLAG_RETRANSMISSION) !== 0) return;
  frame[4]! |= FLAG_RETRANSMISSION;
  reseal(frame);
}

/** `bytes` followed by their CRC-32. */
export function sealed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + CRC_BYTES);
  out.set(bytes);
  return reseal(out);
}

/** Decodes a data frame body (after the `00 7D 02` prefix). */
export function decodeDataFrame(body: Uint8Array, maxPayloadBytes: number): DataFrame {
  if (body.length < DATA_HEADER_BYTES) throw new FrameError(`data frame of ${body.length} bytes is shorter than its ${DATA_HEADER_BYTES}-byte header`, 0);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const kind = body[0]!;
  if (kind < FrameKind.Publish || kind > FrameKind.ErrorReply) throw new FrameError(`unknown data frame kind ${kind}`, 0);
  const flags = body[1]!;
  if ((flags & ~FLAG_RETRANSMISSION) !== 0) throw new FrameError(`reserved flag bits set: 0x${flags.toString(16)}`, 1);
  const n = view.getUint16(2);
  if (n > MAX_ADDRESS_BYTES) throw new FrameError(`address length ${n} exceeds ${MAX_ADDRESS_BYTES}`, 2);
  if (DATA_HEADER_BYTES + n > body.length) throw new FrameError(`address length ${n} runs past the end of the frame`, 2);
  const seq = view.getBigUint64(4);
  const address = decodeUtf8(body.subarray(DATA_HEADER_BYTES, DATA_HEADER_BYTES + n), DATA_HEADER_BYTES, 'address');
  let envelope: DecodedEnvelope;
  try {
    envelope = decodeEnvelope(body.subarray(DATA_HEADER_BYTES + n), { maxPayloadBytes });
  } catch (err) {
    const e = err as Error & { offset?: number };
    throw new FrameError(`envelope: ${e.message}`, DATA_HEADER_BYTES + n + (e.offset ?? 0));
  }
  return { kind: kind as FrameKind, flags, seq, address, envelope };
}

/** SysEx8 packets of one frame (data = prefix + body, as built by the encoders here). */
export function frameToUmp(data: Uint8Array, group: number, streamId: number): Uint32Array {
  return packSysEx8(data, { group, streamId });
}

/**
 * Which frame a reassembled SysEx8 message's data holds, and its body (checksum removed); undefined
 * for foreign SysEx8. Throws FrameError when the checksum does not match.
 */
export function frameOf(data: Uint8Array): { readonly subId: number; readonly body: Uint8Array } | undefined {
  if (data.length < 3 || data[0] !== 0x00 || data[1] !== MIDL_MANUFACTURER_ID) return undefined;
  const subId = data[2]!;
  if (subId !== DATA_SUB_ID && subId !== CONTROL_SUB_ID) return undefined;
  const end = data.length - CRC_BYTES;
  if (end < 3) throw new FrameError(`frame of ${data.length} bytes has no room for its checksum`, 0);
  const expected = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(end);
  const actual = crc32(data.subarray(0, end));
  if (actual !== expected) throw new FrameError(`checksum mismatch (frame says ${hex(expected)}, bytes give ${hex(actual)})`, end);
  return { subId, body: data.subarray(3, end) };
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
