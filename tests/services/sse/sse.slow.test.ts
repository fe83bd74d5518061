import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError, AuthenticationError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { intents, topics } from '../../../generated/index.ts';
import { FrameError, NetworkBus } from '../../../runtime/index.ts';
import { transports } from '../../../runtime/transports/index.ts';
import { networkSessions, serveSseEgress, serveSseIngress, type SseEgress, type SseIngress } from '../../../services/index.ts';
import { runMidl, stackTraceLines } from '../../helpers/cli.ts';
import { parseExposition, valueOf } from '../../helpers/prometheus.ts';
import { killAll, startMidl } from '../../helpers/midl-process.ts';
import { startRelay, type Relay } from '../../helpers/udp-relay.ts';
import { until } from '../../helpers/until.ts';
import { API_KEY, startFakeOpenAi, tokens, UNAUTHORIZED, type FakeOpenAi } from '../../helpers/fake-openai.ts';

/**
 * The second done-when: the official OpenAI SDK streams a 10k-token completion from a fake
 * OpenAI upstream on 127.0.0.1 through ingress → bus over UDP with 5 % loss (plus duplication and
 * reordering) → egress, and prints exactly the upstream's text. Also: the upstream's 401 reaches the
 * SDK as the same AuthenticationError, an upstream dying mid-stream ends in an error the SDK throws, a
 * client that goes away cancels the upstream request. Once in process, once through the real CLI.
 */

const SEED = 1505;
const TOKENS = 10_000;
/** The in-process case is shorter: the CLI case streams the full 10k through the same loss. */
const IN_PROCESS_TOKENS = 1_500;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const registry = { topics: Object.values(topics), intents: Object.values(intents) };
const lossy = { loss: 0.05, duplicate: 0.01, reorder: 0.02, maxDelayMs: 5 };

async function streamText(client: OpenAI, model: string): Promise<string> {
  const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'play' }] });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

function expectSame(got: string, expected: string): void {
  if (got === expected) return;
  let at = 0;
  while (at < got.length && got[at] === expected[at]) at++;
  expect.fail(
    `text differs at character ${at} of ${expected.length} (got ${got.length}): ${JSON.stringify(got.slice(at, at + 40))} vs ${JSON.stringify(expected.slice(at, at + 40))}`,
  );
}

interface InProcess {
  upstream: FakeOpenAi;
  relay: Relay;
  ingress: SseIngress;
  egress: SseEgress;
  client: OpenAI;
  /** What the ingress and egress reported: nothing, in every case here. */
  errors: unknown[];
}

/**
 * A datagram lost or overtaken inside a multi-packet frame makes the link reader see a frame whose
 * checksum fails: the bus reports it and the sender's retransmission repairs it. Those, bounded, are
 * the only bus errors a lossy link may cause.
 */
function expectOnlyRepairedFrames(busErrors: readonly unknown[]): void {
  const other = busErrors.filter((e) => !(e instanceof FrameError && e.message.startsWith('checksum mismatch')));
  expect(other).toEqual([]);
  expect(busErrors.length).toBeLessThan(200);
}

async function inProcess(loss: typeof lossy, gapTimeoutMs = 8_000, silenceMs?: number): Promise<InProcess> {
  const errors: unknown[] = [];
  const onError = (e: unknown) => void errors.push(e);
  const busErrors: unknown[] = [];
  const onBusError = (e: unknown) => void busErrors.push(e);
  cleanups.push(() => Promise.resolve(expectOnlyRepairedFrames(busErrors)));
  const upstream = await startFakeOpenAi(SEED);
  cleanups.push(() => upstream.close());
  const authority = new NetworkBus({ name: 'egress', ...registry, onError: onBusError, ...(silenceMs === undefined ? {} : { silenceMs }) });
  const listener = await transports.listen('udp://127.0.0.1:0', { name: 'egress', onError: onBusError });
  listener.onSession((link) => authority.accept(link));
  cleanups.push(async () => {
    await authority.close();
    await listener.close();
  });
  const port = Number(/:(\d+)$/.exec(listener.url)![1]);
  const relay = await startRelay({ target: { host: '127.0.0.1', port }, seed: SEED, ...loss });
  cleanups.push(() => relay.close());
  const client = new NetworkBus({ name: 'ingress', ...registry, onError: onBusError });
  await client.connect(await transports.connect(`udp://127.0.0.1:${relay.port}`, { name: 'ingress', timeoutMs: 10_000 }), { timeoutMs: 10_000 });
  cleanups.push(() => client.close());
  const ingress = serveSseIngress(client, { upstream: upstream.baseUrl, apiKey: API_KEY, onError });
  cleanups.push(() => ingress.close());
  await ingress.ready;
  const egress = await serveSseEgress(authority, { host: '127.0.0.1', port: 0, gapTimeoutMs, liveSessions: networkSessions(authority), onError });
  cleanups.push(() => egress.close());
  const sdk = new OpenAI({ baseURL: `${egress.url}/v1`, apiKey: 'client-key-never-forwarded', maxRetries: 0, timeout: 60_000 });
  return { upstream, relay, ingress, egress, client: sdk, errors };
}

describe('SSE over the bus with the OpenAI SDK', () => {
  it('streams tokens through 5 % loss exactly; 401, a dying upstream and a cancel reach the right side', async () => {
    const p = await inProcess(lossy);
    const started = Date.now();
    expectSame(await streamText(p.client, `tokens-${IN_PROCESS_TOKENS}`), tokens(IN_PROCESS_TOKENS, SEED).join(''));
    const took = Date.now() - started;
    // What went over the bus: the key the ingress holds, never the client's; events coalesced; loss repaired.
    const seen = p.upstream.received[0]!;
    expect(seen.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(seen).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    expect(JSON.parse(seen.body)).toMatchObject({ model: `tokens-${IN_PROCESS_TOKENS}`, stream: true });
    const e = p.egress.counters;
    expect(e).toMatchObject({ streamsOpened: 1, streamsDone: 1, streamsErrored: 0, sseEvents: IN_PROCESS_TOKENS + 2 });
    expect(p.ingress.counters).toMatchObject({ streamsOpened: 1, streamsDone: 1, sseEvents: IN_PROCESS_TOKENS + 2 });
    expect(e.busEvents).toBeLessThan(IN_PROCESS_TOKENS / 8);
    expect(p.relay.stats().dropped).toBeGreaterThan(0);
    console.log(`${IN_PROCESS_TOKENS} tokens in ${took} ms; egress counters ${JSON.stringify(e)}; relay ${JSON.stringify(p.relay.stats())}`);

    // The upstream's 401 is the SDK's AuthenticationError with OpenAI's message.
    const denied = await p.client.chat.completions.create({ model: 'nope', stream: true, messages: [] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(denied).toBeInstanceOf(AuthenticationError);
    expect((denied as AuthenticationError).status).toBe(401);
    expect((denied as AuthenticationError).message).toBe(`401 ${UNAUTHORIZED.error.message}`);
    expect((denied as AuthenticationError).requestID).toBe('req-401');

    // A plain (non-streaming) answer passes through whole.
    const plain = await p.client.chat.completions.create({ model: 'tokens-5', messages: [] });
    expect(plain.choices[0]?.message.content).toBe(tokens(5, SEED).join(''));

    // An upstream that dies mid-stream: the SDK throws after the tokens it got, never a silent truncation.
    let partial = '';
    const died = await (async () => {
      const s = await p.client.chat.completions.create({ model: 'dies', stream: true, messages: [] });
      for await (const c of s) partial += c.choices[0]?.delta.content ?? '';
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(died).toBeInstanceOf(APIError);
    expect((died as APIError).message).toMatch(/the upstream stream failed/);
    expect(partial).toBe(tokens(300, SEED).slice(0, 100).join(''));

    // A client that goes away cancels the upstream request.
    const slow = await p.client.chat.completions.create({ model: 'slow', stream: true, messages: [] });
    let ticks = 0;
    for await (const c of slow) if (c.choices[0]?.delta.content === ' tick' && ++ticks === 3) break;
    await until(() => p.upstream.abandoned === 1 && p.ingress.open === 0 && p.egress.open === 0, 10_000, 'the upstream request cancelled');
    expect(p.egress.counters.streamsCancelled).toBe(1);
    expect(p.ingress.counters.streamsCancelled).toBe(1);
    expect(p.errors).toEqual([]);
  }, 60_000);

  it('a lost ingress ends the stream in an error the SDK throws', async () => {
    // The authority notices the silence after 1.5 s (not the default 5), then waits 1 s more for a resume.
    const p = await inProcess({ loss: 0, duplicate: 0, reorder: 0, maxDelayMs: 0 }, 1_000, 1_500);
    const s = await p.client.chat.completions.create({ model: 'slow', stream: true, messages: [] });
    let ticks = 0;
    const ended = (async () => {
      for await (const c of s) if (c.choices[0]?.delta.content === ' tick' && ++ticks === 3) p.relay.blackout(true);
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    const err = await ended;
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).message).toMatch(/the SSE ingress left the bus mid-stream/);
    expect(p.egress.counters.streamsErrored).toBe(1);
  }, 60_000);
});

describe('midl stream ingress / egress (CLI processes)', () => {
  it('the OpenAI SDK gets the exact 10k-token text through both commands and 5 % loss', async () => {
    const upstream = await startFakeOpenAi(SEED);
    cleanups.push(() => upstream.close());
    const dir = await mkdtemp(join(tmpdir(), 'midl-stream-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, `${API_KEY}\n`);
    await chmod(keyFile, 0o600);
    const egress = startMidl(['stream', 'egress', '--listen', 'udp://127.0.0.1:0', '--http', '127.0.0.1:0', '--telemetry', '300']);
    const busUrl = (await egress.waitFor(/^listening on (udp:\/\/127\.0\.0\.1:\d+)$/m, 30_000))[1]!;
    const httpUrl = (await egress.waitFor(/^serving HTTP on (http:\/\/127\.0\.0\.1:\d+\/v1)$/m, 30_000))[1]!;
    const egressMetrics = (await egress.waitFor(/^metrics: serving (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m, 30_000))[1]!;
    const relay = await startRelay({ target: { host: '127.0.0.1', port: Number(/:(\d+)$/.exec(busUrl)![1]) }, seed: SEED + 1, ...lossy });
    cleanups.push(() => relay.close());
    const ingress = startMidl([
      ...['stream', 'ingress', '--upstream', upstream.baseUrl, '--to', `udp://127.0.0.1:${relay.port}`, '--api-key-file', keyFile],
      ...['--metrics', '127.0.0.1:0', '--telemetry', '300'],
    ]);
    const ingressMetrics = (await ingress.waitFor(/^metrics: serving (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m, 30_000))[1]!;
    await ingress.waitFor(/^relaying sse\/open on /m, 30_000);
    const client = new OpenAI({ baseURL: httpUrl, apiKey: 'client-key', maxRetries: 0, timeout: 60_000 });
    expectSame(await streamText(client, `tokens-${TOKENS}`), tokens(TOKENS, SEED).join(''));
    expect(upstream.received[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(relay.stats().dropped).toBeGreaterThan(0);
    // Both sides' /metrics after the stream: the link (bytes, ACKs, repaired loss), the events, the coalescing.
    const scrape = async (url: string) => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      return parseExposition(await res.text());
    };
    const e = await scrape(egressMetrics);
    const i = await scrape(ingressMetrics);
    expect(valueOf(e, 'midl_bus_received_bytes_total', { peer: 'midl stream ingress' })).toBeGreaterThan(TOKENS);
    expect(valueOf(i, 'midl_bus_sent_bytes_total', { peer: 'midl stream egress' })).toBeGreaterThan(TOKENS);
    expect(valueOf(e, 'midl_bus_acks_sent_total', { peer: 'midl stream ingress' })).toBeGreaterThan(0);
    expect(valueOf(i, 'midl_bus_acks_received_total', { peer: 'midl stream egress' })).toBeGreaterThan(0);
    expect(valueOf(i, 'midl_bus_retransmits_total', { peer: 'midl stream egress' })).toBeGreaterThan(0);
    for (const side of [e, i]) {
      expect(valueOf(side, 'midl_sse_events_total')).toBe(TOKENS + 2);
      expect(valueOf(side, 'midl_sse_streams_done_total')).toBe(1);
      expect(valueOf(side, 'midl_sse_streams_errored_total')).toBe(0);
      expect(valueOf(side, 'midl_stream_coalesced_tokens_sum')).toBe(TOKENS + 2);
      // Coalesced: far fewer bus messages than events.
      expect(valueOf(side, 'midl_stream_coalesced_tokens_count')).toBeLessThan(TOKENS / 8);
    }
    expect(valueOf(e, 'midl_stream_coalesced_tokens_count')).toBe(valueOf(i, 'midl_stream_coalesced_tokens_count'));
    // --telemetry: both publish their sessions' link counters on telemetry/link every 300 ms (the ingress's
    // through the egress, its session authority), as a third bus client subscribed to it sees.
    const watcherErrors: unknown[] = [];
    const watcher = new NetworkBus({ name: 'watcher', ...registry, onError: (err) => void watcherErrors.push(err) });
    cleanups.push(() => watcher.close());
    await watcher.connect(await transports.connect(busUrl, { name: 'watcher', timeoutMs: 10_000 }), { timeoutMs: 10_000 });
    const reporters = new Set<string>();
    await watcher.subscribe(topics['telemetry/link'], (report) => void reporters.add(report.peer)).ready;
    await until(() => reporters.has('midl stream egress') && reporters.has('midl stream ingress'), 10_000, 'telemetry/link reports of both sides');
    expect(watcherErrors).toEqual([]);
    expect(await ingress.stop('SIGINT')).toBe(0);
    expect(await egress.stop('SIGINT')).toBe(0);
    for (const p of [egress, ingress]) {
      expect(stackTraceLines(p.stderr())).toEqual([]);
      // Frames whose checksum failed are reported and repaired by retransmission (expectOnlyRepairedFrames).
      expect(
        p
          .stderr()
          .split('\n')
          .filter((l) => l.startsWith('warning:') && !/: checksum mismatch \(/.test(l)),
      ).toEqual([]);
    }
  }, 90_000);

  it('refuses an API key file that others may read, and a --metrics that is no address (exit 2, before connecting)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midl-stream-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const exposed = join(dir, 'key');
    await writeFile(exposed, 'sk\n');
    await chmod(exposed, 0o644);
    const r = await runMidl(['stream', 'ingress', '--to', 'udp://127.0.0.1:9', '--upstream', 'http://h/v1', '--api-key-file', exposed], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--api-key-file/);
    // A --metrics address that is not HOST:PORT, as well: exit 2 naming it, with nothing listening at --to.
    const bad = await runMidl(['stream', 'ingress', '--to', 'udp://127.0.0.1:9', '--upstream', 'http://h/v1', '--metrics', 'nowhere'], { timeoutMs: 30_000 });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/--metrics nowhere: expected HOST:PORT/);
  }, 60_000);
});
