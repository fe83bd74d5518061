import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mulberry32 } from './udp-relay.ts';

/**
 * A fake OpenAI upstream on 127.0.0.1 for the SSE bridge tests and bench: POST /v1/chat/completions
 * answers by the request's model — `tokens-N` streams N tokens of seeded text as chat.completion.chunk
 * events then [DONE]; `dies` streams a few tokens and then destroys the connection; `slow` streams a
 * token every 20 ms until the client goes away; any other model, or a wrong API key, gets OpenAI's 401
 * error. `tokens-N` comes at a model's pace (bursts of 25 tokens, a timer between them), or, with
 * `paced: false`, as fast as the connection takes it (the bench: the stream's pace is the path's).
 */

export const API_KEY = 'sk-upstream-test';
export const UNAUTHORIZED = {
  error: {
    message: 'Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  },
};

/** `count` tokens of seeded text with multi-byte letters, emoji, newlines and quotes, as a model's tokens look. */
export function tokens(count: number, seed: number): string[] {
  const words = [
    'the',
    'synth',
    'note',
    'velocity',
    'bus',
    'naïve',
    'Grüße',
    'façade',
    '東京',
    'ノート',
    'λ',
    'MIDI',
    '2.0',
    'UMP',
    '"quoted"',
    'back\\slash',
    'data:',
    '[DONE]',
  ];
  const random = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = words[Math.floor(random() * words.length)]!;
    const r = random();
    const tail = r < 0.06 ? '.' : r < 0.1 ? ',' : r < 0.12 ? '\n' : r < 0.125 ? ' 🎹' : r < 0.13 ? '\n\n' : '';
    out.push((i === 0 ? '' : ' ') + word + tail);
  }
  return out;
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeOpenAi {
  readonly baseUrl: string;
  readonly received: SeenRequest[];
  /** Streams whose client connection closed before the stream ended. */
  readonly abandoned: number;
  close(): Promise<void>;
}

const chunk = (content: string | undefined, finish: string | null, role?: string) =>
  JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_765_000_000,
    model: 'fake',
    choices: [{ index: 0, delta: { ...(role ? { role } : {}), ...(content === undefined ? {} : { content }) }, finish_reason: finish }],
  });

export interface FakeOpenAiOptions {
  /** tokens-N at a model's pace (default) or as fast as the connection takes it. */
  readonly paced?: boolean;
}

export async function startFakeOpenAi(seed: number, options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const paced = options.paced ?? true;
  const received: SeenRequest[] = [];
  let abandoned = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const request = JSON.parse(body || '{}') as { model?: string; stream?: boolean };
      const model = request.model ?? '';
      if (req.headers.authorization !== `Bearer ${API_KEY}` || !/^(tokens-\d+|dies|slow)$/.test(model)) {
        res.writeHead(401, { 'content-type': 'application/json', 'x-request-id': 'req-401' });
        res.end(JSON.stringify(UNAUTHORIZED));
        return;
      }
      if (request.stream !== true) {
        const text = tokens(5, seed).join('');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            created: 1,
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req-stream' });
      res.write(`data: ${chunk(undefined, null, 'assistant')}\n\n`);
      let ended = false;
      res.on('close', () => {
        if (!ended) abandoned++;
      });
      const list = model === 'slow' ? [] : tokens(model === 'dies' ? 300 : Number(model.slice('tokens-'.length)), seed);
      let at = 0;
      const step = () => {
        if (res.destroyed) return;
        if (model === 'slow') {
          res.write(`data: ${chunk(' tick', null)}\n\n`);
          setTimeout(step, 20);
          return;
        }
        if (model === 'dies' && at >= 100) {
          res.socket?.destroy();
          return;
        }
        if (!paced) {
          // As fast as the connection takes it, 64 tokens at a time: on when the socket drains, or at once
          // (setImmediate, so that a client in the same process reads between batches).
          let room = true;
          for (const end = Math.min(list.length, at + 64); at < end && room; at++) room = res.write(`data: ${chunk(list[at], null)}\n\n`);
          if (at < list.length) {
            if (room) setImmediate(step);
            else res.once('drain', step);
            return;
          }
        } else {
          // A model's pace, in bursts: 25 tokens, then a pause.
          for (const end = Math.min(list.length, at + 25); at < end; at++) res.write(`data: ${chunk(list[at], null)}\n\n`);
          if (at < list.length) {
            setTimeout(step, 1);
            return;
          }
        }
        ended = true;
        res.end(`data: ${chunk(undefined, 'stop')}\n\ndata: [DONE]\n\n`);
      };
      step();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fake OpenAI server has no address');
  return {
    baseUrl: `http://127.0.0.1:${address.port}/v1`,
    received,
    get abandoned() {
      return abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
