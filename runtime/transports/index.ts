// Public surface of the transports: the link contract and the transports that produce links.
export { TransportError, TransportErrorCode, type LinkDown, type UmpLink } from './link.ts';
export { loopbackLinkPair, type LoopbackLinkOptions } from './loopback.ts';
export * from './nm2/mdns.ts';
