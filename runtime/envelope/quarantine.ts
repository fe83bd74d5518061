/**
 * Where rejected input goes so nothing is dropped silently: a bounded ring of
 * `{code, reason, offset, path, key, bytes | text, size, at}`. The ring keeps the newest
 * `capacity` entries; each keeps at most `maxSampleBytes` of the input (UTF-16 units for text).
 * Counters per code survive eviction, so totals stay exact even when samples are gone.
 */

/** What went wrong: an `EnvelopeError` fits, and so does any other layer's typed error with a code. */
export interface QuarantineReason {
  readonly code: string;
  readonly reason?: string;
  readonly message?: string;
  readonly offset?: number | null;
  readonly path?: string | null;
  readonly key?: string | null;
}

export interface QuarantineEntry {
  /** Sequence number of this entry since the quarantine was created (0-based, never reused). */
  readonly seq: number;
  readonly code: string;
  readonly reason: string;
  readonly offset: number | null;
  readonly path: string | null;
  readonly key: string | null;
  /** A copy of (the start of) the rejected bytes, if the input was binary. */
  readonly bytes: Uint8Array | null;
  /** The start of the rejected text, if the input was text. */
  readonly text: string | null;
  /** Full length of the rejected input (bytes or UTF-16 units). */
  readonly size: number;
  /** True when `bytes`/`text` hold only the first `maxSampleBytes`. */
  readonly truncated: boolean;
  /** Wall-clock time, ms since the epoch (from the injected clock). */
  readonly at: number;
}

export interface QuarantineOptions {
  /** Entries kept; older ones are evicted. Default 256. */
  readonly capacity?: number;
  /** Input kept per entry. Default 1024. */
  readonly maxSampleBytes?: number;
  /** Default `Date.now`. */
  readonly now?: () => number;
}

export class Quarantine {
  readonly capacity: number;
  readonly maxSampleBytes: number;
  private readonly now: () => number;
  private readonly ring: (QuarantineEntry | undefined)[];
  private next = 0;
  private held = 0;
  private count = 0;
  private pushedOut = 0;
  private readonly perCode = new Map<string, number>();

  constructor(options: QuarantineOptions = {}) {
    this.capacity = options.capacity ?? 256;
    this.maxSampleBytes = options.maxSampleBytes ?? 1024;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new RangeError('capacity must be an integer ≥ 1');
    if (!Number.isInteger(this.maxSampleBytes) || this.maxSampleBytes < 0) throw new RangeError('maxSampleBytes must be an integer ≥ 0');
    this.now = options.now ?? Date.now;
    this.ring = new Array<QuarantineEntry | undefined>(this.capacity);
  }

  /** Records rejected input with its reason; returns the stored entry. */
  add(why: QuarantineReason, input: Uint8Array | string | null = null): QuarantineEntry {
    const max = this.maxSampleBytes;
    const size = input === null ? 0 : input.length;
    const entry: QuarantineEntry = {
      seq: this.count,
      code: why.code,
      reason: why.reason ?? why.message ?? why.code,
      offset: why.offset ?? null,
      path: why.path ?? null,
      key: why.key ?? null,
      bytes: input instanceof Uint8Array ? input.slice(0, max) : null,
      text: typeof input === 'string' ? input.slice(0, max) : null,
      size,
      truncated: size > max,
      at: this.now(),
    };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.held === this.capacity) this.pushedOut++;
    else this.held++;
    this.count++;
    this.perCode.set(entry.code, (this.perCode.get(entry.code) ?? 0) + 1);
    return entry;
  }

  /** Entries currently held. */
  get size(): number {
    return this.held;
  }

  /** Entries ever added. */
  get total(): number {
    return this.count;
  }

  /** Entries pushed out of the ring by newer ones. */
  get evicted(): number {
    return this.pushedOut;
  }

  /** Entries ever added per code (including evicted ones). */
  counts(): ReadonlyMap<string, number> {
    return new Map(this.perCode);
  }

  /** Entries held, oldest first. */
  entries(): QuarantineEntry[] {
    const out: QuarantineEntry[] = [];
    const start = (this.next - this.held + this.capacity) % this.capacity;
    for (let i = 0; i < this.held; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }

  /** Returns the entries held (oldest first) and empties the ring; totals and counts are kept. */
  drain(): QuarantineEntry[] {
    const out = this.entries();
    this.ring.fill(undefined);
    this.held = 0;
    return out;
  }
}
