/**
 * Network MIDI 2.0 discovery: advertise and browse `_midi2._udp` endpoints with TXT keys
 * `UMPEndpointName` and `ProductInstanceId`, as amidi2net's `mdns-publish.c` and the MIDI 2.0
 * Workbench do, through the shared DNS-SD helper (../dns-sd.ts). Endpoints are one per name +
 * Product Instance Id (an endpoint seen on two interfaces or announced twice is one; microsoft/MIDI#750).
 */
import { isIP } from 'node:net';
import { MdnsError, advertiseService, browseServices, type MdnsOptions, type ServiceProfile } from '../dns-sd.ts';

export { MdnsError, MDNS_PORT, DEFAULT_DISCOVER_MS, type MdnsOptions } from '../dns-sd.ts';

export const NM2_SERVICE_TYPE = '_midi2._udp';

/** What `advertiseNm2` publishes for one Network MIDI 2.0 endpoint. */
export interface Nm2Advertisement {
  /** UMP endpoint name (TXT `UMPEndpointName`); also the DNS-SD instance name ('.' becomes '-'). */
  readonly name: string;
  /** UDP port the endpoint listens on (invitations and all its sessions' datagrams). */
  readonly port: number;
  /** TXT `ProductInstanceId` ('' when the endpoint has none). */
  readonly productInstanceId: string;
  /**
   * Where the endpoint is reached: an IP address (advertised as the only A/AAAA record, e.g. the
   * address the endpoint's socket is bound to) or a host name (the SRV target, answered with this
   * machine's addresses). Default: `<os hostname>.local` with the addresses of `MdnsOptions.interface`,
   * or of every non-internal interface when no interface is given.
   */
  readonly host?: string;
}

/** One endpoint found by `discoverNm2`. */
export interface Nm2Service {
  /** The DNS-SD instance label (first label of the PTR target). */
  readonly instanceName: string;
  /** SRV target host name. */
  readonly host: string;
  /** A/AAAA addresses of `host` (IPv4 first); the mDNS sender's address when it gave none. */
  readonly addresses: readonly string[];
  readonly port: number;
  readonly endpointName: string;
  readonly productInstanceId: string;
  /** `udp://<address>:<port>` with the first usable address (IPv6 in brackets). */
  readonly url: string;
}

/**
 * Publishes `ad` until `stop()`: answers queries for `_midi2._udp.local`, the instance and its host,
 * announces twice at start and sends goodbyes (TTL 0) on stop.
 */
export async function advertiseNm2(ad: Nm2Advertisement, options: MdnsOptions = {}): Promise<{ stop(): Promise<void> }> {
  if (typeof ad.productInstanceId !== 'string') throw new MdnsError('advertisement productInstanceId must be a string');
  return advertiseService(
    {
      serviceType: NM2_SERVICE_TYPE,
      instanceName: ad.name,
      port: ad.port,
      txt: [`UMPEndpointName=${ad.name}`, `ProductInstanceId=${ad.productInstanceId}`],
      ...(ad.host === undefined ? {} : { host: ad.host }),
    },
    options,
  );
}

/**
 * Browses `_midi2._udp` for `timeoutMs` (default 2000) and resolves to the endpoints found, one per
 * endpoint name + Product Instance Id. `onService` is called once per endpoint as soon as it is complete.
 * Records that don't make an endpoint (no SRV, no or undecodable `UMPEndpointName`, port 0) are skipped;
 * an endpoint that says goodbye before the end is dropped.
 */
export function discoverNm2(options: MdnsOptions & { timeoutMs?: number; onService?: (s: Nm2Service) => void } = {}): Promise<Nm2Service[]> {
  return browseServices(nm2Profile, options);
}

const nm2Profile: ServiceProfile<Nm2Service> = {
  serviceType: NM2_SERVICE_TYPE,
  describe(found, previous) {
    const endpointName = found.txt.get('umpendpointname');
    if (endpointName === undefined || endpointName === '') return undefined;
    const productInstanceId = found.txt.get('productinstanceid') ?? '';
    const address = found.addresses.find((a) => !/^fe80:/i.test(a)) ?? found.addresses[0]!;
    // The first address heard stays the endpoint's URL when more are heard later.
    const url = previous?.url ?? `udp://${isIP(address) === 6 ? `[${address}]` : address}:${found.port}`;
    return {
      key: `${endpointName}\u0000${productInstanceId}`,
      service: { instanceName: found.instanceName, host: found.host, addresses: found.addresses, port: found.port, endpointName, productInstanceId, url },
    };
  },
};
