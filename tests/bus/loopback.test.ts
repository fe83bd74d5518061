import { describe, expect, it, vi } from 'vitest';
import { ALL_CAPABILITIES, LoopbackBus, LoopbackHub, RemoteError, type Delivery } from '../../runtime/bus/index.ts';
import { rejection, thrown, tick } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { CAP, JobCodec, cell, dispatch, plan, result, type Result } from './fixtures.ts';

const busErrors = collectBusErrors();

function setup(opts: { maxQueued?: number; requestTimeoutMs?: number } = {}) {
  const hub = new LoopbackHub({ ...opts, onError: busErrors.for('hub') });
  const host = hub.connect({ capabilities: CAP.host });
  const app = hub.connect({ capabilities: CAP.dispatch });
  return { hub, host, app };
}

describe('LoopbackBus publish/subscribe', () => {
  it('delivers asynchronously, decoded from the encoded bytes, with delivery metadata', async () => {
    const { host, app } = setup();
    const got: { value: unknown; d: Delivery }[] = [];
    host.subscribe(dispatch, (value, d) => void got.push({ value, d }));
    const job = { pipeline: 'p1' };
    const before = JobCodec.stats.decoded;
    const sent = app.publish(dispatch, job);
    expect(got).toEqual([]); // not synchronous
    await sent;
    await tick();
    expect(got).toHaveLength(1);
    expect(got[0]!.value).toEqual(job);
    expect(got[0]!.value).not.toBe(job); // a decoded copy, not the sender's object
    expect(JobCodec.stats.decoded).toBe(before + 1);
    const d = got[0]!.d;
    expect(d.address).toBe('gpu/job.dispatch');
    expect(d.topic).toBe(dispatch);
    expect(d.sessionId).toBe(app.sessionId);
    expect(d.corr).toBe(0n);
    expect(d.replyTo).toBeUndefined();
    expect(d.size).toBe(JSON.stringify(job).length);
  });

  it('fills {param} segments and filters subscriptions by fixed params', async () => {
    const { host, app } = setup();
    const all: string[] = [];
    const one: Result[] = [];
    app.subscribe(result, (_v, d) => void all.push(d.params.corr));
    app.subscribe(result, (v) => void one.push(v), { params: { corr: 7n } });
    await host.publish(result, { status: 'ok', n: 1 }, { params: { corr: 7n } });
    await host.publish(result, { status: 'failed', n: 2 }, { params: { corr: 'abc' } });
    await tick();
    expect(all).toEqual(['7', 'abc']);
    expect(one).toEqual([{ status: 'ok', n: 1 }]);
  });

  it('handles two parameters and partial filters', async () => {
    const { hub } = setup();
    const a = hub.connect({ capabilities: 0n });
    const seen: string[] = [];
    a.subscribe(cell, (_v, d) => void seen.push(`${d.params.grid}:${d.params.cell}`), { params: { cell: 'b2' } });
    for (const [grid, c] of [
      ['g1', 'a1'],
      ['g1', 'b2'],
      ['g2', 'b2'],
    ] as const)
      await a.publish(cell, { status: 'ok', n: 0 }, { params: { grid, cell: c } });
    await tick();
    expect(seen).toEqual(['g1:b2', 'g2:b2']);
  });

  it.each([
    [{}, "parameter 'corr' is missing"],
    [{ corr: 'a/b' }, "contains '/'"],
    [{ corr: '' }, 'is empty'],
    [{ corr: '*' }, 'wildcard'],
    [{ corr: '{x}' }, "'{'"],
    [{ corr: Number.NaN }, 'not a finite number'],
  ])('rejects bad params %j with invalid-address', async (params, text) => {
    const { host } = setup();
    const err = await rejection(host.publish(result, { status: 'ok', n: 0 }, { params }));
    expect(err.code).toBe('invalid-address');
    expect(err.message).toContain(text);
  });

  it('wildcard patterns: * is one segment, ** the rest, {name} captures', async () => {
    const { hub, host, app } = setup();
    const observer = hub.connect({ capabilities: CAP.dispatch | CAP.host });
    const star: string[] = [];
    const rest: string[] = [];
    const cap: string[] = [];
    observer.subscribe('gpu/*', (_v, d) => void star.push(d.address));
    observer.subscribe('gpu/**', (_v, d) => void rest.push(d.address));
    observer.subscribe('gpu/job.result/{id}', (_v, d) => void cap.push(d.params['id']!));
    await app.publish(dispatch, { pipeline: 'p' });
    await host.publish(result, { status: 'ok', n: 1 }, { params: { corr: 5 } });
    await tick();
    expect(star).toEqual(['gpu/job.dispatch']);
    expect(rest).toEqual(['gpu/job.dispatch', 'gpu/job.result/5']);
    expect(cap).toEqual(['5']);
  });

  it('pattern subscriptions skip topics the session may not subscribe to', async () => {
    const { hub, host, app } = setup();
    const weak = hub.connect({ capabilities: CAP.observe }); // may read results, not dispatches
    const seen: string[] = [];
    weak.subscribe('**', (_v, d) => void seen.push(d.address));
    await app.publish(dispatch, { pipeline: 'p' });
    await host.publish(result, { status: 'ok', n: 1 }, { params: { corr: 1 } });
    await tick();
    expect(seen).toEqual(['gpu/job.result/1']);
  });

  it.each(['', 'a//b', 'a/**/b', 'gpu/job.*', 'x/{a'])('rejects the malformed pattern %j', (p) => {
    const { app } = setup();
    expect(thrown(() => app.subscribe(p, () => {})).code).toBe('invalid-address');
  });

  it('keeps publication order per topic (and overall) across many messages', async () => {
    const { host, app } = setup();
    const seen: number[] = [];
    app.subscribe(result, (v) => void seen.push(v.n));
    for (let n = 0; n < 500; n++) void host.publish(result, { status: 'ok', n }, { params: { corr: n % 3 } });
    await tick();
    expect(seen).toEqual([...Array(500).keys()]);
  });

  it('unsubscribe stops deliveries, including ones already queued', async () => {
    const { host, app } = setup();
    const seen: number[] = [];
    const sub = app.subscribe(result, (v) => void seen.push(v.n));
    const sent = host.publish(result, { status: 'ok', n: 1 }, { params: { corr: 1 } });
    sub.unsubscribe(); // before the queued delivery runs
    await sent;
    sub.unsubscribe();
    await tick();
    expect(seen).toEqual([]);
    await expect(sub.ready).resolves.toBeUndefined();
  });

  it('a failing handler goes to onError and does not stop other subscribers', async () => {
    const { host, app } = setup();
    const seen: number[] = [];
    app.subscribe(result, () => {
      throw new Error('boom');
    });
    app.subscribe(result, () => Promise.reject(new Error('async boom')));
    app.subscribe(result, (v) => void seen.push(v.n));
    await host.publish(result, { status: 'ok', n: 3 }, { params: { corr: 1 } });
    await tick();
    expect(seen).toEqual([3]);
    busErrors.claim({ bus: 'hub', type: Error, address: 'gpu/job.result/1', message: /^boom$/ }, 1);
    busErrors.claim({ bus: 'hub', type: Error, address: 'gpu/job.result/1', message: /^async boom$/ }, 1);
  });
});

describe('LoopbackBus set-up', () => {
  it('LoopbackBus.create makes a hub with one session; drain waits for queued deliveries', async () => {
    const bus = LoopbackBus.create({ capabilities: CAP.host | CAP.dispatch, maxQueued: 10, onError: busErrors.for('bus') });
    expect(bus.hub.maxQueued).toBe(10);
    const seen: number[] = [];
    bus.subscribe(result, (v) => void seen.push(v.n));
    void bus.publish(result, { status: 'ok', n: 1 }, { params: { corr: 1 } });
    expect(bus.hub.queued).toBe(1);
    await bus.hub.drain();
    expect(seen).toEqual([1]);
    expect(bus.hub.queued).toBe(0);
  });
});

describe('LoopbackBus capability masks', () => {
  it('refuses to publish without any of the publish capabilities (typed error, nothing sent)', async () => {
    const { hub, host } = setup();
    const seen = vi.fn();
    host.subscribe(dispatch, seen);
    const stranger = hub.connect({ capabilities: CAP.observe });
    const err = await rejection(stranger.publish(dispatch, { pipeline: 'p' }));
    expect(err.code).toBe('forbidden');
    expect(err.required).toBe(CAP.dispatch);
    expect(err.granted).toBe(CAP.observe);
    await tick();
    expect(seen).not.toHaveBeenCalled();
  });

  it('refuses to subscribe without any of the subscribe capabilities', () => {
    const { app } = setup();
    const err = thrown(() => app.subscribe(dispatch, () => {}));
    expect(err.code).toBe('forbidden');
    expect(err.required).toBe(CAP.host);
  });

  it('any one of several capabilities is enough; a topic naming none is open', async () => {
    const { hub } = setup();
    const observer = hub.connect({ capabilities: CAP.observe });
    expect(() => observer.subscribe(result, () => {})).not.toThrow();
    const nobody = hub.connect({ capabilities: 0n });
    await expect(nobody.publish(cell, { status: 'ok', n: 0 }, { params: { grid: 'g', cell: 'c' } })).resolves.toBeUndefined();
  });

  it('rejects masks outside 64 bits at connect', () => {
    const hub = new LoopbackHub({ onError: busErrors.for('hub') });
    expect(() => hub.connect({ capabilities: 1n << 64n })).toThrow(RangeError);
    expect(() => hub.connect({ capabilities: -1n })).toThrow(RangeError);
    expect(hub.connect({ capabilities: ALL_CAPABILITIES }).capabilities).toBe(ALL_CAPABILITIES);
  });
});

describe('LoopbackBus limits and validation', () => {
  it('refuses a payload over maxPayload before sending', async () => {
    const { host, app } = setup();
    const seen = vi.fn();
    host.subscribe(dispatch, seen);
    const big = { pipeline: 'x'.repeat(100) };
    const err = await rejection(app.publish(dispatch, big));
    expect(err.code).toBe('too-large');
    expect(err.limit).toBe(64);
    expect(err.size).toBe(JSON.stringify(big).length);
    await tick();
    expect(seen).not.toHaveBeenCalled();
  });

  it('applies the session maxPayload on top of the topic limit', async () => {
    const { hub } = setup();
    const small = hub.connect({ capabilities: CAP.dispatch, maxPayload: 10 });
    const err = await rejection(small.publish(dispatch, { pipeline: 'abcdef' }));
    expect(err.code).toBe('too-large');
    expect(err.limit).toBe(10);
  });

  it('rejects an invalid value with its validation issues, nothing sent', async () => {
    const { host, app } = setup();
    const seen = vi.fn();
    host.subscribe(dispatch, seen);
    const err = await rejection(app.publish(dispatch, { pipeline: '' }));
    expect(err.code).toBe('invalid-payload');
    expect(err.issues).toEqual([{ path: '/pipeline', message: 'must be a non-empty string' }]);
    await tick();
    expect(seen).not.toHaveBeenCalled();
  });

  it('reports backpressure with a retry hint when the queue is full', async () => {
    const { hub, host } = setup({ maxQueued: 2 });
    const app = hub.connect({ capabilities: CAP.dispatch });
    host.subscribe(dispatch, () => {});
    host.subscribe(dispatch, () => {});
    const first = app.publish(dispatch, { pipeline: 'a' }); // queues two deliveries
    const err = await rejection(app.publish(dispatch, { pipeline: 'b' }));
    await first;
    expect(err.code).toBe('backpressure');
    // The hint grows with the queue (1 ms per 10,000 queued): two queued deliveries give the smallest, 1 ms.
    expect(err.retryAfterMs).toBe(1);
    await tick();
    await expect(app.publish(dispatch, { pipeline: 'c' })).resolves.toBeUndefined();
  });
});

describe('LoopbackBus request/reply', () => {
  it('answers with the typed reply on <address>/reply/<corr>', async () => {
    const { host, app } = setup();
    const seen: Delivery[] = [];
    host.serve(dispatch, (job, d) => {
      seen.push(d);
      return { queued: job.pipeline.length };
    });
    const r1 = await app.request(dispatch, { pipeline: 'abc' });
    const r2 = await app.request(dispatch, { pipeline: 'abcd' });
    expect(r1).toEqual({ queued: 3 });
    expect(r2).toEqual({ queued: 4 });
    // Non-zero is the contract (0n marks a plain publication); how ids are numbered is the hub's choice.
    expect(seen[0]!.corr).toBeGreaterThan(0n);
    expect(seen[1]!.corr).not.toBe(seen[0]!.corr);
    expect(seen[0]!.replyTo).toBe(`gpu/job.dispatch/reply/${seen[0]!.corr}`);
  });

  it('a plain subscriber can answer with bus.reply', async () => {
    const { host, app } = setup();
    host.subscribe(dispatch, (_job, d) => void host.reply(d, { queued: 9 }));
    await expect(app.request(dispatch, { pipeline: 'p' })).resolves.toEqual({ queued: 9 });
  });

  it('fails at once with no-responder; pattern observers do not count', async () => {
    const { hub, app } = setup();
    hub.connect({ capabilities: ALL_CAPABILITIES }).subscribe('gpu/**', () => {});
    expect((await rejection(app.request(dispatch, { pipeline: 'p' }))).code).toBe('no-responder');
  });

  it('times out when nobody answers', async () => {
    const { host, app } = setup();
    host.subscribe(dispatch, () => {});
    const t0 = Date.now();
    const err = await rejection(app.request(dispatch, { pipeline: 'p' }, { timeoutMs: 30 }));
    expect(err.code).toBe('timeout');
    expect(err.timeoutMs).toBe(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('uses the bus default timeout', async () => {
    const { host, app } = setup({ requestTimeoutMs: 20 });
    host.subscribe(dispatch, () => {});
    expect((await rejection(app.request(dispatch, { pipeline: 'p' }))).timeoutMs).toBe(20);
  });

  it('a late reply after the timeout is dropped', async () => {
    const { host, app } = setup();
    host.serve(dispatch, async () => {
      await new Promise((r) => setTimeout(r, 40));
      return { queued: 1 };
    });
    expect((await rejection(app.request(dispatch, { pipeline: 'p' }, { timeoutMs: 5 }))).code).toBe('timeout');
    await new Promise((r) => setTimeout(r, 60));
    expect(busErrors.count()).toBe(0);
  });

  it('RemoteError answers with a member of the error set', async () => {
    const { host, app } = setup();
    host.serve(dispatch, () => {
      throw new RemoteError('COMPILE_FAILED');
    });
    const err = await rejection(app.request(dispatch, { pipeline: 'p' }));
    expect(err.code).toBe('remote');
    expect(err.remote).toEqual({ name: 'COMPILE_FAILED', code: 1001, message: 'WGSL failed to compile' });
  });

  it('a responder that throws anything else answers INTERNAL and reports the error', async () => {
    const { host, app } = setup();
    host.serve(dispatch, () => {
      throw new Error('disk on fire');
    });
    const err = await rejection(app.request(dispatch, { pipeline: 'p' }));
    expect(err.remote).toEqual({ name: 'INTERNAL', code: 0, message: 'disk on fire' });
    await tick();
    busErrors.claim({ bus: 'hub', type: Error, message: 'disk on fire' }, 1);
  });

  it('an invalid reply is refused and the requester learns at once', async () => {
    const { host, app } = setup();
    host.serve(dispatch, () => ({ queued: 'many' }) as never);
    const err = await rejection(app.request(dispatch, { pipeline: 'p' }));
    expect(err.code).toBe('remote');
    expect(err.remote?.name).toBe('INTERNAL');
    // The responder's side learns why its reply was refused.
    busErrors.claim({ bus: 'hub', code: 'invalid-payload', address: 'gpu/job.dispatch', message: '/queued must be a number' }, 1);
  });

  it('request on a topic without a reply type fails', async () => {
    const { host } = setup();
    expect((await rejection(host.request(result, { status: 'ok', n: 0 }, { params: { corr: 1 } }))).code).toBe('no-responder');
  });

  it('checks capabilities, validity and size before registering a request', async () => {
    const { hub, host } = setup();
    host.serve(dispatch, () => ({ queued: 1 }));
    const stranger = hub.connect({ capabilities: 0n });
    expect((await rejection(stranger.request(dispatch, { pipeline: 'p' }))).code).toBe('forbidden');
    const app = hub.connect({ capabilities: CAP.dispatch });
    expect((await rejection(app.request(dispatch, { pipeline: '' }))).code).toBe('invalid-payload');
    expect((await rejection(app.request(dispatch, { pipeline: 'y'.repeat(99) }))).code).toBe('too-large');
    expect(hub.pending.size).toBe(0);
  });

  it('close rejects pending requests and later calls with closed', async () => {
    const { host, app } = setup();
    host.subscribe(dispatch, () => {});
    const pending = app.request(dispatch, { pipeline: 'p' });
    await app.close();
    expect((await rejection(pending)).code).toBe('closed');
    expect((await rejection(app.publish(dispatch, { pipeline: 'p' }))).code).toBe('closed');
    expect(thrown(() => app.subscribe(result, () => {})).code).toBe('closed');
  });
});

describe('LoopbackBus intents', () => {
  it('invokes a served intent with typed body and reply', async () => {
    const { host, app } = setup();
    host.serveIntent(plan, (body, d) => {
      expect(d.intent).toBe(plan);
      return { queued: body.pipeline.length };
    });
    await expect(app.invoke(plan, { pipeline: 'four' })).resolves.toEqual({ queued: 4 });
  });

  it('reports no-responder, invalid bodies, remote errors and timeouts', async () => {
    const { host, app } = setup();
    expect((await rejection(app.invoke(plan, { pipeline: 'x' }))).code).toBe('no-responder');
    const sub = host.serveIntent(plan, (body) => {
      if (body.pipeline === 'busy') throw new RemoteError('BUSY', 'try later');
      return new Promise(() => {});
    });
    expect((await rejection(app.invoke(plan, { pipeline: '' }))).code).toBe('invalid-payload');
    expect((await rejection(app.invoke(plan, { pipeline: 'busy' }))).remote).toEqual({ name: 'BUSY', code: 1002, message: 'try later' });
    expect((await rejection(app.invoke(plan, { pipeline: 'slow' }, { timeoutMs: 10 }))).code).toBe('timeout');
    sub.unsubscribe();
    expect((await rejection(app.invoke(plan, { pipeline: 'x' }))).code).toBe('no-responder');
  });
});
