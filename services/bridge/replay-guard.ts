/**
 * The bridge's replay defence: an envelope whose `ts` lies outside the clock window is stale, and a
 * `corr` a sender has already used is a replay. The seen set is a bounded LRU, so a flood of fresh
 * corrs costs constant memory; a corr evicted from it is older than 65,536 others from the bridge's view.
 */
export interface ReplayGuardOptions {
  /** Largest accepted |now - ts| in milliseconds. */
  readonly maxAgeMs: number;
  /** How many (sender, corr) pairs are remembered. */
  readonly capacity: number;
  readonly now: () => number;
}

export type ReplayVerdict = 'fresh' | 'stale' | 'replayed';

export class ReplayGuard {
  private readonly seen = new Map<string, true>();

  constructor(private readonly options: ReplayGuardOptions) {
    if (!(options.capacity >= 1) || !(options.maxAgeMs >= 0)) throw new RangeError('ReplayGuard: capacity must be at least 1 and maxAgeMs at least 0');
  }

  /** Checks `ts` and records (sender, corr) when the envelope is fresh. */
  admit(sender: string, corr: string, ts: bigint): ReplayVerdict {
    const age = BigInt(this.options.now()) - ts;
    const window = BigInt(this.options.maxAgeMs);
    if (age > window || age < -window) return 'stale';
    // The separator cannot occur in a sender name nor a valid corr.
    const key = `${sender}\u0000${corr}`;
    if (this.seen.has(key)) return 'replayed';
    this.seen.set(key, true);
    if (this.seen.size > this.options.capacity) this.seen.delete(this.seen.keys().next().value!);
    return 'fresh';
  }

  /** Forgets (sender, corr): an envelope refused for the bridge's own failure may be sent again with its corr. */
  forget(sender: string, corr: string): void {
    this.seen.delete(`${sender}\u0000${corr}`);
  }

  /** The clock window in milliseconds. */
  get window(): number {
    return this.options.maxAgeMs;
  }

  get size(): number {
    return this.seen.size;
  }
}
