/**
 * The network Bus: the `Bus` contract over `UmpLink`s (Network MIDI 2.0 sessions, in-process links).
 * One `NetworkBus` is one node. Its own subscriptions are announced to every peer; a message goes to
 * the local subscribers it matches and to every peer that announced a matching subscription, so a
 * node with several peers is also a broker between them (`midl peer`). Replies travel back the way
 * the request came.
 *
 * This file's job: the `NetworkBus` class, its public API and the message path through a node (the
 * send pipeline, routing, local delivery, replies, and acting on a received frame's verdict). The
 * rest is in modules of their own, each handed what it needs:
 *   - sessions.ts           HELLO/WELCOME/REFUSE, resume tokens, detached sessions, reconnect;
 *   - interests.ts          the subscriptions peers announced and their relay to the other peers;
 *   - incoming.ts           the checks a received frame passes (session, stale, chunk block, topic,
 *                           capability, correlation-id reuse, size, decode, constraints), as
 *                           refusal-or-accepted verdicts;
 *   - replies.ts            which reply a waiting request takes (the peer asked, its capability, the value);
 *   - flex-body.ts          the flex lane's JSON body ↔ binary payload;
 *   - topic-table.ts        topics by wire id / intent address;
 *   - telemetry-reports.ts  when the node's telemetry is published.
 *
 * A refusal travels back as a NACK and rejects the publisher's promise.
 */
import type { Codec } from '../codec/codec.ts';
import { Qos as WireQos, type EnvelopeHeader } from '../envelope/index.ts';
import { SessionOpenSchema } from '../protocol/schemas/fountain.session.ts';
import { assertNodeName } from './node-name.ts';
import type { UmpLink } from '../transports/link.ts';
import { compilePattern, formatAddress, matchAddress, replyAddress, topicPattern, type AddressPattern } from './address.ts';
import type {
  Bus,
  Delivery,
  Handler,
  IntentResponder,
  InvokeOptions,
  PatternSubscribeOptions,
  PublishOptions,
  ReplyValue,
  RequestOptions,
  Responder,
  SubscribeOptions,
  Subscription,
} from './bus.ts';
import { assertMask, maskAllows } from './capabilities.ts';
import { INVALID_REPLY, NO_RESPONDER, assertAllowed, encodeChecked, parseRemote, remoteError, replyTarget, responderHandler } from './checks.ts';
import { ControlKind, FrameKind, type Control, type Interest, type ReceivedFrame } from '../lanes/index.ts';
import type { AnyIntentDescriptor, AnyTopicDescriptor, IntentDescriptor, QosLevel, TopicDescriptor } from './descriptor.ts';
import { BusError, type RemoteErrorInfo } from './errors.ts';
import { ExactlyOnceWindow, dedupeIdentity, type Claim, type ExactlyOnceOptions } from './exactly-once.ts';
import { fromFlex, jsonBody } from './flex-body.ts';
import { CorrLedger, admit, chunkRefusal, sessionRefusal, staleRefusal, type Incoming } from './incoming.ts';
import { Interests } from './interests.ts';
import { BusSession, type BusSessionEvents } from './bus-session.ts';
import type { RetransmitOptions } from './outbox.ts';
import { PeerMeter, type PeerTraffic } from './peer-meter.ts';
import { DeliveryQueue } from './queue.ts';
import { admitReply, type AwaitedReply } from './replies.ts';
import { ReplyRoutes } from './reply-routes.ts';
import { parseSessionRecord, type SessionRecord, type SessionRecords } from './session-records.ts';
import { Sessions, type ConnectOptions, type GrantFunction, type SessionPeer } from './sessions.ts';
import { TelemetryReports, type NetworkTelemetryOptions } from './telemetry-reports.ts';
import { Telemetry, type TopicSnapshot } from './telemetry.ts';
import { TopicTable, patternOf } from './topic-table.ts';
import { randomU32 } from './web-crypto.ts';
import { wallClockUs } from './wall-clock.ts';

export { INTENT_TOPIC_ID } from './topic-table.ts';
export type { ConnectOptions, GrantFunction, GrantRequest, SessionGrant, SessionPeer } from './sessions.ts';
export type { ExactlyOnceOptions } from './exactly-once.ts';
export type { NetworkTelemetryOptions } from './telemetry-reports.ts';

export interface NetworkBusOptions {
  /** This node's name: sent in HELLO/WELCOME, the `peer` of its telemetry; 1 to 128 characters and at most 256 bytes of UTF-8, else the constructor throws `invalid-option`. */
  readonly name: string;
  /** Every topic this node may carry (a generated registry's `Object.values(topics)`), looked up by id on receipt. */
  readonly topics: readonly AnyTopicDescriptor[];
  readonly intents?: readonly AnyIntentDescriptor[];
  /** Client: the capabilities asked for in HELLO. Authority: this node's own mask. Default: all. */
  readonly capabilities?: bigint;
  /** Authority: what a client is granted for what it asked (default: all it asked for). */
  readonly grant?: GrantFunction;
  /** Default request/invoke timeout (5000 ms). */
  readonly requestTimeoutMs?: number;
  /** Unacknowledged messages per peer before `backpressure` (4096). */
  readonly maxInFlight?: number;
  /** Payload bytes of unacknowledged messages per peer before `backpressure` (16 MiB). */
  readonly maxInFlightBytes?: number;
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
  /** Authority: subscriptions one client session may hold here (256); past it SUBSCRIBE is refused with `limit`. */
  readonly maxSubscriptionsPerSession?: number;
  /** Broker: requests one session may have awaiting a reply here (1024); past it a request is refused with `limit`. */
  readonly maxRequestsPerSession?: number;
  readonly telemetry?: NetworkTelemetryOptions;
  /** Handler failures, undecodable or refused traffic (default: console.error). */
  readonly onError?: (error: unknown, address: string) => void;
  /**
   * Every frame received from a peer, as its lane decoded it, before the bus acts on it (monitors,
   * replay reports). It must not throw; what it throws goes to `onError`.
   */
  readonly onFrame?: (frame: ReceivedFrame, peer: { readonly name: string; readonly sessionId: number }) => void;
  /**
   * Every UMP message a peer's link carries that is not a bus frame — a note from a keyboard, a CC from a
   * DAW, a foreign SysEx, MIDI 2.0 traffic — as its packets, with the link's description (`from`). The bus
   * itself passes such traffic over. It must not throw; what it throws goes to `onError`. With it, a link
   * that has carried such traffic is not dropped for never saying HELLO (a MIDI device never will).
   * `answer` sends UMP packets back on that same link (a MIDI-CI reply, runtime/ci/link-responder.ts).
   */
  readonly onForeignUmp?: (words: Uint32Array, from: string, answer: (words: Uint32Array) => void) => void;
  /** Deliveries of received messages carry the UMP packets they arrived in (`Delivery.packets`), for recorders. */
  readonly keepPackets?: boolean;
  /**
   * Authority: where each session's record is written (granted, resumed, detached) and removed (ended),
   * so that a restarted authority can resume the sessions (runtime/bus/session-records.ts). A grant or
   * resume whose record cannot be written is refused.
   */
  readonly sessionRecords?: SessionRecords;
  /**
   * Authority: sessions an earlier process granted, as their records (what `sessionRecords` kept): each
   * one still inside its resume window waits, detached, for its client to resume it.
   */
  readonly restoredSessions?: readonly SessionRecord[];
  /**
   * The window of keyed exactly-once publications already delivered (default: 65,536 identities, none
   * preloaded): a copy of one of them is acknowledged and not delivered again (runtime/bus/exactly-once.ts).
   */
  readonly exactlyOnce?: ExactlyOnceOptions;
}

export interface NetworkBusStats {
  readonly peers: readonly {
    readonly name: string;
    readonly sessionId: number;
    readonly state: string;
    readonly inFlight: number;
    readonly srttMs: number | undefined;
    /** Bytes the session's link reader holds for frames not yet complete (bounded by its reassembly limits). */
    readonly bufferedBytes: number;
    /** Subscriptions the peer holds here (bounded by `maxSubscriptionsPerSession` for a client session). */
    readonly subscriptions: number;
    /** Requests of the peer forwarded from here and awaiting a reply (bounded by `maxRequestsPerSession`). */
    readonly openRequests: number;
    /** The negotiated contract: capabilities granted, largest payload, jitter budget (µs), clock source. */
    readonly granted: bigint;
    readonly maxPayload: number;
    readonly jitterBudgetUs: number;
    readonly clockSource: number;
    /** What the session's reliable delivery counted since it began: bytes, ACKs, NACKs, retransmissions, gaps, reordering, round trips. */
    readonly traffic: PeerTraffic;
  }[];
  /** The same counters summed over the sessions that have ended (no round trips), so that node totals never go back. */
  readonly endedTraffic: PeerTraffic;
  readonly topics: readonly TopicSnapshot[];
  /** Frames that could not be read or arrived outside a session. */
  readonly quarantined: number;
  readonly resumes: number;
}

const ALL = (1n << 64n) - 1n;
/** What fountain.session.SessionOpen says a peer asks for when it says nothing (durations in µs). */
const SESSION_OPEN_DEFAULTS = SessionOpenSchema.properties;
const QOS_WIRE = { at_most_once: WireQos.AtMostOnce, at_least_once: WireQos.AtLeastOnce, exactly_once: WireQos.ExactlyOnce } as const;
const QOS_NAME = ['at_most_once', 'at_least_once', 'exactly_once'] as const;

interface LocalSub {
  readonly subId: number;
  readonly pattern: AddressPattern;
  /** Typed subscriptions (they also answer requests); undefined for patterns. */
  readonly topic: AnyTopicDescriptor | undefined;
  readonly handler: Handler<unknown>;
  /** Received QoS ≥ 1 messages are acknowledged once this handler settled (`SubscribeOptions.ackAfterHandler`). */
  readonly ackAfterHandler: boolean;
  active: boolean;
}

interface PendingRequest extends AwaitedReply {
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
  readonly origin: BusSession | undefined;
  /** The payload's value when at hand (published here, or already decoded on receipt): spares a decode for the JSON of the flex lane. */
  readonly value?: unknown;
  /** The value is this node's own copy (decoded from the wire): one local subscriber may have it instead of decoding another. */
  readonly owned?: boolean;
  /** The packets it arrived in (received, with `keepPackets`). */
  readonly packets?: Uint32Array | undefined;
  /** A request: the peers it is sent to are added here as it is routed (only they may answer it). */
  readonly asked?: Set<BusSession>;
  /** Its identity in the exactly-once window (a received keyed exactly-once publication). */
  readonly dedupeId?: string | undefined;
}

/** Where `route` sent a message: to peers (resolves once each acknowledged), and to local handlers that acknowledge only after their work. */
interface RouteResult {
  readonly sent: Promise<void>;
  /** Settles once every `ackAfterHandler` subscriber has handled it (undefined: none, or QoS 0). */
  readonly handled: Promise<void> | undefined;
}

export class NetworkBus implements Bus {
  readonly name: string;
  private readonly topics: TopicTable;
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
  private readonly reports: TelemetryReports;
  private readonly peers = new Set<BusSession>();
  private readonly sessions: Sessions;
  private readonly interests: Interests;
  private readonly subs = new Map<number, LocalSub>();
  private readonly pending = new Map<string, PendingRequest>();
  /** Broker: where the reply to a forwarded request goes, by reply address. */
  private readonly replyRoutes: ReplyRoutes;
  /** Authority: correlation ids of requests seen per session (replay defence). */
  private readonly corrs = new CorrLedger();
  /** The client side's session (undefined on an authority). */
  private client: BusSession | undefined;
  /** Client: why its session ended, once it has (publications needing acknowledgement are refused from then on). */
  private clientEnded: BusError | undefined;
  private readonly exactlyOnce: ExactlyOnceWindow;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private nextCorr: bigint;
  private quarantined = 0;
  /** The counters of sessions that ended. */
  private readonly ended = new PeerMeter();
  private restored = 0;
  private closed = false;

  constructor(private readonly options: NetworkBusOptions) {
    assertNodeName(options.name);
    this.name = options.name;
    this.topics = new TopicTable(options.topics, options.intents ?? []);
    this.ownMask = assertMask(options.capabilities ?? ALL);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.maxAgeUs = BigInt(options.maxAgeMs ?? 30_000) * 1000n;
    this.maxSkewUs = BigInt(options.maxSkewMs ?? 5_000) * 1000n;
    this.maxPayload = options.maxPayload ?? SESSION_OPEN_DEFAULTS.maxPayload.default;
    this.heartbeatMs = options.heartbeatMs ?? SESSION_OPEN_DEFAULTS.heartbeatInterval.default / 1000;
    this.jitterBudgetUs = options.jitterBudgetUs ?? SESSION_OPEN_DEFAULTS.jitterBudget.default;
    this.silenceMs = options.silenceMs ?? 5 * this.heartbeatMs;
    this.resumeWindowMs = options.resumeWindowMs ?? 60_000;
    this.onError = options.onError ?? ((error, address) => console.error(`midl bus ${this.name}: ${address}:`, error));
    this.deliveries = new DeliveryQueue(options.maxQueued ?? 65_536);
    this.exactlyOnce = new ExactlyOnceWindow(options.exactlyOnce);
    this.telemetry = new Telemetry(this.topics.byId);
    this.replyRoutes = new ReplyRoutes(options.maxRequestsPerSession ?? 1_024);
    this.interests = new Interests({
      peers: this.peers,
      topicsById: this.topics.byId,
      own: () => [...this.subs.values()].map(interestOf),
      maxPerSession: options.maxSubscriptionsPerSession ?? 256,
      refusedInHello: (peer, count, reason) =>
        this.onError(new BusError(reason, `${peer.describe()}: ${count} subscriptions of its HELLO refused: ${reason}`), peer.describe()),
    });
    this.sessions = new Sessions({
      name: this.name,
      ownMask: this.ownMask,
      maxPayload: this.maxPayload,
      jitterBudgetUs: this.jitterBudgetUs,
      heartbeatMs: this.heartbeatMs,
      resumeWindowMs: this.resumeWindowMs,
      grant: options.grant,
      isClosed: () => this.closed,
      announced: (to) => this.interests.announced(to),
      setInterests: (peer, list) => this.interests.set(peer, list),
      announceRest: (peer, list) => {
        // Nobody awaits these (they were made before the session, or are relays): a refusal is reported.
        for (const i of list) void this.interests.announceTo(peer, i).catch((err: unknown) => this.onError(err, i.pattern));
      },
      dropPeer: (peer, error, delayMs) => this.dropPeer(peer, error, delayMs),
      retire: (peer) => this.forgetPeer(peer),
      quarantine: () => this.quarantined++,
      records: options.sessionRecords,
      report: (error, where) => this.onError(error, where),
    });
    for (const given of options.restoredSessions ?? []) {
      let record: SessionRecord;
      try {
        record = parseSessionRecord(given);
      } catch (err) {
        this.onError(err, 'restoredSessions');
        continue;
      }
      if (this.sessions.restore(record, () => this.newPeer('authority'))) this.restored++;
    }
    this.reports = new TelemetryReports({
      name: this.name,
      telemetry: this.telemetry,
      options: options.telemetry,
      capabilities: () => this.capabilities,
      isClosed: () => this.closed,
      linkReports: () => {
        const at = new Date();
        return [...this.peers].flatMap((p) => (p.state === 'established' ? (p.meter.windowReport(this.name, p.peerName, p.sessionId, at) ?? []) : []));
      },
      publish: (topic, value) => this.publish(topic, value),
      onError: (error, address) => this.onError(error, address),
    });
    // Correlation ids start at a random point so two nodes' requests do not collide at a broker.
    this.nextCorr = (BigInt(randomU32()) << 24n) | 1n;
    const heartbeat = setInterval(() => this.heartbeat(), this.heartbeatMs);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
    heartbeat.unref?.();
    this.timers.push(heartbeat);
    const t = options.telemetry;
    if (t && (t.jitter || t.delivery || t.link)) {
      const report = setInterval(() => this.reports.report(), t.intervalMs ?? 1_000);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
      report.unref?.();
      this.timers.push(report);
    }
  }

  /** The largest payload this node accepts (`maxPayload`, or its default). */
  get maxPayloadBytes(): number {
    return this.maxPayload;
  }

  /** Authority: the sessions taken back from `restoredSessions` (those still inside their resume window). */
  get sessionsRestored(): number {
    return this.restored;
  }

  /** Client: the session id granted by the authority. Authority: 0. */
  get sessionId(): number {
    return this.client?.sessionId ?? 0;
  }

  /**
   * Authority: who publishes as session `sessionId` (a `Delivery`'s): its endpoint name and the user its
   * link proved, if any; undefined for a session this node did not grant (or its own, 0). A map lookup.
   */
  sessionPeer(sessionId: number): SessionPeer | undefined {
    return this.sessions.peerOf(sessionId);
  }

  /** Client: the capabilities granted by the authority (what was asked for, before the WELCOME). Authority: its own mask. */
  get capabilities(): bigint {
    return this.client && this.client.state !== 'handshake' ? this.client.granted : this.ownMask;
  }

  // ── sessions ────────────────────────────────────────────────────────────────────────────────────

  /** Authority: runs the session a peer opens over `link` (e.g. `endpoint.onSession((l) => bus.accept(l))`). */
  accept(link: UmpLink): void {
    this.assertOpen('accept');
    this.sessions.accept(this.newPeer('authority'), link);
  }

  /** Client: opens a session with the authority at the other end of `link`; resolves on its WELCOME. */
  connect(link: UmpLink, options: ConnectOptions = {}): Promise<void> {
    this.assertOpen('connect');
    if (this.client) return Promise.reject(new BusError('closed', `${this.name}: already connected (one authority per client bus)`));
    const peer = this.newPeer('client');
    this.client = peer;
    return this.sessions.connect(peer, link, options);
  }

  private newPeer(role: 'authority' | 'client'): BusSession {
    const events: BusSessionEvents = {
      data: (p, frame, packets) => this.onData(p, frame, packets),
      control: (p, c) => this.onControl(p, c),
      frame: (p, frame) => this.observe(p, frame),
      malformed: (p, err) => {
        this.quarantined++;
        this.onError(err, p.describe());
      },
      overLimit: (p, err) => {
        this.quarantined++;
        this.onError(new BusError('limit', `${p.describe()}: a message refused by the reassembly limits: ${err.message}`, { cause: err }), p.describe());
      },
      linkDown: (p, down) => this.sessions.onLinkDown(p, down),
      retried: (_p, topicId) => this.telemetry.counters(topicId).retried++,
      sendFailed: (p, err) => this.onError(err, p.describe()),
    };
    const foreign = this.options.onForeignUmp;
    if (foreign) {
      events.foreign = (p, words) => {
        try {
          const link = p.link;
          foreign(words, link?.description ?? p.describe(), (out) => {
            // The link it came on, even if the session has moved on to another one since.
            if (!link?.isOpen) throw new BusError('closed', `${p.describe()}: the link an answer was for is down`);
            link.send(out);
          });
        } catch (err) {
          this.onError(err, p.describe());
        }
      };
    }
    const peer = new BusSession(role, events, {
      reader: { maxFrameBytes: this.maxPayload + 8192, fromJson: (f) => fromFlex(this.topics, f), keepPackets: this.options.keepPackets === true },
      ...(this.options.retransmit ? { retransmit: this.options.retransmit } : {}),
      ...(this.options.maxInFlight ? { maxInFlight: this.options.maxInFlight } : {}),
      ...(this.options.maxInFlightBytes ? { maxInFlightBytes: this.options.maxInFlightBytes } : {}),
    });
    this.peers.add(peer);
    return peer;
  }

  /** Shows a received frame to `onFrame`, which must not disturb the bus: what it throws is reported. */
  private observe(peer: BusSession, frame: ReceivedFrame): void {
    const watch = this.options.onFrame;
    if (!watch) return;
    try {
      watch(frame, { name: peer.peerName, sessionId: peer.sessionId });
    } catch (err) {
      this.onError(err, peer.describe());
    }
  }

  private onControl(peer: BusSession, c: Control): void {
    switch (c.kind) {
      case ControlKind.Hello:
        if (peer.role === 'authority') this.sessions.onHello(peer, c);
        return;
      case ControlKind.Welcome:
        if (peer.role === 'client') this.sessions.onWelcome(peer, c);
        return;
      case ControlKind.Refuse:
        this.sessions.onRefuse(peer, c);
        return;
      case ControlKind.Ack:
        peer.meter.acksReceived++;
        peer.outbox.acked(c.floor, c.seqs, c.refused);
        return;
      case ControlKind.Nack:
        peer.meter.nacksReceived++;
        peer.outbox.refused(
          c.seq,
          new BusError(c.reason, `${peer.describe()} refused the message: ${c.message}`, c.reason === 'backpressure' ? { retryAfterMs: c.retryAfterMs } : {}),
        );
        return;
      case ControlKind.Subscribe:
        this.interests.onSubscribe(peer, c);
        return;
      case ControlKind.Subscribed:
        this.interests.onSubscribed(peer, c);
        return;
      case ControlKind.Unsubscribe:
        this.interests.remove(peer, c.subId);
        return;
      case ControlKind.Heartbeat:
        return; // lastHeard is updated for every frame
      case ControlKind.Close:
        this.dropPeer(peer, new BusError('closed', `${peer.describe()} closed the session: ${c.reason}`));
        return;
    }
  }

  private dropPeer(peer: BusSession, error: BusError, delayMs = 0): void {
    const drop = () => {
      // A session left detached by a closing bus keeps its record: a restarted authority resumes it.
      const keepRecord = this.closed && peer.state === 'detached';
      peer.close(error);
      this.forgetPeer(peer);
      this.interests.dropPeer(peer);
      this.sessions.forget(peer, keepRecord);
      this.corrs.forget(peer);
      this.replyRoutes.dropPeer(peer);
      if (this.client === peer) {
        this.clientEnded = error;
        for (const p of [...this.pending.values()])
          p.settle(new BusError('closed', `${p.address}: the session ended: ${error.message}`, { address: p.address }));
      }
    };
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
    if (delayMs > 0) setTimeout(drop, delayMs).unref?.();
    else drop();
  }

  /** Takes a peer out of the node; what its session counted stays in the node's totals. */
  private forgetPeer(peer: BusSession): void {
    if (this.peers.delete(peer)) this.ended.absorb(peer.meter);
  }

  /** Ends a session whose outbox is full (see `route`): told why, its messages in flight given up, never resumed. */
  private endSlowConsumer(peer: BusSession, address: string): void {
    const why = `slow consumer: ${peer.outbox.describeFull()}`;
    if (peer.state === 'established') peer.sendControl({ kind: ControlKind.Close, reason: why });
    this.onError(new BusError('limit', `${address}: ${peer.describe()} ended as a ${why}`, { address }), peer.describe());
    this.dropPeer(peer, new BusError('limit', `${peer.describe()} was ended as a ${why}`));
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
      peer.sendControl({ kind: ControlKind.Heartbeat, sentAtUs: wallClockUs() });
    }
    this.replyRoutes.expire(t);
  }

  // ── subscriptions ───────────────────────────────────────────────────────────────────────────────

  subscribe<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, handler: Handler<P, K, R>, options?: SubscribeOptions): Subscription;
  subscribe(pattern: string, handler: Handler<unknown>, options?: PatternSubscribeOptions): Subscription;
  subscribe(target: AnyTopicDescriptor | string, handler: Handler<never, never, never>, options: SubscribeOptions = {}): Subscription {
    const label = typeof target === 'string' ? target : target.address;
    this.assertOpen(label);
    let sub: LocalSub;
    const subId = this.interests.newSubId();
    const ackAfterHandler = options.ackAfterHandler === true;
    if (typeof target === 'string') {
      sub = { subId, pattern: compilePattern(target), topic: undefined, handler: handler as Handler<unknown>, ackAfterHandler, active: true };
    } else {
      assertAllowed(this.capabilities, target, 'subscribe', target.address, this.name);
      sub = {
        subId,
        pattern: topicPattern(target.address, options.params),
        topic: target,
        handler: handler as Handler<unknown>,
        ackAfterHandler,
        active: true,
      };
    }
    return this.addLocal(sub);
  }

  private addLocal(sub: LocalSub): Subscription {
    this.subs.set(sub.subId, sub);
    const ready = this.interests.announce(interestOf(sub));
    ready.catch(() => undefined); // observed through `ready`; unobserved refusals must not crash the process
    return {
      pattern: sub.pattern.source,
      ready,
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.subs.delete(sub.subId);
        this.interests.withdraw(sub.subId);
      },
    };
  }

  // ── sending ─────────────────────────────────────────────────────────────────────────────────────

  publish<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, value: P, options: PublishOptions = {}): Promise<void> {
    try {
      const key = options.key ?? 0n;
      if (typeof key !== 'bigint' || key < 0n || key >= 1n << 64n)
        throw new BusError('invalid-payload', `${topic.address}: an idempotency key is a u64 bigint, got ${String(key)}`, { address: topic.address });
      const { done } = this.send(topic, value, options, FrameKind.Publish, key);
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
      const topic = this.topics.intent(intent);
      this.call(topic, body, {}, options.timeoutMs, resolve, reject);
    }) as Promise<ReplyValue<R>>;
  }

  private call(
    topic: AnyTopicDescriptor,
    value: unknown,
    options: PublishOptions,
    timeoutMs: number | undefined,
    resolve: (v: unknown) => void,
    reject: (e: unknown) => void,
  ): void {
    const corr = this.nextCorr++;
    const address = formatAddress(topic.address, options.params);
    const replyTo = replyAddress(address, corr);
    const ms = timeoutMs ?? this.requestTimeoutMs;
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`timeoutMs must be a finite number ≥ 0, got ${ms}`);
    const timer = setTimeout(() => settle(new BusError('timeout', `${replyTo}: no reply within ${ms} ms`, { address: replyTo, timeoutMs: ms })), ms);
    const entry: PendingRequest = {
      topic,
      asked: new Set(),
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
      const { done } = this.send(topic, value, options, FrameKind.Request, corr, entry.asked);
      done.catch((err: unknown) => settle(err as BusError));
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
    let bytes = new TextEncoder().encode(JSON.stringify(info));
    if (bytes.length > topic.maxPayload && info.detail !== undefined) {
      // A detail too large for the topic would make the whole answer undeliverable: the requester
      // still hears the error, and why its detail is missing.
      const { detail: _dropped, ...rest } = info;
      const message = `${info.message} (its detail was dropped: ${bytes.length} bytes exceed maxPayload ${topic.maxPayload})`;
      bytes = new TextEncoder().encode(JSON.stringify({ ...rest, message }));
    }
    return this.sendReply(topic, replyTo, corr, FrameKind.ErrorReply, bytes, qos);
  }

  /** Settles a local request or sends the reply back towards the peer the request came from. */
  private sendReply(topic: AnyTopicDescriptor, replyTo: string, corr: bigint, kind: FrameKind, payload: Uint8Array, qos: QosLevel): Promise<void> {
    const local = this.pending.get(replyTo);
    if (local) {
      this.deliveries.enqueue(() => this.settleReply(local, kind, payload));
      return Promise.resolve();
    }
    const route = this.replyRoutes.take(replyTo);
    if (!route) return Promise.resolve(); // the requester is gone (timed out); nothing to answer
    const header = this.header(topic, corr, qos);
    return this.transmit(route.peer, { kind, topic, address: replyTo, header, payload, origin: undefined });
  }

  /** Settles `p` with a reply's payload; `value` when the reply was already decoded (and checked) on receipt. */
  private settleReply(p: PendingRequest, kind: FrameKind, payload: Uint8Array, value?: unknown): void {
    if (kind === FrameKind.ErrorReply) {
      p.settle(remoteError(p.address, parseRemote(payload)));
      return;
    }
    if (!p.codec) return p.settle(undefined, undefined);
    if (value !== undefined) return p.settle(undefined, value);
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
    const topic = this.topics.intent(intent);
    this.assertOpen(topic.address);
    const handler = responderHandler(topic, (body, d) => responder(body as B, { intent, corr: d.corr, sessionId: d.sessionId, timestampUs: d.timestampUs }), {
      // An intent without a reply type answers with an empty body.
      reply: (d, value) => (intent.reply ? this.reply(d, value) : this.sendReply(topic, d.replyTo!, d.corr, FrameKind.Reply, new Uint8Array(0), d.qos)),
      error: (replyTo, d, info) => this.replyError(topic, replyTo, d.corr, info, d.qos).catch(() => undefined),
    });
    return this.addLocal({
      subId: this.interests.newSubId(),
      pattern: compilePattern(topic.address),
      topic,
      handler: handler as Handler<unknown>,
      ackAfterHandler: false,
      active: true,
    });
  }

  private header(topic: AnyTopicDescriptor, corr: bigint, qos: QosLevel): EnvelopeHeader {
    const [major, minor] = topic.version.split('.').map((n) => Number.parseInt(n, 10) || 0);
    return {
      topicId: topic.id,
      schemaMajor: Math.min(major ?? 0, 0xffff),
      schemaMinor: Math.min(minor ?? 0, 0xffff),
      sessionId: this.sessionId,
      corrId: corr,
      timestampUs: wallClockUs(),
      qos: QOS_WIRE[qos],
      capabilities: this.capabilities,
    };
  }

  /** The publish pipeline: address, capability, validate, encode, size, responders, backpressure, then route. */
  private send(
    topic: AnyTopicDescriptor,
    value: unknown,
    options: PublishOptions,
    kind: FrameKind,
    corr: bigint,
    asked?: Set<BusSession>,
  ): { done: Promise<void> } {
    this.assertOpen(topic.address);
    const address = formatAddress(topic.address, options.params);
    assertAllowed(this.capabilities, topic, 'publish', address, this.name);
    const limit = Math.min(topic.maxPayload, this.client?.maxPayload ?? this.maxPayload);
    const payload = encodeChecked(topic.payload as Codec<unknown>, value, address, limit);
    const qos = options.qos ?? topic.qos;
    const msg: Routed = { kind, topic, address, header: this.header(topic, corr, qos), payload, origin: undefined, value, ...(asked ? { asked } : {}) };
    if (kind === FrameKind.Request && !this.hasResponder(msg)) throw new BusError('no-responder', `${address}: nobody serves this topic`, { address });
    const { sent, handled } = this.route(msg);
    return { done: handled ? Promise.all([sent, handled]).then(() => undefined) : sent };
  }

  private hasResponder(msg: Routed): boolean {
    for (const s of this.subs.values()) if (s.active && s.topic?.id === msg.topic.id && matchAddress(s.pattern, msg.address)) return true;
    for (const peer of this.peers) if (peer !== msg.origin && peer.inSession && peer.subscribedTo(msg.topic.id, msg.address, true)) return true;
    return false;
  }

  /**
   * Delivers to local subscribers and sends to every interested peer but the origin; `sent` resolves
   * when every peer acknowledged (QoS ≥ 1). A client whose session with the authority has ended (or
   * not begun) refuses a QoS ≥ 1 publication: with nobody to send it to, it would resolve as if
   * delivered.
   */
  private route(msg: Routed): RouteResult {
    const { topic, address } = msg;
    const client = this.client;
    if (client && !client.inSession && msg.origin === undefined && msg.header.qos > 0) {
      const why = this.clientEnded ? `the session with the authority ended: ${this.clientEnded.message}` : 'the session with the authority is not open yet';
      throw new BusError('undelivered', `${address}: not sent: ${why}`, { address });
    }
    const local: { sub: LocalSub; params: Record<string, string> }[] = [];
    for (const sub of this.subs.values()) {
      if (!sub.active) continue;
      if (sub.topic ? sub.topic.id !== topic.id : !maskAllows(this.capabilities, topic.subscribe)) continue;
      const params = matchAddress(sub.pattern, address);
      if (params) local.push({ sub, params });
    }
    const remote: BusSession[] = [];
    for (const peer of this.peers) {
      if (peer === msg.origin || !peer.inSession) continue;
      if (peer.role === 'authority' && !maskAllows(peer.granted, topic.subscribe)) continue;
      if (peer.subscribedTo(topic.id, address, false)) remote.push(peer);
    }
    if (msg.header.qos > 0) {
      const full = remote.filter((p) => p.outbox.isFull);
      // Forwarding another session's message, a full session this node is the authority of is a slow
      // consumer: refusing the publisher would let one subscriber that never acknowledges (or is gone
      // and never resumes) hold every other session back. It is ended instead; anything else that is
      // full is this node's own flow control, and the publisher hears `backpressure`.
      const slow = msg.origin ? full.filter((p) => p.role === 'authority') : [];
      const blocking = full.find((p) => !slow.includes(p));
      if (blocking)
        throw new BusError('backpressure', `${address}: at ${blocking.describe()} ${blocking.outbox.describeFull()}`, {
          address,
          retryAfterMs: blocking.outbox.retryHintMs(),
        });
      for (const peer of slow) {
        this.endSlowConsumer(peer, address);
        remote.splice(remote.indexOf(peer), 1);
      }
    }
    this.deliveries.reserve(local.length, address);
    for (const peer of remote) msg.asked?.add(peer);
    const handled = local.length > 0 ? this.deliverLocal(msg, local) : undefined;
    const counters = this.telemetry.counters(topic.id);
    counters.sent += remote.length;
    return { sent: Promise.all(remote.map((peer) => this.transmit(peer, msg))).then(() => undefined), handled };
  }

  private transmit(peer: BusSession, msg: Routed): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error: BusError | undefined) => {
        if (!error) return resolve();
        this.telemetry.counters(msg.topic.id).dropped++;
        reject(
          new BusError(error.code, `${msg.address}: ${error.message}`, {
            address: msg.address,
            ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
          }),
        );
      };
      const qos = msg.header.qos;
      const header = peer.role === 'authority' || msg.origin ? msg.header : { ...msg.header, sessionId: peer.sessionId };
      const limit = Math.max(msg.payload.length, peer.maxPayload);
      const build = (seq: bigint) =>
        peer.encodeData(msg.topic.lane, {
          kind: msg.kind,
          seq,
          address: msg.address,
          header,
          payload: msg.payload,
          maxPayloadBytes: limit,
          json: () => jsonBody(msg),
        });
      peer.outbox.send(qos, msg.topic.id, build, qos > 0 ? settle : undefined, msg.payload.length);
      if (qos === 0) resolve();
    });
  }

  /** Queues the deliveries; the promise settles once every `ackAfterHandler` subscriber handled the message (QoS ≥ 1 only). */
  private deliverLocal(msg: Routed, targets: readonly { sub: LocalSub; params: Record<string, string> }[]): Promise<void> | undefined {
    const { topic, address, header, payload } = msg;
    const waits: Promise<void>[] = [];
    const replyTo = msg.kind === FrameKind.Request ? replyAddress(address, header.corrId) : undefined;
    const topicParams = matchAddress(patternOf(topic), address) ?? {};
    // Each subscriber gets a value of its own; a value decoded on receipt is nobody else's, so the first may have it.
    let spare = msg.owned ? msg.value : undefined;
    for (const { sub, params } of targets) {
      const own = spare;
      spare = undefined;
      let handled: { resolve: () => void; reject: (error: BusError) => void } | undefined;
      if (sub.ackAfterHandler && header.qos > 0) waits.push(new Promise<void>((resolve, reject) => (handled = { resolve, reject })));
      const fail = (err: unknown): void => {
        this.onError(err, address);
        handled?.reject(
          new BusError('undelivered', `${address}: a handler failed: ${err instanceof Error ? err.message : String(err)}`, { address, cause: err }),
        );
      };
      this.deliveries.enqueue(() => {
        if (!sub.active) {
          handled?.reject(new BusError('undelivered', `${address}: the subscription ended before the message was handled`, { address }));
          return;
        }
        let decoded: unknown = own;
        try {
          if (decoded === undefined) decoded = topic.payload.decode(payload);
        } catch (cause) {
          fail(new BusError('invalid-payload', `${address}: payload does not decode: ${(cause as Error).message}`, { address, cause }));
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
          ...(msg.packets ? { packets: msg.packets } : {}),
          ...(msg.dedupeId === undefined ? {} : { dedupeId: msg.dedupeId }),
          qos: QOS_NAME[header.qos],
        };
        try {
          const r = sub.handler(decoded, delivery);
          if (r && typeof r.then === 'function') r.then(() => handled?.resolve(), fail);
          else handled?.resolve();
        } catch (err) {
          fail(err);
        }
      });
    }
    if (waits.length === 0) return undefined;
    return Promise.all(waits).then(() => undefined);
  }

  // ── receiving ───────────────────────────────────────────────────────────────────────────────────

  private onData(peer: BusSession, frame: Incoming, packets: Uint32Array | undefined): void {
    const { header, payload } = frame.envelope;
    const { seq } = frame;
    const qos = header.qos;
    const outside = sessionRefusal(peer, header);
    if (outside !== undefined) {
      this.quarantined++;
      peer.inbox.nack(seq, 'replay', outside);
      return;
    }
    const counters = this.telemetry.counters(header.topicId);
    if (!peer.inbox.accept(seq)) {
      counters.duplicates++;
      peer.inbox.reanswer(seq, qos);
      return;
    }
    const t = wallClockUs();
    const refusal = staleRefusal(header.timestampUs, t, this.maxAgeUs, this.maxSkewUs) ?? chunkRefusal(frame.address, header);
    if (refusal) {
      counters.quarantined++;
      peer.inbox.nack(seq, refusal.reason, refusal.message, 0);
      return;
    }
    if (frame.kind === FrameKind.Reply || frame.kind === FrameKind.ErrorReply) return this.onReply(peer, frame);
    const verdict = admit(peer, frame, this.topics, this.maxPayload, this.corrs);
    if ('reason' in verdict) {
      counters.quarantined++;
      peer.inbox.nack(seq, verdict.reason, verdict.message, 0);
      return;
    }
    const { topic, value } = verdict;
    const asked = frame.kind === FrameKind.Request ? new Set<BusSession>() : undefined;
    let claim: (Claim & { state: 'new' }) | undefined;
    let dedupeId: string | undefined;
    if (frame.kind === FrameKind.Publish && qos === WireQos.ExactlyOnce && header.corrId !== 0n) {
      dedupeId = dedupeIdentity(peer.peerName, frame.address, header.corrId, payload);
      const c = this.exactlyOnce.claim(dedupeId);
      if (c.state !== 'new') {
        counters.duplicates++;
        if (c.state === 'delivered') return peer.inbox.ack(seq);
        // A copy sent again while the first is still being handled: it shares the first one's fate.
        peer.inbox.defer(seq);
        void c.outcome.then((delivered) =>
          delivered ? peer.inbox.ack(seq) : peer.inbox.nack(seq, 'backpressure', 'another copy of this message was refused; send it again', 1),
        );
        return;
      }
      claim = c;
    }
    const msg: Routed = {
      kind: frame.kind,
      topic,
      address: frame.address,
      header,
      payload: payload.slice(),
      origin: peer,
      value,
      owned: true,
      packets,
      ...(asked ? { asked } : {}),
      dedupeId,
    };
    if (asked) {
      const replyTo = replyAddress(frame.address, header.corrId);
      if (!this.replyRoutes.hasRoom(peer)) {
        counters.quarantined++;
        const limit = this.replyRoutes.maxPerSession;
        peer.inbox.nack(seq, 'limit', `${frame.address}: session ${peer.sessionId} has ${limit} requests awaiting a reply here, the most this node keeps`, 0);
        return;
      }
      this.replyRoutes.set(replyTo, { peer, topic, asked }, this.requestTimeoutMs * 2);
      if (!this.hasResponder(msg)) {
        if (qos > 0) peer.inbox.ack(seq);
        counters.received++;
        void this.replyError(topic, replyTo, header.corrId, { name: NO_RESPONDER, code: 0, message: 'nobody serves this topic' }, QOS_NAME[qos]);
        return;
      }
    }
    let handled: Promise<void> | undefined;
    try {
      const routed = this.route(msg);
      handled = routed.handled;
      void routed.sent.catch((err: unknown) => this.onError(err, frame.address));
    } catch (err) {
      claim?.settle(false);
      // Our own queue or a further peer is full: the sender retries later.
      const hint = err instanceof BusError ? (err.retryAfterMs ?? 1) : 1;
      peer.inbox.nack(seq, 'backpressure', (err as Error).message, hint);
      return;
    }
    counters.received++;
    if (this.telemetry.latency(topic.id, Number(t - header.timestampUs))) this.reports.breach(topic.id);
    if (!handled) {
      claim?.settle(true);
      if (qos > 0) peer.inbox.ack(seq);
      return;
    }
    // Acknowledged once the handlers that asked for it have done their work; until then no ACK covers it.
    peer.inbox.defer(seq);
    handled.then(
      () => {
        claim?.settle(true);
        peer.inbox.ack(seq, true);
      },
      (err: unknown) => {
        claim?.settle(false);
        peer.inbox.nack(seq, 'undelivered', err instanceof Error ? err.message : String(err));
      },
    );
  }

  /**
   * A reply from `peer`: taken only for a request waiting here (this node's own, or one it forwarded),
   * and only as replies.ts allows; anything else is refused and leaves the request waiting for the real one.
   */
  private onReply(peer: BusSession, frame: Incoming): void {
    const { header, payload } = frame.envelope;
    const { seq, address } = frame;
    const qos = header.qos;
    const local = this.pending.get(address);
    const route = local ? undefined : this.replyRoutes.get(address);
    const awaited = local ?? route;
    if (!awaited) {
      // Late (the requester timed out, or another reply settled it): acknowledged, so the responder stops resending.
      if (qos > 0) peer.inbox.ack(seq);
      return;
    }
    const verdict = admitReply(peer, frame, awaited);
    if ('reason' in verdict) {
      this.telemetry.counters(awaited.topic.id).quarantined++;
      peer.inbox.nack(seq, verdict.reason, verdict.message, 0);
      // The peer asked answered with a value nobody may use: the requester hears why at once.
      if (verdict.reason !== 'invalid-payload') return;
      const why = `${peer.describe()} answered with ${verdict.message}`;
      if (local) local.settle(new BusError('invalid-payload', `${address}: ${why}`, { address }));
      else
        this.replyError(awaited.topic, address, header.corrId, { name: INVALID_REPLY, code: 0, message: why }, QOS_NAME[qos]).catch((err: unknown) =>
          this.onError(err, address),
        );
      return;
    }
    if (qos > 0) peer.inbox.ack(seq);
    if (local) return this.settleReply(local, frame.kind, payload.slice(), verdict.value);
    if (!route) return;
    this.replyRoutes.take(address);
    void this.transmit(route.peer, { kind: frame.kind, topic: route.topic, address, header, payload: payload.slice(), origin: undefined }).catch(
      (err: unknown) => this.onError(err, address),
    );
  }

  // ── stats, flush, close ─────────────────────────────────────────────────────────────────────────

  /** Counters and latency figures per topic, and the state of every peer. */
  stats(): NetworkBusStats {
    return {
      peers: [...this.peers].map((p) => ({
        name: p.peerName,
        sessionId: p.sessionId,
        state: p.state,
        inFlight: p.outbox.inFlight,
        srttMs: p.outbox.srttMs,
        bufferedBytes: p.bufferedBytes,
        subscriptions: p.interests.size,
        openRequests: this.replyRoutes.openFor(p),
        granted: p.granted,
        maxPayload: p.maxPayload,
        jitterBudgetUs: p.jitterBudgetUs,
        clockSource: p.clockSource,
        traffic: p.meter.snapshot(),
      })),
      endedTraffic: this.ended.snapshot(),
      topics: this.telemetry.snapshot(),
      quarantined: this.quarantined,
      resumes: this.sessions.resumes,
    };
  }

  /** Resolves once every at-least-once / exactly-once message sent so far is acknowledged (or given up). */
  async flush(): Promise<void> {
    while (!this.closed && [...this.peers].some((p) => p.outbox.inFlight > 0)) await new Promise((r) => setTimeout(r, 2));
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
        peer.inbox.flushAcks();
        peer.sendControl({ kind: ControlKind.Close, reason: 'normal' });
      }
      this.dropPeer(peer, error);
    }
    for (const p of [...this.pending.values()]) p.settle(new BusError('closed', `${p.address}: the bus was closed`, { address: p.address }));
    for (const s of this.subs.values()) s.active = false;
    this.subs.clear();
    // Session records being written or removed land before the close resolves (a process exits then).
    return this.sessions.settled();
  }

  private assertOpen(address: string): void {
    if (this.closed) throw new BusError('closed', `${address}: the bus was closed`, { address });
  }
}

/** How a local subscription is announced to peers. */
function interestOf(sub: LocalSub): Interest {
  return { subId: sub.subId, topicId: sub.topic?.id ?? 0, pattern: sub.pattern.source };
}
