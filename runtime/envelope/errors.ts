/**
 * Typed errors of the envelope layer. Every decoder and reassembler in runtime/envelope reports
 * failures as an `EnvelopeError` with a stable `code`, so a receiver can count, quarantine and
 * reply without parsing messages.
 */

export const EnvelopeErrorCode = {
  /** Input ended before a field or the declared payload was complete. */
  Truncated: 'truncated',
  /** A carrier message does not carry a midl envelope at all (e.g. SysEx8 data without the `00 7D 01` prefix). */
  MissingEnvelope: 'missing-envelope',
  /** First byte is not the midl envelope magic. */
  BadMagic: 'bad-magic',
  /** Format version byte (binary) or `v` (JSON) is not one this build understands. */
  UnsupportedVersion: 'unsupported-version',
  /** A field is out of range, of the wrong type, missing, unknown or reserved bits are set. */
  BadField: 'bad-field',
  /** Bytes follow the declared payload. */
  TrailingBytes: 'trailing-bytes',
  /** CRC32 of a reassembled payload does not match the CRC32 in its chunks. */
  CrcMismatch: 'crc-mismatch',
  /** A length exceeds a configured limit (payload, message, text, buffered bytes, fragments). */
  TooLarge: 'too-large',
  /** Chunk or fragment index is not below its total. */
  ChunkOutOfRange: 'chunk-out-of-range',
  /** Chunks/fragments of one message disagree (total, size, CRC, header fields, or bytes of a repeated index). */
  ChunkInconsistent: 'chunk-inconsistent',
  /** A partial message was not completed before its deadline. */
  Timeout: 'timeout',
  /** A new partial message would exceed the maximum number of open partial messages. */
  TooManyOpen: 'too-many-open',
  /** JSON text is not valid UTF-8. */
  BadUtf8: 'bad-utf8',
  /** JSON text does not parse. */
  BadJson: 'bad-json',
  /** JSON nesting is deeper than the configured limit (or a value to serialise is cyclic). */
  TooDeep: 'too-deep',
  /** An object key that is never accepted: `__proto__`, `constructor`, `prototype`. */
  ForbiddenKey: 'forbidden-key',
  /** The same key appears twice in one JSON object (parsers disagree on which one wins). */
  DuplicateKey: 'duplicate-key',
} as const;

export type EnvelopeErrorCode = (typeof EnvelopeErrorCode)[keyof typeof EnvelopeErrorCode];

export const ENVELOPE_ERROR_CODES: readonly EnvelopeErrorCode[] = Object.freeze(Object.values(EnvelopeErrorCode));

export interface EnvelopeErrorDetails {
  /** Byte offset (binary input) or UTF-16 index (JSON text) where the problem was found; null when none applies. */
  readonly offset?: number | null;
  /** JSON path of the offending field, e.g. `$.frag.i`; null for binary input. */
  readonly path?: string | null;
  /** Reassembly key of the message concerned, if any. */
  readonly key?: string | null;
}

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  readonly code: EnvelopeErrorCode;
  /** Human-readable reason, without the code prefix. */
  readonly reason: string;
  readonly offset: number | null;
  readonly path: string | null;
  readonly key: string | null;

  constructor(code: EnvelopeErrorCode, reason: string, details: EnvelopeErrorDetails = {}) {
    const where = details.path ? ` at ${details.path}` : details.offset != null ? ` at offset ${details.offset}` : '';
    super(`${code}: ${reason}${where}`);
    this.code = code;
    this.reason = reason;
    this.offset = details.offset ?? null;
    this.path = details.path ?? null;
    this.key = details.key ?? null;
  }
}

/** A parse outcome for hostile text input: never throws, always says why. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: EnvelopeError };

export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function fail<T>(error: EnvelopeError): ParseResult<T> {
  return { ok: false, error };
}
