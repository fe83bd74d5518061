import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runMidl, stackTraceLines } from '../../helpers/cli.ts';
import { killAll, startMidl } from '../../helpers/midl-process.ts';
import { parseExposition, valueOf, type Sample } from '../../helpers/prometheus.ts';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService } from './planner-service.ts';

/**
 * `midl bridge --metrics`: after the seed's planner.execute envelope, GET /metrics shows the bridge's
 * counters (the envelope, its ack and success, the planner call's duration) beside the bus's link counters.
 */
const CLI_MS = 60_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => killAll());

describe('midl bridge --metrics', () => {
  it('serves the bridge and bus metrics on GET /metrics after one envelope', async () => {
    const planner = await startService(() => ({ status: 200, json: PLANNER_RESPONSE }));
    cleanups.push(() => planner.close());
    const bridge = startMidl(['bridge', '--listen', 'udp://127.0.0.1:0', '--service', `planner=${planner.baseUrl}`, '--metrics', '127.0.0.1:0']);
    const metricsUrl = (await bridge.waitFor(/^metrics: serving (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m, CLI_MS))[1]!;
    const url = (await bridge.waitFor(/^listening on (udp:\/\/127\.0\.0\.1:\d+)$/m, CLI_MS))[1]!;
    const sent = await runMidl(['send', '--to', url, '--topic', 'flex/envelope', '--json', JSON.stringify({ ...SEED_ENVELOPE, ts: Date.now() })], {
      timeoutMs: CLI_MS,
    });
    expect(sent.code, sent.stderr).toBe(0);
    let samples: Sample[] = [];
    const scrape = async () => {
      const res = await fetch(metricsUrl);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      samples = parseExposition(await res.text());
    };
    // The success reply follows the planner's answer: scraped until it is counted.
    const deadline = Date.now() + 10_000;
    for (await scrape(); valueOf(samples, 'midl_bridge_replies_total', { kind: 'success' }) !== 1; await scrape()) {
      if (Date.now() > deadline)
        throw new Error(`no success reply counted after 10 s: ${JSON.stringify(samples.filter((s) => s.name.startsWith('midl_bridge')))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(valueOf(samples, 'midl_bridge_envelopes_received_total')).toBe(1);
    expect(valueOf(samples, 'midl_bridge_replies_total', { kind: 'ack' })).toBe(1);
    expect(valueOf(samples, 'midl_bridge_call_duration_seconds_count', { service: 'planner', outcome: 'success' })).toBe(1);
    expect(valueOf(samples, 'midl_bridge_in_flight_calls')).toBe(0);
    const received = samples.filter((s) => s.name === 'midl_bus_received_bytes_total').reduce((n, s) => n + s.value, 0);
    expect(received).toBeGreaterThan(0);
    expect(valueOf(samples, 'midl_bus_messages_received_total', { topic: 'flex/envelope' })).toBe(1);
    expect(planner.received).toHaveLength(1);
    expect(await bridge.stop('SIGINT')).toBe(0);
    expect(stackTraceLines(bridge.stderr())).toEqual([]);
    expect(bridge.stderr()).not.toMatch(/warning/);
  }, 120_000);

  it('a --metrics that is not HOST:PORT, or an address in use, is a usage error', async () => {
    const bad = await runMidl(['bridge', '--listen', 'udp://127.0.0.1:0', '--metrics', 'nowhere'], { timeoutMs: CLI_MS });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/--metrics nowhere: expected HOST:PORT/);
    const taken = await startService(() => ({ status: 200, json: {} }));
    cleanups.push(() => taken.close());
    const inUse = await runMidl(['bridge', '--listen', 'udp://127.0.0.1:0', '--metrics', new URL(taken.baseUrl).host], { timeoutMs: CLI_MS });
    expect(inUse.code, inUse.stderr).toBe(2);
    expect(inUse.stderr).toMatch(/--metrics 127\.0\.0\.1:\d+: cannot listen: .*EADDRINUSE/);
  }, 120_000);
});
