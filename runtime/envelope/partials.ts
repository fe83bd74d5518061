/**
 * Bounded bookkeeping for partially received messages, shared by the binary chunk reassembler and
 * the SSE fragment reassembler: at most `maxOpen` entries, each with a deadline fixed when it was
 * opened (a slow drip of fragments cannot keep an entry alive), expiry reported through a callback
 * (nothing is dropped silently), and a bounded memory of recently completed keys so late duplicates
 * of a finished message are recognised instead of re-opening it.
 */
import { EnvelopeError, EnvelopeErrorCode as E } from './errors.ts';

export interface PartialsConfig<P> {
  readonly maxOpen: number;
  readonly timeoutMs: number;
  readonly now: () => number;
  /** How many completed keys to remember (with a memo) to recognise late duplicates. */
  readonly rememberCompleted: number;
  /** Called once for every entry that expired; receives the timeout error and the entry. */
  readonly onExpire: (error: EnvelopeError, entry: P) => void;
}

/** Options every reassembler shares; defaults are the reassembler's own. */
export interface PartialsOptions {
  /** Most partial messages open at once. */
  readonly maxOpen?: number;
  /** A partial message is discarded this long after its first piece arrived (ms). */
  readonly timeoutMs?: number;
  /** Completed messages remembered to recognise late duplicate pieces. */
  readonly rememberCompleted?: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  readonly now?: () => number;
  /** Receives every partial message discarded by timeout (found while pushing or sweeping). */
  readonly onDiscard?: (error: EnvelopeError) => void;
}

/** The outcomes of feeding one piece that are the same for every reassembler. */
export type PendingOrDuplicate =
  | { readonly status: 'pending'; readonly key: string; readonly received: number; readonly total: number }
  | { readonly status: 'duplicate'; readonly key: string };

/** Fills `PartialsConfig` from user options and a reassembler's defaults; `release` frees an expired entry's memory. */
export function partialsConfig<P>(
  options: PartialsOptions,
  defaults: { readonly maxOpen: number; readonly timeoutMs: number; readonly rememberCompleted: number },
  release: (entry: P) => void = () => {},
): PartialsConfig<P> {
  const onDiscard = options.onDiscard;
  return {
    maxOpen: options.maxOpen ?? defaults.maxOpen,
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
    rememberCompleted: options.rememberCompleted ?? defaults.rememberCompleted,
    now: options.now ?? (() => performance.now()),
    onExpire: (error, entry) => {
      release(entry);
      onDiscard?.(error);
    },
  };
}

interface Slot<P> {
  readonly deadline: number;
  readonly entry: P;
}

export class BoundedPartials<P, M> {
  private readonly open = new Map<string, Slot<P>>();
  private readonly completed = new Map<string, M>();

  constructor(private readonly cfg: PartialsConfig<P>) {
    if (!Number.isInteger(cfg.maxOpen) || cfg.maxOpen < 1) throw new RangeError('maxOpen must be an integer ≥ 1');
    if (!(cfg.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    if (!Number.isInteger(cfg.rememberCompleted) || cfg.rememberCompleted < 0) throw new RangeError('rememberCompleted must be an integer ≥ 0');
  }

  get size(): number {
    return this.open.size;
  }

  get(key: string): P | undefined {
    return this.open.get(key)?.entry;
  }

  /** Removes and reports every entry past its deadline; returns the timeout errors. */
  expire(): EnvelopeError[] {
    const now = this.cfg.now();
    const errors: EnvelopeError[] = [];
    for (const [key, slot] of this.open) {
      if (slot.deadline > now) continue;
      this.open.delete(key);
      const err = new EnvelopeError(E.Timeout, `partial message not completed within ${this.cfg.timeoutMs} ms`, { key });
      errors.push(err);
      this.cfg.onExpire(err, slot.entry);
    }
    return errors;
  }

  /** Opens an entry; throws 'too-many-open' when the limit is reached after expiring stale entries. */
  add(key: string, entry: P): void {
    if (this.open.size >= this.cfg.maxOpen) this.expire();
    if (this.open.size >= this.cfg.maxOpen) {
      throw new EnvelopeError(E.TooManyOpen, `already ${this.open.size} partial messages open (limit ${this.cfg.maxOpen})`, { key });
    }
    this.completed.delete(key);
    this.open.set(key, { deadline: this.cfg.now() + this.cfg.timeoutMs, entry });
  }

  delete(key: string): void {
    this.open.delete(key);
  }

  /** Closes an entry as completed and remembers `memo` so a late duplicate can be recognised. */
  complete(key: string, memo: M): void {
    this.open.delete(key);
    if (this.cfg.rememberCompleted === 0) return;
    this.completed.delete(key);
    this.completed.set(key, memo);
    if (this.completed.size > this.cfg.rememberCompleted) {
      const oldest = this.completed.keys().next();
      if (!oldest.done) this.completed.delete(oldest.value);
    }
  }

  /** The memo of `key` if it completed recently (and was not reopened since). */
  recall(key: string): M | undefined {
    return this.completed.get(key);
  }
}
