import { ALL_CAPABILITIES, NetworkBus, type AnyIntentDescriptor, type AnyTopicDescriptor } from '../../runtime/index.ts';
import { intents as bundledIntents, topics as bundledTopics } from '../../generated/index.ts';
import { DeviceGate, GatewayToken, flexBridgeMetrics, networkPeerSender, serveFlexBridge } from '../../services/index.ts';
import { readSecretFile } from './credentials.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { loadSchema } from '../schema-runtime.ts';
import { readBridgePolicy, type BridgePolicy } from './bridge-policy-file.ts';
import { listenPlan, serveBus, type ListenFlags } from './listen.ts';
import { metricsEndpoint } from './metrics-endpoint.ts';
import { describeError, httpUrl, untilSignal } from './options.ts';
import { PolicyError } from './yaml-diagnostics.ts';

export interface BridgeOptions extends ListenFlags {
  service?: string[];
  journal?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecretFile?: string;
  maxAge?: string;
  timeout?: string;
  policy?: string;
  schema?: string;
  metrics?: string;
}

const DEFAULT_MAX_AGE_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * `midl bridge`: a session authority whose bus answers flex/envelope by calling the intents' HTTP
 * services. Settings come from `--policy` (docs/bridge.md); each flag replaces the policy's setting.
 */
export async function runBridge(opts: BridgeOptions, setExit: SetExitCode): Promise<void> {
  const plan = listenPlan(opts);
  if (plan.storedUsers !== undefined) throw new UsageError('--users store:ID is for midl peer --store; midl bridge reads its users from a file');
  let served: readonly AnyIntentDescriptor[] = Object.values(bundledIntents);
  let topics: readonly AnyTopicDescriptor[] = Object.values(bundledTopics);
  if (opts.schema !== undefined) {
    const schema = await loadSchema(opts.schema);
    if (!schema) return setExit(ExitCode.Failure);
    served = schema.intents;
    // The envelope and reply topics stay the bundled ones: the bridge's own code reads and writes them.
    const own = new Set(topics.map((t) => t.address));
    topics = [...topics, ...schema.topics.filter((t) => !own.has(t.address))];
  }
  const policy = opts.policy === undefined ? undefined : readPolicy(opts.policy, served);
  const notes: string[] = [];
  const from = (setting: string, where: string | undefined) => where !== undefined && notes.push(`${setting} from ${where}`);
  const services: Record<string, string> = {};
  for (const [name, s] of Object.entries(policy?.services ?? {})) services[name] = s.value;
  Object.assign(services, serviceUrls(opts.service ?? [], served));
  const maxAgeMs = opts.maxAge !== undefined ? wholeNumber('--max-age', opts.maxAge) : (policy?.maxAgeMs?.value ?? DEFAULT_MAX_AGE_MS);
  const timeoutMs = opts.timeout !== undefined ? wholeNumber('--timeout', opts.timeout) : (policy?.timeoutMs?.value ?? DEFAULT_TIMEOUT_MS);
  if (opts.maxAge === undefined) from('maxAgeMs', policy?.maxAgeMs?.from);
  if (opts.timeout === undefined) from('timeoutMs', policy?.timeoutMs?.from);
  const token = gatewayToken(opts, policy, from);
  const journalDir = opts.journal ?? policy?.journal?.value;
  if (opts.journal === undefined) from('journal', policy?.journal?.from);
  const devices = policy?.devices;
  const gate = devices && (devices.devices.size > 0 || devices.default) ? new DeviceGate(devices) : undefined;
  const bus = new NetworkBus({
    name: opts.name,
    topics,
    intents: served,
    capabilities: ALL_CAPABILITIES,
    onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
  });
  const metrics = metricsEndpoint(opts.metrics, bus, (error, where) => process.stderr.write(`warning: ${where}: ${describeError(error)}\n`));
  const bridgeMetrics = metrics && flexBridgeMetrics(metrics.registry);
  const bridge = serveFlexBridge(bus, {
    services,
    maxAgeMs,
    timeoutMs,
    intents: served,
    senderOf: networkPeerSender(bus),
    ...(gate === undefined ? {} : { admission: (sender, intent) => gate.admit(sender, intent) }),
    ...(token === undefined ? {} : { token }),
    ...(journalDir === undefined ? {} : { journalDir }),
    ...(bridgeMetrics ? { observer: bridgeMetrics.observer } : {}),
    // The journal's interrupted calls are answered once the bus listens (below), not before: a device
    // that reconnects at once can hear its answer; one later learns it by sending the corr again (REPLAYED, detail.final).
    deferRecovery: true,
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
  const shutdown = async (code: ExitCode, listener?: { close(): Promise<void> }): Promise<void> => {
    // The bridge first, while the devices are still connected: it stops taking envelopes and its last
    // replies (calls in flight, refusals on their way) can still be delivered and acknowledged.
    await bridge.close();
    await listener?.close();
    await metrics?.close();
    await bus.close();
    setExit(code);
  };
  await bridge.ready;
  if (metrics) {
    bridgeMetrics?.watch(bridge);
    await metrics.listen().catch(async (err: unknown) => {
      await shutdown(ExitCode.Usage);
      throw err;
    });
  }
  const signalled = untilSignal();
  const listener = await serveBus(bus, plan, opts);
  if (typeof listener === 'number') return shutdown(listener);
  await bridge.recover();
  if (policy) {
    const fromPolicy = Object.entries(policy.services).filter(([name]) => !(opts.service ?? []).some((v) => v.startsWith(`${name}=`)));
    for (const [name, s] of fromPolicy) from(`service ${name}`, s.from);
    if (gate && devices)
      notes.push(
        `devices: ${devices.devices.size} listed${devices.default ? ', others by the default rule' : ', others refused INTENT_NOT_ALLOWED'} (policy ${policy.files.join(', ')})`,
      );
    process.stderr.write(`note: policy: ${notes.length > 0 ? notes.join('; ') : `${policy.files.join(', ')} sets nothing the flags do not`}\n`);
  }
  const known = new Set(served.map((i) => i.service));
  const missing = [...known].filter((s) => services[s] === undefined);
  if (missing.length > 0)
    process.stderr.write(`note: no URL for ${missing.join(', ')} (--service NAME=URL, or services: in --policy): their intents are answered UNKNOWN_INTENT\n`);
  await signalled;
  await shutdown(ExitCode.Ok, listener);
}

/** `--policy FILE|DIR` read and checked; its diagnostics as a rendered UsageError. */
function readPolicy(path: string, served: readonly AnyIntentDescriptor[]): BridgePolicy {
  try {
    return readBridgePolicy(path, served);
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(err.message, undefined, true);
    throw err;
  }
}

/**
 * The gateway token: `--token-url` with `--client-id` / `--client-secret-file`, else the policy's
 * `token:` (the flags replace it whole), or none.
 */
function gatewayToken(
  opts: BridgeOptions,
  policy: BridgePolicy | undefined,
  from: (setting: string, where: string | undefined) => void,
): GatewayToken | undefined {
  if (opts.tokenUrl === undefined) {
    if (opts.clientId !== undefined || opts.clientSecretFile !== undefined) throw new UsageError('--client-id and --client-secret-file go with --token-url');
    const t = policy?.token;
    if (t === undefined) return undefined;
    from('token', t.from);
    return tokenFor(t.value.url, t.value.clientId, t.value.clientSecretFile, `token.clientSecretFile of ${t.from}`);
  }
  httpUrl('--token-url ', opts.tokenUrl);
  if ((opts.clientId === undefined) !== (opts.clientSecretFile === undefined)) throw new UsageError('give --client-id and --client-secret-file together');
  return tokenFor(opts.tokenUrl, opts.clientId, opts.clientSecretFile, '--client-secret-file');
}

function tokenFor(tokenUrl: string, clientId: string | undefined, secretFile: string | undefined, flag: string): GatewayToken {
  const clientSecret = secretFile === undefined ? undefined : readSecretFile(secretFile, flag).split(/\r?\n/, 1)[0]!;
  if (clientSecret === '') throw new UsageError(`${flag} ${secretFile}: its first line is empty`);
  return new GatewayToken({ tokenUrl, ...(clientId === undefined || clientSecret === undefined ? {} : { clientId, clientSecret }) });
}

/** `--service NAME=URL`…: each name once, each URL http(s), each NAME a service of the served intents. */
function serviceUrls(values: readonly string[], served: readonly AnyIntentDescriptor[]): Record<string, string> {
  const known = new Set(served.map((i) => i.service));
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
