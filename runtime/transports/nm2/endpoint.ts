/**
 * A Network MIDI 2.0 host on one UDP socket (`node:dgram`): accepts invitations, invites peers, and
 * routes each datagram to the session of its source address. Whatever arrives, from anyone, is
 * decoded defensively and answered within bounds; it never throws out of the socket handler and
 * never touches a session other than the sender's.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { TransportError } from '../link.ts';
import { AuthGate } from './admission.ts';
import { digestMatches, userDigestMatches } from './auth.ts';
import { systemClock, type Clock } from './clock.ts';
import { AuthState, ByeReason, Capability, NakReason, type Nm2Command } from './commands.ts';
import { Nm2Session, naksFor, type LocalIdentity, type Nm2Link, type Nm2SessionHost, type Nm2User } from './session.ts';
import { newStats, type Nm2Stats } from './stats.ts';
import { resolveTuning, type Nm2Tuning } from './tuning.ts';
import { decodeDatagram, encodeDatagrams, type DecodedDatagram } from './wire.ts';

/** Requested socket buffer size in bytes. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface Nm2EndpointOptions {
  /** Address to bind; default '127.0.0.1'. */
  host?: string;
  /** Port to bind; default 0 (ephemeral). */
  port?: number;
  /** UMP Endpoint Name (at most 98 bytes of UTF-8). */
  name: string;
  /** Product Instance Id (at most 42 printable ASCII characters); default derived from the name, the process id and a random value of the process; read it back as `productInstanceId`. */
  productInstanceId?: string;
  /**
   * Shared secret: invitations to this endpoint must answer its challenge (0x12) with Invitation with
   * Authentication (0x02), and its own invitations offer it. With `users` too, see `users`.
   */
  secret?: string;
  /**
   * Users (name → password): invitations to this endpoint must answer its challenge (0x13) with
   * Invitation with User Authentication (0x03). With a `secret` too, an invitation that offers only
   * shared-secret authentication (capability bit 0 alone) is challenged for the secret, every other one
   * for a user. Passwords appear in no error or log.
   */
  users?: ReadonlyMap<string, string>;
  /** The user this endpoint's own invitations offer (capability bit 1) when the peer requires user authentication. */
  user?: Nm2User;
  /** FEC: each datagram repeats the previous one's new UMP Data commands, and at least the last `fec` (default 2; 0 = none). */
  fec?: number;
  /** UMP Data commands kept for Retransmit Requests (default 1024). */
  retransmitBuffer?: number;
  pingIntervalMs?: number;
  /** Silence after which a session is down `timeout` (default 5000). */
  timeoutMs?: number;
  /** Quiet after data before zero-length UMP Data flushes FEC (default 100). */
  idleFlushMs?: number;
  /** Sessions at most; further invitations get Bye 0x40 (default 16). */
  maxSessions?: number;
  /**
   * Without a secret or users: sessions one source address may hold at once (default 8), so one host
   * cannot take every slot; further invitations from it get Bye 0x40. With them only authenticated peers
   * hold sessions, and this does not apply.
   */
  maxSessionsPerSource?: number;
  /** With a secret or users: invitations whose name and wrong tries are remembered at once (default 64; the oldest are forgotten first). */
  maxPendingInvitations?: number;
  /** Wait before a gap is asked for (default 20 ms) and how long a gap may stay open before it is skipped (default 500 ms). */
  retransmitDelayMs?: number;
  gapDeadlineMs?: number;
  /** Protocol-level problems (malformed datagrams etc.); by default only counted in `stats()`. */
  onError?: (err: unknown) => void;
  /** Time source (tests); default real time. */
  clock?: Clock;
}

export type { Nm2Link, Nm2User } from './session.ts';

/** Longest UMP Endpoint Name and Product Instance Id (M2-104-UM). */
const NAME_MAX_BYTES = 98;
const PIID_MAX_BYTES = 42;

const addressKey = (host: string, port: number): string => `${host}|${port}`;

/**
 * Random per process: process ids repeat across machines (every container's first process is pid 1),
 * and two endpoints of one name must not announce the same id, or `mdns:NAME#PIID` can't tell them apart.
 */
const PROCESS_NONCE = randomBytes(8).toString('hex');

/** One id per name and process (every link of a client shows the same instance), distinct across processes and machines. */
function defaultProductInstanceId(name: string): string {
  return `midl-${process.pid}-${createHash('sha256').update(`${PROCESS_NONCE}\0${name}`).digest('hex').slice(0, 8)}`;
}

/** User names are sent as a NUL-padded string, so one with a NUL could never be matched; an empty one names nobody. */
function badUserName(name: string, what: string): RangeError | undefined {
  return name.length === 0 || name.includes('\0') ? new RangeError(`NM2 ${what}: a user name is non-empty and has no NUL character`) : undefined;
}

function checkUsers(users: ReadonlyMap<string, string> | undefined): void {
  for (const name of users?.keys() ?? []) {
    const bad = badUserName(name, 'users');
    if (bad) throw bad;
  }
}

function checkIdentity(name: string, piid: string): void {
  if (Buffer.byteLength(name, 'utf8') > NAME_MAX_BYTES) throw new RangeError(`NM2 endpoint name is longer than ${NAME_MAX_BYTES} bytes`);
  if (piid.length > PIID_MAX_BYTES || !/^[\x20-\x7e]*$/.test(piid))
    throw new RangeError(`NM2 product instance id must be at most ${PIID_MAX_BYTES} printable ASCII characters`);
}

export class Nm2Endpoint {
  readonly host: string;
  readonly port: number;
  /**
   * The Product Instance Id this endpoint sends in its invitations and invitation replies (the
   * `productInstanceId` option, or the default): what an mDNS advertisement of it must carry.
   */
  readonly productInstanceId: string;
  private readonly sessions = new Map<string, Nm2Session>();
  private readonly counters: Nm2Stats = newStats();
  private sessionHandler: (link: Nm2Link) => void = () => {};
  private closing: Promise<void> | undefined;
  /** The socket is closed: nothing more can be sent. */
  private closed = false;
  private readonly tuning: Nm2Tuning;
  private readonly sessionHost: Nm2SessionHost;
  /** With a secret or users: answers invitations without holding a slot until the peer proves it knows the secret or a password. */
  private readonly gate: AuthGate | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly options: Nm2EndpointOptions,
  ) {
    const address = socket.address();
    this.host = address.address;
    this.port = address.port;
    this.productInstanceId = options.productInstanceId ?? defaultProductInstanceId(options.name);
    this.tuning = resolveTuning(options);
    this.gate =
      options.secret === undefined && options.users === undefined
        ? undefined
        : new AuthGate({
            windowMs: this.tuning.timeoutMs,
            maxTries: this.tuning.maxAuthTries,
            maxPending: options.maxPendingInvitations ?? 64,
          });
    this.sessionHost = {
      clock: options.clock ?? systemClock,
      stats: this.counters,
      transmit: (session, commands) => this.sendTo(session.remote.host, session.remote.port, commands),
      established: (session) => {
        try {
          this.sessionHandler(session);
        } catch (err) {
          this.report(err);
        }
      },
      ended: (session) => {
        const key = addressKey(session.remote.host, session.remote.port);
        if (this.sessions.get(key) === session) this.sessions.delete(key);
        this.counters.sessions = this.sessions.size;
      },
      report: (err) => this.report(err),
    };
    socket.on('message', (msg, rinfo) => {
      try {
        this.onDatagram(msg, rinfo);
      } catch (err) {
        // A bug of ours must not take the socket down with it; say so and keep serving.
        this.report(err);
      }
    });
    socket.on('error', (err) => this.report(err));
  }

  /** Binds a UDP socket and starts answering invitations. */
  static listen(options: Nm2EndpointOptions): Promise<Nm2Endpoint> {
    checkIdentity(options.name, options.productInstanceId ?? '');
    checkUsers(options.users);
    const badUser = options.user && badUserName(options.user.name, 'user');
    if (badUser) throw badUser;
    const host = options.host ?? '127.0.0.1';
    // Large kernel buffers absorb bursts while the event loop is busy (the kernel caps them at rmem_max/wmem_max).
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(new TransportError('refused', `NM2: cannot bind udp://${host}:${options.port ?? 0}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.bind(options.port ?? 0, host, () => {
        socket.off('error', onError);
        resolve(new Nm2Endpoint(socket, options));
      });
    });
  }

  /** Sets the handler of each session this endpoint accepted, once established. */
  onSession(handler: (link: Nm2Link) => void): void {
    this.sessionHandler = handler;
  }

  /** Invites the endpoint at host:port; resolves with the established link. */
  connect(host: string, port: number, options: { secret?: string; user?: Nm2User; timeoutMs?: number } = {}): Promise<Nm2Link> {
    if (this.closing) return Promise.reject(new TransportError('closed', 'NM2: the endpoint is closed'));
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) return Promise.reject(new TransportError('bad-url', `NM2: bad port ${port}`));
    const key = addressKey(host, port);
    if (this.sessions.has(key)) return Promise.reject(new TransportError('refused', `NM2: a session with udp://${host}:${port} exists already`));
    const secret = options.secret ?? this.options.secret;
    const user = options.user ?? this.options.user;
    const badUser = user && badUserName(user.name, 'user');
    if (badUser) return Promise.reject(badUser);
    const session = new Nm2Session(
      this.sessionHost,
      'initiator',
      { host, port },
      {
        name: this.options.name,
        productInstanceId: this.productInstanceId,
        ...(secret !== undefined ? { secret } : {}),
        ...(user !== undefined ? { user } : {}),
      },
      this.tuning,
    );
    this.sessions.set(key, session);
    this.counters.sessions = this.sessions.size;
    return session.start(options.timeoutMs ?? this.tuning.timeoutMs).then(() => session);
  }

  /** A copy of the counters. */
  stats(): Nm2Stats {
    return { ...this.counters, sessions: this.sessions.size };
  }

  /** Says Bye to every session, waits for their replies (bounded), then unbinds. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.sessions.values()].map((s) => s.close()));
      this.closed = true;
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    })();
    return this.closing;
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.datagramsIn++;
    this.counters.bytesIn += msg.byteLength;
    const datagram = decodeDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    if (datagram.errors.length > 0) {
      this.counters.malformed += datagram.errors.length;
      if (this.options.onError)
        for (const e of datagram.errors)
          this.report(new TransportError('refused', `NM2 from ${rinfo.address}:${rinfo.port}: ${e.kind}: ${e.message}`, { cause: e }));
    }
    const session = this.sessions.get(addressKey(rinfo.address, rinfo.port));
    if (session) return session.receive(datagram);
    if (this.closing) return;
    this.fromStranger(datagram, rinfo);
  }

  /** A datagram from an address with no session: an invitation opens one; everything else gets a bounded answer. */
  private fromStranger(datagram: DecodedDatagram, rinfo: RemoteInfo): void {
    const { secret, users } = this.options;
    const invitation = datagram.commands.find(
      (c) => c.type === 'invitation' || (c.type === 'invitation-auth' && secret !== undefined) || (c.type === 'invitation-user-auth' && users !== undefined),
    );
    if (invitation) return this.admit(datagram, rinfo, invitation);
    const replies: Nm2Command[] = naksFor(datagram.errors);
    let bye: number | undefined;
    datagram.commands.forEach((cmd, i) => {
      switch (cmd.type) {
        case 'ping':
          replies.push({ type: 'ping-reply', id: cmd.id });
          break;
        case 'bye':
          replies.push({ type: 'bye-reply' });
          break;
        case 'ump-data':
        case 'retransmit-request':
        case 'retransmit-error':
        case 'session-reset':
        case 'reset-reply':
          bye ??= ByeReason.SessionNotEstablished;
          break;
        case 'invitation-auth': // an authentication this endpoint does not offer
        case 'invitation-user-auth':
        case 'accepted': // replies to an invitation this endpoint never sent
        case 'pending':
        case 'auth-required':
        case 'user-auth-required':
          replies.push({ type: 'nak', reason: NakReason.CommandNotExpected, header: datagram.headers[i] ?? 0, text: '' });
          break;
        default:
          break; // Bye Reply, Ping Reply, NAK: nothing to answer
      }
    });
    if (bye !== undefined) replies.push({ type: 'bye', reason: bye, text: '' });
    // One answer datagram per incoming one at most, so a stranger cannot make us send more than it does.
    const sent = replies.slice(0, 8);
    this.counters.naksSent += sent.filter((r) => r.type === 'nak').length;
    if (sent.length > 0) this.sendTo(rinfo.address, rinfo.port, sent);
  }

  /**
   * An invitation from an address with no session. Without a secret or users it opens a session while
   * there is a slot and its source holds fewer than `maxSessionsPerSource`; with them, the gate
   * challenges it and only a right digest opens a session, so nobody without the secret or a password
   * ever holds a slot.
   */
  private admit(datagram: DecodedDatagram, rinfo: RemoteInfo, invitation: Nm2Command): void {
    const answer = (cmd: Nm2Command) => this.sendTo(rinfo.address, rinfo.port, [cmd]);
    const bye = (reason: number) => answer({ type: 'bye', reason, text: '' });
    if (this.sessions.size >= (this.options.maxSessions ?? 16)) return bye(ByeReason.TooManySessions);
    const gate = this.gate;
    if (!gate) {
      let fromSource = 0;
      for (const s of this.sessions.values()) if (s.remote.host === rinfo.address) fromSource++;
      if (fromSource >= (this.options.maxSessionsPerSource ?? 8)) return bye(ByeReason.TooManySessions);
      return this.open(rinfo, {}).receive(datagram);
    }
    const from = addressKey(rinfo.address, rinfo.port);
    const now = this.sessionHost.clock.now();
    gate.expire(now);
    const me = { name: this.options.name, productInstanceId: this.productInstanceId };
    const { secret, users } = this.options;
    const opened = (nonce: Uint8Array, name: string, productInstanceId: string): void => {
      const session = this.open(rinfo, { ...(secret !== undefined ? { secret } : {}), ...(users !== undefined ? { users } : {}) });
      session.challenged(nonce, name, productInstanceId);
      session.receive(datagram);
    };
    switch (invitation.type) {
      case 'invitation': {
        // Whatever the capabilities offer, the challenge says which authentication is required: an
        // inviter that cannot answer it ends with Bye 0x45 (no matching authentication method).
        const type =
          users !== undefined && (secret === undefined || (invitation.capabilities & (Capability.Auth | Capability.UserAuth)) !== Capability.Auth)
            ? 'user-auth-required'
            : 'auth-required';
        const { nonce, retry } = gate.challenge(from, invitation.name, invitation.productInstanceId, now);
        return answer({ type, state: retry ? AuthState.Retry : AuthState.First, nonce, ...me });
      }
      case 'invitation-auth': {
        const { digest } = invitation;
        const verdict = gate.answer(from, (nonce) => digestMatches(nonce, secret!, digest), now);
        if (verdict.kind === 'failed') return bye(ByeReason.AuthFailed);
        if (verdict.kind === 'retry') return answer({ type: 'auth-required', state: AuthState.Retry, nonce: verdict.nonce, ...me });
        return opened(verdict.nonce, verdict.name, verdict.productInstanceId);
      }
      case 'invitation-user-auth': {
        const { digest, username } = invitation;
        const password = users!.get(username);
        const verdict = gate.answer(from, (nonce) => password !== undefined && userDigestMatches(nonce, username, password, digest), now);
        if (verdict.kind === 'failed') return bye(password === undefined ? ByeReason.UserNotFound : ByeReason.AuthFailed);
        if (verdict.kind === 'retry')
          return answer({ type: 'user-auth-required', state: password === undefined ? AuthState.UserNotFound : AuthState.Retry, nonce: verdict.nonce, ...me });
        return opened(verdict.nonce, verdict.name, verdict.productInstanceId);
      }
      default:
        throw new TypeError(`NM2: ${invitation.type} is not an invitation`); // fromStranger passes invitations only
    }
  }

  /** A new invitee session with the peer at `rinfo`, requiring what `credentials` hold (checked by the gate before). */
  private open(rinfo: RemoteInfo, credentials: Pick<LocalIdentity, 'secret' | 'users'>): Nm2Session {
    const session = new Nm2Session(
      this.sessionHost,
      'invitee',
      { host: rinfo.address, port: rinfo.port },
      { name: this.options.name, productInstanceId: this.productInstanceId, ...credentials },
      this.tuning,
    );
    this.sessions.set(addressKey(rinfo.address, rinfo.port), session);
    this.counters.sessions = this.sessions.size;
    return session;
  }

  private sendTo(host: string, port: number, commands: Nm2Command[]): void {
    if (this.closed) return;
    for (const bytes of encodeDatagrams(commands)) {
      this.counters.datagramsOut++;
      this.counters.bytesOut += bytes.byteLength;
      try {
        this.socket.send(bytes, port, host, (err) => {
          if (err) this.report(err);
        });
      } catch (err) {
        this.report(err); // e.g. an unroutable address: the session times out like any silent peer
      }
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // The error callback's own failure has nowhere better to go.
    }
  }
}
