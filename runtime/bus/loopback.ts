import type { Codec } from '../codec/codec.ts';
import { compilePattern, formatAddress, matchAddress, replyAddress, topicPattern, type AddressPattern } from './address.ts';
import type {
  Bus,
  Delivery,
  Handler,
  IntentDelivery,
  IntentResponder,
  InvokeOptions,
  PublishOptions,
  ReplyValue,
  RequestOptions,
  Responder,
  SubscribeOptions,
  Subscription,
} from './bus.ts';
import { assertMask, maskAllows } from './capabilities.ts';
import type { AnyIntentDescriptor, AnyTopicDescriptor, IntentDescriptor, TopicDescriptor } from './descriptor.ts';
import { assertAllowed, encodeChecked, remoteInfo, replyTarget, responderHandler } from './checks.ts';
import { BusError, RemoteError, type RemoteErrorInfo } from './errors.ts';
import { DeliveryQueue } from './queue.ts';
import { wallClockUs } from './wall-clock.ts';

/**
 * In-process Bus for tests and single-process apps. A `LoopbackHub` is the shared medium; each
 * `hub.connect({ capabilities })` is one session (a `LoopbackBus`) with its own capability mask.
 *
 * What it does like the real runtime: values are validated (`codec.validate`) and encoded on publish,
 * and every subscriber decodes its own copy from the bytes; capability masks are checked on publish
 * (the topic's publish mask) and subscribe (its subscribe mask; pattern subscriptions silently skip
 * topics the session may not receive); `maxPayload` is enforced on the encoded bytes before anything
 * is queued; delivery is asynchronous (queueMicrotask) and in publication order; a bounded queue
 * reports `backpressure`; requests carry a correlation id, replies travel on `<address>/reply/<corr>`
 * and time out.
 *
 * What it does not do (NetworkBus does, over UMP links): QoS (nothing is lost in process, so every
 * level behaves as exactly once), session negotiation, envelopes and carriers, clocks and budgets.
 *
 * Responders: a request needs at least one typed subscription on its topic (`subscribe(topic)` or
 * `serve(topic)`) matching its address, else it fails at once with `no-responder`. Pattern
 * subscriptions observe requests but do not count as responders. The first reply wins; replies go to
 * the requester only.
 */

export interface LoopbackHubOptions {
  /** Most deliveries waiting at once; beyond it publish rejects with `backpressure` (default 65536). */
  readonly maxQueued?: number;
  /** Default request/invoke timeout in ms (default 5000). */
  readonly requestTimeoutMs?: number;
  /** Where handler failures and undecodable deliveries go (default: console.error). */
  readonly onError?: (error: unknown, address: string) => void;
}

export interface LoopbackSessionOptions {
  /** The 64-bit capability mask granted to this session. */
  readonly capabilities: bigint;
  /** Session limit on encoded payloads, applied on top of each topic's maxPayload. */
  readonly maxPayload?: number;
  readonly requestTimeoutMs?: number;
  readonly onError?: (error: unknown, address: string) => void;
}

/** Every capability bit set. */
export const ALL_CAPABILITIES = (1n << 64n) - 1n;

interface Sub {
  readonly session: LoopbackBus;
  readonly pattern: AddressPattern;
  /** Set for typed subscriptions: only this topic, decoded with this descriptor's codec. */
  readonly topic: AnyTopicDescriptor | undefined;
  readonly handler: Handler<unknown>;
  active: boolean;
}

interface Pending {
  readonly session: LoopbackBus;
  readonly codec: Codec<unknown> | undefined;
  readonly address: string;
  readonly settle: (error: BusError | undefined, value?: unknown) => void;
}

type ReplyBody = { readonly bytes: Uint8Array } | { readonly error: RemoteErrorInfo };

interface IntentServer {
  readonly session: LoopbackBus;
  readonly intent: AnyIntentDescriptor;
  readonly responder: IntentResponder<unknown, unknown>;
  active: boolean;
}

export class LoopbackHub {
  readonly maxQueued: number;
  readonly requestTimeoutMs: number;
  readonly onError: (error: unknown, address: string) => void;
  /** @internal */ readonly subs = new Set<Sub>();
  /** @internal */ readonly pending = new Map<string, Pending>();
  /** @internal */ readonly intentServers: IntentServer[] = [];
  private readonly deliveries: DeliveryQueue;
  private nextSession = 1;
  private nextCorr = 1n;

  constructor(options: LoopbackHubOptions = {}) {
    this.maxQueued = options.maxQueued ?? 65_536;
    this.deliveries = new DeliveryQueue(this.maxQueued);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.onError = options.onError ?? ((error, address) => console.error(`midl loopback: ${address}:`, error));
  }

  /** A new session on this hub. */
  connect(options: LoopbackSessionOptions): LoopbackBus {
    return new LoopbackBus(this, this.nextSession++, options);
  }

  /** Deliveries queued and not yet run. */
  get queued(): number {
    return this.deliveries.queued;
  }

  /** Resolves once every queued delivery (including those queued meanwhile) has run. */
  drain(): Promise<void> {
    return this.deliveries.drain();
  }

  /** @internal */ corr(): bigint {
    return this.nextCorr++;
  }

  /** @internal Throws `backpressure` unless `n` more deliveries fit. */
  reserve(n: number, address: string): void {
    this.deliveries.reserve(n, address);
  }

  /** @internal */ enqueue(task: () => void): void {
    this.deliveries.enqueue(task);
  }

  /** @internal Routes a reply (or error) to the pending request waiting on `address`; late replies are dropped. */
  routeReply(address: string, body: ReplyBody): void {
    const p = this.pending.get(address);
    if (!p) return;
    this.reserve(1, address);
    this.enqueue(() => {
      if (this.pending.get(address) !== p) return; // timed out, closed or already answered
      if ('error' in body) {
        p.settle(new BusError('remote', `${p.address}: ${body.error.name}: ${body.error.message}`, { address: p.address, remote: body.error }));
        return;
      }
      if (!p.codec) return p.settle(undefined, undefined);
      let value: unknown;
      try {
        value = p.codec.decode(body.bytes);
      } catch (cause) {
        p.settle(new BusError('invalid-payload', `${p.address}: reply does not decode: ${(cause as Error).message}`, { address: p.address, cause }));
        return;
      }
      p.settle(undefined, value);
    });
  }
}

export class LoopbackBus implements Bus {
  readonly capabilities: bigint;
  readonly maxPayload: number;
  private readonly timeoutMs: number;
  private readonly onError: (error: unknown, address: string) => void;
  private closed = false;

  /** Use `hub.connect(options)`. */
  constructor(
    readonly hub: LoopbackHub,
    readonly sessionId: number,
    options: LoopbackSessionOptions,
  ) {
    this.capabilities = assertMask(options.capabilities);
    this.maxPayload = options.maxPayload ?? Number.POSITIVE_INFINITY;
    this.timeoutMs = options.requestTimeoutMs ?? hub.requestTimeoutMs;
    this.onError = options.onError ?? hub.onError;
  }

  /** A fresh hub with one session: the shortest way to a working bus. */
  static create(options: LoopbackSessionOptions & LoopbackHubOptions): LoopbackBus {
    return new LoopbackHub(options).connect(options);
  }

  publish<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, value: P, options: PublishOptions = {}): Promise<void> {
    try {
      this.send(topic, value, options, 0n, undefined, false);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  subscribe<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, handler: Handler<P, K, R>, options?: SubscribeOptions): Subscription;
  subscribe(pattern: string, handler: Handler<unknown>): Subscription;
  subscribe(target: AnyTopicDescriptor | string, handler: Handler<never, never, never>, options: SubscribeOptions = {}): Subscription {
    this.assertOpen(typeof target === 'string' ? target : target.address);
    let sub: Sub;
    if (typeof target === 'string') {
      sub = { session: this, pattern: compilePattern(target), topic: undefined, handler: handler as Handler<unknown>, active: true };
    } else {
      assertAllowed(this.capabilities, target, 'subscribe', target.address, `session ${this.sessionId}`);
      sub = { session: this, pattern: topicPattern(target.address, options.params), topic: target, handler: handler as Handler<unknown>, active: true };
    }
    this.hub.subs.add(sub);
    return {
      pattern: sub.pattern.source,
      ready: Promise.resolve(),
      unsubscribe: () => {
        sub.active = false;
        this.hub.subs.delete(sub);
      },
    };
  }

  request<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, value: P, options: RequestOptions = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (!topic.reply) throw new BusError('no-responder', `${topic.address} has no reply type; publish on it instead`, { address: topic.address });
      const corr = this.hub.corr();
      const address = formatAddress(topic.address, options.params);
      const replyTo = replyAddress(address, corr);
      const settle = this.await(replyTo, topic.reply, options.timeoutMs, resolve as (v: unknown) => void, reject);
      try {
        this.send(topic, value, options, corr, replyTo, true);
      } catch (err) {
        settle(err as BusError);
      }
    });
  }

  reply<P, R, K extends string>(request: Delivery<P, K, R>, value: R): Promise<void> {
    try {
      const { replyTo, codec } = replyTarget(request as Delivery<unknown, string, R>);
      const bytes = this.encodeChecked(codec, value, replyTo, request.topic.maxPayload);
      this.hub.routeReply(replyTo, { bytes });
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  serve<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, responder: Responder<P, R, K>, options?: SubscribeOptions): Subscription {
    const handler = responderHandler(topic, responder, {
      reply: (delivery, value) => this.reply(delivery, value),
      error: (replyTo, _delivery, info) => this.hub.routeReply(replyTo, { error: info }),
    });
    return this.subscribe(topic, handler, options);
  }

  invoke<B, R>(intent: IntentDescriptor<B, R>, body: B, options: InvokeOptions = {}): Promise<ReplyValue<R>> {
    return new Promise<unknown>((resolve, reject) => {
      const address = `intent/${intent.name}`;
      this.assertOpen(address);
      const bytes = this.encodeChecked(intent.body, body, address, Number.POSITIVE_INFINITY);
      const server = this.hub.intentServers.find((s) => s.active && s.intent.name === intent.name);
      if (!server) throw new BusError('no-responder', `intent ${intent.name}: nobody serves it`, { address });
      this.hub.reserve(1, address);
      const corr = this.hub.corr();
      const replyTo = replyAddress(address, corr);
      this.await(replyTo, intent.reply, options.timeoutMs, resolve, reject);
      const sessionId = this.sessionId;
      const timestampUs = wallClockUs();
      this.hub.enqueue(() => {
        if (!server.active) return this.hub.routeReply(replyTo, { error: { name: 'INTERNAL', code: 0, message: 'the server went away' } });
        void server.session.runIntent(server, bytes, { intent: server.intent, corr, sessionId, timestampUs }, replyTo);
      });
    }) as Promise<ReplyValue<R>>;
  }

  serveIntent<B, R>(intent: IntentDescriptor<B, R>, responder: IntentResponder<B, R>): Subscription {
    this.assertOpen(`intent/${intent.name}`);
    const server: IntentServer = { session: this, intent, responder: responder as IntentResponder<unknown, unknown>, active: true };
    this.hub.intentServers.push(server);
    return {
      pattern: `intent/${intent.name}`,
      ready: Promise.resolve(),
      unsubscribe: () => {
        server.active = false;
        const i = this.hub.intentServers.indexOf(server);
        if (i >= 0) this.hub.intentServers.splice(i, 1);
      },
    };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const sub of [...this.hub.subs]) {
      if (sub.session === this) {
        sub.active = false;
        this.hub.subs.delete(sub);
      }
    }
    for (const s of [...this.hub.intentServers]) if (s.session === this) s.active = false;
    this.hub.intentServers.splice(0, this.hub.intentServers.length, ...this.hub.intentServers.filter((s) => s.active));
    for (const p of [...this.hub.pending.values()]) {
      if (p.session === this) p.settle(new BusError('closed', `${p.address}: the bus was closed`, { address: p.address }));
    }
    return Promise.resolve();
  }

  /** @internal Runs an intent server on a delivered body and routes its answer. */
  async runIntent(server: IntentServer, bytes: Uint8Array, delivery: IntentDelivery, replyTo: string): Promise<void> {
    const { intent } = server;
    let result: unknown;
    try {
      const body: unknown = intent.body.decode(bytes);
      result = await server.responder(body, delivery);
    } catch (err) {
      this.hub.routeReply(replyTo, { error: remoteInfo(err, intent.errors) });
      if (!(err instanceof RemoteError)) this.onError(err, `intent/${intent.name}`);
      return;
    }
    try {
      const out = intent.reply ? this.encodeChecked(intent.reply as Codec<unknown>, result, replyTo, Number.POSITIVE_INFINITY) : new Uint8Array(0);
      this.hub.routeReply(replyTo, { bytes: out });
    } catch (err) {
      this.hub.routeReply(replyTo, { error: { name: 'INTERNAL', code: 0, message: `invalid reply: ${(err as Error).message}` } });
      this.onError(err, replyTo);
    }
  }

  private assertOpen(address: string): void {
    if (this.closed) throw new BusError('closed', `${address}: the bus was closed`, { address });
  }

  /** Registers a pending request on `replyTo` with its timeout; returns its settle function. */
  private await(
    replyTo: string,
    codec: Codec<unknown> | undefined,
    timeoutMs: number | undefined,
    resolve: (v: unknown) => void,
    reject: (e: unknown) => void,
  ): Pending['settle'] {
    const ms = timeoutMs ?? this.timeoutMs;
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`timeoutMs must be a finite number ≥ 0, got ${ms}`);
    const timer = setTimeout(() => {
      settle(new BusError('timeout', `${replyTo}: no reply within ${ms} ms`, { address: replyTo, timeoutMs: ms }));
    }, ms);
    const settle = (error: BusError | undefined, value?: unknown) => {
      if (this.hub.pending.get(replyTo) !== entry) return;
      this.hub.pending.delete(replyTo);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value);
    };
    const entry: Pending = { session: this, codec, address: replyTo, settle };
    this.hub.pending.set(replyTo, entry);
    return settle;
  }

  private encodeChecked<T>(codec: Codec<T>, value: T, address: string, topicLimit: number): Uint8Array {
    return encodeChecked(codec, value, address, Math.min(topicLimit, this.maxPayload));
  }

  /** The publish pipeline: address, capability, validate, encode, size, responders, backpressure, queue. */
  private send(topic: AnyTopicDescriptor, value: unknown, options: PublishOptions, corr: bigint, replyTo: string | undefined, needResponder: boolean): void {
    this.assertOpen(topic.address);
    const address = formatAddress(topic.address, options.params);
    assertAllowed(this.capabilities, topic, 'publish', address, `session ${this.sessionId}`);
    const bytes = this.encodeChecked(topic.payload as Codec<unknown>, value, address, topic.maxPayload);
    const targets: { sub: Sub; params: Record<string, string> }[] = [];
    for (const sub of this.hub.subs) {
      if (!sub.active) continue;
      if (sub.topic ? sub.topic.id !== topic.id : !maskAllows(sub.session.capabilities, topic.subscribe)) continue;
      const params = matchAddress(sub.pattern, address);
      if (params) targets.push({ sub, params });
    }
    if (needResponder && !targets.some((t) => t.sub.topic)) throw new BusError('no-responder', `${address}: nobody serves this topic`, { address });
    this.hub.reserve(targets.length, address);
    const sessionId = this.sessionId;
    const timestampUs = wallClockUs();
    const topicParams = matchAddress(compilePattern(topic.address), address) ?? {};
    for (const { sub, params } of targets) {
      this.hub.enqueue(() => {
        if (!sub.active) return;
        const desc = sub.topic ?? topic;
        let decoded: unknown;
        try {
          decoded = desc.payload.decode(bytes);
        } catch (cause) {
          sub.session.onError(new BusError('invalid-payload', `${address}: payload does not decode: ${(cause as Error).message}`, { address, cause }), address);
          return;
        }
        const delivery: Delivery = {
          topic: desc,
          address,
          params: { ...topicParams, ...params },
          corr,
          replyTo,
          sessionId,
          timestampUs,
          size: bytes.length,
          qos: options.qos ?? topic.qos,
        };
        try {
          const r = sub.handler(decoded, delivery);
          if (r && typeof r.then === 'function') r.then(undefined, (err: unknown) => sub.session.onError(err, address));
        } catch (err) {
          sub.session.onError(err, address);
        }
      });
    }
  }
}
