/**
 * What a transport survived (a malformed datagram, a forged Bye, a write a MIDI port dropped), told to
 * the operator without letting hostile traffic flood stderr: the first problem of a quiet spell at
 * once, then at most one summary line per period with the count and the last one.
 */
import { describeError } from './options.ts';

export interface ProblemLogOptions {
  /** What the problems are about, e.g. the listener's URL. */
  readonly where: string;
  /** At most one line per this many ms (default 10 s). */
  readonly periodMs?: number;
  readonly write?: (line: string) => void;
}

export class TransportProblemLog {
  private readonly where: string;
  private readonly periodMs: number;
  private readonly write: (line: string) => void;
  private pending = 0;
  private last = '';
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ProblemLogOptions) {
    this.where = options.where;
    this.periodMs = options.periodMs ?? 10_000;
    this.write = options.write ?? ((line) => process.stderr.write(line));
  }

  /** For a transport's `onError`. */
  readonly report = (err: unknown): void => {
    this.last = describeError(err);
    if (this.timer !== undefined) {
      this.pending++;
      return;
    }
    this.write(`transport: ${this.where}: ${this.last} (the transport carried on)\n`);
    this.startPeriod();
  };

  /** Prints what is still counted; later problems start a new period. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private startPeriod(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.flush()) this.startPeriod();
    }, this.periodMs);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- timers are objects with unref in Node only
    this.timer.unref?.();
  }

  /** Writes the summary of the problems counted since the last line; false when there were none. */
  private flush(): boolean {
    if (this.pending === 0) return false;
    const n = this.pending;
    this.pending = 0;
    this.write(
      `transport: ${this.where}: ${n} more problem${n === 1 ? '' : 's'} in the last ${this.periodMs / 1000} s, the last: ${this.last} (the transport carried on)\n`,
    );
    return true;
  }
}
