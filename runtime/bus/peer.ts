/**
 * One peer of the network Bus: the session with it and the QoS machinery below routing. It frames
 * outgoing messages onto the current link, keeps every at-least-once / exactly-once frame until the
 * peer acknowledges it (retransmitting with exponential backoff), keeps a ring of recent at-most-once
 * frames so a resumed session can be backfilled, and on the way in reassembles frames, drops
 * duplicates by sequence number and acknowledges in batches. A PeerSession outlives its link: when
 * the link drops the session is detached, and a resume re-attaches it to a new link.
 */
import { UmpError, UmpReader } from '../ump/index.ts';
import { ControlKind, decodeControl, encodeControl, type Control, type Interest, type NackReason } from './control.ts';
import { BusError } from './errors.ts';
import { CONTROL_GROUP, DATA_GROUP, FLAG_RETRANSMISSION, FrameError, decodeDataFrame, frameOf, frameToUmp, reseal, type DataFrame } from './frame.ts';
import { CONTROL_SUB_ID } from './frame.ts';
import { decodeFlexFrame, isFlexFrame, type FlexFrame } from './flex-frame.ts';
import { matchAddress, type AddressPattern } from './address.ts';
import type { LinkDown, UmpLink } from '../transports/link.ts';

export interface RetransmitOptions {
  /** First retransmission after this many ms without an ACK (default 60). */
  readonly initialMs?: number;
  /** Backoff ceiling (default 1000). */
  readonly maxMs?: number;
  /** Copies sent before the message is given up as `undelivered` (default 20). */
  readonly maxAttempts?: number;
}

export interface PeerOptions {
  readonly retransmit?: RetransmitOptions;
  /** Unacknowledged frames kept per peer; beyond it publishing reports `backpressure` (default 4096). */
  readonly maxInFlight?: number;
  /** Most frames on the wire at once, whatever the congestion window says (default 256: what a Network MIDI 2.0 retransmit buffer can repair). */
  readonly maxWindow?: number;
  /** At-most-once frames kept for resume backfill (default 1024). */
  readonly backfillRing?: number;
  /** ACKs are batched for at most this long (default 5 ms). */
  readonly ackDelayMs?: number;
  /** Largest reassembled frame in bytes. */
  readonly maxFrameBytes: number;
}

/**
 * What a data frame is made of: the SysEx8 data of a binary frame, or (flex lane) a function giving the
 * Flex Data packets of the frame with the given flags (a retransmitted copy is re-encoded with its flag).
 */
export type FrameBody = Uint8Array | ((flags: number) => Uint32Array);

/** A frame kept for (re)transmission. */
interface OutFrame {
  readonly seq: bigint;
  readonly body: FrameBody;
  /** Packets of a flex frame as last encoded. */
  words: Uint32Array | undefined;
  readonly qos: number;
  readonly topicId: number;
  /** Copies sent so far (0 while it waits for the congestion window). */
  attempts: number;
  due: number;
  firstSentAt: number;
  readonly waiters: ((error: BusError | undefined) => void)[];
}

export interface PeerEvents {
  data(peer: PeerSession, frame: DataFrame): void;
  /** A flex-lane frame: the body is still JSON (the owner knows the codecs). */
  flexData(peer: PeerSession, frame: FlexFrame): void;
  control(peer: PeerSession, control: Control): void;
  /** A frame that could not be read (counted as quarantined). */
  malformed(peer: PeerSession, error: Error): void;
  linkDown(peer: PeerSession, down: LinkDown): void;
  /** A retransmission was sent for a frame of this topic. */
  retried(peer: PeerSession, topicId: number): void;
}

export type PeerState = 'handshake' | 'established' | 'detached' | 'closed';

export interface InterestEntry {
  readonly interest: Interest;
  readonly pattern: AddressPattern;
}

const now = (): number => performance.now();

export class PeerSession {
  state: PeerState = 'handshake';
  link: UmpLink | undefined;
  sessionId = 0;
  /** Capabilities granted to the peer (authority side) or to us (client side). */
  granted = 0n;
  maxPayload: number;
  peerName = '';
  resumeToken = '';
  heartbeatMs = 1000;
  /** The session's agreed jitter budget (µs). */
  jitterBudgetUs = 0;
  /** The session's clock source (numbers of fountain.session.ClockSource). */
  clockSource = 1;
  /** The peer's subscriptions, by its subscription id. */
  readonly interests = new Map<number, InterestEntry>();
  /** Round-trip estimate and its variation from first-attempt ACKs (ms), as in RFC 6298. */
  srttMs: number | undefined;
  private rttvarMs = 0;
  /**
   * Congestion window: acknowledged-QoS frames on the wire at once. Grows by one per ACK (slow start)
   * up to `ssthresh`, then by one per window; halves when a retransmission timer fires. Frames beyond
   * it wait in the outbox, so a burst cannot overrun a UDP path's buffers and turn into loss.
   */
  private cwnd = 16;
  private ssthresh = Number.POSITIVE_INFINITY;
  private onWire = 0;
  private lastCut = 0;
  private readonly waiting: OutFrame[] = [];
  private waitingAt = 0;

  private nextSeq = 1n;
  private readonly outbox = new Map<bigint, OutFrame>();
  private readonly ring: OutFrame[] = [];
  private ringAt = 0;
  /** Highest seq received with nothing missing below it, and the seqs received above it. */
  floor = 0n;
  private readonly above = new Set<bigint>();
  /** NACKs sent, by seq, so a retransmitted copy gets the same answer. */
  private readonly nacks = new Map<bigint, Control & { kind: typeof ControlKind.Nack }>();
  private ackQueue: bigint[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setInterval> | undefined;
  private reader: UmpReader;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxAttempts: number;
  readonly maxInFlight: number;
  private readonly maxWindow: number;
  private readonly ringSize: number;
  private readonly ackDelayMs: number;
  private streamId = 0;
  /** When anything last arrived from the peer (ms, performance.now). */
  lastHeard = now();

  constructor(
    readonly role: 'authority' | 'client',
    private readonly events: PeerEvents,
    private readonly options: PeerOptions,
  ) {
    this.initialMs = options.retransmit?.initialMs ?? 60;
    this.maxMs = options.retransmit?.maxMs ?? 1000;
    this.maxAttempts = options.retransmit?.maxAttempts ?? 20;
    this.maxInFlight = options.maxInFlight ?? 4096;
    this.maxWindow = Math.max(4, Math.min(options.maxWindow ?? 256, this.maxInFlight));
    this.ringSize = options.backfillRing ?? 1024;
    this.ackDelayMs = options.ackDelayMs ?? 5;
    this.maxPayload = options.maxFrameBytes;
    this.reader = this.newReader();
  }

  private newReader(): UmpReader {
    return new UmpReader({ maxMessageBytes: this.options.maxFrameBytes, maxOpenStreams: 512, timeoutMs: 5_000 });
  }

  /** Unacknowledged frames. */
  /** A session exists with the peer, attached to a link or waiting for a resume: traffic for it is sent or kept. */
  get inSession(): boolean {
    return this.state === 'established' || this.state === 'detached';
  }

  /**
   * Whether the peer subscribed to `address` of topic `topicId`: with a typed subscription of that
   * topic (those answer requests), or, unless `typedOnly`, with a pattern too.
   */
  subscribedTo(topicId: number, address: string, typedOnly: boolean): boolean {
    for (const { interest, pattern } of this.interests.values()) {
      const kindFits = interest.topicId === topicId || (!typedOnly && interest.topicId === 0);
      if (kindFits && matchAddress(pattern, address)) return true;
    }
    return false;
  }

  get inFlight(): number {
    return this.outbox.size;
  }

  /** Takes `link` as the session's path (a new session, or a resume); the old link, if any, is dropped. */
  attach(link: UmpLink): void {
    const old = this.link;
    this.link = link;
    this.reader = this.newReader();
    this.lastHeard = now();
    link.onReceive((words) => {
      if (this.link === link) this.receive(words);
    });
    link.onDown((down) => {
      if (this.link !== link) return;
      this.link = undefined;
      this.events.linkDown(this, down);
    });
    if (old && old !== link && old.isOpen) void old.close();
    if (!this.retryTimer) {
      this.retryTimer = setInterval(() => this.retransmitDue(), Math.max(5, Math.min(25, this.initialMs / 2)));
      this.retryTimer.unref?.();
    }
  }

  /** Sends a control frame now (control frames are not sequenced; their senders retry where needed). */
  sendControl(c: Control): void {
    this.put(frameToUmp(encodeControl(c), CONTROL_GROUP, 0));
  }

  /**
   * Sequences and sends one data frame built by `build(seq)`. For QoS ≥ 1 the frame is kept until
   * acknowledged and `settle` runs then (or with the error that ended it); QoS 0 frames go to the
   * backfill ring. Throws `backpressure` when too many frames await acknowledgement.
   */
  sendData(qos: number, topicId: number, build: (seq: bigint) => FrameBody, settle?: (error: BusError | undefined) => void): bigint {
    if (qos > 0 && this.outbox.size >= this.maxInFlight) {
      throw new BusError('backpressure', `${this.describe()}: ${this.outbox.size} messages await acknowledgement (limit ${this.maxInFlight})`, {
        retryAfterMs: this.retryHintMs(),
      });
    }
    const seq = this.nextSeq++;
    const body = build(seq);
    const frame: OutFrame = {
      seq,
      body,
      words: undefined,
      qos,
      topicId,
      attempts: 0,
      due: Number.POSITIVE_INFINITY,
      firstSentAt: 0,
      waiters: settle ? [settle] : [],
    };
    if (qos > 0) {
      this.outbox.set(seq, frame);
      this.waiting.push(frame);
      this.pump();
    } else {
      this.remember(frame);
      if (this.state === 'established') this.transmit(frame);
    }
    return seq;
  }

  /** Sends waiting frames while the congestion window has room. */
  private pump(): void {
    if (this.state !== 'established' || !this.link) return;
    const t = now();
    while (this.waitingAt < this.waiting.length && this.onWire < this.cwnd) {
      const f = this.waiting[this.waitingAt++]!;
      if (!this.outbox.has(f.seq) || f.attempts > 0) continue; // acknowledged or refused meanwhile
      f.attempts = 1;
      f.firstSentAt = t;
      f.due = t + this.rto();
      this.onWire++;
      this.transmit(f);
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
    if (this.ring.length < this.ringSize) this.ring.push(frame);
    else {
      this.ring[this.ringAt] = frame;
      this.ringAt = (this.ringAt + 1) % this.ringSize;
    }
  }

  private transmit(frame: OutFrame): void {
    const { body } = frame;
    if (body instanceof Uint8Array) this.put(frameToUmp(body, DATA_GROUP, (this.streamId = (this.streamId + 1) & 0xff)));
    else this.put((frame.words ??= body(0)));
  }

  /** Marks a frame as a retransmission (once): the flag bit, and the checksum that covers it. */
  private markRetransmission(f: OutFrame): void {
    const { body } = f;
    if (!(body instanceof Uint8Array)) {
      if (f.attempts === 2) f.words = body(FLAG_RETRANSMISSION);
      return;
    }
    if ((body[4]! & FLAG_RETRANSMISSION) === 0) {
      body[4]! |= FLAG_RETRANSMISSION;
      reseal(body);
    }
  }

  private put(words: Uint32Array): void {
    const link = this.link;
    if (!link || !link.isOpen) return; // detached: frames wait in the outbox / ring for a resume
    try {
      link.send(words);
    } catch {
      // The link is going down; its onDown handler detaches the session.
    }
  }

  private retransmitDue(): void {
    if (this.state !== 'established' || this.outbox.size === 0) return;
    const t = now();
    let fired = false;
    for (const f of this.outbox.values()) {
      if (f.attempts === 0 || f.due > t) continue;
      fired = true;
      if (f.attempts >= this.maxAttempts) {
        this.drop(f);
        this.finish(f, new BusError('undelivered', `${this.describe()}: no acknowledgement after ${f.attempts} attempts`, {}));
        continue;
      }
      f.attempts++;
      f.due = t + Math.min(this.rto() * 2 ** (f.attempts - 1), this.maxMs);
      this.markRetransmission(f);
      this.transmit(f);
      this.events.retried(this, f.topicId);
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
    this.outbox.delete(f.seq);
    if (f.attempts > 0) this.onWire--;
  }

  private finish(f: OutFrame, error: BusError | undefined): void {
    for (const w of f.waiters.splice(0)) w(error);
  }

  /** After a resume: sends again everything the peer has not received (seq > its floor). */
  backfill(peerFloor: bigint): number {
    let n = 0;
    const t = now();
    const ring = [...this.ring.slice(this.ringAt), ...this.ring.slice(0, this.ringAt)];
    const frames = [...ring.filter((f) => f.seq > peerFloor), ...this.outbox.values()].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
    for (const f of frames) {
      if (f.qos > 0 && f.seq <= peerFloor) {
        this.drop(f);
        this.finish(f, undefined);
        continue;
      }
      n++;
      if (f.qos === 0) this.transmit(f);
      else if (f.attempts > 0) {
        // Sent before the drop: send again now (it holds its place on the wire).
        f.due = t + this.rto();
        this.transmit(f);
      }
    }
    this.pump();
    return n;
  }

  /** The peer acknowledged every seq ≤ floor and the listed ones. */
  acked(floor: bigint, seqs: readonly bigint[]): void {
    const t = now();
    const done = (f: OutFrame) => {
      if (f.attempts === 0) return; // not sent yet: an ACK for it is bogus
      this.drop(f);
      if (this.cwnd < this.ssthresh) this.cwnd++;
      else this.cwnd += 1 / this.cwnd;
      if (this.cwnd > this.maxWindow) this.cwnd = this.maxWindow;
      if (f.attempts === 1) {
        const rtt = t - f.firstSentAt;
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
      for (const f of this.outbox.values()) {
        if (f.seq > floor) break; // insertion order is seq order
        done(f);
      }
    }
    for (const s of seqs) {
      const f = this.outbox.get(s);
      if (f) done(f);
    }
    this.pump();
  }

  /** The peer refused frame `seq`. */
  refused(seq: bigint, error: BusError): void {
    const f = this.outbox.get(seq);
    if (!f) return;
    this.drop(f);
    this.finish(f, error);
    this.pump();
  }

  /** Records an incoming seq; false when it was already received (a duplicate). */
  accept(seq: bigint): boolean {
    if (seq <= this.floor || this.above.has(seq)) return false;
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

  /** Queues an ACK for `seq` (sent within ackDelayMs, or at once when many are waiting). */
  ack(seq: bigint): void {
    this.ackQueue.push(seq);
    if (this.ackQueue.length >= 256) this.flushAcks();
    else if (!this.ackTimer) this.ackTimer = setTimeout(() => this.flushAcks(), this.ackDelayMs);
  }

  /** Sends the queued ACKs now (also before a CLOSE, so the peer does not retransmit what we got). */
  flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ackQueue.length === 0) return;
    const seqs = this.ackQueue.filter((s) => s > this.floor);
    this.ackQueue = [];
    this.sendControl({ kind: ControlKind.Ack, floor: this.floor, seqs: seqs.slice(0, 1024) });
  }

  /** Refuses `seq` (and remembers the answer for retransmitted copies). */
  nack(seq: bigint, reason: NackReason, message: string, retryAfterMs = 0): void {
    const c = { kind: ControlKind.Nack, seq, reason, retryAfterMs, message } as const;
    if (this.nacks.size >= 4096) this.nacks.delete(this.nacks.keys().next().value!);
    this.nacks.set(seq, c);
    this.sendControl(c);
  }

  /** A duplicate arrived: answer as the first copy was answered. */
  reanswer(seq: bigint, qos: number): void {
    const n = this.nacks.get(seq);
    if (n) this.sendControl(n);
    else if (qos > 0) this.ack(seq);
  }

  private receive(words: Uint32Array): void {
    this.lastHeard = now();
    for (const ev of this.reader.push(words)) {
      if (ev instanceof UmpError) continue; // gaps the QoS layer repairs
      if (ev.kind === 'flex-text') {
        if (!isFlexFrame(ev)) continue;
        try {
          this.events.flexData(this, decodeFlexFrame(ev.text, this.options.maxFrameBytes));
        } catch (err) {
          if (err instanceof FrameError) this.events.malformed(this, err);
          else throw err;
        }
        continue;
      }
      if (ev.kind !== 'sysex8') continue; // other UMP traffic on the link is not ours
      try {
        const f = frameOf(ev.data);
        if (!f) continue;
        if (f.subId === CONTROL_SUB_ID) this.events.control(this, decodeControl(f.body));
        else this.events.data(this, decodeDataFrame(f.body, this.options.maxFrameBytes));
      } catch (err) {
        if (err instanceof FrameError) this.events.malformed(this, err);
        else throw err;
      }
    }
  }

  describe(): string {
    return `peer ${this.peerName || '?'} (session ${this.sessionId})`;
  }

  /** Ends the session: pending frames fail with `error`, timers stop, the link closes. */
  close(error: BusError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.ackTimer) clearTimeout(this.ackTimer);
    for (const f of this.outbox.values()) this.finish(f, error);
    this.outbox.clear();
    const link = this.link;
    this.link = undefined;
    if (link?.isOpen) void link.close();
  }
}
