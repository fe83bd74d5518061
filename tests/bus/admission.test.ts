// Nobody locked out: what one hostile session does to an authority (subscriptions past any bound,
// requests it never lets be answered) is refused with a typed error and leaves every other session's
// HELLO/WELCOME, subscriptions and messages as they were. Real Network MIDI 2.0 sessions on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, type UmpLink } from '../../runtime/index.ts';
import { ControlKind, type Control } from '../../runtime/lanes/control.ts';
import { FrameKind } from '../../runtime/lanes/frame.ts';
import { Nm2Endpoint, connectNm2 } from '../../runtime/transports/nm2/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { RawPeer } from './raw-peer.ts';
import { registry, until } from './network-peers.ts';

const busErrors = collectBusErrors();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const heartbeat = topics['session/heartbeat'];
const dispatch = topics['gpu/job.dispatch'];
const ALL = (1n << 64n) - 1n;
const tick = () => new Promise<void>((r) => setImmediate(r));

async function authorityOn(options: Partial<ConstructorParameters<typeof NetworkBus>[0]> = {}): Promise<{ authority: NetworkBus; port: number }> {
  const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'authority' });
  cleanup.push(() => endpoint.close());
  const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority'), ...options });
  cleanup.push(() => authority.close());
  endpoint.onSession((link) => authority.accept(link));
  return { authority, port: endpoint.port };
}

async function link(port: number, name: string): Promise<UmpLink> {
  const l = await connectNm2(`udp://127.0.0.1:${port}`, { name });
  cleanup.push(() => l.close());
  return l;
}

async function client(port: number, name: string): Promise<NetworkBus> {
  const bus = new NetworkBus({ name, ...registry, onError: busErrors.for(name) });
  cleanup.push(() => bus.close());
  await bus.connect(await link(port, name), { timeoutMs: 3_000 });
  return bus;
}

/** Sends `count` SUBSCRIBE frames (distinct ids and patterns) in batches the link takes without a pause. */
async function subscribeFlood(raw: RawPeer, count: number, firstId = 1): Promise<void> {
  for (let i = 0; i < count; i++) {
    raw.control({ kind: ControlKind.Subscribe, subId: firstId + i, topicId: 0, pattern: `flood/${firstId + i}/**` });
    if (i % 64 === 63) await tick();
  }
}

const subscribed = (raw: RawPeer, refused?: string): (Control & { kind: typeof ControlKind.Subscribed })[] =>
  raw.controls.filter((c): c is Control & { kind: typeof ControlKind.Subscribed } => c.kind === ControlKind.Subscribed && c.refused === refused);

describe('subscriptions of one session cannot lock others out', () => {
  it('4,097 SUBSCRIBEs from one session: the excess is refused with `limit`, and a later client still gets its WELCOME and its messages', async () => {
    const { authority, port } = await authorityOn();
    const raw = new RawPeer(await link(port, 'flooder'));
    expect((await raw.hello(ALL)).kind).toBe(ControlKind.Welcome);
    await subscribeFlood(raw, 4_097);
    await until(() => subscribed(raw).length + subscribed(raw, 'limit').length === 4_097, 10_000, 'an answer to every SUBSCRIBE');
    expect(subscribed(raw).length).toBe(256);
    expect(subscribed(raw, 'limit')[0]!.message).toMatch(/holds 256 subscriptions/);

    // A client after the flood: its WELCOME carries every relayed subscription that fits, the rest follow as SUBSCRIBE.
    const late = await client(port, 'late');
    const got: unknown[] = [];
    await late.subscribe(heartbeat, (v) => void got.push(v)).ready;
    await authority.publish(heartbeat, heartbeat.payload.example());
    await until(() => got.length === 1, 3_000, 'the message after the flood');
    expect(authority.stats().peers.find((p) => p.sessionId === raw.sessionId)?.subscriptions).toBe(256);
  }, 30_000);

  it('a HELLO naming more subscriptions than the limit keeps the first ones and reports the rest', async () => {
    const { authority, port } = await authorityOn({ maxSubscriptionsPerSession: 8 });
    const raw = new RawPeer(await link(port, 'greedy'));
    const interests = Array.from({ length: 20 }, (_, i) => ({ subId: i + 1, topicId: 0, pattern: `greedy/${i}` }));
    raw.control({
      kind: ControlKind.Hello,
      name: 'greedy',
      capabilities: ALL,
      maxPayload: 65_536,
      jitterBudgetUs: 5_000,
      heartbeatMs: 1_000,
      clockSources: [1],
      interests,
      resume: undefined,
    });
    await until(() => raw.controls.some((c) => c.kind === ControlKind.Welcome), 3_000, 'WELCOME');
    expect(authority.stats().peers.find((p) => p.name === 'greedy')?.subscriptions).toBe(8);
    busErrors.claim({ bus: 'authority', code: 'limit', message: /12 subscriptions of its HELLO refused/ }, 1);
  });

  it('a WELCOME never fails for what other sessions subscribed: 2 sessions × 2,050 relayed subscriptions reach a new client', async () => {
    const { port } = await authorityOn({ maxSubscriptionsPerSession: 2_050 });
    for (let s = 0; s < 2; s++) {
      const raw = new RawPeer(await link(port, `many${s}`));
      raw.answerSubscribes = true;
      await raw.hello(ALL);
      await subscribeFlood(raw, 2_050, s * 10_000 + 1);
      await until(() => subscribed(raw).length === 2_050, 10_000, `session ${s}'s subscriptions`);
    }
    const late = new RawPeer(await link(port, 'late'));
    const welcome = await late.hello(ALL);
    expect(welcome.kind).toBe(ControlKind.Welcome);
    // 4,100 relayed subscriptions: one WELCOME carries what fits, SUBSCRIBEs bring the rest.
    await until(
      () => late.controls.filter((c) => c.kind === ControlKind.Subscribe).length >= 4_100 - (welcome as unknown as { interests: unknown[] }).interests.length,
      10_000,
      'every relayed subscription',
    );
  }, 60_000);
  it('a client with 300 subscriptions made before it connects: 64 go in its HELLO, the rest follow; past 256 each is reported as `limit`', async () => {
    const { authority, port } = await authorityOn();
    const bus = new NetworkBus({ name: 'eager', ...registry, onError: busErrors.for('eager') });
    cleanup.push(() => bus.close());
    for (let i = 0; i < 300; i++) bus.subscribe(`eager/${i}/**`, () => undefined);
    await bus.connect(await link(port, 'eager'), { timeoutMs: 3_000 });
    await until(() => busErrors.count({ bus: 'eager', code: 'limit' }) === 300 - 256, 5_000, 'the refusals past the limit');
    expect(authority.stats().peers.find((p) => p.name === 'eager')?.subscriptions).toBe(256);
    busErrors.claim({ bus: 'eager', code: 'limit', message: /holds 256 subscriptions/ }, 300 - 256);
  });
});

describe('requests of one session cannot fill a broker', () => {
  it('requests past the per-session limit are refused with `limit`; the replies owed stay bounded', async () => {
    const { authority, port } = await authorityOn({ maxRequestsPerSession: 16 });
    // A responder that never answers, behind the broker: every request stays open there.
    const responder = await client(port, 'responder');
    await responder.serve(dispatch, () => new Promise(() => undefined)).ready;
    const raw = new RawPeer(await link(port, 'requester'));
    await raw.hello(ALL);
    for (let i = 1; i <= 20; i++) {
      raw.data(
        FrameKind.Request,
        BigInt(i),
        dispatch.address,
        raw.header(dispatch.id, { corrId: BigInt(i) }),
        dispatch.payload.encode(dispatch.payload.example()),
      );
    }
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => raw.answerTo(BigInt(i + 1))));
    expect(answers.filter((a) => a.kind === ControlKind.Ack).length).toBe(16);
    const refusals = answers.filter((a) => a.kind === ControlKind.Nack);
    expect(refusals.map((a) => (a as { reason: string }).reason)).toEqual(['limit', 'limit', 'limit', 'limit']);
    expect(authority.stats().peers.find((p) => p.sessionId === raw.sessionId)?.openRequests).toBe(16);
    await authority.flush(); // the forwarded requests reached the responder before anything closes
  });
});

/** One SysEx8 packet: status (1 Start, 2 Continue), 13 data bytes, on `group` / `streamId`. */
function sysex8(status: number, group: number, streamId: number, fill: number): number[] {
  const w0 = ((0x5 << 28) | (group << 24) | (status << 20) | (14 << 16) | (streamId << 8) | fill) >>> 0;
  const w = ((fill << 24) | (fill << 16) | (fill << 8) | fill) >>> 0;
  return [w0, w, w, w];
}

describe('one session flooding an authority', () => {
  it('subscriptions, open reassemblies, unanswered requests and junk from one session: another session is served as before, and the flooder holds only its bounds', async () => {
    const maxPayload = 64 * 1024;
    const { authority, port } = await authorityOn({ maxPayload, maxRequestsPerSession: 64 });
    // A local responder that never answers: every forwarded request stays open at the authority.
    await authority.serve(dispatch, () => new Promise(() => undefined)).ready;
    const got: unknown[] = [];
    await authority.subscribe(heartbeat, (v) => void got.push(v)).ready;
    const good = await client(port, 'good');
    const heapBefore = process.memoryUsage().heapUsed;

    const raw = new RawPeer(await link(port, 'flooder'));
    await raw.hello(ALL);
    let seq = 1n;
    const flood = async (round: number) => {
      await subscribeFlood(raw, 300, round * 1_000 + 1);
      for (let i = 0; i < 100; i++, seq++) {
        raw.data(FrameKind.Request, seq, dispatch.address, raw.header(dispatch.id, { corrId: seq }), dispatch.payload.encode(dispatch.payload.example()));
        if (i % 32 === 31) await tick();
      }
    };

    // The good session publishes and is published to while the flood goes on.
    const published: Promise<void>[] = [];
    const goodRound = () => {
      for (let i = 0; i < 10; i++) published.push(good.publish(heartbeat, heartbeat.payload.example(), { qos: 'at_least_once' }));
    };
    for (let round = 0; round < 4; round++) {
      await flood(round);
      goodRound();
    }
    // 768 messages opened at once (every stream id of groups 2..4) and never ended: past the 512 a link may hold open.
    for (let g = 2; g <= 4; g++) {
      raw.link.send(Uint32Array.from(Array.from({ length: 256 }, (_, s) => sysex8(1, g, s, 0x11)).flat()));
      await tick();
    }
    // Junk: words no lane reads.
    raw.link.send(Uint32Array.from({ length: 256 }, (_, i) => (0x4000_0000 | (i * 2654435761)) >>> 0));
    goodRound();
    await Promise.all(published);
    await until(() => got.length === 50, 5_000, "the good session's 50 messages");

    // A session opened during the flood gets its WELCOME, its subscription and its messages.
    const late = await client(port, 'late');
    const lateGot: unknown[] = [];
    await late.subscribe(heartbeat, (v) => void lateGot.push(v)).ready;
    await authority.publish(heartbeat, heartbeat.payload.example());
    await until(() => lateGot.length === 1, 3_000, 'the late session’s message');

    const flooder = authority.stats().peers.find((p) => p.sessionId === raw.sessionId)!;
    expect(flooder.subscriptions).toBe(256);
    expect(flooder.openRequests).toBe(64);
    // The reader's bound: 8 × its largest carrier message (Mcoded7 of maxPayload + 8 KiB), at least 8 MiB.
    expect(flooder.bufferedBytes).toBeLessThanOrEqual(Math.max(8 * (Math.ceil(((maxPayload + 8192) * 8) / 7) + 2), 8 * 1024 * 1024));
    expect(subscribed(raw, 'limit').length).toBe(4 * 300 - 256);
    const refusedRequests = raw.controls.filter((c) => c.kind === ControlKind.Nack && c.reason === 'limit').length;
    expect(refusedRequests).toBe(400 - 64);
    // Heap: what the flooder may hold (256 subscriptions, 64 routes, an 8 MiB reassembly budget) and change, not the flood's size.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    // 768 messages opened where 512 may be open: the other 256 were refused (`limit`), and so is any
    // message the junk's words happen to start (a range: which words start one is the junk's business).
    busErrors.claim({ bus: 'authority', code: 'limit', message: /512 already open/ }, { min: 256, max: 512 });
    await authority.flush();
  }, 30_000);
});
