/**
 * Session handshake and resume. A client (`connect`) sends HELLO (name, requested capabilities, max
 * payload, jitter budget, clock sources, its subscriptions) on group 0, again every 200 ms; the
 * authority (`accept`) answers WELCOME with the session id, the granted capability mask, the
 * negotiated limits and a single-use resume token, or REFUSE. When a link drops, the authority keeps
 * the session (detached) for `resumeWindowMs`; the client, given `reconnect`, opens a new link and
 * resumes with its token and the last seq it received in order; both sides then send again whatever
 * the other has not received (backfill).
 *
 * Kept apart from network.ts because it is the lifecycle of a session, which the message path only
 * reads (`peer.state`, the negotiated limits); the bus hands in what it needs (`SessionHost`): its
 * limits, its announced subscriptions and how to drop a peer.
 */
import { SessionOpenSchema } from '../protocol/schemas/fountain.session.ts';
import { ClockSource, SessionError, SessionErrorMessages } from '../protocol/types/fountain.session.ts';
import type { LinkDown, UmpLink } from '../transports/link.ts';
import { ControlKind, payloadWithinSysEx7, type Control, type Interest } from '../lanes/index.ts';
import { BusError } from './errors.ts';
import type { BusSession } from './bus-session.ts';
import { handshakeShare } from './interests.ts';
import { RESTORED_SEQ_JUMP, hashResumeToken, resumeTokenMatches, type SessionRecord, type SessionRecords } from './session-records.ts';
import { randomToken, randomU32 } from './web-crypto.ts';
import { Qos as WireQos } from '../envelope/index.ts';
import type { QosLevel } from './descriptor.ts';

/** What an authority grants one client session (the answer of `NetworkBusOptions.grant`). */
export interface SessionGrant {
  /** Of the capabilities the client asked for, those it gets (anything else given here is ignored). */
  readonly capabilities: bigint;
  /** The largest payload the session carries, when smaller than what it negotiates anyway. */
  readonly maxPayload?: number;
  /** The QoS levels the client may publish and request with (default: all); others are refused as `forbidden`. */
  readonly qos?: readonly QosLevel[];
  /** What decided the grant (a policy rule), kept with the session for its record. */
  readonly by?: string;
  /** Set: the session is refused (CAPABILITY_DENIED) with this reason, whatever else the grant says. */
  readonly refused?: string;
}

/** Who asks for a session: the name it says of itself, and the user its link proved, when the transport authenticates users. */
export interface GrantRequest {
  readonly name: string;
  readonly user?: string;
}

/** An authority's decision on a client's HELLO: a mask (of those asked for), or a whole `SessionGrant`. */
export type GrantFunction = (requested: bigint, hello: GrantRequest) => bigint | SessionGrant;

const WIRE_QOS: Readonly<Record<QosLevel, number>> = {
  at_most_once: WireQos.AtMostOnce,
  at_least_once: WireQos.AtLeastOnce,
  exactly_once: WireQos.ExactlyOnce,
};

export interface ConnectOptions {
  /** Opens a new link after the current one drops; without it a dropped link ends the session. */
  readonly reconnect?: () => Promise<UmpLink>;
  /** How long to wait for WELCOME (default 5000 ms). */
  readonly timeoutMs?: number;
  /** How long to keep trying to resume after a drop (default 30000 ms). */
  readonly resumeForMs?: number;
}

const HELLO_RETRY_MS = 200;
/** How long an authority waits for a new link's HELLO before it drops the link (see `accept`). */
export const HELLO_DEADLINE_MS = 10_000;

/** The clock sources a node keeps, most preferred first: a client offers them, an authority accepts one of them. */
const OWN_CLOCKS: readonly ClockSource[] = ['wall_clock', 'host_monotonic'];
const OWN_CLOCK_NUMBERS: readonly number[] = OWN_CLOCKS.map((c) => ClockSource.values[c]);

/** The smallest maximum payload a session agrees on: the minimum fountain.session.SessionOpen allows. */
const MIN_MAX_PAYLOAD: number = SessionOpenSchema.properties.maxPayload.minimum;

/**
 * The largest payload a session over `link` may promise: unbounded on a UMP link; within one SysEx on a
 * MIDI 1.0 link that bounds its messages (a MIDI port takes 4 KB), never below the protocol's minimum.
 */
function linkPayloadLimit(link: UmpLink | undefined): number {
  const max = link?.midi1Only === true ? link.maxMessageBytes : undefined;
  return max === undefined ? Number.POSITIVE_INFINITY : Math.max(MIN_MAX_PAYLOAD, payloadWithinSysEx7(max));
}

/** REFUSE with a member of fountain.session.SessionError: its code and name, and its message unless a more precise one is given. */
function refusal(name: SessionError, message?: string): Control {
  return { kind: ControlKind.Refuse, code: SessionError[name], name, message: message ?? SessionErrorMessages[name] ?? name };
}

type Hello = Control & { kind: typeof ControlKind.Hello };
type Welcome = Control & { kind: typeof ControlKind.Welcome };
type Refuse = Control & { kind: typeof ControlKind.Refuse };

/** What the sessions need of the bus. */
export interface SessionHost {
  readonly name: string;
  /** Client: the capabilities asked for. Authority: its own mask. */
  readonly ownMask: bigint;
  readonly maxPayload: number;
  readonly jitterBudgetUs: number;
  readonly heartbeatMs: number;
  readonly resumeWindowMs: number;
  readonly grant: GrantFunction | undefined;
  isClosed(): boolean;
  /** The subscriptions announced to `to` (all when undefined). */
  announced(to?: BusSession): Interest[];
  /** Replaces the subscriptions `peer` announced. */
  setInterests(peer: BusSession, list: readonly Interest[]): void;
  /** Announces to `peer`, one SUBSCRIBE each, the subscriptions its handshake frame had no room for. */
  announceRest(peer: BusSession, list: readonly Interest[]): void;
  /** Ends a peer's session (after `delayMs`, so a REFUSE can go out first). */
  dropPeer(peer: BusSession, error: BusError, delayMs?: number): void;
  /** A peer whose link now carries a resumed session: it is not a peer of its own any more. */
  retire(peer: BusSession): void;
  /** Counts a frame refused outside a session. */
  quarantine(): void;
  /** Authority: where each session's record is kept (none: sessions live in memory only). */
  readonly records: SessionRecords | undefined;
  /** A record that could not be written or removed (the session goes on). */
  report(error: unknown, where: string): void;
}

/** A session's holder as the authority knows it (`NetworkBus.sessionPeer`). */
export interface SessionPeer {
  /** The endpoint name the peer gave of itself (not proven). */
  readonly name: string;
  /** The user its link proved at the grant, when the transport authenticates users. */
  readonly user?: string;
}

/** Authority: what a session's record needs beyond the session itself. */
interface Granted {
  /** SHA-256 of the current resume token (the token itself is sent once, in the WELCOME). */
  tokenHash: string;
  readonly grantedAtMs: number;
  /** The link it was granted or last resumed on. */
  link: string;
  /** The user the link proved at the grant, when its transport authenticates users. */
  readonly user: string | undefined;
  /** Restored from a record and not resumed yet: the highest seq the earlier process had recorded as sent. */
  restoredSent: bigint | undefined;
  expiry: ReturnType<typeof setTimeout> | undefined;
  /** The resume whose record is being written (a later one takes over). */
  resuming?: object | undefined;
}

export class Sessions {
  /** Authority: sessions by id (attached or detached). */
  private readonly sessions = new Map<number, BusSession>();
  private readonly granted = new Map<number, Granted>();
  /** Authority: new links whose grant or resume waits for its record to be written (their repeated HELLOs wait too). */
  private readonly recording = new WeakSet<BusSession>();
  /** Authority: each session's record writes, in order (a detach's write never lands after a later resume's). */
  private readonly writes = new Map<number, Promise<void>>();
  private readonly welcomes = new WeakMap<BusSession, Control>();
  private readonly resumable = new WeakMap<BusSession, { reconnect: () => Promise<UmpLink>; forMs: number }>();
  private readonly handshakes = new WeakMap<BusSession, { resolve: () => void; reject: (e: BusError) => void }>();
  /** Client: the subscription ids the last HELLO carried (the others follow the WELCOME as SUBSCRIBE). */
  private readonly helloCarried = new WeakMap<BusSession, ReadonlySet<number>>();
  private resumeCount = 0;

  constructor(private readonly host: SessionHost) {}

  /** Sessions resumed so far. */
  get resumes(): number {
    return this.resumeCount;
  }

  /**
   * Authority: runs the session `peer` opens over `link`; drops it when no HELLO comes within 10 s,
   * unless the link has carried MIDI the application listens to (a keyboard, a DAW: they never say
   * HELLO). Such a link stays for as long as its transport keeps it — the transport's own session
   * limit and liveness (RTP-MIDI's clock sync, Network MIDI 2.0's pings) bound how many and how long —
   * and may still open a bus session later.
   */
  accept(peer: BusSession, link: UmpLink): void {
    peer.peerName = link.peerName;
    peer.attach(link);
    const giveUp = setTimeout(() => {
      if (peer.state === 'handshake' && !peer.carriedForeignMidi)
        this.host.dropPeer(peer, new BusError('closed', `${link.description}: no HELLO within ${HELLO_DEADLINE_MS / 1000} s`));
    }, HELLO_DEADLINE_MS);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
    giveUp.unref?.();
  }

  /** Client: opens the session over `link`; resolves on its WELCOME. */
  connect(peer: BusSession, link: UmpLink, options: ConnectOptions): Promise<void> {
    peer.attach(link);
    return this.handshake(peer, options.timeoutMs ?? 5_000).then(() => {
      if (options.reconnect) this.resumable.set(peer, { reconnect: options.reconnect, forMs: options.resumeForMs ?? 30_000 });
    });
  }

  /** Sends HELLO (again every 200 ms) until WELCOME or REFUSE; `resume` for a resumed session. */
  private handshake(peer: BusSession, timeoutMs: number, resume = false): Promise<void> {
    const host = this.host;
    return new Promise<void>((resolve, reject) => {
      const hello = (): Control => {
        const { carried } = handshakeShare(host.announced());
        this.helloCarried.set(peer, new Set(carried.map((i) => i.subId)));
        return {
          kind: ControlKind.Hello,
          name: host.name,
          capabilities: host.ownMask,
          maxPayload: Math.min(host.maxPayload, linkPayloadLimit(peer.link)),
          jitterBudgetUs: host.jitterBudgetUs,
          heartbeatMs: host.heartbeatMs,
          clockSources: OWN_CLOCK_NUMBERS,
          interests: carried,
          resume: resume ? { sessionId: peer.sessionId, token: peer.resumeToken, lastSeq: peer.inbox.answeredFloor } : undefined,
        };
      };
      const retry = setInterval(() => peer.sendControl(hello()), HELLO_RETRY_MS);
      const timeout = setTimeout(
        () => done(new BusError('timeout', `${peer.link?.description ?? host.name}: no WELCOME within ${timeoutMs} ms`, { timeoutMs })),
        timeoutMs,
      );
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

  onRefuse(peer: BusSession, c: Refuse): void {
    const code = c.code === SessionError.CAPABILITY_DENIED ? 'forbidden' : 'closed';
    const error = new BusError(code, `${peer.link?.description ?? this.host.name}: session refused: ${c.name}: ${c.message}`);
    const hs = this.handshakes.get(peer);
    if (hs) hs.reject(error);
    this.host.dropPeer(peer, error);
  }

  onHello(peer: BusSession, c: Hello): void {
    const host = this.host;
    if (peer.state === 'established') {
      // The client did not hear our WELCOME yet: answer the same.
      const w = this.welcomes.get(peer);
      if (w) peer.sendControl(w);
      return;
    }
    if (this.recording.has(peer)) return; // its record is being written; the answer follows
    if (c.resume) return this.onResume(peer, c, c.resume);
    const user = peer.link?.user;
    const answer = host.grant ? host.grant(c.capabilities, { name: c.name, ...(user === undefined ? {} : { user }) }) : c.capabilities;
    const decision: SessionGrant = typeof answer === 'bigint' ? { capabilities: answer } : answer;
    const granted = decision.capabilities & c.capabilities;
    if (decision.refused !== undefined) {
      peer.sendControl(refusal('CAPABILITY_DENIED', decision.refused));
      return host.dropPeer(peer, new BusError('forbidden', `${c.name}: ${decision.refused}`), 50);
    }
    if (c.capabilities !== 0n && granted === 0n) {
      peer.sendControl(refusal('CAPABILITY_DENIED'));
      return host.dropPeer(peer, new BusError('forbidden', `${c.name}: no capability granted`), 50);
    }
    const clock = c.clockSources.find((s) => OWN_CLOCK_NUMBERS.includes(s));
    if (clock === undefined) {
      peer.sendControl(refusal('UNSUPPORTED_CLOCK', `this node keeps ${OWN_CLOCKS.join(' or ')} time only`));
      return host.dropPeer(peer, new BusError('closed', `${c.name}: no common clock source`), 50);
    }
    peer.sessionId = this.newSessionId();
    peer.granted = granted;
    peer.allowedQos = decision.qos && new Set(decision.qos.map((q) => WIRE_QOS[q]));
    peer.grantedBy = decision.by;
    peer.peerName = c.name;
    peer.maxPayload = Math.min(
      host.maxPayload,
      linkPayloadLimit(peer.link),
      Math.max(MIN_MAX_PAYLOAD, c.maxPayload),
      Math.max(MIN_MAX_PAYLOAD, decision.maxPayload ?? Number.POSITIVE_INFINITY),
    );
    peer.heartbeatMs = c.heartbeatMs;
    peer.jitterBudgetUs = Math.max(host.jitterBudgetUs, c.jitterBudgetUs);
    peer.clockSource = clock;
    peer.resumeToken = randomToken(24);
    const id = peer.sessionId;
    const g: Granted = {
      tokenHash: hashResumeToken(peer.resumeToken),
      grantedAtMs: Date.now(),
      link: peer.link?.description ?? '',
      user,
      restoredSent: undefined,
      expiry: undefined,
    };
    this.sessions.set(id, peer);
    this.granted.set(id, g);
    const establish = () => {
      peer.state = 'established';
      host.setInterests(peer, c.interests);
      this.welcome(peer, clock, false, 0n);
    };
    const records = host.records;
    if (!records) return establish();
    this.recording.add(peer);
    this.write(id, () => records.save(this.recordOf(peer, g), 'grant')).then(
      () => {
        this.recording.delete(peer);
        // Dropped while the record was written (its link went down): `forget` removes the record.
        if (peer.state === 'handshake') establish();
      },
      (err: unknown) => {
        this.recording.delete(peer);
        // Dropping the peer forgets the session and removes whatever part of its record was written.
        this.refuseUnrecorded(peer, c.name, err);
      },
    );
  }

  /** REFUSE for a session whose record could not be written: granted, a restart would lose it. */
  private refuseUnrecorded(peer: BusSession, name: string, err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    peer.sendControl(refusal('SESSION_LIMIT', `the authority cannot record the session (${clip(why)}); try again later`));
    this.host.dropPeer(peer, new BusError('closed', `${name}: session not granted: its record could not be written: ${why}`, { cause: err }), 50);
  }

  /** Authority: writes for session `id`, one after the other. */
  private write(id: number, op: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(id) ?? Promise.resolve()).then(op);
    const tail = next.catch(() => undefined);
    this.writes.set(id, tail);
    void tail.then(() => {
      if (this.writes.get(id) === tail) this.writes.delete(id);
    });
    return next;
  }

  /** Resolves once every record write begun so far has ended. */
  settled(): Promise<void> {
    return Promise.all([...this.writes.values()]).then(() => undefined);
  }

  private recordOf(peer: BusSession, g: Granted, extra: { sentSeq?: bigint; detachedAtMs?: number; tokenHash?: string; link?: string } = {}): SessionRecord {
    return {
      format: 1,
      sessionId: peer.sessionId,
      peerName: peer.peerName,
      link: extra.link ?? g.link,
      ...(g.user === undefined ? {} : { user: g.user }),
      granted: peer.granted.toString(),
      ...(peer.allowedQos === undefined ? {} : { qos: QOS_LEVELS.filter((q) => peer.allowedQos!.has(WIRE_QOS[q])) }),
      ...(peer.grantedBy === undefined ? {} : { grantedBy: peer.grantedBy }),
      maxPayload: peer.maxPayload,
      jitterBudgetUs: peer.jitterBudgetUs,
      heartbeatMs: peer.heartbeatMs,
      clockSource: peer.clockSource,
      resumeTokenSha256: extra.tokenHash ?? g.tokenHash,
      receivedFloor: peer.inbox.answeredFloor.toString(),
      sentSeq: (extra.sentSeq ?? g.restoredSent ?? peer.outbox.lastSeq).toString(),
      grantedAtMs: g.grantedAtMs,
      savedAtMs: Date.now(),
      ...(extra.detachedAtMs === undefined ? {} : { detachedAtMs: extra.detachedAtMs }),
    };
  }

  /**
   * Authority: takes back a session an earlier process granted (its record), detached until its client
   * resumes it, for what is left of its resume window; false when the record's session expired, is
   * here already, keeps a clock this node does not, or today's policy grants it nothing.
   */
  restore(record: SessionRecord, newPeer: () => BusSession): boolean {
    const host = this.host;
    const now = Date.now();
    const id = record.sessionId;
    if (this.sessions.has(id)) return false;
    const waited = record.detachedAtMs === undefined ? 0 : Math.max(0, now - record.detachedAtMs);
    const asked = BigInt(record.granted);
    // Today's policy decides again, for the name and user the session was granted to: never more than before.
    const user = record.user;
    const answer = host.grant ? host.grant(asked, { name: record.peerName, ...(user === undefined ? {} : { user }) }) : asked;
    const decision: SessionGrant = typeof answer === 'bigint' ? { capabilities: answer } : answer;
    const granted = decision.capabilities & asked;
    const ended = waited >= host.resumeWindowMs || !OWN_CLOCK_NUMBERS.includes(record.clockSource);
    if (ended || decision.refused !== undefined || (asked !== 0n && granted === 0n)) {
      const records = host.records;
      if (records) this.write(id, () => records.remove(id)).catch((err: unknown) => host.report(err, `session ${id}`));
      return false;
    }
    const peer = newPeer();
    peer.sessionId = id;
    peer.peerName = record.peerName;
    peer.granted = granted;
    peer.allowedQos = qosWithin(record.qos, decision.qos);
    peer.grantedBy = decision.by ?? record.grantedBy;
    // Within what this process takes today, too (it may have been started with a smaller limit).
    peer.maxPayload = Math.min(record.maxPayload, host.maxPayload, Math.max(MIN_MAX_PAYLOAD, decision.maxPayload ?? Number.POSITIVE_INFINITY));
    peer.heartbeatMs = record.heartbeatMs;
    peer.jitterBudgetUs = record.jitterBudgetUs;
    peer.clockSource = record.clockSource;
    peer.state = 'detached';
    peer.inbox.restore(BigInt(record.receivedFloor));
    const g: Granted = {
      tokenHash: record.resumeTokenSha256,
      grantedAtMs: record.grantedAtMs,
      link: record.link,
      user,
      restoredSent: BigInt(record.sentSeq),
      expiry: undefined,
    };
    this.sessions.set(id, peer);
    this.granted.set(id, g);
    this.expireLater(peer, g, host.resumeWindowMs - waited);
    return true;
  }

  /** Authority: ends `peer`'s session unless it is resumed within `ms`. */
  private expireLater(peer: BusSession, g: Granted, ms: number): void {
    clearTimeout(g.expiry);
    g.expiry = setTimeout(() => {
      if (peer.state === 'detached')
        this.host.dropPeer(peer, new BusError('undelivered', `${peer.describe()}: not resumed within ${this.host.resumeWindowMs} ms`));
    }, ms);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- browsers' timers are numbers, without unref
    g.expiry.unref?.();
  }

  private welcome(peer: BusSession, clockSource: number, resumed: boolean, lastSeq: bigint): void {
    const { carried, rest } = handshakeShare(this.host.announced(peer));
    const w: Control = {
      kind: ControlKind.Welcome,
      sessionId: peer.sessionId,
      capabilities: peer.granted,
      maxPayload: peer.maxPayload,
      jitterBudgetUs: peer.jitterBudgetUs,
      clockSource,
      heartbeatMs: this.host.heartbeatMs,
      resumeToken: peer.resumeToken,
      resumed,
      lastSeq,
      name: this.host.name,
      interests: carried,
    };
    this.welcomes.set(peer, w);
    peer.sendControl(w);
    this.host.announceRest(peer, rest);
  }

  private onResume(fresh: BusSession, c: Hello, r: NonNullable<Hello['resume']>): void {
    const s = this.sessions.get(r.sessionId);
    const g = this.granted.get(r.sessionId);
    const link = fresh.link;
    if (!s || !g || !link || !resumeTokenMatches(r.token, g.tokenHash)) {
      if (s && link && s.link === link) {
        // A repeated HELLO for a resume that already succeeded on this link.
        const w = this.welcomes.get(s);
        if (w) s.sendControl(w);
        return;
      }
      fresh.sendControl(refusal('INVALID_RESUME_TOKEN'));
      this.host.quarantine();
      return this.host.dropPeer(fresh, new BusError('replay', `${c.name}: resume of session ${r.sessionId} refused`), 50);
    }
    // A session granted to a proven user is that user's: its token alone does not carry it to a link that
    // proves another user, or none (the grant, by a policy, may have been for that user only).
    if (g.user !== undefined && link.user !== g.user) {
      fresh.sendControl(refusal('CAPABILITY_DENIED', `session ${r.sessionId} was granted to another user than this link proves`));
      this.host.quarantine();
      return this.host.dropPeer(
        fresh,
        new BusError(
          'forbidden',
          `${c.name}: resume of session ${r.sessionId} refused: the link proves ${link.user === undefined ? 'no user' : `user ${JSON.stringify(link.user)}`}, not the session's`,
        ),
        50,
      );
    }
    // The token is spent once the WELCOME carrying its successor goes out; until then (the record being
    // written) it stays good, and a later resume with it (the client gave up on a slow link and came back
    // on another) takes over from this one.
    const token = randomToken(24);
    const tokenHash = hashResumeToken(token);
    const attempt = {};
    g.resuming = attempt;
    clearTimeout(g.expiry);
    // A restored session's seqs continue past whatever its earlier process may have sent: past what the
    // record says and what the client says it received (docs/wire.md, "Sessions kept in a store").
    const restoredBase = g.restoredSent === undefined ? undefined : max(g.restoredSent, r.lastSeq) + RESTORED_SEQ_JUMP;
    const complete = () => {
      g.resuming = undefined;
      g.tokenHash = tokenHash;
      g.link = link.description;
      this.host.retire(fresh);
      fresh.handOver();
      s.attach(link);
      // The new link may bound messages more than the old one did (a MIDI port after a UMP link).
      s.maxPayload = Math.min(s.maxPayload, linkPayloadLimit(link));
      s.peerName = c.name;
      s.resumeToken = token;
      s.state = 'established';
      if (restoredBase !== undefined) {
        s.outbox.continueAfter(restoredBase);
        g.restoredSent = undefined;
      }
      this.host.setInterests(s, c.interests);
      this.resumeCount++;
      this.welcome(s, s.clockSource, true, s.inbox.answeredFloor);
      s.outbox.backfill(r.lastSeq);
    };
    const records = this.host.records;
    if (!records) return complete();
    this.recording.add(fresh);
    const record = this.recordOf(s, g, { tokenHash, link: link.description, ...(restoredBase === undefined ? {} : { sentSeq: restoredBase }) });
    this.write(s.sessionId, () => records.save({ ...record, peerName: c.name }, 'resume')).then(
      () => {
        this.recording.delete(fresh);
        if (g.resuming !== attempt || s.state === 'closed') return; // a later resume took over, or the session ended
        g.resuming = undefined;
        if (fresh.state !== 'handshake' || fresh.link !== link || !link.isOpen) {
          // The new link went down while the record was written: no WELCOME went out, the client still
          // holds the token it came with, and the store gets that one back (for a resume after a restart).
          this.write(s.sessionId, () => records.save(this.recordOf(s, g, { detachedAtMs: Date.now() }), 'detach')).catch((err: unknown) =>
            this.host.report(err, s.describe()),
          );
          return this.expireLater(s, g, this.host.resumeWindowMs);
        }
        complete();
      },
      (err: unknown) => {
        this.recording.delete(fresh);
        this.refuseUnrecorded(fresh, c.name, err);
        if (g.resuming !== attempt) return;
        this.host.dropPeer(s, new BusError('closed', `${s.describe()}: its resume could not be recorded: ${err instanceof Error ? err.message : String(err)}`));
      },
    );
  }

  onWelcome(peer: BusSession, c: Welcome): void {
    const hs = this.handshakes.get(peer);
    if (!hs) return; // a repeated WELCOME
    peer.sessionId = c.sessionId;
    peer.granted = c.capabilities;
    peer.maxPayload = Math.min(c.maxPayload, linkPayloadLimit(peer.link));
    peer.jitterBudgetUs = c.jitterBudgetUs;
    peer.clockSource = c.clockSource;
    peer.heartbeatMs = c.heartbeatMs;
    peer.resumeToken = c.resumeToken;
    peer.peerName = c.name;
    peer.state = 'established';
    this.host.setInterests(peer, c.interests);
    const carried = this.helloCarried.get(peer);
    this.host.announceRest(
      peer,
      this.host.announced(peer).filter((i) => !carried?.has(i.subId)),
    );
    hs.resolve();
    if (c.resumed) {
      this.resumeCount++;
      peer.outbox.backfill(c.lastSeq);
    }
  }

  onLinkDown(peer: BusSession, down: LinkDown): void {
    const host = this.host;
    if (host.isClosed() || peer.state === 'closed') return;
    if (peer.state !== 'established') return host.dropPeer(peer, new BusError('closed', `${peer.describe()}: link down during handshake: ${down.message}`));
    peer.state = 'detached';
    if (peer.role === 'authority') {
      const g = this.granted.get(peer.sessionId);
      if (!g) return;
      this.expireLater(peer, g, host.resumeWindowMs);
      // Exact now (nothing arrives while detached): a restart before the resume loses no sequence state.
      const records = host.records;
      if (records)
        this.write(peer.sessionId, () => records.save(this.recordOf(peer, g, { detachedAtMs: Date.now() }), 'detach')).catch((err: unknown) =>
          host.report(err, peer.describe()),
        );
      return;
    }
    const how = this.resumable.get(peer);
    if (!how) return host.dropPeer(peer, new BusError('undelivered', `${peer.describe()}: link down: ${down.message}`));
    void this.resume(peer, how.reconnect, how.forMs);
  }

  /** Client: new links until one resumes the session, for at most `forMs`. */
  private async resume(peer: BusSession, reconnect: () => Promise<UmpLink>, forMs: number): Promise<void> {
    const host = this.host;
    const deadline = performance.now() + forMs;
    let wait = 50;
    while (!host.isClosed() && peer.state === 'detached' && performance.now() < deadline) {
      try {
        const link = await reconnect();
        if (host.isClosed()) {
          await link.close();
          return;
        }
        peer.attach(link);
        await this.handshake(peer, Math.min(2_000, Math.max(100, deadline - performance.now())), true);
        return;
      } catch (err) {
        if (err instanceof BusError && err.code !== 'timeout') return host.dropPeer(peer, err);
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 1_000);
      }
    }
    if (peer.state === 'detached') host.dropPeer(peer, new BusError('undelivered', `${peer.describe()}: could not resume within ${forMs} ms`));
  }

  /**
   * A dropped peer's session can no longer be resumed: its record goes too, unless `keepRecord` (a
   * detached session of a bus that is closing: a restarted authority may still resume it).
   */
  forget(peer: BusSession, keepRecord = false): void {
    const id = peer.sessionId;
    if (this.sessions.get(id) !== peer) return;
    this.sessions.delete(id);
    clearTimeout(this.granted.get(id)?.expiry);
    this.granted.delete(id);
    const records = this.host.records;
    if (records && !keepRecord) this.write(id, () => records.remove(id)).catch((err: unknown) => this.host.report(err, peer.describe()));
  }

  /** Authority: who holds session `id` (attached or detached): the name it gave and the user its link proved at the grant. */
  peerOf(id: number): SessionPeer | undefined {
    const peer = this.sessions.get(id);
    if (!peer) return undefined;
    const user = this.granted.get(id)?.user;
    return { name: peer.peerName, ...(user === undefined ? {} : { user }) };
  }

  private newSessionId(): number {
    for (;;) {
      const id = randomU32();
      if (id !== 0 && !this.sessions.has(id)) return id;
    }
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** A store's error message, clipped to what a REFUSE's message field carries with room to spare. */
function clip(message: string): string {
  return message.length > 512 ? `${message.slice(0, 511)}…` : message;
}

const QOS_LEVELS: readonly QosLevel[] = ['at_most_once', 'at_least_once', 'exactly_once'];

/** The QoS levels both a record and today's grant allow (undefined: every level, as neither bounds them). */
function qosWithin(recorded: readonly QosLevel[] | undefined, granted: readonly QosLevel[] | undefined): ReadonlySet<number> | undefined {
  if (recorded === undefined && granted === undefined) return undefined;
  return new Set(QOS_LEVELS.filter((q) => (recorded ?? QOS_LEVELS).includes(q) && (granted ?? QOS_LEVELS).includes(q)).map((q) => WIRE_QOS[q]));
}
