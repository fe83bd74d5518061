/**
 * Public surface of the midl envelope layer: the binary envelope (header, chunking, CRC-32,
 * bounded reassembly), the Flex bridge and SSE JSON envelopes, and the quarantine for rejected input.
 * Wire format: docs/wire.md § Envelope.
 */
export { EnvelopeError, EnvelopeErrorCode, ENVELOPE_ERROR_CODES, type EnvelopeErrorDetails, type ParseResult } from './errors.ts';
export { crc32 } from './crc32.ts';
export {
  CHUNKED_HEADER_BYTES,
  DEFAULT_MAX_ENVELOPE_PAYLOAD,
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  FLAG_CHUNKED,
  HEADER_BYTES,
  Offset,
  Qos,
  decodeEnvelope,
  encodeEnvelope,
  messageKey,
  type ChunkInfo,
  type DecodedEnvelope,
  type EnvelopeHeader,
  type EnvelopeLimits,
} from './header.ts';
export { ChunkReassembler, DEFAULT_REASSEMBLY, chunkPayload, type ReassemblyOptions, type ReassemblyResult } from './chunk.ts';
export { FORBIDDEN_KEYS, canonicalJson, type JsonLimits, type JsonObject, type JsonValue } from './json.ts';
export {
  BACKPRESSURE,
  CORR_MAX,
  CORR_PATTERN,
  DEFAULT_FLEX_LIMITS,
  FLEX_REPLY_INTENT,
  FLEX_VERSION,
  INTENT_MAX,
  INTENT_PATTERN,
  flexAck,
  flexBackpressure,
  flexError,
  flexProgress,
  flexSuccess,
  parseFlexEnvelope,
  parseFlexReply,
  serializeFlexEnvelope,
  type FlexEnvelope,
  type FlexErrorInfo,
  type FlexProgress,
  type FlexReply,
  type FlexReplyBody,
} from './flex.ts';
export {
  CT_PATTERN,
  EV_PATTERN,
  ID_PATTERN,
  DEFAULT_SSE_LIMITS,
  DEFAULT_SSE_REASSEMBLY,
  SSE_CTRL,
  SSE_VERSION,
  SseEvent,
  SseFragmentReassembler,
  fragmentSseEvent,
  isSseCtrl,
  parseSseEnvelope,
  serializeSseEnvelope,
  sseCtrl,
  type SseCtrl,
  type SseCtrlEnvelope,
  type SseEnvelope,
  type SseFrag,
  type SseLimits,
  type SseReassemblyOptions,
  type SseReassemblyResult,
} from './sse.ts';
export { envelopeFromSysEx8, envelopeToSysEx8, messageToSysEx8, type SysEx8CarryOptions } from './carry.ts';
export type { PartialsOptions, PendingOrDuplicate } from './partials.ts';
export { Quarantine, type QuarantineEntry, type QuarantineOptions, type QuarantineReason } from './quarantine.ts';
