/**
 * One Network MIDI 2.0 session with one peer: the state machine (Idle, Pending Invitation,
 * Authentication Required, Established, Pending Session Reset, Pending Bye), liveness (ping, timeout),
 * and the UMP Data stream (FEC, idle flush, retransmit requests and answers, gap skipping). It is also
 * the `Nm2Link` the application holds. Sockets are the host's job (endpoint.ts): a session gets the
 * commands of each datagram from its peer and hands back the commands to send.
 */
import { TransportError, type LinkDown, type UmpLink } from '../link.ts';
import { packetWordCount } from '../../ump/mt.ts';
import { authDigest, digestMatches, newNonce } from './auth.ts';
import type { Clock, Timer } from './clock.ts';
import { AMIDI2NET_NAK_CODE, ByeReason, Capability, CommandCode, NakReason, RetransmitErrorReason, byeReasonText, type Nm2Command } from './commands.ts';
import { ReceiveWindow } from './receive-window.ts';
import { SendWindow } from './send-window.ts';
import type { Nm2Stats } from './stats.ts';
import type { DecodedDatagram, Nm2WireError } from './wire.ts';

export interface Nm2Link extends UmpLink {
  readonly remote: { readonly host: string; readonly port: number };
  readonly peerProductInstanceId: string;
}

export type SessionState = 'idle' | 'pending-invitation' | 'auth-required' | 'established' | 'pending-reset' | 'pending-bye' | 'closed';

/** Tuning of a session; every field has a default in `DEFAULT_SESSION_TIMING`. */
export interface SessionTiming {
  /**
   * FEC: each datagram repeats in front the new commands of the previous one, and at least the last
   * `fec` UMP Data commands; 0 = no FEC copies.
   */
  readonly fec: number;
  /** UMP Data commands kept for Retransmit Requests. */
  readonly retransmitBuffer: number;
  /** Ping period of the initiator (and of an invitee that hears nothing). */
  readonly pingIntervalMs: number;
  /** Silence after which the peer is gone; also the handshake deadline. */
  readonly timeoutMs: number;
  /** Quiet time after data before a zero-length UMP Data lets FEC deliver the tail. */
  readonly idleFlushMs: number;
  /** How long an out-of-order command waits for the gap before it to fill by itself before a Retransmit Request. */
  readonly retransmitDelayMs: number;
  /** How long a gap may stay open before it is skipped. */
  readonly gapDeadlineMs: number;
  /** Retransmit Requests per gap at most. */
  readonly maxRetransmitRequests: number;
  /** Wrong digests an invitee accepts before Bye 0x43. */
  readonly maxAuthTries: number;
}

export const DEFAULT_SESSION_TIMING: SessionTiming = Object.freeze({
  fec: 2,
  retransmitBuffer: 1024,
  pingIntervalMs: 1000,
  timeoutMs: 5000,
  idleFlushMs: 100,
  retransmitDelayMs: 20,
  gapDeadlineMs: 500,
  maxRetransmitRequests: 5,
  maxAuthTries: 3,
});

export interface SessionIdentity {
  readonly name: string;
  readonly productInstanceId: string;
  readonly secret?: string;
}

/** What a session needs from the endpoint that carries it. */
export interface SessionHost {
  readonly clock: Clock;
  readonly stats: Nm2Stats;
  /** Sends `commands`, in order, to this session's peer (split into datagrams as needed). */
  transmit(session: Nm2Session, commands: Nm2Command[]): void;
  /** An invitee session was established (announce it to `onSession`). */
  established(session: Nm2Session): void;
  /** The session is over; forget it. */
  ended(session: Nm2Session): void;
}

/** At most this many NAKs answer one datagram, so garbage cannot be amplified. */
const MAX_NAKS_PER_DATAGRAM = 4;
/** Bye resends while closing, and their spacing, before giving up on a Bye Reply. */
const BYE_ATTEMPTS = 3;
const BYE_RETRY_MS = 100;

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
  state: SessionState = 'idle';
  peerName = '';
  peerProductInstanceId = '';
  readonly remote: { readonly host: string; readonly port: number };

  private readonly tx: SendWindow;
  private readonly rx: ReceiveWindow;
  private outbox: Nm2Command[] = [];
  private pendingWords: Uint32Array[] = [];
  private flushQueued = false;
  private receiver: (words: Uint32Array) => void = () => {};
  private downHandler: ((down: LinkDown) => void) | undefined;
  private downInfo: LinkDown | undefined;
  private lastHeard: number;
  private lastPing = -Infinity;
  private pingId = 0;
  private retransmitSupported = true;
  /** Header word of the command being handled (a NAK quotes it). */
  private header = 0;

  // Handshake (initiator: the invitation and its outcome; invitee: the nonce and tries).
  private invite: { resolve: () => void; reject: (e: TransportError) => void; message: Nm2Command } | undefined;
  private nonce: Uint8Array | undefined;
  private authTries = 0;

  // Gap being repaired.
  private gapSeq: number | undefined;
  private gapSince = 0;
  private gapRequests = 0;

  private idleFlushes = 0;
  private closing: Promise<void> | undefined;
  private closed: () => void = () => {};
  private readonly timers = new Map<string, Timer>();

  constructor(
    private readonly host: SessionHost,
    readonly role: 'initiator' | 'invitee',
    remote: { host: string; port: number },
    private readonly me: SessionIdentity,
    private readonly timing: SessionTiming,
  ) {
    this.remote = Object.freeze({ ...remote });
    this.tx = new SendWindow(timing.retransmitBuffer, timing.fec);
    this.rx = new ReceiveWindow(Math.max(16, timing.retransmitBuffer));
    this.lastHeard = host.clock.now();
  }

  get description(): string {
    return `udp://${this.remote.host}:${this.remote.port} "${this.peerName}"`;
  }

  get isOpen(): boolean {
    return this.downInfo === undefined && (this.state === 'established' || this.state === 'pending-reset');
  }

  // ——— UmpLink ———

  send(words: Uint32Array): void {
    if (!this.isOpen) throw new TransportError('closed', `${this.description}: the link is closed`);
    for (let i = 0; i < words.length;) {
      i += packetWordCount(words[i]!);
      if (i > words.length) throw new RangeError(`${this.description}: send() got a partial UMP packet`);
    }
    if (words.length === 0) return;
    this.pendingWords.push(words.slice());
    // Coalesce the packets of one synchronous burst into full UMP Data commands.
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flushData());
    }
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
      this.flushData();
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
      const caps = this.me.secret !== undefined ? Capability.Auth : 0;
      this.invite = { resolve, reject, message: { type: 'invitation', capabilities: caps, name: this.me.name, productInstanceId: this.me.productInstanceId } };
      this.state = 'pending-invitation';
      this.transmit([this.invite.message]);
      this.setTimer('handshake', timeoutMs, () =>
        this.fail(new TransportError('timeout', `${this.description}: no answer to the invitation within ${timeoutMs} ms`), ByeReason.InvitationCancelled),
      );
      this.resendInvitation(Math.max(50, Math.min(500, timeoutMs / 4)));
    });
  }

  private resendInvitation(everyMs: number): void {
    this.setTimer('invite-retry', everyMs, () => {
      if (!this.invite || (this.state !== 'pending-invitation' && this.state !== 'auth-required')) return;
      this.transmit([this.invite.message]);
      this.resendInvitation(everyMs);
    });
  }

  /** One datagram from the peer, decoded. */
  receive(datagram: DecodedDatagram): void {
    if (this.state === 'closed') return;
    this.lastHeard = this.host.clock.now();
    const delivered: Uint32Array[] = [];
    datagram.commands.forEach((cmd, i) => {
      this.header = datagram.headers[i] ?? 0;
      this.handle(cmd, delivered);
    });
    const naks = naksFor(datagram.errors);
    this.host.stats.naksSent += naks.length;
    this.outbox.push(...naks);
    this.sendOutbox();
    this.deliver(delivered);
    this.watchGap();
  }

  private handle(cmd: Nm2Command, delivered: Uint32Array[]): void {
    const established = this.state === 'established' || this.state === 'pending-reset';
    switch (cmd.type) {
      case 'invitation':
        if (this.role !== 'invitee') return this.nak(NakReason.CommandNotExpected);
        if (established) return this.reply({ type: 'accepted', name: this.me.name, productInstanceId: this.me.productInstanceId }); // our Accepted was lost
        return this.answerInvitation(cmd.name, cmd.productInstanceId, cmd.capabilities);
      case 'invitation-auth':
        if (this.role !== 'invitee') return this.nak(NakReason.CommandNotExpected);
        if (established && this.nonce && this.me.secret !== undefined && digestMatches(this.nonce, this.me.secret, cmd.digest))
          return this.reply(this.acceptedMessage());
        if (this.state !== 'auth-required' || !this.nonce || this.me.secret === undefined) return this.nak(NakReason.CommandNotExpected);
        if (digestMatches(this.nonce, this.me.secret, cmd.digest)) return this.establish();
        if (++this.authTries >= this.timing.maxAuthTries) return this.refuse(ByeReason.AuthFailed);
        this.nonce = newNonce();
        return this.reply({ type: 'auth-required', state: 1, nonce: this.nonce, name: this.me.name, productInstanceId: this.me.productInstanceId });
      case 'invitation-user-auth':
        if (this.role !== 'invitee' || established) return this.nak(NakReason.CommandNotExpected);
        return this.refuse(ByeReason.NoMatchingAuthMethod); // we configure shared secrets, not users
      case 'accepted':
        if (!this.invite) return established ? undefined : this.nak(NakReason.CommandNotExpected);
        this.peerName = cmd.name;
        this.peerProductInstanceId = cmd.productInstanceId;
        return this.establish();
      case 'pending':
        // The invitee waits for a user to accept: keep the invitation open until Accepted or the deadline.
        if (this.invite) this.cancelTimer('invite-retry');
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
      case 'user-auth-required':
        if (!this.invite) return this.nak(NakReason.CommandNotExpected);
        return this.fail(
          new TransportError('auth-failed', `${this.description}: the peer requires user authentication, which midl does not do`),
          ByeReason.NoMatchingAuthMethod,
        );
      case 'ping':
        return this.reply({ type: 'ping-reply', id: cmd.id });
      case 'ping-reply':
        return; // liveness is any datagram, counted above
      case 'retransmit-request':
        if (!established) return this.nak(NakReason.CommandNotExpected);
        return this.serveRetransmit(cmd.seq, cmd.count);
      case 'retransmit-error':
        if (established) this.skipGapAt(cmd.seq, delivered);
        return;
      case 'session-reset':
        if (!established) return this.nak(NakReason.CommandNotExpected);
        this.resetStreams();
        this.state = 'established';
        return this.reply({ type: 'reset-reply' });
      case 'reset-reply':
        if (this.state === 'pending-reset') {
          this.resetReceiving();
          this.state = 'established';
          this.cancelTimer('reset');
        }
        return;
      case 'nak':
        this.host.stats.naksReceived++;
        // Spec §7.2.3: a peer that NAKs a Retransmit Request as not supported is not asked again.
        if (cmd.header >>> 24 === CommandCode.RetransmitRequest && cmd.reason === NakReason.CommandNotSupported) this.retransmitSupported = false;
        return;
      case 'bye':
        // What the peer sent ahead of its Bye is the last of the stream: hand it over before the link goes down.
        this.deliver(delivered.splice(0));
        this.reply({ type: 'bye-reply' });
        if (this.invite)
          return this.fail(
            new TransportError(AUTH_BYES.has(cmd.reason) ? 'auth-failed' : 'refused', `${this.description}: invitation refused: ${byeReasonText(cmd.reason)}`),
          );
        return this.end({ reason: 'bye', message: `the peer said Bye: ${byeReasonText(cmd.reason)}${cmd.text ? ` (${cmd.text})` : ''}` });
      case 'bye-reply':
        if (this.state === 'pending-bye') this.end(this.downInfo ?? { reason: 'closed', message: 'closed by this side' });
        return;
      case 'ump-data': {
        if (!established) return this.nak(NakReason.CommandNotExpected);
        const outcome = this.rx.accept(cmd.seq, cmd.words, delivered, (n) => this.countSkipped(n));
        if (outcome === 'duplicate') this.host.stats.fecDuplicatesDropped++;
        return;
      }
    }
  }

  private answerInvitation(name: string, productInstanceId: string, capabilities: number): void {
    this.peerName = name;
    this.peerProductInstanceId = productInstanceId;
    if (this.me.secret === undefined) return this.establish();
    if ((capabilities & Capability.Auth) === 0) return this.refuse(ByeReason.NoMatchingAuthMethod);
    if (this.state !== 'auth-required') {
      this.state = 'auth-required';
      this.nonce = newNonce();
      // A half-open session holds a slot: it has until the timeout to authenticate.
      this.setTimer('handshake', this.timing.timeoutMs, () => this.end({ reason: 'timeout', message: 'the invitation was not completed' }));
    }
    this.reply({ type: 'auth-required', state: 0, nonce: this.nonce!, name: this.me.name, productInstanceId: this.me.productInstanceId });
  }

  private acceptedMessage(): Nm2Command {
    return { type: 'accepted', name: this.me.name, productInstanceId: this.me.productInstanceId };
  }

  private establish(): void {
    this.state = 'established';
    this.cancelTimer('handshake');
    this.cancelTimer('invite-retry');
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
    const { pingIntervalMs, timeoutMs } = this.timing;
    this.setTimer('tick', Math.max(1, Math.min(pingIntervalMs, timeoutMs / 4)), () => {
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

  // ——— UMP Data out ———

  private flushData(): void {
    this.flushQueued = false;
    if (this.pendingWords.length === 0 || !this.isOpen) {
      this.pendingWords = [];
      return;
    }
    const total = this.pendingWords.reduce((n, w) => n + w.length, 0);
    const words = new Uint32Array(total);
    let at = 0;
    for (const w of this.pendingWords) {
      words.set(w, at);
      at += w.length;
    }
    this.pendingWords = [];
    // One datagram per group: the groups already hold their FEC copies and fit in 1400 bytes.
    for (const datagram of this.tx.pack(this.tx.push(words))) this.transmit(datagram);
    this.idleFlushes = 0;
    this.armIdleFlush();
  }

  /**
   * After quiet, zero-length UMP Data (each with its own seq, as amidi2net) carries the last commands
   * again as FEC (the first one all new commands of the last data datagram) and lets the peer see a
   * lost tail as a gap; fec + 1 of them, then silence.
   */
  private armIdleFlush(): void {
    this.setTimer('idle', this.timing.idleFlushMs, () => {
      if (!this.isOpen) return;
      for (const datagram of this.tx.pack(this.tx.push(new Uint32Array(0)))) this.transmit(datagram);
      if (++this.idleFlushes < this.timing.fec + 1) this.armIdleFlush();
    });
  }

  /**
   * Resends what is still held of the requested range; when `seq` itself is gone (or was never sent),
   * Retransmit Error 0x01 for it follows the resent commands, so that a receiver which skips its gap on
   * the error has already got the later commands we could still give it.
   */
  private serveRetransmit(seq: number, count: number): void {
    const cmds = this.tx.range(seq, count);
    this.host.stats.retransmitsServed += cmds.length;
    this.outbox.push(...cmds);
    if (cmds[0]?.seq !== seq) {
      this.host.stats.retransmitErrorsSent++;
      this.reply({ type: 'retransmit-error', reason: RetransmitErrorReason.DataNotAvailable, seq });
    }
  }

  // ——— UMP Data in: gaps ———

  private watchGap(): void {
    if (this.timers.has('gap')) return;
    const gap = this.rx.gap();
    if (!gap) return;
    if (gap.seq !== this.gapSeq) {
      this.gapSeq = gap.seq;
      this.gapSince = this.host.clock.now();
      this.gapRequests = 0;
    }
    this.setTimer('gap', this.timing.retransmitDelayMs, () => this.repairGap());
  }

  private repairGap(): void {
    this.timers.delete('gap');
    if (!this.isOpen) return;
    const gap = this.rx.gap();
    if (!gap) return;
    if (gap.seq !== this.gapSeq) return this.watchGap(); // the old gap filled; a new one gets its own deadline
    const late = this.host.clock.now() - this.gapSince >= this.timing.gapDeadlineMs;
    if (!this.retransmitSupported || late || this.gapRequests >= this.timing.maxRetransmitRequests) {
      const delivered: Uint32Array[] = [];
      this.countSkipped(this.rx.skipGap(delivered));
      this.deliver(delivered);
      return this.watchGap();
    }
    this.gapRequests++;
    this.host.stats.retransmitsRequested++;
    this.transmit([{ type: 'retransmit-request', seq: gap.seq, count: Math.min(gap.count, 0xffff) }]);
    this.setTimer('gap', this.timing.retransmitDelayMs * 2, () => this.repairGap());
  }

  /** The peer cannot resend `seq`: give up on the gap now if `seq` is in it. */
  private skipGapAt(seq: number, delivered: Uint32Array[]): void {
    const gap = this.rx.gap();
    if (!gap) return;
    const into = (((seq - gap.seq) & 0xffff) << 16) >> 16;
    if (into < 0 || into >= gap.count) return;
    this.countSkipped(this.rx.skipGap(delivered));
    this.cancelTimer('gap');
  }

  private countSkipped(n: number): void {
    if (n <= 0) return;
    this.host.stats.gapsSkipped++;
    this.host.stats.commandsSkipped += n;
  }

  private deliver(list: Uint32Array[]): void {
    for (const words of list) {
      this.host.stats.commandsDelivered++;
      if (words.length > 0 && this.isOpen) this.receiver(words);
    }
  }

  /** Asks the peer to start both UMP Data streams over (Pending Session Reset until the Reset Reply). */
  requestReset(): void {
    if (this.state !== 'established') return;
    // Our numbering restarts now (the Session Reset goes out before any data numbered anew); the peer's
    // only at its Reset Reply: what it sent before that still carries the old numbers and is not dropped.
    this.resetSending();
    this.state = 'pending-reset';
    let attempts = 0;
    const send = (): void => {
      if (this.state !== 'pending-reset') return;
      if (attempts++ >= 3) {
        // No reply: reset this side either way; the next UMP Data received sets the expectation.
        this.resetReceiving();
        this.state = 'established';
        return;
      }
      this.transmit([{ type: 'session-reset' }]);
      this.setTimer('reset', Math.max(50, this.timing.retransmitDelayMs * 5), send);
    };
    send();
  }

  private resetStreams(): void {
    this.resetSending();
    this.resetReceiving();
  }

  private resetSending(): void {
    this.tx.reset();
    this.cancelTimer('idle');
  }

  private resetReceiving(): void {
    this.rx.reset();
    this.gapSeq = undefined;
    this.cancelTimer('gap');
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
    this.setTimer('bye', BYE_RETRY_MS, () => {
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
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    if (wasLink) this.goDown(down);
    else this.downInfo ??= down;
    this.host.ended(this);
    this.closed();
  }

  private setTimer(key: string, ms: number, fn: () => void): void {
    this.timers.get(key)?.cancel();
    this.timers.set(
      key,
      this.host.clock.setTimer(ms, () => {
        this.timers.delete(key);
        fn();
      }),
    );
  }

  private cancelTimer(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }
}
