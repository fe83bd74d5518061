import { Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, addListenOptions, milliseconds, positiveWhole, telemetryOption, wholeNumber } from '../operator/options.ts';
import type { StreamEgressOptions, StreamIngressOptions } from '../operator/run-stream.ts';

/**
 * `midl stream ingress` and `midl stream egress`: OpenAI-style SSE streams over the bus (services/sse).
 * The egress is an HTTP server and the bus's session authority; the ingress joins it as a client,
 * holds the upstream's API key and relays each request upstream and its events back. The egress's HTTP
 * server answers GET /metrics itself; the ingress serves them with --metrics.
 */
export function registerStream(program: Command, setExit: SetExitCode): void {
  const stream = program
    .command('stream')
    .description('OpenAI-style server-sent event streams over the bus: an HTTP egress at one end, the upstream ingress at the other');

  addClientOptions(
    stream
      .command('ingress')
      .description('join the bus at --to and serve sse/open: call the upstream, relay its server-sent events on sse/stream/{id}')
      .requiredOption('--upstream <url>', 'the upstream base URL as OpenAI SDKs take it, e.g. http://127.0.0.1:8080/v1')
      .requiredOption('--to <url>', 'the bus to join: the URL midl stream egress --listen gives')
      .option('--api-key-file <file>', "the upstream's API key: the first line of FILE (readable by its owner only), sent as a bearer token")
      .addOption(
        new Option('--flush <ms>', 'events arriving within MS go in one bus event; 0: one bus event per upstream event').argParser(wholeNumber).default(20),
      )
      .addOption(new Option('--window <n>', 'bus events of a stream unacknowledged at once').argParser(positiveWhole).default(64))
      .addOption(new Option('--max-streams <n>', 'streams relayed at once (more are answered 429)').argParser(positiveWhole).default(64))
      .addOption(new Option('--head-timeout <ms>', 'how long the upstream may take to answer with its head').argParser(milliseconds).default(60_000))
      .addOption(
        new Option('--resume-for <ms>', 'when the link drops, invite the egress again and resume the session for up to MS; 0: exit at once')
          .argParser(milliseconds)
          .default(10_000),
      )
      .option(
        '--metrics <host:port>',
        "serve Prometheus metrics at http://HOST:PORT/metrics: the bus's link and topic counters, the ingress's stream counters and coalescing",
      )
      .addOption(telemetryOption()),
    'midl stream ingress',
  ).action(async (opts: StreamIngressOptions) => (await import('../operator/run-stream.ts')).runStreamIngress(opts, setExit));

  addListenOptions(
    stream
      .command('egress')
      .description('serve the bus at --listen as its session authority and answer HTTP requests at --http through the ingress that joins it'),
    'midl stream egress',
  )
    .requiredOption('--http <host:port>', 'where the HTTP server listens, e.g. 127.0.0.1:8090 (port 0: any free port)')
    .option('--base-path <path>', 'the path the upstream base URL maps to: clients use http://HOST:PORT/PATH as their base URL', '/v1')
    .addOption(new Option('--max-streams <n>', 'requests and streams at once (more are answered 429)').argParser(positiveWhole).default(64))
    .addOption(
      new Option('--gap-timeout <ms>', 'how long a missing bus event may be waited for before the stream ends in an error')
        .argParser(milliseconds)
        .default(10_000),
    )
    .addOption(
      new Option('--idle-timeout <ms>', 'how long a stream may go without any event before it ends in an error').argParser(milliseconds).default(120_000),
    )
    .addOption(new Option('--head-timeout <ms>', "how long the ingress may take to answer with the upstream's head").argParser(milliseconds).default(65_000))
    .addOption(telemetryOption())
    .action(async (opts: StreamEgressOptions) => (await import('../operator/run-stream.ts')).runStreamEgress(opts, setExit));
}
