/**
 * Time as the NM2 sessions see it: injected so that tests drive timeouts, retransmit deadlines and
 * idle flushes without sleeping; and the named one-shot timers each session and data stream keeps on it.
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
    // "As soon as this turn's I/O is done" (a flush of what was queued): setTimeout holds 0 ms for at
    // least 1 ms, which made every RTP-MIDI request/reply cost 3 ms.
    if (ms <= 0) {
      const i = setImmediate(fn);
      i.unref();
      return { cancel: () => clearImmediate(i) };
    }
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * One-shot timers by name: at most one per name (setting a name again replaces its timer), so a
 * state machine can say "the handshake deadline" instead of keeping a handle per deadline.
 */
export class NamedTimers<Name extends string> {
  private readonly timers = new Map<Name, Timer>();

  constructor(private readonly clock: Clock) {}

  /** Calls `fn` after `ms`, replacing the timer of that name; the name is free again when `fn` runs. */
  set(name: Name, ms: number, fn: () => void): void {
    this.timers.get(name)?.cancel();
    this.timers.set(
      name,
      this.clock.setTimer(ms, () => {
        this.timers.delete(name);
        fn();
      }),
    );
  }

  has(name: Name): boolean {
    return this.timers.has(name);
  }

  cancel(name: Name): void {
    this.timers.get(name)?.cancel();
    this.timers.delete(name);
  }

  cancelAll(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }
}
