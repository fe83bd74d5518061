/**
 * The ingress's coalescing: the text of the upstream's events, gathered between flushes and cut into
 * bus events of at most `maxChars` UTF-16 units each. Whole events are never split across bus events
 * unless one alone is too long: that one travels as fragments (frag i of n, one seq, as idl/sse says).
 */

/** One bus event's worth of text: a single part, or the fragments of one long event. */
export interface CoalescedEvent {
  readonly parts: readonly string[];
  /** Upstream events in it (1 for the fragments of one long event): the coalescing figure. */
  readonly events: number;
}

interface Pending {
  readonly text: string;
  readonly events: number;
}

export class SseCoalescer {
  private pending: Pending[] = [];
  private chars = 0;

  constructor(private readonly maxChars: number) {
    if (!Number.isInteger(maxChars) || maxChars < 2) throw new RangeError('maxChars must be an integer of at least 2');
  }

  /** UTF-16 units waiting for the next flush. */
  get size(): number {
    return this.chars;
  }

  /** Events waiting for the next flush. */
  get count(): number {
    return this.pending.length;
  }

  add(eventText: string, events = 1): void {
    this.pending.push({ text: eventText, events });
    this.chars += eventText.length;
  }

  /**
   * What is pending, as few bus events as the limit allows, in order. `all` false keeps a last run of
   * whole events that is not full yet (what more events may fill before the next flush); true empties it.
   */
  take(all = true): CoalescedEvent[] {
    const out: CoalescedEvent[] = [];
    let run = '';
    let events = 0;
    for (const { text, events: n } of this.pending) {
      if (run.length + text.length <= this.maxChars) {
        run += text;
        events += n;
        continue;
      }
      if (run !== '') out.push({ parts: [run], events });
      run = '';
      events = 0;
      if (text.length <= this.maxChars) {
        run = text;
        events = n;
      } else out.push({ parts: splitText(text, this.maxChars), events: n });
    }
    this.pending = [];
    this.chars = 0;
    if (run !== '' && all) out.push({ parts: [run], events });
    else if (run !== '') this.add(run, events);
    return out;
  }
}

/** `text` in slices of at most `max` UTF-16 units, never between the halves of a surrogate pair. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  for (let at = 0; at < text.length;) {
    let end = Math.min(text.length, at + max);
    if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
    parts.push(text.slice(at, end));
    at = end;
  }
  return parts;
}
