/**
 * The network Bus: the `Bus` contract over `UmpLink`s (Network MIDI 2.0 sessions, in-process links).
 * One `NetworkBus` is one node. Its own subscriptions are announced to every peer; a message goes to
 * the local subscribers it matches and to every peer that announced a matching subscription, so a
 * node with several peers is also a broker between them (`midl peer`). Replies travel back the way
 * the request came.
 *
 * Sessions: a client (`connect`) sends HELLO (name, requested capabilities, max payload, jitter
 * budget, clock sources, its subscriptions) on group 0; the authority (`accept`) answers WELCOME with
 * the session id, the granted capability mask, the negotiated limits and a single-use resume token.
 * When a link drops, the authority keeps the session (detached) for `resumeWindowMs`; the client,
 * given `reconnect`, opens a new link and resumes with its token and the last seq it received in
 * order; both sides then send again whatever the other has not received (backfill).
 *
 * Checks on every received message: a session must be established, its session id must be the
 * link's (authority side), duplicates (by seq) are dropped and acknowledged again, timestamps older
 * than `maxAgeMs` (or further ahead than `maxSkewMs`) are refused as `stale`, a request reusing a
 * correlation id is refused as `replay`, the sender must hold the topic's publish capability, the
 * payload must fit and decode. A refusal travels back as a NACK and rejects the publisher's promise.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Codec } from '../codec/codec.ts';
import type { JsonValue } from '../codec/index.ts';
import { Qos as WireQos, type EnvelopeHeader } from '../envelope/index.ts';
import type { LinkDown, UmpLink } from '../transports/link.ts';
import { compilePattern, formatAddress, matchAddress, replyAddress, topicPattern, type AddressPattern } from './address.ts';
import type { Bus, Delivery, Handler, IntentDelivery, IntentResponder, InvokeOptions, PublishOptions, ReplyValue, RequestOptions, Responder, SubscribeOptions, Subscription } from './bus.ts';
import { assertMask, maskAllows } from './capabilities.ts';
import { NO_RESPONDER, assertAllowed, encodeChecked, remoteError, remoteInfo, replyTarget, responderHandler } from './checks.ts';
import { ClockSource, ControlKind, type Control, type Interest, type NackReason } from './control.ts';
import type { AnyIntentDescriptor, AnyTopicDescriptor, IntentDescriptor, QosLevel, TopicDescriptor } from './descriptor.ts';
import { BusError, type RemoteErrorInfo } from './errors.ts';
import { encodeFlexFrame, type FlexFrame } from './flex-frame.ts';
import { FrameKind, encodeDataFrame, type DataFrame } from './frame.ts';
import { PeerSession, type FrameBody, type PeerEvents, type RetransmitOptions } from './peer.ts';
import { DeliveryQueue } from './queue.ts';
import { Telemetry, type DeliveryReportValue, type JitterReportValue, type TopicSnapshot } from './telemetry.ts';

export interface NetworkTelemetryOptions {
  /** Where latency/jitter reports go (a `telemetry/jitter` registry entry); not published when absent. */
  readonly jitter?: TopicDescriptor<JitterReportValue, never, never>;
  /** Where delivery counters go (a `telemetry/delivery` registry entry). */
  readonly delivery?: TopicDescriptor<DeliveryReportValue, never, never>;
  /** Length of a measurement window (default 1000 ms). */
  readonly intervalMs?: number;
}

export interface NetworkBusOptions {
  /** This node's name: sent in HELLO/WELCOME, the `peer` of its telemetry. */
  readonly name: string;
  /** Every topic this node may carry (a generated registry's `Object.values(topics)`), looked up by id on receipt. */
  readonly topics: readonly AnyTopicDescriptor[];
  readonly intents?: readonly AnyIntentDescriptor[];
  /** Client: the capabilities asked for in HELLO. Authority: this node's own mask. Default: all. */
  readonly capabilities?: bigint;
  /** Authority: what a client is granted for what it asked (default: all it asked for). */
  readonly grant?: (requested: bigint, hello: { readonly name: string }) => bigint;
  /** Default request/invoke timeout (5000 ms). */
  readonly requestTimeoutMs?: number;
  /** Unacknowledged messages per peer before `backpressure` (4096). */
  readonly maxInFlight?: number;
  readonly retransmit?: RetransmitOptions;
  /** Oldest message timestamp accepted (30000 ms); older is `stale`. */
  readonly maxAgeMs?: number;
  /** How far ahead of this clock a timestamp may be (5000 ms). */
  readonly maxSkewMs?: number;
  /** Largest payload this node accepts, offered/enforced per session (1 MiB). */
  readonly maxPayload?: number;
  /**
   * Client: the jitter budget asked for. Authority: the smallest it can keep; a session agrees on the
   * larger of the two (default 5000 µs).
   */
  readonly jitterBudgetUs?: number;
  /** Heartbeat interval (1000 ms); a peer silent for `silenceMs` (5 × heartbeat) has its link closed. */
  readonly heartbeatMs?: number;
  readonly silenceMs?: number;
  /** Authority: how long a detached session waits for a resume (60000 ms). */
  readonly resumeWindowMs?: number;
  /** Local deliveries queued at most (65536). */
  readonly maxQueued?: number;
  readonly telemetry?: NetworkTelemetryOptions;
  /** Handler failures, undecodable or refused traffic (default: console.error). */
  readonly onError?: (error: unknown, address: string) => void;
}

export interface ConnectOptions {
  /** Opens a new link after the current one drops; without it a dropped link ends the session. */
  readonly reconnect?: () => Promise<UmpLink>;
  /** How long to wait for WELCOME (default 5000 ms). */
  readonly timeoutMs?: number;
  /** How long to keep trying to resume after a drop (default 30000 ms). */
  readonly resumeForMs?: number;
}

export interface NetworkBusStats {
  readonly peers: readonly {
    readonly name: string;
    readonly sessionId: number;
    readonly state: string;
    readonly inFlight: number;
    readonly srttMs: number | undefined;
    /** The negotiated contract: capabilities granted, largest payload, jitter budget (µs), clock source. */
    readonly granted: bigint;
    readonly maxPayload: number;
    readonly jitterBudgetUs: number;
    readonly clockSource: number;
  }[];
  readonly topics: readonly TopicSnapshot[];
  /** Frames that could not be read or arrived outside a session. */
  readonly quarantined: number;
  readonly resumes: number;
}

/** Topic id carried by intent invocations (the intent is named by the address `intent/<name>`). */
export const INTENT_TOPIC_ID = 0xffff_ffff;
const ALL = (1n << 64n) - 1n;
const HELLO_RETRY_MS = 200;
const SUBSCRIBE_RETRY_MS = 200;
const QOS_WIRE = { at_most_once: WireQos.AtMostOnce, at_least_once: WireQos.AtLeastOnce, exactly_once: WireQos.ExactlyOnce } as const;
const QOS_NAME = ['at_most_once', 'at_least_once', 'exactly_once'] as const;

/** Compiled address pattern of each topic (matching happens per message). */
const topicPatterns = new WeakMap<AnyTopicDescriptor, AddressPattern>();
function patternOf(topic: AnyTopicDescriptor): AddressPattern {
  let p = topicPatterns.get(topic);
  if (!p) topicPatterns.set(topic, (p = compilePattern(topic.address)));
  return p;
}

const nowUs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));

interface LocalSub {
  readonly subId: number;
  readonly pattern: AddressPattern;
  /** Typed subscriptions (they also answer requests); undefined for patterns. */
  readonly topic: AnyTopicDescriptor | undefined;
  readonly handler: Handler<unknown, string>;
  active: boolean;
}

interface PendingRequest {
  readonly codec: Codec<unknown> | undefined;
  readonly address: string;
  readonly settle: (error: BusError | undefined, value?: unknown) => void;
}

/** One message on its way through this node. */
interface Routed {
  readonly kind: FrameKind;
  readonly topic: AnyTopicDescriptor;
  readonly address: string;
  readonly header: EnvelopeHeader;
  readonly payload: Uint8Array;
  /** The peer it came from (never sent back there); undefined when published here. */
  readonly origin: PeerSession | undefined;
  /** The payload's value when at hand (published here, or already decoded on receipt): spares a decode for the JSON of the flex lane. */
  readonly value?: unknown;
  /** The value is this node's own copy (decoded from the wire): one local subscriber may have it instead of decoding another. */
  readonly owned?: boolean;
}

/** A received data frame as onData takes it: from a flex frame it may carry its decoded value, or why its body was refused. */
type Incoming = DataFrame & { readonly invalid?: string | undefined; readonly value?: unknown };

interface PendingSubscribe {
  readonly peer: PeerSession;
  readonly resolve: () => void;
  readonly reject: (e: BusError) => void;
  readonly timer: ReturnType<typeof setInterval>;
}

export class NetworkBus implements Bus {
  readonly name: string;
  private readonly topicsById = new Map<number, AnyTopicDescriptor>();
  private readonly intentTopics = new Map<string, AnyTopicDescriptor>();
  private readonly ownMask: bigint;
  private readonly requestTimeoutMs: number;
  private readonly maxAgeUs: bigint;
  private readonly maxSkewUs: bigint;
  private readonly maxPayload: number;
  private readonly heartbeatMs: number;
  private readonly jitterBudgetUs: number;
  private readonly silenceMs: number;
  private readonly resumeWindowMs: number;
  private readonly onError: (error: unknown, address: string) => void;
  private readonly deliveries: DeliveryQueue;
  private readonly telemetry: Telemetry;
  private readonly peers = new Set<PeerSession>();
  /** Authority: sessions by id (attached or detached). */
  private readonly sessions = new Map<number, PeerSession>();
  private readonly subs = new Map<number, LocalSub>();
  private readonly pending = new Map<string, PendingRequest>();
  /** Broker: where the reply to a forwarded request goes, by reply address. */
  private readonly replyRoutes = new Map<string, { peer: PeerSession; expires: number }>();
  /** Authority: correlation ids of requests seen per session (replay defence). */
  private readonly corrsSeen = new Map<PeerSession, Map<bigint, bigint>>();
  private readonly subscribeWaits = new Map<number, PendingSubscribe[]>();
  /** Broker: other peers' subscriptions announced under ids of this node's, by that id. */
  private readonly proxies = new Map<number, { readonly peer: PeerSession; readonly theirId: number; readonly interest: Interest }>();
  /** The client side's session (undefined on an authority). */
  private client: PeerSession | undefined;
  private readonly welcomes = new WeakMap<PeerSession, Control>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private nextSubId = 1;
  private nextCorr: bigint;
  private quarantined = 0;
  /** When each topic's last budget-breach report went out (performance.now). */
  private readonly breaches = new Map<number, number>();
  private resumes = 0;
  private closed = false;

  constructor(private readonly options: NetworkBusOptions) {
    this.name = options.name;
    for (const t of options.topics) this.topicsById.set(t.id, t);
    for (const i of options.intents ?? []) this.intentTopics.set(`intent/${i.name}`, intentTopic(i));
    this.ownMask = assertMask(options.capabilities ?? ALL);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.maxAgeUs = BigInt(options.maxAgeMs ?? 30_000) * 1000n;
    this.maxSkewUs = BigInt(options.maxSkewMs ?? 5_000) * 1000n;
    this.maxPayload = options.maxPayload ?? 1024 * 1024;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.jitterBudgetUs = options.jitterBudgetUs ?? 5_000;
    this.silenceMs = options.silenceMs ?? 5 * this.heartbeatMs;
    this.resumeWindowMs = options.resumeWindowMs ?? 60_000;
    this.onError = options.onError ?? ((error, address) => console.error(`midl bus ${this.name}: ${address}:`, error));
    this.deliveries = new DeliveryQueue(options.maxQueued ?? 65_536);
    this.telemetry = new Telemetry(this.topicsById);
    // Correlation ids start at a random point so two nodes' requests do not collide at a broker.
    this.nextCorr = (BigInt(randomBytes(4).readUInt32BE(0)) << 24n) | 1n;
    const heartbeat = setInterval(() => this.heartbeat(), this.heartbeatMs);
    heartbeat.unref?.();
    this.timers.push(heartbeat);
    const t = options.telemetry;
    if (t && (t.jitter || t.delivery)) {
      const report = setInterval(() => this.report(), t.intervalMs ?? 1_000);
      report.unref?.();
      this.timers.push(report);
    }
  }

  /** Client: the session id granted by the authority. Authority: 0. */
  get sessionId(): number {
    return this.client?.sessionId ?? 0;
  }

  /** Client: the capabilities granted by the authority (what was asked for, before the WELCOME). Authority: its own mask. */
  get capabilities(): bigint {
    return this.client && this.client.state !== 'handshake' ? this.client.granted : this.ownMask;
  }

  // ── sessions ────────────────────────────────────────────────────────────────────────────────────

  /** Authority: runs the session a peer opens over `link` (e.g. `endpoint.onSession((l) => bus.accept(l))`). */
  accept(link: UmpLink): void {
    this.assertOpen('accept');
    const peer = this.newPeer('authority');
    peer.peerName = link.peerName;
    peer.attach(link);
    const giveUp = setTimeout(() => {
      if (peer.state === 'handshake') this.dropPeer(peer, new BusError('closed', `${link.description}: no HELLO within 10 s`));
    }, 10_000);
    giveUp.unref?.();
  }

  /** Client: opens a session with the authority at the other end of `link`; resolves on its WELCOME. */
  connect(link: UmpLink, options: ConnectOptions = {}): Promise<void> {
    this.assertOpen('connect');
    if (this.client) return Promise.reject(new BusError('closed', `${this.name}: already connected (one authority per client bus)`));
    const peer = this.newPeer('client');
    this.client = peer;
    peer.attach(link);
    return this.handshake(peer, options.timeoutMs ?? 5_000).then(() => {
      if (options.reconnect) this.resumable.set(peer, { reconnect: options.reconnect, forMs: options.resumeForMs ?? 30_000 });
    });
  }

  private readonly resumable = new WeakMap<PeerSession, { reconnect: () => Promise<UmpLink>; forMs: number }>();
  private readonly handshakes = new WeakMap<PeerSession, { resolve: () => void; reject: (e: BusError) => void }>();

  /** Sends HELLO (again every 200 ms) until WELCOME or REFUSE; `resume` for a resumed session. */
  private handshake(peer: PeerSession, timeoutMs: number, resume = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const hello = (): Control => ({
        kind: ControlKind.Hello,
        name: this.name,
        capabilities: this.ownMask,
        maxPayload: this.maxPayload,
        jitterBudgetUs: this.jitterBudgetUs,
        heartbeatMs: this.heartbeatMs,
        clockSources: [ClockSource.wallClock, ClockSource.hostMonotonic],
        interests: this.interests(),
        resume: resume ? { sessionId: peer.sessionId, token: peer.resumeToken, lastSeq: peer.floor } : undefined,
      });
      const retry = setInterval(() => peer.sendControl(hello()), HELLO_RETRY_MS);
      const timeout = setTimeout(() => done(new BusError('timeout', `${peer.link?.description ?? this.name}: no WELCOME within ${timeoutMs} ms`, { timeoutMs })), timeoutMs);
      const done = (error?: BusError) => {
        clearInterval(retry);
        clearTimeout(timeout);
        this.handshakes.delete(peer);
        if (error) reject(error);
        else resolve();
      };
      this.handshakes.set(peer, { resolve: () => done(), reject: done });
      peer.sendControl(hello());
    });
  }

  private newPeer(role: 'authority' | 'client'): PeerSession {
    const events: PeerEvents = {
      data: (p, frame) => this.onData(p, frame),
      flexData: (p, frame) => this.fromFlex(p, frame),
      control: (p, c) => this.onControl(p, c),
      malformed: (p, err) => {
        this.quarantined++;
        this.onError(err, p.describe());
      },
      linkDown: (p, down) => this.onLinkDown(p, down),
      retried: (_p, topicId) => this.telemetry.counters(topicId).retried++,
    };
    const peer = new PeerSession(role, events, {
      maxFrameBytes: this.maxPayload + 8192,
      ...(this.options.retransmit ? { retransmit: this.options.retransmit } : {}),
      ...(this.options.maxInFlight ? { maxInFlight: this.options.maxInFlight } : {}),
    });
    this.peers.add(peer);
    return peer;
  }

  private onControl(peer: PeerSession, c: Control): void {
    switch (c.kind) {
      case ControlKind.Hello:
        if (peer.role === 'authority') this.onHello(peer, c);
        return;
      case ControlKind.Welcome:
        if (peer.role === 'client') this.onWelcome(peer, c);
        return;
      case ControlKind.Refuse: {
        const code = c.code === 3003 ? 'forbidden' : 'closed';
        const error = new BusError(code, `${peer.link?.description ?? this.name}: session refused: ${c.name}: ${c.message}`);
        const hs = this.handshakes.get(peer);
        if (hs) hs.reject(error);
        this.dropPeer(peer, error);
        return;
      }
      case ControlKind.Ack:
        peer.acked(c.floor, c.seqs);
        return;
      case ControlKind.Nack:
        peer.refused(c.seq, new BusError(c.reason, `${peer.describe()} refused the message: ${c.message}`, c.reason === 'backpressure' ? { retryAfterMs: c.retryAfterMs } : {}));
        return;
      case ControlKind.Subscribe:
        this.onSubscribe(peer, c);
        return;
      case ControlKind.Subscribed: {
        const waits = this.subscribeWaits.get(c.subId);
        const w = waits?.find((x) => x.peer === peer);
        if (!w || !waits) return;
        clearInterval(w.timer);
        waits.splice(waits.indexOf(w), 1);
        if (c.refused) w.reject(new BusError(c.refused, `${peer.describe()} refused the subscription: ${c.message}`));
        else w.resolve();
        return;
      }
      case ControlKind.Unsubscribe:
        this.removeInterest(peer, c.subId);
        return;
      case ControlKind.Heartbeat:
        return; // lastHeard is updated for every frame
      case ControlKind.Close:
        this.dropPeer(peer, new BusError('closed', `${peer.describe()} closed the session: ${c.reason}`));
        return;
    }
  }

  private onHello(peer: PeerSession, c: Control & { kind: typeof ControlKind.Hello }): void {
    if (peer.state === 'established') {
      // The client did not hear our WELCOME yet: answer the same.
      const w = this.welcomes.get(peer);
      if (w) peer.sendControl(w);
      return;
    }
    if (c.resume) return this.onResume(peer, c, c.resume);
    const granted = (this.options.grant ? this.options.grant(c.capabilities, { name: c.name }) : c.capabilities) & c.capabilities;
    if (c.capabilities !== 0n && granted === 0n) {
      peer.sendControl({ kind: ControlKind.Refuse, code: 3003, name: 'CAPABILITY_DENIED', message: 'policy grants none of the requested capabilities' });
      return this.dropPeer(peer, new BusError('forbidden', `${c.name}: no capability granted`), 50);
    }
    const clock = c.clockSources.find((s) => s === ClockSource.wallClock || s === ClockSource.hostMonotonic);
    if (clock === undefined) {
      peer.sendControl({ kind: ControlKind.Refuse, code: 3004, name: 'UNSUPPORTED_CLOCK', message: 'this node keeps wall_clock or host_monotonic time only' });
      return this.dropPeer(peer, new BusError('closed', `${c.name}: no common clock source`), 50);
    }
    peer.sessionId = this.newSessionId();
    peer.granted = granted;
    peer.peerName = c.name;
    peer.maxPayload = Math.min(this.maxPayload, Math.max(1024, c.maxPayload));
    peer.heartbeatMs = c.heartbeatMs;
    peer.jitterBudgetUs = Math.max(this.jitterBudgetUs, c.jitterBudgetUs);
    peer.clockSource = clock;
    peer.resumeToken = randomBytes(24).toString('base64url');
    peer.state = 'established';
    this.setInterests(peer, c.interests);
    this.sessions.set(peer.sessionId, peer);
    this.welcome(peer, clock, false, 0n);
  }

  private welcome(peer: PeerSession, clockSource: number, resumed: boolean, lastSeq: bigint): void {
    const w: Control = {
      kind: ControlKind.Welcome,
      sessionId: peer.sessionId,
      capabilities: peer.granted,
      maxPayload: peer.maxPayload,
      jitterBudgetUs: peer.jitterBudgetUs,
      clockSource,
      heartbeatMs: this.heartbeatMs,
      resumeToken: peer.resumeToken,
      resumed,
      lastSeq,
      name: this.name,
      interests: this.interests(peer),
    };
    this.welcomes.set(peer, w);
    peer.sendControl(w);
  }

  private onResume(fresh: PeerSession, c: Control & { kind: typeof ControlKind.Hello }, r: NonNullable<(Control & { kind: typeof ControlKind.Hello })['resume']>): void {
    const s = this.sessions.get(r.sessionId);
    const link = fresh.link;
    if (!s || !link || !sameToken(s.resumeToken, r.token)) {
      if (s && link && s.link === link) {
        // A repeated HELLO for a resume that already succeeded on this link.
        const w = this.welcomes.get(s);
        if (w) s.sendControl(w);
        return;
      }
      fresh.sendControl({ kind: ControlKind.Refuse, code: 3002, name: 'INVALID_RESUME_TOKEN', message: 'the resume token is wrong or was already used' });
      this.quarantined++;
      return this.dropPeer(fresh, new BusError('replay', `${c.name}: resume of session ${r.sessionId} refused`), 50);
    }
    this.peers.delete(fresh);
    s.attach(link);
    s.peerName = c.name;
    s.resumeToken = randomBytes(24).toString('base64url');
    s.state = 'established';
    this.setInterests(s, c.interests);
    this.resumes++;
    this.welcome(s, s.clockSource, true, s.floor);
    s.backfill(r.lastSeq);
  }

  private onWelcome(peer: PeerSession, c: Control & { kind: typeof ControlKind.Welcome }): void {
    const hs = this.handshakes.get(peer);
    if (!hs) return; // a repeated WELCOME
    peer.sessionId = c.sessionId;
    peer.granted = c.capabilities;
    peer.maxPayload = c.maxPayload;
    peer.jitterBudgetUs = c.jitterBudgetUs;
    peer.clockSource = c.clockSource;
    peer.heartbeatMs = c.heartbeatMs;
    peer.resumeToken = c.resumeToken;
    peer.peerName = c.name;
    peer.state = 'established';
    this.setInterests(peer, c.interests);
    hs.resolve();
    if (c.resumed) {
      this.resumes++;
      peer.backfill(c.lastSeq);
    }
  }

  private onLinkDown(peer: PeerSession, down: LinkDown): void {
    if (this.closed || peer.state === 'closed') return;
    if (peer.state !== 'established') return this.dropPeer(peer, new BusError('closed', `${peer.describe()}: link down during handshake: ${down.message}`));
    peer.state = 'detached';
    if (peer.role === 'authority') {
      const expire = setTimeout(() => {
        if (peer.state === 'detached') this.dropPeer(peer, new BusError('undelivered', `${peer.describe()}: not resumed within ${this.resumeWindowMs} ms`));
      }, this.resumeWindowMs);
      expire.unref?.();
      return;
    }
    const how = this.resumable.get(peer);
    if (!how) return this.dropPeer(peer, new BusError('undelivered', `${peer.describe()}: link down: ${down.message}`));
    void this.resume(peer, how.reconnect, how.forMs);
  }

  /** Client: new links until one resumes the session, for at most `forMs`. */
  private async resume(peer: PeerSession, reconnect: () => Promise<UmpLink>, forMs: number): Promise<void> {
    const deadline = performance.now() + forMs;
    let wait = 50;
    while (!this.closed && peer.state === 'detached' && performance.now() < deadline) {
      try {
        const link = await reconnect();
        if (this.closed) {
          await link.close();
          return;
        }
        peer.attach(link);
        await this.handshake(peer, Math.min(2_000, Math.max(100, deadline - performance.now())), true);
        return;
      } catch (err) {
        if (err instanceof BusError && err.code !== 'timeout') return this.dropPeer(peer, err);
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 1_000);
      }
    }
    if (peer.state === 'detached') this.dropPeer(peer, new BusError('undelivered', `${peer.describe()}: could not resume within ${forMs} ms`));
  }

  private dropPeer(peer: PeerSession, error: BusError, delayMs = 0): void {
    const drop = () => {
      peer.close(error);
      this.peers.delete(peer);
      for (const subId of [...peer.interests.keys()]) this.removeInterest(peer, subId);
      if (this.sessions.get(peer.sessionId) === peer) this.sessions.delete(peer.sessionId);
      this.corrsSeen.delete(peer);
      for (const waits of this.subscribeWaits.values()) {
        for (const w of waits.filter((x) => x.peer === peer)) {
          clearInterval(w.timer);
          waits.splice(waits.indexOf(w), 1);
          w.resolve();
        }
      }
      if (this.client === peer) {
        for (const p of [...this.pending.values()]) p.settle(new BusError('closed', `${p.address}: the session ended: ${error.message}`, { address: p.address }));
      }
    };
    if (delayMs > 0) setTimeout(drop, delayMs).unref?.();
    else drop();
  }

  private newSessionId(): number {
    for (;;) {
      const id = randomBytes(4).readUInt32BE(0);
      if (id !== 0 && !this.sessions.has(id)) return id;
    }
  }

  private heartbeat(): void {
    const t = performance.now();
    for (const peer of this.peers) {
      if (peer.state !== 'established') continue;
      if (t - peer.lastHeard > this.silenceMs) {
        // Silent peer: drop the link; the client side resumes over a new one.
        void peer.link?.close();
        continue;
      }
      peer.sendControl({ kind: ControlKind.Heartbeat, sentAtUs: nowUs() });
    }
    const now = performance.now();
    for (const [k, r] of this.replyRoutes) if (r.expires < now) this.replyRoutes.delete(k);
  }

  // ── subscriptions ───────────────────────────────────────────────────────────────────────────────

  /**
   * What this node announces to `to`: its own subscriptions, and (as a broker) every other peer's,
   * under ids of its own, so that traffic for them reaches this node in the first place.
   */
  private interests(to?: PeerSession): Interest[] {
    const own = [...this.subs.values()].map((s) => ({ subId: s.subId, topicId: s.topic?.id ?? 0, pattern: s.pattern.source }));
    const relayed = [...this.proxies.entries()].filter(([, p]) => p.peer !== to).map(([subId, p]) => ({ ...p.interest, subId }));
    return [...own, ...relayed];
  }

  /** Replaces a peer's announced subscriptions (HELLO, WELCOME, resume). */
  private setInterests(peer: PeerSession, list: readonly Interest[]): void {
    for (const subId of [...peer.interests.keys()]) this.removeInterest(peer, subId);
    for (const i of list) this.addInterest(peer, i);
  }

  private addInterest(peer: PeerSession, i: Interest): NackReason | undefined {
    let pattern: AddressPattern;
    try {
      pattern = compilePattern(i.pattern);
    } catch {
      return 'invalid-address';
    }
    if (i.topicId !== 0 && i.topicId !== INTENT_TOPIC_ID) {
      const topic = this.topicsById.get(i.topicId);
      if (!topic) return 'invalid-address';
      if (peer.role === 'authority' && !maskAllows(peer.granted, topic.subscribe)) return 'forbidden';
    }
    if (peer.interests.has(i.subId)) this.removeInterest(peer, i.subId);
    peer.interests.set(i.subId, { interest: i, pattern });
    // Relay it to the other peers, so what they publish on it comes here to be forwarded.
    const proxyId = this.nextSubId++;
    this.proxies.set(proxyId, { peer, theirId: i.subId, interest: i });
    void this.announce({ ...i, subId: proxyId }, peer).catch(() => undefined);
    return undefined;
  }

  private removeInterest(peer: PeerSession, subId: number): void {
    peer.interests.delete(subId);
    for (const [proxyId, p] of this.proxies) {
      if (p.peer === peer && p.theirId === subId) {
        this.proxies.delete(proxyId);
        this.withdraw(proxyId);
      }
    }
  }

  private onSubscribe(peer: PeerSession, c: Control & { kind: typeof ControlKind.Subscribe }): void {
    if (peer.state !== 'established') return;
    const refused = this.addInterest(peer, c);
    peer.sendControl({ kind: ControlKind.Subscribed, subId: c.subId, refused, message: refused ? `${c.pattern}: ${refused}` : '' });
  }

  /** Sends SUBSCRIBE to every peer but `except` (again every 200 ms until answered); resolves once all answered. */
  private announce(interest: Interest, except?: PeerSession): Promise<void> {
    const acks: Promise<void>[] = [];
    for (const peer of this.peers) {
      if (peer === except || (peer.state !== 'established' && peer.state !== 'detached')) continue;
      acks.push(
        new Promise<void>((resolve, reject) => {
          const send = () => peer.sendControl({ kind: ControlKind.Subscribe, ...interest });
          const timer = setInterval(send, SUBSCRIBE_RETRY_MS);
          timer.unref?.();
          const waits = this.subscribeWaits.get(interest.subId) ?? [];
          waits.push({ peer, resolve, reject, timer });
          this.subscribeWaits.set(interest.subId, waits);
          send();
        }),
      );
    }
    return Promise.all(acks).then(() => undefined);
  }

  /** Stops announcing subscription `subId` and tells the peers. */
  private withdraw(subId: number): void {
    for (const w of this.subscribeWaits.get(subId) ?? []) clearInterval(w.timer);
    this.subscribeWaits.delete(subId);
    for (const peer of this.peers) if (peer.state === 'established') peer.sendControl({ kind: ControlKind.Unsubscribe, subId });
  }

  subscribe<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, handler: Handler<P, K, R>, options?: SubscribeOptions): Subscription;
  subscribe(pattern: string, handler: Handler<unknown, string>): Subscription;
  subscribe(target: AnyTopicDescriptor | string, handler: Handler<never, never, never>, options: SubscribeOptions = {}): Subscription {
    const label = typeof target === 'string' ? target : target.address;
    this.assertOpen(label);
    let sub: LocalSub;
    const subId = this.nextSubId++;
    if (typeof target === 'string') {
      sub = { subId, pattern: compilePattern(target), topic: undefined, handler: handler as Handler<unknown, string>, active: true };
    } else {
      assertAllowed(this.capabilities, target, 'subscribe', target.address, this.name);
      sub = { subId, pattern: topicPattern(target.address, options.params), topic: target, handler: handler as Handler<unknown, string>, active: true };
    }
    return this.addLocal(sub);
  }

  private addLocal(sub: LocalSub): Subscription {
    this.subs.set(sub.subId, sub);
    const ready = this.announce({ subId: sub.subId, topicId: sub.topic?.id ?? 0, pattern: sub.pattern.source });
    ready.catch(() => undefined); // observed through `ready`; unobserved refusals must not crash the process
    return {
      pattern: sub.pattern.source,
      ready,
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.subs.delete(sub.subId);
        this.withdraw(sub.subId);
      },
    };
  }

  // ── sending ─────────────────────────────────────────────────────────────────────────────────────

  publish<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, value: P, options: PublishOptions = {}): Promise<void> {
    try {
      const { done } = this.send(topic, value, options, FrameKind.Publish, 0n);
      return done;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  request<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, value: P, options: RequestOptions = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (!topic.reply) throw new BusError('no-responder', `${topic.address} has no reply type; publish on it instead`, { address: topic.address });
      this.call(topic, value, options, options.timeoutMs, resolve as (v: unknown) => void, reject);
    });
  }

  invoke<B, R>(intent: IntentDescriptor<B, R>, body: B, options: InvokeOptions = {}): Promise<ReplyValue<R>> {
    return new Promise<unknown>((resolve, reject) => {
      const topic = this.intentTopics.get(`intent/${intent.name}`) ?? intentTopic(intent);
      this.call(topic, body, {}, options.timeoutMs, resolve, reject);
    }) as Promise<ReplyValue<R>>;
  }

  private call(topic: AnyTopicDescriptor, value: unknown, options: PublishOptions, timeoutMs: number | undefined, resolve: (v: unknown) => void, reject: (e: unknown) => void): void {
    const corr = this.nextCorr++;
    const address = formatAddress(topic.address, options.params);
    const replyTo = replyAddress(address, corr);
    const ms = timeoutMs ?? this.requestTimeoutMs;
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`timeoutMs must be a finite number ≥ 0, got ${ms}`);
    const timer = setTimeout(() => settle(new BusError('timeout', `${replyTo}: no reply within ${ms} ms`, { address: replyTo, timeoutMs: ms })), ms);
    const entry: PendingRequest = {
      codec: topic.reply as Codec<unknown> | undefined,
      address: replyTo,
      settle: (error, v) => settle(error, v),
    };
    const settle = (error: BusError | undefined, v?: unknown) => {
      if (this.pending.get(replyTo) !== entry) return;
      this.pending.delete(replyTo);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(v);
    };
    this.pending.set(replyTo, entry);
    try {
      const { done } = this.send(topic, value, options, FrameKind.Request, corr);
      done.catch((err: BusError) => settle(err));
    } catch (err) {
      settle(err as BusError);
    }
  }

  reply<P, R, K extends string>(request: Delivery<P, K, R>, value: R): Promise<void> {
    try {
      const { replyTo, codec } = replyTarget(request as Delivery<unknown, string, R>);
      const bytes = encodeChecked(codec, value, replyTo, request.topic.maxPayload);
      return this.sendReply(request.topic, replyTo, request.corr, FrameKind.Reply, bytes, request.qos);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private replyError(topic: AnyTopicDescriptor, replyTo: string, corr: bigint, info: RemoteErrorInfo, qos: QosLevel): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(info));
    return this.sendReply(topic, replyTo, corr, FrameKind.ErrorReply, bytes, qos);
  }

  /** Settles a local request or sends the reply back towards the peer the request came from. */
  private sendReply(topic: AnyTopicDescriptor, replyTo: string, corr: bigint, kind: FrameKind, payload: Uint8Array, qos: QosLevel): Promise<void> {
    const local = this.pending.get(replyTo);
    if (local) {
      this.deliveries.enqueue(() => this.settleReply(local, kind, payload));
      return Promise.resolve();
    }
    const route = this.replyRoutes.get(replyTo);
    if (!route) return Promise.resolve(); // the requester is gone (timed out); nothing to answer
    this.replyRoutes.delete(replyTo);
    const header = this.header(topic, corr, qos);
    return this.transmit(route.peer, { kind, topic, address: replyTo, header, payload, origin: undefined });
  }

  private settleReply(p: PendingRequest, kind: FrameKind, payload: Uint8Array): void {
    if (kind === FrameKind.ErrorReply) {
      p.settle(remoteError(p.address, parseRemote(payload)));
      return;
    }
    if (!p.codec) return p.settle(undefined, undefined);
    try {
      p.settle(undefined, p.codec.decode(payload));
    } catch (cause) {
      p.settle(new BusError('invalid-payload', `${p.address}: reply does not decode: ${(cause as Error).message}`, { address: p.address, cause }));
    }
  }

  serve<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, responder: Responder<P, R, K>, options?: SubscribeOptions): Subscription {
    const handler = responderHandler(topic, responder, {
      reply: (delivery, value) => this.reply(delivery, value),
      error: (replyTo, delivery, info) => this.replyError(topic, replyTo, delivery.corr, info, delivery.qos).catch(() => undefined),
    });
    return this.subscribe(topic, handler, options);
  }

  serveIntent<B, R>(intent: IntentDescriptor<B, R>, responder: IntentResponder<B, R>): Subscription {
    const topic = this.intentTopics.get(`intent/${intent.name}`) ?? intentTopic(intent);
    this.assertOpen(topic.address);
    const handler = responderHandler(
      topic,
      (body, d) => responder(body as B, { intent, corr: d.corr, sessionId: d.sessionId, timestampUs: d.timestampUs }),
      {
        // An intent without a reply type answers with an empty body.
        reply: (d, value) => (intent.reply ? this.reply(d, value) : this.sendReply(topic, d.replyTo!, d.corr, FrameKind.Reply, new Uint8Array(0), d.qos)),
        error: (replyTo, d, info) => this.replyError(topic, replyTo, d.corr, info, d.qos).catch(() => undefined),
      },
    );
    return this.addLocal({ subId: this.nextSubId++, pattern: compilePattern(topic.address), topic, handler: handler as Handler<unknown, string>, active: true });
  }

  private header(topic: AnyTopicDescriptor, corr: bigint, qos: QosLevel): EnvelopeHeader {
    const [major, minor] = topic.version.split('.').map((n) => Number.parseInt(n, 10) || 0);
    return {
      topicId: topic.id,
      schemaMajor: Math.min(major ?? 0, 0xffff),
      schemaMinor: Math.min(minor ?? 0, 0xffff),
      sessionId: this.sessionId,
      corrId: corr,
      timestampUs: nowUs(),
      qos: QOS_WIRE[qos],
      capabilities: this.capabilities,
    };
  }

  /** The publish pipeline: address, capability, validate, encode, size, responders, backpressure, then route. */
  private send(topic: AnyTopicDescriptor, value: unknown, options: PublishOptions, kind: FrameKind, corr: bigint): { done: Promise<void> } {
    this.assertOpen(topic.address);
    const address = formatAddress(topic.address, options.params);
    assertAllowed(this.capabilities, topic, 'publish', address, this.name);
    const limit = Math.min(topic.maxPayload, this.client?.maxPayload ?? this.maxPayload);
    const payload = encodeChecked(topic.payload as Codec<unknown>, value, address, limit);
    const qos = options.qos ?? topic.qos;
    const msg: Routed = { kind, topic, address, header: this.header(topic, corr, qos), payload, origin: undefined, value };
    if (kind === FrameKind.Request && !this.hasResponder(msg)) throw new BusError('no-responder', `${address}: nobody serves this topic`, { address });
    return { done: this.route(msg) };
  }

  private hasResponder(msg: Routed): boolean {
    for (const s of this.subs.values()) if (s.active && s.topic?.id === msg.topic.id && matchAddress(s.pattern, msg.address)) return true;
    for (const peer of this.peers) {
      if (peer === msg.origin || (peer.state !== 'established' && peer.state !== 'detached')) continue;
      for (const { interest, pattern } of peer.interests.values()) if (interest.topicId === msg.topic.id && matchAddress(pattern, msg.address)) return true;
    }
    return false;
  }

  /** Delivers to local subscribers and sends to every interested peer but the origin; resolves when every peer acknowledged (QoS ≥ 1). */
  private route(msg: Routed): Promise<void> {
    const { topic, address } = msg;
    const local: { sub: LocalSub; params: Record<string, string> }[] = [];
    for (const sub of this.subs.values()) {
      if (!sub.active) continue;
      if (sub.topic ? sub.topic.id !== topic.id : !maskAllows(this.capabilities, topic.subscribe)) continue;
      const params = matchAddress(sub.pattern, address);
      if (params) local.push({ sub, params });
    }
    const remote: PeerSession[] = [];
    for (const peer of this.peers) {
      if (peer === msg.origin || (peer.state !== 'established' && peer.state !== 'detached')) continue;
      if (peer.role === 'authority' && !maskAllows(peer.granted, topic.subscribe)) continue;
      for (const { interest, pattern } of peer.interests.values()) {
        if ((interest.topicId === 0 || interest.topicId === topic.id) && matchAddress(pattern, address)) {
          remote.push(peer);
          break;
        }
      }
    }
    const full = remote.find((p) => p.inFlight >= p.maxInFlight);
    if (full && msg.header.qos > 0) throw new BusError('backpressure', `${address}: ${full.describe()} has ${full.inFlight} messages awaiting acknowledgement`, { address, retryAfterMs: full.retryHintMs() });
    this.deliveries.reserve(local.length, address);
    if (local.length > 0) this.deliverLocal(msg, local);
    const counters = this.telemetry.counters(topic.id);
    counters.sent += remote.length;
    return Promise.all(remote.map((peer) => this.transmit(peer, msg))).then(() => undefined);
  }

  private transmit(peer: PeerSession, msg: Routed): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error: BusError | undefined) => {
        if (!error) return resolve();
        this.telemetry.counters(msg.topic.id).dropped++;
        reject(new BusError(error.code, `${msg.address}: ${error.message}`, { address: msg.address, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) }));
      };
      const qos = msg.header.qos;
      const header = peer.role === 'authority' || msg.origin ? msg.header : { ...msg.header, sessionId: peer.sessionId };
      const limit = Math.max(msg.payload.length, peer.maxPayload);
      const build = (seq: bigint): FrameBody => {
        if (msg.topic.lane !== 'flex') return encodeDataFrame(msg.kind, 0, seq, msg.address, header, msg.payload, limit);
        const body = this.jsonBody(msg);
        return (flags) => encodeFlexFrame({ kind: msg.kind, flags, seq, address: msg.address, header, body });
      };
      peer.sendData(qos, msg.topic.id, build, qos > 0 ? settle : undefined);
      if (qos === 0) resolve();
    });
  }

  /** The JSON form of a message's payload, for the flex lane (the inverse of `fromFlex`). */
  private jsonBody(msg: Routed): JsonValue {
    const { kind, topic, payload } = msg;
    if (kind === FrameKind.ErrorReply) return { ...parseRemote(payload) };
    const codec = kind === FrameKind.Reply ? topic.reply : topic.payload;
    if (!codec || (kind === FrameKind.Reply && payload.length === 0)) return null;
    return codec.toJSON(kind !== FrameKind.Reply && msg.value !== undefined ? msg.value : codec.decode(payload)) as JsonValue;
  }

  /**
   * A flex-lane frame as a data frame: the JSON body goes through the topic's codec (fromJSON, then
   * encode), so everything after this point sees binary payloads. A body the codec refuses marks the
   * frame invalid; onData refuses it once the session checks have passed.
   */
  private fromFlex(peer: PeerSession, f: FlexFrame): void {
    const { kind, header, address, body } = f;
    const topic =
      kind === FrameKind.Reply || kind === FrameKind.ErrorReply
        ? (this.topicsById.get(header.topicId) ?? this.intentTopics.get(address.replace(/\/reply\/[0-9]+$/, '')))
        : header.topicId === INTENT_TOPIC_ID
          ? this.intentTopics.get(address)
          : this.topicsById.get(header.topicId);
    let payload: Uint8Array = new Uint8Array(0);
    let invalid: string | undefined;
    let value: unknown;
    try {
      if (kind === FrameKind.ErrorReply) payload = new TextEncoder().encode(JSON.stringify(body));
      else {
        const codec = kind === FrameKind.Reply ? topic?.reply : topic?.payload;
        if (codec && body !== null) {
          const v = codec.fromJSON(body);
          payload = (codec as Codec<unknown>).encode(v);
          if (kind !== FrameKind.Reply) value = v;
        } else if (codec && kind !== FrameKind.Reply) invalid = 'the body is null';
      }
    } catch (err) {
      invalid = `the body is not a valid ${topic?.address ?? 'payload'} value: ${(err as Error).message}`;
    }
    this.onData(peer, { kind, flags: f.flags, seq: f.seq, address, envelope: { header, payload }, invalid, value });
  }

  private deliverLocal(msg: Routed, targets: readonly { sub: LocalSub; params: Record<string, string> }[]): void {
    const { topic, address, header, payload } = msg;
    const replyTo = msg.kind === FrameKind.Request ? replyAddress(address, header.corrId) : undefined;
    const topicParams = matchAddress(patternOf(topic), address) ?? {};
    // Each subscriber gets a value of its own; a value decoded on receipt is nobody else's, so the first may have it.
    let spare = msg.owned ? msg.value : undefined;
    for (const { sub, params } of targets) {
      const own = spare;
      spare = undefined;
      this.deliveries.enqueue(() => {
        if (!sub.active) return;
        let decoded: unknown = own;
        try {
          if (decoded === undefined) decoded = topic.payload.decode(payload);
        } catch (cause) {
          this.onError(new BusError('invalid-payload', `${address}: payload does not decode: ${(cause as Error).message}`, { address, cause }), address);
          return;
        }
        const delivery: Delivery = {
          topic,
          address,
          params: { ...topicParams, ...params },
          corr: header.corrId,
          replyTo,
          sessionId: header.sessionId,
          timestampUs: header.timestampUs,
          size: payload.length,
          qos: QOS_NAME[header.qos] ?? 'at_most_once',
        };
        try {
          const r = sub.handler(decoded, delivery);
          if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(undefined, (err: unknown) => this.onError(err, address));
        } catch (err) {
          this.onError(err, address);
        }
      });
    }
  }

  // ── receiving ───────────────────────────────────────────────────────────────────────────────────

  private onData(peer: PeerSession, frame: Incoming): void {
    const { header, payload } = frame.envelope;
    const { seq } = frame;
    const qos = header.qos;
    if (peer.state !== 'established') {
      // Frames outside a session (a replayed capture, a peer that skipped HELLO) are never delivered.
      this.quarantined++;
      peer.nack(seq, 'replay', 'no session is established on this link');
      return;
    }
    if (peer.role === 'authority' && header.sessionId !== peer.sessionId) {
      this.quarantined++;
      peer.nack(seq, 'replay', `session id ${header.sessionId} is not this link's session ${peer.sessionId}`);
      return;
    }
    const counters = this.telemetry.counters(header.topicId);
    if (!peer.accept(seq)) {
      counters.duplicates++;
      peer.reanswer(seq, qos);
      return;
    }
    const refuse = (reason: NackReason, message: string, retryAfterMs = 0) => {
      counters.quarantined++;
      peer.nack(seq, reason, message, retryAfterMs);
    };
    const t = nowUs();
    if (header.timestampUs + this.maxAgeUs < t) return refuse('stale', `timestamp is ${(t - header.timestampUs) / 1000n} ms old (limit ${this.maxAgeUs / 1000n} ms)`);
    if (header.timestampUs > t + this.maxSkewUs) return refuse('stale', `timestamp is ${(header.timestampUs - t) / 1000n} ms in the future`);
    if (frame.kind === FrameKind.Reply || frame.kind === FrameKind.ErrorReply) {
      if (qos > 0) peer.ack(seq);
      return this.onReply(frame);
    }
    const topic = header.topicId === INTENT_TOPIC_ID ? this.intentTopics.get(frame.address) : this.topicsById.get(header.topicId);
    if (!topic) return refuse('invalid-address', `unknown topic id ${header.topicId}`);
    if (!matchAddress(patternOf(topic), frame.address)) return refuse('invalid-address', `${frame.address} is not an address of ${topic.address}`);
    if (peer.role === 'authority' && !maskAllows(peer.granted, topic.publish)) {
      return refuse('forbidden', `${frame.address}: session ${peer.sessionId} may not publish (needs one of mask 0x${topic.publish.toString(16)})`);
    }
    if (frame.kind === FrameKind.Request && peer.role === 'authority') {
      let seen = this.corrsSeen.get(peer);
      if (!seen) this.corrsSeen.set(peer, (seen = new Map()));
      const first = seen.get(header.corrId);
      if (first !== undefined && first !== seq) return refuse('replay', `correlation id ${header.corrId} was already used by message ${first}`);
      if (seen.size >= 65_536) seen.delete(seen.keys().next().value!);
      seen.set(header.corrId, seq);
    }
    const limit = Math.min(topic.maxPayload, this.maxPayload);
    if (payload.length > limit) return refuse('too-large', `${payload.length} bytes exceed maxPayload ${limit}`);
    if (frame.invalid) return refuse('invalid-payload', frame.invalid);
    let value = frame.value;
    if (value === undefined) {
      try {
        value = topic.payload.decode(payload);
      } catch (cause) {
        return refuse('invalid-payload', `payload does not decode: ${(cause as Error).message}`);
      }
    }
    const msg: Routed = { kind: frame.kind, topic, address: frame.address, header, payload: payload.slice(), origin: peer, value, owned: true };
    if (frame.kind === FrameKind.Request) {
      const replyTo = replyAddress(frame.address, header.corrId);
      if (!this.hasResponder(msg)) {
        if (qos > 0) peer.ack(seq);
        counters.received++;
        this.replyRoutes.set(replyTo, { peer, expires: performance.now() + this.requestTimeoutMs * 2 });
        void this.replyError(topic, replyTo, header.corrId, { name: NO_RESPONDER, code: 0, message: 'nobody serves this topic' }, QOS_NAME[qos] ?? 'at_most_once');
        return;
      }
      this.replyRoutes.set(replyTo, { peer, expires: performance.now() + this.requestTimeoutMs * 2 });
    }
    try {
      void this.route(msg).catch((err: unknown) => this.onError(err, frame.address));
    } catch (err) {
      // Our own queue or a further peer is full: the sender retries later.
      const hint = err instanceof BusError ? (err.retryAfterMs ?? 1) : 1;
      peer.nack(seq, 'backpressure', (err as Error).message, hint);
      return;
    }
    counters.received++;
    if (this.telemetry.latency(topic.id, Number(t - header.timestampUs))) this.reportBreach(topic.id);
    if (qos > 0) peer.ack(seq);
  }

  private onReply(frame: Incoming): void {
    const local = this.pending.get(frame.address);
    if (local && frame.invalid) return local.settle(new BusError('invalid-payload', `${frame.address}: ${frame.invalid}`, { address: frame.address }));
    if (local) return this.settleReply(local, frame.kind, frame.envelope.payload.slice());
    if (frame.invalid) return;
    const route = this.replyRoutes.get(frame.address);
    if (!route) return; // late: the requester timed out
    this.replyRoutes.delete(frame.address);
    const topic = this.topicsById.get(frame.envelope.header.topicId) ?? this.intentTopics.get(frame.address.replace(/\/reply\/[0-9]+$/, ''));
    if (!topic) return;
    const { header } = frame.envelope;
    void this.transmit(route.peer, { kind: frame.kind, topic, address: frame.address, header, payload: frame.envelope.payload.slice(), origin: undefined }).catch((err: unknown) =>
      this.onError(err, frame.address),
    );
  }

  // ── telemetry, flush, close ─────────────────────────────────────────────────────────────────────

  /** A budget was broken: the topic's jitter report goes out now (at most once per window per topic). */
  private reportBreach(topicId: number): void {
    const t = this.options.telemetry;
    if (!t?.jitter || this.closed || !maskAllows(this.capabilities, t.jitter.publish)) return;
    const now = performance.now();
    const last = this.breaches.get(topicId);
    if (last !== undefined && now - last < (t.intervalMs ?? 1_000)) return;
    const report = this.telemetry.breachReport(this.name, topicId);
    if (!report) return;
    this.breaches.set(topicId, now);
    const topic = t.jitter;
    this.publish(topic, report).catch((err: unknown) => this.onError(err, topic.address));
  }

  private report(): void {
    const t = this.options.telemetry;
    if (!t || this.closed) return;
    const { jitter, delivery } = this.telemetry.closeWindow(this.name);
    const publish = <V>(topic: TopicDescriptor<V, never, never> | undefined, values: readonly V[]) => {
      if (!topic || !maskAllows(this.capabilities, topic.publish)) return;
      for (const v of values) this.publish(topic, v).catch((err: unknown) => this.onError(err, topic.address));
    };
    publish(t.jitter, jitter);
    publish(t.delivery, delivery);
  }

  /** Counters and latency figures per topic, and the state of every peer. */
  stats(): NetworkBusStats {
    return {
      peers: [...this.peers].map((p) => ({
        name: p.peerName,
        sessionId: p.sessionId,
        state: p.state,
        inFlight: p.inFlight,
        srttMs: p.srttMs,
        granted: p.granted,
        maxPayload: p.maxPayload,
        jitterBudgetUs: p.jitterBudgetUs,
        clockSource: p.clockSource,
      })),
      topics: this.telemetry.snapshot(),
      quarantined: this.quarantined,
      resumes: this.resumes,
    };
  }

  /** Resolves once every at-least-once / exactly-once message sent so far is acknowledged (or given up). */
  async flush(): Promise<void> {
    while (!this.closed && [...this.peers].some((p) => p.inFlight > 0)) await new Promise((r) => setTimeout(r, 2));
    await this.deliveries.drain();
  }

  /** Resolves once every queued local delivery has run. */
  drain(): Promise<void> {
    return this.deliveries.drain();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const error = new BusError('closed', `${this.name}: the bus was closed`);
    for (const peer of [...this.peers]) {
      if (peer.state === 'established') {
        peer.flushAcks();
        peer.sendControl({ kind: ControlKind.Close, reason: 'normal' });
      }
      this.dropPeer(peer, error);
    }
    for (const p of [...this.pending.values()]) p.settle(new BusError('closed', `${p.address}: the bus was closed`, { address: p.address }));
    for (const s of this.subs.values()) s.active = false;
    this.subs.clear();
    return Promise.resolve();
  }

  private assertOpen(address: string): void {
    if (this.closed) throw new BusError('closed', `${address}: the bus was closed`, { address });
  }
}

/** An intent as the topic it travels on: `intent/<name>`, request/reply, at-least-once. */
function intentTopic(intent: AnyIntentDescriptor): AnyTopicDescriptor {
  return Object.freeze({
    kind: 'topic' as const,
    address: `intent/${intent.name}`,
    id: INTENT_TOPIC_ID,
    params: Object.freeze([]),
    package: intent.package,
    version: intent.version,
    payload: intent.body,
    reply: intent.reply,
    qos: 'at_least_once' as const,
    budget: Object.freeze({}),
    publish: 0n,
    subscribe: 0n,
    errors: intent.errors,
    lane: 'flex' as const,
    maxPayload: 1024 * 1024,
    stream: false,
    toolName: intent.toolName,
  });
}

function parseRemote(payload: Uint8Array): RemoteErrorInfo {
  try {
    const v = JSON.parse(new TextDecoder().decode(payload)) as Partial<RemoteErrorInfo>;
    return { name: typeof v.name === 'string' ? v.name : 'INTERNAL', code: typeof v.code === 'number' ? v.code : 0, message: typeof v.message === 'string' ? v.message : '' };
  } catch {
    return { name: 'INTERNAL', code: 0, message: 'unreadable error reply' };
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
