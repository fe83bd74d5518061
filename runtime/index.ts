// Public surface of the midl runtime; generated code imports only this module. One `export *` line
// per runtime module. Where two modules export the same name, the explicit line after them decides.
export * from './codec/index.ts';
export * from './ump/index.ts';
export * from './envelope/index.ts';
export * from './bus/index.ts';
export * from './ci/index.ts';
// Lanes: how bus frames travel as UMP (one framer per lane name), and the reader every tool that watches
// a link shares with the bus (docs/wire.md § Bus frames).
export {
  BusFrameReader,
  ControlKind,
  FrameError,
  FrameKind,
  LANE_NAMES,
  NACK_REASONS,
  type Control,
  type DataFrame,
  type FlexFrame,
  type FrameReadResult,
  type FrameReaderOptions,
  type IncomingData,
  type Interest,
  type LaneName,
  type NackReason,
  type ReceivedFrame,
} from './lanes/index.ts';
// Transports: only the link contract, the in-process loopback and the MIDI 1.0 link here, imported from their own files;
// socket transports and their registry are imported from runtime/transports/index.ts, so that this
// module's import graph never reaches node:dgram (browser bundles).
export { TransportError, TransportErrorCode, type LinkDown, type UmpLink } from './transports/link.ts';
export { loopbackLinkPair, type LoopbackLinkOptions } from './transports/loopback.ts';
export type { Midi1Port } from './transports/midi1-port.ts';
export { midi1Link, type Midi1Link, type Midi1LinkOptions } from './transports/midi1-link.ts';
// Both codec and envelope export `JsonValue` (the same type): the codec's is the public one.
export type { JsonValue } from './codec/index.ts';
// Both ump and envelope export `ReassemblyOptions`: the envelope's keeps the name, ump's is renamed.
export type { ReassemblyOptions } from './envelope/index.ts';
export type { ReassemblyOptions as UmpReassemblyOptions } from './ump/index.ts';
