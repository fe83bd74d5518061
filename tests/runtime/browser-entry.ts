/**
 * The program tests/runtime/browser-bundle.test.ts bundles for a browser and runs in a page-like
 * context: generated clients over the in-process LoopbackHub, and two NetworkBus peers over in-process
 * links (the session handshake's random ids and tokens, a correlated request, a keyed exactly-once
 * publication and its dedupe identity). It imports only the public entry points an app would.
 */
import { CapabilityMask, JobDispatch, createClient, intents, topics, type JobAccepted } from '../../generated/index.ts';
import { LoopbackHub, NetworkBus, loopbackLinkPair, type Bus } from '../../runtime/index.ts';

export interface BrowserRun {
  readonly inProcess: JobAccepted;
  readonly overLinks: JobAccepted;
  /** What the authority delivered of two copies of one keyed publication: their dedupe identities. */
  readonly keyedDeliveries: readonly string[];
  /** The payload bytes of that publication, for the test to recompute its identity. */
  readonly keyedPayload: readonly number[];
  readonly errors: readonly string[];
}

const registry = { topics: Object.values(topics), intents: Object.values(intents) };
const job = { ...JobDispatch.example(), pipelineId: 'blur-3x3' };

function serveDispatch(bus: Bus, queuePosition: number): Promise<void> {
  return createClient(bus).gpu.job.dispatch.serve((j) => ({ jobId: `job-${j.pipelineId}`, queuePosition, resultTopic: 'gpu/job.result/1' })).ready;
}

async function inProcess(): Promise<JobAccepted> {
  const hub = new LoopbackHub();
  const hostBus = hub.connect({ capabilities: CapabilityMask.maskOf('gpu.host') });
  const appBus = hub.connect({ capabilities: CapabilityMask.maskOf('gpu.dispatch') });
  try {
    await serveDispatch(hostBus, 1);
    return await createClient(appBus).gpu.job.dispatch.request(job, { timeoutMs: 2_000 });
  } finally {
    await Promise.all([hostBus.close(), appBus.close()]);
  }
}

async function networkPair(errors: string[], use: (authority: NetworkBus, client: NetworkBus) => Promise<void>): Promise<void> {
  const onError = (who: string) => (err: unknown) => void errors.push(`${who}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  const authority = new NetworkBus({ name: 'authority', ...registry, onError: onError('authority') });
  const client = new NetworkBus({ name: 'client', ...registry, onError: onError('client') });
  try {
    const [clientEnd, authorityEnd] = loopbackLinkPair({ names: ['client', 'authority'] });
    authority.accept(authorityEnd);
    await client.connect(clientEnd);
    await use(authority, client);
  } finally {
    await client.close();
    await authority.close();
  }
}

export async function run(): Promise<BrowserRun> {
  const errors: string[] = [];
  const inProcessReply = await inProcess();
  let overLinks: JobAccepted | undefined;
  await networkPair(errors, async (authority, client) => {
    await serveDispatch(authority, 2);
    overLinks = await createClient(client).gpu.job.dispatch.request(job, { timeoutMs: 2_000 });
  });
  const keyedDeliveries: string[] = [];
  await networkPair(errors, async (authority, client) => {
    await authority.subscribe('gpu/**', (_v, d) => void keyedDeliveries.push(d.dedupeId ?? 'none'), { ackAfterHandler: true }).ready;
    await client.publish(topics['gpu/job.dispatch'], job, { key: 42n });
    await client.publish(topics['gpu/job.dispatch'], job, { key: 42n });
    await authority.drain();
  });
  if (!overLinks) throw new Error('no reply over the links');
  return { inProcess: inProcessReply, overLinks, keyedDeliveries, keyedPayload: [...JobDispatch.encode(job)], errors };
}
