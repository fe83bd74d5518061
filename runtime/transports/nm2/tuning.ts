/**
 * Every knob and fixed timing of a Network MIDI 2.0 session in one place: what tunes the session itself
 * (handshake, liveness, Bye, Session Reset) and what tunes its UMP Data stream (FEC, retransmits, gaps,
 * idle flush).
 */

/** Tuning of the session: its handshake and liveness. */
export interface SessionTuning {
  /** Ping period of the initiator (and of an invitee that hears nothing). */
  readonly pingIntervalMs: number;
  /** Silence after which the peer is gone; also the handshake deadline. */
  readonly timeoutMs: number;
  /** Wrong digests an invitee accepts before Bye 0x43. */
  readonly maxAuthTries: number;
}

/** Tuning of the session's UMP Data stream. */
export interface DataStreamTuning {
  /**
   * FEC: each datagram repeats in front the new commands of the previous one, and at least the last
   * `fec` UMP Data commands; 0 = no FEC copies.
   */
  readonly fec: number;
  /** UMP Data commands kept for Retransmit Requests. */
  readonly retransmitBuffer: number;
  /** Quiet time after data before a zero-length UMP Data lets FEC deliver the tail. */
  readonly idleFlushMs: number;
  /** How long an out-of-order command waits for the gap before it to fill by itself before a Retransmit Request. */
  readonly retransmitDelayMs: number;
  /** How long a gap may stay open before it is skipped. */
  readonly gapDeadlineMs: number;
  /** Retransmit Requests per gap at most. */
  readonly maxRetransmitRequests: number;
}

/** Tuning of a session and its UMP Data stream; every field has a default in `DEFAULT_NM2_TUNING`. */
export interface Nm2Tuning extends SessionTuning, DataStreamTuning {}

export const DEFAULT_NM2_TUNING: Nm2Tuning = Object.freeze({
  fec: 2,
  retransmitBuffer: 1024,
  pingIntervalMs: 1000,
  timeoutMs: 5000,
  idleFlushMs: 100,
  retransmitDelayMs: 20,
  gapDeadlineMs: 500,
  maxRetransmitRequests: 5,
  maxAuthTries: 3,
});

/** The knobs an endpoint's options expose; the others always keep their defaults. */
export type Nm2TuningOptions = Partial<
  Pick<Nm2Tuning, 'fec' | 'retransmitBuffer' | 'pingIntervalMs' | 'timeoutMs' | 'idleFlushMs' | 'retransmitDelayMs' | 'gapDeadlineMs'>
>;

/** The tuning that `options` ask for: defaults where they say nothing, `fec` a count ≥ 0, `retransmitBuffer` ≥ 1. */
export function resolveTuning(options: Nm2TuningOptions): Nm2Tuning {
  const d = DEFAULT_NM2_TUNING;
  return {
    fec: Math.max(0, Math.floor(options.fec ?? d.fec)),
    retransmitBuffer: Math.max(1, Math.floor(options.retransmitBuffer ?? d.retransmitBuffer)),
    pingIntervalMs: options.pingIntervalMs ?? d.pingIntervalMs,
    timeoutMs: options.timeoutMs ?? d.timeoutMs,
    idleFlushMs: options.idleFlushMs ?? d.idleFlushMs,
    retransmitDelayMs: options.retransmitDelayMs ?? d.retransmitDelayMs,
    gapDeadlineMs: options.gapDeadlineMs ?? d.gapDeadlineMs,
    maxRetransmitRequests: d.maxRetransmitRequests,
    maxAuthTries: d.maxAuthTries,
  };
}

// ——— fixed timings, derived from the tuning where they scale with it ———

/** Bye resends while closing, and their spacing, before giving up on a Bye Reply. */
export const BYE_ATTEMPTS = 3;
export const BYE_RETRY_MS = 100;

/** Session Resets sent without a Reset Reply before this side resets on its own. */
export const SESSION_RESET_ATTEMPTS = 3;

/** Spacing of Session Resets: long enough for a Reset Reply behind a few retransmit rounds. */
export function sessionResetRetryMs(tuning: DataStreamTuning): number {
  return Math.max(50, tuning.retransmitDelayMs * 5);
}

/** Spacing of Invitation resends: a few tries within the handshake deadline, never flooding nor idling. */
export function invitationResendMs(handshakeTimeoutMs: number): number {
  return Math.max(50, Math.min(500, handshakeTimeoutMs / 4));
}

/** How often liveness is checked: every ping period, and often enough to notice the timeout within a quarter of it. */
export function livenessCheckMs(tuning: SessionTuning): number {
  return Math.max(1, Math.min(tuning.pingIntervalMs, tuning.timeoutMs / 4));
}

/**
 * Bytes of UMP Data commands (header and words) resent for one Retransmit Request at most: 4 KiB, 16
 * full commands, the new commands of more than 3 lost datagrams; a receiver asks again from the first
 * seq still missing. One request (16 bytes) asked for the whole buffer before: 266 KB.
 */
export const RETRANSMIT_REPLY_MAX_BYTES = 4096;
/** What a session may resend at once for Retransmit Requests (its budget starts full and never holds more). */
export const RETRANSMIT_BURST_BYTES = 32 * 1024;
/** The share of each new UMP Data byte sent that the retransmit budget earns back. */
export const RETRANSMIT_EARN_FRACTION = 0.25;
