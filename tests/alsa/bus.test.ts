import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus } from '../../runtime/index.ts';
import { listMidiPorts, transports } from '../../runtime/transports/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { until } from '../helpers/until.ts';
import { registry } from '../bus/network-peers.ts';

/**
 * Issue 12's "a bus session runs over a virtual port pair", on the real ALSA sequencer of the QEMU guest
 * (../shared/tools/alsa-vm.sh, see midiport.test.ts): the authority listens on `midi:NAME` created as a
 * virtual port pair, the client connects to it by name as a second sequencer client, both through the
 * transport registry as the CLI does. The guest emulates its CPU, so waits are generous.
 */
const WAIT_MS = 30_000;
const PORT = 'midl-alsa-bus';

const busErrors = collectBusErrors();
const transportErrors: unknown[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  expect(transportErrors.splice(0)).toEqual([]);
});

async function session(): Promise<{ authority: NetworkBus; client: NetworkBus }> {
  const onError = (err: unknown): void => void transportErrors.push(err);
  const listener = await transports.listen(`midi:${PORT}`, { name: 'authority', virtual: true, onError });
  closers.push(() => listener.close());
  expect(listener.url).toBe(`midi:"${PORT}"`);
  const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
  closers.push(() => authority.close());
  listener.onSession((link) => authority.accept(link));
  const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
  closers.push(() => client.close());
  const link = await transports.connect(`midi:${PORT}`, { name: 'client', onError });
  closers.push(() => link.close());
  await client.connect(link);
  return { authority, client };
}

describe('a NetworkBus session over a virtual MIDI port pair', () => {
  it('publish/subscribe and request/reply, both ways', { timeout: 4 * WAIT_MS }, async () => {
    const { authority, client } = await session();
    const dispatch = topics['gpu/job.dispatch'];

    const atAuthority: unknown[] = [];
    await authority.subscribe(dispatch, (v) => void atAuthority.push(v)).ready;
    const job = dispatch.payload.example();
    await client.publish(dispatch, job);
    await until(() => atAuthority.length >= 1, WAIT_MS, 'the job the client published');
    expect(atAuthority).toEqual([job]);

    const atClient: unknown[] = [];
    await client.subscribe(dispatch, (v) => void atClient.push(v)).ready;
    await authority.publish(dispatch, job);
    await until(() => atClient.length >= 1, WAIT_MS, 'the job the authority published');
    expect(atClient).toEqual([job]);

    const accepted = dispatch.reply!.example();
    await authority.serve(dispatch, () => accepted).ready;
    expect(await client.request(dispatch, job, { timeoutMs: WAIT_MS })).toEqual(accepted);
  });

  it('closing the session takes the virtual ports off the sequencer', { timeout: 2 * WAIT_MS }, async () => {
    await session();
    const named = async (): Promise<number> => {
      const ports = await listMidiPorts();
      return [...ports.inputs, ...ports.outputs].filter((p) => p.name.includes(PORT)).length;
    };
    // The virtual pair, and whatever ports the client's own sequencer clients show.
    expect(await named()).toBeGreaterThanOrEqual(2);
    for (const close of closers.splice(0).reverse()) await close();
    expect(await named()).toBe(0);
  });
});
