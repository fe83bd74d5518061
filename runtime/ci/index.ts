// Public surface of MIDI-CI 1.2 (`midl/runtime/ci`): message codecs, Property Exchange headers, bodies,
// chunking and bounded reassembly (docs/midi-ci.md).
export * from './constants.ts';
export { CiError, CiErrorCode } from './errors.ts';
export * from './messages.ts';
export { CI_HEADER_BYTES, decodeCiMessage, encodeCiMessage, frameSysEx, isValidDeviceId } from './codec.ts';
export {
  PE_COMMANDS,
  PE_HEADER_MAX_BYTES,
  PE_HEADER_MAX_DEPTH,
  encodeAsciiJson,
  encodePeHeader,
  escapeJsonAscii,
  parsePeHeader,
  type PeCommand,
  type PeHeader,
} from './pe-header.ts';
export { DEFAULT_PE_BODY_MAX_BYTES, PE_OVERHEAD_BYTES, chunkPeMessage, decodePeBody, encodePeBody, type PeOutgoing } from './pe-body.ts';
export { DEFAULT_PE_REASSEMBLY, PeReassembler, peKey, type PeComplete, type PePending, type PeReassemblyOptions } from './reassembler.ts';
export {
  CiResponder,
  DEFAULT_ASKER_MAX_SYSEX,
  MIDL_CI_IDENTITY,
  MIDL_PROFILE,
  MIDL_RESOURCES,
  SSE_PROFILE,
  SSE_PROFILE_NAME,
  type CiResponderOptions,
  type CiResponderProfile,
} from './responder.ts';
export { CI_GROUP, CiLinkResponder, ciSysEx7Data, type CiLinkResponderOptions } from './link-responder.ts';
export { sseTransportResource, type SseTransportResource } from './midl-resources.ts';
export { CiInitiator, hexMuid, hexProfile, type CiInitiatorOptions, type CiPeResult } from './initiator.ts';
