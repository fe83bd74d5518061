/**
 * A `Midi1Port` over an RtMidi input and/or output: checks what comes in, paces what goes out so the
 * ALSA sequencer's small per-client queues are not overrun.
 */
import type { LinkDown } from '../link.ts';
import { TransportError } from '../link.ts';
import type { Midi1Port } from '../midi1-port.ts';
import { checkMidi1Message } from './message.ts';
import { messageOf, type RtMidiInput, type RtMidiOutput } from './native.ts';

/**
 * The largest message a MIDI port sends, F0 to F7. The ALSA sequencer hands a SysEx to a receiving
 * application in one event stored in that client's input pool: 200 cells of 28 bytes by default, so
 * 5,572 bytes is the most that arrives (measured in the ALSA guest: 5,572 arrives, 5,573 is dropped with
 * "error sending MIDI message to port" on stderr and no error to us). 4,096 leaves room for what is
 * already waiting in that pool.
 */
export const MIDI_PORT_MAX_MESSAGE_BYTES = 4096;

/**
 * Bytes written per timer turn. The receiving client's pool holds about 5.5 kB, and a burst written at
 * once overruns it (the receiver loses messages: 40 SysEx of 4 kB back to back lost 3 to 12 of them in
 * the guest); writing one pool's worth per millisecond lets its reader thread keep up.
 */
const WRITE_BYTES_PER_TURN = MIDI_PORT_MAX_MESSAGE_BYTES;
/** Queued but unwritten bytes beyond which `send` drops a message (and reports it) instead of growing without bound. */
const MAX_QUEUED_BYTES = 1 << 20;

export interface MidiPortOptions {
  /**
   * This side's name, for a call shaped like the other transports'. RtMidi's Node binding cannot name
   * its sequencer clients, so other applications see `RtMidi Input Client` / `RtMidi Output Client`.
   */
  readonly name?: string;
  /** Malformed incoming messages, failures of the message handler, dropped sends. Counted in `stats()` either way. */
  readonly onError?: (err: unknown) => void;
  /** Deliver MIDI clock (F8) messages (default true). */
  readonly receiveTiming?: boolean;
  /** Deliver active sensing (FE) messages (default true). */
  readonly receiveActiveSensing?: boolean;
}

/** What a port has moved since it opened. */
export interface MidiPortStats {
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Incoming messages that were not one complete MIDI 1.0 message (reported, not delivered). */
  readonly malformed: number;
  /** Sends dropped because the write queue was full. */
  readonly dropped: number;
}

/** A hardware or virtual MIDI port: a `Midi1Port` that may have one side only. */
export interface MidiPort extends Midi1Port {
  /** The full name of the input it listens to (undefined when it only sends). */
  readonly inputName: string | undefined;
  /** The full name of the output it writes to (undefined when it only receives). */
  readonly outputName: string | undefined;
  stats(): MidiPortStats;
}

type Handler<T> = (value: T) => void;

export class RtMidiPort implements MidiPort {
  readonly peerName = '';
  readonly maxMessageBytes = MIDI_PORT_MAX_MESSAGE_BYTES;
  private open = true;
  private messageHandler: Handler<Uint8Array> | undefined;
  private downHandler: Handler<LinkDown> | undefined;
  private readonly queue: Uint8Array[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly counters = { messagesIn: 0, messagesOut: 0, malformed: 0, dropped: 0 };

  constructor(
    readonly description: string,
    readonly inputName: string | undefined,
    readonly outputName: string | undefined,
    private readonly input: RtMidiInput | undefined,
    private readonly output: RtMidiOutput | undefined,
    private readonly options: MidiPortOptions,
  ) {
    input?.on('messageBuffer', (_deltaSeconds, bytes) => this.receive(bytes));
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(message: Uint8Array): void {
    if (!this.open) throw new TransportError('closed', `${this.description}: the port is closed`);
    if (this.output === undefined)
      throw new TransportError('unavailable', `${this.description} is an input only (${String(this.inputName)}): it has no output to send to`);
    if (message.length > this.maxMessageBytes) {
      throw new TransportError(
        'too-large',
        `${this.description}: a message of ${message.length} bytes is more than a MIDI port takes (${this.maxMessageBytes})`,
      );
    }
    checkMidi1Message(message, this.description);
    if (this.queuedBytes + message.length > MAX_QUEUED_BYTES) {
      this.counters.dropped++;
      this.report(
        new TransportError(
          'unavailable',
          `${this.description}: ${this.queuedBytes} bytes wait to be written; a message of ${message.length} bytes was dropped`,
        ),
      );
      return;
    }
    this.queue.push(message.slice());
    this.queuedBytes += message.length;
    this.writeTimer ??= setTimeout(this.write, 0);
  }

  onMessage(handler: (message: Uint8Array) => void): void {
    this.messageHandler = handler;
  }

  onDown(handler: (down: LinkDown) => void): void {
    this.downHandler = handler;
  }

  stats(): MidiPortStats {
    return { ...this.counters };
  }

  /** Writes what was sent before it (paced as ever), then closes the sequencer ports. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.open = false;
    if (this.queuedBytes > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.input?.removeAllListeners('messageBuffer');
    for (const side of [this.input, this.output]) {
      try {
        side?.closePort();
        side?.destroy();
      } catch (err) {
        this.report(err);
      }
    }
    const down = this.downHandler;
    down?.({ reason: 'closed', message: 'closed by this side' });
  }

  private readonly write = (): void => {
    this.writeTimer = undefined;
    let budget = WRITE_BYTES_PER_TURN;
    while (this.queueHead < this.queue.length && budget > 0) {
      const message = this.queue[this.queueHead++]!;
      budget -= message.length;
      this.queuedBytes -= message.length;
      try {
        this.output!.send(Buffer.from(message.buffer, message.byteOffset, message.length));
        this.counters.messagesOut++;
      } catch (err) {
        this.report(new TransportError('unavailable', `${this.description}: RtMidi refused a message: ${messageOf(err)}`, { cause: err }));
      }
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
      this.drained?.();
      this.drained = undefined;
    } else {
      // Drop the written head now and then so the array does not keep every message ever queued.
      if (this.queueHead > 1024) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.writeTimer = setTimeout(this.write, 1);
    }
  };

  private receive(bytes: Buffer): void {
    if (!this.open) return;
    const message = new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    try {
      checkMidi1Message(message, this.description);
    } catch (err) {
      this.counters.malformed++;
      this.report(err);
      return;
    }
    this.counters.messagesIn++;
    try {
      this.messageHandler?.(message);
    } catch (err) {
      // The handler runs inside RtMidi's callback, where a throw would end the process.
      this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // The error callback's own failure has nowhere better to go (and must not reach the native callback).
    }
  }
}
