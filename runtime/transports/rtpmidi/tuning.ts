/** The timings of RTP-MIDI sessions and the bounds of what they hold; tests shorten them. */
export interface RtpMidiTuning {
  /** Gap between repeats of an unanswered invitation (IN). */
  readonly inviteRetryMs: number;
  /** Clock syncs (CK0) at start, `syncFastCount` of them this far apart: macOS and rtpMIDI expect about 6 at 1.5 s. */
  readonly syncFastMs: number;
  readonly syncFastCount: number;
  /** Clock syncs after those, to keep the session alive and the clocks aligned. */
  readonly syncMs: number;
  /** A peer heard from not at all for this long is gone: the session goes down with reason 'timeout'. */
  readonly silenceMs: number;
  /** How long after data arrives the receiver feedback (RS) goes out; one RS covers all data in between. */
  readonly feedbackMs: number;
  /** A listener's half-open session (control OK'd, no data-port IN yet) is dropped after this long. */
  readonly halfOpenMs: number;
  /** Most sessions one endpoint holds, half-open ones included; invitations past it are declined (NO). */
  readonly maxSessions: number;
  /** The longest SysEx reassembled from segments (and the longest message `send` takes). */
  readonly maxSysexBytes: number;
}

export const DEFAULT_RTPMIDI_TUNING: RtpMidiTuning = {
  inviteRetryMs: 1000,
  syncFastMs: 1500,
  syncFastCount: 6,
  syncMs: 10_000,
  silenceMs: 35_000,
  feedbackMs: 1000,
  halfOpenMs: 10_000,
  maxSessions: 64,
  maxSysexBytes: 1 << 20,
};

/** FountainAI's ask: RTP-MIDI datagrams of at most 1200 bytes. */
export const DEFAULT_RTPMIDI_MTU = 1200;
