import { afterEach, describe, expect, it } from 'vitest';
import { BusError, RemoteError, type Delivery } from '../../runtime/index.ts';
import { topics, intents } from '../../generated/registry.ts';
import { Capabilities } from '../../generated/capabilities.ts';
import { rejection } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, until, type Pair } from './network-peers.ts';

const dispatch = topics['gpu/job.dispatch'];
const result = topics['gpu/job.result/{corr}'];
const job = () => dispatch.payload.example();
const bit = (name: keyof typeof Capabilities) => 1n << BigInt(Capabilities[name].bit);

const busErrors = collectBusErrors();
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('NetworkBus sessions', () => {
  it('a client opens a session: session id, granted capabilities and the peer names are negotiated', async () => {
    pair = await connectedPair({
      errors: busErrors,
      client: { capabilities: bit('gpu.dispatch') | bit('telemetry.read'), jitterBudgetUs: 2_000, maxPayload: 8_192 },
      authority: { grant: (req) => req & ~bit('telemetry.read'), jitterBudgetUs: 3_000 },
    });
    // Session ids are random u32s (so the value is not known); 0 means "no session" and is never granted.
    expect(pair.client.sessionId).toBe(pair.client.sessionId >>> 0);
    expect(pair.client.sessionId).not.toBe(0);
    // The contract: the larger jitter budget, the smaller payload limit, a clock both keep (wall clock).
    expect(pair.client.stats().peers[0]).toMatchObject({ granted: bit('gpu.dispatch'), jitterBudgetUs: 3_000, maxPayload: 8_192, clockSource: 1 });
    expect(pair.authority.stats().peers[0]).toMatchObject({ granted: bit('gpu.dispatch'), jitterBudgetUs: 3_000, maxPayload: 8_192, clockSource: 1 });
    expect(pair.client.capabilities).toBe(bit('gpu.dispatch'));
    expect(pair.authority.stats().peers).toEqual([expect.objectContaining({ name: 'client', sessionId: pair.client.sessionId, state: 'established' })]);
    expect(pair.client.stats().peers[0]).toMatchObject({ name: 'authority', state: 'established' });
  });

  it('a client asking only for capabilities the policy refuses is refused with forbidden', async () => {
    const err = await connectedPair({ errors: busErrors, client: { capabilities: bit('gpu.dispatch') }, authority: { grant: () => 0n } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BusError);
    expect((err as BusError).code).toBe('forbidden');
    expect((err as BusError).message).toContain('CAPABILITY_DENIED');
  });
});

describe('NetworkBus messages', () => {
  it('publish from the client reaches typed and pattern subscribers of the authority with the envelope metadata', async () => {
    pair = await connectedPair({ errors: busErrors });
    const typed: Delivery[] = [];
    const pattern: string[] = [];
    const s1 = pair.authority.subscribe(result, (_v, d) => void typed.push(d as Delivery), { params: { corr: 7 } });
    const s2 = pair.authority.subscribe('gpu/**', (_v, d) => void pattern.push(d.address));
    await Promise.all([s1.ready, s2.ready]);
    const value = result.payload.example();
    await pair.client.publish(result, value, { params: { corr: 7 } });
    await pair.client.publish(result, value, { params: { corr: 8 } });
    await until(() => pattern.length === 2);
    expect(pattern).toEqual(['gpu/job.result/7', 'gpu/job.result/8']);
    expect(typed).toHaveLength(1);
    expect(typed[0]).toMatchObject({ address: 'gpu/job.result/7', params: { corr: '7' }, sessionId: pair.client.sessionId, qos: result.qos, corr: 0n });
  });

  it('subscriptions made after the session opened are announced; unsubscribe stops the traffic', async () => {
    pair = await connectedPair({ errors: busErrors });
    const got: unknown[] = [];
    const sub = pair.client.subscribe(dispatch, (v) => void got.push(v));
    await sub.ready;
    await pair.authority.publish(dispatch, job());
    await until(() => got.length === 1);
    const sentBy = (bus: Pair['authority']) => bus.stats().topics.find((t) => t.topic === dispatch.address)?.sent;
    expect(sentBy(pair.authority)).toBe(1);
    sub.unsubscribe();
    await new Promise((r) => setTimeout(r, 20));
    await pair.authority.publish(dispatch, job());
    // The authority no longer sends it at all (not merely: it has not arrived yet).
    expect(sentBy(pair.authority)).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toHaveLength(1);
  });

  it('request/reply works both ways, and remote errors come back typed', async () => {
    pair = await connectedPair({ errors: busErrors });
    const accepted = dispatch.reply!.example();
    await pair.authority.serve(dispatch, () => accepted).ready;
    expect(await pair.client.request(dispatch, job(), { timeoutMs: 2_000 })).toEqual(accepted);
    // The other way round, with an error of the topic's set.
    const open = topics['session/open'];
    await pair.client.serve(open, () => {
      throw new RemoteError('SCHEMA_MISMATCH', 'schema 9.0.0 is not supported');
    }).ready;
    const err = await rejection(pair.authority.request(open, open.payload.example(), { timeoutMs: 2_000 }));
    expect(err.code).toBe('remote');
    expect(err.remote).toEqual({ name: 'SCHEMA_MISMATCH', code: 3005, message: 'schema 9.0.0 is not supported' });
  });

  it('an error reply carries its detail and retry hint across the link; a detail that is not JSON is dropped with a reason', async () => {
    pair = await connectedPair({ errors: busErrors });
    const open = topics['session/open'];
    const detail = { diagnostics: [{ line: 3, column: 14, message: 'unresolved identifier x' }], limit: 4 };
    let answer: unknown = detail;
    await pair.client.serve(open, () => {
      throw new RemoteError('SCHEMA_MISMATCH', '3:14 unresolved identifier x', { detail: answer, retryAfterMs: 250 });
    }).ready;
    const err = await rejection(pair.authority.request(open, open.payload.example(), { timeoutMs: 2_000 }));
    expect(err.code).toBe('remote');
    expect(err.remote).toEqual({ name: 'SCHEMA_MISMATCH', code: 3005, message: '3:14 unresolved identifier x', detail, retryAfterMs: 250 });
    expect(err.retryAfterMs).toBe(250);
    answer = { n: 1n };
    const dropped = await rejection(pair.authority.request(open, open.payload.example(), { timeoutMs: 2_000 }));
    expect(dropped.remote?.detail).toBeUndefined();
    expect(dropped.remote?.message).toMatch(/^3:14 unresolved identifier x \(its detail was dropped: not JSON: .*BigInt/);
  });

  it('a request nobody serves fails at once with no-responder', async () => {
    pair = await connectedPair({ errors: busErrors });
    const err = await rejection(pair.client.request(dispatch, job(), { timeoutMs: 2_000 }));
    expect(err.code).toBe('no-responder');
  });

  it('intents are invoked across the link', async () => {
    pair = await connectedPair({ errors: busErrors });
    const intent = Object.values(intents)[0]!;
    const reply = intent.reply ? intent.reply.example() : undefined;
    await pair.authority.serveIntent(intent as never, () => reply as never).ready;
    expect(await pair.client.invoke(intent as never, intent.body.example() as never, { timeoutMs: 2_000 })).toEqual(reply);
  });
});

describe('NetworkBus QoS over a lossy link', () => {
  it('at-least-once: 2,000 messages with 5% frame loss all arrive; exactly-once: each exactly once', async () => {
    pair = await connectedPair({
      errors: busErrors,
      loss: 0.05,
      seed: 42,
      client: { retransmit: { initialMs: 20, maxMs: 200, maxAttempts: 50 } },
      authority: { retransmit: { initialMs: 20, maxMs: 200, maxAttempts: 50 } },
    });
    const seen = new Map<string, number>();
    await pair.authority.subscribe(result, (v, d) => {
      seen.set(d.address, (seen.get(d.address) ?? 0) + 1);
    }).ready;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 2_000; i++)
      sends.push(pair.client.publish(result, result.payload.example(), { params: { corr: i }, qos: i % 2 ? 'exactly_once' : 'at_least_once' }));
    await Promise.all(sends);
    await until(() => seen.size === 2_000, 10_000, 'all deliveries');
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const stats = pair.client.stats().topics.find((t) => t.topic === result.address)!;
    expect(stats).toMatchObject({ sent: 2_000, dropped: 0 });
    // Every data frame the link lost had to be sent again (lost ACKs add more; chance decides how many).
    expect(pair.dropped.toAuthority.data).toBeGreaterThan(0);
    expect(stats.retried).toBeGreaterThanOrEqual(pair.dropped.toAuthority.data);
  });

  it('at-most-once messages are not retransmitted: what the link loses is lost, what it carries arrives once', async () => {
    pair = await connectedPair({ errors: busErrors, loss: 0.5, seed: 7 });
    const got = new Map<string, number>();
    // SUBSCRIBE is repeated until answered, so the subscription succeeds over the lossy link.
    await pair.authority.subscribe(result, (_v, d) => void got.set(d.address, (got.get(d.address) ?? 0) + 1)).ready;
    const lostBefore = pair.dropped.toAuthority.data;
    expect(lostBefore).toBe(0); // nothing was published yet
    for (let i = 0; i < 200; i++) await pair.client.publish(result, result.payload.example(), { params: { corr: i }, qos: 'at_most_once' });
    const lost = pair.dropped.toAuthority.data;
    expect(lost).toBeGreaterThan(0);
    await until(() => got.size === 200 - lost, 2_000, 'every message the link carried');
    await new Promise((r) => setTimeout(r, 100)); // room for a retransmission or a copy, which must not come
    expect(got.size).toBe(200 - lost);
    expect([...got.values()].every((n) => n === 1)).toBe(true);
    expect(pair.dropped.toAuthority.data).toBe(lost);
    expect(pair.client.stats().topics.find((t) => t.topic === result.address)).toMatchObject({ sent: 200, retried: 0, dropped: 0 });
    expect(pair.authority.stats().topics.find((t) => t.topic === result.address)).toMatchObject({ received: 200 - lost, duplicates: 0 });
  });

  it('backpressure: with the peer unreachable, publishing beyond maxInFlight fails with a retry hint', async () => {
    pair = await connectedPair({ errors: busErrors, client: { maxInFlight: 16 } });
    await pair.authority.subscribe(result, () => {}).ready;
    pair.blackout.on = true;
    const sends = Array.from({ length: 16 }, (_, i) => pair!.client.publish(result, result.payload.example(), { params: { corr: i }, qos: 'at_least_once' }));
    const err = await rejection(pair.client.publish(result, result.payload.example(), { params: { corr: 99 }, qos: 'at_least_once' }));
    expect(err.code).toBe('backpressure');
    // The hint is the measured round trip (or the first retransmission delay before any): a positive estimate, not a constant.
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(1);
    pair.blackout.on = false;
    await Promise.all(sends);
  });

  it('a message never acknowledged fails as undelivered after its retries', async () => {
    pair = await connectedPair({ errors: busErrors, client: { retransmit: { initialMs: 5, maxMs: 10, maxAttempts: 3 } } });
    await pair.authority.subscribe(result, () => {}).ready;
    pair.blackout.on = true;
    const err = await rejection(pair.client.publish(result, result.payload.example(), { params: { corr: 1 }, qos: 'at_least_once' }));
    expect(err.code).toBe('undelivered');
  });
});

describe('NetworkBus resume', () => {
  it('after the link drops, the client resumes with its token and both sides re-deliver what the other missed', async () => {
    pair = await connectedPair({
      errors: busErrors,
      reconnect: true,
      client: { retransmit: { initialMs: 20, maxMs: 100, maxAttempts: 1_000 } },
      authority: { retransmit: { initialMs: 20, maxMs: 100, maxAttempts: 1_000 } },
    });
    const atAuthority: string[] = [];
    const atClient: string[] = [];
    await pair.authority.subscribe(result, (_v, d) => void atAuthority.push(d.address)).ready;
    await pair.client.subscribe(dispatch, () => void atClient.push('dispatch')).ready;
    const before = pair.client.sessionId;
    pair.blackout.on = true;
    const sent = Array.from({ length: 50 }, (_, i) => pair!.client.publish(result, result.payload.example(), { params: { corr: i }, qos: 'at_least_once' }));
    const back = Array.from({ length: 5 }, () => pair!.authority.publish(dispatch, job(), { qos: 'at_most_once' }));
    await Promise.all(back);
    await pair.link().close(); // the transport gives up on the silent path
    pair.blackout.on = false;
    await Promise.all(sent);
    await until(() => atAuthority.length === 50 && atClient.length === 5, 5_000, 'backfill');
    expect(new Set(atAuthority).size).toBe(50);
    expect(pair.client.sessionId).toBe(before);
    expect(pair.client.stats().resumes).toBe(1);
    expect(pair.authority.stats().resumes).toBe(1);
  });
});

describe('NetworkBus as a broker', () => {
  it('routes between two clients of one authority: publish, typed subscription and request/reply, with subscriptions relayed', async () => {
    const { NetworkBus, loopbackLinkPair } = await import('../../runtime/index.ts');
    const { registry } = await import('./network-peers.ts');
    const hub = new NetworkBus({ name: 'hub', ...registry, onError: busErrors.for('hub') });
    const a = new NetworkBus({ name: 'a', ...registry, onError: busErrors.for('a') });
    const b = new NetworkBus({ name: 'b', ...registry, onError: busErrors.for('b') });
    try {
      for (const client of [a, b]) {
        const [mine, theirs] = loopbackLinkPair();
        hub.accept(theirs);
        await client.connect(mine);
      }
      const got: string[] = [];
      await b.subscribe(result, (_v, d) => void got.push(d.address)).ready;
      await b.serve(dispatch, () => dispatch.reply!.example()).ready;
      await until(() => a.stats().peers.length === 1 && got.length === 0);
      // a learns b's subscriptions through the hub (relayed under the hub's ids): publish until one gets through.
      const sends: Promise<void>[] = [];
      await until(
        () => {
          sends.push(a.publish(result, result.payload.example(), { params: { corr: 1 } }));
          return got.length > 0;
        },
        2_000,
        'relayed subscription',
      );
      await Promise.all(sends);
      expect(got[0]).toBe('gpu/job.result/1');
      expect(await a.request(dispatch, dispatch.payload.example(), { timeoutMs: 2_000 })).toEqual(dispatch.reply!.example());
      // b's ACK of the forwarded request is delayed (batched) and may still be on its way after the reply;
      // closing then would fail that forward with `closed` at the hub. Every node settles first.
      for (const node of [a, b, hub]) await node.flush();
    } finally {
      await a.close();
      await b.close();
      await hub.close();
    }
  });
});

describe('NetworkBus flex lane', () => {
  it('topics on the flex lane travel as Flex Data text (readable JSON) and arrive as typed values', async () => {
    const { NetworkBus, loopbackLinkPair, UmpReader } = await import('../../runtime/index.ts');
    const { registry } = await import('./network-peers.ts');
    const texts: string[] = [];
    const reader = new UmpReader();
    const [mine, theirs] = loopbackLinkPair({
      filter: (words) => {
        for (const ev of reader.push(words)) if (!(ev instanceof Error) && ev.kind === 'flex-text') texts.push(ev.text);
        return true;
      },
    });
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
    try {
      authority.accept(theirs);
      await client.connect(mine);
      const sse = topics['sse/stream/{id}'];
      const got: unknown[] = [];
      await authority.subscribe(sse, (v) => void got.push(v)).ready;
      const event = { ...sse.payload.example(), seq: 3n, data: 'Hello, wörld' };
      await client.publish(sse, event, { params: { id: 'r1' } });
      await until(() => got.length === 1);
      expect(got[0]).toEqual(event);
      const frame = texts.find((t) => t.includes('"a":"sse/stream/r1"'));
      expect(frame).toMatch(/^[0-9a-f]{8} \{"k":"pub","s":"[0-9]+","f":0,"a":"sse\/stream\/r1"/);
      expect((JSON.parse(frame!.slice(9)) as { body: unknown }).body).toMatchObject({ data: 'Hello, wörld', seq: '3' });
      // Binary-lane topics still travel as SysEx8 frames.
      expect(texts.some((t) => t.includes('gpu/'))).toBe(false);
    } finally {
      await client.close();
      await authority.close();
    }
  });
});
