import type { Codec, ValidationIssue } from '../codec/codec.ts';
import { parseJsonStrict } from '../codec/strict-json.ts';
import { maskAllows } from './capabilities.ts';
import type { Delivery, Handler, Responder } from './bus.ts';
import type { AnyTopicDescriptor, ErrorSetDescriptor, TopicDescriptor } from './descriptor.ts';
import { BusError, RemoteError, type RemoteErrorInfo } from './errors.ts';

/**
 * The checks every Bus implementation makes the same way: outgoing values (validate → encode → size),
 * capability masks on publish and subscribe, and how a failed responder is answered.
 */

/**
 * How `value` breaks the schema's constraints for `codec` (max, maxLength, pattern, …): the message
 * names the first field and why, the issues are all of them; undefined when the value holds to them.
 * The one check of values both ways: before a value is sent (`encodeChecked`) and after one is received.
 */
export function constraintBreach(codec: Codec<unknown>, value: unknown): { readonly message: string; readonly issues: readonly ValidationIssue[] } | undefined {
  const v = codec.validate(value);
  if (v.ok) return undefined;
  const first = v.errors[0];
  return { message: `invalid ${codec.typeName}${first ? `: ${first.path || '/'} ${first.message}` : ''}`, issues: v.errors };
}

/** validate → encode → size check; throws `invalid-payload` or `too-large`. */
export function encodeChecked<T>(codec: Codec<T>, value: T, address: string, limit: number): Uint8Array {
  const breach = constraintBreach(codec, value);
  if (breach) throw new BusError('invalid-payload', `${address}: ${breach.message}`, { address, issues: breach.issues });
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(value);
  } catch (cause) {
    throw new BusError('invalid-payload', `${address}: ${codec.typeName} does not encode: ${(cause as Error).message}`, { address, cause });
  }
  if (bytes.length > limit)
    throw new BusError('too-large', `${address}: ${bytes.length} bytes exceed maxPayload ${limit}`, { address, size: bytes.length, limit });
  return bytes;
}

/** Throws `forbidden` unless `granted` holds one of the topic's publish (or subscribe) capabilities. */
export function assertAllowed(granted: bigint, topic: AnyTopicDescriptor, operation: 'publish' | 'subscribe', address: string, who: string): void {
  const required = topic[operation];
  if (maskAllows(granted, required)) return;
  throw new BusError('forbidden', `${address}: ${who} may not ${operation} (needs one of mask 0x${required.toString(16)})`, { address, required, granted });
}

/** What a failed responder answers: its RemoteError as a member of the error set, anything else as INTERNAL. */
export function remoteInfo(err: unknown, set: ErrorSetDescriptor | undefined): RemoteErrorInfo {
  if (err instanceof RemoteError) {
    const code = set && Object.prototype.hasOwnProperty.call(set.codes, err.errorName) ? set.codes[err.errorName]! : 0;
    let message = err.message !== err.errorName ? err.message : (set?.messages[err.errorName] ?? err.errorName);
    const extra: { detail?: unknown; retryAfterMs?: number } = {};
    if (err.detail !== undefined) {
      const problem = jsonDetailProblem(err.detail);
      if (problem) message += ` (its detail was dropped: ${problem})`;
      else extra.detail = err.detail;
    }
    if (err.retryAfterMs !== undefined && Number.isFinite(err.retryAfterMs) && err.retryAfterMs >= 0) extra.retryAfterMs = err.retryAfterMs;
    return { name: err.errorName, code, message, ...extra };
  }
  return { name: 'INTERNAL', code: 0, message: err instanceof Error ? err.message : String(err) };
}

/**
 * How deep an error reply's JSON may nest: the reply object, its detail and three levels inside
 * (a list of diagnostics, each an object of scalars, needs two).
 */
export const ERROR_REPLY_MAX_DEPTH = 6;

/** Why `detail` cannot travel in an error reply (not JSON, nested too deep), or undefined when it can. */
function jsonDetailProblem(detail: unknown): string | undefined {
  let text: unknown;
  try {
    // Not a string for a function or a symbol, which JSON.stringify's type does not say.
    text = JSON.stringify(detail);
  } catch (err) {
    return `not JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof text !== 'string') return 'not JSON';
  try {
    parseJsonStrict(`{"detail":${text}}`, ERROR_REPLY_MAX_DEPTH);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return undefined;
}

/** The BusError a requester sees for an error reply. */
export function remoteError(address: string, info: RemoteErrorInfo): BusError {
  if (info.name === NO_RESPONDER) return new BusError('no-responder', `${address}: nobody serves this topic`, { address });
  if (info.name === INVALID_REPLY) return new BusError('invalid-payload', `${address}: ${info.message}`, { address });
  return new BusError('remote', `${address}: ${info.name}: ${info.message}`, {
    address,
    remote: info,
    ...(info.retryAfterMs === undefined ? {} : { retryAfterMs: info.retryAfterMs }),
  });
}

/**
 * The error info an error reply's payload carries (JSON `{name, code, message, detail?, retryAfterMs?}`);
 * INTERNAL when unreadable.
 */
export function parseRemote(payload: Uint8Array): RemoteErrorInfo {
  let parsed: unknown;
  try {
    // From the far side: strict, and bounded in depth.
    parsed = parseJsonStrict(new TextDecoder().decode(payload), ERROR_REPLY_MAX_DEPTH);
  } catch {
    return { name: 'INTERNAL', code: 0, message: 'unreadable error reply' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { name: 'INTERNAL', code: 0, message: 'unreadable error reply' };
  const v = parsed as Partial<Record<keyof RemoteErrorInfo, unknown>>;
  const retryAfterMs = typeof v.retryAfterMs === 'number' && Number.isFinite(v.retryAfterMs) && v.retryAfterMs >= 0 ? v.retryAfterMs : undefined;
  return {
    name: typeof v.name === 'string' ? v.name : 'INTERNAL',
    code: typeof v.code === 'number' ? v.code : 0,
    message: typeof v.message === 'string' ? v.message : '',
    ...(v.detail === undefined ? {} : { detail: v.detail }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** Error-reply name a node answers with when a request reaches it and nobody serves the topic. */
export const NO_RESPONDER = 'NO_RESPONDER';

/**
 * Error-reply name a broker answers with when the reply it was to forward breaks the reply type (it
 * refused the reply, so the requester hears why at once instead of timing out).
 */
export const INVALID_REPLY = 'INVALID_REPLY';

/** Where a reply to `request` goes and its codec; throws when the delivery is no request or the topic has no reply. */
export function replyTarget<R>(request: Delivery<unknown, string, R>): { readonly replyTo: string; readonly codec: Codec<R> } {
  const { topic, replyTo } = request;
  if (!replyTo) throw new BusError('invalid-address', `${request.address}: the delivery is not a request (no replyTo)`, { address: request.address });
  if (!topic.reply) throw new BusError('invalid-payload', `${topic.address} has no reply type`, { address: replyTo });
  return { replyTo, codec: topic.reply };
}

/**
 * The handler `serve` subscribes with: runs the responder and answers the request with its value, or
 * with an error of the topic's set when it throws. When the reply itself is unusable the requester
 * hears INTERNAL at once instead of timing out.
 */
export function responderHandler<P, R, K extends string>(
  topic: TopicDescriptor<P, R, K>,
  responder: Responder<P, R, K>,
  answer: {
    reply(delivery: Delivery<P, K, R>, value: R): Promise<void>;
    error(replyTo: string, delivery: Delivery<P, K, R>, info: RemoteErrorInfo): void | Promise<void>;
  },
): Handler<P, K, R> {
  return async (value, delivery) => {
    let reply: R;
    try {
      reply = await responder(value, delivery);
    } catch (err) {
      if (delivery.replyTo) await answer.error(delivery.replyTo, delivery, remoteInfo(err, topic.errors));
      if (!(err instanceof RemoteError)) throw err;
      return;
    }
    if (!delivery.replyTo) return;
    try {
      await answer.reply(delivery, reply);
    } catch (err) {
      // The bus closed under the reply: nobody is left to tell.
      if (err instanceof BusError && err.code === 'closed') return;
      // A reply that cannot be sent as it is: the requester hears INTERNAL at once instead of timing out.
      if (err instanceof BusError && (err.code === 'invalid-payload' || err.code === 'too-large')) {
        await answer.error(delivery.replyTo, delivery, { name: 'INTERNAL', code: 0, message: `invalid reply: ${err.message}` });
      }
      throw err;
    }
  };
}
