import { MIDL_VERSION } from '../../compiler/index.ts';
import {
  McpUnknownName,
  createMcpServer,
  serveMcpHttp,
  serveMcpStdio,
  type McpCatalog,
  type McpResourceContents,
  type McpToolResult,
} from '../../services/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadSchema } from '../schema-runtime.ts';
import type { ClientOptions } from './client.ts';
import { readSharedSecret, readUserFlags } from './credentials.ts';
import { loadMcpFacts } from './mcp-facts.ts';
import { McpPeer, PeerUnreachable } from './mcp-peer.ts';
import { TopicResources } from './mcp-topics.ts';
import { bindTools, callTool, invalidArguments, readArguments, toolAllowed, unreachableResult, type ArgumentForm, type BoundTool } from './mcp-tools.ts';
import { describeError, untilSignal } from './options.ts';
import { urlOption } from './urls.ts';

export interface McpOptions extends ClientOptions {
  to: string;
  schema?: string;
  http?: string;
  timeout: number;
  argumentForm: ArgumentForm;
}

const INSTRUCTIONS =
  'Each tool is a topic or intent of a midl schema: a call is one request on a MIDI 2.0 bus, its result the typed reply. ' +
  "A failed call is a tool error naming the schema's error and code. Resources: the schema, its facts, and report topics " +
  '(midl://<address>: the first read starts watching, later reads give the latest messages).';

/** What `midl mcp` does (commands/mcp.ts defines its options). */
export async function runMcp(opts: McpOptions, setExit: SetExitCode): Promise<void> {
  const to = urlOption('--to', opts.to, 'connect');
  const http = opts.http === undefined ? undefined : hostPort(opts.http);
  // Read again at each connection (a rotated password or secret is picked up); checked now, so that bad
  // flags are a usage error at start rather than the reason every call fails.
  readUserFlags(opts);
  readSharedSecret(opts);
  const schema = await loadSchema(opts.schema);
  if (!schema) return setExit(ExitCode.Failure);
  const facts = await loadMcpFacts(opts.schema);
  const tools = bindTools(facts.tools, schema);
  const byName = new Map(tools.map((t) => [t.tool.name, t]));
  const documents = new Map(facts.documents.map((d) => [d.resource.uri, d]));
  const warn = (error: unknown, where: string) => process.stderr.write(`warning: ${where}: ${describeError(error)}\n`);
  const topics = new TopicResources(schema, facts.resources, facts.resourceTemplates, warn);
  // The stdio server, told when the lists change; a stateless HTTP request has no stream to tell.
  let connected: Awaited<ReturnType<typeof createMcpServer>> | undefined;
  // A session's grant decides what is listed: tell the client when a session begins or ends.
  const changed = () => {
    topics.clear();
    if (!connected) return;
    connected.sendToolListChanged().catch((err: unknown) => warn(err, 'mcp: tools/list_changed'));
    connected.sendResourceListChanged().catch((err: unknown) => warn(err, 'mcp: resources/list_changed'));
  };
  // One attempt waits at most --timeout, so that a call to a dead peer fails about as soon as a request would.
  const peer = new McpPeer(to, schema, { ...opts, connectTimeout: Math.min(opts.connectTimeout, opts.timeout) }, changed);

  const callable = (): BoundTool[] => {
    const granted = peer.granted();
    return tools.filter((t) => toolAllowed(t, granted));
  };
  const catalog: McpCatalog = {
    name: 'midl',
    version: MIDL_VERSION,
    instructions: INSTRUCTIONS,
    tools: () => callable().map((t) => t.tool),
    resources: () => [...facts.documents.map((d) => d.resource), ...topics.listed(peer.granted()).resources],
    resourceTemplates: () => topics.listed(peer.granted()).resourceTemplates,
    call: async (name, args): Promise<McpToolResult> => {
      const bound = byName.get(name);
      if (!bound) throw new McpUnknownName(`unknown tool: ${name} (tools/list gives the tools this session may call)`);
      const read = readArguments(bound, args, opts.argumentForm);
      if (Array.isArray(read)) return invalidArguments(bound, read);
      let bus;
      try {
        bus = await peer.bus();
      } catch (err) {
        if (err instanceof PeerUnreachable) return unreachableResult(err.message);
        throw err;
      }
      if (!toolAllowed(bound, bus.capabilities)) throw new McpUnknownName(`unknown tool: ${name} (this session was not granted a capability it needs)`);
      return callTool(bound, read, bus, opts.timeout);
    },
    read: async (uri): Promise<McpResourceContents> => {
      const doc = documents.get(uri);
      if (doc) return [{ uri, mimeType: doc.resource.mimeType ?? 'text/plain', text: doc.text }];
      if (!topics.handles(uri)) throw new McpUnknownName(`no resource has the URI ${uri}`);
      return topics.read(uri, await peer.bus(), opts.timeout);
    },
  };
  const makeServer = async () => {
    const server = await createMcpServer(catalog);
    server.onerror = (error) => warn(error, 'mcp');
    return server;
  };
  const serving = http
    ? await serveHttp(makeServer, http, opts.http!, warn)
    : await serveStdio((connected = await makeServer()), `${tools.length} tools on stdio for ${to.url}`);
  // Connect now, so that the first tools/list already reflects the grant; a peer not up yet is tried again
  // at each call. Only once serving: a server that could not start leaves no session holding the process.
  // A failure was told on stderr as it happened (McpPeer) and is told again to each call.
  peer.bus().catch(() => undefined);
  const why = await untilSignal(serving.ended);
  if (why !== 'done') process.stderr.write(`mcp: ${why}, closing\n`);
  await serving.stop();
  await peer.close();
  setExit(ExitCode.Ok);
}

interface Serving {
  readonly ended: Promise<unknown>;
  stop(): Promise<void>;
}

async function serveHttp(
  makeServer: () => ReturnType<typeof createMcpServer>,
  at: { host: string; port: number },
  shown: string,
  warn: (error: unknown, where: string) => void,
): Promise<Serving> {
  const listening = await serveMcpHttp(makeServer, { host: at.host, port: at.port, onError: (error) => warn(error, 'mcp http') }).catch((err: unknown) => {
    throw new UsageError(`--http ${shown}: cannot listen: ${describeError(err)}`);
  });
  process.stderr.write(`mcp: listening on ${listening.url}\n`);
  // Served until a signal.
  return { ended: new Promise(() => undefined), stop: () => listening.close() };
}

async function serveStdio(server: Awaited<ReturnType<typeof createMcpServer>>, what: string): Promise<Serving> {
  const stdio = await serveMcpStdio(server);
  process.stderr.write(`mcp: serving ${what}\n`);
  return { ended: stdio.ended, stop: () => stdio.close() };
}

/** `--http HOST:PORT` (or another option's; an IPv6 host in brackets); port 0 lets the system choose. */
export function hostPort(raw: string, option = '--http'): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${option} ${raw}: expected HOST:PORT, e.g. 127.0.0.1:8765 (port 0: any free port)`);
  return { host: (m[1] ?? m[2])!, port };
}
