/**
 * The client side of the operator commands (send, tail, replay): connects to the peer at a checked URL
 * through the transport registry (a resolving scheme such as `mdns:` says what it resolved to) and
 * opens a Bus session on the link.
 */
import { ALL_CAPABILITIES, NetworkBus, type NetworkTelemetryOptions, type UmpLink, TransportError } from '../../runtime/index.ts';
import { transports, type ConnectOptions, type MdnsOptions } from '../../runtime/transports/index.ts';
import type { LoadedSchema } from '../schema-runtime.ts';
import { readSharedSecret, readUserFlags, type SecretFlags, type UserFlags } from './credentials.ts';
import { describeError } from './options.ts';
import type { UrlOption } from './urls.ts';

/** `--mdns-interface` / `--mdns-port` (options.ts `addMdnsOptions`). */
export interface MdnsFlags {
  readonly mdnsInterface?: string;
  readonly mdnsPort?: number;
}

export interface ClientOptions extends MdnsFlags, UserFlags, SecretFlags {
  readonly name: string;
  readonly connectTimeout: number;
  /** How long to keep re-inviting the peer and resuming after the link drops (0 or absent: the session ends with the link). */
  readonly resumeFor?: number;
  /** How long a scheme that looks endpoints up by name (`mdns:`) looks. */
  readonly discoverTimeout: number;
}

export function mdnsOptions(o: MdnsFlags): MdnsOptions {
  return { ...(o.mdnsInterface === undefined ? {} : { interface: o.mdnsInterface }), ...(o.mdnsPort === undefined ? {} : { port: o.mdnsPort }) };
}

/** Every client flag, for whichever transport the URL's scheme picks: each reads what applies to it. */
function connectOptions(o: ClientOptions, user: ConnectOptions['user']): ConnectOptions {
  const secret = readSharedSecret(o);
  return {
    name: o.name,
    timeoutMs: o.connectTimeout,
    ...(secret === undefined ? {} : { secret }),
    ...(user === undefined ? {} : { user }),
    discovery: { timeoutMs: o.discoverTimeout, ...mdnsOptions(o) },
  };
}

/** An operator command's connection to a peer: a transport link, and the bus session opened over it. */
export interface ClientConnection {
  readonly bus: NetworkBus;
  /** The link the session runs over now (another one after a resume). */
  readonly link: UmpLink;
  /** The peer's URL: as given, or what a resolving scheme resolved it to. */
  readonly url: string;
}

/**
 * Connects to `address` (checked by `urlOption`) and gives the bare link, for what is not a bus session
 * (`midl midi send`). A failure is printed on stderr and gives undefined: the caller exits 1.
 */
export async function openLink(
  address: UrlOption,
  o: ClientOptions,
  report: FailureReport = printFailure,
): Promise<{ link: UmpLink; url: string; connect: ConnectOptions } | undefined> {
  const shown = `${address.flag} ${address.url}`;
  let url = address.url;
  // Bad flags or an unreadable password file are usage errors (exit 2), found before any network activity.
  const connect = connectOptions(o, readUserFlags(o));
  try {
    const link = await transports.connect(address.url, {
      ...connect,
      onResolved: (r) => {
        url = r.url;
        process.stderr.write(`${shown}: ${r.url}${r.note === '' ? '' : ` (${r.note})`}\n`);
      },
    });
    // `connect` is what a reconnect to the resolved `url` passes again: the flags are read once.
    return { link, url, connect };
  } catch (err) {
    report(connectFailure(err, shown, url, o));
    return undefined;
  }
}

/** Where a failure to connect is told: one line without `error: ` and newline (default: stderr, as `error: LINE`). */
export type FailureReport = (line: string) => void;
const printFailure: FailureReport = (line) => process.stderr.write(`error: ${line}\n`);

/** How a connection that failed is told: against the option when its name led nowhere, else against the peer. */
function connectFailure(err: unknown, shown: string, url: string, o: ClientOptions): string {
  if (err instanceof TransportError && err.code === 'unresolved') return `${shown}: ${err.message}`;
  return `cannot open a session with ${url}: ${describeError(err)}${authHint(err, o)}`;
}

/**
 * Connects to `address` (checked by `urlOption`) and opens a Bus session over the link (`wrap` may put
 * a tap between them); the bus publishes `schema.telemetry`'s reports when given. A failure is told to `report` (printed on stderr unless given) and gives
 * undefined: the caller exits 1. A name
 * that resolves to no endpoint, or to several, is reported against the option, as what answers on the
 * network is not a usage error.
 */
export async function openClient(
  address: UrlOption,
  schema: Pick<LoadedSchema, 'topics' | 'intents'> & { readonly telemetry?: NetworkTelemetryOptions },
  o: ClientOptions,
  wrap: (link: UmpLink) => UmpLink = (l) => l,
  report: FailureReport = printFailure,
): Promise<ClientConnection | undefined> {
  const opened = await openLink(address, o, report);
  if (opened === undefined) return undefined;
  const { link, url, connect } = opened;
  try {
    const bus = new NetworkBus({
      name: o.name,
      topics: schema.topics,
      intents: schema.intents,
      // Ask for everything: the peer's grant decides what this session may do.
      capabilities: ALL_CAPABILITIES,
      ...(schema.telemetry === undefined ? {} : { telemetry: schema.telemetry }),
      onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
    });
    let current = wrap(link);
    // A dropped link (the peer went silent, a Bye — forged or not) is replaced and the session resumed
    // with its token, so nothing in flight is lost; a peer that restarted refuses the resume and the
    // session ends, its messages reported not delivered. The resolved URL: the same endpoint again.
    const reconnect = async (): Promise<UmpLink> => (current = wrap(await transports.connect(url, connect)));
    await bus.connect(current, { timeoutMs: o.connectTimeout, ...(o.resumeFor ? { reconnect, resumeForMs: o.resumeFor } : {}) });
    return {
      bus,
      get link() {
        return current;
      },
      url,
    };
  } catch (err) {
    report(connectFailure(err, `${address.flag} ${address.url}`, url, o));
    await link.close().catch(() => undefined);
    return undefined;
  }
}

/** What the operator can do about a refused authentication: the transport's reason names no option. */
function authHint(err: unknown, o: Pick<ClientOptions, 'secret' | 'user'>): string {
  if (!(err instanceof TransportError) || err.code !== 'auth-failed') return '';
  if (/user authentication/.test(err.message)) return ' (the peer requires user authentication: give --user and --password-file)';
  if (/user not found|authentication failed/.test(err.message) && o.user !== undefined) return ' (the peer did not accept this --user and password)';
  return o.secret === undefined ? ' (the peer requires a shared secret: give it with --secret)' : ' (the peer did not accept this --secret)';
}
