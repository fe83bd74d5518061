/**
 * The bus session with one peer: what a HELLO/WELCOME negotiated (session id, granted capabilities,
 * limits, clock, resume token, the peer's subscriptions), which link it runs on now, and the lanes its
 * frames travel in. Reliable delivery is the outbox's (sending) and the inbox's (receiving); this class
 * wires them to the link. A BusSession outlives its link: when the link drops the session is detached,
 * and a resume re-attaches it to a new link.
 */
import {
  BusFrameReader,
  FrameError,
  LANES,
  type Control,
  type EncodedFrame,
  type FrameReaderOptions,
  type IncomingData,
  type Interest,
  type Lane,
  type LaneName,
  type OutgoingData,
  type ReceivedFrame,
} from '../lanes/index.ts';
import { ClockSource } from '../protocol/types/fountain.session.ts';
import type { UmpError } from '../ump/index.ts';
import type { LinkDown, UmpLink } from '../transports/link.ts';
import { matchAddress, type AddressPattern } from './address.ts';
import { BusError } from './errors.ts';
import { Inbox } from './inbox.ts';
import { Outbox, type OutboxOptions } from './outbox.ts';
import { PeerMeter } from './peer-meter.ts';

export interface BusSessionOptions extends OutboxOptions {
  /** ACKs are batched for at most this long (default 5 ms). */
  readonly ackDelayMs?: number;
  /** How the session reads its link (frame size bound, flex bodies, kept packets). */
  readonly reader: FrameReaderOptions;
}

export interface BusSessionEvents {
  /** A data frame (its packets when the reader keeps them). */
  data(session: BusSession, frame: IncomingData, packets: Uint32Array | undefined): void;
  control(session: BusSession, control: Control): void;
  /** Every frame received, before the bus acts on it (for observers). */
  frame(session: BusSession, frame: ReceivedFrame): void;
  /** A frame that could not be read (counted as quarantined). */
  malformed(session: BusSession, error: FrameError): void;
  /** A message the link's reassembly refused for breaking its limits (size, messages open at once). */
  overLimit(session: BusSession, error: UmpError): void;
  linkDown(session: BusSession, down: LinkDown): void;
  /** A UMP message on the link that is not a bus frame, as its packets (absent: such traffic is passed over). */
  foreign?(session: BusSession, words: Uint32Array): void;
  /** The link, still up, refused packets the session sent (the frame is lost on this link; QoS ≥ 1 retries it). */
  sendFailed(session: BusSession, error: unknown): void;
  /** A retransmission was sent for a frame of this topic. */
  retried(session: BusSession, topicId: number): void;
}

export type BusSessionState = 'handshake' | 'established' | 'detached' | 'closed';

export interface InterestEntry {
  readonly interest: Interest;
  readonly pattern: AddressPattern;
}

/** Control frames travel on the sysex8 lane (the UMP transports'), or on sysex7 over a MIDI 1.0 link (`laneFor`). */
const CONTROL_LANE: LaneName = 'sysex8';

export class BusSession {
  state: BusSessionState = 'handshake';
  link: UmpLink | undefined;
  sessionId = 0;
  /** Capabilities granted to the peer (authority side) or to us (client side). */
  granted = 0n;
  /** Authority: the QoS levels (wire numbers) the peer may publish and request with; undefined: all. */
  allowedQos: ReadonlySet<number> | undefined;
  /** Authority: the policy rule or reason that granted the session, for the grant's record. */
  grantedBy: string | undefined;
  maxPayload: number;
  peerName = '';
  resumeToken = '';
  heartbeatMs = 1000;
  /** The session's agreed jitter budget (µs). */
  jitterBudgetUs = 0;
  /** The session's clock source (a number of fountain.session.ClockSource; negotiated, wall clock until then). */
  clockSource: number = ClockSource.values.wall_clock;
  /** The peer's subscriptions, by its subscription id. */
  readonly interests = new Map<number, InterestEntry>();
  readonly outbox: Outbox;
  readonly inbox: Inbox;
  /** Bytes, ACKs, NACKs, retransmissions, gaps, reordering and round trips of this session. */
  readonly meter = new PeerMeter();
  private reader: BusFrameReader;
  /** When anything last arrived from the peer (ms, performance.now). */
  lastHeard = performance.now();
  /**
   * The link carried MIDI that is not the bus's (a keyboard's notes, a DAW's CCs) to an application
   * that listens for it: such a peer is a MIDI device, which never says HELLO and must not be dropped
   * for that.
   */
  carriedForeignMidi = false;

  constructor(
    readonly role: 'authority' | 'client',
    private readonly events: BusSessionEvents,
    private readonly options: BusSessionOptions,
  ) {
    this.maxPayload = options.reader.maxFrameBytes;
    this.outbox = new Outbox(
      {
        isEstablished: () => this.state === 'established',
        put: (words) => this.put(words),
        retried: (topicId) => this.events.retried(this, topicId),
        describe: () => this.describe(),
      },
      options,
      this.meter,
    );
    this.inbox = new Inbox((c) => this.sendControl(c), this.outbox.maxInFlight, options.ackDelayMs ?? 5, this.meter);
    this.reader = this.newReader();
  }

  private newReader(): BusFrameReader {
    const foreign = this.events.foreign?.bind(this.events);
    return new BusFrameReader({
      ...this.options.reader,
      onLimit: (e) => this.events.overLimit(this, e),
      ...(foreign
        ? {
            onForeign: (words: Uint32Array) => {
              this.carriedForeignMidi = true;
              foreign(this, words);
            },
          }
        : {}),
    });
  }

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

  /** Bytes the link's reassembly holds for frames not yet complete. */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  /** Takes `link` as the session's path (a new session, or a resume); the old link, if any, is dropped. */
  attach(link: UmpLink): void {
    const old = this.link;
    this.link = link;
    this.reader = this.newReader();
    this.lastHeard = performance.now();
    link.onReceive((words) => {
      if (this.link === link) this.receive(words);
    });
    link.onDown((down) => {
      if (this.link !== link) return;
      this.link = undefined;
      this.events.linkDown(this, down);
    });
    if (old && old !== link && old.isOpen) void old.close();
    this.outbox.start();
  }

  /**
   * This peer's link now carries a session it resumed: the link is that session's, and this peer is
   * done (nothing it holds may close the link: its HELLO deadline, a drop).
   */
  handOver(): void {
    this.link = undefined;
    this.state = 'closed';
    this.outbox.close(new BusError('closed', `${this.describe()}: handed over to a resumed session`));
    this.inbox.close();
  }

  /** Sends a control frame now (control frames are not sequenced; their senders retry where needed). */
  sendControl(c: Control): void {
    this.put(this.laneFor(CONTROL_LANE).encodeControl!(c));
  }

  /** The lane a frame of lane `name` travels on over the current link: sysex7 on a MIDI 1.0 link, whatever the topic's lane. */
  laneFor(name: LaneName): Lane {
    return this.link?.midi1Only === true ? LANES.sysex7 : LANES[name];
  }

  /**
   * A data frame encoded for the link each transmission goes out on: a frame queued while detached, or
   * retransmitted after a resume on a link of another kind (UMP ⇄ MIDI 1.0), takes the lane that link carries.
   */
  encodeData(name: LaneName, frame: OutgoingData): EncodedFrame {
    // Encoded now, so that a frame that cannot be encoded fails its sender at once.
    let lane = this.laneFor(name);
    let encoded = lane.encode(frame);
    return {
      packets: (retransmission, stream) => {
        const now = this.laneFor(name);
        if (now !== lane) {
          lane = now;
          encoded = now.encode(frame);
        }
        return encoded.packets(retransmission, stream);
      },
    };
  }

  private put(words: Uint32Array): void {
    const link = this.link;
    if (!link || !link.isOpen) return; // detached: frames wait in the outbox / ring for a resume
    try {
      link.send(words);
      this.meter.bytesSent += words.length * 4;
    } catch (err) {
      // A link going down says so through its onDown handler, which detaches the session; a link still
      // up refused these packets (a frame larger than a MIDI 1.0 port takes): that is the sender's to know.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- send may have taken the link down
      if (link.isOpen) this.events.sendFailed(this, err);
    }
  }

  private receive(words: Uint32Array): void {
    this.lastHeard = performance.now();
    this.meter.bytesReceived += words.length * 4;
    for (const r of this.reader.push(words)) {
      if (r instanceof FrameError) {
        this.events.malformed(this, r);
        continue;
      }
      this.events.frame(this, r);
      if (r.kind === 'control') this.events.control(this, r.control);
      else this.events.data(this, r.frame, r.packets);
    }
  }

  describe(): string {
    return `peer ${this.peerName || '?'} (session ${this.sessionId})`;
  }

  /** Ends the session: pending frames fail with `error`, timers stop, the link closes. */
  close(error: BusError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.outbox.close(error);
    this.inbox.close();
    const link = this.link;
    this.link = undefined;
    if (link?.isOpen) void link.close();
  }
}
