/**
 * A `Midi1Port` as a `UmpLink`: UMP that has a MIDI 1.0 form (MT 0x1 system, MT 0x2 MIDI 1.0 channel
 * voice, MT 0x3 SysEx7) goes out as MIDI 1.0 messages (utility packets, JR timestamps included, are
 * dropped, as the MIDI 1.0 translation drops them), and every message from the port comes in as UMP
 * on one group. The link says `midi1Only`, so the bus sends its frames on the sysex7 lane
 * (`F0 7D 01 <Mcoded7> F7`); anything else sent on it is refused before a byte goes out.
 */
import { Midi1Error, MessageType, UmpError, UmpToMidi1, midi1ToUmp, packetWordCount } from '../ump/index.ts';
import { TransportError, type LinkDown, type UmpLink } from './link.ts';
import type { Midi1Port } from './midi1-port.ts';

export interface Midi1LinkOptions {
  /** The group messages from the port arrive on (default 0: MIDI 1.0 has no groups). */
  readonly group?: number;
  /**
   * Told of each message from the port that is not one well-formed MIDI 1.0 message (it is dropped and
   * counted in `malformed`); a port should never deliver one, so this is the place to say so.
   */
  readonly onMalformed?: (error: Midi1Error, message: Uint8Array) => void;
}

/** A link over a MIDI 1.0 port. */
export interface Midi1Link extends UmpLink {
  readonly midi1Only: true;
  /** Messages from the port that were not well-formed MIDI 1.0 and were dropped. */
  readonly malformed: number;
}

const MT_NAMES: Readonly<Record<number, string>> = {
  [MessageType.Midi2ChannelVoice]: 'MIDI 2.0 channel voice',
  [MessageType.Data128]: 'SysEx8 / mixed data set',
  [MessageType.FlexData]: 'Flex Data',
  [MessageType.UmpStream]: 'UMP Stream',
};

class PortLink implements Midi1Link {
  readonly midi1Only = true;
  malformed = 0;
  /** Reassembles outgoing SysEx7 per group; bounded by the largest message the port takes. */
  private readonly outgoing: UmpToMidi1;
  private readonly group: number;

  constructor(
    private readonly port: Midi1Port,
    private readonly options: Midi1LinkOptions,
  ) {
    this.group = options.group ?? 0;
    if (!Number.isInteger(this.group) || this.group < 0 || this.group > 15)
      throw new RangeError(`group must be an integer in 0..15, got ${String(options.group)}`);
    this.outgoing = new UmpToMidi1({ maxSysExBytes: Math.max(2, port.maxMessageBytes) });
  }

  get description(): string {
    return this.port.description;
  }

  get peerName(): string {
    return this.port.peerName;
  }

  get maxMessageBytes(): number {
    return this.port.maxMessageBytes;
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  /**
   * Sends MT 0x1/0x2/0x3 packets as MIDI 1.0 messages (a SysEx once its last packet is sent); utility
   * packets (MT 0x0: NOOP, JR clock and timestamps) are dropped, as the MIDI 1.0 translation drops them. Throws
   * TransportError 'closed' once the port is down, 'too-large' for a packet with no MIDI 1.0 form (then
   * nothing of `words` is sent) or a SysEx larger than the port takes, and UmpError for packets that are
   * malformed (a bad status, a broken Start/End sequence, a packet cut short).
   */
  send(words: Uint32Array): void {
    if (!this.port.isOpen) throw new TransportError('closed', `${this.description}: the port is closed`);
    for (let i = 0; i < words.length; i += packetWordCount(words[i]!)) {
      const mt = words[i]! >>> 28;
      if (mt !== MessageType.Utility && mt !== MessageType.System && mt !== MessageType.Midi1ChannelVoice && mt !== MessageType.Data64) {
        const name = MT_NAMES[mt] ?? 'reserved';
        throw new TransportError(
          'too-large',
          `${this.description}: a UMP of MT 0x${mt.toString(16)} (${name}) has no MIDI 1.0 form; a MIDI 1.0 link carries MT 0x1, 0x2 and 0x3 only (and drops MT 0x0 utility)`,
        );
      }
    }
    for (const result of this.outgoing.push(words)) {
      if (result instanceof Uint8Array) this.port.send(result);
      else if (result instanceof UmpError && result.code === 'too-large') {
        throw new TransportError('too-large', `${this.description}: a SysEx longer than the ${this.port.maxMessageBytes} bytes the port takes`, {
          cause: result,
        });
      } else if (result instanceof UmpError) throw result;
    }
  }

  onReceive(handler: (words: Uint32Array) => void): void {
    this.port.onMessage((message) => {
      let words: Uint32Array;
      try {
        words = midi1ToUmp(message, this.group);
      } catch (err) {
        if (!(err instanceof Midi1Error)) throw err;
        this.malformed++;
        this.options.onMalformed?.(err, message);
        return;
      }
      handler(words);
    });
  }

  onDown(handler: (down: LinkDown) => void): void {
    this.port.onDown(handler);
  }

  close(): Promise<void> {
    return this.port.close();
  }
}

/** The `UmpLink` over `port` (see the file comment); the port's own handlers are taken by the link. */
export function midi1Link(port: Midi1Port, options: Midi1LinkOptions = {}): Midi1Link {
  return new PortLink(port, options);
}
