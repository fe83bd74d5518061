import { afterEach, expect, it } from 'vitest';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, until, type Pair } from './network-peers.ts';

const result = topics['gpu/job.result/{corr}'];
const busErrors = collectBusErrors();
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

// Slow: it waits out the authority's 10 s HELLO deadline of the link a resume came on.
it('a resumed session keeps its new link past the HELLO deadline of the peer that link first made', { timeout: 20_000 }, async () => {
  pair = await connectedPair({ errors: busErrors, reconnect: true });
  const got: number[] = [];
  await pair.authority.subscribe(result, (_v, d) => void got.push(Number(d.params.corr))).ready;
  await pair.link().close();
  await until(() => pair!.client.stats().resumes === 1, 5_000, 'the resume');
  const link = pair.link();
  await new Promise((r) => setTimeout(r, 10_500));
  // The link the session resumed on is still its link: nothing closed it, no second resume was needed.
  expect(link.isOpen).toBe(true);
  expect(pair.client.stats().resumes).toBe(1);
  await pair.client.publish(result, result.payload.example(), { params: { corr: 1 } });
  expect(got).toEqual([1]);
});
