// Nobody locked out by a subscriber that does not keep up: a session that subscribes to everything and
// never acknowledges (or is gone and never resumes) fills its outbox at the authority; that must not make
// the authority refuse other sessions' messages with `backpressure`. The slow session is ended as a slow
// consumer (CLOSE, its messages in flight given up, no resume) and everyone else goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, loopbackLinkPair } from '../../runtime/index.ts';
import { ControlKind } from '../../runtime/lanes/control.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { RawPeer } from './raw-peer.ts';
import { registry, until } from './network-peers.ts';

const busErrors = collectBusErrors();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const heartbeat = topics['session/heartbeat'];
const ALL = (1n << 64n) - 1n;
const MAX_IN_FLIGHT = 512;
const COUNT = 2_000;
/** Publications awaiting their acknowledgement at once, as `midl send` keeps them (its --window). */
const WINDOW = 64;

function authority(options: { maxInFlight?: number; maxInFlightBytes?: number } = { maxInFlight: MAX_IN_FLIGHT }): NetworkBus {
  const bus = new NetworkBus({ name: 'authority', ...registry, ...options, onError: busErrors.for('authority') });
  cleanup.push(() => bus.close());
  return bus;
}

async function client(auth: NetworkBus, name: string): Promise<NetworkBus> {
  const [mine, theirs] = loopbackLinkPair({ names: [name, 'authority'] });
  auth.accept(theirs);
  const bus = new NetworkBus({ name, ...registry, onError: busErrors.for(name) });
  cleanup.push(() => bus.close());
  await bus.connect(mine, { timeoutMs: 3_000 });
  return bus;
}

describe('a subscriber that never acknowledges', () => {
  it('does not make the authority refuse anyone else: it is ended as a slow consumer, and every message reaches the others', async () => {
    await slowConsumer({ maxInFlight: MAX_IN_FLIGHT }, MAX_IN_FLIGHT);
  });

  it('is ended by the bytes it holds up too, not only the messages (maxInFlightBytes)', async () => {
    const size = heartbeat.payload.encode(heartbeat.payload.example()).length;
    await slowConsumer({ maxInFlightBytes: MAX_IN_FLIGHT * size }, MAX_IN_FLIGHT);
  });
});

/** Runs the slow-consumer case against an authority with `limits`: the slow session holds at least `held` messages when it is ended. */
async function slowConsumer(limits: { maxInFlight?: number; maxInFlightBytes?: number }, held: number): Promise<void> {
  {
    const auth = authority(limits);
    const slow = RawPeer.attach(auth);
    slow.answerSubscribes = true;
    await slow.hello(ALL);
    slow.control({ kind: ControlKind.Subscribe, subId: 1, topicId: 0, pattern: '**' });
    await until(() => slow.controls.some((c) => c.kind === ControlKind.Subscribed && c.subId === 1), 2_000, 'SUBSCRIBED');

    const publisher = await client(auth, 'publisher');
    const listener = await client(auth, 'listener');
    const got: unknown[] = [];
    await listener.subscribe(heartbeat, (v) => void got.push(v)).ready;

    const refused: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        next++;
        await publisher.publish(heartbeat, heartbeat.payload.example(), { qos: 'at_least_once' }).catch((err: unknown) => void refused.push(String(err)));
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
    expect(refused).toEqual([]);
    await until(() => got.length === COUNT, 15_000, `the listener's ${COUNT} messages`);

    // The slow session was told why it ended, and is gone from the authority (no resume of a session that missed messages).
    await until(() => slow.controls.some((c) => c.kind === ControlKind.Close), 2_000, 'CLOSE to the slow session');
    const close = slow.controls.find((c) => c.kind === ControlKind.Close) as { reason: string };
    expect(close.reason).toMatch(/slow consumer/);
    expect(
      auth
        .stats()
        .peers.map((p) => p.name)
        .sort(),
    ).toEqual(['listener', 'publisher']);
    const again = RawPeer.attach(auth);
    const resumed = await again.hello(ALL, { sessionId: slow.sessionId, token: slow.token, lastSeq: 0n });
    expect(resumed.kind).toBe(ControlKind.Refuse);
    // Once for the session, and once for each message it had been sent and never acknowledged (each one lost to it, none silently).
    busErrors.claim({ bus: 'authority', code: 'limit', message: /slow consumer/ }, { min: held + 1, max: COUNT + 1 });
  }
}
