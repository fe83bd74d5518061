/**
 * The transport contract: a `UmpLink` is one connected, bidirectional path to one peer that moves whole
 * Universal MIDI Packets and nothing else. Transports (loopback, Network MIDI 2.0 over UDP, …) produce
 * links; the Bus (runtime/bus/network.ts) runs its own peer handshake and resume, QoS and routing on top
 * of them.
 *
 * A link may lose packets (a transport that cannot repair a gap skips it) but never reorders or
 * duplicates what it delivers, and never delivers part of a packet.
 */

/** Why a link went down. */
export interface LinkDown {
  /** Machine-readable reason: `closed` (this side), `bye` (the peer ended it), `timeout` (the peer went silent), `reset`, `error`. */
  readonly reason: 'closed' | 'bye' | 'timeout' | 'reset' | 'error';
  /** Human-readable detail, e.g. the Network MIDI 2.0 Bye reason. */
  readonly message: string;
}

export interface UmpLink {
  /** Where the link goes, for logs and errors, e.g. `udp://127.0.0.1:5673 "midl peer"`. */
  readonly description: string;
  /** The peer's endpoint name as it announced it ('' when the transport has none). */
  readonly peerName: string;
  /**
   * The user the peer proved it is, when the transport authenticates users (Network MIDI 2.0 User
   * Authentication, `users` of an endpoint); absent otherwise. Unlike `peerName`, which a peer says of
   * itself, this is checked: an authority's policy may grant by it.
   */
  readonly user?: string;
  /** True until the link goes down. */
  readonly isOpen: boolean;
  /**
   * True when the link carries MIDI 1.0 only (`midi1Link` over RTP-MIDI or a MIDI port): it takes
   * MT 0x1, 0x2 and 0x3 packets, drops MT 0x0 utility ones and refuses the rest. The bus then sends
   * every frame, control and data of every lane, on the sysex7 lane (`F0 7D 01 <Mcoded7> F7`).
   * Absent means a UMP link that carries all.
   */
  readonly midi1Only?: boolean;
  /**
   * The longest MIDI 1.0 message a `midi1Only` link carries whole (a SysEx from F0 to F7): the bus
   * offers its peer no larger payloads than frames of that size hold. Absent: no limit of its own.
   */
  readonly maxMessageBytes?: number;
  /**
   * Sends whole UMP packets (`words.length` is a whole number of packets by their MT). Queues and
   * returns at once; throws `TransportError` ('closed') once the link is down, ('too-large') for a
   * packet the transport cannot carry.
   */
  send(words: Uint32Array): void;
  /** Sets the receiver of incoming packets (whole packets, in order; one handler, replaced by a later call). */
  onReceive(handler: (words: Uint32Array) => void): void;
  /** Sets the handler called once when the link goes down, for whatever reason. */
  onDown(handler: (down: LinkDown) => void): void;
  /** Ends the link (says Bye where the protocol has one); resolves once it is down. Idempotent. */
  close(): Promise<void>;
}

export const TransportErrorCode = {
  Closed: 'closed',
  TooLarge: 'too-large',
  Refused: 'refused',
  Timeout: 'timeout',
  AuthFailed: 'auth-failed',
  BadUrl: 'bad-url',
  /** No transport is registered for the URL's scheme (runtime/transports/registry.ts). */
  UnknownScheme: 'unknown-scheme',
  /** An address that names an endpoint (mdns:NAME) led to none, to several, or the lookup itself failed. */
  Unresolved: 'unresolved',
  /** A second transport was registered for a scheme that has one. */
  SchemeTaken: 'scheme-taken',
  /** What the transport needs is missing on this machine (no ALSA sequencer, no native MIDI module) or on this port (no output to send to). */
  Unavailable: 'unavailable',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** A failure of a transport: connecting, sending on a closed link, a refused invitation. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
