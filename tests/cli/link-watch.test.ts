import { afterEach, describe, expect, it } from 'vitest';
import { watchLink } from '../../cli/operator/link-watch.ts';
import { JobResult, createClient } from '../../generated/index.ts';
import { intents, topics } from '../../generated/registry.ts';
import { NetworkBus, loopbackLinkPair } from '../../runtime/index.ts';
import { CONTROL_SUB_ID, DATA_SUB_ID } from '../../runtime/lanes/frame.ts';
import { midi1Link } from '../../runtime/transports/midi1-link.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { midi1PortPair } from '../helpers/midi1-port-pair.ts';
import { until } from '../helpers/until.ts';

/**
 * watchLink (how `midl tail` learns that its peer went away, and `replay --raw` reads answers) is the link
 * itself to the bus: over a MIDI 1.0 link it still says midi1Only, so the bus frames go as SysEx7 + Mcoded7
 * and not as SysEx8, which such a link refuses (tail over rtpmidi: and midi: failed so, found by
 * tests/cli/rtpmidi-cli.slow.test.ts).
 */

const busErrors = collectBusErrors();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const registry = { topics: Object.values(topics), intents: Object.values(intents) };

describe('watchLink', () => {
  it('keeps midi1Only of a MIDI 1.0 link, and its absence on a UMP link', () => {
    const { ports } = midi1PortPair();
    expect(watchLink(midi1Link(ports[0]), {}).midi1Only).toBe(true);
    const [a] = loopbackLinkPair();
    expect('midi1Only' in watchLink(a, {})).toBe(false);
  });

  it('a bus session over a watched MIDI 1.0 link: SysEx7 frames only, the watcher sees them first', async () => {
    const { ports, wire } = midi1PortPair();
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    cleanups.push(() => authority.close());
    authority.accept(midi1Link(ports[1]));
    const watched: number[] = [];
    const downs: string[] = [];
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
    cleanups.push(() => client.close());
    await client.connect(watchLink(midi1Link(ports[0]), { receive: (words) => void watched.push(words.length), down: (d) => void downs.push(d.reason) }));

    const got: JobResult[] = [];
    await createClient(client).gpu.job.result.subscribe({ corr: 1 }, (r) => void got.push(r)).ready;
    const result: JobResult = { ...JobResult.example(), jobId: 'j1', status: 'ok' };
    await createClient(authority).gpu.job.result.publish({ corr: 1 }, result);
    await until(() => got.length === 1, 5_000, 'the result at the client');
    expect(got).toEqual([JobResult.decode(JobResult.encode(result))]);
    expect(watched.length).toBeGreaterThan(0);
    // Both ways only midl's SysEx7 carrier (F0 7D <data or control sub-id> … F7) went over the MIDI 1.0 wire.
    for (const direction of wire) {
      expect(direction.errors).toEqual([]);
      for (const bytes of direction.bytes) {
        expect([bytes[0], bytes[1], bytes.at(-1)]).toEqual([0xf0, 0x7d, 0xf7]);
        expect([DATA_SUB_ID, CONTROL_SUB_ID]).toContain(bytes[2]);
      }
    }
    expect(wire[1].bytes.some((b) => b[2] === DATA_SUB_ID)).toBe(true);
    expect(downs).toEqual([]);
  });
});
