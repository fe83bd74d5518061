import { UmpError, UmpErrorCode } from './errors.ts';
import { decodeFlexPacket } from './flex.ts';
import { decodeMdsHeader, decodeMdsPayload, MdsStatus } from './mds.ts';
import type { UmpPacket } from './message.ts';
import { MessageType, packetWordCount } from './mt.ts';
import { decodeStreamPacket, isKnownStreamStatus, isStreamTextStatus } from './stream.ts';
import { decodeSysEx7Packet } from './sysex7.ts';
import { decodeSysEx8Packet } from './sysex8.ts';
import { decodeUtility } from './utility.ts';
import { tryWordArray } from './words.ts';

/** How a packet is handled; everything midl does not interpret is Unknown (skipped whole by its MT size). */
export const Route = {
  Unknown: 0,
  Utility: 1,
  SysEx7: 2,
  SysEx8: 3,
  Mds: 4,
  Flex: 5,
  Stream: 6,
  StreamText: 7,
} as const;
export type Route = (typeof Route)[keyof typeof Route];

export function routeOf(w0: number): Route {
  switch (w0 >>> 28) {
    case MessageType.Utility:
      return ((w0 >>> 20) & 0xf) <= 4 ? Route.Utility : Route.Unknown;
    case MessageType.Data64:
      return ((w0 >>> 20) & 0xf) <= 3 ? Route.SysEx7 : Route.Unknown;
    case MessageType.Data128: {
      const status = (w0 >>> 20) & 0xf;
      if (status <= 3) return Route.SysEx8;
      return status === MdsStatus.Header || status === MdsStatus.Payload ? Route.Mds : Route.Unknown;
    }
    case MessageType.FlexData:
      return ((w0 >>> 20) & 3) <= 1 ? Route.Flex : Route.Unknown;
    case MessageType.UmpStream: {
      const status = (w0 >>> 16) & 0x3ff;
      if (isStreamTextStatus(status)) return Route.StreamText;
      return isKnownStreamStatus(status) ? Route.Stream : Route.Unknown;
    }
    default:
      return Route.Unknown;
  }
}

/**
 * Decodes the packet at `offset` field by field (no reassembly). Throws a UmpError: `truncated` if the
 * words end inside the packet, `invalid-field` for a malformed one.
 */
export function decodePacket(words: Uint32Array, offset = 0, wordIndex = offset): UmpPacket {
  const w0 = words[offset];
  if (w0 === undefined) throw new UmpError(UmpErrorCode.Truncated, 'no packet at this offset', { wordIndex });
  const size = packetWordCount(w0);
  if (offset + size > words.length) {
    throw new UmpError(UmpErrorCode.Truncated, `MT 0x${(w0 >>> 28).toString(16)} packet needs ${size} words, only ${words.length - offset} left`, {
      wordIndex,
    });
  }
  switch (routeOf(w0)) {
    case Route.Utility:
      return decodeUtility(w0)!;
    case Route.SysEx7:
      return decodeSysEx7Packet(words, offset, wordIndex);
    case Route.SysEx8:
      return decodeSysEx8Packet(words, offset, wordIndex);
    case Route.Mds:
      return ((w0 >>> 20) & 0xf) === MdsStatus.Header ? decodeMdsHeader(words, offset) : decodeMdsPayload(words, offset);
    case Route.Flex:
      return decodeFlexPacket(words, offset, wordIndex);
    case Route.Stream:
    case Route.StreamText:
      return decodeStreamPacket(words, offset)!;
    default:
      return { kind: 'unknown', mt: w0 >>> 28, words: words.slice(offset, offset + size) };
  }
}

/** Every packet of a word stream, decoded one by one; malformed packets and a truncated tail become errors. */
export function decodePackets(input: Uint32Array | readonly number[]): Array<UmpPacket | UmpError> {
  const words = tryWordArray(input);
  if (words instanceof UmpError) return [words];
  const out: Array<UmpPacket | UmpError> = [];
  for (let i = 0; i < words.length; i += packetWordCount(words[i]!)) {
    try {
      out.push(decodePacket(words, i));
    } catch (err) {
      out.push(err as UmpError);
    }
  }
  return out;
}
