/**
 * The transport registry: URL scheme → the transport that checks, connects to and listens on URLs of
 * that scheme. Whoever takes a URL from a user (the CLI's `--listen`, `--to`, `--from`) goes through a
 * registry, so a new transport is one `register` call and no edit of the code that takes URLs.
 */
import { TransportError, type UmpLink } from './link.ts';

/** What a URL is for: a peer to connect to, or an address to listen on (which may ask for any free port). */
export type UrlRole = 'connect' | 'listen';

/** How a scheme that names endpoints (`mdns:NAME`) looks them up. Multicast discovery for now. */
export interface DiscoveryOptions {
  /** How long to look, in ms (the transport's default when absent). */
  readonly timeoutMs?: number;
  /** IPv4 address of the one interface to look on, e.g. '127.0.0.1' (default: every interface). */
  readonly interface?: string;
  /** UDP port of the discovery group (mDNS: default 5353; another port is a private discovery domain). */
  readonly port?: number;
}

/** The address a resolving scheme turned a URL into, reported before it connects there. */
export interface Resolution {
  /** The URL that is connected to, e.g. `udp://127.0.0.1:5673`. */
  readonly url: string;
  /** Why this one, for the operator, e.g. `ProductInstanceId "SN-0042"` ('' when there is nothing to add). */
  readonly note: string;
}

/**
 * What every transport receives when connecting. One shape for all schemes, so that a caller passes
 * everything it was given and never switches on the scheme; each transport reads what applies to it.
 */
export interface ConnectOptions {
  /** The endpoint name this side announces (a UMP Endpoint Name: at most 98 bytes of UTF-8). */
  readonly name: string;
  /** Shared secret, offered when the peer requires authentication. */
  readonly secret?: string;
  /** User name and password, offered when the peer requires user authentication (the password is never shown in errors). */
  readonly user?: { readonly name: string; readonly password: string };
  /** How long the peer may take to accept, in ms (the transport's default when absent). */
  readonly timeoutMs?: number;
  /** Used by schemes that look endpoints up by name; ignored by the others. */
  readonly discovery?: DiscoveryOptions;
  /** Called by a scheme that resolves to another URL, once resolved and before connecting there. */
  readonly onResolved?: (resolution: Resolution) => void;
  /** Protocol-level problems the transport survives (malformed datagrams, …); by default only counted. */
  readonly onError?: (err: unknown) => void;
}

/** What every transport receives when listening (see `ConnectOptions` for why one shape). */
export interface ListenOptions {
  /** The endpoint name announced to peers that connect. */
  readonly name: string;
  /** When set, only peers that authenticate with this shared secret get a session. */
  readonly secret?: string;
  /**
   * When set, only peers that authenticate as one of these users (name → password) get a session; with
   * `secret` too, a peer may use either (the transport documents which it asks for).
   */
  readonly users?: ReadonlyMap<string, string>;
  /** Create the endpoint the URL names instead of opening an existing one, where a scheme can (`midi:` virtual ports). */
  readonly virtual?: boolean;
  readonly onError?: (err: unknown) => void;
}

/** A listener's announcement on mDNS / DNS-SD, until stopped. */
export interface Advertisement {
  /** The DNS-SD service type, e.g. `_midi2._udp`. */
  readonly serviceType: string;
  /** What identifies it beyond its name, for the operator, e.g. `ProductInstanceId midl-1-0a1b2c3d` ('' when nothing). */
  readonly note: string;
  /** The interface it is announced on (undefined: every one) and the mDNS port. */
  readonly interface: string | undefined;
  readonly mdnsPort: number;
  /** Says goodbye on mDNS; resolves once sent. */
  stop(): Promise<void>;
}

/** A bound listener: one `UmpLink` per peer session, until closed. */
export interface TransportListener {
  /** Where it listens, as a URL of its scheme with what was really bound (a port 0 asked for is the port the system chose). */
  readonly url: string;
  /**
   * The Network MIDI 2.0 endpoint behind the listener: the UDP address it is bound to and the Product
   * Instance Id its sessions announce, which is what a `_midi2._udp` mDNS advertisement of it says.
   * Absent for listeners of other protocols, which can't be announced as `_midi2._udp`.
   */
  readonly nm2Endpoint?: { readonly host: string; readonly port: number; readonly productInstanceId: string };
  /** Sets the handler of each peer session, once established (one handler, replaced by a later call). */
  onSession(handler: (link: UmpLink) => void): void;
  /**
   * Announces the listener on mDNS / DNS-SD as `name`, under its protocol's service type, until the
   * announcement is stopped; absent where the protocol has none (a MIDI port). An mDNS socket that
   * cannot be opened rejects with `MdnsError`.
   */
  advertise?(name: string, mdns: { readonly interface?: string; readonly port?: number }): Promise<Advertisement>;
  /** Ends every session and unbinds; resolves once done. Idempotent. */
  close(): Promise<void>;
}

/** One transport, as it registers itself. */
export interface Transport {
  /** The URL scheme, without its colon, in lower case (RFC 3986 §3.1): 'udp'. */
  readonly scheme: string;
  /** The shape of its URLs, for help and errors: 'udp://HOST:PORT'. */
  readonly syntax: string;
  /** One line for help: what the transport is and what its URLs mean. */
  readonly description: string;
  /** A URL its own `check` accepts for connecting, for help: 'udp://127.0.0.1:5673'. */
  readonly example: string;
  /** Checks `url` for `role` without any network activity; TransportError('bad-url') naming what is wrong. */
  check(url: string, role: UrlRole): void;
  connect(url: string, options: ConnectOptions): Promise<UmpLink>;
  /** Absent for a scheme that only resolves to another one: there is nothing of its own to listen on. */
  listen?(url: string, options: ListenOptions): Promise<TransportListener>;
}

const SCHEME = /^[a-z][a-z0-9+.-]*$/;
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

export class TransportRegistry {
  private readonly byScheme = new Map<string, Transport>();

  constructor(transports: Iterable<Transport> = []) {
    for (const transport of transports) this.register(transport);
  }

  /**
   * Adds a transport. Its scheme must be free (TransportError 'scheme-taken'); a malformed registration
   * (scheme, help text, an example its own check refuses) is a TypeError, a bug of the transport.
   */
  register(transport: Transport): void {
    const { scheme } = transport;
    if (typeof scheme !== 'string' || !SCHEME.test(scheme)) {
      throw new TypeError(
        `a transport's scheme is a lower-case letter, then letters, digits, '+', '-' or '.' (RFC 3986), without the colon; got ${JSON.stringify(scheme)}`,
      );
    }
    const taken = this.byScheme.get(scheme);
    if (taken !== undefined) throw new TransportError('scheme-taken', `the scheme ${scheme}: is registered already, for ${taken.description}`);
    for (const [field, text] of [
      ['syntax', transport.syntax],
      ['example', transport.example],
    ] as const) {
      if (typeof text !== 'string' || !text.startsWith(`${scheme}:`))
        throw new TypeError(`the ${field} of the ${scheme}: transport must start with "${scheme}:"; got ${JSON.stringify(text)}`);
    }
    if (typeof transport.description !== 'string' || transport.description.trim() === '' || /[\r\n]/.test(transport.description)) {
      throw new TypeError(`the description of the ${scheme}: transport must be one non-empty line; got ${JSON.stringify(transport.description)}`);
    }
    try {
      transport.check(transport.example, 'connect');
    } catch (err) {
      throw new TypeError(
        `the example ${JSON.stringify(transport.example)} of the ${scheme}: transport is refused by its own check: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.byScheme.set(scheme, transport);
  }

  /** The registered transports, in the order they registered. */
  list(): readonly Transport[] {
    return [...this.byScheme.values()];
  }

  /** The transport of `url`'s scheme (matched regardless of case, RFC 3986 §3.1); TransportError('unknown-scheme') listing the registered ones otherwise. */
  transportOf(url: string): Transport {
    const m = URL_SCHEME.exec(url);
    const transport = m === null ? undefined : this.byScheme.get(m[1]!.toLowerCase());
    if (transport !== undefined) return transport;
    const known = this.list();
    if (known.length === 0) throw new TransportError('unknown-scheme', `no transport is registered, so nothing can be reached at ${JSON.stringify(url)}`);
    const [first, ...others] = known.map((t) => t.syntax);
    const why = m === null ? 'it has no scheme' : `no transport is registered for the scheme ${m[1]}:`;
    throw new TransportError(
      'unknown-scheme',
      `not a ${first} address${others.map((s) => `, nor ${s}`).join('')}: ${JSON.stringify(url)} (${why}; the registered schemes are ${known.map((t) => `${t.scheme}:`).join(', ')})`,
    );
  }

  /**
   * Checks `url` for `role` without any network activity, as its transport reads it, and returns that
   * transport: TransportError 'unknown-scheme', or 'bad-url' naming what is wrong (also for listening
   * on a scheme that only connects).
   */
  check(url: string, role: UrlRole): Transport {
    if (typeof url !== 'string') throw new TransportError('bad-url', `a URL is a string; got ${typeof url}`);
    const transport = this.transportOf(url);
    if (role === 'listen' && transport.listen === undefined) {
      const listeners = this.list().filter((t) => t.listen !== undefined);
      const instead = listeners.length === 0 ? 'no registered scheme listens' : `listen on ${listeners.map((t) => t.syntax).join(' or ')}`;
      throw new TransportError('bad-url', `cannot listen on ${JSON.stringify(url)}: the ${transport.scheme}: transport only connects; ${instead}`);
    }
    transport.check(url, role);
    return transport;
  }

  /** Checks `url`, then connects with its transport. */
  async connect(url: string, options: ConnectOptions): Promise<UmpLink> {
    return this.check(url, 'connect').connect(url, options);
  }

  /** Checks `url`, then listens with its transport. */
  async listen(url: string, options: ListenOptions): Promise<TransportListener> {
    const transport = this.check(url, 'listen');
    // check() refused every transport without listen.
    return transport.listen!(url, options);
  }
}
