/**
 * Broker bookkeeping of forwarded requests: where the reply to each goes (the session the request came
 * from), until it comes or its time is up, and how many each session has open here. A session that
 * sends requests nobody answers would otherwise make the node remember them without bound; past
 * `maxPerSession` its next request is refused with `limit`.
 */
import type { BusSession } from './bus-session.ts';

interface Route {
  readonly peer: BusSession;
  readonly expires: number;
}

export class ReplyRoutes {
  private readonly routes = new Map<string, Route>();
  private readonly open = new Map<BusSession, number>();

  constructor(readonly maxPerSession: number) {}

  /** Requests of `peer` awaiting a reply here. */
  openFor(peer: BusSession): number {
    return this.open.get(peer) ?? 0;
  }

  /** Whether `peer` may have one more request open here. */
  hasRoom(peer: BusSession): boolean {
    return this.openFor(peer) < this.maxPerSession;
  }

  /** Remembers that the reply to `replyTo` goes to `peer`, for `ttlMs`. */
  set(replyTo: string, peer: BusSession, ttlMs: number): void {
    this.take(replyTo);
    this.routes.set(replyTo, { peer, expires: performance.now() + ttlMs });
    this.open.set(peer, this.openFor(peer) + 1);
  }

  /** The session the reply to `replyTo` goes to, forgotten as it is taken; undefined when none (late, or never asked). */
  take(replyTo: string): BusSession | undefined {
    const route = this.routes.get(replyTo);
    if (!route) return undefined;
    this.routes.delete(replyTo);
    this.release(route.peer);
    return route.peer;
  }

  /** Forgets the routes whose time is up. */
  expire(now: number): void {
    for (const [replyTo, r] of this.routes) if (r.expires < now) this.take(replyTo);
  }

  /** A session is gone: replies for it have nowhere to go. */
  dropPeer(peer: BusSession): void {
    if (!this.open.has(peer)) return;
    for (const [replyTo, r] of this.routes) if (r.peer === peer) this.routes.delete(replyTo);
    this.open.delete(peer);
  }

  private release(peer: BusSession): void {
    const n = this.openFor(peer) - 1;
    if (n > 0) this.open.set(peer, n);
    else this.open.delete(peer);
  }
}
