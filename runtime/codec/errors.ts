/**
 * The two errors generated codecs throw. `decode` throws `DecodeError` and nothing else; `fromJSON`
 * throws `JsonDecodeError` and nothing else (docs/generated-code.md).
 */

/** Binary payload rejected: `offset` is the byte where the problem was found. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly offset: number;
  readonly reason: string;
  constructor(reason: string, offset: number) {
    super(`${reason} (at byte ${offset})`);
    this.reason = reason;
    this.offset = offset;
  }
}

/** JSON form rejected: `path` is a JSON Pointer to the offending value ('' for the root). */
export class JsonDecodeError extends Error {
  override readonly name = 'JsonDecodeError';
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`${path || '/'}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}
