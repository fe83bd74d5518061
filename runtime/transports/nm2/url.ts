/**
 * `udp://HOST:PORT` addresses of Network MIDI 2.0 peers, and a one-call client that binds its own
 * ephemeral endpoint for a single link.
 */
import { TransportError } from '../link.ts';
import { Nm2Endpoint, type Nm2EndpointOptions, type Nm2Link } from './endpoint.ts';

export interface ParseUdpUrlOptions {
  /**
   * The address is one to bind, not one to send to: port 0 ("any free port", the system picks) is
   * accepted then. A peer can't be reached at port 0, so it is refused otherwise.
   */
  readonly listen?: boolean;
}

/** Parses `udp://HOST:PORT` (IPv6 hosts in brackets; the scheme in any case, RFC 3986 §3.1); TransportError('bad-url') otherwise. */
export function parseUdpUrl(url: string, options: ParseUdpUrlOptions = {}): { host: string; port: number } {
  const m = /^udp:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]@?#]+):(\d{1,5})\/?$/i.exec(url);
  if (!m) throw new TransportError('bad-url', `not a udp://HOST:PORT address: ${JSON.stringify(url)}`);
  const port = Number(m[2]);
  if (port > 0xffff) throw new TransportError('bad-url', `port ${port} is out of range (1..65535) in ${JSON.stringify(url)}`);
  if (port === 0 && options.listen !== true) {
    throw new TransportError('bad-url', `port 0 means "any free port", which only a listener can ask for; give the peer's port in ${JSON.stringify(url)}`);
  }
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

/** `udp://HOST:PORT` of a bound or found address, with IPv6 hosts in brackets. */
export function formatUdpUrl(host: string, port: number): string {
  return `udp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export type ConnectNm2Options = Omit<Nm2EndpointOptions, 'port' | 'onError'> & {
  /** Handshake deadline (default the endpoint's `timeoutMs`). */
  readonly timeoutMs?: number;
  readonly onError?: (err: unknown) => void;
};

/**
 * Invites the peer at `url` from a fresh ephemeral endpoint (bound on the wildcard address of the
 * peer's family unless `host` is given) and closes that endpoint when the link goes down.
 */
export async function connectNm2(url: string, options: ConnectNm2Options): Promise<Nm2Link> {
  const target = parseUdpUrl(url);
  const host = options.host ?? (target.host.includes(':') ? '::' : target.host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0');
  const endpoint = await Nm2Endpoint.listen({ ...options, host, port: 0 });
  let link: Nm2Link;
  try {
    link = await endpoint.connect(target.host, target.port, {
      ...(options.secret !== undefined ? { secret: options.secret } : {}),
      ...(options.user !== undefined ? { user: options.user } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  } catch (err) {
    await endpoint.close();
    throw err;
  }
  return new OwningLink(link, endpoint);
}

/** A link that closes its private endpoint when it goes down. */
class OwningLink implements Nm2Link {
  private downHandler: Parameters<Nm2Link['onDown']>[0] = () => {};

  constructor(
    private readonly link: Nm2Link,
    private readonly endpoint: Nm2Endpoint,
  ) {
    link.onDown((down) => {
      void endpoint.close().finally(() => this.downHandler(down));
    });
  }

  get description(): string {
    return this.link.description;
  }
  get peerName(): string {
    return this.link.peerName;
  }
  get isOpen(): boolean {
    return this.link.isOpen;
  }
  get remote(): { readonly host: string; readonly port: number } {
    return this.link.remote;
  }
  get peerProductInstanceId(): string {
    return this.link.peerProductInstanceId;
  }
  send(words: Uint32Array): void {
    this.link.send(words);
  }
  onReceive(handler: (words: Uint32Array) => void): void {
    this.link.onReceive(handler);
  }
  onDown(handler: (down: Parameters<Parameters<Nm2Link['onDown']>[0]>[0]) => void): void {
    this.downHandler = handler;
  }
  async close(): Promise<void> {
    await this.link.close();
    await this.endpoint.close();
  }
}
