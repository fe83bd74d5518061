/**
 * Typed errors of runtime/ci. Decoders return a `CiError` (never throw) for hostile input, with the byte
 * offset of the problem inside the bytes they were given; encoders throw one for values out of range
 * (a programming error of the caller, as in runtime/ump).
 */
export const CiErrorCode = {
  /** The input ended before a field or a declared length was complete. */
  Truncated: 'truncated',
  /** Not a MIDI-CI message: no universal non-real-time SysEx `7E <dev> 0D`, or F0 without F7. */
  NotCi: 'not-ci',
  /** A byte above 0x7F inside SysEx data. */
  Not7Bit: 'not-7bit',
  /** A field holds a value the format forbids (a reserved device id, a bad count, a bad header key). */
  BadField: 'bad-field',
  /** The CI message version byte is older than 1.2 (0x02); layouts before 1.2 are not decoded. */
  UnsupportedVersion: 'unsupported-version',
  /** Bytes follow the last field of a version 0x02 message. */
  TrailingBytes: 'trailing-bytes',
  /** A length or count exceeds a configured or protocol limit. */
  TooLarge: 'too-large',
  /** PE chunk arrived out of order (not the next chunk number of its request). */
  OutOfOrder: 'out-of-order',
  /** PE chunk number already received for this request. */
  DuplicateChunk: 'duplicate-chunk',
  /** PE chunks of one request disagree (numChunks, message kind, a header after the first chunk). */
  ChunkInconsistent: 'chunk-inconsistent',
  /** A new PE request would exceed the maximum number of open requests. */
  TooManyOpen: 'too-many-open',
  /** A partial PE request saw no chunk before its deadline. */
  Timeout: 'timeout',
  /** PE header or body JSON does not parse, or a body does not decode in its encoding. */
  BadBody: 'bad-body',
} as const;
export type CiErrorCode = (typeof CiErrorCode)[keyof typeof CiErrorCode];

export class CiError extends Error {
  override readonly name = 'CiError';

  constructor(
    readonly code: CiErrorCode,
    message: string,
    /** Byte offset of the problem in the decoded input; undefined for encode and reassembly errors. */
    readonly offset?: number,
    /** Reassembly key (`<source MUID>:<request id>`) of the PE request affected, when there is one. */
    readonly key?: string,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}

/** Throws a `bad-field` CiError unless `value` is an integer in [min, max]. */
export function checkInt(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CiError(
      CiErrorCode.BadField,
      `${name} must be an integer in ${min}..${max} (0x${min.toString(16)}..0x${max.toString(16)}), got ${String(value)}`,
    );
  }
  return value;
}

/** Throws a `bad-field` CiError unless `value` is a Uint8Array of 7-bit bytes (of `length` bytes, when given). */
export function check7BitBytes(name: string, value: Uint8Array, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CiError(CiErrorCode.BadField, `${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) throw new CiError(CiErrorCode.BadField, `${name} must have ${length} bytes, got ${value.length}`);
  for (let i = 0; i < value.length; i++) {
    if (value[i]! > 0x7f) throw new CiError(CiErrorCode.BadField, `${name}: byte ${i} is 0x${value[i]!.toString(16)}; SysEx data is 7-bit (0x00..0x7F)`);
  }
  return value;
}
