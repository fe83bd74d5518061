import { UmpError, UmpErrorCode, type UmpErrorContext } from './errors.ts';
import { SegmentFormat } from './mt.ts';

/** Limits of a reassembler; every field is optional, see DEFAULT_REASSEMBLY_LIMITS. */
export interface ReassemblyOptions {
  /** Largest reassembled message in bytes (SysEx7/8, MDS, Flex); protocol caps for stream names still apply. */
  readonly maxMessageBytes?: number;
  /** Most messages that may be open (started, not ended) at once, over all kinds, groups and streams. */
  readonly maxOpenStreams?: number;
  /** An open message with no packet for longer than this is discarded with a `timeout` error. */
  readonly timeoutMs?: number;
  /**
   * Most bytes held for open messages at once, over all of them (default maxOpenStreams ×
   * maxMessageBytes, i.e. no limit beyond those two). A message that would grow past it is discarded
   * with a `too-large` error, so many half-sent messages cannot add up to more than this.
   */
  readonly maxBufferedBytes?: number;
  /**
   * Complete SysEx7, SysEx8 and Flex Data messages carry `packets`: the words of the packets they
   * arrived in, in order (for recorders and taps that must keep the exact packets). Bounded like the
   * data: a message whose packets exceed 2 × maxMessageBytes + 64 bytes is discarded as `too-large`.
   */
  readonly keepPackets?: boolean;
  /** Clock in milliseconds (monotonic); injectable for tests. */
  readonly now?: () => number;
}

export interface ReassemblyLimits {
  readonly maxMessageBytes: number;
  readonly maxOpenStreams: number;
  readonly maxBufferedBytes: number;
  readonly keepPackets: boolean;
  readonly timeoutMs: number;
  readonly now: () => number;
}

export const DEFAULT_REASSEMBLY_LIMITS: Omit<ReassemblyLimits, 'maxBufferedBytes'> = Object.freeze({
  maxMessageBytes: 4 * 1024 * 1024,
  maxOpenStreams: 64,
  keepPackets: false,
  timeoutMs: 10_000,
  now: () => performance.now(),
});

function positive(name: string, value: number, allowInfinity: boolean): number {
  const ok = typeof value === 'number' && value > 0 && (Number.isInteger(value) || (allowInfinity && value === Infinity));
  if (!ok) throw new UmpError(UmpErrorCode.InvalidField, `${name} must be a positive integer, got ${String(value)}`);
  return value;
}

export function resolveLimits(options: ReassemblyOptions = {}): ReassemblyLimits {
  const d = DEFAULT_REASSEMBLY_LIMITS;
  const maxMessageBytes = positive('maxMessageBytes', options.maxMessageBytes ?? d.maxMessageBytes, false);
  const maxOpenStreams = positive('maxOpenStreams', options.maxOpenStreams ?? d.maxOpenStreams, false);
  return {
    maxMessageBytes,
    maxOpenStreams,
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes ?? maxMessageBytes * maxOpenStreams, false),
    keepPackets: options.keepPackets === true,
    timeoutMs: positive('timeoutMs', options.timeoutMs ?? d.timeoutMs, true),
    now: options.now ?? d.now,
  };
}

// ---------------------------------------------------------------------------------------------
// Keys: one number per logical stream, tagged by kind in bits 30..28.

const TAG_SHIFT = 28;
const Tag = { SysEx7: 1, SysEx8: 2, Mds: 3, Flex: 4, StreamText: 5 } as const;

export const sysEx7Key = (group: number): number => (Tag.SysEx7 << TAG_SHIFT) | group;
export const sysEx8Key = (group: number, streamId: number): number => (Tag.SysEx8 << TAG_SHIFT) | (group << 8) | streamId;
export const mdsKey = (group: number, mdsId: number): number => (Tag.Mds << TAG_SHIFT) | (group << 4) | mdsId;
export const flexKey = (group: number, addressing: number, channel: number, bank: number, status: number): number =>
  (Tag.Flex << TAG_SHIFT) | (group << 21) | (addressing << 20) | (channel << 16) | (bank << 8) | status;
export const streamTextKey = (status: number, functionBlock: number): number => (Tag.StreamText << TAG_SHIFT) | (status << 8) | functionBlock;

const STREAM_TEXT_KINDS: Readonly<Record<number, string>> = { 3: 'endpoint-name', 4: 'product-instance-id', 0x12: 'fb-name' };

/** A readable label and error context for a key. */
export function describeKey(key: number, wordIndex?: number): { label: string; context: UmpErrorContext } {
  const tag = key >>> TAG_SHIFT;
  switch (tag) {
    case Tag.SysEx7: {
      const group = key & 0xf;
      return { label: `SysEx7 group ${group}`, context: { wordIndex, messageKind: 'sysex7', group } };
    }
    case Tag.SysEx8: {
      const group = (key >>> 8) & 0xf;
      const streamId = key & 0xff;
      return {
        label: `SysEx8 group ${group} stream ${streamId}`,
        context: { wordIndex, messageKind: 'sysex8', group, streamId },
      };
    }
    case Tag.Mds: {
      const group = (key >>> 4) & 0xf;
      return { label: `Mixed Data Set group ${group} id ${key & 0xf}`, context: { wordIndex, messageKind: 'mds', group } };
    }
    case Tag.Flex: {
      const group = (key >>> 21) & 0xf;
      const where = (key >>> 20) & 1 ? 'group-addressed' : `channel ${(key >>> 16) & 0xf}`;
      return {
        label: `Flex Data group ${group} ${where} bank ${(key >>> 8) & 0xff} status ${key & 0xff}`,
        context: { wordIndex, messageKind: 'flex', group },
      };
    }
    default: {
      const kind = STREAM_TEXT_KINDS[(key >>> 8) & 0x3ff] ?? 'stream-text';
      const fb = kind === 'fb-name' ? ` function block ${key & 0xff}` : '';
      return { label: `${kind}${fb}`, context: { wordIndex, messageKind: kind } };
    }
  }
}

// ---------------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);
const NO_WORDS = new Uint32Array(0);
/** Finished messages' buffers are kept for reuse: at most this many, each at most POOL_MAX_BYTES. */
const POOL_SIZE = 4;
const POOL_MAX_BYTES = 256 * 1024;

/** One message being reassembled. `meta` holds kind-specific progress (e.g. MDS chunk counters). */
export class OpenMessage {
  bytes: Uint8Array = EMPTY;
  view: DataView = new DataView(EMPTY.buffer);
  length = 0;
  /** Set after a size violation: later packets of this message are dropped silently until its end. */
  skipping = false;
  /** Entered in the table (started, not ended): its buffer counts against maxBufferedBytes. */
  held = false;
  /** Words of the packets so far (`keepPackets` only). */
  packets: Uint32Array = NO_WORDS;
  packetWords = 0;
  meta: unknown = undefined;
  constructor(public lastSeen: number) {}

  /** Readies a pooled message for reuse (its buffer is kept, its contents are not). */
  reset(now: number): this {
    this.length = 0;
    this.packetWords = 0;
    this.skipping = false;
    this.held = false;
    this.meta = undefined;
    this.lastSeen = now;
    return this;
  }
}

/** What receives errors (and, for the reader, messages). */
export interface ErrorSink {
  push(error: UmpError): unknown;
}

/**
 * The open (started, not yet ended) messages of all kinds, with the limits enforced on them: at most
 * `maxOpenStreams` entries, each at most its byte limit, each discarded after `timeoutMs` of silence.
 * Memory held is bounded by maxOpenStreams × maxMessageBytes.
 */
export class OpenMessageTable {
  private readonly entries = new Map<number, OpenMessage>();
  private cacheKey = -1;
  private cacheEntry: OpenMessage | undefined = undefined;
  private readonly pool: OpenMessage[] = [];
  /** Buffer capacity (data and packet words) of the messages in `entries`. */
  private held = 0;
  /** Time of the packet being processed (read once per batch by the reader). */
  now = 0;

  constructor(readonly limits: ReassemblyLimits) {}

  /** Number of open messages. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of buffer capacity held by open messages (data, and packet words when kept). */
  get bufferedBytes(): number {
    return this.held;
  }

  get(key: number): OpenMessage | undefined {
    if (key === this.cacheKey) return this.cacheEntry;
    const e = this.entries.get(key);
    this.cacheKey = key;
    this.cacheEntry = e;
    return e;
  }

  /** Opens a message for `key` (which must not be open); reports too-many-streams and returns undefined if full. */
  open(key: number, wordIndex: number, sink: ErrorSink): OpenMessage | undefined {
    if (this.entries.size >= this.limits.maxOpenStreams) {
      this.expire(sink);
      if (this.entries.size >= this.limits.maxOpenStreams) {
        const { label, context } = describeKey(key, wordIndex);
        sink.push(
          new UmpError(UmpErrorCode.TooManyStreams, `${label}: cannot open another message, ${this.entries.size} already open (maxOpenStreams)`, context),
        );
        return undefined;
      }
    }
    const e = this.acquire();
    this.entries.set(key, e);
    e.held = true;
    this.held += heldBytes(e);
    this.cacheKey = key;
    this.cacheEntry = e;
    return e;
  }

  /**
   * Makes room for `n` more bytes in `e`; on exceeding `maxBytes` reports too-large, frees the buffer,
   * marks the message as skipping and returns false.
   */
  reserve(e: OpenMessage, key: number, n: number, maxBytes: number, wordIndex: number, sink: ErrorSink): boolean {
    e.lastSeen = this.now;
    const need = e.length + n;
    if (need > maxBytes) return this.discard(e, key, `message exceeds ${maxBytes} bytes`, wordIndex, sink);
    if (need > e.bytes.length) {
      const capacity = Math.min(maxBytes, Math.max(need, e.bytes.length * 2, 64));
      if (!this.fits(e, capacity - e.bytes.length)) return this.discard(e, key, this.overBudget(), wordIndex, sink);
      const grown = new Uint8Array(capacity);
      grown.set(e.bytes.subarray(0, e.length));
      if (e.held) this.held += capacity - e.bytes.length;
      e.bytes = grown;
      e.view = new DataView(grown.buffer);
    }
    return true;
  }

  /**
   * `keepPackets`: appends the `count` words at `offset` (whole packets of `e`); past the packet bound
   * the message is discarded as for its data (false).
   */
  keepPackets(e: OpenMessage, key: number, words: Uint32Array, offset: number, count: number, wordIndex: number, sink: ErrorSink): boolean {
    const need = e.packetWords + count;
    const maxWords = Math.floor((2 * this.limits.maxMessageBytes + 64) / 4);
    if (need > maxWords) return this.discard(e, key, `its packets exceed ${maxWords * 4} bytes`, wordIndex, sink);
    if (need > e.packets.length) {
      const capacity = Math.min(maxWords, Math.max(need, e.packets.length * 2, 16));
      if (!this.fits(e, 4 * (capacity - e.packets.length))) return this.discard(e, key, this.overBudget(), wordIndex, sink);
      const grown = new Uint32Array(capacity);
      grown.set(e.packets.subarray(0, e.packetWords));
      if (e.held) this.held += 4 * (capacity - e.packets.length);
      e.packets = grown;
    }
    e.packets.set(words.subarray(offset, offset + count), e.packetWords);
    e.packetWords = need;
    return true;
  }

  /** The packets kept for `e` (a copy: the buffer stays with the message). */
  packetsOf(e: OpenMessage): Uint32Array {
    return e.packets.slice(0, e.packetWords);
  }

  /** Whether `e` may grow by `more` bytes within maxBufferedBytes (only open messages count). */
  private fits(e: OpenMessage, more: number): boolean {
    return !e.held || this.held + more <= this.limits.maxBufferedBytes;
  }

  private overBudget(): string {
    return `open messages would hold more than ${this.limits.maxBufferedBytes} bytes (maxBufferedBytes)`;
  }

  /** Reports too-large, frees the message's buffers and marks it as skipping; always false. */
  private discard(e: OpenMessage, key: number, why: string, wordIndex: number, sink: ErrorSink): false {
    const { label, context } = describeKey(key, wordIndex);
    sink.push(new UmpError(UmpErrorCode.TooLarge, `${label}: ${why}; discarded`, context));
    if (e.held) this.held -= heldBytes(e);
    e.skipping = true;
    e.bytes = EMPTY;
    e.view = new DataView(EMPTY.buffer);
    e.length = 0;
    e.packets = NO_WORDS;
    e.packetWords = 0;
    return false;
  }

  /** A message object for a new message, from the pool when one is there (not entered in the table). */
  acquire(): OpenMessage {
    return (this.pool.pop() ?? new OpenMessage(this.now)).reset(this.now);
  }

  /**
   * The finished bytes of `e`, trimmed to length. A buffer small enough for the pool is copied out and
   * kept for the next message; a larger one that is exactly full is handed over without a copy.
   */
  finish(e: OpenMessage): Uint8Array {
    if (this.pool.length < POOL_SIZE && heldBytes(e) <= POOL_MAX_BYTES) {
      this.pool.push(e);
      return e.bytes.slice(0, e.length);
    }
    if (e.length === e.bytes.length) return e.bytes;
    return e.bytes.slice(0, e.length);
  }

  /** Removes `key` and returns its bytes, trimmed to length. */
  close(key: number): Uint8Array {
    const e = this.get(key);
    this.drop(key);
    return e ? this.finish(e) : EMPTY;
  }

  drop(key: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.release(e);
    if (key === this.cacheKey) this.cacheEntry = undefined;
  }

  /** A message leaves the table: its buffers no longer count as held. */
  private release(e: OpenMessage): void {
    if (!e.held) return;
    e.held = false;
    this.held -= heldBytes(e);
  }

  /** Discards the open message of `key` (if any) and reports `error`. */
  fail(key: number, error: UmpError, sink: ErrorSink): void {
    this.drop(key);
    sink.push(error);
  }

  /** Reports and discards every message silent for longer than timeoutMs. */
  expire(sink: ErrorSink): void {
    const { timeoutMs } = this.limits;
    if (timeoutMs === Infinity || this.entries.size === 0) return;
    for (const [key, e] of this.entries) {
      const silent = this.now - e.lastSeen;
      if (silent > timeoutMs) {
        this.drop(key);
        if (e.skipping) continue;
        const { label, context } = describeKey(key);
        sink.push(new UmpError(UmpErrorCode.Timeout, `${label}: no packet for ${Math.round(silent)} ms (timeoutMs ${timeoutMs}); discarded`, context));
      }
    }
  }

  /** End of input: reports every open message as truncated and forgets it. */
  flush(sink: ErrorSink): void {
    for (const [key, e] of this.entries) {
      if (e.skipping) continue;
      const { label, context } = describeKey(key);
      sink.push(new UmpError(UmpErrorCode.Truncated, `${label}: input ended inside the message`, context));
    }
    for (const e of this.entries.values()) this.release(e);
    this.entries.clear();
    this.cacheKey = -1;
    this.cacheEntry = undefined;
  }
}

/**
 * Applies Complete/Start/Continue/End sequencing for a packet carrying `n` data bytes. Returns the
 * message to append the bytes to, or undefined if the packet is dropped (errors go to `sink`).
 * A Complete packet gets a fresh message that is not entered in the table.
 */
export function segmentTarget(
  table: OpenMessageTable,
  key: number,
  format: number,
  n: number,
  maxBytes: number,
  wordIndex: number,
  sink: ErrorSink,
): OpenMessage | undefined {
  const open = table.get(key);
  if (format === SegmentFormat.Continue || format === SegmentFormat.End) {
    if (!open) {
      const { label, context } = describeKey(key, wordIndex);
      const which = format === SegmentFormat.End ? 'End' : 'Continue';
      sink.push(new UmpError(UmpErrorCode.BadSequence, `${label}: ${which} packet without Start; dropped`, context));
      return undefined;
    }
    if (open.skipping) {
      open.lastSeen = table.now;
      if (format === SegmentFormat.End) table.drop(key);
      return undefined;
    }
    return table.reserve(open, key, n, maxBytes, wordIndex, sink) ? open : undefined;
  }
  if (open) {
    table.drop(key);
    if (!open.skipping) {
      const { label, context } = describeKey(key, wordIndex);
      const which = format === SegmentFormat.Start ? 'Start' : 'Complete';
      sink.push(new UmpError(UmpErrorCode.BadSequence, `${label}: ${which} packet while a message was open; the open message is discarded`, context));
    }
  }
  if (format === SegmentFormat.Complete) {
    const single = table.acquire();
    return table.reserve(single, key, n, maxBytes, wordIndex, sink) ? single : undefined;
  }
  const started = table.open(key, wordIndex, sink);
  if (!started) return undefined;
  return table.reserve(started, key, n, maxBytes, wordIndex, sink) ? started : undefined;
}

/** `keepPackets`: the packets of a message that the packet at hand (Complete or End) finishes; else undefined. */
export function finishedPackets(table: OpenMessageTable, format: number, target: OpenMessage): Uint32Array | undefined {
  if (!table.limits.keepPackets || (format !== SegmentFormat.Complete && format !== SegmentFormat.End)) return undefined;
  return table.packetsOf(target);
}

/** After appending a packet's bytes: the finished message's bytes for Complete/End, else undefined. */
export function segmentResult(table: OpenMessageTable, key: number, format: number, target: OpenMessage): Uint8Array | undefined {
  if (format === SegmentFormat.Complete) return table.finish(target);
  if (format === SegmentFormat.End) return table.close(key);
  return undefined;
}

/** Bytes of buffer a message holds (data and kept packets). */
function heldBytes(e: OpenMessage): number {
  return e.bytes.length + 4 * e.packets.length;
}

/** Appends bytes to a reserved message. */
export function appendBytes(target: OpenMessage, src: Uint8Array): void {
  target.bytes.set(src, target.length);
  target.length += src.length;
}

/**
 * Reports a malformed packet of the message stream `key`: the open message (if any) is discarded
 * with it, since it can no longer be completed correctly.
 */
export function rejectPacket(table: OpenMessageTable, key: number, err: unknown, wordIndex: number, sink: ErrorSink): void {
  const { label, context } = describeKey(key, wordIndex);
  const code = err instanceof UmpError ? err.code : UmpErrorCode.InvalidField;
  const text = err instanceof Error ? err.message : String(err);
  const open = table.get(key);
  const message = open && !open.skipping ? `${text}; the open ${label} message is discarded` : text;
  table.fail(key, new UmpError(code, message, context), sink);
}
