import { mkdtemp, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DiskStore, FountainStoreHttp, openStore, StoreError } from '../../runtime/store/index.ts';
import { startFountainStoreServer, type FountainStoreServer, type FountainStoreServerOptions } from '../helpers/fountainstore-server.ts';
import { describeStoreContract, expectStoreError } from './contract.ts';

describeStoreContract(
  'FountainStoreHttp',
  async () => {
    const server = await startFountainStoreServer({ basePath: '/v1', apiKey: 'test-key' });
    return { store: new FountainStoreHttp({ baseUrl: server.url, apiKey: 'test-key', timeoutMs: 5_000 }), dispose: () => server.close() };
  },
  { fuzzRuns: 15 },
);

describe('FountainStoreHttp against a FountainStore v0.2.1 server', () => {
  const servers: FountainStoreServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  async function serve(options: FountainStoreServerOptions = {}): Promise<FountainStoreServer> {
    const server = await startFountainStoreServer(options);
    servers.push(server);
    return server;
  }
  /** A server whose GETs of records are answered by `reply` instead of the API. */
  function hostile(reply: (response: ServerResponse) => void): Promise<FountainStoreServer> {
    return serve({
      intercept: (request, response) => {
        if (request.method !== 'GET') return false;
        reply(response);
        return true;
      },
    });
  }

  it('keeps a document as the record {id, data} of the collection <corpus>.<collection>, made once', async () => {
    const server = await serve();
    const store = new FountainStoreHttp({ baseUrl: `${server.url}/` });
    await store.put('agents', 'agent-facts', 'facts:agent:fountain.coach/agent/x/y', { b: 1, a: 2 });
    await store.put('agents', 'agent-facts', 'second', { c: 3 });
    expect(server.requests).toEqual([
      'POST /collections',
      'PUT /collections/agents.agent-facts/records/facts%3Aagent%3Afountain.coach%2Fagent%2Fx%2Fy',
      'PUT /collections/agents.agent-facts/records/second',
    ]);
    const record = server.collections.get('agents.agent-facts')!.get('facts:agent:fountain.coach/agent/x/y')!;
    expect(JSON.stringify(record.data)).toBe('{"a":2,"b":1}');
  });

  it('gives a document the version DiskStore gives the same document', async () => {
    const server = await serve();
    const dir = await mkdtemp(join(tmpdir(), 'midl-http-version-'));
    try {
      const value = { name: 'idl', topics: ['gpu/job.dispatch'], nested: { z: 0.25, a: [true, null] } };
      const overHttp = await new FountainStoreHttp({ baseUrl: server.url }).put('midl', 'schemas', 'idl@1.0.0', value);
      const onDisk = await new DiskStore(dir).put('midl', 'schemas', 'idl@1.0.0', value);
      expect(overHttp.version).toBe(onDisk.version);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serializes the read-compare-write of one document within the process: of two writes under one version, one conflicts', async () => {
    const server = await serve();
    const store = new FountainStoreHttp({ baseUrl: server.url });
    const first = await store.put('midl', 'topics', 'counter', { n: 0 });
    const outcomes = await Promise.all(
      [1, 2].map((n) =>
        store.put('midl', 'topics', 'counter', { n }, { ifVersion: first.version }).then(
          () => 'written',
          (e: unknown) => (e as { code?: string }).code,
        ),
      ),
    );
    expect(outcomes.sort()).toEqual(['conflict', 'written']);
  });

  it('makes the collection again when it was dropped behind its back', async () => {
    const server = await serve();
    const store = new FountainStoreHttp({ baseUrl: server.url });
    await store.put('midl', 'topics', 'a', 1);
    expect((await fetch(`${server.url}/collections/midl.topics`, { method: 'DELETE' })).status).toBe(204);
    await store.put('midl', 'topics', 'b', 2);
    expect(await store.list('midl', 'topics')).toEqual({ ids: ['b'] });
  });

  it('refuses a corpus.collection name over the server’s 128 characters', async () => {
    const server = await serve();
    const store = new FountainStoreHttp({ baseUrl: server.url });
    await expectStoreError(store.put('c'.repeat(64), 'd'.repeat(64), 'x', 1), 'invalid-name');
    expect(server.requests).toEqual([]);
  });

  it('sends the key of $FOUNTAINSTORE_API_KEY; a wrong or missing key is unauthorized, with the problem’s title and detail', async () => {
    const server = await serve({ apiKey: 'right' });
    const keyed = openStore(server.url, { FOUNTAINSTORE_API_KEY: 'right' });
    await keyed.put('midl', 'topics', 'a', { ok: true });
    expect((await keyed.get('midl', 'topics', 'a'))?.value).toEqual({ ok: true });
    const wrong = await expectStoreError(new FountainStoreHttp({ baseUrl: server.url, apiKey: 'wrong' }).get('midl', 'topics', 'a'), 'unauthorized');
    expect(wrong.message).toContain('401');
    expect(wrong.message).toContain('Unauthorized: missing or wrong API key');
    expect(wrong.message).not.toContain('right');
    const missing = await expectStoreError(openStore(server.url, {}).list('midl', 'topics'), 'unauthorized');
    expect(missing.message).toContain('$FOUNTAINSTORE_API_KEY');
  });

  it('is unavailable, quickly, when the server is down or does not answer', async () => {
    const down = await startFountainStoreServer();
    await down.close();
    let started = Date.now();
    const refused = await expectStoreError(new FountainStoreHttp({ baseUrl: down.url, timeoutMs: 1_000 }).get('midl', 'topics', 'a'), 'unavailable');
    expect(refused.message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(1_000);

    const silent = await serve({ intercept: () => true });
    started = Date.now();
    const timedOut = await expectStoreError(new FountainStoreHttp({ baseUrl: silent.url, timeoutMs: 100 }).get('midl', 'topics', 'a'), 'unavailable');
    expect(timedOut.message).toContain('no reply within 100 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('maps a 5xx to unavailable and an undocumented status to a typed error, with the problem text', async () => {
    const failing = await hostile((response) =>
      response
        .writeHead(503, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ title: 'Service Unavailable', status: 503, detail: 'compaction in progress' })),
    );
    const error = await expectStoreError(new FountainStoreHttp({ baseUrl: failing.url }).get('midl', 'topics', 'a'), 'unavailable');
    expect(error.message).toContain('503: Service Unavailable: compaction in progress');
    const teapot = await hostile((response) => response.writeHead(418).end('short and stout'));
    expect((await expectStoreError(new FountainStoreHttp({ baseUrl: teapot.url }).get('midl', 'topics', 'a'), 'corrupt')).message).toContain(
      '418: "short and stout"',
    );
    const picky = await hostile((response) =>
      response.writeHead(400, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Bad Request', status: 400, detail: 'id too long' })),
    );
    expect((await expectStoreError(new FountainStoreHttp({ baseUrl: picky.url }).get('midl', 'topics', 'a'), 'invalid-name')).message).toContain(
      'Bad Request: id too long',
    );
  });

  it('refuses malformed replies as corrupt', async () => {
    const replies: [string, (response: ServerResponse) => void][] = [
      ['not JSON', (r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "a", "data": ')],
      ['not a record {id, data}', (r) => r.writeHead(200).end('{"id": "a"}')],
      ['a record for id "b"', (r) => r.writeHead(200).end('{"id": "b", "data": 1}')],
      ['not UTF-8', (r) => r.writeHead(200).end(Buffer.from([0x7b, 0xff, 0x7d]))],
    ];
    for (const [expected, reply] of replies) {
      const server = await hostile(reply);
      const error = await expectStoreError(new FountainStoreHttp({ baseUrl: server.url }).get('midl', 'topics', 'a'), 'corrupt');
      expect(error.message).toContain(expected);
    }
    const scan = await serve({
      intercept: (request, response) => {
        if (!request.url!.endsWith('/query')) return false;
        response.writeHead(200).end(JSON.stringify({ items: [{ id: 'zz', data: 1 }], nextPageToken: null }));
        return true;
      },
    });
    const store = new FountainStoreHttp({ baseUrl: scan.url });
    await store.put('midl', 'topics', 'a', 1);
    expect((await expectStoreError(store.list('midl', 'topics', { prefix: 'a' }), 'corrupt')).message).toContain('lacks the prefix "a"');
  });

  it('answers any reply with a result or a StoreError (fuzz)', async () => {
    let reply: { status: number; body: Uint8Array } = { status: 200, body: new Uint8Array() };
    const server = await serve({
      intercept: (_request, response) => {
        response.writeHead(reply.status).end(reply.body);
        return true;
      },
    });
    const store = new FountainStoreHttp({ baseUrl: server.url, timeoutMs: 2_000 });
    const body = fc.oneof(
      fc.json().map((text) => new TextEncoder().encode(text)),
      fc
        .record({ id: fc.constantFrom('a', 'b'), data: fc.jsonValue(), deleted: fc.option(fc.boolean(), { nil: undefined }) })
        .map((r) => new TextEncoder().encode(JSON.stringify(r))),
      fc
        .record({ items: fc.array(fc.record({ id: fc.string({ maxLength: 4 }), deleted: fc.boolean() })), nextPageToken: fc.option(fc.string()) })
        .map((r) => new TextEncoder().encode(JSON.stringify(r))),
      fc.uint8Array({ maxLength: 32 }),
    );
    const status = fc.constantFrom(200, 201, 204, 400, 401, 404, 409, 413, 418, 500, 503);
    const operation = fc.constantFrom(
      () => store.get('midl', 'topics', 'a'),
      () => store.put('midl', 'topics', 'a', { n: 1 }),
      () => store.put('midl', 'topics', 'a', { n: 1 }, { ifVersion: null }),
      () => store.list('midl', 'topics', { prefix: 'a', limit: 3 }),
      () => store.delete('midl', 'topics', 'a'),
    );
    await fc.assert(
      fc.asyncProperty(status, body, operation, async (s, b, run) => {
        reply = { status: s, body: b };
        const outcome = await run().catch((e: unknown) => e);
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(StoreError);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a reply over the size bound, declared or streamed, or nested too deeply, as too-large', async () => {
    const declared = await hostile((response) => {
      response.writeHead(200, { 'content-length': String(1024 * 1024) });
      response.write('{"id":"a","data":"');
    });
    const error = await expectStoreError(new FountainStoreHttp({ baseUrl: declared.url, maxResponseBytes: 64 * 1024 }).get('midl', 'topics', 'a'), 'too-large');
    expect(error.message).toContain(`a reply of ${1024 * 1024} bytes`);
    const streamed = await hostile((response) => {
      response.writeHead(200);
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 64; i++) response.write(chunk);
      response.end();
    });
    await expectStoreError(new FountainStoreHttp({ baseUrl: streamed.url, maxResponseBytes: 64 * 1024 }).get('midl', 'topics', 'a'), 'too-large');
    const deep = await hostile((response) => response.writeHead(200).end(`{"id":"a","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`));
    expect((await expectStoreError(new FountainStoreHttp({ baseUrl: deep.url }).get('midl', 'topics', 'a'), 'too-large')).message).toContain(
      'nested too deeply',
    );
    const server = await serve();
    await expectStoreError(new FountainStoreHttp({ baseUrl: server.url, maxResponseBytes: 1024 }).put('midl', 'topics', 'a', 'x'.repeat(2048)), 'too-large');
    expect(server.requests).toEqual([]);
  });
});
