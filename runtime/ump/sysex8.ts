import { UmpError, UmpErrorCode, checkBytes, checkRange } from './errors.ts';
import { MessageType, SegmentFormat, segmentFormatName, type SegmentFormatName } from './mt.ts';
import {
  describeKey,
  finishedPackets,
  rejectPacket,
  segmentResult,
  segmentTarget,
  sysEx8Key,
  type ErrorSink,
  type OpenMessage,
  type OpenMessageTable,
} from './table.ts';
import { packetBytes } from './words.ts';
import { sysEx8Kernel, type SysEx8Kernel } from './simd/sysex8.ts';

/**
 * Data 128 / SysEx8 (MT 0x5, status 0..3, 128 bit): word 0 `[27:24]` group `[23:20]` status
 * `[19:16]` #bytes `[15:8]` stream id `[7:0]` data 1, words 1–3 data 2–13. #bytes counts the stream id
 * too (1..14), as ni-midi2, cmidi2 and alsa-lib do (JZZ and AM's parser are off by one).
 */
export const SYSEX8_BYTES_PER_PACKET = 13;

/** #bytes values of an abort End packet (all data zero), M2-104-UM "Unexpected End of Data". */
export const SysEx8Abort = {
  /** The data sent before the abort is valid. */
  PreviousDataValid: 0x1,
  /** The data sent before the abort is incomplete or of unknown quality. */
  Incomplete: 0xf,
} as const;

export interface SysEx8Message {
  readonly kind: 'sysex8';
  readonly group: number;
  readonly streamId: number;
  /** 8-bit data, conventionally starting with a 16-bit manufacturer id (`00 7D` for midl). */
  readonly data: Uint8Array;
  /** The packets it arrived in, when the reader keeps them (`keepPackets`). */
  readonly packets?: Uint32Array;
}

export interface SysEx8Packet {
  readonly kind: 'sysex8';
  readonly group: number;
  readonly status: SegmentFormatName;
  /** The raw #bytes field (stream id included). */
  readonly byteCount: number;
  readonly streamId: number;
  readonly data: Uint8Array;
  /** Present on an abort End packet. */
  readonly abort?: 'previous-data-valid' | 'incomplete';
}

export interface SysEx8Options {
  readonly group: number;
  readonly streamId: number;
}

/** Words needed to pack `byteLength` bytes as SysEx8 (4 per packet, at least one packet). */
export function sysEx8WordCount(byteLength: number): number {
  return (byteLength === 0 ? 1 : Math.ceil(byteLength / SYSEX8_BYTES_PER_PACKET)) * 4;
}

/** Packs 8-bit data into SysEx8 packets (13 data bytes each: Complete, or Start/Continue…/End). */
export function packSysEx8(data: Uint8Array, options: SysEx8Options): Uint32Array {
  checkBytes('SysEx8 data', data);
  const out = new Uint32Array(sysEx8WordCount(data.length));
  packSysEx8Into(out, 0, data, options);
  return out;
}

/** The SIMD kernel in use (undefined: the JS paths). */
let kernel: SysEx8Kernel | undefined = sysEx8Kernel;

/**
 * Test and benchmark hook, not part of the public surface: `false` routes packing and reassembly
 * through the JS paths only, `true` through the SIMD kernel where it runs. Returns whether the
 * kernel is now in use.
 */
export function useSysEx8Kernel(on: boolean): boolean {
  kernel = on ? sysEx8Kernel : undefined;
  return kernel !== undefined;
}

/** Continue runs shorter than this stay in JS (the kernel's copies in and out cost more). */
const KERNEL_MIN_PACKETS = 8;

/**
 * packSysEx8 into a caller's buffer (e.g. one reused per transport frame) at word `offset`; returns
 * the number of words written. The Continue run goes through the WebAssembly SIMD kernel where it
 * runs (runtime/ump/simd), otherwise through the JS loop; both write the same words.
 */
export function packSysEx8Into(out: Uint32Array, offset: number, data: Uint8Array, options: SysEx8Options): number {
  checkBytes('SysEx8 data', data);
  const group = checkRange('group', options.group, 0, 15);
  const streamId = checkRange('streamId', options.streamId, 0, 255);
  const n = data.length;
  const total = sysEx8WordCount(n);
  if (!(out instanceof Uint32Array) || !Number.isInteger(offset) || offset < 0 || offset + total > out.length) {
    throw new UmpError(UmpErrorCode.InvalidField, `output needs ${total} words from offset ${offset}`);
  }
  // Aliasing check (the kernel copies input in before writing, the JS loop interleaves: only
  // non-overlapping buffers give defined output). Up to 64 bytes never reaches the kernel, and a typed
  // array that small may live on the V8 heap, where reading `.buffer` would move it off (slow).
  if (n > 64 && out.buffer === data.buffer && overlaps(out.byteOffset + offset * 4, total * 4, data.byteOffset, n)) {
    throw new UmpError(UmpErrorCode.InvalidField, 'SysEx8 output overlaps the input data');
  }
  const head = ((MessageType.Data128 << 28) | (group << 24) | (streamId << 8)) >>> 0;
  if (total === 4) {
    writeTail(out, offset, (head | (SegmentFormat.Complete << 20)) >>> 0, data, 0, n);
    return total;
  }
  out[offset] = (head | (SegmentFormat.Start << 20) | (14 << 16) | data[0]!) >>> 0;
  out[offset + 1] = ((data[1]! << 24) | (data[2]! << 16) | (data[3]! << 8) | data[4]!) >>> 0;
  out[offset + 2] = ((data[5]! << 24) | (data[6]! << 16) | (data[7]! << 8) | data[8]!) >>> 0;
  out[offset + 3] = ((data[9]! << 24) | (data[10]! << 16) | (data[11]! << 8) | data[12]!) >>> 0;
  const cont = (head | (SegmentFormat.Continue << 20) | (14 << 16)) >>> 0;
  const continues = total / 4 - 2;
  const lastFrom = (continues + 1) * SYSEX8_BYTES_PER_PACKET;
  let dst = offset + 4;
  if (kernel && continues >= KERNEL_MIN_PACKETS) {
    kernel.pack(out, dst, data, SYSEX8_BYTES_PER_PACKET, continues, cont);
    dst += continues * 4;
  } else if (continues > 0) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let src = SYSEX8_BYTES_PER_PACKET; src < lastFrom; src += SYSEX8_BYTES_PER_PACKET) {
      out[dst] = (cont | data[src]!) >>> 0;
      out[dst + 1] = view.getUint32(src + 1);
      out[dst + 2] = view.getUint32(src + 5);
      out[dst + 3] = view.getUint32(src + 9);
      dst += 4;
    }
  }
  writeTail(out, dst, (head | (SegmentFormat.End << 20)) >>> 0, data, lastFrom, n - lastFrom);
  return total;
}

function overlaps(a: number, aLength: number, b: number, bLength: number): boolean {
  return aLength > 0 && bLength > 0 && a < b + bLength && b < a + aLength;
}

/** Writes a packet carrying `count` (0..13) bytes of `data` from `from`, #bytes = count + 1. */
function writeTail(out: Uint32Array, dst: number, head: number, data: Uint8Array, from: number, count: number): void {
  out[dst] = (head | ((count + 1) << 16) | (count > 0 ? data[from]! : 0)) >>> 0;
  out[dst + 1] = 0;
  out[dst + 2] = 0;
  out[dst + 3] = 0;
  for (let i = 1; i < count; i++) {
    const b = i + 3;
    const w = dst + (b >>> 2);
    out[w] = (out[w]! | (data[from + i]! << (24 - 8 * (b & 3)))) >>> 0;
  }
}

/** The End packet that aborts an open SysEx8 message. */
export function encodeSysEx8Abort(options: SysEx8Options & { readonly previousDataValid: boolean }): Uint32Array {
  const group = checkRange('group', options.group, 0, 15);
  const streamId = checkRange('streamId', options.streamId, 0, 255);
  const count = options.previousDataValid ? SysEx8Abort.PreviousDataValid : SysEx8Abort.Incomplete;
  const w0 = (MessageType.Data128 << 28) | (group << 24) | (SegmentFormat.End << 20) | (count << 16) | (streamId << 8);
  return Uint32Array.of(w0 >>> 0, 0, 0, 0);
}

/** The abort kind of an End packet, or undefined if the packet is not an abort. */
function abortOf(words: Uint32Array, offset: number): SysEx8Packet['abort'] {
  const w0 = words[offset]!;
  if (((w0 >>> 20) & 0xf) !== SegmentFormat.End) return undefined;
  const count = (w0 >>> 16) & 0xf;
  if (count !== SysEx8Abort.PreviousDataValid && count !== SysEx8Abort.Incomplete) return undefined;
  if ((w0 & 0xff) !== 0 || words[offset + 1] !== 0 || words[offset + 2] !== 0 || words[offset + 3] !== 0) return undefined;
  return count === SysEx8Abort.PreviousDataValid ? 'previous-data-valid' : 'incomplete';
}

function badCount(group: number, streamId: number, count: number, wordIndex: number): UmpError {
  return new UmpError(UmpErrorCode.InvalidField, `SysEx8 group ${group} stream ${streamId}: #bytes ${count} is invalid (1..14, stream id included)`, {
    wordIndex,
    messageKind: 'sysex8',
    group,
    streamId,
  });
}

/** Decodes one SysEx8 packet (MT 0x5, status 0..3). */
export function decodeSysEx8Packet(words: Uint32Array, offset = 0, wordIndex = offset): SysEx8Packet {
  const w0 = words[offset]!;
  const group = (w0 >>> 24) & 0xf;
  const status = (w0 >>> 20) & 0xf;
  const byteCount = (w0 >>> 16) & 0xf;
  const streamId = (w0 >>> 8) & 0xff;
  if (status > SegmentFormat.End) {
    throw new UmpError(UmpErrorCode.InvalidField, `SysEx8 status ${status} is not 0..3`, { wordIndex, messageKind: 'sysex8', group, streamId });
  }
  const abort = abortOf(words, offset);
  if (abort) return { kind: 'sysex8', group, status: 'end', byteCount, streamId, data: new Uint8Array(0), abort };
  if (byteCount < 1 || byteCount > 14) throw badCount(group, streamId, byteCount, wordIndex);
  const data = packetBytes(words, offset, 3, byteCount - 1);
  return { kind: 'sysex8', group, status: segmentFormatName(status), byteCount, streamId, data };
}

/**
 * Reassembly step for the SysEx8 packet at `offset` (complete packets are available up to `end`).
 * Written for speed: after a Start or Continue, the following full Continue packets of the same
 * stream are appended in a tight loop. Returns the number of words consumed.
 */
export function acceptSysEx8(
  table: OpenMessageTable,
  words: Uint32Array,
  offset: number,
  end: number,
  wordIndex: number,
  sink: ErrorSink & { push(m: SysEx8Message): unknown },
): number {
  const w0 = words[offset]!;
  const group = (w0 >>> 24) & 0xf;
  const status = (w0 >>> 20) & 3;
  const count = (w0 >>> 16) & 0xf;
  const streamId = (w0 >>> 8) & 0xff;
  const key = sysEx8Key(group, streamId);
  if (count <= 1 || count > 14) {
    const abort = abortOf(words, offset);
    if (abort) {
      acceptAbort(table, key, abort, wordIndex, sink);
      return 4;
    }
    if (count !== 1) {
      rejectPacket(table, key, badCount(group, streamId, count, wordIndex), wordIndex, sink);
      return 4;
    }
  }
  const n = count - 1;
  const target = segmentTarget(table, key, status, n, table.limits.maxMessageBytes, wordIndex, sink);
  if (!target) return 4;
  const keep = table.limits.keepPackets;
  if (keep && !table.keepPackets(target, key, words, offset, 4, wordIndex, sink)) return 4;
  const p = target.length;
  const bytes = target.bytes;
  if (n === SYSEX8_BYTES_PER_PACKET) {
    const view = target.view;
    bytes[p] = w0 & 0xff;
    view.setUint32(p + 1, words[offset + 1]!);
    view.setUint32(p + 5, words[offset + 2]!);
    view.setUint32(p + 9, words[offset + 3]!);
  } else {
    for (let i = 0; i < n; i++) {
      const b = i + 3;
      bytes[p + i] = (words[offset + (b >>> 2)]! >>> (24 - 8 * (b & 3))) & 0xff;
    }
  }
  target.length = p + n;
  // Kept packets are recorded one at a time, so a recording reader takes the plain path.
  if (status === SegmentFormat.Start || status === SegmentFormat.Continue)
    return keep ? 4 : 4 + appendContinueRun(target, words, offset + 4, end, w0, table.limits.maxMessageBytes);
  const packets = finishedPackets(table, status, target);
  const data = segmentResult(table, key, status, target);
  if (data) sink.push(packets ? { kind: 'sysex8', group, streamId, data, packets } : { kind: 'sysex8', group, streamId, data });
  return 4;
}

/**
 * Appends the full (13-byte) Continue packets of the same group and stream that follow at `from`,
 * while they fit the message's current buffer and the size limit; anything else (growth, the limit,
 * other packets) is left to acceptSysEx8. Returns the words consumed. Runs of KERNEL_MIN_PACKETS
 * or more go through the SIMD kernel where it runs.
 */
function appendContinueRun(target: OpenMessage, words: Uint32Array, from: number, end: number, w0: number, maxBytes: number): number {
  const top = (w0 & 0xff00ff00) | (SegmentFormat.Continue << 20) | (14 << 16);
  const bytes = target.bytes;
  const view = target.view;
  const capacity = Math.min(bytes.length, maxBytes);
  let p = target.length;
  let i = from;
  if (kernel) {
    const room = Math.floor((capacity - p) / SYSEX8_BYTES_PER_PACKET);
    const available = (end - i) >>> 2;
    const k = room < available ? room : available;
    if (k >= KERNEL_MIN_PACKETS) {
      const done = kernel.unpack(bytes, p, words, i, k, top);
      p += done * SYSEX8_BYTES_PER_PACKET;
      i += done * 4;
      if (done < k) {
        target.length = p;
        return i - from;
      }
    }
  }
  while (i + 4 <= end && (words[i]! & 0xffffff00) === top && p + SYSEX8_BYTES_PER_PACKET <= capacity) {
    bytes[p] = words[i]! & 0xff;
    view.setUint32(p + 1, words[i + 1]!);
    view.setUint32(p + 5, words[i + 2]!);
    view.setUint32(p + 9, words[i + 3]!);
    p += SYSEX8_BYTES_PER_PACKET;
    i += 4;
  }
  target.length = p;
  return i - from;
}

function acceptAbort(table: OpenMessageTable, key: number, abort: NonNullable<SysEx8Packet['abort']>, wordIndex: number, sink: ErrorSink): void {
  const { label, context } = describeKey(key, wordIndex);
  const open = table.get(key);
  if (!open) {
    sink.push(new UmpError(UmpErrorCode.BadSequence, `${label}: abort (End) packet without Start; dropped`, context));
    return;
  }
  table.drop(key);
  if (open.skipping) return;
  const why = abort === 'previous-data-valid' ? 'previous data valid' : 'previous data incomplete';
  sink.push(new UmpError(UmpErrorCode.Aborted, `${label}: sender aborted the message (${why}); ${open.length} bytes discarded`, context));
}
