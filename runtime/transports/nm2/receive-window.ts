/**
 * The receiving side of a session's UMP Data stream: puts commands back in sequence order, drops
 * ones already seen (FEC copies, duplicates), holds out-of-order ones while a gap is open, and gives
 * up on a gap when told to. Pure bookkeeping: the data stream (data-stream.ts) decides when to ask for
 * retransmits or skip.
 */
import { MAX_FEC_COPY_COMMANDS, seqDiff } from './send-window.ts';

/**
 * A seq this far behind the next expected one is not a late duplicate but a peer that restarted
 * numbering without a Session Reset we saw: follow it instead of dropping its data for 32k commands.
 */
const RESYNC_BEHIND = 4096;

export type Accepted = 'delivered' | 'held' | 'duplicate' | 'resync';

export class ReceiveWindow {
  private expected: number | undefined;
  private readonly held = new Map<number, Uint32Array>();
  /** The peer may have restarted its numbering at 0 (see `mayRestart`). */
  private restartExpected = false;

  /** `maxHeld`: how many out-of-order commands to hold; past it the oldest gap is skipped. */
  constructor(private readonly maxHeld: number) {}

  /** Takes UMP Data `seq`; what becomes deliverable is appended to `out` in order. */
  accept(seq: number, words: Uint32Array, out: Uint32Array[], skipped: (count: number) => void): Accepted {
    let outcome: Accepted = 'delivered';
    if (this.expected === undefined) this.expected = seq;
    let d = seqDiff(seq, this.expected);
    if (seq === 0 && this.restartExpected) {
      this.restartExpected = false;
      if (d < -MAX_FEC_COPY_COMMANDS) {
        // The restart the peer announced: its seq 0 is new data, not a late duplicate (no FEC copy reaches this far back).
        this.held.clear();
        this.expected = 0;
        d = 0;
        outcome = 'resync';
      }
    }
    if (d < -RESYNC_BEHIND || d > this.maxHeld * 4) {
      // A jump no gap repair can cover: start over from here.
      if (d > 0) skipped(d);
      this.held.clear();
      this.expected = seq;
      d = 0;
      outcome = 'resync';
    }
    if (d < 0 || this.held.has(seq)) return 'duplicate';
    if (d > 0) {
      this.held.set(seq, words);
      if (this.held.size > this.maxHeld) skipped(this.skipGap(out));
      return 'held';
    }
    out.push(words);
    this.expected = (seq + 1) & 0xffff;
    this.drain(out);
    return outcome;
  }

  /** The open gap: first missing seq and how many are missing before the next held command. */
  gap(): { seq: number; count: number } | undefined {
    if (this.expected === undefined || this.held.size === 0) return undefined;
    let first = Infinity;
    for (const seq of this.held.keys()) first = Math.min(first, seqDiff(seq, this.expected));
    return { seq: this.expected, count: first };
  }

  /** Gives up on the open gap: delivers what was held behind it into `out`; returns how many commands were lost. */
  skipGap(out: Uint32Array[]): number {
    const gap = this.gap();
    if (!gap) return 0;
    this.expected = (gap.seq + gap.count) & 0xffff;
    this.drain(out);
    return gap.count;
  }

  private drain(out: Uint32Array[]): void {
    for (;;) {
      const words = this.held.get(this.expected!);
      if (!words) return;
      this.held.delete(this.expected!);
      out.push(words);
      this.expected = (this.expected! + 1) & 0xffff;
    }
  }

  reset(): void {
    this.expected = undefined;
    this.held.clear();
    this.restartExpected = false;
  }

  /**
   * The peer says it numbers from 0 again, unasked (a Reset Reply to a Session Reset we never sent: someone
   * sent one from our address, and the peer obeyed). Its next seq 0 starts over when it is further behind
   * than any FEC copy can be (MAX_FEC_COPY_COMMANDS); until then everything is taken as before, so a forged
   * Reset Reply costs nothing: ongoing data reaches seq 0 again only in order, at the wrap, or as a copy.
   * A restart seen within the first MAX_FEC_COPY_COMMANDS commands of a stream is not told from a copy:
   * those few are dropped as before (the layer above repairs them).
   */
  mayRestart(): void {
    this.restartExpected = true;
  }
}
