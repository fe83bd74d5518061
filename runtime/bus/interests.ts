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

interface PendingSubscribe {
  readonly peer: BusSession;
  readonly resolve: () => void;
  readonly reject: (e: BusError) => void;
  readonly timer: ReturnType<typeof setInterval>;
}

export interface InterestsDeps {
  /** Every peer of the node (the set itself: it changes as peers come and go). */
  readonly peers: ReadonlySet<BusSession>;
  readonly topicsById: ReadonlyMap<number, AnyTopicDescriptor>;
  /** The node's own subscriptions, as announced. */
  readonly own: () => Interest[];
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
    for (const i of list) this.add(peer, i);
  }

  private add(peer: BusSession, i: Interest): NackReason | undefined {
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
    peer.sendControl({ kind: ControlKind.Subscribed, subId: c.subId, refused, message: refused ? `${c.pattern}: ${refused}` : '' });
  }

  onSubscribed(peer: BusSession, c: Control & { kind: typeof ControlKind.Subscribed }): void {
    const waits = this.subscribeWaits.get(c.subId);
    const w = waits?.find((x) => x.peer === peer);
    if (!w || !waits) return;
    clearInterval(w.timer);
    waits.splice(waits.indexOf(w), 1);
    if (c.refused) w.reject(new BusError(c.refused, `${peer.describe()} refused the subscription: ${c.message}`));
    else w.resolve();
  }

  /** Sends SUBSCRIBE to every peer but `except` (again every 200 ms until answered); resolves once all answered. */
  announce(interest: Interest, except?: BusSession): Promise<void> {
    const acks: Promise<void>[] = [];
    for (const peer of this.deps.peers) {
      if (peer === except || !peer.inSession) continue;
      acks.push(
        new Promise<void>((resolve, reject) => {
          const send = () => peer.sendControl({ kind: ControlKind.Subscribe, ...interest });
          const timer = setInterval(send, SUBSCRIBE_RETRY_MS);
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
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
  withdraw(subId: number): void {
    for (const w of this.subscribeWaits.get(subId) ?? []) clearInterval(w.timer);
    this.subscribeWaits.delete(subId);
    for (const peer of this.deps.peers) if (peer.state === 'established') peer.sendControl({ kind: ControlKind.Unsubscribe, subId });
  }

  /** A peer is gone: its subscriptions and their relays go, and announcements waiting on it count as answered. */
  dropPeer(peer: BusSession): void {
    for (const subId of [...peer.interests.keys()]) this.remove(peer, subId);
    for (const waits of this.subscribeWaits.values()) {
      for (const w of waits.filter((x) => x.peer === peer)) {
        clearInterval(w.timer);
        waits.splice(waits.indexOf(w), 1);
        w.resolve();
      }
    }
  }
}
