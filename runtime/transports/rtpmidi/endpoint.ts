/**
 * An RTP-MIDI endpoint: the control socket (even port P) and the data socket (P + 1), the sessions on
 * them in both roles, and the dispatch of every datagram to the session it belongs to — after checking
 * that it comes from that session's peer. What cannot be read or does not belong is reported through
 * `onError` and changes no session.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { TransportError } from '../link.ts';
import { systemClock, type Clock } from '../nm2/clock.ts';
import { decodeControl, encodeControl, isControlPacket, type ControlPacket } from './control.ts';
import { RtpMidiError } from './errors.ts';
import { RTP_HEADER_BYTES, decodeRtpHeader } from './rtp-header.ts';
import { RtpMidiSession, type Greeting, type SessionHost } from './session.ts';
import { DEFAULT_RTPMIDI_MTU, DEFAULT_RTPMIDI_TUNING, type RtpMidiTuning } from './tuning.ts';
import { MIN_PAYLOAD_BYTES } from './packetizer.ts';

export interface RtpMidiEndpointOptions {
  /** Our session name, sent in IN and OK. */
  readonly name: string;
  /** Address to bind; default '127.0.0.1'. */
  readonly host?: string;
  /** Control port to bind (even; data on port + 1); 0, the default, picks a free even pair. */
  readonly port?: number;
  /** Largest datagram sent (RTP header included); default 1200. */
  readonly mtu?: number;
  readonly onError?: (err: unknown) => void;
  readonly tuning?: Partial<RtpMidiTuning>;
  readonly clock?: Clock;
}

/** How often a random even port pair is tried when port 0 asks for any. */
const PORT_PAIR_TRIES = 32;
const MAX_MTU = 65_507;

export class RtpMidiEndpoint {
  private readonly sessions = new Set<RtpMidiSession>();
  private sessionHandler: ((port: RtpMidiSession) => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly host: SessionHost;

  private constructor(
    private readonly control: Socket,
    private readonly dataSocket: Socket,
    readonly address: string,
    readonly port: number,
    private readonly options: RtpMidiEndpointOptions,
    readonly mtu: number,
  ) {
    const tuning = { ...DEFAULT_RTPMIDI_TUNING, ...options.tuning };
    this.host = {
      sendControl: (bytes, port, host) => this.sendOn(this.control, bytes, port, host),
      sendData: (bytes, port, host) => this.sendOn(this.dataSocket, bytes, port, host),
      clock: options.clock ?? systemClock,
      tuning,
      mtu,
      localName: options.name,
      report: (err) => this.report(err),
      release: (session) => this.sessions.delete(session),
    };
    control.on('message', (msg, rinfo) => this.receive(msg, rinfo, false));
    dataSocket.on('message', (msg, rinfo) => this.receive(msg, rinfo, true));
    control.on('error', (err) => this.report(err));
    dataSocket.on('error', (err) => this.report(err));
  }

  /** Binds the control and data sockets. TransportError('refused') when the ports can't be had. */
  static async open(options: RtpMidiEndpointOptions): Promise<RtpMidiEndpoint> {
    const host = options.host ?? '127.0.0.1';
    const mtu = options.mtu ?? DEFAULT_RTPMIDI_MTU;
    if (!Number.isInteger(mtu) || mtu < RTP_HEADER_BYTES + MIN_PAYLOAD_BYTES || mtu > MAX_MTU)
      throw new RangeError(`RTP-MIDI mtu must be an integer ${RTP_HEADER_BYTES + MIN_PAYLOAD_BYTES}..${MAX_MTU}, got ${mtu}`);
    const wanted = options.port ?? 0;
    const family = isIP(host) === 6 ? 'udp6' : 'udp4';
    let lastError: unknown;
    for (let attempt = 0; attempt < (wanted === 0 ? PORT_PAIR_TRIES : 1); attempt++) {
      // Even ports from the dynamic range (RFC 6335), since the system's own pick may be odd.
      const port = wanted !== 0 ? wanted : 49152 + 2 * Math.floor(Math.random() * 8190);
      const control = createSocket(family);
      const data = createSocket(family);
      try {
        await bind(control, host, port);
        await bind(data, host, port + 1);
        return new RtpMidiEndpoint(control, data, host, port, options, mtu);
      } catch (err) {
        lastError = err;
        control.close();
        data.close();
      }
    }
    const detail = lastError instanceof Error ? lastError.message : String(lastError);
    throw new TransportError(
      'refused',
      `RTP-MIDI: cannot bind control and data ports ${wanted === 0 ? '(any free even pair)' : `${wanted} and ${wanted + 1}`} on ${host}: ${detail}`,
      {
        cause: lastError,
      },
    );
  }

  /** Sets the receiver of sessions that peers open with us (each after its first clock sync). */
  onSession(handler: (session: RtpMidiSession) => void): void {
    this.sessionHandler = handler;
  }

  /**
   * Invites the peer whose control port is `host:port`; resolves with the session once it is up and its
   * first clock sync is done. TransportError 'refused' (NO, BY), 'timeout' (no answer in `timeoutMs`).
   */
  async connect(host: string, port: number, timeoutMs = 10_000): Promise<RtpMidiSession> {
    if (this.closing) throw new TransportError('closed', 'the RTP-MIDI endpoint is closed');
    const session = new RtpMidiSession(this.host, 'initiator', randomToken(), host, port);
    this.sessions.add(session);
    session.invite();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new TransportError('timeout', `RTP-MIDI: ${session.description} did not complete the invitation and first clock sync within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([session.whenSynced(), deadline]);
      return session;
    } catch (err) {
      session.down({ reason: 'error', message: err instanceof Error ? err.message : String(err) }, true);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Says BY in every session, then unbinds both sockets. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.sessions].map((s) => s.close()));
      this.closed = true;
      await Promise.all(this.inFlight);
      await Promise.all([closeSocket(this.control), closeSocket(this.dataSocket)]);
    })();
    return this.closing;
  }

  // ------------------------------------------------------------------------------------ dispatch

  private receive(datagram: Buffer, rinfo: RemoteInfo, onData: boolean): void {
    const bytes = new Uint8Array(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    try {
      if (isControlPacket(bytes)) this.receiveControl(decodeControl(bytes), rinfo, onData);
      else if (onData) this.receiveData(bytes, rinfo);
      else throw new RtpMidiError('unexpected', 'control port', 'an RTP packet on the control port');
    } catch (err) {
      this.report(err instanceof RtpMidiError ? err.at(`from ${rinfo.address}:${rinfo.port}`) : err);
    }
  }

  private receiveControl(packet: ControlPacket, rinfo: RemoteInfo, onData: boolean): void {
    switch (packet.command) {
      case 'IN':
        return onData ? this.dataInvitation(packet, rinfo) : this.controlInvitation(packet, rinfo);
      case 'OK':
      case 'NO': {
        const session = this.byToken(packet.token, rinfo);
        if (!session || session.role !== 'initiator')
          throw new RtpMidiError('unexpected', `AppleMIDI ${packet.command}`, `answers no invitation of ours (token ${packet.token})`);
        if (packet.command === 'NO') return session.ended(`${session.description} declined the invitation`);
        return session.accepted(packet, onData, rinfo.port);
      }
      case 'BY': {
        const session = this.byPeerSsrc(packet.ssrc, rinfo) ?? this.byToken(packet.token, rinfo);
        if (!session) throw new RtpMidiError('unexpected', 'AppleMIDI BY', `from SSRC ${packet.ssrc}, which has no session here`);
        return session.ended(`${session.description} said goodbye (BY)`);
      }
      case 'CK':
        return this.sessionOf(packet.ssrc, rinfo, 'AppleMIDI CK').clockSync(packet);
      case 'RS':
      case 'RL':
        return this.sessionOf(packet.ssrc, rinfo, `AppleMIDI ${packet.command}`).feedback();
    }
  }

  private controlInvitation(packet: Greeting, rinfo: RemoteInfo): void {
    const repeat = [...this.sessions].find(
      (s) =>
        s.role === 'listener' && s.token === packet.token && s.remoteSsrc === packet.ssrc && s.remoteHost === rinfo.address && s.controlPort === rinfo.port,
    );
    if (repeat) return this.sendOn(this.control, repeat.okPacket(), rinfo.port, rinfo.address);
    const no = (why: string): void => {
      this.sendOn(this.control, encodeControl({ command: 'NO', token: packet.token, ssrc: 0, name: this.options.name }), rinfo.port, rinfo.address);
      throw new RtpMidiError('unexpected', 'AppleMIDI IN', `invitation from "${packet.name}" declined: ${why}`);
    };
    if (this.closing) return no('the endpoint is closing');
    // The same peer inviting again with a new token restarted: its old session is over.
    const stale = [...this.sessions].find(
      (s) => s.role === 'listener' && s.remoteSsrc === packet.ssrc && s.remoteHost === rinfo.address && s.controlPort === rinfo.port,
    );
    stale?.down({ reason: 'reset', message: `${stale.description} invited again: it restarted` }, false);
    if (!this.sessionHandler) return no('this endpoint does not accept sessions');
    if ([...this.sessions].some((s) => s.remoteSsrc === packet.ssrc)) return no(`SSRC ${packet.ssrc} is already in a session here`);
    if (this.sessions.size >= this.host.tuning.maxSessions) return no(`${this.sessions.size} sessions are open, the most this endpoint holds`);
    const session = new RtpMidiSession(this.host, 'listener', packet.token, rinfo.address, rinfo.port);
    this.sessions.add(session);
    session.awaitData(packet);
    this.sendOn(this.control, session.okPacket(), rinfo.port, rinfo.address);
    const handler = this.sessionHandler;
    session.whenSynced().then(
      () => handler(session),
      // It went down before it was ever offered: nobody holds it, its reason was reported where it arose.
      () => {},
    );
  }

  private dataInvitation(packet: Greeting, rinfo: RemoteInfo): void {
    // The data port's IN may come from any port of the peer's address (a NAT maps ports its own way):
    // its SSRC and token, as the control port's IN gave them, are what tie it to the session.
    const session = [...this.sessions].find(
      (s) => s.role === 'listener' && s.remoteSsrc === packet.ssrc && s.token === packet.token && s.remoteHost === rinfo.address,
    );
    if (!session) {
      this.sendOn(this.dataSocket, encodeControl({ command: 'NO', token: packet.token, ssrc: 0, name: this.options.name }), rinfo.port, rinfo.address);
      throw new RtpMidiError('unexpected', 'AppleMIDI IN', `a data-port invitation from SSRC ${packet.ssrc} with no control-port invitation before it`);
    }
    session.dataInvited(rinfo.port);
    this.sendOn(this.dataSocket, session.okPacket(), rinfo.port, rinfo.address);
  }

  private receiveData(bytes: Uint8Array, rinfo: RemoteInfo): void {
    const header = decodeRtpHeader(bytes);
    this.sessionOf(header.ssrc, rinfo, 'RTP-MIDI data').data(header, bytes.subarray(header.payloadStart, header.payloadEnd));
  }

  /** The session of the peer with this SSRC; a packet naming it from elsewhere is forged. */
  private sessionOf(ssrc: number, rinfo: RemoteInfo, what: string): RtpMidiSession {
    const session = [...this.sessions].find((s) => s.remoteSsrc === ssrc);
    if (!session) throw new RtpMidiError('unexpected', what, `from SSRC ${ssrc}, which has no session here`);
    if (!fromPeer(session, rinfo))
      throw new RtpMidiError('forged', what, `names SSRC ${ssrc} of ${session.description} but comes from ${rinfo.address}:${rinfo.port}`);
    return session;
  }

  private byPeerSsrc(ssrc: number, rinfo: RemoteInfo): RtpMidiSession | undefined {
    const session = [...this.sessions].find((s) => s.remoteSsrc === ssrc);
    if (session && !fromPeer(session, rinfo))
      throw new RtpMidiError('forged', 'AppleMIDI packet', `names SSRC ${ssrc} of ${session.description} but comes from ${rinfo.address}:${rinfo.port}`);
    return session;
  }

  private byToken(token: number, rinfo: RemoteInfo): RtpMidiSession | undefined {
    const session = [...this.sessions].find((s) => s.token === token && s.role === 'initiator');
    // Answers to our invitations may come from any port of the peer's address (see dataInvitation).
    if (session && rinfo.address !== session.remoteHost)
      throw new RtpMidiError('forged', 'AppleMIDI packet', `names token ${token} of ${session.description} but comes from ${rinfo.address}:${rinfo.port}`);
    return session;
  }

  private sendOn(socket: Socket, bytes: Uint8Array, port: number, host: string): void {
    if (this.closed) return;
    const failed = (err: Error): void =>
      this.report(new TransportError('refused', `RTP-MIDI: sending to ${host}:${port} failed: ${err.message}`, { cause: err }));
    // Sends complete asynchronously: closing waits for them, so that a last BY leaves before the socket goes.
    const sent = new Promise<void>((resolve) => {
      try {
        socket.send(bytes, port, host, (err) => {
          if (err) failed(err);
          resolve();
        });
      } catch (err) {
        failed(err instanceof Error ? err : new Error(String(err)));
        resolve();
      }
    });
    this.inFlight.add(sent);
    void sent.then(() => this.inFlight.delete(sent));
  }

  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  private report(err: unknown): void {
    this.options.onError?.(err);
  }
}

/** Whether a datagram comes from the session's peer: its address, from its control or data port. */
function fromPeer(session: RtpMidiSession, rinfo: RemoteInfo): boolean {
  return rinfo.address === session.remoteHost && (rinfo.port === session.controlPort || rinfo.port === (session.dataPort ?? session.controlPort + 1));
}

function randomToken(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

function bind(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      // Already closed: nothing to wait for.
      resolve();
    }
  });
}
