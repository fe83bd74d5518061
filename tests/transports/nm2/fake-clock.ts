/**
 * A hand-driven `Clock` for NM2 sessions: time moves only in `advance()`, which runs the due timers in
 * order (timers they set that fall due within the same advance run too). Lets tests hit retransmit
 * deadlines, idle flushes and handshake timeouts exactly, with no sleeping and no timing flakiness.
 */
import type { Clock, Timer } from '../../../runtime/transports/nm2/clock.ts';

interface Pending {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
  live: boolean;
}

export class FakeClock implements Clock {
  private t = 0;
  private order = 0;
  private pending: Pending[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer: Pending = { at: this.t + Math.max(0, ms), order: this.order++, fn, live: true };
    this.pending.push(timer);
    return { cancel: () => void (timer.live = false) };
  }

  /** Moves time forward by `ms`, firing every timer due by then, earliest (then oldest) first. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => p.live);
      let next: Pending | undefined;
      for (const p of this.pending) if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.order < next.order))) next = p;
      if (!next) break;
      next.live = false;
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
