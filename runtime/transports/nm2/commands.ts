/**
 * Network MIDI 2.0 (M2-124-UM v1.0) command codes, reason tables and the typed command objects that
 * the wire codec (wire.ts) reads and writes. Values are cross-checked across amidi2net, the MIDI 2.0
 * Workbench, Windows MIDI Services, Zephyr and pymidi2 (shared/reference/midi2.md §2).
 */

/** The 4-byte datagram signature, "MIDI". */
export const NM2_SIGNATURE = 0x4d494449;

/** Command codes of v1.0. Drafts the Workbench lists (0x22–0x25, 0x31–0x43, 0x8E, 0xF2/0xF3) are not here: they are "not supported". */
export const CommandCode = {
  Invitation: 0x01,
  InvitationWithAuth: 0x02,
  InvitationWithUserAuth: 0x03,
  Accepted: 0x10,
  Pending: 0x11,
  AuthRequired: 0x12,
  UserAuthRequired: 0x13,
  Ping: 0x20,
  PingReply: 0x21,
  RetransmitRequest: 0x80,
  RetransmitError: 0x81,
  SessionReset: 0x82,
  ResetReply: 0x83,
  Nak: 0x8f,
  Bye: 0xf0,
  ByeReply: 0xf1,
  UmpData: 0xff,
} as const;
export type CommandCode = (typeof CommandCode)[keyof typeof CommandCode];

/**
 * amidi2net sends NAK as 0x7F where every other implementation uses 0x8F; we read both as NAK and
 * send 0x8F only.
 */
export const AMIDI2NET_NAK_CODE = 0x7f;

/** Invitation capability bits (CSD byte 3). */
export const Capability = {
  Auth: 0x01,
  UserAuth: 0x02,
} as const;

/** Auth Required state (CSD byte 3): amidi2net's meaning; the Workbench swaps 1 and 2 for user auth. */
export const AuthState = {
  First: 0x00,
  Retry: 0x01,
  UserNotFound: 0x02,
} as const;

export const NakReason = {
  Other: 0x00,
  CommandNotSupported: 0x01,
  CommandNotExpected: 0x02,
  CommandMalformed: 0x03,
  BadPingReply: 0x20,
} as const;
export type NakReason = (typeof NakReason)[keyof typeof NakReason];

export const RetransmitErrorReason = {
  Unknown: 0x00,
  DataNotAvailable: 0x01,
} as const;

export const ByeReason = {
  Unknown: 0x00,
  UserTerminated: 0x01,
  PowerDown: 0x02,
  TooManyMissingUmps: 0x03,
  Timeout: 0x04,
  SessionNotEstablished: 0x05,
  NoPendingSession: 0x06,
  ProtocolError: 0x07,
  TooManySessions: 0x40,
  AuthInvitationRejected: 0x41,
  UserDidNotAccept: 0x42,
  AuthFailed: 0x43,
  UserNotFound: 0x44,
  NoMatchingAuthMethod: 0x45,
  InvitationCancelled: 0x80,
} as const;
export type ByeReason = (typeof ByeReason)[keyof typeof ByeReason];

/** Human-readable Bye reasons, for `LinkDown.message` and logs. */
export const BYE_REASON_TEXT: Readonly<Record<number, string>> = Object.freeze({
  0x00: 'unknown',
  0x01: 'user terminated',
  0x02: 'power down',
  0x03: 'too many missing UMPs',
  0x04: 'timeout',
  0x05: 'session not established',
  0x06: 'no pending session',
  0x07: 'protocol error',
  0x40: 'too many sessions',
  0x41: 'invitation with authentication rejected',
  0x42: 'user did not accept the session',
  0x43: 'authentication failed',
  0x44: 'user not found',
  0x45: 'no matching authentication method',
  0x80: 'invitation cancelled',
});

/** Text of a Bye reason code, also for codes outside the table. */
export function byeReasonText(reason: number): string {
  return BYE_REASON_TEXT[reason] ?? `reason 0x${reason.toString(16).padStart(2, '0')}`;
}

/** Most UMP words one UMP Data command carries (the payload length byte allows 255; the spec caps it). */
export const UMP_DATA_MAX_WORDS = 64;
/** Bytes of the authentication nonce and of a SHA-256 digest. */
export const NONCE_BYTES = 16;
export const DIGEST_BYTES = 32;

/** Invitation (0x01), Accepted (0x10), Pending (0x11): endpoint name + product instance id. */
export interface InvitationCommand {
  readonly type: 'invitation';
  readonly capabilities: number;
  readonly name: string;
  readonly productInstanceId: string;
}
export interface InvitationWithAuthCommand {
  readonly type: 'invitation-auth';
  readonly digest: Uint8Array;
}
export interface InvitationWithUserAuthCommand {
  readonly type: 'invitation-user-auth';
  readonly digest: Uint8Array;
  readonly username: string;
}
export interface InvitationReplyCommand {
  readonly type: 'accepted' | 'pending';
  readonly name: string;
  readonly productInstanceId: string;
}
export interface AuthRequiredCommand {
  readonly type: 'auth-required' | 'user-auth-required';
  readonly state: number;
  readonly nonce: Uint8Array;
  readonly name: string;
  readonly productInstanceId: string;
}
export interface PingCommand {
  readonly type: 'ping' | 'ping-reply';
  readonly id: number;
}
export interface RetransmitRequestCommand {
  readonly type: 'retransmit-request';
  /** First missing sequence number. */
  readonly seq: number;
  /** How many UMP Data commands from `seq`; 0 = "all from seq" in amidi2net. */
  readonly count: number;
}
export interface RetransmitErrorCommand {
  readonly type: 'retransmit-error';
  readonly reason: number;
  readonly seq: number;
}
export interface EmptyCommand {
  readonly type: 'session-reset' | 'reset-reply' | 'bye-reply';
}
export interface NakCommand {
  readonly type: 'nak';
  readonly reason: number;
  /** The header word of the command being NAK'd. */
  readonly header: number;
  readonly text: string;
}
export interface ByeCommand {
  readonly type: 'bye';
  readonly reason: number;
  readonly text: string;
}
export interface UmpDataCommand {
  readonly type: 'ump-data';
  readonly seq: number;
  /** Whole UMP packets (0..64 words). */
  readonly words: Uint32Array;
}

export type Nm2Command =
  | InvitationCommand
  | InvitationWithAuthCommand
  | InvitationWithUserAuthCommand
  | InvitationReplyCommand
  | AuthRequiredCommand
  | PingCommand
  | RetransmitRequestCommand
  | RetransmitErrorCommand
  | EmptyCommand
  | NakCommand
  | ByeCommand
  | UmpDataCommand;

/** The command code each command type is sent with. */
export const CODE_OF_TYPE = {
  invitation: CommandCode.Invitation,
  'invitation-auth': CommandCode.InvitationWithAuth,
  'invitation-user-auth': CommandCode.InvitationWithUserAuth,
  accepted: CommandCode.Accepted,
  pending: CommandCode.Pending,
  'auth-required': CommandCode.AuthRequired,
  'user-auth-required': CommandCode.UserAuthRequired,
  ping: CommandCode.Ping,
  'ping-reply': CommandCode.PingReply,
  'retransmit-request': CommandCode.RetransmitRequest,
  'retransmit-error': CommandCode.RetransmitError,
  'session-reset': CommandCode.SessionReset,
  'reset-reply': CommandCode.ResetReply,
  nak: CommandCode.Nak,
  bye: CommandCode.Bye,
  'bye-reply': CommandCode.ByeReply,
  'ump-data': CommandCode.UmpData,
} as const satisfies Record<Nm2Command['type'], CommandCode>;
