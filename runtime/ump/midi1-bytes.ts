/**
 * MIDI 1.0 byte stream ⇄ UMP, after the MIDI Association's "UMP and MIDI 1.0 Protocol" translation:
 * system common and real-time ⇄ MT 0x1, channel voice ⇄ MT 0x2, SysEx `F0 … F7` ⇄ MT 0x3 packets
 * (6 data bytes each, F0/F7 not carried). `Midi1ByteReader` cuts a byte stream into complete messages,
 * `midi1ToUmp` translates one, `UmpToMidi1` translates packets back. Every bound is fixed up front and
 * every malformed input yields a typed error, never an exception out of a stream.
 */
import { UmpError, UmpErrorCode, type UmpErrorContext } from './errors.ts';
import { isStatusByte, midi1Shape } from './midi1-status.ts';
import { MessageType, SegmentFormat, packetWordCount } from './mt.ts';
import { SYSEX7_BYTES_PER_PACKET, packSysEx7 } from './sysex7.ts';

export const Midi1ErrorCode = {
  /** A data byte arrived with no status to give it meaning (no running status). */
  NoStatus: 'no-status',
  /** A status byte arrived before the message in progress (or a SysEx without its F7) was complete. */
  Interrupted: 'interrupted',
  /** F7 (end of SysEx) with no SysEx open. */
  StrayEox: 'stray-eox',
  /** F4, F5, F9 or FD: status bytes MIDI 1.0 leaves undefined. */
  UndefinedStatus: 'undefined-status',
  /** A SysEx longer than the reader's bound; its bytes are dropped up to the next status byte. */
  TooLarge: 'too-large',
  /** A message handed to `midi1ToUmp` that is not one complete, well-formed MIDI 1.0 message. */
  InvalidMessage: 'invalid-message',
} as const;
export type Midi1ErrorCode = (typeof Midi1ErrorCode)[keyof typeof Midi1ErrorCode];

/** A malformed MIDI 1.0 byte stream or message: what, and at which byte. */
export class Midi1Error extends Error {
  override readonly name = 'Midi1Error';
  constructor(
    readonly code: Midi1ErrorCode,
    message: string,
    /** Offset of the offending byte: in the whole stream (reader) or in the message (`midi1ToUmp`). */
    readonly offset: number,
  ) {
    super(`${message} (byte ${offset})`);
  }
}

/** Default largest SysEx, F0 and F7 included. */
export const DEFAULT_MAX_SYSEX_BYTES = 1024 * 1024;

export interface Midi1ByteReaderOptions {
  /** Largest SysEx the reader holds, F0 and F7 included (default 1 MiB). */
  readonly maxSysExBytes?: number;
}

/** What `Midi1ByteReader.push` yields: complete messages, or errors (the stream goes on after each). */
export type Midi1ReadResult = Uint8Array | Midi1Error;

const SYSEX_START = 0xf0;
const SYSEX_END = 0xf7;

const hex = (b: number): string => b.toString(16).padStart(2, '0');

function isUndefinedStatus(b: number): boolean {
  return b === 0xf4 || b === 0xf5 || b === 0xf9 || b === 0xfd;
}

/**
 * Builds an error of a stream without a stack trace: its place is a byte offset or word index, and hostile
 * input can make one error every few bytes, where capturing stacks would cost ten times the parsing.
 */
function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function checkMaxSysEx(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_SYSEX_BYTES;
  if (!Number.isSafeInteger(value) || value < 2) throw new RangeError(`maxSysExBytes must be an integer ≥ 2, got ${String(value)}`);
  return value;
}

/**
 * A streaming MIDI 1.0 byte parser. Push bytes as they arrive, in chunks of any size; each push returns
 * the messages completed by it: running status expanded, each real-time byte (F8–FF) as a message of its
 * own at the point it arrived (even inside another message or a SysEx), a SysEx whole from F0 to F7.
 * Malformed input yields a `Midi1Error` in the results, and the reader resynchronises at the next status
 * byte; a run of stray data bytes is reported once.
 */
export class Midi1ByteReader {
  private readonly maxSysExBytes: number;
  /** Bytes seen so far: the stream offset of the next byte. */
  private offset = 0;
  /** The status of the message in progress or, between messages, the running status (0: none). */
  private status = 0;
  /** Data bytes the status takes. */
  private need = 0;
  /** Data bytes of the message in progress gathered so far. */
  private have = 0;
  private data1 = 0;
  /** A message is in progress (a status, or a running-status data byte, has started it). */
  private open = false;
  /** Inside a SysEx; `sysex` holds it from F0 on, unless it outgrew the bound (`sysexDropping`). */
  private inSysEx = false;
  private sysexDropping = false;
  private sysex = new Uint8Array(64);
  private sysexLength = 0;
  /** Stray data bytes after an error are reported once, not once each. */
  private skipping = false;

  constructor(options: Midi1ByteReaderOptions = {}) {
    this.maxSysExBytes = checkMaxSysEx(options.maxSysExBytes);
  }

  /** Bytes held for the SysEx in progress (at most the bound). */
  get bufferedBytes(): number {
    return this.sysexLength;
  }

  /** A message has begun and not ended (a status short of its data bytes, a SysEx before its F7): what a stream that ends here would lose. */
  get incomplete(): boolean {
    return this.open || this.inSysEx;
  }

  push(bytes: Uint8Array): Midi1ReadResult[] {
    const out: Midi1ReadResult[] = [];
    for (let i = 0; i < bytes.length; i++, this.offset++) this.byte(bytes[i]!, out);
    return out;
  }

  private byte(b: number, out: Midi1ReadResult[]): void {
    if (b >= 0xf8) return this.realTime(b, out);
    if (!isStatusByte(b)) return this.inSysEx ? this.sysexData(b, out) : this.data(b, out);
    this.skipping = false;
    if (this.inSysEx) {
      if (b === SYSEX_END) return this.endSysEx(out);
      // A SysEx already dropped for its size was reported then.
      if (!this.sysexDropping) out.push(this.error(Midi1ErrorCode.Interrupted, `status ${hex(b)} inside a SysEx before its F7; the SysEx is dropped`));
      this.closeSysEx();
    } else if (this.open) {
      out.push(this.error(Midi1ErrorCode.Interrupted, `status ${hex(b)} before ${hex(this.status)}'s ${this.need} data bytes; the message is dropped`));
    }
    this.open = false;
    this.have = 0;
    if (b < 0xf0) return this.begin(b, this.channelDataBytes(b));
    // Every system common byte, defined or not, ends running status.
    this.status = 0;
    if (b === SYSEX_START) {
      this.inSysEx = true;
      this.sysexDropping = false;
      this.sysexLength = 0;
      this.appendSysEx(b);
      return;
    }
    if (b === SYSEX_END) return void out.push(this.error(Midi1ErrorCode.StrayEox, 'F7 (end of SysEx) with no SysEx open'));
    if (isUndefinedStatus(b)) return void out.push(this.error(Midi1ErrorCode.UndefinedStatus, `status ${hex(b)} is undefined in MIDI 1.0`));
    const shape = midi1Shape(b);
    const dataBytes = shape.kind === 'system-common' ? shape.dataBytes : 0;
    if (dataBytes === 0) return void out.push(Uint8Array.of(b));
    this.begin(b, dataBytes);
  }

  private channelDataBytes(status: number): number {
    const shape = midi1Shape(status);
    return shape.kind === 'channel' ? shape.dataBytes : 0;
  }

  private begin(status: number, need: number): void {
    this.status = status;
    this.need = need;
    this.have = 0;
    this.open = true;
  }

  private data(b: number, out: Midi1ReadResult[]): void {
    if (!this.open) {
      // Running status: a channel status stays in force for the data bytes that follow its message.
      if (this.status === 0) {
        if (!this.skipping) out.push(this.error(Midi1ErrorCode.NoStatus, `data byte ${hex(b)} with no status (no running status)`));
        this.skipping = true;
        return;
      }
      this.open = true;
      this.have = 0;
    }
    if (this.have === 0) this.data1 = b;
    this.have++;
    if (this.have < this.need) return;
    out.push(this.need === 1 ? Uint8Array.of(this.status, this.data1) : Uint8Array.of(this.status, this.data1, b));
    this.open = false;
    this.have = 0;
    if (this.status >= 0xf0) this.status = 0;
  }

  private realTime(b: number, out: Midi1ReadResult[]): void {
    // Real-time bytes interrupt nothing: the message in progress goes on after them.
    if (isUndefinedStatus(b)) out.push(this.error(Midi1ErrorCode.UndefinedStatus, `real-time status ${hex(b)} is undefined in MIDI 1.0`));
    else out.push(Uint8Array.of(b));
  }

  private sysexData(b: number, out: Midi1ReadResult[]): void {
    if (this.sysexDropping) return;
    if (this.sysexLength + 1 >= this.maxSysExBytes) {
      // Room must remain for the F7.
      this.sysexDropping = true;
      this.sysexLength = 0;
      this.sysex = new Uint8Array(64);
      out.push(this.error(Midi1ErrorCode.TooLarge, `SysEx longer than ${this.maxSysExBytes} bytes (F0 and F7 included); dropped`));
      return;
    }
    this.appendSysEx(b);
  }

  private endSysEx(out: Midi1ReadResult[]): void {
    if (!this.sysexDropping) {
      this.appendSysEx(SYSEX_END);
      out.push(this.sysex.slice(0, this.sysexLength));
    }
    this.closeSysEx();
  }

  private closeSysEx(): void {
    this.inSysEx = false;
    this.sysexDropping = false;
    this.sysexLength = 0;
    if (this.sysex.length > 4096) this.sysex = new Uint8Array(64);
  }

  private appendSysEx(b: number): void {
    if (this.sysexLength === this.sysex.length) {
      const grown = new Uint8Array(Math.min(this.sysex.length * 2, this.maxSysExBytes));
      grown.set(this.sysex);
      this.sysex = grown;
    }
    this.sysex[this.sysexLength++] = b;
  }

  private error(code: Midi1ErrorCode, message: string): Midi1Error {
    return withoutStack(() => new Midi1Error(code, message, this.offset));
  }
}

function invalid(message: string, offset: number): Midi1Error {
  return new Midi1Error(Midi1ErrorCode.InvalidMessage, message, offset);
}

/** A one-word MT 0x1 / 0x2 packet of a status and up to two data bytes. */
function shortPacket(mt: number, group: number, message: Uint8Array): number {
  return ((mt << 28) | (group << 24) | (message[0]! << 16) | ((message[1] ?? 0) << 8) | (message[2] ?? 0)) >>> 0;
}

/**
 * One complete MIDI 1.0 message (a status and its data bytes, or a SysEx `F0 … F7`) as UMP on `group`:
 * MT 0x1 for system common and real-time, MT 0x2 for channel voice, MT 0x3 packets for a SysEx.
 * Throws `Midi1Error` ('invalid-message') for anything else: running status, a wrong length, an
 * undefined status (F4, F5, F9, FD), a data byte ≥ 0x80.
 */
export function midi1ToUmp(message: Uint8Array, group = 0): Uint32Array {
  if (!Number.isInteger(group) || group < 0 || group > 15) throw new RangeError(`group must be an integer in 0..15, got ${String(group)}`);
  if (!(message instanceof Uint8Array) || message.length === 0) throw invalid('empty MIDI 1.0 message', 0);
  const status = message[0]!;
  if (!isStatusByte(status)) throw invalid(`message starts with data byte ${hex(status)}, not a status (running status is not a message)`, 0);
  if (isUndefinedStatus(status)) throw invalid(`status ${hex(status)} is undefined in MIDI 1.0 and has no UMP form`, 0);
  const shape = midi1Shape(status);
  if (shape.kind === 'sysex-end') throw invalid('F7 (end of SysEx) without F0', 0);
  if (shape.kind === 'sysex-start') {
    const last = message.length - 1;
    if (last < 1 || message[last] !== SYSEX_END) throw invalid('SysEx does not end with F7', last);
    for (let i = 1; i < last; i++) if (isStatusByte(message[i]!)) throw invalid(`byte ${hex(message[i]!)} inside a SysEx is not 7-bit`, i);
    return packSysEx7(message.subarray(1, last), { group });
  }
  const dataBytes = shape.kind === 'real-time' ? 0 : shape.dataBytes;
  if (message.length !== 1 + dataBytes)
    throw invalid(`status ${hex(status)} takes ${dataBytes} data bytes, got ${message.length - 1}`, Math.min(message.length, 1 + dataBytes));
  for (let i = 1; i < message.length; i++) if (isStatusByte(message[i]!)) throw invalid(`data byte ${hex(message[i]!)} is not 7-bit`, i);
  return Uint32Array.of(shortPacket(shape.kind === 'channel' ? MessageType.Midi1ChannelVoice : MessageType.System, group, message));
}

function umpError(...args: ConstructorParameters<typeof UmpError>): UmpError {
  return withoutStack(() => new UmpError(...args));
}

/** UMP that has no MIDI 1.0 form (MIDI 2.0 channel voice, SysEx8, Flex Data, UMP Stream, utility…), kept whole. */
export class ForeignUmp {
  constructor(readonly words: Uint32Array) {}
}

/** What `UmpToMidi1.push` yields, in arrival order. */
export type UmpToMidi1Result = Uint8Array | ForeignUmp | UmpError;

export interface UmpToMidi1Options {
  /** Largest SysEx reassembled, F0 and F7 included (default 1 MiB). */
  readonly maxSysExBytes?: number;
}

/** A SysEx7 being reassembled on one group. */
interface OpenSysEx {
  /** F0, the data so far, and room for F7. */
  bytes: Uint8Array;
  length: number;
  dropping: boolean;
}

/**
 * UMP → MIDI 1.0 messages, streaming. MT 0x1 and 0x2 packets become their message; MT 0x3 packets are
 * reassembled per group into a SysEx `F0 … F7` (bounded). Packets of every other type come back as
 * `ForeignUmp`, so a caller tells "no MIDI 1.0 form" from a translation. Malformed packets (a bad
 * status, a broken Start/Continue/End sequence, 8-bit data, an oversized SysEx, a packet cut short)
 * come back as `UmpError`; the translation goes on with the next packet.
 */
export class UmpToMidi1 {
  private readonly maxSysExBytes: number;
  private readonly open: (OpenSysEx | undefined)[] = new Array<OpenSysEx | undefined>(16).fill(undefined);
  private wordIndex = 0;

  constructor(options: UmpToMidi1Options = {}) {
    this.maxSysExBytes = checkMaxSysEx(options.maxSysExBytes);
  }

  /** Bytes held for SysEx messages not yet complete. */
  get bufferedBytes(): number {
    return this.open.reduce((n, s) => n + (s && !s.dropping ? s.length : 0), 0);
  }

  push(words: Uint32Array): UmpToMidi1Result[] {
    const out: UmpToMidi1Result[] = [];
    let i = 0;
    while (i < words.length) {
      const w0 = words[i]!;
      const size = packetWordCount(w0);
      const at = this.wordIndex + i;
      if (i + size > words.length) {
        out.push(umpError(UmpErrorCode.Truncated, `packet of MT ${(w0 >>> 28).toString(16)} needs ${size} words, ${words.length - i} left`, { wordIndex: at }));
        break;
      }
      const mt = w0 >>> 28;
      if (mt === MessageType.System || mt === MessageType.Midi1ChannelVoice) this.short(w0, at, out);
      else if (mt === MessageType.Data64) this.sysex7(words, i, at, out);
      else out.push(new ForeignUmp(words.slice(i, i + size)));
      i += size;
    }
    this.wordIndex += words.length;
    return out;
  }

  private short(w0: number, wordIndex: number, out: UmpToMidi1Result[]): void {
    const mt = w0 >>> 28;
    const status = (w0 >>> 16) & 0xff;
    const context = { wordIndex, messageKind: mt === MessageType.System ? 'system' : 'midi1-channel-voice', group: (w0 >>> 24) & 0xf };
    const channel = status >= 0x80 && status < 0xf0;
    const valid = mt === MessageType.Midi1ChannelVoice ? channel : status >= 0xf1 && status !== SYSEX_END && !isUndefinedStatus(status);
    if (!valid) return void out.push(umpError(UmpErrorCode.InvalidField, `status ${hex(status)} is not valid in an MT ${mt} packet`, context));
    const shape = midi1Shape(status);
    const dataBytes = shape.kind === 'channel' || shape.kind === 'system-common' ? shape.dataBytes : 0;
    const message = new Uint8Array(1 + dataBytes);
    message[0] = status;
    for (let k = 1; k <= dataBytes; k++) {
      const b = (w0 >>> (16 - 8 * k)) & 0xff;
      if (b > 0x7f) return void out.push(umpError(UmpErrorCode.InvalidField, `data byte ${hex(b)} of status ${hex(status)} is not 7-bit`, context));
      message[k] = b;
    }
    out.push(message);
  }

  private sysex7(words: Uint32Array, offset: number, wordIndex: number, out: UmpToMidi1Result[]): void {
    const w0 = words[offset]!;
    const w1 = words[offset + 1]!;
    const group = (w0 >>> 24) & 0xf;
    const format = (w0 >>> 20) & 0xf;
    const count = (w0 >>> 16) & 0xf;
    const fault = sysEx7Fault(w0, w1, format, count);
    if (fault !== undefined) {
      this.open[group] = undefined;
      return void out.push(umpError(UmpErrorCode.InvalidField, `SysEx7 group ${group}: ${fault}`, sysEx7Context(wordIndex, group)));
    }
    const current = this.open[group];
    const starts = format === SegmentFormat.Complete || format === SegmentFormat.Start;
    if (starts && current) {
      out.push(
        umpError(
          UmpErrorCode.BadSequence,
          `SysEx7 group ${group}: a new message began before the open one ended; the open one is dropped`,
          sysEx7Context(wordIndex, group),
        ),
      );
    } else if (!starts && !current) {
      return void out.push(
        umpError(
          UmpErrorCode.BadSequence,
          `SysEx7 group ${group}: ${format === SegmentFormat.End ? 'End' : 'Continue'} without Start`,
          sysEx7Context(wordIndex, group),
        ),
      );
    }
    const message = starts ? { bytes: new Uint8Array(8), length: 1, dropping: false } : current!;
    if (starts) message.bytes[0] = SYSEX_START;
    this.open[group] = message;
    if (!message.dropping) {
      // `length` counts F0 and the data; the F7 to come must fit too.
      const needed = message.length + count + 1;
      if (needed > this.maxSysExBytes) {
        message.dropping = true;
        message.bytes = new Uint8Array(0);
        out.push(
          umpError(
            UmpErrorCode.TooLarge,
            `SysEx7 group ${group}: longer than ${this.maxSysExBytes} bytes (F0 and F7 included); dropped`,
            sysEx7Context(wordIndex, group),
          ),
        );
      } else {
        if (needed > message.bytes.length) {
          const grown = new Uint8Array(Math.min(Math.max(message.bytes.length * 2, needed), this.maxSysExBytes));
          grown.set(message.bytes.subarray(0, message.length));
          message.bytes = grown;
        }
        for (let k = 0; k < count; k++) message.bytes[message.length + k] = sysEx7Byte(w0, w1, k);
        message.length += count;
      }
    }
    if (format !== SegmentFormat.Complete && format !== SegmentFormat.End) return;
    this.open[group] = undefined;
    if (message.dropping) return;
    const bytes = message.bytes.slice(0, message.length + 1);
    bytes[message.length] = SYSEX_END;
    out.push(bytes);
  }
}

/** Where a SysEx7 error happened (built on the error path only: this file's hot paths make no closures). */
function sysEx7Context(wordIndex: number, group: number): UmpErrorContext {
  return { wordIndex, messageKind: 'sysex7', group };
}

/** Data byte `k` (0..5) of a SysEx7 packet: word 0 holds bytes 0–1, word 1 bytes 2–5. */
function sysEx7Byte(w0: number, w1: number, k: number): number {
  return k < 2 ? (w0 >>> (8 - 8 * k)) & 0xff : (w1 >>> (24 - 8 * (k - 2))) & 0xff;
}

/**
 * What makes a SysEx7 packet invalid (the checks of `decodeSysEx7Packet`, without its allocations and
 * its thrown error: this runs once per packet of every SysEx), or undefined.
 */
function sysEx7Fault(w0: number, w1: number, format: number, count: number): string | undefined {
  if (format > SegmentFormat.End) return `status ${format} is reserved`;
  if (count > SYSEX7_BYTES_PER_PACKET) return `#bytes ${count} exceeds ${SYSEX7_BYTES_PER_PACKET}`;
  for (let k = 0; k < count; k++) {
    const b = sysEx7Byte(w0, w1, k);
    if (b > 0x7f) return `data byte 0x${hex(b)} is not 7-bit`;
  }
  return undefined;
}
