import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, isBusError, type UmpLink } from '../../runtime/index.ts';
import { Nm2Endpoint, connectNm2 } from '../../runtime/transports/nm2/index.ts';
import { createClient } from '../../generated/client.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { startRelay, type Relay } from '../helpers/udp-relay.ts';
import { registry, until } from './network-peers.ts';

/**
 * The network Bus end to end over real UDP sockets on 127.0.0.1: generated clients on both sides,
 * Network MIDI 2.0 sessions underneath, and a seeded lossy relay between them.
 */
const result = topics['gpu/job.result/{corr}'];
const dispatch = topics['gpu/job.dispatch'];
const retransmit = { initialMs: 40, maxMs: 400, maxAttempts: 200 };

const busErrors = collectBusErrors();
const cleanup: { readonly what: string; readonly close: () => Promise<unknown> }[] = [];
afterEach(async () => {
  // Every close runs, in reverse order of opening; any that fails fails the test.
  const failed: string[] = [];
  for (const c of cleanup.splice(0).reverse()) await c.close().catch((err: unknown) => failed.push(`${c.what}: ${String(err)}`));
  expect(failed).toEqual([]);
});

interface Setup {
  readonly authority: NetworkBus;
  readonly client: NetworkBus;
  readonly relay: Relay | undefined;
  readonly endpoint: Nm2Endpoint;
}

async function setup(options: { loss?: number; seed?: number; nm2TimeoutMs?: number } = {}): Promise<Setup> {
  const timing = { pingIntervalMs: 100, timeoutMs: options.nm2TimeoutMs ?? 2_000 };
  const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'authority', ...timing });
  cleanup.push({ what: 'endpoint', close: () => endpoint.close() });
  const authority = new NetworkBus({ name: 'authority', ...registry, retransmit, heartbeatMs: 200, onError: busErrors.for('authority') });
  cleanup.push({ what: 'authority', close: () => authority.close() });
  endpoint.onSession((link) => authority.accept(link));
  let relay: Relay | undefined;
  let port = endpoint.port;
  if (options.loss !== undefined) {
    relay = await startRelay({
      target: { host: '127.0.0.1', port: endpoint.port },
      seed: options.seed ?? 1,
      loss: options.loss,
      duplicate: 0.01,
      reorder: 0.02,
      maxDelayMs: 5,
    });
    cleanup.push({ what: 'relay', close: () => relay!.close() });
    port = relay.port;
  }
  const open = async (): Promise<UmpLink> => {
    const link = await connectNm2(`udp://127.0.0.1:${port}`, { name: 'client', ...timing });
    cleanup.push({ what: 'client link', close: () => link.close() });
    return link;
  };
  const client = new NetworkBus({ name: 'client', ...registry, retransmit, heartbeatMs: 200, onError: busErrors.for('client') });
  cleanup.push({ what: 'client', close: () => client.close() });
  await client.connect(await open(), { reconnect: open, timeoutMs: 3_000 });
  return { authority, client, relay, endpoint };
}

/**
 * Publishes `n` messages with at most `window` unacknowledged, retrying each one the bus refuses with
 * `backpressure` after its hint; resolves with the messages of the other failures.
 */
async function publishAll(n: number, publish: (i: number) => Promise<void>, window = 2_048): Promise<string[]> {
  const failures: string[] = [];
  let inFlight = 0;
  let next = 0;
  await new Promise<void>((done) => {
    const pump = () => {
      while (inFlight < window && next < n) {
        const i = next++;
        inFlight++;
        const attempt = (): void => {
          publish(i).then(
            () => {
              inFlight--;
              if (next === n && inFlight === 0) done();
              else pump();
            },
            (err: unknown) => {
              if (isBusError(err, 'backpressure')) return void setTimeout(attempt, err.retryAfterMs ?? 5);
              failures.push(String(err));
              inFlight--;
              if (next === n && inFlight === 0) done();
              else pump();
            },
          );
        };
        attempt();
      }
    };
    pump();
  });
  return failures;
}

describe('NetworkBus over Network MIDI 2.0 UDP', () => {
  it('generated clients: request/reply and publish/subscribe across real sockets', async () => {
    const { authority, client } = await setup();
    const server = createClient(authority);
    const app = createClient(client);
    const accepted = dispatch.reply!.example();
    await server.gpu.job.dispatch.serve(() => accepted).ready;
    expect(await app.gpu.job.dispatch.request(dispatch.payload.example(), { timeoutMs: 2_000 })).toEqual(accepted);
    const got: string[] = [];
    await app.gpu.job.result.subscribe({ corr: 9 }, (_v, d) => void got.push(d.params.corr)).ready;
    await server.gpu.job.result.publish({ corr: 9 }, result.payload.example());
    await server.gpu.job.result.publish({ corr: 10 }, result.payload.example());
    await until(() => got.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual(['9']);
  });

  for (const loss of [0.01, 0.05]) {
    it(`10,000 messages through a ${loss * 100}% loss relay: at-least-once all arrive, exactly-once each exactly once`, async () => {
      const { authority, client, relay } = await setup({ loss, seed: 1000 + loss * 100 });
      const count = new Map<string, number>();
      await authority.subscribe(result, (_v, d) => void count.set(d.address, (count.get(d.address) ?? 0) + 1)).ready;
      const value = result.payload.example();
      const failures = await publishAll(10_000, (i) => client.publish(result, value, { params: { corr: i }, qos: i % 2 ? 'exactly_once' : 'at_least_once' }));
      expect(failures.slice(0, 3)).toEqual([]);
      await until(() => count.size === 10_000, 20_000, 'every message');
      const exactlyOnce = [...count.entries()].filter(([a]) => Number(a.split('/').pop()) % 2 === 1);
      expect(exactlyOnce).toHaveLength(5_000);
      expect(exactlyOnce.every(([, n]) => n === 1)).toBe(true);
      // The relay did lose datagrams (a lossless run would prove nothing); how many is up to timing and chance.
      expect(relay!.stats().dropped).toBeGreaterThan(0);
    }, 60_000);
  }

  it('session resume: the relay drops everything long enough for the link to die; the client reconnects, resumes and both sides get what they missed', async () => {
    const { authority, client, relay } = await setup({ loss: 0, nm2TimeoutMs: 400 });
    const atAuthority = new Set<string>();
    let atClient = 0;
    await authority.subscribe(result, (_v, d) => void atAuthority.add(d.address)).ready;
    await client.subscribe(dispatch, () => {
      atClient++;
    }).ready;
    const session = client.sessionId;
    relay!.blackout(true);
    const sent = Array.from({ length: 100 }, (_, i) => client.publish(result, result.payload.example(), { params: { corr: i }, qos: 'at_least_once' }));
    const back = Array.from({ length: 20 }, () => authority.publish(dispatch, dispatch.payload.example(), { qos: 'at_least_once' }));
    await new Promise((r) => setTimeout(r, 1_000)); // > the NM2 timeout: both ends drop the link
    relay!.blackout(false);
    await Promise.all([...sent, ...back]);
    await until(() => atAuthority.size === 100 && atClient === 20, 10_000, 'backfill after resume');
    expect(client.sessionId).toBe(session);
    // The blackout forces one resume; a loaded machine that misses NM2 pings for 400 ms may force another, which is also correct.
    expect(client.stats().resumes).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
