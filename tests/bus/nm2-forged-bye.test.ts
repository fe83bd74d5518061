import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkBus, isBusError, type UmpLink } from '../../runtime/index.ts';
import { Nm2Endpoint, connectNm2, type Nm2Link } from '../../runtime/transports/nm2/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { sendFrom } from '../helpers/spoof.ts';
import { registry, until } from './network-peers.ts';

/**
 * Item 10 of issue 10, one layer up: a forged Bye ends a Network MIDI 2.0 session (nothing in NM2 can
 * tell it from the peer's own), but not the bus session above it. The client reconnects, authenticates
 * a fresh NM2 session with the shared secret, resumes its bus session with its single-use token, and
 * what was in flight arrives: all of it, exactly-once messages exactly once.
 */
vi.mock('node:dgram', async (load) => (await import('../helpers/spoof.ts')).reuseAddrDgram(await load()));

const BYE = Buffer.from('4D494449F0000100', 'hex');
const SECRET = 'a shared secret';
const result = topics['gpu/job.result/{corr}'];
const dispatch = topics['gpu/job.dispatch'];
const retransmit = { initialMs: 40, maxMs: 400, maxAttempts: 200 };
/** NM2 timing slow enough that only the forged Bye can end a session within the test. */
const nm2 = { pingIntervalMs: 1_000, timeoutMs: 10_000, secret: SECRET };

const busErrors = collectBusErrors();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup() {
  const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'authority', ...nm2 });
  cleanup.push(() => endpoint.close());
  const authority = new NetworkBus({ name: 'authority', ...registry, retransmit, heartbeatMs: 200, onError: busErrors.for('authority') });
  cleanup.push(() => authority.close());
  const accepted: Nm2Link[] = [];
  endpoint.onSession((link) => {
    accepted.push(link);
    authority.accept(link);
  });
  const open = async (): Promise<UmpLink> => {
    const link = await connectNm2(`udp://127.0.0.1:${endpoint.port}`, { name: 'client', ...nm2 });
    cleanup.push(() => link.close());
    return link;
  };
  const client = new NetworkBus({ name: 'client', ...registry, retransmit, heartbeatMs: 200, onError: busErrors.for('client') });
  cleanup.push(() => client.close());
  await client.connect(await open(), { reconnect: open, timeoutMs: 3_000 });
  return { endpoint, authority, client, accepted };
}

/** Publishes `n` with at most `window` unacknowledged, retrying on `backpressure`; resolves with the other failures. */
async function publishAll(n: number, publish: (i: number) => Promise<void>, window = 256): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      for (;;) {
        try {
          await publish(i);
          break;
        } catch (err) {
          if (!isBusError(err, 'backpressure')) {
            failures.push(`${i}: ${String(err)}`);
            break;
          }
          await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 5));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return failures;
}

const COUNT = 2_000;

describe('the bus session over an authenticated NM2 session that a forged Bye ends', () => {
  for (const victim of ['authority', 'client'] as const) {
    it(`a Bye forged to the ${victim} mid-stream: resumed over a fresh authenticated NM2 session, nothing lost, nothing twice`, async () => {
      const { endpoint, authority, client, accepted } = await setup();
      const atAuthority = new Map<string, number>();
      let atClient = 0;
      await authority.subscribe(result, (_v, d) => void atAuthority.set(d.address, (atAuthority.get(d.address) ?? 0) + 1)).ready;
      await client.subscribe(dispatch, () => {
        atClient++;
      }).ready;
      const session = client.sessionId;
      const [first] = accepted;
      const clientAddress = { host: '127.0.0.1', port: first!.remote.port };
      const hostAddress = { host: '127.0.0.1', port: endpoint.port };

      const value = result.payload.example();
      const up = publishAll(COUNT, (i) => client.publish(result, value, { params: { corr: i }, qos: i % 2 ? 'exactly_once' : 'at_least_once' }));
      const down = publishAll(200, () => authority.publish(dispatch, dispatch.payload.example(), { qos: 'at_least_once' }), 16);
      await until(() => atAuthority.size >= COUNT / 4, 10_000, 'a quarter of the stream');
      // The forged Bye: to the host as if from the client, or to the client as if from the host.
      if (victim === 'authority') await sendFrom(clientAddress, hostAddress, BYE);
      else await sendFrom(hostAddress, clientAddress, BYE);
      expect(atAuthority.size).toBeLessThan(COUNT); // it struck with messages still in flight

      expect([...(await up), ...(await down)]).toEqual([]);
      await until(() => atAuthority.size === COUNT && atClient === 200, 15_000, 'every message');
      const exactlyOnce = [...atAuthority.entries()].filter(([address]) => Number(address.split('/').pop()) % 2 === 1);
      expect(exactlyOnce).toHaveLength(COUNT / 2);
      expect(exactlyOnce.filter(([, n]) => n !== 1)).toEqual([]);
      // The same bus session, on a new NM2 session: the host required the secret again for it.
      expect(client.sessionId).toBe(session);
      expect(client.stats().resumes).toBe(1);
      expect(accepted).toHaveLength(2);
      expect(accepted[1]!.remote.port).not.toBe(clientAddress.port);
      expect(first!.isOpen).toBe(false);
    }, 30_000);
  }
});
