/**
 * The `mdns:` scheme of the registry: `mdns:NAME[#PIID]` names a Network MIDI 2.0 endpoint by its UMP
 * Endpoint Name (and Product Instance Id); connecting browses mDNS for it and invites the `udp://`
 * address of the one endpoint that answers. It only resolves, so it has nothing to listen on.
 */
import { TransportError, type UmpLink } from '../link.ts';
import type { ConnectOptions, DiscoveryOptions, Resolution, Transport } from '../registry.ts';
import { DEFAULT_DISCOVER_MS, MDNS_PORT, MdnsError, discoverNm2, type Nm2Service } from './mdns.ts';
import { udpTransport } from './udp-transport.ts';

const SCHEME = 'mdns:';

/** What an `mdns:` URL asks for. */
export interface MdnsAddress {
  readonly name: string;
  /** Required Product Instance Id; any when absent ('' is the id of an endpoint that announces none). */
  readonly productInstanceId?: string;
}

/**
 * Parses `mdns:NAME[#PIID]`; TransportError('bad-url') otherwise. The PIID is split off at the last
 * '#', so a name with '#' in it is written `mdns:A#B#PIID`.
 */
export function parseMdnsUrl(url: string): MdnsAddress {
  if (url.slice(0, SCHEME.length).toLowerCase() !== SCHEME) throw new TransportError('bad-url', `not an mdns:NAME[#PIID] address: ${JSON.stringify(url)}`);
  const rest = url.slice(SCHEME.length);
  const hash = rest.lastIndexOf('#');
  const name = hash < 0 ? rest : rest.slice(0, hash);
  if (name === '') throw new TransportError('bad-url', 'mdns: needs an endpoint name (mdns:NAME or mdns:NAME#PIID)');
  return hash < 0 ? { name } : { name, productInstanceId: rest.slice(hash + 1) };
}

/**
 * The `udp://` URL of the one endpoint that answers mDNS with the name (and PIID) of `url` within the
 * discovery time. None, several, or an mDNS socket that can't be opened: TransportError('unresolved')
 * saying which, and listing what did answer, so the operator can pick.
 */
export async function resolveMdnsUrl(url: string, discovery: DiscoveryOptions = {}): Promise<Resolution> {
  const { name, productInstanceId: piid } = parseMdnsUrl(url);
  const timeoutMs = discovery.timeoutMs ?? DEFAULT_DISCOVER_MS;
  const mdns = {
    ...(discovery.interface === undefined ? {} : { interface: discovery.interface }),
    ...(discovery.port === undefined ? {} : { port: discovery.port }),
  };
  let services: Nm2Service[];
  try {
    services = await discoverNm2({ ...mdns, timeoutMs });
  } catch (err) {
    if (!(err instanceof MdnsError)) throw err;
    throw new TransportError('unresolved', err.message, { cause: err });
  }
  const byPiid = (a: Nm2Service, b: Nm2Service) => a.productInstanceId.localeCompare(b.productInstanceId);
  const named = services.filter((s) => s.endpointName === name).sort(byPiid);
  const matches = piid === undefined ? named : named.filter((s) => s.productInstanceId === piid);
  const [only] = matches;
  if (only !== undefined && matches.length === 1) return { url: only.url, note: `ProductInstanceId ${JSON.stringify(only.productInstanceId)}` };
  const list = (found: readonly Nm2Service[]) => found.map((s) => `\n  ${SCHEME}${s.endpointName}#${s.productInstanceId}  ${s.url}`).join('');
  if (matches.length > 1) {
    throw new TransportError('unresolved', `${matches.length} endpoints are named ${JSON.stringify(name)}; pick one by its ProductInstanceId:${list(matches)}`);
  }
  if (named.length > 0) {
    throw new TransportError('unresolved', `no endpoint named ${JSON.stringify(name)} has ProductInstanceId ${JSON.stringify(piid)}; found:${list(named)}`);
  }
  const sorted = [...services].sort((a, b) => a.endpointName.localeCompare(b.endpointName) || byPiid(a, b));
  const answered = sorted.length === 0 ? '; none answered' : `; these answered:${list(sorted)}`;
  const where = `mDNS on ${mdns.interface ?? 'all interfaces'} port ${mdns.port ?? MDNS_PORT}`;
  throw new TransportError('unresolved', `no endpoint named ${JSON.stringify(name)} answered within ${timeoutMs} ms (${where})${answered}`);
}

export const mdnsTransport: Transport = {
  scheme: 'mdns',
  syntax: 'mdns:NAME[#PIID]',
  description: 'the one Network MIDI 2.0 endpoint with this name (and ProductInstanceId) that answers on mDNS, invited over udp:',
  example: 'mdns:studio#SN-0042',
  check(url) {
    parseMdnsUrl(url);
  },
  async connect(url: string, o: ConnectOptions): Promise<UmpLink> {
    const resolution = await resolveMdnsUrl(url, o.discovery);
    o.onResolved?.(resolution);
    return udpTransport.connect(resolution.url, o);
  },
};
