/**
 * Reliable delivery from one peer, the receiving half: which sequence numbers arrived (a floor with
 * nothing missing below it, and the seqs above it), so a copy is never delivered twice; ACKs batched
 * for a few milliseconds; the NACK each refused frame got, so a retransmitted copy gets the same answer;
 * and the seqs whose answer waits for a handler (`defer`), which no ACK may cover until answered.
 */
import { ControlKind, type Control, type NackReason } from '../lanes/index.ts';
import type { PeerMeter } from './peer-meter.ts';

export class Inbox {
  /** Highest seq received with nothing missing below it. */
  floor = 0n;
  /** Highest seq received (gaps and reordering are measured against it). */
  private highest = 0n;
  private readonly above = new Set<bigint>();
  /** NACKs sent, by seq, so a retransmitted copy gets the same answer. */
  private readonly nacks = new Map<bigint, Control & { kind: typeof ControlKind.Nack }>();
  /**
   * Seqs received whose answer waits (a handler that acknowledges only once it has done its work):
   * the floor an ACK carries stays below the lowest of them, so the sender never counts one as
   * delivered early. Bounded by what the peer may have unacknowledged (its outbox, `maxInFlight`).
   */
  private readonly unanswered = new Set<bigint>();
  /** Seqs refused lately, oldest first: listed in every ACK whose floor covers them for `NACK_MEMORY_MS`. */
  private recentNacks: { readonly seq: bigint; readonly at: number }[] = [];
  private ackQueue: bigint[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private flushQueued = false;

  constructor(
    /** Sends a control frame to the peer. */
    private readonly send: (c: Control) => void,
    /** Seqs the peer may have unacknowledged (bounds the set above the floor). */
    private readonly maxInFlight: number,
    /** ACKs are batched for at most this long. */
    private readonly ackDelayMs: number,
    /** Counts ACKs and NACKs sent, gaps and reordering. */
    private readonly meter: PeerMeter,
  ) {}

  /**
   * A session restored from its record: every seq at or below `floor` was received and answered by the
   * authority before its restart. What it received above it is not known; the client sends again all it
   * still holds above `floor` (the resume's backfill), and the seqs the old authority acknowledged after
   * the record was written never come again: the ACKs list the new seqs one by one until `compact`
   * moves the floor past those gaps.
   */
  restore(floor: bigint): void {
    this.floor = floor;
    this.highest = floor;
    this.above.clear();
  }

  /** Records an incoming seq; false when it was already received (a duplicate). */
  accept(seq: bigint): boolean {
    if (seq <= this.floor || this.above.has(seq)) return false;
    this.meter.arrived(seq, this.highest);
    if (seq > this.highest) this.highest = seq;
    if (seq === this.floor + 1n) {
      this.floor = seq;
      while (this.above.delete(this.floor + 1n)) this.floor++;
    } else {
      this.above.add(seq);
      // A peer that skips seqs for ever (its QoS-0 frames lost) must not grow this set without bound.
      if (this.above.size > 4 * this.maxInFlight) this.compact();
    }
    return true;
  }

  private compact(): void {
    const sorted = [...this.above].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const drop = sorted.slice(0, sorted.length - 2 * this.maxInFlight);
    for (const s of drop) this.above.delete(s);
    this.floor = drop[drop.length - 1] ?? this.floor;
    while (this.above.delete(this.floor + 1n)) this.floor++;
  }

  /**
   * The highest seq an ACK may cover as a floor: every seq at or below it was received and none of
   * them waits for its answer. What a resume reports as received, so that the sender sends again (and
   * keeps waiting for) whatever is still being handled here.
   */
  get answeredFloor(): bigint {
    let floor = this.floor;
    for (const s of this.unanswered) if (s <= floor) floor = s - 1n;
    return floor;
  }

  /** `seq` was accepted, and its ACK or NACK comes later (`ack` / `nack`); a copy arriving meanwhile gets no answer. */
  defer(seq: bigint): void {
    this.unanswered.add(seq);
  }

  /**
   * Queues an ACK for `seq` (sent within ackDelayMs, or at once when many are waiting). `soon`: sent
   * once the current run of microtasks ends — for an ACK that waited for a handler's work, so that the
   * time between the work done and the sender told (a crash there leaves it done but unacknowledged)
   * is as short as the bus can make it, while ACKs settled together still share one frame.
   */
  ack(seq: bigint, soon = false): void {
    this.unanswered.delete(seq);
    this.ackQueue.push(seq);
    if (this.ackQueue.length >= 256) this.flushAcks();
    else if (soon) {
      if (this.flushQueued) return;
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flushAcks();
      });
    } else this.ackTimer ??= setTimeout(() => this.flushAcks(), this.ackDelayMs);
  }

  /** Sends the queued ACKs now (also before a CLOSE, so the peer does not retransmit what we got). */
  flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ackQueue.length === 0) return;
    const floor = this.answeredFloor;
    const seqs = this.ackQueue.filter((s) => s > floor);
    this.ackQueue = [];
    const t = performance.now();
    while (this.recentNacks.length > 0 && t - this.recentNacks[0]!.at > NACK_MEMORY_MS) this.recentNacks.shift();
    const refused = this.recentNacks.filter((n) => n.seq <= floor).map((n) => n.seq);
    this.meter.acksSent++;
    this.send({ kind: ControlKind.Ack, floor, seqs: seqs.slice(0, 1024), refused: refused.slice(-1024) });
  }

  /** Refuses `seq` (and remembers the answer for retransmitted copies). */
  nack(seq: bigint, reason: NackReason, message: string, retryAfterMs = 0): void {
    this.unanswered.delete(seq);
    const c = { kind: ControlKind.Nack, seq, reason, retryAfterMs, message: clip(message) } as const;
    if (this.nacks.size >= 4096) this.nacks.delete(this.nacks.keys().next().value!);
    this.nacks.set(seq, c);
    this.recentNacks.push({ seq, at: performance.now() });
    if (this.recentNacks.length > 1024) this.recentNacks.shift();
    this.meter.nacksSent++;
    this.send(c);
  }

  /** A duplicate arrived: answer as the first copy was answered. */
  reanswer(seq: bigint, qos: number): void {
    if (this.unanswered.has(seq)) return; // the first copy's answer is on its way
    const n = this.nacks.get(seq);
    if (n) {
      this.meter.nacksSent++;
      this.send(n);
    } else if (qos > 0) this.ack(seq);
  }

  /** Stops the ACK timer (the session ended). */
  close(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }
}

/**
 * UTF-16 units of a NACK message kept: at most 3 UTF-8 bytes each, so the message stays under the
 * control frames' 4096-byte string bound whatever a refusal quotes (a hostile address, a field path).
 */
const NACK_MESSAGE_UNITS = 1024;

/**
 * How long a refused seq is listed in the ACKs that cover it: longer than a sender's largest
 * retransmission timeout (1 s by default) twice over, so that a sender whose NACK was lost learns of
 * the refusal from a later ACK, or sends the frame again and gets the NACK again.
 */
const NACK_MEMORY_MS = 3000;

function clip(message: string): string {
  if (message.length <= NACK_MESSAGE_UNITS) return message;
  let end = NACK_MESSAGE_UNITS - 1;
  // Never end on the first half of a surrogate pair.
  if ((message.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
  return `${message.slice(0, end)}…`;
}
