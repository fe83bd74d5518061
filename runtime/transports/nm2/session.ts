/**
 * One Network MIDI 2.0 session with one peer: the state machine (Idle, Pending Invitation,
 * Authentication Required, Established, Pending Session Reset, Pending Bye) with invitation, shared-secret
 * authentication, Session Reset and Bye, and liveness (ping, timeout). It is also the `Nm2Link` the
 * application holds; while Established its UMP Data stream (data-stream.ts) carries the packets. Sockets
 * are the host's job (endpoint.ts): a session gets the commands of each datagram from its peer and hands
 * back the commands to send.
 */
import { TransportError, type LinkDown, type UmpLink } from '../link.ts';
import { packetWordCount } from '../../ump/mt.ts';
import { authDigest, digestMatches, userAuthDigest, userDigestMatches } from './auth.ts';
import { NamedTimers, type Clock } from './clock.ts';
import { AMIDI2NET_NAK_CODE, ByeReason, Capability, CommandCode, NakReason, byeReasonText, type Nm2Command } from './commands.ts';
import { UmpDataStream, type DataStreamOwner } from './data-stream.ts';
import type { Nm2Stats } from './stats.ts';
import { BYE_ATTEMPTS, BYE_RETRY_MS, SESSION_RESET_ATTEMPTS, invitationResendMs, livenessCheckMs, sessionResetRetryMs, type Nm2Tuning } from './tuning.ts';
import type { DecodedDatagram, Nm2WireError } from './wire.ts';

export interface Nm2Link extends UmpLink {
  readonly remote: { readonly host: string; readonly port: number };
  readonly peerProductInstanceId: string;
}

export type Nm2SessionState = 'idle' | 'pending-invitation' | 'auth-required' | 'established' | 'pending-reset' | 'pending-bye' | 'closed';

/** A user name and password offered with Invitation with User Authentication. */
export interface Nm2User {
  readonly name: string;
  readonly password: string;
}

/**
 * Who this side is in its sessions: the UMP Endpoint Name and Product Instance Id it announces, and its
 * credentials: as initiator the shared secret and user it offers; as invitee the shared secret and the
 * users (name → password) it requires, checked against the nonce the endpoint challenged with.
 */
export interface LocalIdentity {
  readonly name: string;
  readonly productInstanceId: string;
  readonly secret?: string;
  readonly user?: Nm2User;
  readonly users?: ReadonlyMap<string, string>;
}

/** What a session needs from the endpoint that carries it. */
export interface Nm2SessionHost {
  readonly clock: Clock;
  readonly stats: Nm2Stats;
  /** Sends `commands`, in order, to this session's peer (split into datagrams as needed). */
  transmit(session: Nm2Session, commands: Nm2Command[]): void;
  /** An invitee session was established (announce it to `onSession`). */
  established(session: Nm2Session): void;
  /** The session is over; forget it. */
  ended(session: Nm2Session): void;
  /** A failure with nowhere to go up (the application's receiver threw); the endpoint's onError. */
  report(err: unknown): void;
}

/** At most this many NAKs answer one datagram, so garbage cannot be amplified. */
const MAX_NAKS_PER_DATAGRAM = 4;

/** NAKs for what the decoder could not read; never one for a NAK (no NAK storms between two peers). */
export function naksFor(errors: readonly Nm2WireError[]): Nm2Command[] {
  const naks: Nm2Command[] = [];
  for (const e of errors) {
    if (e.header === undefined || naks.length >= MAX_NAKS_PER_DATAGRAM) continue;
    const code = e.header >>> 24;
    if (code === CommandCode.Nak || code === AMIDI2NET_NAK_CODE) continue;
    const reason = e.kind === 'unknown-code' ? NakReason.CommandNotSupported : NakReason.CommandMalformed;
    naks.push({ type: 'nak', reason, header: e.header, text: '' });
  }
  return naks;
}

const AUTH_BYES: ReadonlySet<number> = new Set([
  ByeReason.AuthInvitationRejected,
  ByeReason.AuthFailed,
  ByeReason.UserNotFound,
  ByeReason.NoMatchingAuthMethod,
]);

export class Nm2Session implements Nm2Link {
  state: Nm2SessionState = 'idle';
  peerName = '';
  peerProductInstanceId = '';
  /** Invitee: the user whose password the inviter proved it knows (User Authentication). */
  user: string | undefined;
  readonly remote: { readonly host: string; readonly port: number };

  /** The UMP Data stream: there while Established or Pending Session Reset, and only then. */
  private stream: UmpDataStream | undefined;
  private readonly streamOwner: DataStreamOwner;
  private outbox: Nm2Command[] = [];
  private receiver: (words: Uint32Array) => void = () => {};
  private downHandler: ((down: LinkDown) => void) | undefined;
  private downInfo: LinkDown | undefined;
  private lastHeard: number;
  private lastPing = -Infinity;
  private pingId = 0;
  /** Header word of the command being handled (a NAK quotes it). */
  private header = 0;

  // Handshake (initiator: the invitation and its outcome; invitee: the nonce it was challenged with).
  private invite: { resolve: () => void; reject: (e: TransportError) => void; message: Nm2Command } | undefined;
  private nonce: Uint8Array | undefined;

  private closing: Promise<void> | undefined;
  private closed: () => void = () => {};
  private readonly timers: NamedTimers<'handshake' | 'invite-retry' | 'tick' | 'reset' | 'bye'>;

  constructor(
    private readonly host: Nm2SessionHost,
    readonly role: 'initiator' | 'invitee',
    remote: { host: string; port: number },
    private readonly me: LocalIdentity,
    private readonly tuning: Nm2Tuning,
  ) {
    this.remote = Object.freeze({ ...remote });
    this.lastHeard = host.clock.now();
    this.timers = new NamedTimers(host.clock);
    this.streamOwner = {
      clock: host.clock,
      stats: host.stats,
      transmit: (commands) => this.transmit(commands),
      reply: (commands) => this.outbox.push(...commands),
      // Delivery runs from datagrams and from timers (a skipped gap, FEC catching up): a receiver that
      // throws must not escape into either, so its failure is reported and the stream goes on.
      deliver: (words) => {
        try {
          this.receiver(words);
        } catch (err) {
          host.report(err);
        }
      },
    };
  }

  get description(): string {
    return `udp://${this.remote.host}:${this.remote.port} "${this.peerName}"`;
  }

  /** Closed for good (checked again after each command: handling one can end the session). */
  private get ended(): boolean {
    return this.state === 'closed';
  }

  get isOpen(): boolean {
    return this.downInfo === undefined && (this.state === 'established' || this.state === 'pending-reset');
  }

  // ——— UmpLink ———

  send(words: Uint32Array): void {
    const stream = this.stream;
    if (!stream || !this.isOpen) throw new TransportError('closed', `${this.description}: the link is closed`);
    for (let i = 0; i < words.length;) {
      i += packetWordCount(words[i]!);
      if (i > words.length) throw new RangeError(`${this.description}: send() got a partial UMP packet`);
    }
    stream.send(words);
  }

  onReceive(handler: (words: Uint32Array) => void): void {
    this.receiver = handler;
  }

  onDown(handler: (down: LinkDown) => void): void {
    this.downHandler = handler;
    const down = this.downInfo;
    if (down) queueMicrotask(() => handler(down));
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    // Already ended (Bye received, timed out): nothing is left to wait for.
    if (this.state === 'closed') return (this.closing = Promise.resolve());
    this.closing = new Promise<void>((resolve) => (this.closed = resolve));
    if (this.state === 'established' || this.state === 'pending-reset') {
      this.stream?.flush();
      this.dropStream();
      this.goDown({ reason: 'closed', message: 'closed by this side' });
      this.state = 'pending-bye';
      this.sendBye(ByeReason.UserTerminated, BYE_ATTEMPTS);
    } else {
      if (this.invite) this.fail(new TransportError('closed', `${this.description}: closed while inviting`), ByeReason.InvitationCancelled);
      this.end({ reason: 'closed', message: 'closed by this side' });
    }
    return this.closing;
  }

  // ——— driven by the endpoint ———

  /** Initiator: sends the Invitation; resolves once Accepted, rejects with a TransportError. */
  start(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const caps = (this.me.secret !== undefined ? Capability.Auth : 0) | (this.me.user !== undefined ? Capability.UserAuth : 0);
      this.invite = { resolve, reject, message: { type: 'invitation', capabilities: caps, name: this.me.name, productInstanceId: this.me.productInstanceId } };
      this.state = 'pending-invitation';
      this.transmit([this.invite.message]);
      this.timers.set('handshake', timeoutMs, () =>
        this.fail(new TransportError('timeout', `${this.description}: no answer to the invitation within ${timeoutMs} ms`), ByeReason.InvitationCancelled),
      );
      this.resendInvitation(invitationResendMs(timeoutMs));
    });
  }

  private resendInvitation(everyMs: number): void {
    this.timers.set('invite-retry', everyMs, () => {
      if (!this.invite || (this.state !== 'pending-invitation' && this.state !== 'auth-required')) return;
      this.transmit([this.invite.message]);
      this.resendInvitation(everyMs);
    });
  }

  /** One datagram from the peer, decoded. */
  receive(datagram: DecodedDatagram): void {
    if (this.state === 'closed') return;
    this.lastHeard = this.host.clock.now();
    // A command that ends the session (Bye, a refused invitation) ends it for the rest of the datagram too:
    // nothing after it may answer for, or re-establish, a session the endpoint has already forgotten.
    for (let i = 0; i < datagram.commands.length && !this.ended; i++) {
      this.header = datagram.headers[i] ?? 0;
      this.handle(datagram.commands[i]!);
    }
    const naks = naksFor(datagram.errors);
    this.host.stats.naksSent += naks.length;
    this.outbox.push(...naks);
    this.sendOutbox();
    this.stream?.handOver();
  }

  private handle(cmd: Nm2Command): void {
    const established = this.state === 'established' || this.state === 'pending-reset';
    switch (cmd.type) {
      case 'invitation':
        if (this.role !== 'invitee') return this.nak(NakReason.CommandNotExpected);
        if (established) return this.reply({ type: 'accepted', name: this.me.name, productInstanceId: this.me.productInstanceId }); // our Accepted was lost
        return this.answerInvitation(cmd.name, cmd.productInstanceId);
      case 'invitation-auth': {
        const { secret } = this.me;
        // Not offered (no secret) or not asked for (no challenge): the spec's answer is NAK "not expected".
        if (this.role !== 'invitee' || !this.nonce || secret === undefined) return this.nak(NakReason.CommandNotExpected);
        return this.answerChallenge(digestMatches(this.nonce, secret, cmd.digest), ByeReason.AuthFailed);
      }
      case 'invitation-user-auth': {
        const password = this.me.users?.get(cmd.username);
        if (this.role !== 'invitee' || !this.nonce || this.me.users === undefined) return this.nak(NakReason.CommandNotExpected);
        const proven = password !== undefined && userDigestMatches(this.nonce, cmd.username, password, cmd.digest);
        if (proven && this.state === 'auth-required') this.user = cmd.username;
        return this.answerChallenge(proven, password === undefined ? ByeReason.UserNotFound : ByeReason.AuthFailed);
      }
      case 'accepted':
        // An initiator's resent invitation can be answered twice: a second Accepted is a duplicate, not a surprise.
        if (!this.invite) return established && this.role === 'initiator' ? undefined : this.nak(NakReason.CommandNotExpected);
        this.peerName = cmd.name;
        this.peerProductInstanceId = cmd.productInstanceId;
        return this.establish();
      case 'pending':
        if (!this.invite) return this.nak(NakReason.CommandNotExpected);
        // The invitee waits for a user to accept: keep the invitation open until Accepted or the deadline.
        this.timers.cancel('invite-retry');
        return;
      case 'auth-required':
        if (!this.invite) return this.nak(NakReason.CommandNotExpected);
        if (this.me.secret === undefined)
          return this.fail(
            new TransportError('auth-failed', `${this.description}: the peer requires authentication and no secret is configured`),
            ByeReason.NoMatchingAuthMethod,
          );
        // Answer every challenge, retries included: the invitee counts the tries and ends with Bye 0x43.
        this.state = 'auth-required';
        this.invite.message = { type: 'invitation-auth', digest: authDigest(cmd.nonce, this.me.secret) };
        return this.reply(this.invite.message);
      case 'user-auth-required': {
        if (!this.invite) return this.nak(NakReason.CommandNotExpected);
        const { user } = this.me;
        if (user === undefined)
          return this.fail(
            new TransportError('auth-failed', `${this.description}: the peer requires user authentication and no user is configured`),
            ByeReason.NoMatchingAuthMethod,
          );
        // As with the secret: answer every challenge; the invitee counts the tries and ends with Bye 0x43 / 0x44.
        this.state = 'auth-required';
        this.invite.message = { type: 'invitation-user-auth', digest: userAuthDigest(cmd.nonce, user.name, user.password), username: user.name };
        return this.reply(this.invite.message);
      }
      case 'ping':
        return this.reply({ type: 'ping-reply', id: cmd.id });
      case 'ping-reply':
        return; // liveness is any datagram, counted above
      case 'retransmit-request':
        if (!this.stream) return this.nak(NakReason.CommandNotExpected);
        return this.stream.retransmitRequested(cmd.seq, cmd.count);
      case 'retransmit-error':
        if (!this.stream) return this.nak(NakReason.CommandNotExpected);
        return this.stream.cannotRetransmit(cmd.seq);
      case 'session-reset':
        if (!this.stream) return this.nak(NakReason.CommandNotExpected);
        this.stream.restartSending();
        this.stream.restartReceiving();
        this.state = 'established';
        return this.reply({ type: 'reset-reply' });
      case 'reset-reply':
        if (this.state === 'pending-reset') {
          this.stream?.restartReceiving();
          this.state = 'established';
          this.timers.cancel('reset');
          return;
        }
        if (!this.stream) return this.nak(NakReason.CommandNotExpected);
        // Unasked: a Session Reset came to the peer from our address, not from us (NM2 cannot tell), and its
        // data now starts at seq 0 again; without this, ours would drop that as late duplicates.
        return this.stream.peerRestartedUnasked();
      case 'nak':
        this.host.stats.naksReceived++;
        return this.stream?.nakReceived(cmd);
      case 'bye':
        // What the peer sent ahead of its Bye is the last of the stream: hand it over before the link goes down.
        this.stream?.handOver();
        this.reply({ type: 'bye-reply' });
        if (this.invite)
          return this.fail(
            new TransportError(AUTH_BYES.has(cmd.reason) ? 'auth-failed' : 'refused', `${this.description}: invitation refused: ${byeReasonText(cmd.reason)}`),
          );
        return this.end({ reason: 'bye', message: `the peer said Bye: ${byeReasonText(cmd.reason)}${cmd.text ? ` (${cmd.text})` : ''}` });
      case 'bye-reply':
        if (this.state === 'pending-bye') return this.end(this.downInfo ?? { reason: 'closed', message: 'closed by this side' });
        // The peer acknowledged a Bye we never sent: someone sent one from our address (NM2 cannot tell),
        // and the peer has forgotten us. Staying up would be a link that looks open and carries nothing (an
        // idle initiator's pings are answered as a stranger's), so go down and let the layer above reconnect.
        if (established)
          return this.end({ reason: 'bye', message: 'the peer answered a Bye this side never sent (forged from this address?): its session is over' });
        return this.nak(NakReason.CommandNotExpected);
      case 'ump-data':
        if (!this.stream) return this.nak(NakReason.CommandNotExpected);
        return this.stream.receive(cmd.seq, cmd.words);
    }
  }

  private answerInvitation(name: string, productInstanceId: string): void {
    // Challenged by the endpoint: the answer to that challenge, further on in this datagram, decides.
    if (this.state === 'auth-required') return;
    this.peerName = name;
    this.peerProductInstanceId = productInstanceId;
    // The endpoint challenges invitations itself (admission.ts) and opens a session that requires
    // authentication only through `challenged`: an unchallenged one must never establish.
    if (this.me.secret !== undefined || this.me.users !== undefined) return this.refuse(ByeReason.NoMatchingAuthMethod);
    this.establish();
  }

  /**
   * An Invitation with (User) Authentication answered the challenge (`proven`) or not. Established: a
   * resend because our Accepted was lost gets it again. Challenged: the endpoint already checked the
   * digest, so a wrong one here is a second, different answer in the same datagram: refused with `failure`.
   */
  private answerChallenge(proven: boolean, failure: number): void {
    const established = this.state === 'established' || this.state === 'pending-reset';
    if (established) return proven ? this.reply(this.acceptedMessage()) : this.nak(NakReason.CommandNotExpected);
    if (this.state !== 'auth-required') return this.nak(NakReason.CommandNotExpected);
    return proven ? this.establish() : this.refuse(failure);
  }

  /**
   * Invitee of an endpoint that requires authentication: the endpoint challenged the invitation itself
   * (admission.ts) and the datagram it hands over next answers `nonce` rightly; the session starts from there.
   */
  challenged(nonce: Uint8Array, name: string, productInstanceId: string): void {
    this.peerName = name;
    this.peerProductInstanceId = productInstanceId;
    this.state = 'auth-required';
    this.nonce = nonce;
    this.timers.set('handshake', this.tuning.timeoutMs, () => this.end({ reason: 'timeout', message: 'the invitation was not completed' }));
  }

  private acceptedMessage(): Nm2Command {
    return { type: 'accepted', name: this.me.name, productInstanceId: this.me.productInstanceId };
  }

  private establish(): void {
    this.state = 'established';
    this.stream = new UmpDataStream(this.streamOwner, this.tuning);
    this.timers.cancel('handshake');
    this.timers.cancel('invite-retry');
    this.host.stats.sessionsEstablished++;
    this.lastPing = this.host.clock.now();
    this.tick();
    if (this.role === 'invitee') {
      this.reply(this.acceptedMessage());
      this.host.established(this);
    } else {
      const invite = this.invite!;
      this.invite = undefined;
      invite.resolve();
    }
  }

  /** Invitee: Bye with `reason` and forget the peer. */
  private refuse(reason: number): void {
    this.reply({ type: 'bye', reason, text: '' });
    this.end({ reason: 'error', message: byeReasonText(reason) });
  }

  /** Initiator: the invitation failed (Bye `reason` to the peer when given). */
  private fail(error: TransportError, byeReason?: number): void {
    const invite = this.invite;
    this.invite = undefined;
    if (byeReason !== undefined) this.reply({ type: 'bye', reason: byeReason, text: '' });
    this.end({ reason: 'error', message: error.message });
    invite?.reject(error);
  }

  // ——— liveness ———

  private tick(): void {
    const { pingIntervalMs, timeoutMs } = this.tuning;
    this.timers.set('tick', livenessCheckMs(this.tuning), () => {
      if (this.state !== 'established' && this.state !== 'pending-reset') return;
      const now = this.host.clock.now();
      if (now - this.lastHeard >= timeoutMs) {
        this.sendBye(ByeReason.Timeout, 1);
        return this.end({ reason: 'timeout', message: `the peer was silent for ${timeoutMs} ms` });
      }
      // The initiator pings on its period; an invitee only when the initiator has gone quiet.
      const quiet = this.role === 'initiator' || now - this.lastHeard >= pingIntervalMs;
      if (quiet && now - this.lastPing >= pingIntervalMs) {
        this.lastPing = now;
        this.pingId = (this.pingId + 1) >>> 0;
        this.transmit([{ type: 'ping', id: this.pingId }]);
      }
      this.tick();
    });
  }

  /** Asks the peer to start both UMP Data streams over (Pending Session Reset until the Reset Reply). */
  requestReset(): void {
    if (this.state !== 'established') return;
    // Our numbering restarts now (the Session Reset goes out before any data numbered anew); the peer's
    // only at its Reset Reply: what it sent before that still carries the old numbers and is not dropped.
    this.stream?.restartSending();
    this.state = 'pending-reset';
    let attempts = 0;
    const send = (): void => {
      if (this.state !== 'pending-reset') return;
      if (attempts++ >= SESSION_RESET_ATTEMPTS) {
        // No reply: reset this side either way; the next UMP Data received sets the expectation.
        this.stream?.restartReceiving();
        this.state = 'established';
        return;
      }
      this.transmit([{ type: 'session-reset' }]);
      this.timers.set('reset', sessionResetRetryMs(this.tuning), send);
    };
    send();
  }

  // ——— plumbing ———

  private reply(cmd: Nm2Command): void {
    this.outbox.push(cmd);
  }

  private nak(reason: number): void {
    this.host.stats.naksSent++;
    this.outbox.push({ type: 'nak', reason, header: this.header, text: '' });
  }

  private sendOutbox(): void {
    if (this.outbox.length === 0) return;
    const out = this.outbox;
    this.outbox = [];
    this.host.transmit(this, out);
  }

  private transmit(commands: Nm2Command[]): void {
    this.outbox.push(...commands);
    this.sendOutbox();
  }

  private sendBye(reason: number, attempts: number): void {
    this.transmit([{ type: 'bye', reason, text: '' }]);
    this.timers.set('bye', BYE_RETRY_MS, () => {
      if (this.state !== 'pending-bye') return;
      if (attempts > 1) this.sendBye(reason, attempts - 1);
      else this.end(this.downInfo ?? { reason: 'closed', message: 'closed by this side' });
    });
  }

  private goDown(down: LinkDown): void {
    if (this.downInfo) return;
    this.downInfo = down;
    const handler = this.downHandler;
    if (handler) queueMicrotask(() => handler(down));
  }

  /** Final: timers off, the host forgets the session, `close()` resolves. */
  private end(down: LinkDown): void {
    if (this.state === 'closed') return;
    this.sendOutbox();
    const wasLink = this.state === 'established' || this.state === 'pending-reset' || this.state === 'pending-bye';
    this.state = 'closed';
    this.timers.cancelAll();
    this.dropStream();
    if (wasLink) this.goDown(down);
    else this.downInfo ??= down;
    this.host.ended(this);
    this.closed();
  }

  private dropStream(): void {
    this.stream?.stop();
    this.stream = undefined;
  }
}
