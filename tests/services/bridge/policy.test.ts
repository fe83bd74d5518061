import { afterEach, describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES, NetworkBus, loopbackLinkPair, type Delivery } from '../../../runtime/index.ts';
import { CapabilityMask, FlexEnvelope, FlexError, intents, topics, type FlexReply } from '../../../generated/index.ts';
import { DeviceGate, intentPatternMatches, networkPeerSender, serveFlexBridge, type DevicePolicy } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService } from './planner-service.ts';

/**
 * The bridge's device policy: the gate alone (whitelist, wildcards, token buckets on an injected clock,
 * bounded memory), who a sender is on a NetworkBus (proven user, else endpoint name), and the gate in
 * the bridge over a real bus with a real HTTP service: a refused envelope never reaches the service.
 */

const busErrors = collectBusErrors();
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

const policy = (
  devices: Record<string, DevicePolicy['devices'] extends ReadonlyMap<string, infer R> ? R : never>,
  fallback?: DevicePolicy['default'],
): DevicePolicy => ({
  devices: new Map(Object.entries(devices)),
  ...(fallback ? { default: fallback } : {}),
});

describe('DeviceGate', () => {
  it('intent patterns: exact, prefix.* (not the bare prefix), *', () => {
    expect(intentPatternMatches('planner.*', 'planner.execute')).toBe(true);
    expect(intentPatternMatches('planner.*', 'planner.')).toBe(false);
    expect(intentPatternMatches('planner.*', 'plannerx.execute')).toBe(false);
    expect(intentPatternMatches('planner.execute', 'planner.execute')).toBe(true);
    expect(intentPatternMatches('planner.execute', 'planner.reason')).toBe(false);
    expect(intentPatternMatches('*', 'anything')).toBe(true);
  });

  it('admits whitelisted intents and refuses the others INTENT_NOT_ALLOWED; an unlisted sender is refused without a default', () => {
    const gate = new DeviceGate(policy({ 'peer pedal': { intents: ['planner.*', 'llm.chat'] }, 'user alice': { intents: ['*'] } }));
    expect(gate.admit('peer pedal', 'planner.execute')).toBeUndefined();
    expect(gate.admit('peer pedal', 'llm.chat')).toBeUndefined();
    expect(gate.admit('peer pedal', 'tools.register')).toMatchObject({ code: FlexError.INTENT_NOT_ALLOWED, message: 'peer pedal may not send tools.register' });
    expect(gate.admit('user alice', 'tools.register')).toBeUndefined();
    expect(gate.admit('peer stranger', 'planner.execute')).toMatchObject({ code: FlexError.INTENT_NOT_ALLOWED });
    // An empty policy admits everyone, as no policy at all.
    expect(new DeviceGate(policy({})).admit('peer stranger', 'planner.execute')).toBeUndefined();
  });

  it('a token bucket per device: burst at once, refilled at perSecond, retryAfterMs when the next token is there', () => {
    let now = 1_000_000;
    const gate = new DeviceGate(
      policy({ 'peer pedal': { intents: ['*'], rate: { perSecond: 4, burst: 2 } }, 'peer knob': { intents: ['*'], rate: { perSecond: 4, burst: 2 } } }),
      {
        now: () => now,
      },
    );
    expect(gate.admit('peer pedal', 'llm.chat')).toBeUndefined();
    expect(gate.admit('peer pedal', 'llm.chat')).toBeUndefined();
    expect(gate.admit('peer pedal', 'llm.chat')).toMatchObject({ code: FlexError.BACKPRESSURE, retryAfterMs: 250 });
    // Another device has a bucket of its own.
    expect(gate.admit('peer knob', 'llm.chat')).toBeUndefined();
    now += 100; // 0.4 of a token back: 150 ms more to a whole one
    expect(gate.admit('peer pedal', 'llm.chat')).toMatchObject({ code: FlexError.BACKPRESSURE, retryAfterMs: 150 });
    now += 150;
    expect(gate.admit('peer pedal', 'llm.chat')).toBeUndefined();
    // A long pause refills up to the burst, no more.
    now += 60_000;
    expect([1, 2, 3].map(() => gate.admit('peer pedal', 'llm.chat')?.code)).toEqual([undefined, undefined, FlexError.BACKPRESSURE]);
    // A clock that steps back refills nothing.
    now -= 30_000;
    expect(gate.admit('peer pedal', 'llm.chat')).toMatchObject({ code: FlexError.BACKPRESSURE });
    // A refused intent takes no token.
    const strict = new DeviceGate(policy({ 'peer pedal': { intents: ['llm.chat'], rate: { perSecond: 1, burst: 1 } } }), { now: () => now });
    expect(strict.admit('peer pedal', 'planner.execute')).toMatchObject({ code: FlexError.INTENT_NOT_ALLOWED });
    expect(strict.admit('peer pedal', 'llm.chat')).toBeUndefined();
  });

  it('default-rule senders each get a bucket, at most maxDefaultSenders of them (least recently seen evicted)', () => {
    const now = 0;
    const gate = new DeviceGate(
      policy({ 'user alice': { intents: ['*'], rate: { perSecond: 1, burst: 1 } } }, { intents: ['awareness.reflect'], rate: { perSecond: 1, burst: 1 } }),
      {
        now: () => now,
        maxDefaultSenders: 3,
      },
    );
    expect(gate.admit('peer a', 'planner.execute')).toMatchObject({ code: FlexError.INTENT_NOT_ALLOWED });
    for (let i = 0; i < 1_000; i++) gate.admit(`session ${i}`, 'awareness.reflect');
    gate.admit('user alice', 'awareness.reflect');
    expect(gate.tracked).toBe(4); // alice and the last 3
    expect(gate.admit('session 999', 'awareness.reflect')).toMatchObject({ code: FlexError.BACKPRESSURE, retryAfterMs: 1_000 });
    // session 0 was evicted: it starts again with a full bucket.
    expect(gate.admit('session 0', 'awareness.reflect')).toBeUndefined();
    expect(gate.tracked).toBe(4);
  });

  it('refuses a rate it cannot keep', () => {
    expect(() => new DeviceGate(policy({ 'peer x': { intents: ['*'], rate: { perSecond: 0, burst: 1 } } }))).toThrow(RangeError);
    expect(() => new DeviceGate(policy({}), { maxDefaultSenders: 0 })).toThrow(RangeError);
  });
});

/** An authority NetworkBus serving the bridge, and clients on in-process links (`user`: what the authority's end says the link proved). */
async function authorityWithBridge(gate: DeviceGate | undefined, services: Record<string, string>) {
  const bridgeErrors: unknown[] = [];
  const authority = new NetworkBus({
    name: 'bridge',
    topics: Object.values(topics),
    intents: Object.values(intents),
    capabilities: ALL_CAPABILITIES,
    onError: busErrors.for('authority'),
  });
  closing.push(() => authority.close());
  const senders: string[] = [];
  const senderOf = networkPeerSender(authority);
  const bridge = serveFlexBridge(authority, {
    services,
    now: () => SEED_ENVELOPE.ts,
    senderOf: (d: Delivery<FlexEnvelope>) => {
      const s = senderOf(d);
      senders.push(s);
      return s;
    },
    ...(gate ? { admission: (sender: string, intent: string) => gate.admit(sender, intent) } : {}),
    onError: (e) => void bridgeErrors.push(e),
  });
  closing.push(async () => {
    await bridge.close();
    expect(bridgeErrors).toEqual([]);
  });
  await bridge.ready;
  const device = async (name: string, user?: string) => {
    const [mine, theirs] = loopbackLinkPair({ names: [name, 'bridge'], users: [undefined, user] });
    const bus = new NetworkBus({ name, topics: Object.values(topics), capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for(name) });
    closing.push(() => bus.close());
    authority.accept(theirs);
    await bus.connect(mine);
    const replies: FlexReply[] = [];
    await bus.subscribe(topics['flex/reply/{corr}'], (r) => void replies.push(r)).ready;
    const send = async (json: object) => {
      const envelope = FlexEnvelope.fromJSON(json);
      const before = replies.filter((r) => r.corr === envelope.corr).length;
      await bus.publish(topics['flex/envelope'], envelope);
      await until(
        () =>
          replies
            .filter((r) => r.corr === envelope.corr)
            .slice(before)
            .some((r) => !r.ack || r.success || r.error),
        2_000,
        `a final reply to ${envelope.corr}`,
      );
      return replies.filter((r) => r.corr === envelope.corr).slice(before);
    };
    return { bus, send };
  };
  return { authority, device, senders };
}

describe('the sender of an envelope on a NetworkBus', () => {
  it('is the proven user when the link proved one, else the endpoint name; sessionPeer is the lookup', async () => {
    const { authority, device, senders } = await authorityWithBridge(undefined, {});
    const alice = await device('studio-desk', 'alice');
    const pedal = await device('pedal-7');
    await alice.send({ ...SEED_ENVELOPE, corr: 'from-alice' });
    await pedal.send({ ...SEED_ENVELOPE, corr: 'from-pedal' });
    expect(senders).toEqual(['user alice', 'peer pedal-7']);
    expect(authority.sessionPeer(alice.bus.sessionId)).toEqual({ name: 'studio-desk', user: 'alice' });
    expect(authority.sessionPeer(pedal.bus.sessionId)).toEqual({ name: 'pedal-7' });
    expect(authority.sessionPeer(12345)).toBeUndefined();
  });
});

describe('the bridge under a device policy', () => {
  it('refuses a non-whitelisted intent 4004 without calling the service, and a burst beyond the rate 4008 with retryAfterMs; the same corr is admitted once a token is back', async () => {
    const service = await startService(() => ({ status: 200, json: PLANNER_RESPONSE }));
    closing.push(() => service.close());
    let now = 5_000;
    const gate = new DeviceGate(
      policy({ 'peer pedal': { intents: ['planner.execute'], rate: { perSecond: 2, burst: 2 } }, 'user alice': { intents: ['planner.*'] } }),
      { now: () => now },
    );
    const { device } = await authorityWithBridge(gate, { planner: service.baseUrl });
    const pedal = await device('pedal');
    const reason = await pedal.send({ ...SEED_ENVELOPE, corr: 'not-allowed', intent: 'planner.reason', body: { objective: 'why' } });
    expect(reason).toHaveLength(1);
    expect(reason[0]).toMatchObject({ ack: false, error: { code: FlexError.INTENT_NOT_ALLOWED } });
    expect(service.received).toEqual([]);
    // The same corr stays used: the same envelope would be refused the same way.
    const again = await pedal.send({ ...SEED_ENVELOPE, corr: 'not-allowed', intent: 'planner.reason', body: { objective: 'why' } });
    expect(again[0]?.error?.code).toBe(FlexError.REPLAYED);

    const finals = async (corr: string) => (await pedal.send({ ...SEED_ENVELOPE, corr })).at(-1)!;
    expect((await finals('burst-1')).success).toBeDefined();
    expect((await finals('burst-2')).success).toBeDefined();
    const over = await finals('burst-3');
    expect(over).toMatchObject({ ack: false, error: { code: FlexError.BACKPRESSURE, retryAfterMs: 500 } });
    expect(service.received).toHaveLength(2);
    // BACKPRESSURE asks for the same envelope again: once a token is back, its corr is admitted.
    now += 500;
    expect((await finals('burst-3')).success).toBeDefined();
    expect(service.received).toHaveLength(3);

    // A proven user is not the peer of the same name: its own rule, no rate.
    const alice = await device('pedal', 'alice');
    expect((await alice.send({ ...SEED_ENVELOPE, corr: 'burst-4' })).at(-1)?.success).toBeDefined();
  });
});
