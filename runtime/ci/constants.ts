/**
 * MIDI-CI 1.2 numbers (M2-101-UM). Sub-IDs and field layouts were read from the MIDI-CI 1.2 message
 * tables as implemented by midi2-dev/AM_MIDI2.0Lib (`include/utils.h`, `src/midiCIMessageCreate.cpp`)
 * and atsushieno/ktmidi (`ktmidi-ci` CIFactory), cross-checked against each other (docs/midi-ci.md).
 */

/** Universal System Exclusive Non-Real Time, the first byte after F0. */
export const UNIVERSAL_NON_REAL_TIME = 0x7e;
/** Sub-ID#1 of every MIDI-CI message. */
export const SUB_ID_MIDI_CI = 0x0d;
/** Message format version byte of MIDI-CI 1.2, what `encodeCiMessage` writes unless told otherwise. */
export const CI_VERSION_1_2 = 0x02;
/** The broadcast MUID (0x0FFFFFFF; `7F 7F 7F 7F` on the wire). */
export const BROADCAST_MUID = 0x0fffffff;
/** Largest MUID a device may take for itself: 0x0FFFFF00..0x0FFFFFFE are reserved (MIDI-CI 1.2). */
export const MAX_DEVICE_MUID = 0x0ffffeff;

/** Device ID byte: 0x00..0x0F a MIDI channel, 0x7E the whole group, 0x7F the whole function block. */
export const CiDeviceId = {
  Group: 0x7e,
  FunctionBlock: 0x7f,
} as const;

/** Sub-ID#2 of each MIDI-CI message `runtime/ci` decodes. */
export const CiSubId = {
  Discovery: 0x70,
  DiscoveryReply: 0x71,
  EndpointInfo: 0x72,
  EndpointInfoReply: 0x73,
  Ack: 0x7d,
  InvalidateMuid: 0x7e,
  Nak: 0x7f,
  ProfileInquiry: 0x20,
  ProfileInquiryReply: 0x21,
  SetProfileOn: 0x22,
  SetProfileOff: 0x23,
  ProfileEnabled: 0x24,
  ProfileDisabled: 0x25,
  ProfileAdded: 0x26,
  ProfileRemoved: 0x27,
  ProfileDetailsInquiry: 0x28,
  ProfileDetailsReply: 0x29,
  ProfileSpecificData: 0x2f,
  PeCapabilities: 0x30,
  PeCapabilitiesReply: 0x31,
  PeGet: 0x34,
  PeGetReply: 0x35,
  PeSet: 0x36,
  PeSetReply: 0x37,
  PeSubscribe: 0x38,
  PeSubscribeReply: 0x39,
  PeNotify: 0x3f,
} as const;
export type CiSubId = (typeof CiSubId)[keyof typeof CiSubId];

/** Bits of the Discovery "MIDI-CI category supported" byte (1.2: protocol negotiation, bit 1, is deprecated). */
export const CiCategory = {
  ProtocolNegotiation: 0x02,
  ProfileConfiguration: 0x04,
  PropertyExchange: 0x08,
  ProcessInquiry: 0x10,
} as const;

/** ACK / NAK status codes of MIDI-CI 1.2. */
export const CiNakStatus = {
  Nak: 0x00,
  MessageNotSupported: 0x01,
  CiVersionNotSupported: 0x02,
  TargetNotInUse: 0x03,
  ProfileNotSupportedOnTarget: 0x04,
  TerminateInquiry: 0x20,
  PeChunksOutOfSequence: 0x21,
  ErrorRetrySuggested: 0x40,
  MalformedMessage: 0x41,
  Timeout: 0x42,
} as const;
export type CiNakStatus = (typeof CiNakStatus)[keyof typeof CiNakStatus];

/** Property Exchange reply header `status` values (Common Rules for PE, M2-103-UM). */
export const PeStatus = {
  Ok: 200,
  Accepted: 202,
  ResourceUnavailable: 341,
  BadData: 342,
  TooManyRequests: 343,
  BadRequest: 400,
  Unauthorized: 403,
  NotFound: 404,
  NotAllowed: 405,
  PayloadTooLarge: 413,
  UnsupportedEncoding: 415,
  InvalidDataVersion: 445,
  InternalError: 500,
} as const;
export type PeStatus = (typeof PeStatus)[keyof typeof PeStatus];

/** PE body encodings as the header's `mutualEncoding` spells them. */
export const PeEncoding = {
  Ascii: 'ASCII',
  Mcoded7: 'Mcoded7',
  ZlibMcoded7: 'zlib+Mcoded7',
} as const;
export type PeEncoding = (typeof PeEncoding)[keyof typeof PeEncoding];
