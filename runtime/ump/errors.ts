/** Why a UMP operation failed. Every decoder and encoder in runtime/ump throws or reports only UmpError. */
export const UmpErrorCode = {
  /** The input ended inside a packet or inside a multi-packet message. */
  Truncated: 'truncated',
  /** A packet arrived out of order: Continue/End without Start, a Start while a message was open, … */
  BadSequence: 'bad-sequence',
  /** A message grew beyond the configured (or protocol) size limit. */
  TooLarge: 'too-large',
  /** A new message would exceed the limit of simultaneously open messages. */
  TooManyStreams: 'too-many-streams',
  /** An open message saw no packet for longer than the configured timeout. */
  Timeout: 'timeout',
  /** Reassembled text bytes are not valid UTF-8. */
  BadUtf8: 'bad-utf8',
  /** A field is out of range (encode) or carries a value the format forbids (decode). */
  InvalidField: 'invalid-field',
  /** The sender aborted a SysEx8 message (End packet with #bytes 0x1 or 0xF and all data zero). */
  Aborted: 'aborted',
  /** A carrier payload does not start with the midl prefix (`00 7D <sub-id>` / `F0 7D <sub-id>`). */
  BadPrefix: 'bad-prefix',
} as const;
export type UmpErrorCode = (typeof UmpErrorCode)[keyof typeof UmpErrorCode];

/** Where an error happened, as far as it is known. */
export interface UmpErrorContext {
  /** Index of the (first word of the) offending packet in the word stream. */
  readonly wordIndex?: number;
  /** The message kind affected, e.g. "sysex8". */
  readonly messageKind?: string;
  readonly group?: number;
  readonly streamId?: number;
}

export class UmpError extends Error {
  override readonly name = 'UmpError';
  readonly wordIndex: number | undefined;
  readonly messageKind: string | undefined;
  readonly group: number | undefined;
  readonly streamId: number | undefined;

  constructor(
    readonly code: UmpErrorCode,
    message: string,
    context: UmpErrorContext = {},
  ) {
    super(message);
    this.wordIndex = context.wordIndex;
    this.messageKind = context.messageKind;
    this.group = context.group;
    this.streamId = context.streamId;
  }
}

/** Throws an `invalid-field` UmpError unless `value` is an integer in [min, max]. */
export function checkRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UmpError(
      UmpErrorCode.InvalidField,
      `${name} must be an integer in ${min}..${max} (0x${min.toString(16)}..0x${max.toString(16)}), got ${String(value)}`,
    );
  }
  return value;
}

/** Throws an `invalid-field` UmpError unless `value` is a Uint8Array. */
export function checkBytes(name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new UmpError(UmpErrorCode.InvalidField, `${name} must be a Uint8Array`);
  }
  return value;
}
