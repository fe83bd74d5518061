import type { Codec } from '../codec/codec.ts';
import type { LaneName } from '../lanes/index.ts';

/**
 * What a Bus needs to know about a topic or an intent. Generated registries (`generated/registry.ts`)
 * build their entries with `defineTopic` / `defineIntent`, so a registry entry IS the descriptor a Bus
 * takes: `bus.publish(topics['gpu/job.dispatch'], value)`.
 *
 * Type parameters: `P` the payload (or intent body) type, `R` the reply type (`never` when the topic
 * has no reply), `K` the names of the address parameters (`never` when the address has none).
 */

/** Delivery guarantee declared by the schema (enforced by NetworkBus; the loopback is lossless). */
export type QosLevel = 'at_most_once' | 'at_least_once' | 'exactly_once';
/** MIDI lane that carries the topic: SysEx8 (binary), Flex Data (JSON text) or SysEx7 (MIDI 1.0); one framer each (runtime/lanes/). */
export type { LaneName } from '../lanes/index.ts';
export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The error set a topic or intent may answer with. */
export interface ErrorSetDescriptor {
  /** Fully qualified schema name, e.g. `fountain.gpu.GpuError`. */
  readonly name: string;
  /** Member name → numeric code. */
  readonly codes: Readonly<Record<string, number>>;
  /** Member name → text, for members that carry one. */
  readonly messages: Readonly<Record<string, string | undefined>>;
}

export interface TopicDescriptor<P, R = never, K extends string = never> {
  readonly kind: 'topic';
  /** Address template, e.g. `gpu/job.result/{corr}`. */
  readonly address: string;
  /** Stable 32-bit topic id (carried in the envelope header). */
  readonly id: number;
  /** Parameter names in address order. */
  readonly params: readonly K[];
  readonly package: string;
  /** Schema version of the package that declares the topic. */
  readonly version: string;
  readonly payload: Codec<P>;
  /** Codec of the reply on `<address>/reply/{corr}`; undefined for topics without a reply. */
  readonly reply: Codec<R> | undefined;
  readonly qos: QosLevel;
  /** Timing budget in microseconds. */
  readonly budget: { readonly latencyUs?: number; readonly jitterUs?: number };
  /** Capabilities allowed to publish: any one bit of this mask is enough; 0n means anyone. */
  readonly publish: bigint;
  /** Capabilities allowed to subscribe: any one bit of this mask is enough; 0n means anyone. */
  readonly subscribe: bigint;
  readonly errors: ErrorSetDescriptor | undefined;
  readonly lane: LaneName;
  /** Largest encoded payload (and reply) in bytes; larger values are refused before sending. */
  readonly maxPayload: number;
  /** Many messages per address (a stream) rather than one event. */
  readonly stream: boolean;
  /** LLM tool name (facts). */
  readonly toolName: string;
}

export interface IntentDescriptor<B, R = never> {
  readonly kind: 'intent';
  /** Intent name, e.g. `planner.execute`. */
  readonly name: string;
  readonly toolName: string;
  readonly package: string;
  readonly version: string;
  readonly body: Codec<B>;
  /** Reply codec; undefined when the intent answers with no body. */
  readonly reply: Codec<R> | undefined;
  /** HTTP operation the Flex bridge maps the intent to; the service's base URL comes from bridge config. */
  readonly method: HttpMethodName;
  readonly path: string;
  /** Body fields substituted into `{…}` of the path. */
  readonly pathParams: readonly string[];
  /**
   * Present when the service takes multipart/form-data: body field → name of the file part that carries
   * it as a JSON document; the other body fields go as form fields.
   */
  readonly fileParts?: Readonly<Record<string, string>>;
  readonly service: string;
  readonly errors: ErrorSetDescriptor | undefined;
}

/**
 * Any topic descriptor, whatever its types. `any` (not `unknown`) because codecs are used in both
 * directions: a `TopicDescriptor<JobDispatch>` must be storable where any topic is accepted.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTopicDescriptor = TopicDescriptor<any, any, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyIntentDescriptor = IntentDescriptor<any, any>;

/** Payload type of a topic descriptor. */
export type PayloadOf<T> = T extends TopicDescriptor<infer P, infer _R, infer _K> ? P : never;
/** Reply type of a topic or intent descriptor (`never` without a reply). */
export type ReplyOf<T> = T extends TopicDescriptor<infer _P, infer R, infer _K> ? R : T extends IntentDescriptor<infer _B, infer R> ? R : never;

type TopicSpec<P, R, K extends string> = Omit<TopicDescriptor<P, R, K>, 'kind' | 'budget' | 'params'> & {
  readonly params: readonly K[];
  readonly budget: { readonly latencyUs?: number; readonly jitterUs?: number };
};

/** Builds a frozen topic descriptor (used by generated registries). */
export function defineTopic<P, R = never, K extends string = never>(spec: TopicSpec<P, R, K>): TopicDescriptor<P, R, K> {
  return Object.freeze({
    ...spec,
    kind: 'topic' as const,
    params: Object.freeze([...spec.params]),
    budget: Object.freeze({ ...spec.budget }),
  });
}

/** Builds a frozen intent descriptor (used by generated registries). */
export function defineIntent<B, R = never>(spec: Omit<IntentDescriptor<B, R>, 'kind'>): IntentDescriptor<B, R> {
  return Object.freeze({
    ...spec,
    kind: 'intent' as const,
    pathParams: Object.freeze([...spec.pathParams]),
    ...(spec.fileParts ? { fileParts: Object.freeze({ ...spec.fileParts }) } : {}),
  });
}

/** Builds a frozen error set descriptor (used by generated registries). */
export function defineErrorSet(spec: ErrorSetDescriptor): ErrorSetDescriptor {
  return Object.freeze({ name: spec.name, codes: Object.freeze({ ...spec.codes }), messages: Object.freeze({ ...spec.messages }) });
}
