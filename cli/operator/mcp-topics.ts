/**
 * Topics that only report, read as MCP resources (`midl://<address>`): the first read of an address
 * subscribes to it on the bus and returns what has arrived by then (usually nothing yet); later reads
 * return the latest messages seen since, oldest first. Bounded: a few messages per address, a few
 * addresses watched at once (the least recently read one stops being watched to make room).
 */
import { compilePattern, maskAllows, matchAddress, type AnyTopicDescriptor, type Bus, type JsonValue, type Subscription } from '../../runtime/index.ts';
import { McpUnknownName, type McpResource, type McpResourceContents, type McpResourceTemplate } from '../../services/index.ts';
import type { LoadedSchema } from '../schema-runtime.ts';

export const TOPIC_URI_PREFIX = 'midl://';

export interface TopicWatchLimits {
  /** Messages kept per address (16). */
  readonly messages?: number;
  /** Addresses watched at once (32). */
  readonly addresses?: number;
}

interface Received {
  readonly messages: { readonly address: string; readonly publishedAt: string; readonly value: JsonValue }[];
  /** Messages that arrived in all, kept or not. */
  seen: number;
}

interface Watch {
  readonly bus: Bus;
  readonly subscription: Subscription;
  readonly since: Date;
  readonly received: Received;
}

interface ReadableTopic {
  readonly topic: AnyTopicDescriptor;
  readonly listed: McpResource | McpResourceTemplate;
}

export class TopicResources {
  private readonly byAddress = new Map<string, ReadableTopic>();
  private readonly templates: ReadableTopic[] = [];
  /** Watched addresses, least recently read first. */
  private readonly watches = new Map<string, Watch>();
  private readonly maxMessages: number;
  private readonly maxAddresses: number;

  constructor(
    schema: Pick<LoadedSchema, 'topics'>,
    resources: readonly McpResource[],
    templates: readonly McpResourceTemplate[],
    private readonly onError: (error: unknown, address: string) => void,
    limits: TopicWatchLimits = {},
  ) {
    this.maxMessages = limits.messages ?? 16;
    this.maxAddresses = limits.addresses ?? 32;
    const topicOf = (uri: string): AnyTopicDescriptor => {
      const topic = schema.topics.find((t) => TOPIC_URI_PREFIX + t.address === uri);
      if (!topic) throw new Error(`resource ${uri}: no topic of the loaded schema has this address`);
      return topic;
    };
    for (const r of resources) this.byAddress.set(r.uri.slice(TOPIC_URI_PREFIX.length), { topic: topicOf(r.uri), listed: r });
    for (const t of templates) this.templates.push({ topic: topicOf(t.uriTemplate), listed: t });
  }

  /** The listed resources and templates a session granted `granted` may subscribe to (all of them before a session). */
  listed(granted: bigint | undefined): { resources: McpResource[]; resourceTemplates: McpResourceTemplate[] } {
    const allowed = (r: ReadableTopic) => granted === undefined || maskAllows(granted, r.topic.subscribe);
    return {
      resources: [...this.byAddress.values()].filter(allowed).map((r) => r.listed as McpResource),
      resourceTemplates: this.templates.filter(allowed).map((r) => r.listed as McpResourceTemplate),
    };
  }

  handles(uri: string): boolean {
    return uri.startsWith(TOPIC_URI_PREFIX);
  }

  /** Reads `uri` on `bus`, subscribing first if the address is not watched there yet (waiting at most `readyMs` for the peer's ack). */
  async read(uri: string, bus: Bus, readyMs: number): Promise<McpResourceContents> {
    const address = uri.slice(TOPIC_URI_PREFIX.length);
    const found = this.resolve(address);
    if (!found) throw new McpUnknownName(`no topic resource has the URI ${uri} (resources/list and resources/templates/list give them)`);
    let watch = this.watches.get(address);
    if (watch && watch.bus !== bus) {
      this.stop(address);
      watch = undefined;
    }
    if (!watch) watch = await this.watch(address, found.topic, found.params, bus, readyMs);
    // Most recently read last: the first entry is the one to evict.
    this.watches.delete(address);
    this.watches.set(address, watch);
    const body = {
      address,
      watchingSince: watch.since.toISOString(),
      received: watch.received.seen,
      messages: watch.received.messages,
    };
    return [{ uri, mimeType: 'application/json', text: `${JSON.stringify(body, null, 2)}\n` }];
  }

  private resolve(address: string): { topic: AnyTopicDescriptor; params: Record<string, string> } | undefined {
    const fixed = this.byAddress.get(address);
    if (fixed) return { topic: fixed.topic, params: {} };
    for (const t of this.templates) {
      const params = matchAddress(compilePattern(t.topic.address), address);
      if (params) return { topic: t.topic, params: { ...params } };
    }
    return undefined;
  }

  private async watch(address: string, topic: AnyTopicDescriptor, params: Record<string, string>, bus: Bus, readyMs: number): Promise<Watch> {
    while (this.watches.size >= this.maxAddresses) this.stop(this.watches.keys().next().value!);
    const received: Received = { messages: [], seen: 0 };
    const { messages } = received;
    const subscription = bus.subscribe(
      topic,
      (value, delivery) => {
        received.seen++;
        messages.push({
          address: delivery.address,
          publishedAt: new Date(Number(delivery.timestampUs / 1000n)).toISOString(),
          value: topic.payload.toJSON(value),
        });
        if (messages.length > this.maxMessages) messages.shift();
      },
      { params },
    );
    const watch: Watch = { bus, subscription, since: new Date(), received };
    this.watches.set(address, watch);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), readyMs)));
    try {
      // Until the peer acknowledged the subscription nothing arrives; a slow ack still delivers later.
      if ((await Promise.race([subscription.ready, late])) === 'late')
        this.onError(new Error(`the peer has not confirmed the subscription within ${readyMs} ms`), address);
    } catch (err) {
      this.stop(address);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return watch;
  }

  private stop(address: string): void {
    this.watches.get(address)?.subscription.unsubscribe();
    this.watches.delete(address);
  }

  /** Stops every watch (the session they were made in ended). */
  clear(): void {
    for (const address of [...this.watches.keys()]) this.stop(address);
  }
}
