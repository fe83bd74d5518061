import type { AddressParams, ParamValue } from './address.ts';
import type { Bus, Handler, IntentResponder, InvokeOptions, ReplyValue, Responder, Subscription } from './bus.ts';
import type { IntentDescriptor, TopicDescriptor } from './descriptor.ts';

/**
 * Typed wrappers that generated clients (`generated/client.ts`) build from registry entries. They add
 * no behaviour: each call goes straight to the Bus with the entry as descriptor.
 *
 * Address parameters come first, as one object named by the schema: for `gpu/job.result/{corr}`
 *   client.gpu.job.result.publish({ corr }, value)
 *   client.gpu.job.result.subscribe({ corr }, handler)   // one address
 *   client.gpu.job.result.subscribe(handler)             // every address; params arrive in delivery.params
 * Topics without parameters drop that argument: client.gpu.job.dispatch.publish(value).
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no options yet; the parameter keeps calls stable when some come
export interface PublishCallOptions {}
export interface RequestCallOptions {
  /** How long to wait for the reply (default: the bus's request timeout). */
  readonly timeoutMs?: number;
}

interface TopicClientBase<P, R, K extends string> {
  /** The registry entry this client wraps. */
  readonly topic: TopicDescriptor<P, R, K>;
}

/** Publish/subscribe on a topic without address parameters. */
export interface PlainTopicMethods<P, R> {
  publish(value: P, options?: PublishCallOptions): Promise<void>;
  subscribe(handler: Handler<P, never, R>): Subscription;
}

/** Publish/subscribe on a topic with address parameters `K`. */
export interface ParamTopicMethods<P, R, K extends string> {
  publish(params: AddressParams<K>, value: P, options?: PublishCallOptions): Promise<void>;
  /** Every address of the topic. */
  subscribe(handler: Handler<P, K, R>): Subscription;
  /** Addresses whose given parameters match; omitted parameters match any value. */
  subscribe(params: Partial<AddressParams<K>>, handler: Handler<P, K, R>): Subscription;
}

/** Request/reply on a topic with a reply type, without address parameters. */
export interface PlainRequestMethods<P, R> {
  request(value: P, options?: RequestCallOptions): Promise<R>;
  serve(responder: Responder<P, R, never>): Subscription;
}

/** Request/reply on a topic with a reply type and address parameters `K`. */
export interface ParamRequestMethods<P, R, K extends string> {
  request(params: AddressParams<K>, value: P, options?: RequestCallOptions): Promise<R>;
  serve(responder: Responder<P, R, K>): Subscription;
  serve(params: Partial<AddressParams<K>>, responder: Responder<P, R, K>): Subscription;
}

/** The typed client of one topic: `request`/`serve` exist only when the topic has a reply type. */
export type TopicClient<P, R, K extends string> = TopicClientBase<P, R, K> &
  ([K] extends [never] ? PlainTopicMethods<P, R> : ParamTopicMethods<P, R, K>) &
  ([R] extends [never] ? unknown : [K] extends [never] ? PlainRequestMethods<P, R> : ParamRequestMethods<P, R, K>);

/** The typed client of one intent: call it with the body; `serve` answers it (the bridge's side). */
export interface IntentClient<B, R> {
  (body: B, options?: InvokeOptions): Promise<ReplyValue<R>>;
  readonly intent: IntentDescriptor<B, R>;
  serve(responder: IntentResponder<B, R>): Subscription;
}

type Params = Readonly<Record<string, ParamValue | undefined>>;

/** Builds the typed client of one topic (generated clients call this once per registry entry). */
export function topicClient<P, R, K extends string>(bus: Bus, topic: TopicDescriptor<P, R, K>): TopicClient<P, R, K> {
  const withParams = topic.params.length > 0;
  // With parameters the first argument is the params object; subscribe/serve may omit it.
  const split = (args: readonly unknown[]): { params: Params | undefined; fn: unknown } =>
    typeof args[0] === 'function' ? { params: undefined, fn: args[0] } : { params: args[0] as Params, fn: args[1] };
  const client: Record<string, unknown> = {
    topic,
    publish: withParams ? (params: AddressParams<K>, value: P) => bus.publish(topic, value, { params }) : (value: P) => bus.publish(topic, value),
    subscribe: (...args: unknown[]) => {
      const { params, fn } = split(args) as { params: Params | undefined; fn: Handler<P, K, R> };
      return bus.subscribe(topic, fn, params ? { params } : {});
    },
  };
  if (topic.reply) {
    client['request'] = withParams
      ? (params: AddressParams<K>, value: P, options: RequestCallOptions = {}) => bus.request(topic, value, { ...options, params })
      : (value: P, options: RequestCallOptions = {}) => bus.request(topic, value, options);
    client['serve'] = (...args: unknown[]) => {
      const { params, fn } = split(args) as { params: Params | undefined; fn: Responder<P, R, K> };
      return bus.serve(topic, fn, params ? { params } : {});
    };
  }
  return Object.freeze(client) as TopicClient<P, R, K>;
}

/** Builds the typed client of one intent. */
export function intentClient<B, R>(bus: Bus, intent: IntentDescriptor<B, R>): IntentClient<B, R> {
  const call = (body: B, options?: InvokeOptions) => bus.invoke(intent, body, options);
  return Object.freeze(Object.assign(call, { intent, serve: (responder: IntentResponder<B, R>) => bus.serveIntent(intent, responder) }));
}

/**
 * A generated client node that is a topic's or intent's client and also holds the nodes of longer
 * addresses or names (`client.nvm.results` with `client.nvm.results.chunks`): the node's own members
 * stay where they are, so adding a child never moves them. Generated code never passes a member that the
 * node has (the compiler escapes such keys); anything else is a programming error, refused.
 */
export function withMembers<N extends object, M extends object>(node: N, members: M): N & M {
  const taken = Object.keys(members).filter((key) => Object.hasOwn(node, key));
  if (taken.length > 0) throw new TypeError(`client members ${taken.join(', ')} would shadow the node's own`);
  if (typeof node === 'function') {
    // A frozen intent client cannot take members: a new function calls it and carries both.
    const call = (...args: unknown[]): unknown => (node as (...a: unknown[]) => unknown)(...args);
    return Object.freeze(Object.assign(call, node, members));
  }
  return Object.freeze({ ...node, ...members });
}
