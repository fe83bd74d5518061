import { UmpError, UmpErrorCode } from './errors.ts';
import { acceptFlex } from './flex.ts';
import { acceptMds } from './mds.ts';
import type { UmpMessage } from './message.ts';
import { packetWordCount } from './mt.ts';
import { Route, routeOf } from './parser.ts';
import { acceptStreamText, decodeStreamPacket, type StreamMessage } from './stream.ts';
import { acceptSysEx7 } from './sysex7.ts';
import { acceptSysEx8 } from './sysex8.ts';
import { OpenMessageTable, resolveLimits, type ReassemblyLimits, type ReassemblyOptions } from './table.ts';
import { decodeUtility, type UtilityMessage } from './utility.ts';
import { tryWordArray } from './words.ts';

/** What the reader emits: a complete message, or a typed error about the input. */
export type UmpEvent = UmpMessage | UmpError;

/**
 * Word stream → complete messages. Every packet is sized by its MT (reserved ones too), so unknown
 * traffic is passed on as `unknown` rather than misread. Multi-packet messages (SysEx7, SysEx8 per
 * group and stream id, Mixed Data Sets, Flex Data, endpoint / function block names, product instance
 * id) are reassembled under `ReassemblyOptions` limits. A violation yields a UmpError and discards only
 * the message concerned; other streams continue. Input may be split anywhere, even inside a packet.
 */
export class UmpReader {
  readonly limits: ReassemblyLimits;
  private readonly table: OpenMessageTable;
  private readonly pending = new Uint32Array(4);
  private pendingLength = 0;
  /** Words consumed by earlier push() calls. */
  private consumed = 0;

  constructor(options: ReassemblyOptions = {}) {
    this.limits = resolveLimits(options);
    this.table = new OpenMessageTable(this.limits);
  }

  /** Messages open (started, not yet complete). */
  get openMessages(): number {
    return this.table.size;
  }

  /**
   * Buffer bytes held for open messages (at most maxOpenStreams × maxMessageBytes). Besides these, up
   * to four finished buffers of at most 256 KiB each are kept for reuse.
   */
  get bufferedBytes(): number {
    return this.table.bufferedBytes;
  }

  /** Words of an incomplete packet kept until the next push (0..3). */
  get pendingWords(): number {
    return this.pendingLength;
  }

  /** Feeds words; returns the messages completed and the errors found, in input order. */
  push(input: Uint32Array | readonly number[]): UmpEvent[] {
    const words = tryWordArray(input);
    if (words instanceof UmpError) return [words];
    const out: UmpEvent[] = [];
    this.table.now = this.limits.now();
    this.table.expire(out);
    const base = this.consumed;
    this.consumed += words.length;
    let i = 0;
    if (this.pendingLength > 0) {
      const size = packetWordCount(this.pending[0]!);
      const take = Math.min(size - this.pendingLength, words.length);
      this.pending.set(words.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      i = take;
      if (this.pendingLength < size) return out;
      this.pendingLength = 0;
      this.dispatch(this.pending, 0, size, base - (size - take), out);
    }
    const n = words.length;
    while (i < n) {
      const size = packetWordCount(words[i]!);
      if (i + size > n) {
        this.pending.set(words.subarray(i));
        this.pendingLength = n - i;
        break;
      }
      i += this.dispatch(words, i, n, base + i, out);
    }
    return out;
  }

  /** Reports (and discards) open messages that have timed out, without waiting for more input. */
  expire(): UmpError[] {
    const out: UmpError[] = [];
    this.table.now = this.limits.now();
    this.table.expire(out);
    return out;
  }

  /** End of input: an incomplete packet and every open message are reported as `truncated`; the reader is reset. */
  finish(): UmpError[] {
    const out: UmpError[] = [];
    if (this.pendingLength > 0) {
      out.push(truncatedPacket(this.pending[0]!, this.pendingLength, this.consumed - this.pendingLength));
      this.pendingLength = 0;
    }
    this.table.flush(out);
    this.consumed = 0;
    return out;
  }

  /** Handles the packet at `offset` (complete packets end at `end`); returns the words consumed. */
  private dispatch(words: Uint32Array, offset: number, end: number, wordIndex: number, out: UmpEvent[]): number {
    const w0 = words[offset]!;
    switch (routeOf(w0)) {
      case Route.SysEx8:
        return acceptSysEx8(this.table, words, offset, end, wordIndex, out);
      case Route.Utility:
        out.push(decodeUtility(w0) as UtilityMessage);
        break;
      case Route.SysEx7:
        acceptSysEx7(this.table, words, offset, wordIndex, out);
        break;
      case Route.Mds:
        acceptMds(this.table, words, offset, wordIndex, out);
        break;
      case Route.Flex:
        acceptFlex(this.table, words, offset, wordIndex, out);
        break;
      case Route.StreamText:
        acceptStreamText(this.table, words, offset, wordIndex, out);
        break;
      case Route.Stream:
        out.push(decodeStreamPacket(words, offset) as StreamMessage); // Route.Stream: never a text packet
        break;
      default:
        out.push({ kind: 'unknown', mt: w0 >>> 28, words: words.slice(offset, offset + packetWordCount(w0)) });
    }
    return packetWordCount(w0);
  }
}

function truncatedPacket(w0: number, have: number, wordIndex: number): UmpError {
  return new UmpError(UmpErrorCode.Truncated, `input ended inside an MT 0x${(w0 >>> 28).toString(16)} packet (${have} of ${packetWordCount(w0)} words)`, {
    wordIndex,
  });
}

/** Reads a whole word stream at once: push + finish. */
export function readUmp(words: Uint32Array | readonly number[], options: ReassemblyOptions = {}): UmpEvent[] {
  const reader = new UmpReader(options);
  return [...reader.push(words), ...reader.finish()];
}
