import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../../runtime/index.ts';
import { CapabilityMask, FlexEnvelope, FlexError, topics, type FlexReply } from '../../../generated/index.ts';
import { serveFlexBridge, type FlexBridgeOptions } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService, type Route } from './planner-service.ts';

/**
 * The Flex bridge over the loopback bus against real HTTP services on 127.0.0.1: what each service
 * receives (method, path, query, body), every reply kind, the replay and clock refusals, the journal.
 */

const busErrors = collectBusErrors();
const NOW = SEED_ENVELOPE.ts + 1_000;
const closing: (() => Promise<unknown>)[] = [];
const bridgeErrors: unknown[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  expect(bridgeErrors.splice(0)).toEqual([]);
});

const route: Route = (r) => {
  if (r.url === '/planner/execute') return { status: 200, json: PLANNER_RESPONSE };
  if (r.url === '/planner/reason') return { status: 500, json: { type: 'about:blank', title: 'planner overloaded' } };
  if (r.url.startsWith('/functions/')) return 'hang';
  if (r.url.startsWith('/tools/register')) return { status: 200, json: { status: 'registered', toolId: 42 } };
  if (r.url === '/corpus/reflections') return { status: 200, text: 'not json' };
  return { status: 404, json: {} };
};

async function start(extra: Partial<FlexBridgeOptions> = {}) {
  const service = await startService(route);
  closing.push(() => service.close());
  const gone = await startService(route);
  await gone.close();
  const hub = new LoopbackHub({ onError: busErrors.for('hub') });
  const bridgeBus = hub.connect({ capabilities: CapabilityMask.maskOf('flex.bridge'), onError: busErrors.for('bridge') });
  const base = service.baseUrl;
  const bridge = serveFlexBridge(bridgeBus, {
    services: { planner: base, tools_factory: base, function_caller: base, awareness: base, persist: gone.baseUrl },
    // Long enough for a loaded CI machine; the timeout test shortens it.
    timeoutMs: 3_000,
    now: () => NOW,
    onError: (e) => void bridgeErrors.push(e),
    ...extra,
  });
  closing.push(() => bridge.close());
  await bridge.ready;
  const device = hub.connect({ capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for('device') });
  const replies = new Map<string, FlexReply[]>();
  const sub = device.subscribe(topics['flex/reply/{corr}'], (r) => void replies.set(r.corr, [...(replies.get(r.corr) ?? []), r]));
  await sub.ready;
  /** Sends an envelope (its JSON form, as a device writes it) and resolves with every reply up to the final one. */
  const send = async (json: object, from = device) => {
    const envelope = FlexEnvelope.fromJSON(json);
    const before = replies.get(envelope.corr)?.length ?? 0;
    await from.publish(topics['flex/envelope'], envelope);
    await until(
      () => (replies.get(envelope.corr) ?? []).slice(before).some((r) => !r.ack || r.success || r.error),
      6_000,
      `the final reply to ${envelope.corr}`,
    );
    return replies.get(envelope.corr)!.slice(before);
  };
  return { service, bridge, send, hub };
}

const envelope = (corr: string, intent: string, body: object, ts = SEED_ENVELOPE.ts) => ({ v: 1, ts, corr, intent, body });

describe('flex bridge', () => {
  it("answers the seed's planner.execute with an ack, then the planner's response; the planner got the body as JSON", async () => {
    const { service, send } = await start();
    const replies = await send(SEED_ENVELOPE);
    expect(replies.map((r) => [r.ack, r.success !== undefined, r.error !== undefined])).toEqual([
      [true, false, false],
      [true, true, false],
    ]);
    expect(replies[1]!.success).toEqual({ status: 200, body: PLANNER_RESPONSE });
    expect(replies[1]!.intent).toBe('planner.execute');
    expect(service.received).toHaveLength(1);
    expect(service.received[0]).toMatchObject({ method: 'POST', url: '/planner/execute', body: SEED_ENVELOPE.body });
    expect(service.received[0]!.headers['content-type']).toBe('application/json');
  });

  it('fills path and query parameters from the body and leaves them out of the body; tools.register goes as multipart with the part openapi_file', async () => {
    const { service, send } = await start();
    const replies = await send(envelope('t1', 'tools.register', { corpusId: 'fc.main', openapi: { openapi: '3.1.0' } }));
    expect(service.received[0]).toMatchObject({
      method: 'POST',
      url: '/tools/register?corpusId=fc.main',
      form: { openapi_file: { filename: 'openapi.json', type: 'application/json', text: '{"openapi":"3.1.0"}' } },
    });
    expect(service.received[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    // The tools service answered without toolId: an invalid reply.
    expect(replies.at(-1)!.error).toMatchObject({ code: FlexError.UPSTREAM_ERROR, kind: 'upstream_error', httpStatus: 200 });
    expect(replies.at(-1)!.error!.message).toMatch(/^tools_factory: invalid reply: .*toolId/);
  });

  it('HTTP 500 is UPSTREAM_ERROR with the status and the problem body; a non-JSON reply is invalid', async () => {
    const { send } = await start();
    const failed = (await send(envelope('r1', 'planner.reason', { objective: 'x', constraints: [] }))).at(-1)!;
    expect(failed.ack).toBe(true);
    expect(failed.error).toEqual({
      code: 4010,
      kind: 'upstream_error',
      message: 'planner: HTTP 500',
      httpStatus: 500,
      detail: { type: 'about:blank', title: 'planner overloaded' },
    });
    const invalid = (await send(envelope('a1', 'awareness.reflect', { corpusId: 'fc-main', reflection: 'ok' }))).at(-1)!;
    expect(invalid.error).toMatchObject({ code: 4010, httpStatus: 200 });
    expect(invalid.error!.message).toMatch(/^awareness: invalid reply: not JSON/);
  });

  it('a service that does not answer in time is UPSTREAM_TIMEOUT; one that is down is UPSTREAM_UNAVAILABLE', async () => {
    const { service, send } = await start({ timeoutMs: 150 });
    const slow = (await send(envelope('f1', 'function.invoke', { function_id: 'tool-xyz', arguments: { param1: 'value' } }))).at(-1)!;
    expect(service.received[0]).toMatchObject({ url: '/functions/tool-xyz/invoke', body: { arguments: { param1: 'value' } } });
    expect(slow.error).toEqual({ code: FlexError.UPSTREAM_TIMEOUT, kind: 'upstream_timeout', message: 'function_caller: no answer in 150 ms' });
    const down = (await send(envelope('p1', 'persist.baseline', { corpusId: 'fc-main', baselineId: 'BA-1', content: 'text' }))).at(-1)!;
    expect(down.error).toMatchObject({ code: FlexError.UPSTREAM_UNAVAILABLE, kind: 'upstream_unavailable' });
    expect(down.error!.message).toMatch(/^persist unreachable: ECONNREFUSED/);
  });

  it('a response larger than maxResponseBytes is PAYLOAD_TOO_LARGE, not read whole', async () => {
    const { send } = await start({ maxResponseBytes: 64 });
    const reply = (await send(SEED_ENVELOPE)).at(-1)!;
    expect(reply.error).toEqual({ code: FlexError.PAYLOAD_TOO_LARGE, kind: 'payload_too_large', message: 'planner: response over 64 bytes' });
  });

  it('refuses (ack false) a replayed corr from the same sender, a stale ts, an unknown intent, a bad body', async () => {
    const { service, send, hub } = await start();
    await send(SEED_ENVELOPE);
    const refusal = async (json: object, from?: Parameters<typeof send>[1]) => {
      const replies = await send(json, from);
      expect(replies).toHaveLength(1);
      expect(replies[0]!.ack).toBe(false);
      return replies[0]!.error!;
    };
    expect(await refusal(SEED_ENVELOPE)).toMatchObject({ code: FlexError.REPLAYED, kind: 'replayed', message: 'corr dE8x-7qF was already used' });
    expect(await refusal({ ...SEED_ENVELOPE, corr: 'old', ts: NOW - 60_001 })).toMatchObject({ code: FlexError.STALE, kind: 'stale' });
    expect(await refusal({ ...SEED_ENVELOPE, corr: 'future', ts: `${NOW + 60_001}` })).toMatchObject({ code: FlexError.STALE });
    expect(await refusal(envelope('u1', 'lights.on', {}))).toMatchObject({ code: FlexError.UNKNOWN_INTENT, message: 'unknown intent lights.on' });
    expect(await refusal(envelope('b1', 'planner.execute', { steps: [] }))).toMatchObject({ code: FlexError.INVALID_BODY });
    expect(await refusal(envelope('b2', 'planner.execute', { steps: 'x' }))).toMatchObject({
      code: FlexError.INVALID_BODY,
      message: 'bad body: /steps: expected an array, got a string',
    });
    // Another sender may use the same corr.
    const other = hub.connect({ capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for('other') });
    expect((await send(SEED_ENVELOPE, other)).at(-1)!.success).toBeDefined();
    expect(service.received).toHaveLength(2);
  });

  it('an envelope whose corr could not name a reply address is refused by the bus before it reaches the bridge', async () => {
    const { bridge, hub } = await start();
    const device = hub.connect({ capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for('raw') });
    // The loopback bus validates on publish; a hostile peer does not, so the value goes out as raw bytes.
    await expect(device.publish(topics['flex/envelope'], { ...FlexEnvelope.fromJSON(SEED_ENVELOPE), corr: '../x' })).rejects.toThrow(/corr/);
    expect(bridge.inFlight).toBe(0);
  });

  it('journals the request before the ack and the final reply after it, under a file name no corr escapes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midl-bridge-'));
    closing.push(() => rm(dir, { recursive: true, force: true }));
    const { send, bridge, service } = await start({ journalDir: dir });
    await send(SEED_ENVELOPE);
    await send(envelope('..', 'planner.execute', SEED_ENVELOPE.body));
    // The response file is written after the final reply is sent; the bridge counts the call until then.
    await until(() => bridge.inFlight === 0, 2_000, 'the journal writes');
    // One directory per sender (its name escaped as a corr is), so two senders' same corr never share a file.
    const [senderDir, ...others] = await readdir(dir);
    expect(others).toEqual([]);
    expect(senderDir).toMatch(/^session%20\d+$/);
    const files = join(dir, senderDir!);
    expect((await readdir(files)).sort()).toEqual(['%2E%2E-req.json', '%2E%2E-res.json', 'dE8x-7qF-req.json', 'dE8x-7qF-res.json']);
    const req = JSON.parse(await readFile(join(files, 'dE8x-7qF-req.json'), 'utf8')) as Record<string, unknown>;
    expect(req).toMatchObject({
      http: { method: 'POST', url: `${service.baseUrl}/planner/execute` },
      envelope: { ...SEED_ENVELOPE, ts: String(SEED_ENVELOPE.ts) },
    });
    const res = JSON.parse(await readFile(join(files, 'dE8x-7qF-res.json'), 'utf8')) as { reply: Record<string, unknown> };
    expect(res.reply).toMatchObject({ corr: 'dE8x-7qF', ack: true, success: { status: 200, body: PLANNER_RESPONSE } });
    expect(JSON.stringify(req)).not.toMatch(/authorization/i);
  });

  it('an envelope it cannot journal is refused JOURNAL_UNAVAILABLE with a retry hint, the service never called; its corr stays usable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midl-bridge-'));
    closing.push(() => rm(dir, { recursive: true, force: true }));
    // A file where the journal directory should be: every write fails.
    const journalDir = join(dir, 'journal');
    await writeFile(journalDir, 'not a directory');
    const { send, service } = await start({ journalDir });
    // Reading the journal back at start failed too, and was reported.
    expect(bridgeErrors.splice(0).map(String)).toEqual([expect.stringMatching(/ENOTDIR/)]);
    const replies = await send(SEED_ENVELOPE);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ corr: 'dE8x-7qF', ack: false, error: { code: 4014, kind: 'journal_unavailable', retryAfterMs: 5000 } });
    expect(service.received).toEqual([]);
    const reported = bridgeErrors.splice(0);
    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toMatch(/journal/);
    // Once the journal can be written, the same corr goes through (the refusal did not spend it).
    await rm(journalDir);
    const again = await send(SEED_ENVELOPE);
    expect(again.at(-1)).toMatchObject({ ack: true, success: { status: 200, body: PLANNER_RESPONSE } });
  });
});
