import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub, type Bus } from '../../../runtime/index.ts';
import { CapabilityMask, FlexEnvelope, FlexError, topics, type FlexReply, type FlexUnhandled } from '../../../generated/index.ts';
import { serveFlexBridge, type FlexBridgeOptions } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService } from './planner-service.ts';

/**
 * The bridge's call path beyond one request and one answer: progress replies for slow calls, the
 * label on every reply, unknown intents handed on to `flex/unhandled`, the ack sent beside the call
 * (not before it), and the journal: recovery of calls a killed bridge left in flight, and a replay
 * refused with the journaled final reply.
 */

const busErrors = collectBusErrors();
const closing: (() => Promise<unknown>)[] = [];
const bridgeErrors: unknown[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  expect(bridgeErrors.splice(0)).toEqual([]);
});

/** A device and a bridge on one loopback bus; the device hears every reply (and `flex/unhandled`) from before the bridge starts. */
async function start(extra: Partial<FlexBridgeOptions> = {}, serviceDelayMs = 0, wrapBus: (bus: Bus) => Bus = (bus) => bus) {
  const service = await startService(async (r) => {
    if (serviceDelayMs > 0 && r.url === '/planner/execute') await new Promise((resolve) => setTimeout(resolve, serviceDelayMs));
    return { status: 200, json: PLANNER_RESPONSE };
  });
  closing.push(() => service.close());
  const hub = new LoopbackHub({ onError: busErrors.for('hub') });
  const device = hub.connect({ capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for('device') });
  const replies = new Map<string, FlexReply[]>();
  const unhandled: FlexUnhandled[] = [];
  const subs = [
    device.subscribe(topics['flex/reply/{corr}'], (r) => void replies.set(r.corr, [...(replies.get(r.corr) ?? []), r])),
    device.subscribe(topics['flex/unhandled'], (u) => void unhandled.push(u)),
  ];
  await Promise.all(subs.map((s) => s.ready));
  const bridgeBus = hub.connect({ capabilities: CapabilityMask.maskOf('flex.bridge'), onError: busErrors.for('bridge') });
  const bridge = serveFlexBridge(wrapBus(bridgeBus), {
    services: { planner: service.baseUrl },
    timeoutMs: 2_000,
    onError: (e) => void bridgeErrors.push(e),
    ...extra,
  });
  closing.push(() => bridge.close());
  await bridge.ready;
  const send = async (json: object) => {
    const envelope = FlexEnvelope.fromJSON(json);
    const before = replies.get(envelope.corr)?.length ?? 0;
    await device.publish(topics['flex/envelope'], envelope);
    const mine = () => (replies.get(envelope.corr) ?? []).slice(before);
    await until(() => mine().some((r) => !r.ack || r.success || r.error), 2_000, `the final reply to ${envelope.corr}`);
    return mine();
  };
  /** Sends an envelope without waiting for its replies. */
  const publish = (json: object) => device.publish(topics['flex/envelope'], FlexEnvelope.fromJSON(json));
  return { service, bridge, send, publish, replies, unhandled };
}

/**
 * `bus` whose publications of `flex/reply/{corr}` go through `gate` (the reply and the real publish):
 * a test holds, delays or fails the ack or the final reply.
 */
function gatedReplies(gate: (reply: FlexReply, publish: () => Promise<void>) => Promise<void>): (bus: Bus) => Bus {
  return (bus) =>
    new Proxy(bus, {
      get(target, key) {
        if (key !== 'publish') {
          const value: unknown = Reflect.get(target, key);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
        return (topic: { address: string }, value: unknown, options?: unknown) => {
          const publish = () => (target.publish as (...a: unknown[]) => Promise<void>)(topic, value, options);
          return topic.address === topics['flex/reply/{corr}'].address ? gate(value as FlexReply, publish) : publish();
        };
      },
    });
}

const isAck = (r: FlexReply) => r.ack && !r.progress && !r.success && !r.error;

const fresh = (corr: string, intent = 'planner.execute', body: object = SEED_ENVELOPE.body) => ({ v: 1, ts: Date.now(), corr, intent, body });

describe('flex bridge calls', () => {
  it('a slow call gets progress replies after progressAfterMs and every progressEveryMs, none after the final reply; a fast call none', async () => {
    const { send, replies, bridge } = await start({ progressAfterMs: 25, progressEveryMs: 25 }, 100);
    const slow = await send(fresh('slow-1'));
    const kinds = slow.map((r) => (r.success ? 'success' : r.progress ? 'progress' : 'ack'));
    expect(kinds[0]).toBe('ack');
    expect(kinds.at(-1)).toBe('success');
    expect(kinds.slice(1, -1).every((k) => k === 'progress')).toBe(true);
    expect(kinds.length - 2).toBeGreaterThanOrEqual(2);
    const progress = slow.filter((r) => r.progress);
    expect(progress[0]!.progress).toMatchObject({ message: 'waiting for planner' });
    const elapsed = progress.map((r) => r.progress!.elapsedMs!);
    expect(elapsed[0]).toBeGreaterThanOrEqual(20);
    expect([...elapsed].sort((a, b) => a - b)).toEqual(elapsed);
    expect(progress.every((r) => /^planner \d+\.\d s$/.test(r.label!))).toBe(true);
    await until(() => bridge.inFlight === 0, 1_000, 'the call to end');
    const count = replies.get('slow-1')!.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(replies.get('slow-1')!.length, 'no progress after the final reply').toBe(count);
  });

  it('close stops the progress replies of a call in flight, and still sends its final reply', async () => {
    const { replies, bridge, send } = await start({ progressAfterMs: 10, progressEveryMs: 10, timeoutMs: 120 }, 1_000);
    const pending = send(fresh('close-1'));
    await until(() => (replies.get('close-1') ?? []).some((r) => r.progress), 1_000, 'a progress reply');
    const closedAt = BigInt(Date.now());
    await bridge.close();
    const all = await pending;
    // A progress reply published before close may still be on its way; none is published after it.
    expect(all.filter((r) => r.progress && r.ts > closedAt)).toEqual([]);
    expect(all.at(-1)).toMatchObject({ ack: true, label: 'ERR timeout', error: { code: FlexError.UPSTREAM_TIMEOUT } });
  });

  it('labels every reply for a device display: ack, OK, ERR', async () => {
    const { send } = await start();
    const ok = await send(fresh('lab-1'));
    expect(ok.map((r) => r.label)).toEqual(['ack planner.execute', 'OK 200']);
    expect(
      ok.some((r) => r.progress),
      'a fast call has no progress',
    ).toBe(false);
    const bad = await send(fresh('lab-2', 'planner.execute', { steps: 'x' }));
    expect(bad.map((r) => r.label)).toEqual(['ERR invalid_body']);
    const down = await send(fresh('lab-3', 'planner.reason', { objective: 'x', constraints: [] }));
    expect(down.at(-1)!.label).toBe('ERR HTTP 200');
    for (const r of [...ok, ...bad, ...down]) expect(r.label!.length).toBeLessThanOrEqual(32);
  });

  it('an unknown intent is refused UNKNOWN_INTENT and handed on: published on flex/unhandled and told to onUnhandled', async () => {
    const told: FlexUnhandled[] = [];
    const { send, unhandled, service } = await start({ onUnhandled: (u) => void told.push(u) });
    const json = fresh('u-1', 'lights.dim', { level: 3 });
    const replies = await send(json);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ ack: false, label: 'ERR unknown_intent', error: { code: FlexError.UNKNOWN_INTENT } });
    await until(() => unhandled.length === 1, 1_000, 'flex/unhandled');
    expect(unhandled[0]).toMatchObject({ envelope: { ...json, ts: String(json.ts) }, reason: 'unknown intent lights.dim' });
    expect(unhandled[0]!.sender).toMatch(/^session \d+$/);
    expect(Number(unhandled[0]!.receivedAt)).toBeGreaterThanOrEqual(json.ts);
    expect(told).toEqual(unhandled);
    expect(service.received).toEqual([]);
  });

  it('calls the service while the ack is still on its way; every later reply waits for the ack, so the device hears it first', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { service, replies, publish } = await start(
      { progressAfterMs: 5, progressEveryMs: 5 },
      50,
      gatedReplies((reply, publish) => (isAck(reply) ? held.then(publish) : publish())),
    );
    await publish(fresh('held-1'));
    await until(() => service.received.length === 1, 2_000, 'the service call');
    // The call runs to its end (50 ms, progress due every 5 ms) while the ack is held: the device hears nothing yet.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(replies.get('held-1') ?? []).toEqual([]);
    release();
    await until(() => (replies.get('held-1') ?? []).some((r) => r.success), 2_000, 'the final reply');
    const kinds = replies.get('held-1')!.map((r) => (isAck(r) ? 'ack' : r.success ? 'success' : r.progress ? 'progress' : 'other'));
    expect(kinds[0]).toBe('ack');
    expect(kinds.at(-1)).toBe('success');
    expect(kinds.slice(1, -1).every((k) => k === 'progress')).toBe(true);
  });

  it('with a fast service and many calls at once, the ack still precedes every other reply of each', async () => {
    const { replies, bridge, publish } = await start();
    const corrs = Array.from({ length: 10 }, (_, i) => `many-${i}`);
    await Promise.all(corrs.map((c) => publish(fresh(c))));
    await until(() => corrs.every((c) => (replies.get(c) ?? []).some((r) => r.success)), 3_000, 'every final reply');
    for (const c of corrs)
      expect(
        replies.get(c)!.map((r) => (isAck(r) ? 'ack' : r.success ? 'success' : 'other')),
        c,
      ).toEqual(['ack', 'success']);
    await until(() => bridge.inFlight === 0, 1_000, 'the journal writes');
  });

  it('a failed ack is reported and the call still answered; a final reply the bus could not deliver is journaled and told on a replay', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midl-bridge-'));
    closing.push(() => rm(dir, { recursive: true, force: true }));
    const { replies, service, bridge, send, publish } = await start(
      { journalDir: dir, senderOf: () => 'peer pedal' },
      0,
      gatedReplies((reply, publish) => {
        if (reply.corr === 'lost-ack' && isAck(reply)) return Promise.reject(new Error('no subscriber acknowledged'));
        if (reply.corr === 'lost-final' && reply.success) return Promise.reject(new Error('the device went away'));
        return publish();
      }),
    );
    await publish(fresh('lost-ack'));
    await until(() => (replies.get('lost-ack') ?? []).some((r) => r.success), 2_000, 'the final reply');
    expect(replies.get('lost-ack')!.map((r) => r.success?.status)).toEqual([200]);
    await publish(fresh('lost-final'));
    await until(() => bridge.inFlight === 0 && service.received.length === 2, 2_000, 'both calls');
    expect(replies.get('lost-final')!.map(isAck)).toEqual([true]);
    expect(bridgeErrors.splice(0).map(String)).toEqual([
      'Error: flex/reply/lost-ack: the ack was not delivered: no subscriber acknowledged',
      'Error: flex/reply/lost-final: the final reply was not delivered (journaled): the device went away',
    ]);
    const senderDir = join(dir, 'peer%20pedal');
    const journaled = (corr: string) => JSON.parse(readFileSync(join(senderDir, `${corr}-res.json`), 'utf8')) as { published?: boolean; reply: object };
    expect(journaled('lost-ack').published).toBeUndefined();
    const lost = journaled('lost-final');
    expect(lost).toMatchObject({ published: false, reply: { corr: 'lost-final', success: { status: 200, body: PLANNER_RESPONSE } } });
    // The device that missed the answer sends the envelope again and learns it from the refusal.
    const again = await send(fresh('lost-final'));
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({
      ack: false,
      error: { code: FlexError.REPLAYED, message: 'corr lost-final was already used; its final reply is in detail.final' },
    });
    expect(again[0]!.error!.detail).toEqual({ final: lost.reply });
    expect(service.received).toHaveLength(2);
  });

  it('at start, answers INTERRUPTED each call a killed bridge left in flight, writes its -res.json, and keeps its corr a replay', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midl-bridge-'));
    closing.push(() => rm(dir, { recursive: true, force: true }));
    // What a bridge killed mid-call leaves: the request journaled, no response.
    const senderDir = join(dir, 'peer%20pedal');
    await mkdir(senderDir);
    const inFlight = fresh('crash-1');
    const request = (json: ReturnType<typeof fresh>) => ({
      sender: 'peer pedal',
      receivedAt: new Date(json.ts).toISOString(),
      http: { method: 'POST', url: 'http://127.0.0.1:9/planner/execute' },
      envelope: { ...json, ts: String(json.ts) },
    });
    await writeFile(join(senderDir, 'crash-1-req.json'), JSON.stringify(request(inFlight)));
    // A call that was answered before the stop is left alone.
    await writeFile(join(senderDir, 'done-1-req.json'), JSON.stringify(request(fresh('done-1'))));
    await writeFile(join(senderDir, 'done-1-res.json'), '{}');
    const recovered: number[] = [];
    // Deferred, as the CLI does until its bus listens: nothing is answered before recover().
    const { replies, send, service, bridge } = await start({
      journalDir: dir,
      senderOf: () => 'peer pedal',
      onRecovered: (n) => void recovered.push(n),
      deferRecovery: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recovered).toEqual([]);
    expect(replies.has('crash-1')).toBe(false);
    await bridge.recover();
    expect(recovered).toEqual([1]);
    const interrupted = replies.get('crash-1')!;
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]).toMatchObject({
      ack: true,
      intent: 'planner.execute',
      label: 'ERR interrupted',
      error: { code: FlexError.INTERRUPTED, kind: 'interrupted' },
    });
    expect(replies.has('done-1')).toBe(false);
    expect((await readdir(senderDir)).sort()).toEqual(['crash-1-req.json', 'crash-1-res.json', 'done-1-req.json', 'done-1-res.json']);
    const res = JSON.parse(await readFile(join(senderDir, 'crash-1-res.json'), 'utf8')) as { recovered: boolean; reply: { error: { code: number } } };
    expect(res).toMatchObject({ recovered: true, reply: { corr: 'crash-1', error: { code: FlexError.INTERRUPTED } } });
    // The journal seeded the replay guard: the same sender's corr is still spent after the restart.
    const again = await send(inFlight);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ ack: false, error: { code: FlexError.REPLAYED } });
    // A device that missed the INTERRUPTED answer learns it from the refusal: the journaled final reply.
    expect(again[0]!.error!.detail).toEqual({ final: res.reply });
    // done-1's -res.json is no reply: the refusal goes without it, and the journal file is reported.
    const done = await send(fresh('done-1'));
    expect(done).toHaveLength(1);
    expect(done[0]!.error).toEqual({ code: FlexError.REPLAYED, kind: 'replayed', message: 'corr done-1 was already used' });
    expect(bridgeErrors.splice(0).map(String)).toEqual([
      expect.stringMatching(/^Error: journal \S+done-1-res\.json: holds no reply; REPLAYED refused without the final reply$/),
    ]);
    expect(service.received).toEqual([]);
  });
});
