// Public surface of the Network MIDI 2.0 (UDP) transport: the endpoint, its links, the url helpers, its registry entries (udp:, mdns:) and the wire codec.
export { Nm2Endpoint, type Nm2EndpointOptions, type Nm2Link, type Nm2User } from './endpoint.ts';
export { parseUdpUrl, formatUdpUrl, connectNm2, type ConnectNm2Options } from './url.ts';
export { udpTransport } from './udp-transport.ts';
export { mdnsTransport, parseMdnsUrl, resolveMdnsUrl, type MdnsAddress } from './mdns-transport.ts';
export { type Nm2Stats } from './stats.ts';
export { type Nm2SessionState } from './session.ts';
export { DEFAULT_NM2_TUNING, type Nm2Tuning, type SessionTuning, type DataStreamTuning } from './tuning.ts';
export { systemClock, type Clock, type Timer } from './clock.ts';
export {
  NM2_SIGNATURE,
  CommandCode,
  Capability,
  AuthState,
  NakReason,
  RetransmitErrorReason,
  ByeReason,
  BYE_REASON_TEXT,
  byeReasonText,
  UMP_DATA_MAX_WORDS,
  type Nm2Command,
  type UmpDataCommand,
} from './commands.ts';
export {
  MAX_DATAGRAM_BYTES,
  commandWords,
  encodeDatagram,
  encodeDatagrams,
  decodeDatagram,
  type DecodedDatagram,
  type Nm2WireError,
  type EncodeOptions,
} from './wire.ts';
export { authDigest, userAuthDigest } from './auth.ts';
