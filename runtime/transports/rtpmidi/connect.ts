/**
 * The one-call forms of RTP-MIDI: `connectRtpMidi` invites a peer from a private endpoint that lives as
 * long as the session, `listenRtpMidi` serves sessions on a bound endpoint (and advertises it over mDNS
 * when asked).
 */
import { announcementFor, type MdnsOptions } from '../dns-sd.ts';
import { TransportError, type LinkDown } from '../link.ts';
import type { Midi1Port } from '../midi1-port.ts';
import { RtpMidiEndpoint } from './endpoint.ts';
import { advertiseRtpMidi } from './mdns.ts';
import type { RtpMidiSession } from './session.ts';
import type { RtpMidiTuning } from './tuning.ts';
import { formatRtpMidiUrl, parseRtpMidiUrl } from './url.ts';

export interface ConnectRtpMidiOptions {
  readonly name: string;
  /** Deadline of the invitation and first clock sync (default 10 s). */
  readonly timeoutMs?: number;
  readonly mtu?: number;
  readonly onError?: (err: unknown) => void;
  readonly tuning?: Partial<RtpMidiTuning>;
}

export interface ListenRtpMidiOptions {
  readonly name: string;
  readonly mtu?: number;
  readonly onError?: (err: unknown) => void;
  /** Publish `_apple-midi._udp` over mDNS while listening (default false). */
  readonly advertise?: boolean;
  /** Where mDNS goes when advertising; default every interface, or only loopback for a loopback listener. */
  readonly mdns?: MdnsOptions;
  readonly tuning?: Partial<RtpMidiTuning>;
}

export interface RtpMidiListener {
  /** `rtpmidi://HOST:PORT` as bound (the control port; a port 0 asked for is the one picked). */
  readonly url: string;
  /** Sets the receiver of sessions peers open, each once its first clock sync is done. */
  onSession(handler: (port: Midi1Port) => void): void;
  /** Says BY in every session, stops advertising and unbinds. */
  close(): Promise<void>;
}

/** Invites the RTP-MIDI peer at `url` (its control port); resolves once the session is up and its first clock sync done. */
export async function connectRtpMidi(url: string, options: ConnectRtpMidiOptions): Promise<Midi1Port> {
  const target = parseRtpMidiUrl(url);
  const host = target.host.includes(':') ? (target.host === '::1' ? '::1' : '::') : target.host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0';
  const endpoint = await RtpMidiEndpoint.open({
    name: options.name,
    host,
    port: 0,
    ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
  });
  try {
    return new OwningPort(await endpoint.connect(target.host, target.port, options.timeoutMs), endpoint);
  } catch (err) {
    await endpoint.close();
    throw err;
  }
}

/** Binds `rtpmidi://HOST:PORT` (PORT even, or 0 for any free even pair) and accepts the sessions peers open. */
export async function listenRtpMidi(url: string, options: ListenRtpMidiOptions): Promise<RtpMidiListener> {
  const { host, port } = parseRtpMidiUrl(url, { listen: true });
  const endpoint = await RtpMidiEndpoint.open({
    name: options.name,
    host,
    port,
    ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
  });
  let advertisement: { stop(): Promise<void> } | undefined;
  if (options.advertise === true) {
    try {
      const { mdns, host: announced } = announcementFor(host, options.mdns ?? {});
      advertisement = await advertiseRtpMidi({ name: options.name, port: endpoint.port, ...(announced === undefined ? {} : { host: announced }) }, mdns);
    } catch (err) {
      await endpoint.close();
      throw new TransportError(
        'refused',
        `RTP-MIDI: cannot advertise ${JSON.stringify(options.name)} over mDNS: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  let closing: Promise<void> | undefined;
  return {
    url: formatRtpMidiUrl(endpoint.address, endpoint.port),
    onSession: (handler) => endpoint.onSession(handler),
    close: () =>
      (closing ??= (async () => {
        await advertisement?.stop();
        await endpoint.close();
      })()),
  };
}

/** A session that closes its private endpoint when it goes down. */
class OwningPort implements Midi1Port {
  private downHandler: (down: LinkDown) => void = () => {};

  constructor(
    private readonly session: RtpMidiSession,
    private readonly endpoint: RtpMidiEndpoint,
  ) {
    session.onDown((down) => {
      void endpoint.close().finally(() => this.downHandler(down));
    });
  }

  get description(): string {
    return this.session.description;
  }
  get peerName(): string {
    return this.session.peerName;
  }
  get isOpen(): boolean {
    return this.session.isOpen;
  }
  get maxMessageBytes(): number {
    return this.session.maxMessageBytes;
  }
  send(message: Uint8Array): void {
    this.session.send(message);
  }
  onMessage(handler: (message: Uint8Array) => void): void {
    this.session.onMessage(handler);
  }
  onDown(handler: (down: LinkDown) => void): void {
    this.downHandler = handler;
  }
  async close(): Promise<void> {
    await this.session.close();
    await this.endpoint.close();
  }
}
