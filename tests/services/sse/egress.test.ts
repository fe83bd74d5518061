import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub, type Bus } from '../../../runtime/index.ts';
import { CapabilityMask, topics, type SseEnvelope, type SseRequest } from '../../../generated/index.ts';
import { eventText } from '../../../services/sse/sse-text.ts';
import { serveSseEgress, type SseEgress } from '../../../services/sse/egress.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';

/**
 * The egress against a hand-driven ingress on the in-process bus: whatever order and repetition its
 * events come in, the HTTP client reads them once each and in order; a gap that does not fill and a
 * broken event end the stream in an `event: error`; nothing answering is a 503. Real node:http, fetch.
 */

const busErrors = collectBusErrors();
const closing: (() => Promise<unknown>)[] = [];
const egressErrors: unknown[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  expect(egressErrors.splice(0)).toEqual([]);
});

const message = (seq: number, events: string[]): SseEnvelope => ({
  v: 1,
  ev: 'message',
  ct: 'text/event-stream',
  seq: BigInt(seq),
  data: events.map((data) => eventText({ data })).join(''),
});

/** An egress on a loopback hub and a fake ingress whose stream events the test publishes. */
async function start(): Promise<{ egress: SseEgress; ingress: Bus; requests: SseRequest[] }> {
  const hub = new LoopbackHub({ onError: busErrors.for('hub') });
  const authority = hub.connect({ capabilities: CapabilityMask.maskOf('sse.subscribe'), onError: busErrors.for('egress') });
  const ingress = hub.connect({ capabilities: CapabilityMask.maskOf('sse.publish'), onError: busErrors.for('ingress') });
  const egress = await serveSseEgress(authority, { host: '127.0.0.1', port: 0, gapTimeoutMs: 150, onError: (e) => void egressErrors.push(e) });
  closing.push(() => egress.close());
  const requests: SseRequest[] = [];
  return { egress, ingress, requests };
}

function serveStream(ingress: Bus, requests: SseRequest[], events: (id: string) => SseEnvelope[]): void {
  ingress.serve(topics['sse/open'], (req) => {
    requests.push(req);
    setTimeout(() => {
      for (const e of events(req.id)) void ingress.publish(topics['sse/stream/{id}'], e, { params: { id: req.id } });
    }, 5);
    return { status: 200, contentType: 'text/event-stream', stream: true, headers: [{ name: 'x-request-id', value: 'r1' }], body: new Uint8Array(0) };
  });
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A POST with a client's bearer token, read to the end (node:http: no fetch start-up in a fast test). */
const post = (egress: SseEgress, path = '/v1/chat/completions'): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request(`${egress.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer client' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{"stream":true}');
  });

describe('SSE egress', () => {
  it('writes events once each in seq order, fragments joined, whatever order they came in', async () => {
    const { egress, ingress, requests } = await start();
    serveStream(ingress, requests, () => [
      message(2, ['c']),
      message(0, ['a', 'a2']),
      { v: 1, ev: 'message', ct: 'text/event-stream', seq: 3n, frag: { i: 1, n: 2 }, data: 'long\n\n' },
      message(2, ['c']),
      { v: 1, ev: 'done', seq: 4n, data: '[DONE]' },
      message(1, ['b']),
      { v: 1, ev: 'message', ct: 'text/event-stream', seq: 3n, frag: { i: 0, n: 2 }, data: 'data: very ' },
    ]);
    const res = await post(egress);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['x-request-id']).toBe('r1');
    expect(res.text).toBe('data: a\n\ndata: a2\n\ndata: b\n\ndata: c\n\ndata: very long\n\ndata: [DONE]\n\n');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/chat/completions', headers: [{ name: 'content-type', value: 'application/json' }] });
    expect(JSON.stringify(requests[0]!.headers)).not.toMatch(/authorization/i);
    expect(new TextDecoder().decode(requests[0]!.body)).toBe('{"stream":true}');
    expect(egress.counters).toMatchObject({ streamsOpened: 1, streamsDone: 1, sseEvents: 5, duplicates: 1, fragments: 2 });
    await until(() => egress.open === 0, 1000, 'the stream closed');
  });

  it('a gap that does not fill, or broken event text, ends the stream in an error event', async () => {
    const { egress, ingress, requests } = await start();
    serveStream(ingress, requests, (id) =>
      id === requests[0]?.id ? [message(0, ['a']), message(2, ['c'])] : [{ ...message(0, []), data: 'data: no blank line\n' }],
    );
    const gap = (await post(egress)).text;
    expect(gap).toMatch(
      /^data: a\n\nevent: error\ndata: \{"error":\{"message":"seq 1 of the stream did not arrive within 150 ms \(1 later events wait\)","type":"bridge_error"/,
    );
    const broken = (await post(egress)).text;
    expect(broken).toMatch(/^event: error\ndata: \{"error":\{"message":"the stream broke on the bus: event text is not canonical SSE/);
    expect(egress.counters).toMatchObject({ streamsErrored: 2 });
  });

  it('no ingress: 503 in OpenAI error form; a path outside the base: 404', async () => {
    const { egress } = await start();
    const none = await post(egress);
    expect(none.status).toBe(503);
    expect(JSON.parse(none.text)).toMatchObject({ error: { message: 'no SSE ingress is connected to the bus', type: 'bridge_error' } });
    const outside = await post(egress, '/other');
    expect(outside.status).toBe(404);
    expect(egress.open).toBe(0);
  });
});
