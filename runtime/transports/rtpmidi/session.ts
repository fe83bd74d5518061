/**
 * One RTP-MIDI session, either role, as a `Midi1Port`: the handshake state, clock sync (CK0/CK1/CK2,
 * fast at first, then periodic), receiver feedback (RS), liveness, the data stream in (sequence
 * tracking, SysEx reassembly) and out (packetized within the MTU). The endpoint owns the sockets and
 * hands each session the packets that are its own.
 */
import type { LinkDown } from '../link.ts';
import { TransportError } from '../link.ts';
import type { Midi1Port } from '../midi1-port.ts';
import { NamedTimers, type Clock } from '../nm2/clock.ts';
import { decodeMidiPayload } from './command-section.ts';
import { encodeControl, type ControlPacket } from './control.ts';
import { RtpMidiError } from './errors.ts';
import { checkMidi1Message } from './midi1-message.ts';
import { packetize } from './packetizer.ts';
import { RTP_HEADER_BYTES, encodeRtpHeader, type RtpHeader } from './rtp-header.ts';
import { SysexAssembler } from './sysex-assembler.ts';
import type { RtpMidiTuning } from './tuning.ts';

/** IN, OK or NO: the packets that carry a name. */
export type Greeting = Extract<ControlPacket, { command: 'IN' | 'OK' | 'NO' }>;

export type RtpMidiSessionState = 'inviting-control' | 'inviting-data' | 'awaiting-data' | 'syncing' | 'open' | 'closed';

/** What a session needs from its endpoint: sending on either socket, its clock, and leaving. */
export interface SessionHost {
  sendControl(bytes: Uint8Array, port: number, host: string): void;
  sendData(bytes: Uint8Array, port: number, host: string): void;
  readonly clock: Clock;
  readonly tuning: RtpMidiTuning;
  readonly mtu: number;
  readonly localName: string;
  report(err: unknown): void;
  /** The session is down: forget it. */
  release(session: RtpMidiSession): void;
}

type Timer = 'invite' | 'sync' | 'silence' | 'feedback' | 'flush' | 'half-open';

/** How long after the last data datagram `close` sends BY, and how long it waits for that at most (see there). */
export const RTP_BYE_AFTER_DATA_MS = 20;
export const RTP_BYE_MAX_WAIT_MS = 100;

export class RtpMidiSession implements Midi1Port {
  state: RtpMidiSessionState;
  /** Our SSRC in this session; chosen again when the peer turns out to use the same one. */
  localSsrc: number;
  remoteSsrc: number | undefined;
  peerName = '';
  dataPort: number | undefined;
  /** `close` was called: BY follows once the data sent before it has had time to arrive. */
  private closing: Promise<void> | undefined;
  /** When the last data datagram went out (performance.now()), for `close`. */
  private lastDataSentAt = Number.NEGATIVE_INFINITY;
  private readonly timers: NamedTimers<Timer>;
  private readonly assembler: SysexAssembler;
  private messageHandler: (message: Uint8Array) => void = () => {};
  private downHandler: (down: LinkDown) => void = () => {};
  private readonly outbox: Uint8Array[] = [];
  private nextSequence = Math.floor(Math.random() * 0x10000);
  private expectedSequence: number | undefined;
  private lastReceivedSequence: number | undefined;
  /** ts1 of our CK0 awaiting its CK1. */
  private pendingSync: bigint | undefined;
  private syncsSent = 0;
  private lastHeard: number;
  private synced = false;
  private readonly syncWaiters: ((err?: Error) => void)[] = [];

  constructor(
    private readonly host: SessionHost,
    readonly role: 'initiator' | 'listener',
    readonly token: number,
    readonly remoteHost: string,
    readonly controlPort: number,
  ) {
    this.state = role === 'initiator' ? 'inviting-control' : 'awaiting-data';
    this.localSsrc = randomSsrc();
    this.timers = new NamedTimers(host.clock);
    this.assembler = new SysexAssembler(host.tuning.maxSysexBytes);
    this.lastHeard = host.clock.now();
  }

  get description(): string {
    return `rtpmidi://${this.remoteHost.includes(':') ? `[${this.remoteHost}]` : this.remoteHost}:${this.controlPort} ${JSON.stringify(this.peerName)}`;
  }
  get isOpen(): boolean {
    return this.state !== 'closed';
  }
  get maxMessageBytes(): number {
    return this.host.tuning.maxSysexBytes;
  }

  // ------------------------------------------------------------------------------------ handshake

  /** Initiator: sends IN on the control port, again every `inviteRetryMs` until answered. */
  invite(): void {
    const port = this.state === 'inviting-control' ? this.controlPort : this.controlPort + 1;
    const packet = { command: 'IN' as const, token: this.token, ssrc: this.localSsrc, name: this.host.localName };
    const send = (): void => {
      if (this.state === 'inviting-control') this.host.sendControl(encodeControl(packet), port, this.remoteHost);
      else if (this.state === 'inviting-data') this.host.sendData(encodeControl(packet), port, this.remoteHost);
      else return;
      this.timers.set('invite', this.host.tuning.inviteRetryMs, send);
    };
    send();
  }

  /** Initiator: the peer's OK on either port. */
  accepted(packet: Greeting, onData: boolean, fromPort: number): void {
    this.heard();
    if (this.state === 'inviting-control' && !onData) {
      this.remoteSsrc = packet.ssrc;
      this.peerName = packet.name;
      this.avoidCollision();
      this.state = 'inviting-data';
      this.timers.cancel('invite');
      this.invite();
    } else if (this.state === 'inviting-data' && onData) {
      if (packet.ssrc !== this.remoteSsrc) {
        this.host.report(
          new RtpMidiError('unexpected', 'AppleMIDI OK', `data-port OK from SSRC ${packet.ssrc}, the control port's came from ${this.remoteSsrc}`),
        );
        return;
      }
      this.timers.cancel('invite');
      this.dataPort = fromPort;
      this.startStreaming();
    }
    // A repeated OK (our repeated IN crossed its answer) changes nothing.
  }

  /** Listener: the control-port IN was answered; the data-port IN must follow. */
  awaitData(packet: Greeting): void {
    this.remoteSsrc = packet.ssrc;
    this.peerName = packet.name;
    this.avoidCollision();
    this.timers.set('half-open', this.host.tuning.halfOpenMs, () =>
      this.down({ reason: 'timeout', message: `${this.description} accepted on the control port but never invited on the data port` }, false),
    );
  }

  /** Listener: the data-port IN; the session streams from now on. */
  dataInvited(fromPort: number): void {
    this.heard();
    if (this.state !== 'awaiting-data') return;
    this.timers.cancel('half-open');
    this.dataPort = fromPort;
    this.startStreaming();
  }

  okPacket(): Uint8Array {
    return encodeControl({ command: 'OK', token: this.token, ssrc: this.localSsrc, name: this.host.localName });
  }

  /** RFC 3550 §8.2: a peer with our SSRC makes us pick another (before any data is sent). */
  private avoidCollision(): void {
    while (this.localSsrc === this.remoteSsrc) this.localSsrc = randomSsrc();
  }

  private startStreaming(): void {
    this.state = 'syncing';
    this.syncsSent = 0;
    this.scheduleSync(0);
    this.watchSilence();
  }

  /** Resolves once the first clock sync completed (npm rtpmidi drops what comes before its first). */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new TransportError('closed', `${this.description} went down before its first clock sync`));
    return new Promise((resolve, reject) => this.syncWaiters.push((err) => (err ? reject(err) : resolve())));
  }

  // ------------------------------------------------------------------------------------ clock sync

  private scheduleSync(ms: number): void {
    this.timers.set('sync', ms, () => {
      if (this.state !== 'syncing' && this.state !== 'open') return;
      this.pendingSync = this.now100us();
      this.sendCk(0, [this.pendingSync, 0n, 0n]);
      this.syncsSent++;
      this.scheduleSync(this.syncsSent < this.host.tuning.syncFastCount ? this.host.tuning.syncFastMs : this.host.tuning.syncMs);
    });
  }

  private sendCk(count: 0 | 1 | 2, timestamps: readonly [bigint, bigint, bigint]): void {
    if (this.dataPort === undefined) return;
    this.host.sendData(encodeControl({ command: 'CK', ssrc: this.localSsrc, count, timestamps }), this.dataPort, this.remoteHost);
  }

  clockSync(packet: Extract<ControlPacket, { command: 'CK' }>): void {
    this.heard();
    if (this.state !== 'syncing' && this.state !== 'open') {
      this.host.report(new RtpMidiError('unexpected', 'AppleMIDI CK', `clock sync in state ${this.state}`));
      return;
    }
    const [ts1, ts2] = packet.timestamps;
    switch (packet.count) {
      case 0:
        this.sendCk(1, [ts1, this.now100us(), 0n]);
        return;
      case 1:
        if (this.pendingSync === undefined || ts1 !== this.pendingSync) {
          this.host.report(new RtpMidiError('unexpected', 'AppleMIDI CK', 'CK1 answering no CK0 of ours'));
          return;
        }
        this.pendingSync = undefined;
        this.sendCk(2, [ts1, ts2, this.now100us()]);
        this.syncDone();
        return;
      case 2:
        // Ends the peer's exchange; answering it would start the CK storm two npm rtpmidi peers have.
        this.syncDone();
        return;
    }
  }

  private syncDone(): void {
    if (this.synced) return;
    this.synced = true;
    this.state = 'open';
    for (const w of this.syncWaiters.splice(0)) w();
  }

  // ------------------------------------------------------------------------------------ liveness

  private heard(): void {
    this.lastHeard = this.host.clock.now();
  }

  private watchSilence(): void {
    const check = (): void => {
      const quiet = this.host.clock.now() - this.lastHeard;
      if (quiet >= this.host.tuning.silenceMs) {
        this.down({ reason: 'timeout', message: `${this.description} was silent for ${Math.round(quiet)} ms` }, true);
        return;
      }
      this.timers.set('silence', this.host.tuning.silenceMs - quiet, check);
    };
    this.timers.set('silence', this.host.tuning.silenceMs, check);
  }

  /** The peer's RS or RL: proof of life; with no journal sent there is nothing to trim. */
  feedback(): void {
    this.heard();
  }

  // ------------------------------------------------------------------------------------ data in

  /** One RTP-MIDI data packet of this session's peer. */
  data(header: RtpHeader, payload: Uint8Array): void {
    this.heard();
    if (this.state !== 'syncing' && this.state !== 'open') {
      this.host.report(new RtpMidiError('unexpected', 'RTP-MIDI data', `data in state ${this.state}`));
      return;
    }
    if (this.expectedSequence !== undefined) {
      const ahead = (header.sequence - this.expectedSequence) & 0xffff;
      if (ahead >= 0x8000) {
        this.host.report(
          new RtpMidiError('unexpected', 'RTP header byte 2', `sequence ${header.sequence} is behind ${this.expectedSequence} (late or repeated); dropped`),
        );
        return;
      }
      if (ahead > 0) this.reportIf(this.assembler.lost());
    }
    this.expectedSequence = (header.sequence + 1) & 0xffff;
    this.lastReceivedSequence = header.sequence;
    if (!this.timers.has('feedback')) this.timers.set('feedback', this.host.tuning.feedbackMs, () => this.sendFeedback());
    let items;
    try {
      items = decodeMidiPayload(payload);
    } catch (err) {
      // What this datagram carried is gone, as if it were lost.
      this.assembler.lost();
      this.host.report(err);
      return;
    }
    for (const item of items) {
      // A handler may have closed the session.
      if (!this.isOpen) return;
      if (item.kind === 'message') {
        this.deliver(item.bytes);
        continue;
      }
      const { message, error } = this.assembler.push(item);
      this.reportIf(error);
      if (message) this.deliver(message);
    }
    this.assembler.settle();
  }

  private deliver(message: Uint8Array): void {
    try {
      this.messageHandler(message);
    } catch (err) {
      this.host.report(err);
    }
  }

  private reportIf(err: RtpMidiError | undefined): void {
    if (err) this.host.report(err);
  }

  private sendFeedback(): void {
    if (this.lastReceivedSequence === undefined || this.state === 'closed') return;
    this.host.sendControl(encodeControl({ command: 'RS', ssrc: this.localSsrc, sequence: this.lastReceivedSequence }), this.controlPort, this.remoteHost);
  }

  // ------------------------------------------------------------------------------------ data out

  send(message: Uint8Array): void {
    if (this.state === 'closed') throw new TransportError('closed', `${this.description} is closed`);
    if (message.length > this.maxMessageBytes)
      throw new TransportError('too-large', `a ${message.length}-byte message; ${this.description} takes at most ${this.maxMessageBytes}`);
    checkMidi1Message(message);
    this.outbox.push(message.slice());
    if (!this.timers.has('flush')) this.timers.set('flush', 0, () => this.flush());
  }

  private flush(): void {
    if (this.dataPort === undefined || this.state === 'closed') return;
    const payloads = packetize(this.outbox.splice(0), this.host.mtu - RTP_HEADER_BYTES);
    for (const payload of payloads) {
      const datagram = new Uint8Array(RTP_HEADER_BYTES + payload.length);
      encodeRtpHeader({ sequence: this.nextSequence, timestamp: Number(this.now100us() & 0xffffffffn), ssrc: this.localSsrc }, datagram);
      this.nextSequence = (this.nextSequence + 1) & 0xffff;
      datagram.set(payload, RTP_HEADER_BYTES);
      this.host.sendData(datagram, this.dataPort, this.remoteHost);
      this.lastDataSentAt = performance.now();
    }
  }

  onMessage(handler: (message: Uint8Array) => void): void {
    this.messageHandler = handler;
  }
  onDown(handler: (down: LinkDown) => void): void {
    this.downHandler = handler;
  }

  // ------------------------------------------------------------------------------------ ending

  /** The peer said BY (or NO while we were inviting). */
  ended(message: string): void {
    this.down({ reason: 'bye', message }, false);
  }

  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.closing ??= this.closeAfterData();
    return this.closing;
  }

  /**
   * BY travels on the control port and the data on the data port: the peer may read its two sockets in
   * either order, and a BY read first would end its session before the last data (a bus client's final
   * acks and Close) was read. So BY waits until RTP_BYE_AFTER_DATA_MS after the last data sent — what is
   * sent meanwhile still goes out first — and at most RTP_BYE_MAX_WAIT_MS in all.
   */
  private async closeAfterData(): Promise<void> {
    const deadline = performance.now() + RTP_BYE_MAX_WAIT_MS;
    for (;;) {
      this.flush();
      const wait = Math.min(this.lastDataSentAt + RTP_BYE_AFTER_DATA_MS, deadline) - performance.now();
      if (wait <= 0 || this.state === 'closed') break;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.down({ reason: 'closed', message: `closed ${this.description}` }, true);
  }

  /** Goes down once: stops timers, says BY when asked (and the peer knows us), tells the handler and the endpoint. */
  down(why: LinkDown, sayBye: boolean): void {
    if (this.state === 'closed') return;
    const knownToPeer = this.state !== 'inviting-control';
    this.state = 'closed';
    this.timers.cancelAll();
    if (sayBye && knownToPeer)
      this.host.sendControl(encodeControl({ command: 'BY', token: this.token, ssrc: this.localSsrc }), this.controlPort, this.remoteHost);
    const err = new TransportError(why.reason === 'timeout' ? 'timeout' : why.reason === 'bye' ? 'refused' : 'closed', why.message);
    for (const w of this.syncWaiters.splice(0)) w(err);
    this.host.release(this);
    try {
      this.downHandler(why);
    } catch (e) {
      this.host.report(e);
    }
  }

  private now100us(): bigint {
    return BigInt(Math.round(this.host.clock.now() * 10));
  }
}

function randomSsrc(): number {
  return (Math.floor(Math.random() * 0xfffffffe) + 1) >>> 0;
}
