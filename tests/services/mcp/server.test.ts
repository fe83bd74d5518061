import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import fc from 'fast-check';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { serveMcpHttp, type McpHttpServer } from '../../../services/mcp/http.ts';
import { McpUnknownName, createMcpServer, type McpCatalog } from '../../../services/mcp/server.ts';

/**
 * The MCP server of services/mcp driven by the SDK's own Client: over an in-memory pair for the
 * protocol, over real HTTP on 127.0.0.1 for the stateless Streamable HTTP endpoint and its refusals.
 */

const echoSchema = {
  type: 'object' as const,
  properties: { text: { type: 'string', minLength: 1 }, count: { type: 'integer', minimum: 0 } },
  required: ['text'],
  additionalProperties: false,
  $defs: { Unused: { type: 'string' } },
};

/** A catalog whose tools answer from plain functions; what it was asked is recorded. */
function catalog(): McpCatalog & { calls: { name: string; args: unknown }[] } {
  const calls: { name: string; args: unknown }[] = [];
  return {
    calls,
    name: 'test',
    version: '1.2.3',
    tools: () => [
      {
        name: 'echo',
        description: 'Echoes.',
        inputSchema: echoSchema,
        outputSchema: { type: 'object', properties: { text: { type: 'string' } } },
        _meta: { 'x/k': 1 },
      },
      { name: 'fail', inputSchema: { type: 'object' } },
    ],
    resources: () => [{ uri: 'doc:///a', name: 'a', mimeType: 'text/plain' }],
    resourceTemplates: () => [{ uriTemplate: 'midl://x/{id}', name: 'x' }],
    call: (name, args) => {
      calls.push({ name, args });
      if (name === 'echo')
        return Promise.resolve({ content: [{ type: 'text', text: JSON.stringify(args) }], structuredContent: { text: String(args?.['text']) } });
      if (name === 'fail') return Promise.resolve({ isError: true, content: [{ type: 'text', text: 'E.CODE (1): no' }] });
      return Promise.reject(new McpUnknownName(`unknown tool: ${name}`));
    },
    read: (uri) => {
      if (uri === 'doc:///a') return Promise.resolve([{ uri, mimeType: 'text/plain', text: 'hello' }]);
      if (uri === 'doc:///down') return Promise.reject(new Error('the peer cannot be reached'));
      return Promise.reject(new McpUnknownName(`no resource ${uri}`));
    },
  };
}

async function inMemoryClient(c: McpCatalog): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await (await createMcpServer(c)).connect(serverSide);
  const client = new Client({ name: 'test client', version: '1' });
  await client.connect(clientSide);
  return client;
}

/** The JSON-RPC error a client promise rejected with. */
async function protocolError(p: Promise<unknown>): Promise<McpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McpError);
  return err as McpError;
}

describe('createMcpServer', () => {
  it('lists the tools exactly as the catalog states them (input schemas untouched), and the resources and templates', async () => {
    const c = catalog();
    const client = await inMemoryClient(c);
    expect(client.getServerVersion()).toEqual({ name: 'test', version: '1.2.3' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: { listChanged: true }, resources: { listChanged: true } });
    const { tools } = await client.listTools();
    expect(tools).toEqual(c.tools());
    expect((await client.listResources()).resources).toEqual(c.resources());
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual(c.resourceTemplates());
    await client.close();
  });

  it('passes a call through to the catalog and returns its result; a tool error stays a result', async () => {
    const c = catalog();
    const client = await inMemoryClient(c);
    await client.listTools();
    const ok = await client.callTool({ name: 'echo', arguments: { text: 'hi', count: 2 } });
    expect(ok).toEqual({ content: [{ type: 'text', text: '{"text":"hi","count":2}' }], structuredContent: { text: 'hi' } });
    expect(c.calls).toEqual([{ name: 'echo', args: { text: 'hi', count: 2 } }]);
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed).toEqual({ isError: true, content: [{ type: 'text', text: 'E.CODE (1): no' }] });
    await client.close();
  });

  it('an unknown tool or resource is the protocol error Invalid params; a resource that cannot be read now, Internal error with the reason', async () => {
    const client = await inMemoryClient(catalog());
    const unknown = await protocolError(client.callTool({ name: 'nope', arguments: {} }));
    expect(unknown.code).toBe(ErrorCode.InvalidParams);
    expect(unknown.message).toMatch(/unknown tool: nope/);
    expect((await protocolError(client.readResource({ uri: 'doc:///b' }))).code).toBe(ErrorCode.InvalidParams);
    const down = await protocolError(client.readResource({ uri: 'doc:///down' }));
    expect(down.code).toBe(ErrorCode.InternalError);
    expect(down.message).toMatch(/the peer cannot be reached/);
    expect(await client.readResource({ uri: 'doc:///a' })).toEqual({ contents: [{ uri: 'doc:///a', mimeType: 'text/plain', text: 'hello' }] });
    await client.close();
  });
});

describe('serveMcpHttp', () => {
  let served: McpHttpServer | undefined;
  const errors: Error[] = [];
  afterEach(async () => {
    await served?.close();
    served = undefined;
    errors.length = 0;
  });

  const serve = async (c: McpCatalog) => {
    served = await serveMcpHttp(() => createMcpServer(c), { host: '127.0.0.1', port: 0, onError: (e) => errors.push(e) });
    return served;
  };

  /** One raw HTTP request: status and body. */
  const raw = (url: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: init.method, headers: init.headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end(init.body);
    });

  it('serves the SDK client statelessly at /mcp on the port really bound', async () => {
    const c = catalog();
    const { url } = await serve(c);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(url).not.toMatch(/:0\//);
    const client = new Client({ name: 'http client', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo', 'fail']);
    expect(await client.callTool({ name: 'echo', arguments: { text: 'over http' } })).toMatchObject({ structuredContent: { text: 'over http' } });
    expect((await protocolError(client.callTool({ name: 'nope', arguments: {} }))).code).toBe(ErrorCode.InvalidParams);
    await client.close();
    expect(errors).toEqual([]);
  });

  it('refuses another path (404), GET (405: no event stream without sessions), a foreign Host or Origin (403), and JSON that is not JSON-RPC (400)', async () => {
    const { url } = await serve(catalog());
    const post = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect((await raw(url.replace('/mcp', '/other'), { method: 'POST', headers: post, body: init })).status).toBe(404);
    expect((await raw(url, { method: 'GET', headers: { accept: 'text/event-stream' } })).status).toBe(405);
    const rebound = await raw(url, { method: 'POST', headers: { ...post, host: 'evil.example:80' }, body: init });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/Host evil\.example:80 is not this server/);
    expect((await raw(url, { method: 'POST', headers: { ...post, origin: 'http://evil.example' }, body: init })).status).toBe(403);
    const garbage = await raw(url, { method: 'POST', headers: post, body: '{"not":"rpc"' });
    expect(garbage.status).toBe(400);
    // The SDK reports what it refused; each refusal is one error, nothing else went wrong.
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/Parse error/) as unknown]);
  });

  it('holds at most maxConnections connections: one more is closed at once, and served again once one is gone', async () => {
    served = await serveMcpHttp(() => createMcpServer(catalog()), { host: '127.0.0.1', port: 0, maxConnections: 2, onError: (e) => errors.push(e) });
    const port = Number(new URL(served.url).port);
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      });
    const held = [await open(), await open()];
    const extra = connect(port, '127.0.0.1');
    extra.on('error', () => undefined); // reset or closed: either way refused
    await new Promise<void>((resolve) => extra.on('close', () => resolve()));
    for (const s of held) s.destroy();
    // The server counts a connection gone once it has seen it close: poll (bounded) until a request is answered again.
    const post = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const deadline = Date.now() + 5_000;
    while ((await raw(served.url, { method: 'POST', headers: post, body: ping }).catch(() => undefined))?.status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('hostile bodies: every POST is answered with a status, and the server keeps serving', async () => {
    const { url } = await serve(catalog());
    const post = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const rpc = fc.record({
      jsonrpc: fc.constantFrom('2.0', '1.0'),
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 })),
      method: fc.constantFrom('tools/list', 'tools/call', 'resources/read', 'initialize', 'nope'),
      params: fc.jsonValue({ maxDepth: 3 }),
    });
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      rpc.map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const r = await raw(url, { method: 'POST', headers: post, body });
        expect([200, 202, 400, 406]).toContain(r.status);
      }),
      { numRuns: 40 },
    );
    const ping = await raw(url, { method: 'POST', headers: post, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
    expect(ping.status).toBe(200);
    // What the SDK refused it reported; nothing else went wrong.
    for (const e of errors) expect(e.message).toMatch(/Parse error|Invalid Request|Bad Request|Server not initialized/);
  });

  it('a port in use is an error of the call, not a crash', async () => {
    const first = await serve(catalog());
    const port = Number(new URL(first.url).port);
    await expect(serveMcpHttp(() => createMcpServer(catalog()), { host: '127.0.0.1', port, onError: (e) => errors.push(e) })).rejects.toThrow(/EADDRINUSE/);
  });
});
