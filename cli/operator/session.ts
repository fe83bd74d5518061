/**
 * Network MIDI 2.0 sessions of the operator commands: URLs and peer addresses (`udp://HOST:PORT` or
 * `mdns:NAME[#PIID]`, resolved here for every client command), and the client side (send, tail,
 * replay) that invites a peer and opens a Bus session on the link.
 */
import { ALL_CAPABILITIES, NetworkBus, type UmpLink, TransportError } from '../../runtime/index.ts';
import { connectNm2, parseUdpUrl, MdnsError, discoverNm2, type MdnsOptions, type Nm2Service } from '../../runtime/transports/index.ts';
import { UsageError } from '../exit.ts';
import type { LoadedSchema } from '../schema-runtime.ts';
import { describeError } from './options.ts';

/** `--mdns-interface` / `--mdns-port` (options.ts `addMdnsOptions`). */
export interface MdnsFlags {
  readonly mdnsInterface?: string;
  readonly mdnsPort?: number;
}

export interface ClientOptions extends MdnsFlags {
  readonly name: string;
  readonly secret?: string;
  readonly connectTimeout: number;
  /** How long an `mdns:` address is looked for. */
  readonly discoverTimeout: number;
}

export function mdnsOptions(o: MdnsFlags): MdnsOptions {
  return { ...(o.mdnsInterface === undefined ? {} : { interface: o.mdnsInterface }), ...(o.mdnsPort === undefined ? {} : { port: o.mdnsPort }) };
}

/** `udp://HOST:PORT` checked, or a usage error naming the option; port 0 ("any free port") only when listening. */
export function udpUrl(flag: string, raw: string, o: { listen?: boolean } = {}): { host: string; port: number } {
  try {
    return parseUdpUrl(raw, { listen: o.listen === true });
  } catch (err) {
    if (err instanceof TransportError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
}

/** A checked `--to` / `--from` value: a UDP URL, or an endpoint to look up on mDNS. */
export type PeerAddress =
  { readonly flag: string; readonly url: string } | { readonly flag: string; readonly mdns: { readonly name: string; readonly productInstanceId?: string } };

const MDNS_SCHEME = 'mdns:';

/**
 * `udp://HOST:PORT` or `mdns:NAME[#PIID]`, checked before anything else runs (a usage error names the
 * option). The PIID is split off at the last '#' (a name with '#' in it is written `mdns:A#B#PIID`).
 */
export function peerAddress(flag: string, raw: string): PeerAddress {
  if (!raw.startsWith(MDNS_SCHEME)) {
    udpUrl(flag, raw);
    return { flag, url: raw };
  }
  const rest = raw.slice(MDNS_SCHEME.length);
  const hash = rest.lastIndexOf('#');
  const name = hash < 0 ? rest : rest.slice(0, hash);
  if (name === '') throw new UsageError(`${flag}: mdns: needs an endpoint name (mdns:NAME or mdns:NAME#PIID)`);
  return { flag, mdns: hash < 0 ? { name } : { name, productInstanceId: rest.slice(hash + 1) } };
}

/**
 * The `udp://` URL of `address`: as given, or that of the one endpoint with its name (and PIID) that
 * answers mDNS within `discoverTimeout`. None, several, or an unusable mDNS socket: printed on stderr,
 * undefined (the caller exits 1) — what answers on the network is not a usage error.
 */
async function resolvePeer(address: PeerAddress, o: Pick<ClientOptions, 'discoverTimeout'> & MdnsFlags): Promise<string | undefined> {
  if ('url' in address) return address.url;
  const { name, productInstanceId: piid } = address.mdns;
  const shown = `${address.flag} ${MDNS_SCHEME}${name}${piid === undefined ? '' : `#${piid}`}`;
  const mdns = mdnsOptions(o);
  let services: Nm2Service[];
  try {
    services = await discoverNm2({ ...mdns, timeoutMs: o.discoverTimeout });
  } catch (err) {
    if (!(err instanceof MdnsError)) throw err;
    process.stderr.write(`error: ${shown}: ${err.message}\n`);
    return undefined;
  }
  const byPiid = (a: Nm2Service, b: Nm2Service) => a.productInstanceId.localeCompare(b.productInstanceId);
  const named = services.filter((s) => s.endpointName === name).sort(byPiid);
  const matches = piid === undefined ? named : named.filter((s) => s.productInstanceId === piid);
  const [only] = matches;
  if (only !== undefined && matches.length === 1) {
    process.stderr.write(`${shown}: ${only.url} (ProductInstanceId ${JSON.stringify(only.productInstanceId)})\n`);
    return only.url;
  }
  const where = `mDNS on ${mdns.interface ?? 'all interfaces'} port ${mdns.port ?? 5353}`;
  const list = (found: readonly Nm2Service[]) => found.map((s) => `  ${MDNS_SCHEME}${s.endpointName}#${s.productInstanceId}  ${s.url}\n`).join('');
  if (matches.length > 1) {
    process.stderr.write(
      `error: ${shown}: ${matches.length} endpoints are named ${JSON.stringify(name)}; pick one by its ProductInstanceId:\n${list(matches)}`,
    );
  } else if (named.length > 0) {
    process.stderr.write(`error: ${shown}: no endpoint named ${JSON.stringify(name)} has ProductInstanceId ${JSON.stringify(piid)}; found:\n${list(named)}`);
  } else {
    const sorted = [...services].sort((a, b) => a.endpointName.localeCompare(b.endpointName) || byPiid(a, b));
    const answered = sorted.length === 0 ? '; none answered\n' : `; these answered:\n${list(sorted)}`;
    process.stderr.write(`error: ${shown}: no endpoint named ${JSON.stringify(name)} answered within ${o.discoverTimeout} ms (${where})${answered}`);
  }
  return undefined;
}

export interface ClientSession {
  readonly bus: NetworkBus;
  readonly link: UmpLink;
  /** The peer's `udp://` URL (an `mdns:` address resolved). */
  readonly url: string;
}

/**
 * Resolves `address` (from `peerAddress`), invites the peer and opens a Bus session over the link
 * (`wrap` may put a tap between them). A failure is printed on stderr and gives undefined: the caller exits 1.
 */
export async function openClient(
  address: PeerAddress,
  schema: LoadedSchema,
  o: ClientOptions,
  wrap: (link: UmpLink) => UmpLink = (l) => l,
): Promise<ClientSession | undefined> {
  const url = await resolvePeer(address, o);
  if (url === undefined) return undefined;
  let link: UmpLink | undefined;
  try {
    link = await connectNm2(url, { name: o.name, timeoutMs: o.connectTimeout, ...(o.secret === undefined ? {} : { secret: o.secret }) });
    const bus = new NetworkBus({
      name: o.name,
      topics: schema.topics,
      intents: schema.intents,
      // Ask for everything: the peer's grant decides what this session may do.
      capabilities: ALL_CAPABILITIES,
      onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
    });
    await bus.connect(wrap(link), { timeoutMs: o.connectTimeout });
    return { bus, link, url };
  } catch (err) {
    process.stderr.write(`error: cannot open a session with ${url}: ${describeError(err)}${authHint(err, o)}\n`);
    await link?.close().catch(() => undefined);
    return undefined;
  }
}

/** What the operator can do about a refused authentication: the transport's reason names no option. */
function authHint(err: unknown, o: Pick<ClientOptions, 'secret'>): string {
  if (!(err instanceof TransportError) || err.code !== 'auth-failed') return '';
  return o.secret === undefined ? ' (the peer requires a shared secret: give it with --secret)' : ' (the peer did not accept this --secret)';
}

/** `udp://HOST:PORT`, with IPv6 hosts in brackets. */
export function formatUdpUrl(host: string, port: number): string {
  return `udp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
