import { UmpError, UmpErrorCode, checkBytes, checkRange } from './errors.ts';
import { MessageType } from './mt.ts';
import { describeKey, mdsKey, rejectPacket, type ErrorSink, type OpenMessage, type OpenMessageTable } from './table.ts';
import { packetBytes, writePacketBytes } from './words.ts';

/**
 * Mixed Data Set (MT 0x5). Header (status 0x8): w0 `[19:16]` MDS id `[15:0]` #valid bytes in this
 * chunk; w1 `[31:16]` #chunks (0 = unknown) `[15:0]` this chunk (from 1); w2 manufacturer id(16) |
 * device id(16); w3 sub id 1(16) | sub id 2(16). Payload (status 0x9): w0 `[19:16]` MDS id, then 14
 * data bytes (bytes 2..15).
 *
 * "#valid bytes" follows ni-midi2 (the most careful implementation; the spec PDF was not available):
 * all non-padding bytes of the chunk's UMPs = 16 (header) + 2 per payload UMP + data bytes, so a
 * chunk holds at most 4094 payload UMPs (57 316 data bytes).
 */
export const MdsStatus = { Header: 0x8, Payload: 0x9 } as const;
export const MDS_BYTES_PER_PACKET = 14;
export const MDS_MAX_PACKETS_PER_CHUNK = 4094;
export const MDS_MAX_CHUNK_DATA = MDS_MAX_PACKETS_PER_CHUNK * MDS_BYTES_PER_PACKET;

export interface MdsIds {
  readonly manufacturerId: number;
  readonly deviceId: number;
  readonly subId1: number;
  readonly subId2: number;
}

export interface MdsHeaderPacket extends MdsIds {
  readonly kind: 'mds-header';
  readonly group: number;
  readonly mdsId: number;
  readonly validBytes: number;
  readonly chunks: number;
  readonly chunk: number;
}

export interface MdsPayloadPacket {
  readonly kind: 'mds-payload';
  readonly group: number;
  readonly mdsId: number;
  /** All 14 payload bytes; how many are valid only the chunk header says. */
  readonly data: Uint8Array;
}

/** A reassembled Mixed Data Set (all chunks joined; with #chunks = 0 "unknown", one message per chunk). */
export interface MdsMessage extends MdsIds {
  readonly kind: 'mds';
  readonly group: number;
  readonly mdsId: number;
  readonly data: Uint8Array;
}

export interface MdsOptions extends MdsIds {
  readonly group: number;
  readonly mdsId: number;
}

function checkIds(ids: MdsIds): void {
  checkRange('manufacturerId', ids.manufacturerId, 0, 0xffff);
  checkRange('deviceId', ids.deviceId, 0, 0xffff);
  checkRange('subId1', ids.subId1, 0, 0xffff);
  checkRange('subId2', ids.subId2, 0, 0xffff);
}

function head(group: number, status: number, mdsId: number, low16: number): number {
  return ((MessageType.Data128 << 28) | (group << 24) | (status << 20) | (mdsId << 16) | low16) >>> 0;
}

export function encodeMdsHeader(h: Omit<MdsHeaderPacket, 'kind'>): Uint32Array {
  const group = checkRange('group', h.group, 0, 15);
  const mdsId = checkRange('mdsId', h.mdsId, 0, 15);
  checkRange('validBytes', h.validBytes, 0, 0xffff);
  checkRange('chunks', h.chunks, 0, 0xffff);
  checkRange('chunk', h.chunk, 0, 0xffff);
  checkIds(h);
  return Uint32Array.of(
    head(group, MdsStatus.Header, mdsId, h.validBytes),
    ((h.chunks << 16) | h.chunk) >>> 0,
    ((h.manufacturerId << 16) | h.deviceId) >>> 0,
    ((h.subId1 << 16) | h.subId2) >>> 0,
  );
}

/** One payload packet with up to 14 bytes (the rest zero). */
export function encodeMdsPayload(p: Omit<MdsPayloadPacket, 'kind'>): Uint32Array {
  const group = checkRange('group', p.group, 0, 15);
  const mdsId = checkRange('mdsId', p.mdsId, 0, 15);
  checkBytes('MDS payload data', p.data);
  checkRange('MDS payload length', p.data.length, 0, MDS_BYTES_PER_PACKET);
  const out = Uint32Array.of(head(group, MdsStatus.Payload, mdsId, 0), 0, 0, 0);
  writePacketBytes(out, 0, 2, p.data, 0, p.data.length);
  return out;
}

/** Packs `data` as a Mixed Data Set: per chunk one header then ⌈size/14⌉ payload packets. */
export function packMds(data: Uint8Array, options: MdsOptions): Uint32Array {
  checkBytes('MDS data', data);
  const group = checkRange('group', options.group, 0, 15);
  const mdsId = checkRange('mdsId', options.mdsId, 0, 15);
  checkIds(options);
  const chunks = Math.max(1, Math.ceil(data.length / MDS_MAX_CHUNK_DATA));
  if (chunks > 0xffff) {
    throw new UmpError(UmpErrorCode.TooLarge, `MDS data of ${data.length} bytes needs more than 65535 chunks`);
  }
  const totalPackets = chunks + Math.ceil(data.length / MDS_BYTES_PER_PACKET);
  const out = new Uint32Array(totalPackets * 4);
  let dst = 0;
  for (let chunk = 1; chunk <= chunks; chunk++) {
    const from = (chunk - 1) * MDS_MAX_CHUNK_DATA;
    const size = Math.min(MDS_MAX_CHUNK_DATA, data.length - from);
    const packets = Math.ceil(size / MDS_BYTES_PER_PACKET);
    out.set(encodeMdsHeader({ group, mdsId, validBytes: 16 + 2 * packets + size, chunks, chunk, ...pickIds(options) }), dst);
    dst += 4;
    for (let p = 0; p < packets; p++) {
      const at = from + p * MDS_BYTES_PER_PACKET;
      out[dst] = head(group, MdsStatus.Payload, mdsId, 0);
      writePacketBytes(out, dst, 2, data, at, Math.min(MDS_BYTES_PER_PACKET, from + size - at));
      dst += 4;
    }
  }
  return out;
}

function pickIds(ids: MdsIds): MdsIds {
  return { manufacturerId: ids.manufacturerId, deviceId: ids.deviceId, subId1: ids.subId1, subId2: ids.subId2 };
}

export function decodeMdsHeader(words: Uint32Array, offset = 0): MdsHeaderPacket {
  const w0 = words[offset]!;
  const w1 = words[offset + 1]!;
  const w2 = words[offset + 2]!;
  const w3 = words[offset + 3]!;
  return {
    kind: 'mds-header',
    group: (w0 >>> 24) & 0xf,
    mdsId: (w0 >>> 16) & 0xf,
    validBytes: w0 & 0xffff,
    chunks: w1 >>> 16,
    chunk: w1 & 0xffff,
    manufacturerId: w2 >>> 16,
    deviceId: w2 & 0xffff,
    subId1: w3 >>> 16,
    subId2: w3 & 0xffff,
  };
}

export function decodeMdsPayload(words: Uint32Array, offset = 0): MdsPayloadPacket {
  const w0 = words[offset]!;
  return { kind: 'mds-payload', group: (w0 >>> 24) & 0xf, mdsId: (w0 >>> 16) & 0xf, data: packetBytes(words, offset, 2, 14) };
}

/**
 * Payload packets and data bytes of a chunk from its #valid bytes, or undefined if no packet layout
 * gives that count (less than 16, or a last packet with no data byte).
 */
export function mdsChunkLayout(validBytes: number): { packets: number; dataBytes: number } | undefined {
  if (validBytes < 16) return undefined;
  const rest = validBytes - 16;
  const packets = Math.ceil(rest / 16);
  if (packets > 0 && rest - 16 * (packets - 1) < 3) return undefined;
  return { packets, dataBytes: rest - 2 * packets };
}

/** Reassembly progress kept in the open message's `meta`. */
class MdsProgress {
  constructor(
    readonly header: MdsHeaderPacket,
    /** Payload packets still expected in the current chunk. */
    public remaining: number,
    /** Data bytes in the current chunk's last payload packet. */
    public lastBytes: number,
  ) {}
}

function progressOf(e: OpenMessage | undefined): MdsProgress | undefined {
  return e?.meta instanceof MdsProgress ? e.meta : undefined;
}

type MdsSink = ErrorSink & { push(m: MdsMessage): unknown };

function badSequence(key: number, wordIndex: number, text: string): UmpError {
  const { label, context } = describeKey(key, wordIndex);
  return new UmpError(UmpErrorCode.BadSequence, `${label}: ${text}`, context);
}

function sameSet(a: MdsHeaderPacket, b: MdsHeaderPacket): boolean {
  return (
    a.chunks === b.chunks &&
    b.chunk === a.chunk + 1 &&
    a.manufacturerId === b.manufacturerId &&
    a.deviceId === b.deviceId &&
    a.subId1 === b.subId1 &&
    a.subId2 === b.subId2
  );
}

/** Reassembly step for an MDS header or payload packet. */
export function acceptMds(table: OpenMessageTable, words: Uint32Array, offset: number, wordIndex: number, sink: MdsSink): void {
  const w0 = words[offset]!;
  const key = mdsKey((w0 >>> 24) & 0xf, (w0 >>> 16) & 0xf);
  if (((w0 >>> 20) & 0xf) === MdsStatus.Header) acceptHeader(table, key, decodeMdsHeader(words, offset), wordIndex, sink);
  else acceptPayload(table, key, words, offset, wordIndex, sink);
}

function acceptHeader(table: OpenMessageTable, key: number, h: MdsHeaderPacket, wordIndex: number, sink: MdsSink): void {
  const layout = mdsChunkLayout(h.validBytes);
  if (!layout || h.chunk === 0 || (h.chunks !== 0 && h.chunk > h.chunks)) {
    const why = !layout ? `#valid bytes ${h.validBytes} matches no chunk layout` : `chunk ${h.chunk} of ${h.chunks} is out of range`;
    rejectPacket(table, key, new UmpError(UmpErrorCode.InvalidField, `MDS header: ${why}`), wordIndex, sink);
    return;
  }
  let entry = table.get(key);
  const prev = progressOf(entry);
  if (entry && prev && (prev.remaining > 0 || !sameSet(prev.header, h))) {
    table.drop(key);
    if (!entry.skipping) {
      const why =
        prev.remaining > 0
          ? `header while chunk ${prev.header.chunk} still expects ${prev.remaining} payload packets`
          : `header for chunk ${h.chunk} does not continue the open set`;
      sink.push(badSequence(key, wordIndex, `${why}; the open set is discarded`));
    }
    entry = undefined;
  }
  if (!entry) {
    if (h.chunk !== 1 && h.chunks !== 0) {
      sink.push(badSequence(key, wordIndex, `chunk ${h.chunk} of ${h.chunks} without chunk 1; dropped`));
      return;
    }
    entry = table.open(key, wordIndex, sink);
    if (!entry) return;
  }
  entry.lastSeen = table.now;
  entry.meta = new MdsProgress(h, layout.packets, layout.dataBytes - MDS_BYTES_PER_PACKET * Math.max(0, layout.packets - 1));
  if (layout.packets === 0) finishChunk(table, key, entry, sink);
}

function acceptPayload(table: OpenMessageTable, key: number, words: Uint32Array, offset: number, wordIndex: number, sink: MdsSink): void {
  const entry = table.get(key);
  const progress = progressOf(entry);
  if (!entry || !progress || progress.remaining === 0) {
    if (entry) table.drop(key);
    sink.push(
      badSequence(key, wordIndex, entry ? 'payload packet beyond the chunk size; the open set is discarded' : 'payload packet without header; dropped'),
    );
    return;
  }
  const n = progress.remaining === 1 ? progress.lastBytes : MDS_BYTES_PER_PACKET;
  entry.lastSeen = table.now;
  if (!entry.skipping && table.reserve(entry, key, n, table.limits.maxMessageBytes, wordIndex, sink)) {
    const p = entry.length;
    for (let i = 0; i < n; i++) {
      const b = i + 2;
      entry.bytes[p + i] = (words[offset + (b >>> 2)]! >>> (24 - 8 * (b & 3))) & 0xff;
    }
    entry.length = p + n;
  }
  progress.remaining--;
  if (progress.remaining === 0) finishChunk(table, key, entry, sink);
}

function finishChunk(table: OpenMessageTable, key: number, entry: OpenMessage, sink: MdsSink): void {
  const h = progressOf(entry)!.header;
  if (h.chunks !== 0 && h.chunk < h.chunks) return; // wait for the next chunk's header
  if (entry.skipping) {
    table.drop(key);
    return;
  }
  const data = table.close(key);
  sink.push({ kind: 'mds', group: h.group, mdsId: h.mdsId, ...pickIds(h), data });
}
