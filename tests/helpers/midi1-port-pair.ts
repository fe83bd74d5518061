import { Midi1ByteReader, Midi1Error } from '../../runtime/ump/index.ts';
import { TransportError, type LinkDown } from '../../runtime/transports/link.ts';
import type { Midi1Port } from '../../runtime/transports/midi1-port.ts';
import { nextTask } from '../../runtime/transports/next-task.ts';
import { mulberry32 } from './udp-relay.ts';

/**
 * Two in-memory `Midi1Port`s joined by a MIDI 1.0 byte wire, as a DIN cable or a virtual port joins
 * two programs: each sent message is serialised (running status where the options say), may be lost
 * (seeded), and reaches the far side in chunks in later macrotasks, where a `Midi1ByteReader` cuts
 * the bytes into messages again. Every byte that crossed is kept, and every error the far reader
 * reported, so a test can assert that only valid MIDI 1.0 went over.
 */
export interface Midi1WireOptions {
  /** Probability that a message is lost on the wire (seeded). */
  readonly loss?: number;
  readonly seed?: number;
  /** Largest chunk the receiving side is handed (default: each message in one chunk). */
  readonly chunkBytes?: number;
  /** Omit a channel message's status when it repeats the last one sent (running status), as DIN senders do. */
  readonly runningStatus?: boolean;
  /** The ports' `maxMessageBytes` (default 1 MiB). */
  readonly maxMessageBytes?: number;
}

/** One direction of the wire: what crossed it and what its receiving reader said. */
export interface WireDirection {
  /** The bytes that crossed, per sent message (running status already applied). */
  readonly bytes: Uint8Array[];
  /** Messages lost on the way. */
  lost: number;
  /** Errors the receiving `Midi1ByteReader` reported (none where only valid MIDI 1.0 crossed). */
  readonly errors: Midi1Error[];
}

export interface Midi1PortPair {
  readonly ports: readonly [Midi1Port, Midi1Port];
  /** `wire[0]`: from ports[0] to ports[1]; `wire[1]`: the other way. */
  readonly wire: readonly [WireDirection, WireDirection];
}

class MemoryPort implements Midi1Port {
  peer!: MemoryPort;
  isOpen = true;
  private handler: (message: Uint8Array) => void = () => {};
  private down: (d: LinkDown) => void = () => {};
  private running = 0;
  private readonly reader = new Midi1ByteReader();

  constructor(
    readonly description: string,
    readonly peerName: string,
    readonly maxMessageBytes: number,
    private readonly out: WireDirection,
    private readonly incoming: WireDirection,
    private readonly options: Midi1WireOptions,
    private readonly random: () => number,
  ) {}

  send(message: Uint8Array): void {
    if (!this.isOpen) throw new TransportError('closed', `${this.description}: the port is closed`);
    if (message.length > this.maxMessageBytes)
      throw new TransportError('too-large', `${this.description}: ${message.length} bytes exceed ${this.maxMessageBytes}`);
    if (this.options.loss && this.random() < this.options.loss) {
      this.out.lost++;
      return;
    }
    const status = message[0]!;
    const bytes = this.options.runningStatus === true && status < 0xf0 && status === this.running ? message.slice(1) : message.slice();
    if (status < 0xf0) this.running = status;
    else if (status < 0xf8) this.running = 0;
    this.out.bytes.push(bytes);
    const chunk = this.options.chunkBytes ?? bytes.length;
    const peer = this.peer;
    for (let at = 0; at < bytes.length; at += chunk) {
      const piece = bytes.subarray(at, at + chunk);
      nextTask(() => {
        if (peer.isOpen) peer.receive(piece);
      });
    }
  }

  private receive(bytes: Uint8Array): void {
    for (const r of this.reader.push(bytes)) {
      if (r instanceof Midi1Error) this.incoming.errors.push(r);
      else this.handler(r);
    }
  }

  onMessage(handler: (message: Uint8Array) => void): void {
    this.handler = handler;
  }

  onDown(handler: (down: LinkDown) => void): void {
    this.down = handler;
  }

  close(): Promise<void> {
    this.goDown({ reason: 'closed', message: 'closed by this side' });
    const peer = this.peer;
    nextTask(() => peer.goDown({ reason: 'bye', message: 'the peer closed the port' }));
    return Promise.resolve();
  }

  private goDown(d: LinkDown): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    const down = this.down;
    nextTask(() => down(d));
  }
}

export function midi1PortPair(options: Midi1WireOptions = {}, names: readonly [string, string] = ['a', 'b']): Midi1PortPair {
  const random = mulberry32(options.seed ?? 1);
  const max = options.maxMessageBytes ?? 1024 * 1024;
  const wire: [WireDirection, WireDirection] = [
    { bytes: [], lost: 0, errors: [] },
    { bytes: [], lost: 0, errors: [] },
  ];
  const a = new MemoryPort(`memory:${names[0]}→${names[1]}`, names[1], max, wire[0], wire[1], options, random);
  const b = new MemoryPort(`memory:${names[1]}→${names[0]}`, names[0], max, wire[1], wire[0], options, random);
  a.peer = b;
  b.peer = a;
  return { ports: [a, b], wire };
}
