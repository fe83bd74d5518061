/**
 * The contract of a transport that moves MIDI 1.0 bytes rather than UMP: an RTP-MIDI session, a
 * hardware or virtual MIDI port. Such a transport yields complete MIDI 1.0 messages; `midi1Link`
 * (runtime/transports/midi1-link.ts) turns one into a `UmpLink` (MIDI 1.0 ⇄ UMP, bus frames as
 * SysEx7 + Mcoded7), so the Bus and the CLI see every transport alike.
 */
import type { LinkDown } from './link.ts';

export interface Midi1Port {
  /** Where it goes, for logs and errors, e.g. `rtpmidi://127.0.0.1:5004 "Session"` or `midi:"Midi Through Port-0"`. */
  readonly description: string;
  /** The peer's name as its protocol announces it ('' when it has none). */
  readonly peerName: string;
  /** True until the port goes down. */
  readonly isOpen: boolean;
  /**
   * The largest message `send` takes, in bytes (a SysEx from F0 to F7 counts whole); a transport that
   * segments SysEx itself (RTP-MIDI) takes far larger ones than a datagram.
   */
  readonly maxMessageBytes: number;
  /**
   * Sends one complete MIDI 1.0 message: a status byte and its data bytes (no running status), or a whole
   * SysEx `F0 … F7`. Queues and returns at once; throws `TransportError` ('closed') once the port is
   * down, ('too-large') past `maxMessageBytes`.
   */
  send(message: Uint8Array): void;
  /**
   * Sets the receiver of incoming messages: each one complete (running status expanded, a SysEx whole
   * from F0 to F7, real-time bytes as messages of their own, in the order they arrived). One handler,
   * replaced by a later call.
   */
  onMessage(handler: (message: Uint8Array) => void): void;
  /** Sets the handler called once when the port goes down, for whatever reason. */
  onDown(handler: (down: LinkDown) => void): void;
  /** Ends the port (says goodbye where the protocol has a way); resolves once it is down. Idempotent. */
  close(): Promise<void>;
}
