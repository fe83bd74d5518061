import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../../runtime/index.ts';
import { CapabilityMask, topics, type SseEnvelope } from '../../../generated/index.ts';
import { MetricsRegistry, metricsHandler, newSseCounters, serveSseEgress, sseMetrics, streamMetrics, type SseEgress } from '../../../services/index.ts';
import { eventText } from '../../../services/sse/sse-text.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { parseExposition, valueOf } from '../../helpers/prometheus.ts';

/**
 * sseMetrics reads an SSE bridge's counters at scrape time; the egress answers GET /metrics itself (never
 * relayed, whatever its base path) and reports its coalescing per message seq written. Real node:http, fetch.
 */

const busErrors = collectBusErrors();
const closing: (() => Promise<unknown>)[] = [];
const errors: unknown[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  expect(errors.splice(0)).toEqual([]);
});

describe('sseMetrics', () => {
  it('exposes the counters as they are at each scrape', async () => {
    const registry = new MetricsRegistry();
    const counters = newSseCounters();
    let open = 2;
    sseMetrics(registry, counters, { open: () => open });
    let samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'midl_sse_events_total')).toBe(0);
    expect(valueOf(samples, 'midl_sse_open_streams')).toBe(2);
    Object.assign(counters, { streamsOpened: 3, streamsDone: 2, streamsErrored: 1, sseEvents: 640, busEvents: 21, textChars: 9000, fragments: 2 });
    counters.duplicates = 4;
    counters.reorderDepthMax = 7;
    open = 0;
    samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'midl_sse_streams_opened_total')).toBe(3);
    expect(valueOf(samples, 'midl_sse_streams_done_total')).toBe(2);
    expect(valueOf(samples, 'midl_sse_streams_errored_total')).toBe(1);
    expect(valueOf(samples, 'midl_sse_streams_cancelled_total')).toBe(0);
    expect(valueOf(samples, 'midl_sse_events_total')).toBe(640);
    expect(valueOf(samples, 'midl_sse_bus_events_total')).toBe(21);
    expect(valueOf(samples, 'midl_sse_text_chars_total')).toBe(9000);
    expect(valueOf(samples, 'midl_sse_fragments_total')).toBe(2);
    expect(valueOf(samples, 'midl_sse_duplicates_total')).toBe(4);
    expect(valueOf(samples, 'midl_sse_reorder_depth_max_events')).toBe(7);
    expect(valueOf(samples, 'midl_sse_open_streams')).toBe(0);
  });

  it('leaves the open-streams gauge out without a source', async () => {
    const registry = new MetricsRegistry();
    sseMetrics(registry, newSseCounters());
    expect(parseExposition(await registry.metrics()).some((s) => s.name === 'midl_sse_open_streams')).toBe(false);
  });
});

describe('the egress serves /metrics', () => {
  async function egressWith(basePath: string): Promise<{ egress: SseEgress; ingress: ReturnType<LoopbackHub['connect']> }> {
    const hub = new LoopbackHub({ onError: busErrors.for('hub') });
    const authority = hub.connect({ capabilities: CapabilityMask.maskOf('sse.subscribe'), onError: busErrors.for('egress') });
    const ingress = hub.connect({ capabilities: CapabilityMask.maskOf('sse.publish'), onError: busErrors.for('ingress') });
    const registry = new MetricsRegistry();
    const counters = newSseCounters();
    const coalescing = streamMetrics(registry);
    const egress = await serveSseEgress(authority, {
      host: '127.0.0.1',
      port: 0,
      basePath,
      counters,
      flushed: (n, bytes) => coalescing.flushed(n, bytes),
      metrics: metricsHandler(registry, { onError: (e) => void errors.push(e) }),
      onError: (e) => void errors.push(e),
    });
    sseMetrics(registry, counters, { open: () => egress.open });
    closing.push(() => egress.close());
    return { egress, ingress };
  }

  it('beside the relayed paths, with the coalescing of what it wrote', async () => {
    const { egress, ingress } = await egressWith('/v1');
    ingress.serve(topics['sse/open'], (req) => {
      setTimeout(() => {
        const publish = (env: SseEnvelope) => void ingress.publish(topics['sse/stream/{id}'], env, { params: { id: req.id } });
        publish({ v: 1, ev: 'message', ct: 'text/event-stream', seq: 0n, data: ['a', 'b', 'c'].map((data) => eventText({ data })).join('') });
        publish({ v: 1, ev: 'message', ct: 'text/event-stream', seq: 1n, data: eventText({ data: 'd' }) });
        publish({ v: 1, ev: 'done', seq: 2n, data: '[DONE]' });
      }, 5);
      return { status: 200, contentType: 'text/event-stream', stream: true, headers: [], body: new Uint8Array(0) };
    });
    const res = await fetch(`${egress.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(await res.text()).toBe('data: a\n\ndata: b\n\ndata: c\n\ndata: d\n\ndata: [DONE]\n\n');
    const scraped = await fetch(`${egress.url}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await scraped.text());
    expect(valueOf(samples, 'midl_sse_events_total')).toBe(4);
    expect(valueOf(samples, 'midl_sse_bus_events_total')).toBe(3);
    expect(valueOf(samples, 'midl_stream_coalesced_tokens_count')).toBe(2);
    expect(valueOf(samples, 'midl_stream_coalesced_tokens_sum')).toBe(4);
    expect(valueOf(samples, 'midl_stream_coalesced_bytes_sum')).toBe(4 * 'data: x\n\n'.length);
    expect(valueOf(samples, 'midl_sse_open_streams')).toBe(0);
    // Only GET and HEAD; the metrics path is never relayed as a request.
    expect((await fetch(`${egress.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('under base path / too: /metrics is the egress’s own, other paths still relayed', async () => {
    const { egress, ingress } = await egressWith('/');
    const asked: string[] = [];
    ingress.serve(topics['sse/open'], (req) => {
      asked.push(req.path);
      return { status: 200, contentType: 'application/json', stream: false, headers: [], body: new TextEncoder().encode('{"ok":true}') };
    });
    expect((await fetch(`${egress.url}/metrics?x=1`)).status).toBe(200);
    const relayed = await fetch(`${egress.url}/models`);
    expect(await relayed.json()).toEqual({ ok: true });
    expect(asked).toEqual(['/models']);
  });
});
