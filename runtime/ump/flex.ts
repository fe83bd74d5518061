import { UmpError, UmpErrorCode, checkBytes, checkRange } from './errors.ts';
import { MessageType, SEGMENT_FORMAT_NAMES, SegmentFormat, segmentFormatFor, segmentFormatName, type SegmentFormatName } from './mt.ts';
import {
  appendBytes,
  describeKey,
  finishedPackets,
  flexKey,
  rejectPacket,
  segmentResult,
  segmentTarget,
  type ErrorSink,
  type OpenMessageTable,
} from './table.ts';
import { decodeText, encodeText } from './text.ts';
import { packetBytes, writePacketBytes } from './words.ts';

/**
 * Flex Data (MT 0xD, 128 bit): word 0 `[27:24]` group `[23:22]` format (0 complete, 1 start,
 * 2 continue, 3 end) `[21:20]` addressing (0 channel, 1 group; 2, 3 reserved) `[19:16]` channel
 * `[15:8]` status bank `[7:0]` status; words 1–3 = 12 payload bytes.
 */
export const FlexAddressing = { Channel: 0, Group: 1 } as const;
export type FlexAddressingName = 'channel' | 'group';

export const FlexBank = {
  SetupAndPerformance: 0x00,
  /** Metadata text (0x00 unknown, 0x01 project name, 0x02 song name, …). */
  MetadataText: 0x01,
  /** Performance text (0x00 unknown, 0x01 lyrics, …). */
  PerformanceText: 0x02,
} as const;

export const FLEX_BYTES_PER_PACKET = 12;

export function isFlexTextBank(bank: number): boolean {
  return bank === FlexBank.MetadataText || bank === FlexBank.PerformanceText;
}

export interface FlexAddress {
  readonly group: number;
  readonly addressing: FlexAddressingName;
  readonly channel: number;
  readonly bank: number;
  readonly status: number;
}

/** One Flex Data packet, as `decodePacket` shows it. */
export interface FlexPacket extends FlexAddress {
  readonly kind: 'flex';
  readonly format: SegmentFormatName;
  readonly data: Uint8Array;
}

/** A (reassembled) Flex Data message of a non-text bank: the payload bytes of all its packets. */
export interface FlexMessage extends FlexAddress {
  readonly kind: 'flex';
  readonly data: Uint8Array;
  /** The packets it arrived in, when the reader keeps them (`keepPackets`). */
  readonly packets?: Uint32Array;
}

/** A (reassembled) text message of bank 0x01 or 0x02. */
export interface FlexTextMessage extends FlexAddress {
  readonly kind: 'flex-text';
  readonly text: string;
  /** The packets it arrived in, when the reader keeps them (`keepPackets`). */
  readonly packets?: Uint32Array;
}

/** Addressing defaults to group-addressed, channel to 0. */
export interface FlexAddressOptions {
  readonly group: number;
  readonly addressing?: FlexAddressingName;
  readonly channel?: number;
  readonly bank: number;
  readonly status: number;
}

function headWord(o: FlexAddressOptions, format: number): number {
  const group = checkRange('group', o.group, 0, 15);
  const addressing = o.addressing ?? 'group';
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a JavaScript caller may pass anything
  if (addressing !== 'group' && addressing !== 'channel') {
    throw new UmpError(UmpErrorCode.InvalidField, `addressing must be "group" or "channel", got ${String(addressing)}`);
  }
  const channel = checkRange('channel', o.channel ?? 0, 0, 15);
  const bank = checkRange('status bank', o.bank, 0, 0xff);
  const status = checkRange('status', o.status, 0, 0xff);
  const addr = addressing === 'group' ? FlexAddressing.Group : FlexAddressing.Channel;
  return ((MessageType.FlexData << 28) | (group << 24) | (format << 22) | (addr << 20) | (channel << 16) | (bank << 8) | status) >>> 0;
}

/** One Flex Data packet with up to 12 payload bytes. */
export function encodeFlexPacket(o: FlexAddressOptions & { readonly format: SegmentFormatName; readonly data: Uint8Array }): Uint32Array {
  checkBytes('Flex payload', o.data);
  checkRange('Flex payload length', o.data.length, 0, FLEX_BYTES_PER_PACKET);
  const format = SEGMENT_FORMAT_NAMES.indexOf(o.format);
  if (format < 0) throw new UmpError(UmpErrorCode.InvalidField, `format must be complete|start|continue|end, got ${o.format}`);
  const out = Uint32Array.of(headWord(o, format), 0, 0, 0);
  writePacketBytes(out, 0, 4, o.data, 0, o.data.length);
  return out;
}

/** Splits bytes over Flex packets, 12 per packet (the last one zero-padded): Complete or Start/Continue…/End. */
export function packFlexData(data: Uint8Array, o: FlexAddressOptions): Uint32Array {
  checkBytes('Flex data', data);
  const packets = Math.max(1, Math.ceil(data.length / FLEX_BYTES_PER_PACKET));
  headWord(o, 0); // validates the address once
  const out = new Uint32Array(packets * 4);
  for (let p = 0; p < packets; p++) {
    const from = p * FLEX_BYTES_PER_PACKET;
    out[p * 4] = headWord(o, segmentFormatFor(p, packets));
    writePacketBytes(out, p * 4, 4, data, from, Math.min(FLEX_BYTES_PER_PACKET, data.length - from));
  }
  return out;
}

/**
 * UTF-8 text as Flex Data (bank 0x01 metadata or 0x02 performance text), 12 bytes per packet, never
 * truncated. A multi-byte character may be split between packets; the reassembler rejoins the bytes
 * before decoding.
 */
export function packFlexText(text: string, o: FlexAddressOptions): Uint32Array {
  if (!isFlexTextBank(o.bank)) {
    throw new UmpError(UmpErrorCode.InvalidField, `Flex text needs status bank 0x01 or 0x02, got ${String(o.bank)}`);
  }
  return packFlexData(encodeText('Flex text', text), o);
}

/** Set Tempo (bank 0x00 status 0x00, group-addressed): 10 ns units per quarter note, 32 bit. */
export function encodeSetTempo(tenNanoseconds: number, o: { readonly group: number }): Uint32Array {
  checkRange('tempo (10 ns units per quarter note)', tenNanoseconds, 0, 0xffffffff);
  const out = Uint32Array.of(headWord({ group: o.group, bank: 0, status: 0 }, SegmentFormat.Complete), tenNanoseconds >>> 0, 0, 0);
  return out;
}

/** The tempo of a Set Tempo message, or undefined if `m` is not one. */
export function setTempoOf(m: FlexMessage): number | undefined {
  if (m.bank !== 0 || m.status !== 0 || m.data.length < 4) return undefined;
  return ((m.data[0]! << 24) | (m.data[1]! << 16) | (m.data[2]! << 8) | m.data[3]!) >>> 0;
}

/** Decodes one Flex Data packet; reserved addressing values throw an `invalid-field` UmpError. */
export function decodeFlexPacket(words: Uint32Array, offset = 0, wordIndex = offset): FlexPacket {
  const w0 = words[offset]!;
  const group = (w0 >>> 24) & 0xf;
  const addr = (w0 >>> 20) & 3;
  if (addr > FlexAddressing.Group) {
    throw new UmpError(UmpErrorCode.InvalidField, `Flex Data addressing ${addr} is reserved`, { wordIndex, messageKind: 'flex', group });
  }
  return {
    kind: 'flex',
    group,
    format: segmentFormatName((w0 >>> 22) & 3),
    addressing: addr === FlexAddressing.Group ? 'group' : 'channel',
    channel: (w0 >>> 16) & 0xf,
    bank: (w0 >>> 8) & 0xff,
    status: w0 & 0xff,
    data: packetBytes(words, offset, 4, FLEX_BYTES_PER_PACKET),
  };
}

type FlexSink = ErrorSink & { push(m: FlexMessage | FlexTextMessage): unknown };

/** Reassembly step for one Flex Data packet (addressing 0 or 1). */
export function acceptFlex(table: OpenMessageTable, words: Uint32Array, offset: number, wordIndex: number, sink: FlexSink): void {
  const p = decodeFlexPacket(words, offset, wordIndex);
  const format = (words[offset]! >>> 22) & 3;
  const key = flexKey(p.group, p.addressing === 'group' ? 1 : 0, p.channel, p.bank, p.status);
  const target = segmentTarget(table, key, format, FLEX_BYTES_PER_PACKET, table.limits.maxMessageBytes, wordIndex, sink);
  if (!target) return;
  if (table.limits.keepPackets && !table.keepPackets(target, key, words, offset, 4, wordIndex, sink)) return;
  appendBytes(target, p.data);
  const packets = finishedPackets(table, format, target);
  const data = segmentResult(table, key, format, target);
  if (!data) return;
  const address = { group: p.group, addressing: p.addressing, channel: p.channel, bank: p.bank, status: p.status, ...(packets ? { packets } : {}) };
  if (!isFlexTextBank(p.bank)) {
    sink.push({ kind: 'flex', ...address, data });
    return;
  }
  try {
    const { label, context } = describeKey(key, wordIndex);
    sink.push({ kind: 'flex-text', ...address, text: decodeText(data, label, context) });
  } catch (err) {
    rejectPacket(table, key, err, wordIndex, sink);
  }
}
