/**
 * Broker bookkeeping of forwarded requests: where the reply to each goes (the session the request came
 * from), until it comes or its time is up, and how many each session has open here. A session that
 * sends requests nobody answers would otherwise make the node remember them without bound; past
 * `maxPerSession` its next request is refused with `limit`.
 */
import type { BusSession } from './bus-session.ts';
import type { AwaitedReply } from './replies.ts';

/** A request forwarded from `peer`, whose reply goes back there (and is taken only as replies.ts allows). */
export interface ReplyRoute extends AwaitedReply {
  readonly peer: BusSession;
}

interface Route extends ReplyRoute {
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

  /** Remembers that the reply to `replyTo` goes to `route.peer`, for `ttlMs`. */
  set(replyTo: string, route: ReplyRoute, ttlMs: number): void {
    this.take(replyTo);
    this.routes.set(replyTo, { ...route, expires: performance.now() + ttlMs });
    this.open.set(route.peer, this.openFor(route.peer) + 1);
  }

  /** The route of the reply to `replyTo`, kept; undefined when none (late, or never asked). */
  get(replyTo: string): ReplyRoute | undefined {
    return this.routes.get(replyTo);
  }

  /** The route of the reply to `replyTo`, forgotten as it is taken; undefined when none (late, or never asked). */
  take(replyTo: string): ReplyRoute | undefined {
    const route = this.routes.get(replyTo);
    if (!route) return undefined;
    this.routes.delete(replyTo);
    this.release(route.peer);
    return route;
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
