/**
 * Reliable delivery to one peer, the sending half: sequence numbers, every at-least-once /
 * exactly-once frame kept until the peer acknowledges it (retransmitted on an RFC 6298 timeout with
 * exponential backoff, given up as `undelivered` after `maxAttempts`), a congestion window that keeps a
 * burst from overrunning the path, and a ring of recent at-most-once frames so a resumed session can
 * be backfilled. It knows nothing of the session it serves beyond `OutboxHost`.
 */
import type { EncodedFrame } from '../lanes/index.ts';
import { BusError } from './errors.ts';
import type { PeerMeter } from './peer-meter.ts';

export interface RetransmitOptions {
  /** First retransmission after this many ms without an ACK (default 60). */
  readonly initialMs?: number;
  /** Backoff ceiling (default 1000). */
  readonly maxMs?: number;
  /** Copies sent before the message is given up as `undelivered` (default 20). */
  readonly maxAttempts?: number;
}

export interface OutboxOptions {
  readonly retransmit?: RetransmitOptions;
  /** Unacknowledged frames kept; beyond it publishing reports `backpressure` (default 4096). */
  readonly maxInFlight?: number;
  /** Payload bytes of the unacknowledged frames kept; beyond it publishing reports `backpressure` too (default 16 MiB). */
  readonly maxInFlightBytes?: number;
  /** Most frames on the wire at once, whatever the congestion window says (default 256: what a Network MIDI 2.0 retransmit buffer can repair). */
  readonly maxWindow?: number;
  /** At-most-once frames kept for resume backfill (default 1024, and at most 4 MiB of payload: the oldest go first). */
  readonly backfillRing?: number;
}

/** What the outbox needs of the session it sends for. */
export interface OutboxHost {
  /** Frames go out only while the session is established; otherwise they wait. */
  isEstablished(): boolean;
  /** Puts packets on the session's link (dropped while it has none: they wait in the outbox or ring). */
  put(words: Uint32Array): void;
  /** A retransmission was sent for a frame of this topic. */
  retried(topicId: number): void;
  describe(): string;
}

/** A frame kept for (re)transmission. */
interface OutFrame {
  readonly seq: bigint;
  readonly frame: EncodedFrame;
  readonly qos: number;
  readonly topicId: number;
  /** Its payload's size: what keeping it costs (the frame's packets are built from it on each transmission). */
  readonly bytes: number;
  /** Copies sent so far (0 while it waits for the congestion window). */
  attempts: number;
  due: number;
  firstSentAt: number;
  readonly waiters: ((error: BusError | undefined) => void)[];
}

const now = (): number => performance.now();

/** Payload bytes of unacknowledged frames one peer's outbox keeps by default: 16 MiB (sixteen messages of the largest default payload). */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;
/** Payload bytes of the at-most-once backfill ring: 4 MiB. */
const MAX_RING_BYTES = 4 * 1024 * 1024;

export class Outbox {
  /** Round-trip estimate and its variation from first-attempt ACKs (ms), as in RFC 6298. */
  srttMs: number | undefined;
  private rttvarMs = 0;
  /**
   * Congestion window: acknowledged-QoS frames on the wire at once. Grows by one per ACK (slow start)
   * up to `ssthresh`, then by one per window; halves when a retransmission timer fires. Frames beyond
   * it wait, so a burst cannot overrun a UDP path's buffers and turn into loss.
   */
  private cwnd = 16;
  private ssthresh = Number.POSITIVE_INFINITY;
  private onWire = 0;
  private lastCut = 0;
  private readonly waiting: OutFrame[] = [];
  private waitingAt = 0;
  private nextSeq = 1n;
  private readonly frames = new Map<bigint, OutFrame>();
  /** Recent at-most-once frames: a circular buffer of `ringSize`, `ringCount` of them from `ringHead`, oldest first. */
  private readonly ring: (OutFrame | undefined)[] = [];
  private ringHead = 0;
  private ringCount = 0;
  private ringBytes = 0;
  private bytes = 0;
  private retryTimer: ReturnType<typeof setInterval> | undefined;
  /** Changes per transmission: carriers with stream ids never continue an earlier copy's packets. */
  private stream = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxAttempts: number;
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
  private readonly maxWindow: number;
  private readonly ringSize: number;

  constructor(
    private readonly host: OutboxHost,
    options: OutboxOptions,
    /** Counts retransmissions and keeps the round trips measured. */
    private readonly meter: PeerMeter,
  ) {
    this.initialMs = options.retransmit?.initialMs ?? 60;
    this.maxMs = options.retransmit?.maxMs ?? 1000;
    this.maxAttempts = options.retransmit?.maxAttempts ?? 20;
    this.maxInFlight = options.maxInFlight ?? 4096;
    this.maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    this.maxWindow = Math.max(4, Math.min(options.maxWindow ?? 256, this.maxInFlight));
    this.ringSize = options.backfillRing ?? 1024;
  }

  /** The highest seq assigned so far (0 before the first frame). */
  get lastSeq(): bigint {
    return this.nextSeq - 1n;
  }

  /**
   * A restored session's outbox, before its first frame: its seqs continue after `seq`, past every seq
   * the authority's earlier process may have used. Ignored once a frame was sequenced here.
   */
  continueAfter(seq: bigint): void {
    if (this.nextSeq === 1n) this.nextSeq = seq + 1n;
  }

  /** Unacknowledged frames. */
  get inFlight(): number {
    return this.frames.size;
  }

  /** Payload bytes of the unacknowledged frames. */
  get inFlightBytes(): number {
    return this.bytes;
  }

  /** No further at-least-once / exactly-once frame is taken (`maxInFlight` frames or `maxInFlightBytes` bytes await acknowledgement). */
  get isFull(): boolean {
    return this.frames.size >= this.maxInFlight || this.bytes >= this.maxInFlightBytes;
  }

  /** What is full, for messages. */
  describeFull(): string {
    return `${this.frames.size} messages (${this.bytes} bytes) await acknowledgement (limits ${this.maxInFlight} messages, ${this.maxInFlightBytes} bytes)`;
  }

  /** Starts the retransmission timer (once a link is attached). */
  start(): void {
    if (this.retryTimer) return;
    this.retryTimer = setInterval(() => this.retransmitDue(), Math.max(5, Math.min(25, this.initialMs / 2)));
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
    this.retryTimer.unref?.();
  }

  /**
   * Sequences and sends one data frame built by `build(seq)`. For QoS ≥ 1 the frame is kept until
   * acknowledged and `settle` runs then (or with the error that ended it); QoS 0 frames go to the
   * backfill ring. Throws `backpressure` when too many frames await acknowledgement.
   */
  send(qos: number, topicId: number, build: (seq: bigint) => EncodedFrame, settle?: (error: BusError | undefined) => void, bytes = 0): bigint {
    if (qos > 0 && this.isFull) {
      throw new BusError('backpressure', `${this.host.describe()}: ${this.describeFull()}`, { retryAfterMs: this.retryHintMs() });
    }
    const seq = this.nextSeq++;
    const out: OutFrame = {
      seq,
      frame: build(seq),
      qos,
      topicId,
      bytes,
      attempts: 0,
      due: Number.POSITIVE_INFINITY,
      firstSentAt: 0,
      waiters: settle ? [settle] : [],
    };
    if (qos > 0) {
      this.frames.set(seq, out);
      this.bytes += bytes;
      this.waiting.push(out);
      this.pump();
    } else {
      this.remember(out);
      if (this.host.isEstablished()) this.transmit(out, false);
    }
    return seq;
  }

  /** Sends waiting frames while the congestion window has room. */
  private pump(): void {
    if (!this.host.isEstablished()) return;
    const t = now();
    while (this.waitingAt < this.waiting.length && this.onWire < this.cwnd) {
      const f = this.waiting[this.waitingAt++]!;
      if (!this.frames.has(f.seq) || f.attempts > 0) continue; // acknowledged or refused meanwhile
      f.attempts = 1;
      f.firstSentAt = t;
      f.due = t + this.rto();
      this.onWire++;
      this.transmit(f, false);
    }
    if (this.waitingAt === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingAt = 0;
    } else if (this.waitingAt > 1024) {
      this.waiting.splice(0, this.waitingAt);
      this.waitingAt = 0;
    }
  }

  /** How long a publisher should wait before retrying after `backpressure`. */
  retryHintMs(): number {
    return Math.max(1, Math.ceil(this.srttMs ?? this.initialMs));
  }

  /** Retransmission timeout: srtt + 4·rttvar (RFC 6298), at least `initialMs`, at most `maxMs`. */
  private rto(): number {
    const base = this.srttMs === undefined ? this.initialMs * 2 : Math.max(this.initialMs, this.srttMs + 4 * this.rttvarMs);
    return Math.min(base, this.maxMs);
  }

  private remember(frame: OutFrame): void {
    if (this.ringSize <= 0) return;
    if (this.ringCount === this.ringSize) this.forgetOldest();
    this.ring[(this.ringHead + this.ringCount) % this.ringSize] = frame;
    this.ringCount++;
    this.ringBytes += frame.bytes;
    while (this.ringBytes > MAX_RING_BYTES && this.ringCount > 1) this.forgetOldest();
  }

  private forgetOldest(): void {
    const oldest = this.ring[this.ringHead]!;
    this.ring[this.ringHead] = undefined;
    this.ringHead = (this.ringHead + 1) % this.ringSize;
    this.ringCount--;
    this.ringBytes -= oldest.bytes;
  }

  private transmit(f: OutFrame, retransmission: boolean): void {
    this.stream = (this.stream + 1) & 0xff;
    this.host.put(f.frame.packets(retransmission, this.stream));
  }

  private retransmitDue(): void {
    if (!this.host.isEstablished() || this.frames.size === 0) return;
    const t = now();
    let fired = false;
    for (const f of this.frames.values()) {
      if (f.attempts === 0 || f.due > t) continue;
      fired = true;
      if (f.attempts >= this.maxAttempts) {
        this.drop(f);
        this.finish(f, new BusError('undelivered', `${this.host.describe()}: no acknowledgement after ${f.attempts} attempts`, {}));
        continue;
      }
      f.attempts++;
      f.due = t + Math.min(this.rto() * 2 ** (f.attempts - 1), this.maxMs);
      this.transmit(f, true);
      this.meter.retransmits++;
      this.host.retried(f.topicId);
    }
    // Loss: halve the window, at most once per round trip.
    if (fired && t - this.lastCut > (this.srttMs ?? this.initialMs)) {
      this.lastCut = t;
      this.ssthresh = Math.max(4, Math.floor(this.cwnd / 2));
      this.cwnd = this.ssthresh;
    }
    this.pump();
  }

  /** Removes a frame from the outbox (acknowledged, refused or given up). */
  private drop(f: OutFrame): void {
    if (this.frames.delete(f.seq)) this.bytes -= f.bytes;
    if (f.attempts > 0) this.onWire--;
  }

  private finish(f: OutFrame, error: BusError | undefined): void {
    for (const w of f.waiters.splice(0)) w(error);
  }

  /** After a resume: sends again everything the peer has not received (seq > its floor). */
  backfill(peerFloor: bigint): number {
    let n = 0;
    const t = now();
    const ring = Array.from({ length: this.ringCount }, (_, i) => this.ring[(this.ringHead + i) % this.ringSize]!);
    const frames = [...ring.filter((f) => f.seq > peerFloor), ...this.frames.values()].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
    for (const f of frames) {
      if (f.qos > 0 && f.seq <= peerFloor) {
        this.drop(f);
        this.finish(f, undefined);
        continue;
      }
      n++;
      if (f.qos === 0) this.transmit(f, false);
      else if (f.attempts > 0) {
        // Sent before the drop: send again now (it holds its place on the wire).
        f.due = t + this.rto();
        this.transmit(f, f.attempts > 1);
      }
    }
    this.pump();
    return n;
  }

  /** The peer acknowledged every seq ≤ floor but those it says it refused, and the listed ones. */
  acked(floor: bigint, seqs: readonly bigint[], refused: readonly bigint[] = []): void {
    const notAcked = new Set(refused);
    const t = now();
    const done = (f: OutFrame) => {
      if (f.attempts === 0) return; // not sent yet: an ACK for it is bogus
      this.drop(f);
      if (this.cwnd < this.ssthresh) this.cwnd++;
      else this.cwnd += 1 / this.cwnd;
      if (this.cwnd > this.maxWindow) this.cwnd = this.maxWindow;
      if (f.attempts === 1) {
        const rtt = t - f.firstSentAt;
        this.meter.rtt(rtt);
        if (this.srttMs === undefined) {
          this.srttMs = rtt;
          this.rttvarMs = rtt / 2;
        } else {
          this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - rtt);
          this.srttMs = 0.875 * this.srttMs + 0.125 * rtt;
        }
      }
      this.finish(f, undefined);
    };
    if (floor > 0n) {
      for (const f of this.frames.values()) {
        if (f.seq > floor) break; // insertion order is seq order
        // Refused: its NACK is the answer (or, lost, comes again when the frame is sent again).
        if (!notAcked.has(f.seq)) done(f);
      }
    }
    for (const s of seqs) {
      const f = this.frames.get(s);
      if (f) done(f);
    }
    this.pump();
  }

  /** The peer refused frame `seq`. */
  refused(seq: bigint, error: BusError): void {
    const f = this.frames.get(seq);
    if (!f) return;
    this.drop(f);
    this.finish(f, error);
    this.pump();
  }

  /** Ends delivery: every pending frame fails with `error`, the timer stops. */
  close(error: BusError): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    for (const f of this.frames.values()) this.finish(f, error);
    this.frames.clear();
    this.bytes = 0;
  }
}
