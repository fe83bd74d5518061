import { afterEach, describe, expect, it } from 'vitest';
import { topics } from '../../generated/registry.ts';
import { rejection } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, until, type Pair } from './network-peers.ts';

/**
 * "Delivered" means acknowledged by the far side, and acknowledged means handled where the receiver
 * asks for it: a client whose session is gone refuses what it cannot send, a recorder-like handler
 * holds the ACK until it has done its work, and a keyed exactly-once publication is delivered once
 * however often it is sent.
 */

const result = topics['gpu/job.result/{corr}'];
const dispatch = topics['gpu/job.dispatch'];
const value = () => result.payload.example();

const busErrors = collectBusErrors();
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe('a client whose session ended', () => {
  it('rejects an at-least-once publish with undelivered instead of resolving it with nobody to send it to', async () => {
    pair = await connectedPair({ errors: busErrors });
    await pair.authority.subscribe(result, () => {}).ready;
    await pair.client.publish(result, value(), { params: { corr: 1 }, qos: 'at_least_once' });
    // The link goes down and the client has no way to resume: its session ends.
    await pair.link().close();
    await until(() => pair!.client.stats().peers.length === 0, 2_000, 'the session to end');
    const err = await rejection(pair.client.publish(result, value(), { params: { corr: 2 }, qos: 'at_least_once' }));
    expect(err.code).toBe('undelivered');
    expect(err.message).toContain('the session with the authority ended');
    // At most once promises nothing: it is still accepted (and lost), as before.
    await pair.client.publish(result, value(), { params: { corr: 3 }, qos: 'at_most_once' });
  });

  it('rejects what was in flight when the session ended', async () => {
    pair = await connectedPair({ errors: busErrors, client: { retransmit: { initialMs: 1_000, maxMs: 1_000, maxAttempts: 100 } } });
    await pair.authority.subscribe(result, () => {}).ready;
    pair.blackout.on = true;
    const inFlight = Array.from({ length: 10 }, (_, i) => rejection(pair!.client.publish(result, value(), { params: { corr: i }, qos: 'at_least_once' })));
    await pair.link().close();
    for (const err of await Promise.all(inFlight)) expect(err.code).toBe('undelivered');
  });
});

describe('ackAfterHandler', () => {
  it('holds the ACK until the handler has done its work: the publish resolves only after it', async () => {
    pair = await connectedPair({ errors: busErrors });
    const written: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await pair.authority.subscribe(
      'gpu/**',
      async (_v, d) => {
        await gate;
        written.push(Number(d.params['corr'] ?? d.address.split('/').pop()));
      },
      { ackAfterHandler: true },
    ).ready;
    let resolved = 0;
    const sends = Array.from({ length: 20 }, (_, i) =>
      pair!.client.publish(result, value(), { params: { corr: i }, qos: 'at_least_once' }).then(() => resolved++),
    );
    // Longer than the ACK delay and several retransmission timeouts: nothing may be acknowledged yet,
    // not even by the floor of an ACK for another message.
    await new Promise((r) => setTimeout(r, 300));
    expect(resolved).toBe(0);
    release();
    await Promise.all(sends);
    expect(written.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('an ACK of a later message does not cover one still being handled (the floor stays below it)', async () => {
    pair = await connectedPair({ errors: busErrors });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await pair.authority.subscribe(result, () => gate, { params: { corr: 1 }, ackAfterHandler: true }).ready;
    await pair.authority.subscribe(result, () => {}, { params: { corr: 2 } }).ready;
    let firstDone = false;
    const first = pair.client.publish(result, value(), { params: { corr: 1 }, qos: 'at_least_once' }).then(() => (firstDone = true));
    await pair.client.publish(result, value(), { params: { corr: 2 }, qos: 'at_least_once' });
    await new Promise((r) => setTimeout(r, 100));
    expect(firstDone).toBe(false);
    release();
    await first;
  });

  it('a handler that fails refuses the message: the publisher gets undelivered, onError gets the failure', async () => {
    pair = await connectedPair({ errors: busErrors });
    await pair.authority.subscribe(
      'gpu/**',
      () => {
        throw new Error('disk full');
      },
      { ackAfterHandler: true },
    ).ready;
    const err = await rejection(pair.client.publish(result, value(), { params: { corr: 1 }, qos: 'at_least_once' }));
    expect(err.code).toBe('undelivered');
    expect(err.message).toContain('disk full');
    busErrors.claim({ bus: 'authority', type: Error, message: 'disk full' }, 1);
  });

  it('does not hold the ACK for a subscriber without it', async () => {
    pair = await connectedPair({ errors: busErrors });
    await pair.authority.subscribe('gpu/**', () => new Promise<void>(() => undefined)).ready;
    await pair.client.publish(result, value(), { params: { corr: 1 }, qos: 'at_least_once' });
  });
});

describe('keyed exactly-once publications', () => {
  const job = dispatch.payload.example();

  it('a copy sent again with the same key is acknowledged and not delivered; another payload under the same key is', async () => {
    pair = await connectedPair({ errors: busErrors });
    const seen: { corr: bigint; dedupeId: string | undefined }[] = [];
    await pair.authority.subscribe('gpu/**', (_v, d) => void seen.push({ corr: d.corr, dedupeId: d.dedupeId }), { ackAfterHandler: true }).ready;
    await pair.client.publish(dispatch, job, { key: 42n });
    await pair.client.publish(dispatch, job, { key: 42n });
    await Promise.all([pair.client.publish(dispatch, job, { key: 43n }), pair.client.publish(dispatch, job, { key: 43n })]);
    // Same key, different bytes: not a copy, so it is delivered (a reused key never hides a message).
    await pair.client.publish(dispatch, { ...job, label: `${job.label}-other` }, { key: 42n });
    // Without a key there is no identity: each publication is delivered.
    await pair.client.publish(dispatch, job);
    await pair.client.publish(dispatch, job);
    await pair.authority.drain();
    expect(seen.map((s) => s.corr)).toEqual([42n, 43n, 42n, 0n, 0n]);
    expect(seen[0]!.dedupeId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(seen.slice(0, 3).map((s) => s.dedupeId)).size).toBe(3);
    expect(seen[3]!.dedupeId).toBeUndefined();
    expect(pair.authority.stats().topics.find((t) => t.topic === dispatch.address)).toMatchObject({ duplicates: 2 });
  });

  it('identities preloaded from an earlier run (a recording) are not delivered again', async () => {
    const first = await connectedPair({ errors: busErrors });
    const ids: string[] = [];
    await first.authority.subscribe('gpu/**', (_v, d) => void ids.push(d.dedupeId!)).ready;
    await first.client.publish(dispatch, job, { key: 7n });
    await first.authority.drain();
    await first.close();
    pair = await connectedPair({ errors: busErrors, authority: { exactlyOnce: { seen: ids } } });
    const delivered: bigint[] = [];
    await pair.authority.subscribe('gpu/**', (_v, d) => void delivered.push(d.corr)).ready;
    await pair.client.publish(dispatch, job, { key: 7n });
    await pair.client.publish(dispatch, job, { key: 8n });
    await pair.authority.drain();
    expect(delivered).toEqual([8n]);
  });

  it('a copy whose first delivery failed is delivered when sent again', async () => {
    pair = await connectedPair({ errors: busErrors });
    let fail = true;
    const delivered: bigint[] = [];
    await pair.authority.subscribe(
      'gpu/**',
      (_v, d) => {
        if (fail) throw new Error('not now');
        delivered.push(d.corr);
      },
      { ackAfterHandler: true },
    ).ready;
    expect((await rejection(pair.client.publish(dispatch, job, { key: 9n }))).code).toBe('undelivered');
    busErrors.claim({ bus: 'authority', message: 'not now' }, 1);
    fail = false;
    await pair.client.publish(dispatch, job, { key: 9n });
    await pair.authority.drain();
    expect(delivered).toEqual([9n]);
  });

  it('the window forgets the oldest identity beyond its size', async () => {
    pair = await connectedPair({ errors: busErrors, authority: { exactlyOnce: { window: 2 } } });
    const delivered: bigint[] = [];
    await pair.authority.subscribe('gpu/**', (_v, d) => void delivered.push(d.corr)).ready;
    for (const key of [1n, 2n, 3n, 1n, 3n]) await pair.client.publish(dispatch, job, { key });
    await pair.authority.drain();
    // 1 was forgotten when 3 came (window of 2), so its copy is delivered again; 3's is not.
    expect(delivered).toEqual([1n, 2n, 3n, 1n]);
  });
});
