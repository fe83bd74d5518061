/**
 * The checks a received data frame passes before the bus acts on it, as functions that return the
 * refusal (a NACK reason and message) or the accepted message: a session must be established and
 * (authority side) the frame's session id must be the link's; timestamps older than `maxAgeMs` (or
 * further ahead than `maxSkewMs`) are `stale`; then the topic and address must be known, the sender
 * must hold the topic's publish capability, a request must not reuse a correlation id (`replay`),
 * the payload must fit, decode and hold to the schema's constraints, and the envelope must not claim
 * to be a chunk (a frame carries its whole message). Replies have checks of their own (replies.ts).
 * (Duplicates by seq are the peer session's: `peer.inbox.accept`.)
 *
 * Kept apart from network.ts because these are verdicts on one frame; what to do with a verdict
 * (NACK, count, route, ACK) is the bus's, in `NetworkBus.onData`.
 */
import type { Codec } from '../codec/codec.ts';
import type { EnvelopeHeader } from '../envelope/index.ts';
import { matchAddress } from './address.ts';
import { maskAllows } from './capabilities.ts';
import { constraintBreach } from './checks.ts';
import type { NackReason } from '../lanes/index.ts';
import type { AnyTopicDescriptor } from './descriptor.ts';
import { FrameKind, type DataFrame } from '../lanes/index.ts';
import type { BusSession } from './bus-session.ts';
import { patternOf, type TopicTable } from './topic-table.ts';

const QOS_NAMES: readonly string[] = ['at_most_once', 'at_least_once', 'exactly_once'];

/** A received data frame as onData takes it: from a flex frame it may carry its decoded value, or why its body was refused. */
export type Incoming = DataFrame & { readonly invalid?: string | undefined; readonly value?: unknown };

export interface Refusal {
  readonly reason: NackReason;
  readonly message: string;
}

export interface Accepted {
  readonly topic: AnyTopicDescriptor;
  readonly value: unknown;
}

/** Why a frame cannot belong to `peer`'s session (always refused as `replay`), or undefined. */
export function sessionRefusal(peer: BusSession, header: EnvelopeHeader): string | undefined {
  // Frames outside a session (a replayed capture, a peer that skipped HELLO) are never delivered.
  if (peer.state !== 'established') return 'no session is established on this link';
  if (peer.role === 'authority' && header.sessionId !== peer.sessionId) return `session id ${header.sessionId} is not this link's session ${peer.sessionId}`;
  return undefined;
}

/** A timestamp older than `maxAgeUs` or further ahead than `maxSkewUs` of `nowUs` is `stale`. */
export function staleRefusal(timestampUs: bigint, nowUs: bigint, maxAgeUs: bigint, maxSkewUs: bigint): Refusal | undefined {
  if (timestampUs + maxAgeUs < nowUs)
    return { reason: 'stale', message: `timestamp is ${(nowUs - timestampUs) / 1000n} ms old (limit ${maxAgeUs / 1000n} ms)` };
  if (timestampUs > nowUs + maxSkewUs) return { reason: 'stale', message: `timestamp is ${(timestampUs - nowUs) / 1000n} ms in the future` };
  return undefined;
}

/** Authority: correlation ids of requests seen per session, so a reused one is refused as `replay`. */
export class CorrLedger {
  private readonly seen = new Map<BusSession, Map<bigint, bigint>>();

  /** Records `corr` as used by message `seq`; the message that used it first when that was another. */
  use(peer: BusSession, corr: bigint, seq: bigint): bigint | undefined {
    let seen = this.seen.get(peer);
    if (!seen) this.seen.set(peer, (seen = new Map<bigint, bigint>()));
    const first = seen.get(corr);
    if (first !== undefined && first !== seq) return first;
    if (seen.size >= 65_536) seen.delete(seen.keys().next().value!);
    seen.set(corr, seq);
    return undefined;
  }

  forget(peer: BusSession): void {
    this.seen.delete(peer);
  }
}

/**
 * The checks of a publish or request frame from an established session: known topic, an address of
 * it, the sender's publish capability (authority side), correlation-id reuse (authority side), size,
 * and a body that decodes. Returns the refusal, or the topic and the decoded value.
 */
export function admit(peer: BusSession, frame: Incoming, topics: TopicTable, maxPayload: number, corrs: CorrLedger): Refusal | Accepted {
  const { header, payload } = frame.envelope;
  const topic = topics.forMessage(header.topicId, frame.address);
  if (!topic) return { reason: 'invalid-address', message: `unknown topic id ${header.topicId}` };
  if (!matchAddress(patternOf(topic), frame.address)) return { reason: 'invalid-address', message: `${frame.address} is not an address of ${topic.address}` };
  if (peer.role === 'authority' && !maskAllows(peer.granted, topic.publish)) {
    return { reason: 'forbidden', message: `${frame.address}: session ${peer.sessionId} may not publish (needs one of mask 0x${topic.publish.toString(16)})` };
  }
  if (peer.role === 'authority' && peer.allowedQos !== undefined && !peer.allowedQos.has(header.qos)) {
    return {
      reason: 'forbidden',
      message: `${frame.address}: session ${peer.sessionId} may not send with QoS ${QOS_NAMES[header.qos] ?? header.qos} (its grant allows ${[...peer.allowedQos].map((q) => QOS_NAMES[q] ?? q).join(', ') || 'none'})`,
    };
  }
  if (frame.kind === FrameKind.Request && peer.role === 'authority') {
    const first = corrs.use(peer, header.corrId, frame.seq);
    if (first !== undefined) return { reason: 'replay', message: `correlation id ${header.corrId} was already used by message ${first}` };
  }
  // The session's own limit too: a grant may bound it below what this node takes from others.
  const limit = Math.min(topic.maxPayload, maxPayload, peer.role === 'authority' ? peer.maxPayload : Number.POSITIVE_INFINITY);
  if (payload.length > limit) return { reason: 'too-large', message: `${payload.length} bytes exceed maxPayload ${limit}` };
  if (frame.invalid) return { reason: 'invalid-payload', message: frame.invalid };
  let value = frame.value;
  if (value === undefined) {
    try {
      value = topic.payload.decode(payload);
    } catch (cause) {
      return { reason: 'invalid-payload', message: `payload does not decode: ${(cause as Error).message}` };
    }
  }
  // Decoding checks the shape only; a handler must never see a value the sender's own check would have refused.
  const breach = constraintBreach(topic.payload as Codec<unknown>, value);
  if (breach) return { reason: 'invalid-payload', message: `${frame.address}: ${breach.message}` };
  return { topic, value };
}

/**
 * A data frame carries its whole message (the UMP reassembler joins a frame of any size up to the
 * session's limit, under the frame's CRC-32), so no bus sender ever puts a chunk block in its
 * envelope. One that does claims to be part of a message the frame does not hold: delivering its
 * payload as the message would deliver a fragment, so it is refused, whatever its index, total or CRC.
 */
export function chunkRefusal(address: string, header: EnvelopeHeader): Refusal | undefined {
  const c = header.chunk;
  if (c === undefined) return undefined;
  return {
    reason: 'invalid-payload',
    message: `${address}: the envelope claims to be chunk ${c.index} of ${c.total} (${c.size} bytes); a data frame must carry its whole message`,
  };
}
