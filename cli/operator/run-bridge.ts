import { ALL_CAPABILITIES, NetworkBus } from '../../runtime/index.ts';
import { intents, topics } from '../../generated/index.ts';
import { GatewayToken, networkPeerSender, serveFlexBridge } from '../../services/index.ts';
import { readSecretFile } from './credentials.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { listenPlan, serveBus, type ListenFlags } from './listen.ts';
import { describeError, untilSignal } from './options.ts';

export interface BridgeOptions extends ListenFlags {
  service?: string[];
  journal?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecretFile?: string;
  maxAge: string;
  timeout: string;
}

/** `midl bridge`: a session authority whose bus answers flex/envelope by calling the intents' HTTP services. */
export async function runBridge(opts: BridgeOptions, setExit: SetExitCode): Promise<void> {
  const plan = listenPlan(opts);
  if (plan.storedUsers !== undefined) throw new UsageError('--users store:ID is for midl peer --store; midl bridge reads its users from a file');
  const services = serviceUrls(opts.service ?? []);
  const maxAgeMs = wholeNumber('--max-age', opts.maxAge);
  const timeoutMs = wholeNumber('--timeout', opts.timeout);
  const token = gatewayToken(opts);
  const bus = new NetworkBus({
    name: opts.name,
    topics: Object.values(topics),
    intents: Object.values(intents),
    capabilities: ALL_CAPABILITIES,
    onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
  });
  const bridge = serveFlexBridge(bus, {
    services,
    maxAgeMs,
    timeoutMs,
    senderOf: networkPeerSender(bus),
    ...(token === undefined ? {} : { token }),
    ...(opts.journal === undefined ? {} : { journalDir: opts.journal }),
    // JSON text escapes control characters; the envelope is cut to a log line's worth.
    onUnhandled: (u) =>
      process.stderr.write(
        `flex bridge: ${u.reason} from ${JSON.stringify(u.sender)}, published on flex/unhandled: ${JSON.stringify(u.envelope).slice(0, 512)}\n`,
      ),
    onRecovered: (count) => {
      if (count > 0) process.stderr.write(`flex bridge: ${count} call${count === 1 ? '' : 's'} in flight at the last stop answered INTERRUPTED (journal)\n`);
    },
    onError: (error) => process.stderr.write(`warning: flex bridge: ${describeError(error)}\n`),
  });
  const shutdown = async (code: ExitCode, served?: { close(): Promise<void> }): Promise<void> => {
    await served?.close();
    await bridge.close();
    await bus.close();
    setExit(code);
  };
  await bridge.ready;
  const signalled = untilSignal();
  const served = await serveBus(bus, plan, opts);
  if (typeof served === 'number') return shutdown(served);
  const known = new Set(Object.values(intents).map((i) => i.service));
  const missing = [...known].filter((s) => services[s] === undefined);
  if (missing.length > 0) process.stderr.write(`note: no --service for ${missing.join(', ')}: their intents are answered UNKNOWN_INTENT\n`);
  await signalled;
  await shutdown(ExitCode.Ok, served);
}

/** `--token-url` with `--client-id` / `--client-secret-file`: the gateway token, or none. */
function gatewayToken(opts: BridgeOptions): GatewayToken | undefined {
  if (opts.tokenUrl === undefined) {
    if (opts.clientId !== undefined || opts.clientSecretFile !== undefined) throw new UsageError('--client-id and --client-secret-file go with --token-url');
    return undefined;
  }
  httpUrl('--token-url ', opts.tokenUrl);
  if ((opts.clientId === undefined) !== (opts.clientSecretFile === undefined)) throw new UsageError('give --client-id and --client-secret-file together');
  const clientSecret = opts.clientSecretFile === undefined ? undefined : readSecretFile(opts.clientSecretFile, '--client-secret-file').split(/\r?\n/, 1)[0]!;
  if (clientSecret === '') throw new UsageError(`--client-secret-file ${opts.clientSecretFile}: its first line is empty`);
  return new GatewayToken({ tokenUrl: opts.tokenUrl, ...(opts.clientId === undefined ? {} : { clientId: opts.clientId, clientSecret }) });
}

/** `--service NAME=URL`…: each name once, each URL http(s). */
function serviceUrls(values: readonly string[]): Record<string, string> {
  const known = new Set(Object.values(intents).map((i) => i.service));
  const services: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    const name = value.slice(0, at);
    const url = value.slice(at + 1);
    if (at <= 0) throw new UsageError(`--service ${value}: expected NAME=BASEURL, e.g. planner=http://127.0.0.1:8080`);
    if (!known.has(name)) throw new UsageError(`--service ${value}: no intent of the schema names service ${name} (known: ${[...known].sort().join(', ')})`);
    if (services[name] !== undefined) throw new UsageError(`--service ${name} is given twice`);
    httpUrl(`--service ${name}=`, url);
    services[name] = url;
  }
  return services;
}

function wholeNumber(option: string, text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new UsageError(`${option} ${text}: expected a whole number of milliseconds`);
  return Number(text);
}

/** Checks that `url` is an http: or https: URL (a usage error naming `option` otherwise). */
function httpUrl(option: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${option}${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${option}${url}: expected an http: or https: URL`);
}
