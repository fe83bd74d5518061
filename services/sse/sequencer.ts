/**
 * The egress's view of one stream's bus events: in seq order, each once, fragments joined. Events that
 * arrive early are held (bounded); how long a gap has been open is told so that the egress can end a
 * stream whose gap does not fill instead of leaving its client waiting on a silent hole.
 */
import type { SseEnvelope } from '../../generated/index.ts';

/** What the egress writes next, in order. */
export type SequencedEvent =
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'error'; readonly data: string }
  /** `sentinel`: the upstream ended with `[DONE]` (the data of the done event); absent: it just ended. */
  | { readonly kind: 'done'; readonly sentinel: string | undefined };

/** A bus event that breaks the stream's rules: the stream cannot go on exactly. */
export class SequenceError extends Error {
  override readonly name = 'SequenceError';
}

export interface SequencerLimits {
  /** Most events held waiting for an earlier seq. */
  readonly maxHeld: number;
  /** Most fragments of one event. */
  readonly maxFragments: number;
  /** Most UTF-16 units of one event's joined fragments. */
  readonly maxChars: number;
}

export const DEFAULT_SEQUENCER_LIMITS: SequencerLimits = { maxHeld: 1024, maxFragments: 256, maxChars: 1024 * 1024 };

interface Slot {
  readonly ev: SseEnvelope['ev'];
  readonly n: number;
  readonly parts: Map<number, string>;
  chars: number;
  readonly env: SseEnvelope;
}

export class StreamSequencer {
  private next = 0n;
  private readonly held = new Map<bigint, Slot>();
  private ended = false;
  /** Events that came twice (or after the end) and were dropped. */
  duplicates = 0;
  /** Most events held at once. */
  depthMax = 0;
  /** When the current gap opened (ms, the caller's clock); undefined while nothing waits for an earlier seq. */
  gapSince: number | undefined;

  constructor(private readonly limits: SequencerLimits = DEFAULT_SEQUENCER_LIMITS) {}

  /** Whether done or error was reached: nothing more is emitted. */
  get finished(): boolean {
    return this.ended;
  }

  /** The seq the stream waits for. */
  get expected(): bigint {
    return this.next;
  }

  get heldCount(): number {
    return this.held.size;
  }

  /** Takes one bus event; returns what is now ready to write, in order. Throws SequenceError on a broken stream. */
  push(env: SseEnvelope, now: number): SequencedEvent[] {
    if (this.ended || env.seq < this.next) {
      this.duplicates++;
      return [];
    }
    if (env.ev === 'ctrl') throw new SequenceError(`seq ${env.seq}: a ctrl event on the stream topic`);
    let slot = this.held.get(env.seq);
    if (slot === undefined) {
      if (this.held.size >= this.limits.maxHeld) throw new SequenceError(`more than ${this.limits.maxHeld} events wait for seq ${this.next}`);
      const n = env.frag?.n ?? 1;
      if (n > this.limits.maxFragments) throw new SequenceError(`seq ${env.seq}: ${n} fragments, more than ${this.limits.maxFragments}`);
      slot = { ev: env.ev, n, parts: new Map(), chars: 0, env };
      this.held.set(env.seq, slot);
      this.depthMax = Math.max(this.depthMax, this.held.size);
    }
    if (!this.addPart(slot, env)) {
      this.duplicates++;
      return [];
    }
    const out: SequencedEvent[] = [];
    const before = this.next;
    for (let ready = this.held.get(this.next); ready !== undefined && ready.parts.size === ready.n; ready = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.next++;
      const event = this.emit(ready);
      out.push(event);
      if (event.kind !== 'message') {
        this.ended = true;
        this.held.clear();
        break;
      }
    }
    if (this.held.size === 0) this.gapSince = undefined;
    else if (this.next !== before || this.gapSince === undefined) this.gapSince = now;
    return out;
  }

  /** Adds env's part to its slot; false when it is a repeat of a part already there. */
  private addPart(slot: Slot, env: SseEnvelope): boolean {
    const i = env.frag?.i ?? 0;
    const n = env.frag?.n ?? 1;
    const data = env.data ?? '';
    if (n !== slot.n || env.ev !== slot.ev) throw new SequenceError(`seq ${env.seq}: fragment ${i} disagrees with the others (ev or frag.n)`);
    if (i >= n) throw new SequenceError(`seq ${env.seq}: fragment ${i} of ${n}`);
    const seen = slot.parts.get(i);
    if (seen !== undefined) {
      if (seen !== data) throw new SequenceError(`seq ${env.seq}: fragment ${i} came twice with different data`);
      return false;
    }
    if (slot.chars + data.length > this.limits.maxChars) throw new SequenceError(`seq ${env.seq}: event exceeds ${this.limits.maxChars} characters`);
    slot.parts.set(i, data);
    slot.chars += data.length;
    return true;
  }

  private emit(slot: Slot): SequencedEvent {
    let data = '';
    for (let i = 0; i < slot.n; i++) data += slot.parts.get(i)!;
    if (slot.ev === 'message') return { kind: 'message', text: data };
    if (slot.ev === 'error') return { kind: 'error', data };
    return { kind: 'done', sentinel: slot.env.data };
  }
}
