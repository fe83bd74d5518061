// Public surface of the transports: the link contract, the transports that produce links, and the
// registry of their URL schemes with the built-in ones registered.
import { TransportRegistry } from './registry.ts';
import { mdnsTransport, udpTransport } from './nm2/index.ts';
import { rtpmidiTransport } from './rtpmidi/transport.ts';
import { midiTransport } from './midiport/transport.ts';

export { TransportError, TransportErrorCode, type LinkDown, type UmpLink } from './link.ts';
export type { Midi1Port } from './midi1-port.ts';
export { loopbackLinkPair, type LoopbackLinkOptions } from './loopback.ts';
export {
  TransportRegistry,
  type Advertisement,
  type ConnectOptions,
  type DiscoveryOptions,
  type ListenOptions,
  type Resolution,
  type Transport,
  type TransportListener,
  type UrlRole,
} from './registry.ts';
export * from './nm2/mdns.ts';
export {
  Nm2Endpoint,
  connectNm2,
  parseUdpUrl,
  formatUdpUrl,
  type Nm2EndpointOptions,
  type Nm2Link,
  type Nm2Stats,
  type ConnectNm2Options,
} from './nm2/index.ts';
export { MAX_DATAGRAM_BYTES, udpTransport, mdnsTransport, parseMdnsUrl, resolveMdnsUrl, type MdnsAddress } from './nm2/index.ts';
export * from './midiport/index.ts';
export * from './rtpmidi/index.ts';
export { rtpmidiTransport } from './rtpmidi/transport.ts';
export { midiTransport } from './midiport/transport.ts';
export { midi1Link, type Midi1Link, type Midi1LinkOptions } from './midi1-link.ts';

/**
 * The registry every URL a user gives is resolved through (the CLI's `--listen`, `--to`, `--from`):
 * the built-in schemes, in the order help lists them. A plug-in adds its own with `transports.register`.
 */
export const transports = new TransportRegistry([udpTransport, mdnsTransport, rtpmidiTransport, midiTransport]);
