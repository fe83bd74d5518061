/**
 * The topics a network node knows, found the way a received frame names them: by wire topic id, by
 * intent address (intents all travel on `INTENT_TOPIC_ID`), or by a reply address. Kept apart from
 * network.ts because the receiving checks, the flex-lane conversion and the subscription relay all
 * look topics up the same way, and none of them needs the rest of the bus to do it.
 */
import { compilePattern, type AddressPattern } from './address.ts';
import type { AnyIntentDescriptor, AnyTopicDescriptor } from './descriptor.ts';

/** Topic id carried by intent invocations (the intent is named by the address `intent/<name>`). */
export const INTENT_TOPIC_ID = 0xffff_ffff;

/** Compiled address pattern of each topic (matching happens per message). */
const topicPatterns = new WeakMap<AnyTopicDescriptor, AddressPattern>();
export function patternOf(topic: AnyTopicDescriptor): AddressPattern {
  let p = topicPatterns.get(topic);
  if (!p) topicPatterns.set(topic, (p = compilePattern(topic.address)));
  return p;
}

export class TopicTable {
  readonly byId = new Map<number, AnyTopicDescriptor>();
  private readonly intents = new Map<string, AnyTopicDescriptor>();

  constructor(topics: readonly AnyTopicDescriptor[], intents: readonly AnyIntentDescriptor[]) {
    for (const t of topics) this.byId.set(t.id, t);
    for (const i of intents) this.intents.set(`intent/${i.name}`, intentTopic(i));
  }

  /** The topic an intent travels on (this node's registered copy when it has one). */
  intent(intent: AnyIntentDescriptor): AnyTopicDescriptor {
    return this.intents.get(`intent/${intent.name}`) ?? intentTopic(intent);
  }

  /** The topic of a publish or request frame: by id, or by address for an intent. */
  forMessage(topicId: number, address: string): AnyTopicDescriptor | undefined {
    return topicId === INTENT_TOPIC_ID ? this.intents.get(address) : this.byId.get(topicId);
  }

  /** The topic of a reply frame: by id, or by the intent address its reply address extends. */
  forReply(topicId: number, address: string): AnyTopicDescriptor | undefined {
    return this.byId.get(topicId) ?? this.intents.get(address.replace(/\/reply\/[0-9]+$/, ''));
  }
}

/** An intent as the topic it travels on: `intent/<name>`, request/reply, at-least-once. */
function intentTopic(intent: AnyIntentDescriptor): AnyTopicDescriptor {
  return Object.freeze({
    kind: 'topic' as const,
    address: `intent/${intent.name}`,
    id: INTENT_TOPIC_ID,
    params: Object.freeze([]),
    package: intent.package,
    version: intent.version,
    payload: intent.body,
    reply: intent.reply,
    qos: 'at_least_once' as const,
    budget: Object.freeze({}),
    publish: 0n,
    subscribe: 0n,
    errors: intent.errors,
    lane: 'flex' as const,
    maxPayload: 1024 * 1024,
    stream: false,
    toolName: intent.toolName,
  });
}
