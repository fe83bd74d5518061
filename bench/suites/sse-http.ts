/**
 * `midl stream` end to end (issue 15): tokens/s and time to first token of an OpenAI-style chat
 * completion streamed from a fake upstream (node:http, chat.completion.chunk events, seeded tokens)
 * through serveSseIngress → NetworkBus over Network MIDI 2.0 on 127.0.0.1 → serveSseEgress → an HTTP
 * client, beside the same client reading the same upstream directly, in the same run.
 *
 * The client, both sides: the global fetch, its body read as it comes through eventsource-parser (the
 * parser the bridges use), each event's JSON parsed and `choices[0].delta.content` appended, until
 * `[DONE]`. Time to first token: from the request to the first non-empty content. The text of every call
 * is checked against the upstream's tokens; the bridges must report no error.
 */
import { createParser } from 'eventsource-parser';
import type { BenchCase, BenchSuite } from '../harness.ts';
import type { NetworkBus, UmpLink } from '../../runtime/index.ts';
import { networkSessions, serveSseEgress, serveSseIngress, type SseEgress, type SseIngress } from '../../services/index.ts';
// The fake upstream of the SSE tests, unpaced here: the stream goes as fast as the path takes it.
import { API_KEY, startFakeOpenAi, tokens, type FakeOpenAi } from '../../tests/helpers/fake-openai.ts';
import { assertNoErrors, deadline, node, resource } from '../net.ts';
import { nm2Wire, type WireListener } from '../wires.ts';

const TOKENS = 10_000;
const SEED = 1515;
const SETUP_MS = 15_000;
/** One stream that takes longer than this fails the case rather than hanging the run. */
const STREAM_MS = 30_000;

interface Setup {
  readonly upstream: FakeOpenAi;
  readonly listener: WireListener;
  readonly link: UmpLink;
  readonly authority: NetworkBus;
  readonly client: NetworkBus;
  readonly ingress: SseIngress;
  readonly egress: SseEgress;
  readonly errors: unknown[];
}

function sseSetup() {
  return resource<Setup>(
    async () => {
      const errors: unknown[] = [];
      const opened: (() => Promise<void>)[] = [];
      try {
        const upstream = await startFakeOpenAi(SEED, { paced: false });
        opened.push(() => upstream.close());
        const authority = node('sse egress', errors);
        opened.push(() => authority.close());
        const listener = await nm2Wire.listen('bench sse egress', (l) => authority.accept(l), errors);
        opened.push(() => listener.close());
        const link = await listener.connect('bench sse ingress');
        opened.push(() => link.close());
        const client = node('sse ingress', errors);
        opened.push(() => client.close());
        await deadline(client.connect(link), SETUP_MS, 'ingress NetworkBus connect');
        const ingress = serveSseIngress(client, { upstream: upstream.baseUrl, apiKey: API_KEY, onError: (e) => void errors.push(e) });
        opened.push(() => ingress.close());
        await deadline(ingress.ready, SETUP_MS, 'sse ingress ready');
        const egress = await serveSseEgress(authority, {
          host: '127.0.0.1',
          port: 0,
          liveSessions: networkSessions(authority),
          onError: (e) => void errors.push(e),
        });
        return { upstream, listener, link, authority, client, ingress, egress, errors };
      } catch (err) {
        for (const close of opened.reverse()) await close();
        throw err;
      }
    },
    async (s) => {
      await s.egress.close();
      await s.ingress.close();
      await s.client.close();
      await s.link.close();
      await s.authority.close();
      await s.listener.close();
      await s.upstream.close();
      assertNoErrors('sse-http bench', s.errors);
    },
  );
}

interface Streamed {
  readonly text: string;
  readonly firstTokenMs: number;
}

/** One streamed chat completion from `baseUrl`: the text of its deltas and the time to its first token. */
async function streamCompletion(baseUrl: string, apiKey: string): Promise<Streamed> {
  const started = performance.now();
  let firstTokenMs: number | undefined;
  let text = '';
  // Set by the parser's callback: an object, so the checks below read what the callback wrote.
  const end = { done: false };
  const parser = createParser({
    onEvent: (event) => {
      if (event.data === '[DONE]') {
        end.done = true;
        return;
      }
      const chunk = JSON.parse(event.data) as { choices?: { delta?: { content?: string } }[]; error?: { message?: string } };
      if (chunk.error !== undefined) throw new Error(`sse-http bench: the stream ended in an error: ${chunk.error.message ?? event.data}`);
      const content = chunk.choices?.[0]?.delta?.content;
      if (content === undefined || content === '') return;
      firstTokenMs ??= performance.now() - started;
      text += content;
    },
  });
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ model: `tokens-${TOKENS}`, stream: true, messages: [{ role: 'user', content: 'play' }] }),
  });
  if (res.status !== 200 || res.body === null) throw new Error(`sse-http bench: ${baseUrl} answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const decoder = new TextDecoder();
  for await (const bytes of res.body as ReadableStream<Uint8Array>) parser.feed(decoder.decode(bytes, { stream: true }));
  parser.feed(decoder.decode());
  if (!end.done) throw new Error(`sse-http bench: the stream from ${baseUrl} ended without [DONE]`);
  if (firstTokenMs === undefined) throw new Error(`sse-http bench: the stream from ${baseUrl} carried no token`);
  return { text, firstTokenMs };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};

function sseHttpCase(): BenchCase {
  const setup = sseSetup();
  const expected = tokens(TOKENS, SEED).join('');
  const ttft = { bridged: [] as number[], direct: [] as number[] };
  const checked = async (baseUrl: string, apiKey: string, into: number[], what: string): Promise<void> => {
    const got = await deadline(streamCompletion(baseUrl, apiKey), STREAM_MS, `sse-http bench: ${what} stream of ${TOKENS} tokens`);
    if (got.text !== expected) {
      let at = 0;
      while (at < got.text.length && got.text[at] === expected[at]) at++;
      throw new Error(`sse-http bench: the ${what} text differs from the upstream's at character ${at} (got ${got.text.length}, expected ${expected.length})`);
    }
    into.push(got.firstTokenMs);
  };
  return {
    name: `sse via midl stream (ingress → bus over NM2/UDP → egress): ${TOKENS / 1000}k-token chat completion, fetch + eventsource-parser`,
    itemsPerOp: TOKENS,
    itemsLabel: 'tokens',
    minIterations: 3,
    setup: async () => {
      ttft.bridged.length = 0;
      ttft.direct.length = 0;
      await setup.setup();
    },
    teardown: setup.teardown,
    fn: async () => {
      const s = setup.get();
      // The egress's client sends no key of the upstream's: the ingress holds it.
      await checked(`${s.egress.url}/v1`, 'client-key', ttft.bridged, 'bridged');
    },
    baseline: {
      name: 'the same client reading the same upstream directly',
      fn: async () => {
        await checked(setup.get().upstream.baseUrl, API_KEY, ttft.direct, 'direct');
      },
    },
    figures: () => {
      const s = setup.get();
      assertNoErrors('sse-http bench', s.errors);
      const c = s.ingress.counters;
      // Message bus events per stream: all bus events less each stream's done.
      const messageEvents = c.busEvents - c.streamsDone - c.streamsErrored * 2;
      return {
        textExact: true, // checked on every call of both sides
        ttftP50Ms: median(ttft.bridged),
        directTtftP50Ms: median(ttft.direct),
        ttftRatio: median(ttft.direct) / median(ttft.bridged),
        streams: c.streamsDone,
        eventsPerBusEvent: c.sseEvents / messageEvents,
      };
    },
  };
}

export const suite: BenchSuite = {
  name: 'sse-http',
  cases: () => [sseHttpCase()],
};
