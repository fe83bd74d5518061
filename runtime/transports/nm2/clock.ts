/**
 * Time as the NM2 sessions see it: injected so that tests drive timeouts, retransmit deadlines and
 * idle flushes without sleeping.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `fn` once after `ms`. */
  setTimer(ms: number, fn: () => void): Timer;
}

/** Real time. Timers are unref'd: the socket, not a pending ping, decides whether the process lives. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
