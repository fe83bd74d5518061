/**
 * The `udp:` transport of the registry: Network MIDI 2.0 over UDP, connecting from a private
 * ephemeral endpoint (`connectNm2`) and listening with an `Nm2Endpoint` whose sessions are the links.
 */
import { MDNS_PORT, announcementFor } from '../dns-sd.ts';
import type { ConnectOptions, ListenOptions, Transport, TransportListener } from '../registry.ts';
import { NM2_SERVICE_TYPE, advertiseNm2 } from './mdns.ts';
import { Nm2Endpoint, type Nm2Link } from './endpoint.ts';
import { connectNm2, formatUdpUrl, parseUdpUrl } from './url.ts';

export const udpTransport: Transport = {
  scheme: 'udp',
  syntax: 'udp://HOST:PORT',
  description: 'Network MIDI 2.0 over UDP (IPv6 hosts in brackets; port 0 listens on any free port)',
  example: 'udp://127.0.0.1:5673',
  check(url, role) {
    parseUdpUrl(url, { listen: role === 'listen' });
  },
  connect(url: string, o: ConnectOptions): Promise<Nm2Link> {
    return connectNm2(url, {
      name: o.name,
      ...(o.secret === undefined ? {} : { secret: o.secret }),
      ...(o.user === undefined ? {} : { user: { name: o.user.name, password: o.user.password } }),
      ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      ...(o.onError === undefined ? {} : { onError: o.onError }),
    });
  },
  async listen(url: string, o: ListenOptions): Promise<TransportListener> {
    const { host, port } = parseUdpUrl(url, { listen: true });
    const endpoint = await Nm2Endpoint.listen({
      host,
      port,
      name: o.name,
      ...(o.secret === undefined ? {} : { secret: o.secret }),
      ...(o.users === undefined ? {} : { users: o.users }),
      ...(o.onError === undefined ? {} : { onError: o.onError }),
    });
    return {
      url: formatUdpUrl(endpoint.host, endpoint.port),
      nm2Endpoint: { host: endpoint.host, port: endpoint.port, productInstanceId: endpoint.productInstanceId },
      onSession: (handler) => endpoint.onSession(handler),
      async advertise(name, options) {
        const { productInstanceId } = endpoint;
        const { mdns, host: announced } = announcementFor(endpoint.host, options);
        // The id the endpoint really answers invitations with, so that what mDNS says and what an
        // invited client sees never differ.
        const ad = await advertiseNm2({ name, port: endpoint.port, productInstanceId, ...(announced === undefined ? {} : { host: announced }) }, mdns);
        return {
          serviceType: NM2_SERVICE_TYPE,
          note: `ProductInstanceId ${productInstanceId}`,
          interface: mdns.interface,
          mdnsPort: mdns.port ?? MDNS_PORT,
          stop: () => ad.stop(),
        };
      },
      close: () => endpoint.close(),
    };
  },
};
