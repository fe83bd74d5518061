// Public surface of the transports: the link contract and the transports that produce links.
export { TransportError, TransportErrorCode, type LinkDown, type UmpLink } from './link.ts';
export { loopbackLinkPair, type LoopbackLinkOptions } from './loopback.ts';
export * from './nm2/mdns.ts';
export { Nm2Endpoint, connectNm2, parseUdpUrl, type Nm2EndpointOptions, type Nm2Link, type Nm2Stats, type ConnectNm2Options } from './nm2/index.ts';
