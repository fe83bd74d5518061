/**
 * Typed errors of the Bus. Every failure a Bus reports (a rejected promise, a throw from `subscribe`, a
 * value passed to `onError`) is a `BusError` whose `code` says what went wrong; match on the code,
 * never on the message.
 */
export const BUS_ERROR_CODES = [
  /** The session's capability mask lacks every capability the topic requires for this operation. */
  'forbidden',
  /** No reply arrived within the request's timeout. */
  'timeout',
  /** The bus cannot take more right now; retry after `retryAfterMs`. */
  'backpressure',
  /** The encoded payload is larger than the topic's (or session's) `maxPayload`; nothing was sent. */
  'too-large',
  /** A request found nobody serving the topic or intent. */
  'no-responder',
  /**
   * The value failed `codec.validate` (outgoing), or the receiver refused it: bytes that do not decode, a
   * value breaking the schema's constraints, an envelope claiming to be a chunk; for a request, also a
   * reply that breaks the reply type.
   */
  'invalid-payload',
  /** An address parameter or a subscription pattern is malformed, or a required parameter is missing. */
  'invalid-address',
  /** The responder answered with an error of the topic's error set (see `remote`). */
  'remote',
  /** The bus was closed. */
  'closed',
  /**
   * A message needing acknowledgement (at-least-once, exactly-once) was not acknowledged after every
   * retry, its session ended (or had ended when it was published), or the receiver's handler that
   * acknowledges only after its work (`ackAfterHandler`) failed.
   */
  'undelivered',
  /** The receiver refused the message: its timestamp is older than the receiver's age limit (or too far in the future). */
  'stale',
  /** The receiver refused the message as a replay: a correlation id reused in the session, or a frame outside any session. */
  'replay',
  /** An option given to make a bus breaks its constraint (say, a node name the telemetry schema refuses); nothing was made. */
  'invalid-option',
  /**
   * The receiver refused because a per-session limit of its own was reached (subscriptions, requests
   * awaiting a reply at a broker): nothing was taken; withdraw something (or wait for replies) first.
   */
  'limit',
] as const;
export type BusErrorCode = (typeof BUS_ERROR_CODES)[number];

/** An error answered by a responder: a member of the topic's or intent's error set. */
export interface RemoteErrorInfo {
  /** Member name, e.g. `COMPILE_FAILED`; `INTERNAL` when the responder failed outside its error set. */
  readonly name: string;
  /** Numeric code from the error set (0 for `INTERNAL` or a name outside the set). */
  readonly code: number;
  readonly message: string;
  /**
   * Machine-readable context the responder attached (a JSON value: the offending field, limits, a
   * compiler's diagnostics…); absent when it attached none.
   */
  readonly detail?: unknown;
  /** When set, the operation may succeed if retried after this many milliseconds. */
  readonly retryAfterMs?: number;
}

export interface BusErrorDetails {
  /** Address (concrete, pattern or intent name) the operation was about. */
  readonly address?: string;
  /** For `backpressure`: how long to wait before retrying. */
  readonly retryAfterMs?: number;
  /** For `too-large`: encoded size and the limit it broke. */
  readonly size?: number;
  readonly limit?: number;
  /** For `forbidden`: the mask that would have been needed (any one of its bits) and the session's mask. */
  readonly required?: bigint;
  readonly granted?: bigint;
  /** For `invalid-payload`: the validation issues or the decode error. */
  readonly issues?: readonly { readonly path: string; readonly message: string }[];
  /** For `timeout`: the timeout that expired. */
  readonly timeoutMs?: number;
  /** For `remote`: what the responder answered. */
  readonly remote?: RemoteErrorInfo;
  readonly cause?: unknown;
}

export class BusError extends Error {
  override readonly name = 'BusError';
  readonly code: BusErrorCode;
  readonly address: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly size: number | undefined;
  readonly limit: number | undefined;
  readonly required: bigint | undefined;
  readonly granted: bigint | undefined;
  readonly issues: readonly { readonly path: string; readonly message: string }[] | undefined;
  readonly timeoutMs: number | undefined;
  readonly remote: RemoteErrorInfo | undefined;

  constructor(code: BusErrorCode, message: string, details: BusErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.address = details.address;
    this.retryAfterMs = details.retryAfterMs;
    this.size = details.size;
    this.limit = details.limit;
    this.required = details.required;
    this.granted = details.granted;
    this.issues = details.issues;
    this.timeoutMs = details.timeoutMs;
    this.remote = details.remote;
  }
}

/** True when `err` is a BusError, optionally with the given code. */
export function isBusError(err: unknown, code?: BusErrorCode): err is BusError {
  return err instanceof BusError && (code === undefined || err.code === code);
}

export interface RemoteErrorOptions {
  /** Machine-readable context for the requester: any JSON value (it travels as JSON). */
  readonly detail?: unknown;
  /** Tells the requester it may retry after this many milliseconds. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/**
 * Thrown by a responder (`serve` handler) to answer with a member of the topic's error set; the
 * requester's promise rejects with a `BusError` of code `remote` carrying `{ name, code, message }` and,
 * when given, the `detail` and `retryAfterMs` of `options`.
 */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  readonly detail: unknown;
  readonly retryAfterMs: number | undefined;
  constructor(
    /** Member name of the topic's error set, e.g. `COMPILE_FAILED`. */
    readonly errorName: string,
    message?: string,
    options: RemoteErrorOptions = {},
  ) {
    super(message ?? errorName, options.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options.detail;
    this.retryAfterMs = options.retryAfterMs;
  }
}
