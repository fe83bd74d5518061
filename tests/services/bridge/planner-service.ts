import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';

/** A multipart/form-data part: a form field's text, or a file's name, type and text. */
export type FormPart = string | { readonly filename: string; readonly type: string; readonly text: string };

/** What a test service received: method, path with query, headers and the parsed JSON or multipart body. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  /** The parts of a multipart/form-data body, by name (undici's parser, as a server would use one). */
  readonly form?: Readonly<Record<string, FormPart>>;
}

async function formOf(req: IncomingMessage, raw: Buffer): Promise<Record<string, FormPart>> {
  const headers = Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v] as [string, string]] : []));
  // A test service: undici's parser (the one fetch uses) reads what the bridge sent; the lint's advice is for servers under load.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const form = await new Request(`http://127.0.0.1${req.url!}`, { method: req.method!, headers, body: raw }).formData();
  const out: Record<string, FormPart> = {};
  for (const [name, value] of form) {
    if (name in out) throw new Error(`part ${name} twice`);
    out[name] = typeof value === 'string' ? value : { filename: value.name, type: value.type, text: await value.text() };
  }
  return out;
}

type Answer = { status: number; json?: unknown; text?: string } | 'hang';
export type Route = (r: Received) => Answer | Promise<Answer>;

/** A real node:http service on 127.0.0.1 answering by `route`; `received` lists every request in order. */
export async function startService(route: Route): Promise<{ baseUrl: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const respond = async () => {
      const raw = Buffer.concat(chunks);
      const text = raw.toString('utf8');
      let answer: Answer;
      try {
        const multipart = (req.headers['content-type'] ?? '').startsWith('multipart/form-data');
        const r: Received = multipart
          ? { method: req.method!, url: req.url!, headers: req.headers, body: undefined, form: await formOf(req, raw) }
          : { method: req.method!, url: req.url!, headers: req.headers, body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined };
        received.push(r);
        answer = await route(r);
      } catch (err) {
        // A request the test's route cannot take (not JSON, a JWT that does not verify) is a 400 the test sees.
        answer = { status: 400, json: { error: String(err) } };
      }
      if (answer === 'hang') return void hanging.add(res);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.text ?? JSON.stringify(answer.json));
    };
    req.on('end', () => void respond());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * One envelope body per intent of seed 001's appendix A, what its service receives (`sent`, when it is
 * not the body itself: path parameters left out, or a multipart form), and what it answers (the
 * appendix's response shapes).
 */
export const SEED_CALLS = {
  'llm.chat': {
    service: 'llm_gateway',
    body: { messages: [{ role: 'user', content: 'Hello, FountainAI!' }], functions: [] },
    request: { method: 'POST', url: '/chat' },
    response: { id: 'chat-123', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there!' } }] },
  },
  'planner.reason': {
    service: 'planner',
    body: { objective: 'Summarize corpus fc-main', constraints: [] },
    request: { method: 'POST', url: '/planner/reason' },
    response: {
      plan: [
        { name: 'persist.getCorpus', arguments: { corpusId: 'fc-main' } },
        { name: 'analytics.summarize', arguments: { corpusId: 'fc-main' } },
      ],
    },
  },
  'planner.execute': {
    service: 'planner',
    body: SEED_ENVELOPE.body,
    request: { method: 'POST', url: '/planner/execute' },
    response: PLANNER_RESPONSE,
  },
  'tools.register': {
    service: 'tools_factory',
    body: { corpusId: 'fc-main', openapi: { openapi: '3.1.0', info: { title: 'Tools', version: '1.0.0' }, paths: { '/x': { get: { operationId: 'x' } } } } },
    request: { method: 'POST', url: '/tools/register?corpusId=fc-main' },
    sent: 'multipart',
    response: { status: 'registered', toolId: 'tool-xyz' },
  },
  'function.invoke': {
    service: 'function_caller',
    body: { function_id: 'tool-xyz', arguments: { param1: 'value' } },
    request: { method: 'POST', url: '/functions/tool-xyz/invoke' },
    sent: { arguments: { param1: 'value' } },
    response: { status: 'success', returnValue: { answer: 42 } },
  },
  'persist.baseline': {
    service: 'persist',
    body: { corpusId: 'fc-main', baselineId: 'BA-2025-08', content: 'Baseline text...' },
    request: { method: 'POST', url: '/corpora/fc-main/baselines' },
    sent: { baselineId: 'BA-2025-08', content: 'Baseline text...' },
    response: { status: 'stored', baselineId: 'BA-2025-08' },
  },
  'awareness.reflect': {
    service: 'awareness',
    body: { corpusId: 'fc-main', reflection: 'Summary or insight' },
    request: { method: 'POST', url: '/corpus/reflections' },
    response: { status: 'recorded' },
  },
} as const;

/**
 * The services of seed 001's appendix, each a real node:http service on its own port answering its
 * routes with the appendix's response shapes (404 for anything else), by `service:` name.
 */
export async function startSeedServices(): Promise<{
  baseUrls: Record<string, string>;
  received: Record<string, Received[]>;
  close(): Promise<void>;
}> {
  const names = [...new Set(Object.values(SEED_CALLS).map((c) => c.service))];
  const started = await Promise.all(
    names.map((name) =>
      startService((r) => {
        const call = Object.values(SEED_CALLS).find((c) => c.service === name && c.request.method === r.method && c.request.url === r.url);
        return call ? { status: 200, json: call.response } : { status: 404, json: { error: `no route ${r.method} ${r.url}` } };
      }),
    ),
  );
  return {
    baseUrls: Object.fromEntries(names.map((n, i) => [n, started[i]!.baseUrl])),
    received: Object.fromEntries(names.map((n, i) => [n, started[i]!.received])),
    close: async () => {
      await Promise.all(started.map((s) => s.close()));
    },
  };
}
