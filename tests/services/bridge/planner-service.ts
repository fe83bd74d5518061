import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test service received: method, path with query, headers and the parsed JSON body. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
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
      const text = Buffer.concat(chunks).toString('utf8');
      let answer: Answer;
      try {
        const r: Received = { method: req.method!, url: req.url!, headers: req.headers, body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined };
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
