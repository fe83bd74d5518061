import { afterEach, describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { topics } from '../../../generated/registry.ts';
import {
  ENDED_PEER,
  METRICS_OTHER_LABEL,
  MetricsRegistry,
  busMetrics,
  flexBridgeMetrics,
  serveMetrics,
  streamMetrics,
  type MetricsServer,
} from '../../../services/index.ts';
import { capped } from '../../../services/metrics/labels.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { parseExposition, valueOf } from '../../helpers/prometheus.ts';
import { connectedPair, type Pair } from '../../bus/network-peers.ts';

const busErrors = collectBusErrors();
let pair: Pair | undefined;
let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await pair?.close();
  pair = undefined;
});

describe('busMetrics', () => {
  it("exposes a bus's link counters per peer and its delivery counters per topic, as stats() has them at scrape time", async () => {
    pair = await connectedPair({ errors: busErrors });
    const registry = new MetricsRegistry();
    busMetrics(registry, pair.client);
    const result = topics['gpu/job.result/{corr}'];
    await pair.authority.subscribe(result, () => {}).ready;
    await Promise.all([1, 2, 3].map((corr) => pair!.client.publish(result, result.payload.example(), { params: { corr }, qos: 'at_least_once' })));
    const samples = parseExposition(await registry.metrics());
    const stats = pair.client.stats();
    const traffic = stats.peers[0]!.traffic;
    expect(valueOf(samples, 'midl_bus_sent_bytes_total', { peer: 'authority' })).toBe(traffic.bytesSent);
    expect(valueOf(samples, 'midl_bus_received_bytes_total', { peer: 'authority' })).toBe(traffic.bytesReceived);
    expect(valueOf(samples, 'midl_bus_acks_received_total', { peer: 'authority' })).toBe(traffic.acksReceived);
    expect(valueOf(samples, 'midl_bus_sent_bytes_total', { peer: ENDED_PEER })).toBe(0);
    expect(valueOf(samples, 'midl_bus_rtt_seconds', { peer: 'authority', quantile: '0.95' })).toBe(traffic.rttP95Ms! / 1000);
    expect(valueOf(samples, 'midl_bus_sessions', { peer: 'authority' })).toBe(1);
    expect(valueOf(samples, 'midl_bus_messages_sent_total', { topic: result.address })).toBe(3);
    expect(samples.filter((s) => s.name === 'midl_bus_retransmits_total').map((s) => s.labels.peer)).toEqual(['authority', ENDED_PEER]);
  });

  it('caps label values: past the cap, the rest are summed under _other', () => {
    const items = ['d', 'a', 'c', 'b', 'a'].map((name) => ({ name, n: 1 }));
    const kept = capped(
      items,
      (i) => i.name,
      2,
      (x, y) => ({ name: x.name, n: x.n + y.n }),
    );
    expect([...kept.entries()].map(([k, v]) => [k, v.n])).toEqual([
      ['a', 2],
      ['b', 1],
      [METRICS_OTHER_LABEL, 2],
    ]);
  });
});

describe('flexBridgeMetrics', () => {
  it('counts envelopes, replies by kind and FlexError name, and call durations by service', async () => {
    const registry = new MetricsRegistry();
    const metrics = flexBridgeMetrics(registry);
    metrics.observer.envelope();
    metrics.observer.envelope();
    metrics.observer.replied('ack');
    metrics.observer.replied('success');
    metrics.observer.replied('error', 'REPLAYED');
    metrics.observer.called('planner', 0.02, 'success');
    metrics.watch({ ready: Promise.resolve(), inFlight: 3, close: () => Promise.resolve(), recover: () => Promise.resolve() });
    const samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'midl_bridge_envelopes_received_total')).toBe(2);
    expect(valueOf(samples, 'midl_bridge_replies_total', { kind: 'ack' })).toBe(1);
    expect(valueOf(samples, 'midl_bridge_replies_total', { kind: 'error', error: 'REPLAYED' })).toBe(1);
    expect(valueOf(samples, 'midl_bridge_call_duration_seconds_count', { service: 'planner', outcome: 'success' })).toBe(1);
    expect(valueOf(samples, 'midl_bridge_call_duration_seconds_bucket', { service: 'planner', le: '0.025' })).toBe(1);
    expect(valueOf(samples, 'midl_bridge_call_duration_seconds_bucket', { service: 'planner', le: '0.01' })).toBe(0);
    expect(valueOf(samples, 'midl_bridge_in_flight_calls')).toBe(3);
  });
});

describe('streamMetrics', () => {
  it('records tokens and bytes per flush: _count the messages, _sum the tokens', async () => {
    const registry = new MetricsRegistry();
    const stream = streamMetrics(registry);
    stream.flushed(3, 40);
    stream.flushed(5, 70);
    const samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'midl_stream_coalesced_tokens_count')).toBe(2);
    expect(valueOf(samples, 'midl_stream_coalesced_tokens_sum')).toBe(8);
    expect(valueOf(samples, 'midl_stream_coalesced_tokens_bucket', { le: '4' })).toBe(1);
    expect(valueOf(samples, 'midl_stream_coalesced_bytes_sum')).toBe(110);
  });
});

describe('GET /metrics', () => {
  it('serves the exposition as text/plain version 0.0.4; other paths 404, other methods 405; a failing collector 500', async () => {
    const registry = new MetricsRegistry();
    let fail = false;
    new Counter({
      name: 'midl_test_scrapes_total',
      help: 'scrapes',
      registers: [registry],
      collect() {
        if (fail) throw new Error('collector broke');
        this.inc();
      },
    });
    const errors: Error[] = [];
    server = await serveMetrics(registry, { host: '127.0.0.1', port: 0, onError: (e) => void errors.push(e) });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const ok = await fetch(server.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(valueOf(parseExposition(await ok.text()), 'midl_test_scrapes_total')).toBe(1);
    const head = await fetch(server.url, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    const missing = await fetch(server.url.replace('/metrics', '/other'));
    expect([missing.status, await missing.text()]).toEqual([404, 'not found: metrics are served at /metrics\n']);
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    await post.text();
    fail = true;
    const broken = await fetch(server.url);
    expect([broken.status, await broken.text()]).toEqual([500, 'metrics unavailable: collector broke\n']);
    expect(errors.map((e) => e.message)).toEqual(['collector broke']);
  });

  it('refuses an address it cannot bind', async () => {
    const registry = new MetricsRegistry();
    server = await serveMetrics(registry, { host: '127.0.0.1', port: 0, onError: (e) => expect.unreachable(e.message) });
    const port = Number(new URL(server.url).port);
    await expect(serveMetrics(registry, { host: '127.0.0.1', port, onError: (e) => expect.unreachable(e.message) })).rejects.toThrow(/EADDRINUSE/);
  });
});
