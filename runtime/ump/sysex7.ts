import { UmpError, UmpErrorCode, checkBytes, checkRange } from './errors.ts';
import { MessageType, SegmentFormat, segmentFormatFor, segmentFormatName, type SegmentFormatName } from './mt.ts';
import { appendBytes, finishedPackets, rejectPacket, segmentResult, segmentTarget, sysEx7Key, type ErrorSink, type OpenMessageTable } from './table.ts';
import { packetBytes, writePacketBytes } from './words.ts';

/**
 * Data 64 / SysEx7 (MT 0x3, 64 bit): word 0 `[27:24]` group `[23:20]` status (0 complete, 1 start,
 * 2 continue, 3 end) `[19:16]` #bytes 0..6 `[15:0]` data 1–2, word 1 data 3–6. No F0/F7, 7-bit data only.
 */
export const SYSEX7_BYTES_PER_PACKET = 6;

export interface SysEx7Message {
  readonly kind: 'sysex7';
  readonly group: number;
  /** The SysEx bytes between F0 and F7 (manufacturer id first), each 0..0x7F. */
  readonly data: Uint8Array;
  /** The packets it arrived in, when the reader keeps them (`keepPackets`). */
  readonly packets?: Uint32Array;
}

/** One SysEx7 packet, as `decodePacket` shows it. */
export interface SysEx7Packet {
  readonly kind: 'sysex7';
  readonly group: number;
  readonly status: SegmentFormatName;
  readonly byteCount: number;
  readonly data: Uint8Array;
}

export interface SysEx7Options {
  readonly group: number;
}

/** Throws unless every byte is 7-bit. */
function checkSevenBit(name: string, data: Uint8Array): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i]! > 0x7f) {
      throw new UmpError(UmpErrorCode.InvalidField, `${name}: byte ${i} is 0x${data[i]!.toString(16)}; SysEx7 carries 7-bit bytes only (0x00..0x7F)`);
    }
  }
}

/** Packs SysEx7 data (without F0/F7) into Complete or Start/Continue…/End packets, 6 bytes each. */
export function packSysEx7(data: Uint8Array, options: SysEx7Options): Uint32Array {
  checkBytes('SysEx7 data', data);
  const group = checkRange('group', options.group, 0, 15);
  checkSevenBit('SysEx7 data', data);
  const n = data.length;
  const packets = Math.max(1, Math.ceil(n / SYSEX7_BYTES_PER_PACKET));
  const out = new Uint32Array(packets * 2);
  for (let p = 0; p < packets; p++) {
    const from = p * SYSEX7_BYTES_PER_PACKET;
    const count = Math.min(SYSEX7_BYTES_PER_PACKET, n - from);
    const format = segmentFormatFor(p, packets);
    out[p * 2] = ((MessageType.Data64 << 28) | (group << 24) | (format << 20) | (count << 16)) >>> 0;
    writePacketBytes(out, p * 2, 2, data, from, count);
  }
  return out;
}

/** Decodes one SysEx7 packet (status 0..3); throws an `invalid-field` UmpError for a bad count or 8-bit data. */
export function decodeSysEx7Packet(words: Uint32Array, offset = 0, wordIndex = offset): SysEx7Packet {
  const w0 = words[offset]!;
  const group = (w0 >>> 24) & 0xf;
  const status = (w0 >>> 20) & 0xf;
  const byteCount = (w0 >>> 16) & 0xf;
  const context = { wordIndex, messageKind: 'sysex7', group };
  if (status > SegmentFormat.End) {
    throw new UmpError(UmpErrorCode.InvalidField, `SysEx7 status ${status} is reserved`, context);
  }
  if (byteCount > SYSEX7_BYTES_PER_PACKET) {
    throw new UmpError(UmpErrorCode.InvalidField, `SysEx7 group ${group}: #bytes ${byteCount} exceeds 6`, context);
  }
  const data = packetBytes(words, offset, 2, byteCount);
  for (const b of data) {
    if (b > 0x7f) {
      throw new UmpError(UmpErrorCode.InvalidField, `SysEx7 group ${group}: data byte 0x${b.toString(16)} is not 7-bit`, context);
    }
  }
  return { kind: 'sysex7', group, status: segmentFormatName(status), byteCount, data };
}

/** Reassembly step for one SysEx7 packet: completed messages and errors go to `sink`. */
export function acceptSysEx7(
  table: OpenMessageTable,
  words: Uint32Array,
  offset: number,
  wordIndex: number,
  sink: ErrorSink & { push(m: SysEx7Message): unknown },
): void {
  const w0 = words[offset]!;
  const group = (w0 >>> 24) & 0xf;
  const key = sysEx7Key(group);
  let packet: SysEx7Packet;
  try {
    packet = decodeSysEx7Packet(words, offset, wordIndex);
  } catch (err) {
    rejectPacket(table, key, err, wordIndex, sink);
    return;
  }
  const format = (w0 >>> 20) & 3;
  const target = segmentTarget(table, key, format, packet.byteCount, table.limits.maxMessageBytes, wordIndex, sink);
  if (!target) return;
  if (table.limits.keepPackets && !table.keepPackets(target, key, words, offset, 2, wordIndex, sink)) return;
  appendBytes(target, packet.data);
  const packets = finishedPackets(table, format, target);
  const data = segmentResult(table, key, format, target);
  if (data) sink.push(packets ? { kind: 'sysex7', group, data, packets } : { kind: 'sysex7', group, data });
}
