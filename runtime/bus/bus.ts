import type { AddressParams, ParamValue } from './address.ts';
import type { AnyTopicDescriptor, IntentDescriptor, QosLevel, TopicDescriptor } from './descriptor.ts';

/**
 * The Bus: how application code (and generated clients) publish, subscribe and make requests. It is
 * defined over descriptors (generated registry entries), so one interface serves every schema:
 *
 *   await bus.publish(topics['gpu/job.dispatch'], job);
 *   bus.subscribe(topics['gpu/job.result/{corr}'], (result, d) => …, { params: { corr: 42n } });
 *   const accepted = await bus.request(topics['gpu/job.dispatch'], job, { timeoutMs: 100 });
 *
 * Every failure is a `BusError` (see errors.ts): operations returning promises reject, `subscribe`
 * and `serve` throw. Implementations: `LoopbackBus` (in process, runtime/bus/loopback.ts) and
 * `NetworkBus` (sessions, QoS and routing over UMP links such as Network MIDI 2.0, runtime/bus/network.ts).
 */

/** What a handler receives beside the decoded value. */
export interface Delivery<P = unknown, K extends string = string, R = unknown> {
  readonly topic: TopicDescriptor<P, R, K>;
  /** The concrete address the message was published on. */
  readonly address: string;
  /** Values of the address parameters (always strings, as written in the address). */
  readonly params: { readonly [P in K]: string };
  /** Correlation id: the request's id for requests; for publications the publisher's idempotency key (`PublishOptions.key`), 0n when it gave none. */
  readonly corr: bigint;
  /** Where a reply goes (`<address>/reply/<corr>`), for requests; answer with `bus.reply(delivery, value)`. */
  readonly replyTo: string | undefined;
  /** Session id of the publisher. */
  readonly sessionId: number;
  /** Publication time, microseconds since the Unix epoch. */
  readonly timestampUs: bigint;
  /** Encoded payload size in bytes. */
  readonly size: number;
  /** Delivery guarantee the message was sent with (the topic's, unless the publisher overrode it). */
  readonly qos: QosLevel;
  /** The UMP packets the message arrived in: only on a bus that keeps them (`NetworkBus` option `keepPackets`). */
  readonly packets?: Uint32Array;
  /**
   * For a received exactly-once publication with an idempotency key: its identity in the receiver's
   * window of delivered messages (runtime/bus/exactly-once.ts). A recorder that keeps it lets the next
   * run of the node preload the window (`NetworkBus` option `exactlyOnce.seen`), so a copy sent again
   * after a crash is acknowledged but not delivered twice.
   */
  readonly dedupeId?: string;
}

export type Handler<P, K extends string = string, R = unknown> = (value: P, delivery: Delivery<P, K, R>) => void | Promise<void>;
/** A responder returns (or resolves to) the reply; throwing `RemoteError` answers with an error of the topic's set. */
export type Responder<P, R, K extends string = string> = (value: P, delivery: Delivery<P, K, R>) => R | Promise<R>;

export interface IntentDelivery<B = unknown, R = unknown> {
  readonly intent: IntentDescriptor<B, R>;
  readonly corr: bigint;
  readonly sessionId: number;
  readonly timestampUs: bigint;
}
export type IntentResponder<B, R> = (body: B, delivery: IntentDelivery<B, R>) => ReplyValue<R> | Promise<ReplyValue<R>>;

/** What a request or invocation resolves to: the reply, or `void` when there is no reply type. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- what a request resolves to when its topic has no reply type
export type ReplyValue<R> = [R] extends [never] ? void : R;

export interface PublishOptions {
  /** Values of the topic's `{param}` segments (required when the address has any). */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** Delivery guarantee for this message instead of the topic's declared one (operators' tools, tests). */
  readonly qos?: QosLevel;
  /**
   * Idempotency key of a publication (a u64, not 0), carried in the envelope's correlation id. An
   * exactly-once publication with a key is delivered once per receiver however often it is sent —
   * retried by the application, or sent again after either side crashed — within the receiver's window
   * (`NetworkBus` option `exactlyOnce`): a copy of a message already delivered (same sender name,
   * address, key and payload bytes) is acknowledged and not delivered. Use the same key only for the
   * same message.
   */
  readonly key?: bigint;
}

export interface PatternSubscribeOptions {
  /**
   * Acknowledge a received at-least-once / exactly-once message only once this handler has returned
   * (or its promise resolved): a recorder that writes each message before returning makes "delivered"
   * mean "written". A handler that throws (or rejects) refuses the message: the sender's publish
   * rejects with `undelivered`, and the failure is also reported to `onError`. A handler that never
   * settles leaves the message unacknowledged (the sender retries, then gives it up as `undelivered`).
   * NetworkBus only; without it a message is acknowledged once queued for its handlers.
   */
  readonly ackAfterHandler?: boolean;
}

export interface SubscribeOptions extends PatternSubscribeOptions {
  /** Fix some address parameters; the others match any value. */
  readonly params?: Readonly<Record<string, ParamValue | undefined>>;
}

export interface RequestOptions extends PublishOptions {
  /** How long to wait for the reply (default: the bus's request timeout). */
  readonly timeoutMs?: number;
}

export interface InvokeOptions {
  readonly timeoutMs?: number;
}

export interface Subscription {
  /** The pattern or address template subscribed to. */
  readonly pattern: string;
  /** Resolves once the subscription is in effect (at once in process; after the peer's ack on a network). */
  readonly ready: Promise<void>;
  /** Stops delivery, including of messages already queued. Idempotent. */
  unsubscribe(): void;
}

export interface Bus {
  /** This session's id (carried in envelopes). */
  readonly sessionId: number;
  /** The 64-bit capability mask granted to this session. */
  readonly capabilities: bigint;

  /** Validates, encodes and sends `value`; rejects with `forbidden`, `invalid-address`, `invalid-payload`, `too-large`, `backpressure` or `closed`. */
  publish<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, value: P, options?: PublishOptions): Promise<void>;

  /** Typed subscription to one topic (all its addresses, or those with the given params); throws `forbidden` without the subscribe capability. */
  subscribe<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, handler: Handler<P, K, R>, options?: SubscribeOptions): Subscription;
  /** Pattern subscription (`gpu/*`, `gpu/**`, `gpu/job.result/{corr}`): receives every topic matching it that this session may subscribe to. */
  subscribe(pattern: string, handler: Handler<unknown>, options?: PatternSubscribeOptions): Subscription;

  /** Publishes with a fresh correlation id and resolves with the typed reply; rejects with `no-responder`, `timeout`, `remote` and the publish errors. */
  request<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, value: P, options?: RequestOptions): Promise<R>;
  /** Answers a request delivery on its `replyTo` address with the topic's reply codec. */
  reply<P, R, K extends string>(request: Delivery<P, K, R>, value: R): Promise<void>;
  /** Subscribes as a responder: each request's reply is what `responder` returns. */
  serve<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, responder: Responder<P, R, K>, options?: SubscribeOptions): Subscription;

  /** Invokes a Flex intent (request/reply on the intent) and resolves with its typed reply. */
  invoke<B, R>(intent: IntentDescriptor<B, R>, body: B, options?: InvokeOptions): Promise<ReplyValue<R>>;
  /** Serves an intent (the Flex bridge's role). */
  serveIntent<B, R>(intent: IntentDescriptor<B, R>, responder: IntentResponder<B, R>): Subscription;

  /** Ends the session: subscriptions stop, pending requests reject with `closed`. */
  close(): Promise<void>;
}

/** Params of a topic descriptor's address, as accepted by publish/request. */
export type TopicParams<T extends AnyTopicDescriptor> = T extends TopicDescriptor<infer _P, infer _R, infer K> ? AddressParams<K> : never;
