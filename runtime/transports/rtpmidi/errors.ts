/**
 * The typed error of everything RTP-MIDI reads: a datagram, a session packet or a SysEx that cannot be
 * taken as it is, saying what was wrong and where in the packet.
 */

export type RtpMidiErrorCode =
  /** The bytes do not parse: too short, a length that does not fit, a value out of range. */
  | 'malformed'
  /** A well-formed packet this side does not expect: unknown command, wrong state, another peer's SSRC. */
  | 'unexpected'
  /** A packet that claims to come from the session's peer but does not (address or SSRC differ). */
  | 'forged'
  /** A SysEx longer than the reassembly bound; it is dropped up to its end. */
  | 'too-large'
  /** Part of a SysEx was lost with a datagram (sequence gap); the rest of it is dropped. */
  | 'lost';

export class RtpMidiError extends Error {
  override readonly name = 'RtpMidiError';
  constructor(
    readonly code: RtpMidiErrorCode,
    /** Where: the packet kind and byte offset, e.g. `command section byte 7`. */
    readonly where: string,
    /** The message without its place. */
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
  }

  /** The same error, placed further: e.g. which peer sent the packet. */
  at(context: string): RtpMidiError {
    return new RtpMidiError(this.code, `${this.where} ${context}`, this.detail);
  }
}
