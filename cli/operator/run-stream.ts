import { intents, topics } from '../../generated/index.ts';
import { ALL_CAPABILITIES, NetworkBus } from '../../runtime/index.ts';
import {
  MetricsRegistry,
  busMetrics,
  metricsHandler,
  networkSessions,
  newSseCounters,
  serveSseEgress,
  serveSseIngress,
  sseMetrics,
  streamMetrics,
  type SseEgress,
} from '../../services/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { openClient, type ClientOptions } from './client.ts';
import { readSecretFile } from './credentials.ts';
import { listenPlan, serveBus, type ListenFlags } from './listen.ts';
import { metricsEndpoint } from './metrics-endpoint.ts';
import { describeError, httpUrl, untilSignal } from './options.ts';
import { hostPort as metricsAddress } from './run-mcp.ts';
import { telemetryTopics } from './topics.ts';
import { urlOption } from './urls.ts';

export interface StreamIngressOptions extends ClientOptions {
  upstream: string;
  to: string;
  apiKeyFile?: string;
  flush: number;
  window: number;
  maxStreams: number;
  headTimeout: number;
  metrics?: string;
  telemetry?: number;
}

export interface StreamEgressOptions extends ListenFlags {
  http: string;
  basePath: string;
  maxStreams: number;
  gapTimeout: number;
  idleTimeout: number;
  headTimeout: number;
  telemetry?: number;
}

const registry = { topics: Object.values(topics), intents: Object.values(intents) };

/** The bus's reports on the telemetry topics every `ms` (`--telemetry`), as `midl peer --telemetry` publishes them. */
const telemetryEvery = (ms: number | undefined) => (ms === undefined ? {} : { telemetry: { ...telemetryTopics(registry), intervalMs: ms } });

const warn = (error: unknown, where: string) => process.stderr.write(`warning: ${where}: ${describeError(error)}\n`);

/** How often the ingress checks that its session with the egress is still there. */
const SESSION_CHECK_MS = 1000;

/** `midl stream ingress`: a client of the egress's bus that serves sse/open with the upstream. */
export async function runStreamIngress(opts: StreamIngressOptions, setExit: SetExitCode): Promise<void> {
  const upstream = httpUrl('--upstream ', opts.upstream);
  const to = urlOption('--to', opts.to, 'connect');
  const apiKey = opts.apiKeyFile === undefined ? undefined : readSecretFile(opts.apiKeyFile, '--api-key-file').split(/\r?\n/, 1)[0]!;
  if (apiKey === '') throw new UsageError(`--api-key-file ${opts.apiKeyFile}: its first line is empty`);
  // A bad --metrics address is a usage error before connecting (metricsEndpoint needs the bus, so comes later).
  if (opts.metrics !== undefined) metricsAddress(opts.metrics, '--metrics');
  const telemetry = telemetryEvery(opts.telemetry);
  const client = await openClient(to, { ...registry, ...telemetry }, opts);
  if (!client) return setExit(ExitCode.Failure);
  const metrics = metricsEndpoint(opts.metrics, client.bus, warn);
  const counters = newSseCounters();
  const coalescing = metrics && streamMetrics(metrics.registry);
  const ingress = serveSseIngress(client.bus, {
    upstream: upstream.href,
    ...(apiKey === undefined ? {} : { apiKey }),
    flushMs: opts.flush,
    window: opts.window,
    maxStreams: opts.maxStreams,
    headTimeoutMs: opts.headTimeout,
    counters,
    ...(coalescing ? { flushed: (events: number, bytes: number) => coalescing.flushed(events, bytes) } : {}),
    onError: (err) => warn(err, 'sse ingress'),
  });
  const stop = async () => {
    await metrics?.close();
    await ingress.close();
    await client.bus.close();
  };
  try {
    await ingress.ready;
  } catch (err) {
    process.stderr.write(`error: cannot serve sse/open on ${client.url}: ${describeError(err)}\n`);
    await stop();
    return setExit(ExitCode.Failure);
  }
  if (metrics) {
    sseMetrics(metrics.registry, counters, { open: () => ingress.open });
    await metrics.listen().catch(async (err: unknown) => {
      await stop();
      throw err;
    });
  }
  process.stderr.write(`relaying sse/open on ${client.url} to ${upstream.href}\n`);
  // The session ends when the egress goes away for longer than --resume-for: nothing is left to serve.
  let sessionEnded!: () => void;
  const ended = new Promise<void>((r) => (sessionEnded = r));
  const check = setInterval(() => {
    if (client.bus.stats().peers.length === 0) sessionEnded();
  }, SESSION_CHECK_MS);
  const why = await untilSignal(ended);
  clearInterval(check);
  if (why === 'done') process.stderr.write(`error: the session with ${client.url} ended\n`);
  await stop();
  setExit(why === 'done' ? ExitCode.Failure : ExitCode.Ok);
}

/** `midl stream egress`: a session authority on --listen and an HTTP server on --http that relays through the ingress. */
export async function runStreamEgress(opts: StreamEgressOptions, setExit: SetExitCode): Promise<void> {
  const plan = listenPlan(opts);
  if (plan.storedUsers !== undefined) throw new UsageError('--users store:ID is for midl peer --store; midl stream egress reads its users from a file');
  const { host, port } = hostPort(opts.http);
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(opts.basePath)) throw new UsageError(`--base-path ${opts.basePath}: expected a path such as /v1`);
  const bus = new NetworkBus({
    name: opts.name,
    ...registry,
    capabilities: ALL_CAPABILITIES,
    ...telemetryEvery(opts.telemetry),
    onError: (error, address) => warn(error, address),
  });
  // The HTTP server's own GET /metrics: the bus's link and topic counters, the egress's, its coalescing.
  const metrics = new MetricsRegistry();
  busMetrics(metrics, bus);
  const counters = newSseCounters();
  const coalescing = streamMetrics(metrics);
  let egress: SseEgress | undefined;
  sseMetrics(metrics, counters, { open: () => egress?.open ?? 0 });
  const signalled = untilSignal();
  const served = await serveBus(bus, plan, opts);
  if (typeof served === 'number') {
    await bus.close();
    return setExit(served);
  }
  try {
    egress = await serveSseEgress(bus, {
      host,
      port,
      basePath: opts.basePath,
      maxStreams: opts.maxStreams,
      gapTimeoutMs: opts.gapTimeout,
      idleTimeoutMs: opts.idleTimeout,
      headTimeoutMs: opts.headTimeout,
      liveSessions: networkSessions(bus),
      counters,
      flushed: (events, bytes) => coalescing.flushed(events, bytes),
      metrics: metricsHandler(metrics, { onError: (err) => warn(err, 'metrics') }),
      onError: (err) => warn(err, 'sse egress'),
    });
  } catch (err) {
    process.stderr.write(`error: cannot listen on --http ${opts.http}: ${describeError(err)}\n`);
    await served.close();
    await bus.close();
    return setExit(ExitCode.Failure);
  }
  process.stderr.write(`serving HTTP on ${egress.url}${opts.basePath === '/' ? '' : opts.basePath.replace(/\/+$/, '')}\n`);
  process.stderr.write(`metrics: serving ${egress.url}/metrics\n`);
  await signalled;
  await egress.close();
  await served.close();
  await bus.close();
  setExit(ExitCode.Ok);
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--http ${text}: expected HOST:PORT, e.g. 127.0.0.1:8090`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
