/**
 * Subscription bookkeeping between peers: the subscriptions each peer announced (SUBSCRIBE, HELLO,
 * WELCOME), their relay to every other peer under ids of this node's (so a node is a broker), and
 * the SUBSCRIBE retries until each peer answers SUBSCRIBED. Kept apart from network.ts because it is
 * control-plane state with its own lifecycle; routing only reads `peer.interests`.
 */
import { compilePattern, type AddressPattern } from './address.ts';
import { maskAllows } from './capabilities.ts';
import { ControlKind, type Control, type Interest, type NackReason } from '../lanes/index.ts';
import type { AnyTopicDescriptor } from './descriptor.ts';
import { BusError } from './errors.ts';
import type { BusSession } from './bus-session.ts';
import { INTENT_TOPIC_ID } from './topic-table.ts';

const SUBSCRIBE_RETRY_MS = 200;
const SUBSCRIBE_RETRY_MAX_MS = 5_000;

/**
 * What of a subscription list a HELLO or WELCOME carries: at most 64 subscriptions and 4 KiB of
 * patterns, so the frame fits every reader (the smallest session payload is 1 KiB, frames up to 8 KiB
 * more) and never meets the list bound however many subscriptions the node's sessions hold. The rest
 * follow as SUBSCRIBE once the session is established.
 */
export const HANDSHAKE_INTERESTS = 64;
export const HANDSHAKE_INTEREST_BYTES = 4096;
const UTF8 = new TextEncoder();

export function handshakeShare(list: readonly Interest[]): { readonly carried: Interest[]; readonly rest: Interest[] } {
  let bytes = 0;
  let n = 0;
  for (; n < list.length && n < HANDSHAKE_INTERESTS; n++) {
    bytes += 10 + UTF8.encode(list[n]!.pattern).length;
    if (bytes > HANDSHAKE_INTEREST_BYTES) break;
  }
  return { carried: list.slice(0, n), rest: list.slice(n) };
}

interface PendingSubscribe {
  readonly peer: BusSession;
  readonly resolve: () => void;
  readonly reject: (e: BusError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface InterestsDeps {
  /** Every peer of the node (the set itself: it changes as peers come and go). */
  readonly peers: ReadonlySet<BusSession>;
  readonly topicsById: ReadonlyMap<number, AnyTopicDescriptor>;
  /** The node's own subscriptions, as announced. */
  readonly own: () => Interest[];
  /** Subscriptions one client session may hold here at once (authority side); past it SUBSCRIBE is refused with `limit`. */
  readonly maxPerSession: number;
  /** Subscriptions a HELLO named past the limit: nobody answers a HELLO's list one by one, so they are reported here. */
  readonly refusedInHello: (peer: BusSession, count: number, reason: NackReason) => void;
}

export class Interests {
  private readonly subscribeWaits = new Map<number, PendingSubscribe[]>();
  /** Broker: other peers' subscriptions announced under ids of this node's, by that id. */
  private readonly proxies = new Map<number, { readonly peer: BusSession; readonly theirId: number; readonly interest: Interest }>();
  private nextSubId = 1;

  constructor(private readonly deps: InterestsDeps) {}

  /** A subscription id of this node's (its own subscriptions and relayed ones share the range). */
  newSubId(): number {
    return this.nextSubId++;
  }

  /**
   * What this node announces to `to`: its own subscriptions, and (as a broker) every other peer's,
   * under ids of its own, so that traffic for them reaches this node in the first place.
   */
  announced(to?: BusSession): Interest[] {
    const relayed = [...this.proxies.entries()].filter(([, p]) => p.peer !== to).map(([subId, p]) => ({ ...p.interest, subId }));
    return [...this.deps.own(), ...relayed];
  }

  /** Replaces a peer's announced subscriptions (HELLO, WELCOME, resume). */
  set(peer: BusSession, list: readonly Interest[]): void {
    for (const subId of [...peer.interests.keys()]) this.remove(peer, subId);
    let over = 0;
    for (const i of list) if (this.add(peer, i) === 'limit') over++;
    if (over > 0) this.deps.refusedInHello(peer, over, 'limit');
  }

  private add(peer: BusSession, i: Interest): NackReason | undefined {
    // A client session's subscriptions are relayed to every other peer and announced to every later
    // one: without a bound one session could make every WELCOME too large to send.
    if (peer.role === 'authority' && !peer.interests.has(i.subId) && peer.interests.size >= this.deps.maxPerSession) return 'limit';
    let pattern: AddressPattern;
    try {
      pattern = compilePattern(i.pattern);
    } catch {
      return 'invalid-address';
    }
    if (i.topicId !== 0 && i.topicId !== INTENT_TOPIC_ID) {
      const topic = this.deps.topicsById.get(i.topicId);
      if (!topic) return 'invalid-address';
      if (peer.role === 'authority' && !maskAllows(peer.granted, topic.subscribe)) return 'forbidden';
    }
    if (peer.interests.has(i.subId)) this.remove(peer, i.subId);
    peer.interests.set(i.subId, { interest: i, pattern });
    // Relay it to the other peers, so what they publish on it comes here to be forwarded.
    const proxyId = this.nextSubId++;
    this.proxies.set(proxyId, { peer, theirId: i.subId, interest: i });
    void this.announce({ ...i, subId: proxyId }, peer).catch(() => undefined);
    return undefined;
  }

  /** A peer withdrew subscription `subId` (UNSUBSCRIBE): so does this node's relay of it. */
  remove(peer: BusSession, subId: number): void {
    peer.interests.delete(subId);
    for (const [proxyId, p] of this.proxies) {
      if (p.peer === peer && p.theirId === subId) {
        this.proxies.delete(proxyId);
        this.withdraw(proxyId);
      }
    }
  }

  onSubscribe(peer: BusSession, c: Control & { kind: typeof ControlKind.Subscribe }): void {
    if (peer.state !== 'established') return;
    const refused = this.add(peer, c);
    const why = refused === 'limit' ? `the session holds ${peer.interests.size} subscriptions, the most this node keeps per session` : refused;
    peer.sendControl({ kind: ControlKind.Subscribed, subId: c.subId, refused, message: refused ? `${c.pattern}: ${why}` : '' });
  }

  onSubscribed(peer: BusSession, c: Control & { kind: typeof ControlKind.Subscribed }): void {
    const waits = this.subscribeWaits.get(c.subId);
    const w = waits?.find((x) => x.peer === peer);
    if (!w || !waits) return;
    clearTimeout(w.timer);
    waits.splice(waits.indexOf(w), 1);
    if (c.refused) w.reject(new BusError(c.refused, `${peer.describe()} refused the subscription: ${c.message}`));
    else w.resolve();
  }

  /** Sends SUBSCRIBE to every peer but `except` (again after 200 ms, doubling to 5 s, until answered); resolves once all answered. */
  announce(interest: Interest, except?: BusSession): Promise<void> {
    const acks: Promise<void>[] = [];
    for (const peer of this.deps.peers) if (peer !== except && peer.inSession) acks.push(this.announceTo(peer, interest));
    return Promise.all(acks).then(() => undefined);
  }

  /**
   * Sends SUBSCRIBE to `peer` alone (again after 200 ms, doubling to 5 s, until answered): what did not fit in the
   * HELLO or WELCOME follows this way. A refusal is the peer's to report; nobody awaits it here.
   */
  announceTo(peer: BusSession, interest: Interest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wait: PendingSubscribe = { peer, resolve, reject, timer: undefined };
      // Resent with a doubling pause: a peer that never answers costs this node a trickle, not a flood.
      let pause = SUBSCRIBE_RETRY_MS;
      const send = () => {
        peer.sendControl({ kind: ControlKind.Subscribe, ...interest });
        wait.timer = setTimeout(send, pause);
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
        wait.timer.unref?.();
        pause = Math.min(pause * 2, SUBSCRIBE_RETRY_MAX_MS);
      };
      const waits = this.subscribeWaits.get(interest.subId) ?? [];
      waits.push(wait);
      this.subscribeWaits.set(interest.subId, waits);
      send();
    });
  }

  /** Stops announcing subscription `subId` and tells the peers. */
  withdraw(subId: number): void {
    for (const w of this.subscribeWaits.get(subId) ?? []) clearTimeout(w.timer);
    this.subscribeWaits.delete(subId);
    for (const peer of this.deps.peers) if (peer.state === 'established') peer.sendControl({ kind: ControlKind.Unsubscribe, subId });
  }

  /** A peer is gone: its subscriptions and their relays go, and announcements waiting on it count as answered. */
  dropPeer(peer: BusSession): void {
    for (const subId of [...peer.interests.keys()]) this.remove(peer, subId);
    for (const waits of this.subscribeWaits.values()) {
      for (const w of waits.filter((x) => x.peer === peer)) {
        clearTimeout(w.timer);
        waits.splice(waits.indexOf(w), 1);
        w.resolve();
      }
    }
  }
}
