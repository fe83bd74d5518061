/**
 * The MIDI-CI 1.2 messages `runtime/ci` encodes and decodes, as plain typed objects. Every message
 * carries the common header fields; `kind` names the message (its sub-ID#2 is in `CI_SUB_IDS`).
 * Byte fields hold 7-bit values; MUIDs are 28-bit numbers (0x0FFFFFFF = broadcast).
 */
import { CiSubId } from './constants.ts';

export interface CiHeader {
  /** 0x00..0x0F: a MIDI channel; 0x7E: the whole group; 0x7F: the whole function block. */
  readonly deviceId: number;
  /** Message format version byte: 0x02 for MIDI-CI 1.2 (later versions are read with the 1.2 layout). */
  readonly version: number;
  /** Source MUID (28 bits). */
  readonly source: number;
  /** Destination MUID (28 bits; 0x0FFFFFFF = broadcast). */
  readonly destination: number;
}

/** A profile id: 5 bytes (`7E bank number version level` for standard profiles, `id1 id2 id3 info info` otherwise). */
export type ProfileId = readonly [number, number, number, number, number];

/** Device identity fields shared by Discovery and its Reply. */
export interface CiIdentity {
  /** SysEx manufacturer id, 3 bytes (a 1-byte id `xx` is `xx 00 00`). */
  readonly manufacturer: readonly [number, number, number];
  /** Device family (14 bits, LSB first on the wire). */
  readonly family: number;
  /** Device family model number (14 bits, LSB first on the wire). */
  readonly model: number;
  /** Software revision level, 4 bytes as sent. */
  readonly softwareRevision: readonly [number, number, number, number];
  /** MIDI-CI category supported bitmap (`CiCategory`). */
  readonly categories: number;
  /** Receivable maximum SysEx message size in bytes (28 bits). */
  readonly maxSysExSize: number;
  /** Initiator's output path id (the responder copies the inquiry's into its reply). */
  readonly outputPathId: number;
}

export interface CiDiscovery extends CiHeader, CiIdentity {
  readonly kind: 'discovery';
}
export interface CiDiscoveryReply extends CiHeader, CiIdentity {
  readonly kind: 'discovery-reply';
  /** Function block number of the responder, 0x7F when it has none. */
  readonly functionBlock: number;
}
export interface CiEndpointInfo extends CiHeader {
  readonly kind: 'endpoint-info';
  /** Which information is asked for (0x00: product instance id). */
  readonly status: number;
}
export interface CiEndpointInfoReply extends CiHeader {
  readonly kind: 'endpoint-info-reply';
  readonly status: number;
  /** Information data (≤ 16383 bytes, 7-bit). */
  readonly data: Uint8Array;
}
export interface CiAckNak extends CiHeader {
  readonly kind: 'ack' | 'nak';
  /** Sub-ID#2 of the message acknowledged or refused. */
  readonly originalSubId: number;
  /** `CiNakStatus` (0x00 for a plain ACK). */
  readonly statusCode: number;
  readonly statusData: number;
  /** Status details, 5 bytes. */
  readonly details: readonly [number, number, number, number, number];
  /** Message text (7-bit ASCII, ≤ 16383 characters). */
  readonly text: string;
}
export interface CiInvalidateMuid extends CiHeader {
  readonly kind: 'invalidate-muid';
  /** The MUID to be invalidated. */
  readonly target: number;
}
export interface CiProfileInquiry extends CiHeader {
  readonly kind: 'profile-inquiry';
}
export interface CiProfileInquiryReply extends CiHeader {
  readonly kind: 'profile-inquiry-reply';
  readonly enabled: readonly ProfileId[];
  readonly disabled: readonly ProfileId[];
}
/** Set Profile On / Profile Enabled / Profile Disabled: a profile and a channel count (14 bits; 0 = the addressed channel, group or block). */
export interface CiProfileChannels extends CiHeader {
  readonly kind: 'profile-on' | 'profile-enabled' | 'profile-disabled';
  readonly profile: ProfileId;
  readonly channels: number;
}
/** Set Profile Off (its 1.2 channel-count field is reserved: written 0, ignored on read), Profile Added / Removed. */
export interface CiProfileOnly extends CiHeader {
  readonly kind: 'profile-off' | 'profile-added' | 'profile-removed';
  readonly profile: ProfileId;
}
export interface CiProfileDetailsInquiry extends CiHeader {
  readonly kind: 'profile-details-inquiry';
  readonly profile: ProfileId;
  readonly target: number;
}
export interface CiProfileDetailsReply extends CiHeader {
  readonly kind: 'profile-details-reply';
  readonly profile: ProfileId;
  readonly target: number;
  /** ≤ 16383 bytes. */
  readonly data: Uint8Array;
}
export interface CiProfileSpecificData extends CiHeader {
  readonly kind: 'profile-specific-data';
  readonly profile: ProfileId;
  /** Length field is 28 bits; bounded in practice by the input (decode) or the receiver's max SysEx size. */
  readonly data: Uint8Array;
}
export interface CiPeCapabilities extends CiHeader {
  readonly kind: 'pe-capabilities' | 'pe-capabilities-reply';
  /** Number of simultaneous PE requests supported. */
  readonly maxRequests: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
}

export type CiPeKind = 'pe-get' | 'pe-get-reply' | 'pe-set' | 'pe-set-reply' | 'pe-subscribe' | 'pe-subscribe-reply' | 'pe-notify';

/** One chunk of a Property Exchange message (all PE data messages share this layout in 1.2). */
export interface CiPeMessage extends CiHeader {
  readonly kind: CiPeKind;
  readonly requestId: number;
  /** Header JSON bytes (ASCII; empty in every chunk but the first). See `parsePeHeader`. */
  readonly header: Uint8Array;
  /** Number of chunks of the body (14 bits). */
  readonly numChunks: number;
  /** This chunk's number, 1-based (14 bits). */
  readonly thisChunk: number;
  /** This chunk's part of the (encoded) body, ≤ 16383 bytes. */
  readonly body: Uint8Array;
}

/** A MIDI-CI message whose sub-ID#2 this build does not decode; a responder may NAK it (0x01, message not supported). */
export interface CiUnsupported extends CiHeader {
  readonly kind: 'unsupported';
  readonly subId: number;
  /** Bytes after the 13-byte common header, as received. */
  readonly data: Uint8Array;
}

export type CiMessage =
  | CiDiscovery
  | CiDiscoveryReply
  | CiEndpointInfo
  | CiEndpointInfoReply
  | CiAckNak
  | CiInvalidateMuid
  | CiProfileInquiry
  | CiProfileInquiryReply
  | CiProfileChannels
  | CiProfileOnly
  | CiProfileDetailsInquiry
  | CiProfileDetailsReply
  | CiProfileSpecificData
  | CiPeCapabilities
  | CiPeMessage
  | CiUnsupported;

export type CiKind = Exclude<CiMessage['kind'], 'unsupported'>;

/** Sub-ID#2 of each message kind. */
export const CI_SUB_IDS: Readonly<Record<CiKind, number>> = {
  discovery: CiSubId.Discovery,
  'discovery-reply': CiSubId.DiscoveryReply,
  'endpoint-info': CiSubId.EndpointInfo,
  'endpoint-info-reply': CiSubId.EndpointInfoReply,
  ack: CiSubId.Ack,
  nak: CiSubId.Nak,
  'invalidate-muid': CiSubId.InvalidateMuid,
  'profile-inquiry': CiSubId.ProfileInquiry,
  'profile-inquiry-reply': CiSubId.ProfileInquiryReply,
  'profile-on': CiSubId.SetProfileOn,
  'profile-off': CiSubId.SetProfileOff,
  'profile-enabled': CiSubId.ProfileEnabled,
  'profile-disabled': CiSubId.ProfileDisabled,
  'profile-added': CiSubId.ProfileAdded,
  'profile-removed': CiSubId.ProfileRemoved,
  'profile-details-inquiry': CiSubId.ProfileDetailsInquiry,
  'profile-details-reply': CiSubId.ProfileDetailsReply,
  'profile-specific-data': CiSubId.ProfileSpecificData,
  'pe-capabilities': CiSubId.PeCapabilities,
  'pe-capabilities-reply': CiSubId.PeCapabilitiesReply,
  'pe-get': CiSubId.PeGet,
  'pe-get-reply': CiSubId.PeGetReply,
  'pe-set': CiSubId.PeSet,
  'pe-set-reply': CiSubId.PeSetReply,
  'pe-subscribe': CiSubId.PeSubscribe,
  'pe-subscribe-reply': CiSubId.PeSubscribeReply,
  'pe-notify': CiSubId.PeNotify,
};

/** Kind of each decoded sub-ID#2. */
export const CI_KINDS: ReadonlyMap<number, CiKind> = new Map(Object.entries(CI_SUB_IDS).map(([kind, id]) => [id, kind as CiKind]));

const PE_KINDS: ReadonlySet<string> = new Set<CiPeKind>([
  'pe-get',
  'pe-get-reply',
  'pe-set',
  'pe-set-reply',
  'pe-subscribe',
  'pe-subscribe-reply',
  'pe-notify',
]);

export function isPeMessage(m: CiMessage): m is CiPeMessage {
  return PE_KINDS.has(m.kind);
}
