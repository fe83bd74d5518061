/**
 * Which reply a node takes for a request it is waiting on (its own, or one it forwarded as a
 * broker): only one from a peer the request was sent to, naming the request's topic, from a session
 * that may serve that topic, with a value that decodes and holds to the reply type's constraints.
 * Anyone else's reply is refused without touching the request, so a forgery cannot settle it and the
 * real reply still does.
 *
 * Kept apart from network.ts because these are verdicts on one reply frame; what to do with a
 * verdict (NACK, settle, forward) is the bus's, in `NetworkBus.onReply`.
 */
import type { Codec } from '../codec/codec.ts';
import { FrameKind } from '../lanes/index.ts';
import type { BusSession } from './bus-session.ts';
import { maskAllows } from './capabilities.ts';
import { constraintBreach } from './checks.ts';
import type { AnyTopicDescriptor } from './descriptor.ts';
import type { Incoming, Refusal } from './incoming.ts';

/** A request this node waits on a reply for. */
export interface AwaitedReply {
  readonly topic: AnyTopicDescriptor;
  /** The peers the request was sent to: only they may answer it. Filled as the request is routed. */
  readonly asked: Set<BusSession>;
}

/** An accepted reply: the decoded value of a reply (undefined for an error reply, or a topic without a reply type). */
export interface AcceptedReply {
  readonly value: unknown;
}

/** The refusal of a reply frame from `peer` for `awaited`, or the reply's value. */
export function admitReply(peer: BusSession, frame: Incoming, awaited: AwaitedReply): Refusal | AcceptedReply {
  const { topic } = awaited;
  const { header, payload } = frame.envelope;
  if (!awaited.asked.has(peer)) {
    return { reason: 'forbidden', message: `${frame.address}: the request was not sent to session ${peer.sessionId}, so it may not answer it` };
  }
  if (header.topicId !== topic.id) {
    return { reason: 'invalid-address', message: `${frame.address}: the reply names topic id ${header.topicId}, the request was on ${topic.id}` };
  }
  // Serving a topic is a typed subscription to it, which takes the topic's subscribe capability.
  if (peer.role === 'authority' && !maskAllows(peer.granted, topic.subscribe)) {
    return {
      reason: 'forbidden',
      message: `${frame.address}: session ${peer.sessionId} may not serve ${topic.address} (needs one of mask 0x${topic.subscribe.toString(16)})`,
    };
  }
  if (frame.invalid) return { reason: 'invalid-payload', message: `${frame.address}: ${frame.invalid}` };
  const codec = topic.reply as Codec<unknown> | undefined;
  if (frame.kind === FrameKind.ErrorReply || !codec) return { value: undefined };
  let value: unknown;
  try {
    value = codec.decode(payload);
  } catch (cause) {
    return { reason: 'invalid-payload', message: `${frame.address}: reply does not decode: ${(cause as Error).message}` };
  }
  const breach = constraintBreach(codec, value);
  if (breach) return { reason: 'invalid-payload', message: `${frame.address}: ${breach.message}` };
  return { value };
}
