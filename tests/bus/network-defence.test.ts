import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, type JitterReportValue, type DeliveryReportValue } from '../../runtime/index.ts';
import { ControlKind } from '../../runtime/lanes/control.ts';
import { DATA_GROUP, FrameError, FrameKind, encodeDataFrame, frameToUmp } from '../../runtime/lanes/frame.ts';
import { topics } from '../../generated/registry.ts';
import { Capabilities } from '../../generated/capabilities.ts';
import { rejection, thrown } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, registry, until, type Pair } from './network-peers.ts';
import { RawPeer } from './raw-peer.ts';

const dispatch = topics['gpu/job.dispatch'];
const result = topics['gpu/job.result/{corr}'];
const bit = (name: keyof typeof Capabilities) => 1n << BigInt(Capabilities[name].bit);
const ALL = (1n << 64n) - 1n;

const busErrors = collectBusErrors();
let authority: NetworkBus | undefined;
let pair: Pair | undefined;
afterEach(async () => {
  await authority?.close();
  await pair?.close();
  authority = undefined;
  pair = undefined;
});

function newAuthority(): NetworkBus {
  authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
  authority.serve(dispatch, () => dispatch.reply!.example());
  return authority;
}

describe('refusals', () => {
  it('frames outside a session are refused as replay and never delivered', async () => {
    const a = newAuthority();
    const got: unknown[] = [];
    a.subscribe('**', (v) => void got.push(v));
    const raw = RawPeer.attach(a);
    raw.data(FrameKind.Publish, 1n, 'gpu/job.result/1', raw.header(result.id, { sessionId: 1234 }), result.payload.encode(result.payload.example()));
    expect(await raw.answerTo(1n)).toMatchObject({ kind: ControlKind.Nack, reason: 'replay' });
    expect(got).toEqual([]);
  });

  it('a frame carrying another session id is refused as replay', async () => {
    const raw = RawPeer.attach(newAuthority());
    await raw.hello(ALL);
    raw.data(
      FrameKind.Publish,
      1n,
      'gpu/job.result/1',
      raw.header(result.id, { sessionId: (raw.sessionId ^ 1) >>> 0 }),
      result.payload.encode(result.payload.example()),
    );
    expect(await raw.answerTo(1n)).toMatchObject({ kind: ControlKind.Nack, reason: 'replay' });
  });

  it('stale and far-future timestamps are refused as stale', async () => {
    const raw = RawPeer.attach(newAuthority());
    await raw.hello(ALL);
    const bytes = result.payload.encode(result.payload.example());
    raw.data(FrameKind.Publish, 1n, 'gpu/job.result/1', raw.header(result.id, { timestampUs: BigInt(Date.now() - 60_000) * 1000n }), bytes);
    raw.data(FrameKind.Publish, 2n, 'gpu/job.result/1', raw.header(result.id, { timestampUs: BigInt(Date.now() + 60_000) * 1000n }), bytes);
    raw.data(FrameKind.Publish, 3n, 'gpu/job.result/1', raw.header(result.id), bytes);
    expect(await raw.answerTo(1n)).toMatchObject({ kind: ControlKind.Nack, reason: 'stale' });
    expect(await raw.answerTo(2n)).toMatchObject({ kind: ControlKind.Nack, reason: 'stale' });
    expect((await raw.answerTo(3n)).kind).toBe(ControlKind.Ack);
  });

  it('a request reusing a correlation id is refused as replay; a retransmitted copy is only acknowledged again', async () => {
    const a = newAuthority();
    let served = 0;
    a.serve(topics['gpu/pipeline.create'], () => (served++, topics['gpu/pipeline.create'].reply!.example()));
    const raw = RawPeer.attach(a);
    await raw.hello(ALL);
    const pipeline = topics['gpu/pipeline.create'];
    const bytes = pipeline.payload.encode(pipeline.payload.example());
    const h = raw.header(pipeline.id, { corrId: 77n });
    raw.data(FrameKind.Request, 1n, pipeline.address, h, bytes);
    expect((await raw.answerTo(1n)).kind).toBe(ControlKind.Ack);
    raw.data(FrameKind.Request, 1n, pipeline.address, h, bytes); // the same frame again (a retransmission)
    raw.data(FrameKind.Request, 2n, pipeline.address, raw.header(pipeline.id, { corrId: 77n }), bytes); // a new frame, old corr
    expect(await raw.answerTo(2n)).toMatchObject({ kind: ControlKind.Nack, reason: 'replay' });
    await until(() => served >= 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(served).toBe(1);
  });

  it('publishing without the capability is refused as forbidden by the authority, even when the client lies', async () => {
    const raw = RawPeer.attach(newAuthority());
    await raw.hello(bit('gpu.host'));
    raw.data(
      FrameKind.Request,
      1n,
      dispatch.address,
      raw.header(dispatch.id, { corrId: 5n, capabilities: ALL }),
      dispatch.payload.encode(dispatch.payload.example()),
    );
    expect(await raw.answerTo(1n)).toMatchObject({ kind: ControlKind.Nack, reason: 'forbidden' });
  });

  it('a client bus without the capability is refused locally (publish and subscribe) and remotely (subscribe)', async () => {
    pair = await connectedPair({ errors: busErrors, client: { capabilities: bit('telemetry.read') } });
    expect((await rejection(pair.client.publish(dispatch, dispatch.payload.example()))).code).toBe('forbidden');
    expect(thrown(() => pair!.client.subscribe(dispatch, () => {})).code).toBe('forbidden');
    const raw = RawPeer.attach(pair.authority);
    await raw.hello(bit('telemetry.read'));
    raw.control({ kind: ControlKind.Subscribe, subId: 1, topicId: dispatch.id, pattern: dispatch.address });
    await until(() => raw.controls.some((c) => c.kind === ControlKind.Subscribed));
    expect(raw.controls.find((c) => c.kind === ControlKind.Subscribed)).toMatchObject({ refused: 'forbidden' });
  });

  it('pattern subscribers only receive topics their session may subscribe to', async () => {
    pair = await connectedPair({ errors: busErrors, client: { capabilities: bit('telemetry.read') } });
    const got: string[] = [];
    await pair.client.subscribe('**', (_v, d) => void got.push(d.address)).ready;
    await pair.authority.publish(dispatch, dispatch.payload.example(), { qos: 'at_least_once' });
    const jitter = topics['telemetry/jitter'];
    await pair.authority.publish(jitter, jitter.payload.example());
    await until(() => got.length > 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['telemetry/jitter']);
    // The authority never sent the dispatch to that session at all (not merely: it has not arrived yet).
    const sent = (address: string) => pair!.authority.stats().topics.find((t) => t.topic === address)?.sent ?? 0;
    expect([sent(dispatch.address), sent(jitter.address)]).toEqual([0, 1]);
  });

  it('a resume with a wrong or used token is refused', async () => {
    const raw = RawPeer.attach(newAuthority());
    await raw.hello(ALL);
    const second = RawPeer.attach(authority!);
    expect(await second.hello(ALL, { sessionId: raw.sessionId, token: 'x'.repeat(32), lastSeq: 0n })).toMatchObject({
      kind: ControlKind.Refuse,
      name: 'INVALID_RESUME_TOKEN',
    });
    const old = raw.token;
    const third = RawPeer.attach(authority!);
    expect((await third.hello(ALL, { sessionId: raw.sessionId, token: old, lastSeq: 0n })).kind).toBe(ControlKind.Welcome);
    const fourth = RawPeer.attach(authority!);
    expect(await fourth.hello(ALL, { sessionId: raw.sessionId, token: old, lastSeq: 0n })).toMatchObject({
      kind: ControlKind.Refuse,
      name: 'INVALID_RESUME_TOKEN',
    });
  });
});

describe('flex lane refusals', () => {
  it('a flex frame whose body the topic codec refuses is refused as invalid-payload; a valid one is acknowledged', async () => {
    const { encodeFlexFrame } = await import('../../runtime/lanes/flex-frame.ts');
    const raw = RawPeer.attach(newAuthority());
    await raw.hello(ALL);
    const sse = topics['sse/stream/{id}'];
    const send = (seq: bigint, body: import('../../runtime/index.ts').JsonValue) =>
      raw.link.send(encodeFlexFrame({ kind: FrameKind.Publish, flags: 0, seq, address: 'sse/stream/x', header: raw.header(sse.id), body }));
    send(1n, { nonsense: true });
    send(2n, sse.payload.toJSON(sse.payload.example()));
    expect(await raw.answerTo(1n)).toMatchObject({ kind: ControlKind.Nack, reason: 'invalid-payload' });
    expect((await raw.answerTo(2n)).kind).toBe(ControlKind.Ack);
  });
});

describe('hostile frames', () => {
  it('random words and mutated frames never crash the authority; the session keeps serving', async () => {
    const a = newAuthority();
    const raw = RawPeer.attach(a);
    await raw.hello(ALL);
    const good = result.payload.encode(result.payload.example());
    let seq = 100n;
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.nat(200), (words, junk, cut) => {
        // Whole packets only: pad to a multiple of 4 words (a link never delivers a partial packet).
        const padded = new Uint32Array(Math.ceil(words.length / 4) * 4);
        padded.set(words);
        raw.link.send(padded);
        raw.data(FrameKind.Publish, seq++, 'gpu/job.result/1', raw.header(result.id), junk);
        raw.control({ kind: ControlKind.Ack, floor: BigInt(cut), seqs: [] });
      }),
      { numRuns: 150, seed: 5 },
    );
    await new Promise((r) => setTimeout(r, 50));
    // The random words hold no frame of ours (no MIDL SysEx8 prefix with a valid checksum) and every junk payload
    // is refused back to the sender (NACK invalid-payload): nothing is malformed, so nothing is reported.
    expect(a.stats().quarantined).toBe(0);
    expect(busErrors.count()).toBe(0);
    // A frame damaged on the way fails its checksum: quarantined and reported (a FrameError naming the peer), once.
    const damaged = encodeDataFrame(FrameKind.Publish, 0, 9_999n, 'gpu/job.result/1', raw.header(result.id), good, 1 << 20);
    damaged[damaged.length - 10]! ^= 0x40;
    raw.link.send(frameToUmp(damaged, DATA_GROUP, 1));
    await until(() => busErrors.count() === 1, 2_000, 'the damaged frame reported');
    busErrors.claim({ bus: 'authority', type: FrameError, address: `peer raw (session ${raw.sessionId})`, message: 'checksum mismatch' }, 1);
    expect(a.stats().quarantined).toBe(1);
    const got: unknown[] = [];
    a.subscribe(result, (v) => void got.push(v));
    raw.data(FrameKind.Publish, 10_000n, 'gpu/job.result/2', raw.header(result.id), good);
    expect((await raw.answerTo(10_000n)).kind).toBe(ControlKind.Ack);
    await until(() => got.length === 1);
    expect(a.stats().peers[0]?.state).toBe('established');
  });
});

describe('telemetry', () => {
  it('latency, jitter and delivery counters are published on telemetry/* and compared with the budget', async () => {
    pair = await connectedPair({
      errors: busErrors,
      authority: { telemetry: { jitter: topics['telemetry/jitter'], delivery: topics['telemetry/delivery'], intervalMs: 100 } },
    });
    const jitter: JitterReportValue[] = [];
    const delivery: DeliveryReportValue[] = [];
    await pair.client.subscribe(topics['telemetry/jitter'], (v) => void jitter.push(v)).ready;
    await pair.client.subscribe(topics['telemetry/delivery'], (v) => void delivery.push(v)).ready;
    await pair.authority.subscribe(result, () => {}).ready;
    for (let i = 0; i < 20; i++) await pair.client.publish(result, result.payload.example(), { params: { corr: i } });
    // Reports are per window (100 ms): the 20 messages may span several.
    const mine = <T extends { topic: string }>(list: T[]) => list.filter((x) => x.topic === result.address);
    await until(() => mine(jitter).reduce((n, j) => n + j.samples, 0) === 20 && mine(delivery).reduce((n, d) => n + d.received, 0n) === 20n, 3_000, 'reports');
    // Latencies are measured, so their values are not known: what holds is their order within a report.
    for (const j of mine(jitter)) {
      expect(j).toMatchObject({ peer: 'authority', topicId: result.id });
      expect(j.latencyP50).toBeGreaterThanOrEqual(0);
      expect(j.latencyP99).toBeGreaterThanOrEqual(j.latencyP50);
      expect(j.latencyMax).toBeGreaterThanOrEqual(j.latencyP99);
      expect(j.overBudget).toBeLessThanOrEqual(j.samples);
      expect(j.budget).toEqual({ latency: result.budget.latencyUs, ...(result.budget.jitterUs === undefined ? {} : { jitter: result.budget.jitterUs }) });
    }
    expect(mine(delivery).reduce((n, d) => n + d.duplicates, 0n)).toBe(0n);
  });
});

describe('telemetry on a broken budget', () => {
  it("publishes the topic's jitter report at once when a message breaks its budget, then not again within the window", async () => {
    authority = new NetworkBus({
      name: 'authority',
      ...registry,
      onError: busErrors.for('authority'),
      telemetry: { jitter: topics['telemetry/jitter'], intervalMs: 60_000 },
    });
    const reports: JitterReportValue[] = [];
    authority.subscribe(topics['telemetry/jitter'], (v) => void reports.push(v));
    authority.subscribe(result, () => {});
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    const bytes = result.payload.encode(result.payload.example());
    // gpu/job.result/{corr} has a 10 ms latency budget: these were sent 50 ms ago.
    raw.data(FrameKind.Publish, 1n, 'gpu/job.result/1', raw.header(result.id, { timestampUs: BigInt(Date.now() - 50) * 1000n }), bytes);
    raw.data(FrameKind.Publish, 2n, 'gpu/job.result/2', raw.header(result.id, { timestampUs: BigInt(Date.now() - 50) * 1000n }), bytes);
    await raw.answerTo(2n);
    await until(() => reports.length > 0, 2_000, 'a breach report');
    await new Promise((r) => setTimeout(r, 30));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ topic: result.address, samples: 1, overBudget: 1, budget: { latency: 10_000, jitter: 2_000 } });
    // Measured, so a bound: sent 50 ms before receipt, less what the two clocks (Date, performance) may disagree.
    expect(reports[0]!.latencyMax).toBeGreaterThanOrEqual(40_000);
  });
});

describe('telemetry windows', () => {
  it('counts messages over the latency or jitter budget and computes percentiles per window', async () => {
    const { Telemetry } = await import('../../runtime/bus/telemetry.ts');
    const topic = { ...result, budget: { latencyUs: 1_000, jitterUs: 300 } };
    const t = new Telemetry(new Map([[topic.id, topic]]));
    for (const us of [100, 200, 300, 5_000, 400, 450]) t.latency(topic.id, us);
    t.counters(topic.id).received = 6;
    const { jitter, delivery } = t.closeWindow('me');
    // 5000 is over the latency budget; the jumps 300→5000 and 5000→400 are over the jitter budget.
    expect(jitter[0]).toMatchObject({
      samples: 6,
      latencyP50: 300,
      latencyP99: 5_000,
      latencyMax: 5_000,
      overBudget: 2,
      budget: { latency: 1_000, jitter: 300 },
    });
    expect(delivery[0]).toMatchObject({ received: 6n, sent: 0n });
    expect(t.closeWindow('me')).toEqual({ jitter: [], delivery: [] });
    // A breach report ends the topic's latency window: the periodic report after it has only the rest.
    t.latency(topic.id, 9_000);
    expect(t.breachReport('me', topic.id)).toMatchObject({ samples: 1, overBudget: 1, latencyMax: 9_000 });
    t.latency(topic.id, 100);
    expect(t.closeWindow('me').jitter).toEqual([expect.objectContaining({ samples: 1, latencyMax: 100 })]);
  });
});
