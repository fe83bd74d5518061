import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.ts';
import { emitFacts } from '../../compiler/emitters/facts/index.ts';
import { loadSchema, type LoadedSchema } from '../../cli/schema-runtime.ts';
import { ALL_CAPABILITIES, NetworkBus, type AnyTopicDescriptor } from '../../runtime/index.ts';
import { transports, type TransportListener } from '../../runtime/transports/index.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { CALC_SCHEMA, startCalcAuthority, type CalcAuthority, type Division } from '../helpers/calc-schema.ts';
import { CLI_TEST_TIMEOUT_MS, MIDL_BIN, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { killAll, startMidl, startPeer } from '../helpers/midl-process.ts';
import { repoPath } from '../helpers/repo.ts';
import { noAdapter } from '../services/gpu/adapter.ts';
import { until } from '../helpers/until.ts';

/**
 * `midl mcp` driven by the MCP SDK's own Client, over stdio (the client spawns the server, as an LLM host
 * does) and over Streamable HTTP: against a Bus authority of the test's own on a real UDP socket that
 * serves the calc topics, against a peer that is down (and comes up later), and, for the issue's
 * done-when, against a live `midl peer` with the repository schema where a client of the peer serves
 * gpu/job.dispatch.
 */

/** The calc schema of the midl call tests and two topics that only report (resources). */
const MCP_SCHEMA = `${CALC_SCHEMA}
/// Progress of a unit: many reports per unit.
topic calc/progress/{unit} {
  payload: Quotient;
  qos: at_most_once;
  publish: calc.use;
  subscribe: calc.use;
  stream: true;
}

/// The latest total.
topic calc/total {
  payload: Quotient;
  qos: at_most_once;
  publish: calc.use;
  subscribe: calc.use;
  readOnly: true;
}
`;

const busErrors = collectBusErrors();
let schemaPath = '';
let loaded: LoadedSchema;
let calc: CalcAuthority | undefined;
const authority = (): CalcAuthority => calc!;
const listeners: TransportListener[] = [];
const clients: Client[] = [];
const topic = (address: string): AnyTopicDescriptor => authority().topic(address);

beforeAll(async () => {
  schemaPath = `${tempProject({ 'calc.midl': MCP_SCHEMA })}/calc.midl`;
  loaded = (await loadSchema(schemaPath))!;
  // "outsider" gets a capability no topic needs: no tool may be listed for it.
  calc = startCalcAuthority(loaded, busErrors.for('authority'));
  listeners.push(await calc.listen('udp://127.0.0.1:0'));
}, CLI_TEST_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await killAll();
});

afterAll(async () => {
  await calc?.close();
  removeTempProjects();
});

/** `midl mcp …args` spawned by the SDK's stdio transport; its stderr collected. */
async function stdioClient(args: readonly string[], name = 'mcp test'): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MIDL_BIN, 'mcp', ...args, '--name', name],
    cwd: repoPath(),
    env: { ...(process.env as Record<string, string>), NO_COLOR: '1' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'midl mcp test', version: '1' });
  clients.push(client);
  await client.connect(transport, { timeout: 60_000 });
  return { client, stderr: () => stderr };
}

const calcArgs = (): string[] => ['--to', listeners[0]!.url, '--schema', schemaPath];

/** The MCP projection `midl gen` writes for the calc schema (generated/facts/mcp.json of it). */
function calcProjection(): { tools: { name: string }[]; resources: unknown[]; resourceTemplates: unknown[] } {
  const result = compile([schemaPath]);
  expect(result.hasErrors).toBe(false);
  const file = emitFacts(result.ir).find((f) => f.path === 'facts/mcp.json')!;
  return JSON.parse(file.content) as never;
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

/** Polls an asynchronous check (a request to the server) until it holds. */
async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The text of a resource read (every resource of midl mcp is text). */
const resourceText = (result: { contents: object[] }): string => (result.contents[0] as { text: string }).text;

/** The text of a tool result (a result of a tool call always has content). */
const text = (result: object): string => (result as { content: { text: string }[] }).content.map((c) => c.text).join('\n');

describe('midl mcp over stdio', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('lists exactly the tools of the mcp.json projection and calls them: typed replies, error replies with their code, bad arguments, timeouts', async () => {
    const { client, stderr } = await stdioClient(calcArgs());
    const { tools } = await client.listTools();
    const projection = calcProjection();
    expect(tools).toEqual(projection.tools);
    expect(tools.map((t) => t.name)).toEqual(['calc__divide__unit', 'calc__log', 'calc__stall', 'calc__unserved']);

    // A typed reply: structured (the tool has an output schema) and as JSON text; u64 as a string.
    const reply = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'alu' }, payload: { a: String(2n ** 63n), b: '2' } } });
    expect(reply).toEqual({
      content: [{ type: 'text', text: JSON.stringify({ q: String(2n ** 62n), unit: 'alu' }) }],
      structuredContent: { q: String(2n ** 62n), unit: 'alu' },
    });
    expect(authority().divisions.at(-1)?.value).toEqual({ a: 2n ** 63n, b: 2n });

    // An error reply: the schema's error name and code, its detail and retry hint.
    const refused = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'alu' }, payload: { a: '7', b: '0' } } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe(
      'CalcError.DIVIDE_BY_ZERO (7): the divisor is zero (7 / 0)\ndetail: {"dividend":"7","field":"b"}\nretry: the responder says a retry may succeed after 1500 ms',
    );
    expect(refused._meta).toEqual({
      'midl/error': {
        kind: 'remote',
        errorSet: 'calc.test.CalcError',
        name: 'DIVIDE_BY_ZERO',
        code: 7,
        message: 'the divisor is zero (7 / 0)',
        detail: { dividend: '7', field: 'b' },
        retryAfterMs: 1500,
      },
    });

    // Invalid arguments: a tool error naming the field; nothing reaches the responder.
    const before = authority().divisions.length;
    const invalid = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'a/b' }, payload: { a: '1', b: 'two' } } });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/^invalid arguments for calc__divide__unit: \/payload\/b: /);
    const badUnit = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'a/b' }, payload: { a: '1', b: '1' } } });
    expect(badUnit.isError).toBe(true);
    expect(text(badUnit)).toMatch(/^invalid-address: /);
    expect(authority().divisions.length).toBe(before);

    // Unknown tool: a protocol error, not a tool result.
    expect((await protocolError(client.callTool({ name: 'calc__nope', arguments: {} }))).code).toBe(ErrorCode.InvalidParams);

    // Nobody serves it; nobody answers in time.
    expect(text(await client.callTool({ name: 'calc__unserved', arguments: { a: '1', b: '1' } }))).toMatch(/^no-responder: /);
    const started = Date.now();
    const stalled = await client.callTool({ name: 'calc__stall', arguments: { a: '1', b: '1' } });
    expect(stalled.isError).toBe(true);
    expect(text(stalled)).toMatch(/^timeout: calc\/stall\/reply\/\d+: no reply within 3000 ms$/);
    expect(Date.now() - started).toBeLessThan(20_000);

    // A topic without a reply: a publication, acknowledged by the peer.
    expect(await client.callTool({ name: 'calc__log', arguments: { a: '5', b: '6' } })).toEqual({
      content: [{ type: 'text', text: 'published on calc/log (acknowledged by the peer)' }],
    });
    await until(() => authority().logged.length === 1, 10_000, 'the log publication at the authority');
    expect(authority().logged).toEqual([{ a: 5n, b: 6n }]);

    expect(stackTraceLines(stderr())).toEqual([]);
    expect(stderr()).not.toMatch(/warning|error/);
  });

  it('resources: the schema and its facts, and report topics that start watching at the first read', async () => {
    const { client } = await stdioClient(calcArgs());
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    const schemaUri = uris.find((u) => u.startsWith('midl-schema:///') && u.endsWith('/calc.midl'))!;
    expect(schemaUri).toBeDefined();
    expect(uris).toEqual(expect.arrayContaining([expect.stringMatching(/^midl-facts:\/\/\/.*\/mcp\.json$/) as unknown, 'midl://calc/total']));
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['midl://calc/progress/{unit}']);
    expect((await client.readResource({ uri: schemaUri })).contents).toEqual([{ uri: schemaUri, mimeType: 'text/plain', text: MCP_SCHEMA }]);
    const facts = uris.find((u) => u.endsWith('/mcp.json'))!;
    const factsText = resourceText(await client.readResource({ uri: facts }));
    expect(JSON.parse(factsText)).toEqual(calcProjection());

    type Watched = { address: string; received: number; messages: { address: string; value: unknown }[] };
    const read = async (uri: string): Promise<Watched> => JSON.parse(resourceText(await client.readResource({ uri }))) as Watched;
    expect(await read('midl://calc/total')).toMatchObject({ address: 'calc/total', received: 0, messages: [] });
    expect(await read('midl://calc/progress/alu')).toMatchObject({ address: 'calc/progress/alu', messages: [] });
    for (let i = 1n; i <= 20n; i++) await authority().bus.publish(topic('calc/total'), { q: i, unit: 'sum' });
    await authority().bus.publish(topic('calc/progress/{unit}'), { q: 1n, unit: 'alu' }, { params: { unit: 'alu' } });
    await authority().bus.publish(topic('calc/progress/{unit}'), { q: 2n, unit: 'fpu' }, { params: { unit: 'fpu' } });
    let total: Watched | undefined;
    await eventually(async () => (total = await read('midl://calc/total')).received === 20, 10_000, 'the totals read back');
    // Bounded: the latest 16 of the 20, oldest first.
    expect(total!.messages.map((m) => (m.value as { q: string }).q)).toEqual(Array.from({ length: 16 }, (_, i) => String(i + 5)));
    const progress = await read('midl://calc/progress/alu');
    expect(progress.messages).toMatchObject([{ address: 'calc/progress/alu', value: { q: '1', unit: 'alu' } }]);
    expect((await protocolError(client.readResource({ uri: 'midl://calc/nothing' }))).code).toBe(ErrorCode.InvalidParams);
  });

  it('a session granted none of the capabilities the topics need lists no tools, no topic resources, and cannot call one', async () => {
    const { client } = await stdioClient(calcArgs(), 'outsider');
    // The session opens in the background: until then every tool is listed (docs/mcp.md).
    await eventually(async () => (await client.listTools()).tools.length === 0, 20_000, 'the tool list of the granted session');
    expect((await client.listResources()).resources.map((r) => r.uri).filter((u) => u.startsWith('midl://'))).toEqual([]);
    const err = await protocolError(client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'alu' }, payload: { a: '1', b: '1' } } }));
    expect(err.code).toBe(ErrorCode.InvalidParams);
    expect(err.message).toMatch(/not granted/);
  });

  it('a peer that is down: the server starts, lists every tool, each call is a tool error within --timeout; once the peer is up, calls go through', async () => {
    // A port nothing listens on (bound once to find it free, then released).
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { client, stderr } = await stdioClient(['--to', `udp://127.0.0.1:${port}`, '--schema', schemaPath, '--timeout', '500']);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(calcProjection().tools.map((t) => t.name));
    const started = Date.now();
    const down = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'alu' }, payload: { a: '4', b: '2' } } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(down.isError).toBe(true);
    expect(text(down)).toMatch(new RegExp(`^the peer cannot be reached: cannot open a session with udp://127\\.0\\.0\\.1:${port}: .+; each call tries again$`));
    expect(stderr()).toMatch(/warning: cannot open a session with/);
    // A report topic cannot be watched without a session: a protocol error saying why, the server still up.
    const unread = await protocolError(client.readResource({ uri: 'midl://calc/total' }));
    expect(unread.code).toBe(ErrorCode.InternalError);
    expect(unread.message).toMatch(/cannot open a session with/);

    listeners.push(await authority().listen(`udp://127.0.0.1:${port}`));
    const up = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'alu' }, payload: { a: '4', b: '2' } } });
    expect(up).toMatchObject({ structuredContent: { q: '2', unit: 'alu' } });
  });
});

describe('midl mcp across a peer restart', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('a session the restarted peer ended is opened again at the next call, which goes through', async () => {
    /** A client of the peer at `url` serving calc/divide/{unit}, as a calc service would. */
    const responder = async (url: string): Promise<NetworkBus> => {
      const bus = new NetworkBus({ name: 'divider', topics: loaded.topics, capabilities: ALL_CAPABILITIES, onError: busErrors.for('divider') });
      await bus.connect(await transports.connect(url, { name: 'divider', timeoutMs: 10_000 }));
      await bus.serve(topic('calc/divide/{unit}'), (value, d) => ({ q: (value as Division).a / (value as Division).b, unit: d.params['unit']! })).ready;
      return bus;
    };
    const call = (client: Client) => client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'alu' }, payload: { a: '8', b: '2' } } });
    const first = await startPeer(['--schema', schemaPath]);
    let divider = await responder(first.url);
    const { client, stderr } = await stdioClient(['--to', first.url, '--schema', schemaPath, '--timeout', '2000']);
    try {
      expect(await call(client)).toMatchObject({ structuredContent: { q: '4', unit: 'alu' } });
      // The peer goes away (its Bye ends both sessions) and comes back on the same port; the reply is
      // acknowledged first, or the divider would rightly report it undelivered.
      await divider.flush();
      expect(await first.stop('SIGTERM')).toBe(0);
      await divider.close();
      const second = startMidl(['peer', '--listen', first.url, '--schema', schemaPath]);
      await second.waitFor(/listening on udp:/, 60_000);
      divider = await responder(first.url);
      expect(await call(client)).toMatchObject({ structuredContent: { q: '4', unit: 'alu' } });
      expect(stderr().match(/mcp: session with .* open/g)).toHaveLength(2);
      await divider.flush();
    } finally {
      await divider.close();
    }
  });
});

describe('midl mcp: the process', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('usage errors exit 2 before anything is served: a bad --http, a bad --to, --user without a password, two secrets, a port in use', async () => {
    const [http, to, user, secret] = await Promise.all([
      runMidl(['mcp', ...calcArgs(), '--http', 'nowhere']),
      runMidl(['mcp', '--to', 'tcp://x', '--schema', schemaPath]),
      runMidl(['mcp', ...calcArgs(), '--user', 'ann']),
      runMidl(['mcp', ...calcArgs(), '--secret', 's', '--secret-file', 'nowhere']),
    ]);
    expect([http.code, to.code, user.code, secret.code]).toEqual([2, 2, 2, 2]);
    expect(secret.stderr).toMatch(/give --secret or --secret-file, not both/);
    expect(http.stderr).toMatch(/--http nowhere: expected HOST:PORT/);
    expect(to.stderr).toMatch(/--to/);
    expect(user.stderr).toMatch(/--user ann needs --password-file/);
    expect(http.stdout + to.stdout + user.stdout).toBe('');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const busy = await runMidl(['mcp', ...calcArgs(), '--http', `127.0.0.1:${port}`]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(new RegExp(`--http 127\\.0\\.0\\.1:${port}: cannot listen: .*EADDRINUSE`));
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('the host closing stdin ends the server: exit 0, nothing on stdout', async () => {
    const child = spawn(process.execPath, [MIDL_BIN, 'mcp', ...calcArgs()], { cwd: repoPath(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await until(() => /mcp: serving 4 tools on stdio/.test(stderr), 60_000, 'midl mcp serving');
      child.stdin.end();
      expect(await exited).toBe(0);
      expect(stdout).toBe('');
      expect(stackTraceLines(stderr)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('midl mcp over Streamable HTTP', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('prints where it listens (port 0: the real port) and serves the SDK client there', async () => {
    const server = startMidl(['mcp', ...calcArgs(), '--http', '127.0.0.1:0']);
    const m = await server.waitFor(/mcp: listening on (http:\/\/127\.0\.0\.1:(\d+)\/mcp)\n/, 60_000);
    expect(Number(m[2])).toBeGreaterThan(0);
    expect(server.stdout()).toBe('');
    const client = new Client({ name: 'midl mcp http test', version: '1' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(m[1]!)));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(calcProjection().tools.map((t) => t.name));
    const reply = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'gpu' }, payload: { a: '9', b: '3' } } });
    expect(reply).toMatchObject({ structuredContent: { q: '3', unit: 'gpu' } });
    const refused = await client.callTool({ name: 'calc__divide__unit', arguments: { params: { unit: 'gpu' }, payload: { a: '9', b: '0' } } });
    expect(text(refused)).toMatch(/^CalcError\.DIVIDE_BY_ZERO \(7\): /);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(stackTraceLines(server.stderr())).toEqual([]);
  });
});

describe('midl mcp against midl peer with the repository schema (issue 14 done-when)', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('lists the tools of idl/ (generated/facts/mcp.json) and calls gpu/job.dispatch, served by a client of the peer, for the typed reply', async () => {
    const peer = await startPeer(['--schema', 'midl.yaml', '--name', 'idl peer']);
    const idl = (await loadSchema(repoPath('midl.yaml')))!;
    const dispatch = idl.topics.find((t) => t.address === 'gpu/job.dispatch')!;
    const gpuHost = new NetworkBus({
      name: 'gpu host',
      topics: idl.topics,
      intents: idl.intents,
      capabilities: ALL_CAPABILITIES,
      onError: busErrors.for('gpu host'),
    });
    try {
      await gpuHost.connect(await transports.connect(peer.url, { name: 'gpu host', timeoutMs: 10_000 }));
      const jobs: unknown[] = [];
      await gpuHost.serve(dispatch, (job) => {
        jobs.push(job);
        return { jobId: 'job-1', queuePosition: 0, resultTopic: 'gpu/job.result/job-1' };
      }).ready;

      // An intent served on the same bus (the Flex bridge's role): a tool too.
      const execute = idl.intents.find((i) => i.name === 'planner.execute')!;
      const plan = execute.reply!.example() as unknown;
      await gpuHost.serveIntent(execute, () => plan).ready;

      const { client } = await stdioClient(['--to', peer.url]);
      const expected = JSON.parse(readFileSync(repoPath('generated/facts/mcp.json'), 'utf8')) as { tools: { name: string }[] };
      // The peer grants what is asked: every tool of the projection, exactly as generated.
      await eventually(async () => (await client.listTools()).tools.length === expected.tools.length, 20_000, 'the tool list');
      expect((await client.listTools()).tools).toEqual(expected.tools);

      const facts = JSON.parse(readFileSync(repoPath('generated/facts/facts.json'), 'utf8')) as { tools: { name: string; example: Record<string, unknown> }[] };
      const job = { ...facts.tools.find((t) => t.name === 'gpu__job_dispatch')!.example, pipelineId: 'saxpy' };
      const reply = await client.callTool({ name: 'gpu__job_dispatch', arguments: job });
      expect(reply.isError ?? false, text(reply)).toBe(false);
      expect(reply.structuredContent).toEqual({ jobId: 'job-1', queuePosition: 0, resultTopic: 'gpu/job.result/job-1' });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ pipelineId: 'saxpy' });

      const invoked = await client.callTool({ name: 'planner_execute', arguments: facts.tools.find((t) => t.name === 'planner_execute')!.example });
      expect(invoked.isError ?? false, text(invoked)).toBe(false);
      expect(invoked.structuredContent).toEqual(execute.reply!.toJSON(plan));
      // Its replies acknowledged before it leaves, or it would rightly report them undelivered.
      await gpuHost.flush();
    } finally {
      await gpuHost.close();
      await peer.stop();
    }
  });
});

describe.skipIf(noAdapter !== undefined)(
  `midl mcp against midl gpu serve on this machine's WebGPU adapter ${noAdapter ?? ''}`,
  { timeout: CLI_TEST_TIMEOUT_MS },
  () => {
    it("a pipeline, a buffer and a dispatch made through MCP tools get the GPU host's typed replies; a WGSL error is COMPILE_FAILED with its diagnostics", async () => {
      const server = startMidl(['gpu', 'serve', '--listen', 'udp://127.0.0.1:0']);
      const url = (await server.waitFor(/^listening on (udp:\/\/127\.0\.0\.1:\d+)$/m, 60_000))[1]!;
      const { client } = await stdioClient(['--to', url, '--timeout', '20000']);
      const store = '@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@compute @workgroup_size(1)\nfn main() { o[0] = 42u; }\n';
      const created = await client.callTool({ name: 'gpu__pipeline_create', arguments: { source: { wgsl: store }, entryPoint: 'main' } });
      expect(created.isError ?? false, text(created)).toBe(false);
      const pipelineId = (created.structuredContent as { pipelineId: string }).pipelineId;
      expect(pipelineId).toMatch(/^wgsl:[0-9a-f]{64}$/);
      const buffer = await client.callTool({ name: 'gpu__buffer_create', arguments: { bufferId: 'out', size: '16', usage: ['storage', 'copy_src'] } });
      expect(buffer.structuredContent).toEqual({ bufferId: 'out', size: '16', existed: false });
      const job = {
        pipelineId,
        bindGroups: [{ group: 0, entries: [{ binding: 0, bufferId: 'out', offset: '0', size: '16' }] }],
        workgroups: { x: 1, y: 1, z: 1 },
        outputs: [],
      };
      const accepted = await client.callTool({ name: 'gpu__job_dispatch', arguments: job });
      expect(accepted.isError ?? false, text(accepted)).toBe(false);
      expect(accepted.structuredContent).toMatchObject({
        jobId: expect.any(String) as unknown,
        resultTopic: expect.stringMatching(/^gpu\/job\.result\//) as unknown,
      });

      const broken = await client.callTool({
        name: 'gpu__pipeline_create',
        arguments: { source: { wgsl: '@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = 1u +;\n}\n' }, entryPoint: 'main' },
      });
      expect(broken.isError).toBe(true);
      expect(text(broken)).toMatch(/^GpuError\.COMPILE_FAILED \(1001\): 3:20 [^\n]*\ndetail: \{"diagnostics":/);
      expect(await server.stop('SIGINT')).toBe(0);
    });
  },
);
