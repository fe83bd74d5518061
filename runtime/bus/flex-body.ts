/**
 * A flex-lane message's JSON body ↔ the binary payload the rest of the bus handles, through the
 * topic's codec, both ways. flex-frame.ts is the wire text and knows no codecs; this is the step
 * between it and the bus, kept out of network.ts so that routing only ever sees binary payloads.
 */
import type { Codec } from '../codec/codec.ts';
import type { JsonValue } from '../codec/index.ts';
import { parseRemote } from './checks.ts';
import type { AnyTopicDescriptor } from './descriptor.ts';
import type { FlexFrame } from '../lanes/index.ts';
import { FrameKind } from '../lanes/index.ts';
import type { Incoming } from './incoming.ts';
import type { TopicTable } from './topic-table.ts';

/** What of an outgoing message its JSON body is made from. */
export interface OutgoingBody {
  readonly kind: FrameKind;
  readonly topic: AnyTopicDescriptor;
  readonly payload: Uint8Array;
  /** The payload's value when at hand: spares a decode. */
  readonly value?: unknown;
}

/** The JSON form of a message's payload, for the flex lane (the inverse of `fromFlex`). */
export function jsonBody(msg: OutgoingBody): JsonValue {
  const { kind, topic, payload } = msg;
  // parseRemote's detail is a value it parsed from JSON, so the whole object is JSON.
  if (kind === FrameKind.ErrorReply) return { ...parseRemote(payload) } as JsonValue;
  const codec = kind === FrameKind.Reply ? topic.reply : topic.payload;
  if (!codec || (kind === FrameKind.Reply && payload.length === 0)) return null;
  return codec.toJSON(kind !== FrameKind.Reply && msg.value !== undefined ? msg.value : codec.decode(payload));
}

/**
 * A flex-lane frame as a data frame: the JSON body goes through the topic's codec (fromJSON, then
 * encode), so everything after this point sees binary payloads. A body the codec refuses marks the
 * frame invalid; onData refuses it once the session checks have passed.
 */
export function fromFlex(topics: TopicTable, f: FlexFrame): Incoming {
  const { kind, header, address, body } = f;
  const topic =
    kind === FrameKind.Reply || kind === FrameKind.ErrorReply ? topics.forReply(header.topicId, address) : topics.forMessage(header.topicId, address);
  let payload: Uint8Array = new Uint8Array(0);
  let invalid: string | undefined;
  let value: unknown;
  try {
    if (kind === FrameKind.ErrorReply) payload = new TextEncoder().encode(JSON.stringify(body));
    else {
      const codec = kind === FrameKind.Reply ? topic?.reply : topic?.payload;
      if (codec && body !== null) {
        const v: unknown = codec.fromJSON(body);
        payload = (codec as Codec<unknown>).encode(v);
        if (kind !== FrameKind.Reply) value = v;
      } else if (codec && kind !== FrameKind.Reply) invalid = 'the body is null';
    }
  } catch (err) {
    invalid = `the body is not a valid ${topic?.address ?? 'payload'} value: ${(err as Error).message}`;
  }
  return { kind, flags: f.flags, seq: f.seq, address, envelope: { header, payload }, invalid, value };
}
