import { afterEach, expect, it } from 'vitest';
import { NetworkBus, loopbackLinkPair, type SessionRecords, type UmpLink } from '../../runtime/index.ts';
import { MemoryStore } from '../../runtime/store/index.ts';
import { storeSessionRecords } from '../../services/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { registry, until } from './network-peers.ts';

const result = topics['gpu/job.result/{corr}'];
const busErrors = collectBusErrors();
const open: NetworkBus[] = [];
afterEach(async () => {
  for (const bus of open.splice(0)) await bus.close();
});

// Slow: the store takes longer to write the first resume's record than a client waits for its WELCOME (2 s).
it('a client that gives up on a resume whose record is slow to write resumes on its next link with the same token', { timeout: 20_000 }, async () => {
  const store = new MemoryStore();
  const inner = storeSessionRecords(store, { authority: 'auth' });
  let resumesWritten = 0;
  const slow: SessionRecords = {
    save: async (record, event) => {
      if (event === 'resume' && resumesWritten++ === 0) await new Promise((r) => setTimeout(r, 3_000));
      return inner.save(record, event);
    },
    remove: (id) => inner.remove(id),
  };
  const authority = new NetworkBus({ name: 'auth', ...registry, onError: busErrors.for('authority'), sessionRecords: slow });
  const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
  open.push(client, authority);
  let current: UmpLink | undefined;
  const linkTo = (): Promise<UmpLink> => {
    const [mine, theirs] = loopbackLinkPair({ names: ['client', 'auth'] });
    authority.accept(theirs);
    current = mine;
    return Promise.resolve(mine);
  };
  await client.connect(await linkTo(), { reconnect: linkTo, resumeForMs: 15_000 });
  const got: number[] = [];
  await authority.subscribe(result, (_v, d) => void got.push(Number(d.params.corr))).ready;
  const sessionId = client.sessionId;
  await current!.close();
  const sent = client.publish(result, result.payload.example(), { params: { corr: 7 } });
  await until(() => client.stats().resumes === 1, 10_000, 'the resume');
  await sent;
  expect(got).toEqual([7]);
  expect(client.sessionId).toBe(sessionId);
  expect(resumesWritten).toBeGreaterThanOrEqual(2);
  // The store holds the token the client now has (its hash): the last resume's, written before its WELCOME.
  await until(() => authority.stats().resumes === 1, 2_000, 'the authority’s count');
  expect((await inner.load()).records).toHaveLength(1);
});
