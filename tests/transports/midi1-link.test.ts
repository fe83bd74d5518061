import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, TransportError, loopbackLinkPair } from '../../runtime/index.ts';
import { midi1Link, type Midi1Link } from '../../runtime/transports/midi1-link.ts';
import { encodeMidlSysEx8, midi1ToUmp } from '../../runtime/ump/index.ts';
import { payloadWithinSysEx7 } from '../../runtime/lanes/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { midi1PortPair, type Midi1PortPair, type Midi1WireOptions } from '../helpers/midi1-port-pair.ts';
import { until } from '../helpers/until.ts';
import { registry } from '../bus/network-peers.ts';

const busErrors = collectBusErrors();
const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const bytes = (text: string): Uint8Array => Uint8Array.from(text.split(' '), (h) => parseInt(h, 16));

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Two links over a port pair; what each receives is collected. */
function linkPair(options: Midi1WireOptions = {}): { pair: Midi1PortPair; links: [Midi1Link, Midi1Link]; got: [number[][], number[][]] } {
  const pair = midi1PortPair(options);
  const links: [Midi1Link, Midi1Link] = [midi1Link(pair.ports[0]), midi1Link(pair.ports[1])];
  const got: [number[][], number[][]] = [[], []];
  links.forEach((link, i) => link.onReceive((words) => void got[i]!.push([...words])));
  closers.push(() => links[0].close());
  return { pair, links, got };
}

describe('midi1Link', () => {
  it('sends MT 0x1, 0x2 and 0x3 as MIDI 1.0 messages, and delivers messages as UMP on group 0', async () => {
    const { pair, links, got } = linkPair({ runningStatus: true, chunkBytes: 1 });
    expect(links[0].midi1Only).toBe(true);
    // A JR timestamp before the second note: utility packets have no MIDI 1.0 form and are dropped.
    links[0].send(Uint32Array.of(0x20903c64, 0x00201234, 0x22903e64, 0x1ff80000));
    const sysex = midi1ToUmp(bytes('f0 7e 7f 06 01 02 03 04 05 f7'), 3);
    links[0].send(sysex.subarray(0, 2)); // the Start; the End follows in another send
    links[0].send(sysex.subarray(2));
    await until(() => got[1].length === 4, 2_000, 'four messages');
    // Groups do not exist in MIDI 1.0: everything arrives on group 0.
    expect(got[1]).toEqual([[0x20903c64], [0x20903e64], [0x10f80000], [...midi1ToUmp(bytes('f0 7e 7f 06 01 02 03 04 05 f7'))]]);
    // Running status on the wire: the second note went without its status byte.
    expect(pair.wire[0].bytes.map(hex)).toEqual(['90 3c 64', '3e 64', 'f8', 'f0 7e 7f 06 01 02 03 04 05 f7']);
    expect(pair.wire[0].errors).toEqual([]);
  });

  it('refuses a UMP with no MIDI 1.0 form before sending anything of the batch', () => {
    const { pair, links } = linkPair();
    for (const words of [
      Uint32Array.of(0x20903c64, 0x40903c00, 0xffff0000),
      encodeMidlSysEx8(Uint8Array.of(1), { group: 0, streamId: 0 }),
      Uint32Array.of(0xd0100000, 0, 0, 0),
    ]) {
      const error = (() => {
        try {
          links[0].send(words);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('too-large');
      expect((error as TransportError).message).toMatch(/has no MIDI 1.0 form/);
    }
    expect(pair.wire[0].bytes).toEqual([]);
  });

  it('refuses a SysEx larger than the port takes, and says so', () => {
    const { links } = linkPair({ maxMessageBytes: 16 });
    expect(() => links[0].send(midi1ToUmp(new Uint8Array([0xf0, ...new Array<number>(20).fill(1), 0xf7])))).toThrow(/longer than the 16 bytes/);
  });

  it('reports a malformed message from the port and drops it', async () => {
    const pair = midi1PortPair();
    const malformed: string[] = [];
    const link = midi1Link(pair.ports[1], { onMalformed: (e, m) => void malformed.push(`${e.code} ${hex(m)}`) });
    const got: number[][] = [];
    link.onReceive((w) => void got.push([...w]));
    closers.push(() => link.close());
    // A port that broke its contract: a message with no status byte.
    (pair.ports[1] as unknown as { handler: (m: Uint8Array) => void }).handler(Uint8Array.of(0x3c, 0x64));
    pair.ports[0].send(Uint8Array.of(0x80, 0x3c, 0));
    await until(() => got.length === 1, 2_000, 'the note');
    expect(malformed).toEqual(['invalid-message 3c 64']);
    expect(link.malformed).toBe(1);
    expect(got).toEqual([[0x20803c00]]);
    expect(() => midi1Link(pair.ports[0], { group: 16 })).toThrow(RangeError);
  });

  it('any bytes a port hands over come in as UMP or are counted as malformed, never thrown', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 12 }), { maxLength: 30 }), (messages) => {
        const pair = midi1PortPair();
        const errors: string[] = [];
        const link = midi1Link(pair.ports[1], { onMalformed: (e) => void errors.push(e.code) });
        let received = 0;
        link.onReceive(() => {
          received++;
        });
        const deliver = (pair.ports[1] as unknown as { handler: (m: Uint8Array) => void }).handler;
        for (const m of messages) deliver(m);
        expect(received + errors.length).toBe(messages.length);
        expect(link.malformed).toBe(errors.length);
        expect(new Set(errors).size).toBeLessThanOrEqual(1); // all 'invalid-message'
      }),
      { numRuns: 300 },
    );
  });

  it('goes down with its port and refuses to send after', async () => {
    const { links } = linkPair();
    const downs: string[] = [];
    links[1].onDown((d) => void downs.push(d.reason));
    await links[0].close();
    await until(() => downs.length === 1, 2_000, 'the far side down');
    expect(downs).toEqual(['bye']);
    expect(links[0].isOpen).toBe(false);
    expect(() => links[0].send(Uint32Array.of(0x20903c64))).toThrow(TransportError);
  });
});

describe('a NetworkBus session over MIDI 1.0 ports', () => {
  async function busPair(options: Midi1WireOptions): Promise<{ authority: NetworkBus; client: NetworkBus; pair: Midi1PortPair }> {
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
    closers.push(async () => {
      await client.close();
      await authority.close();
    });
    const pair = midi1PortPair(options, ['client', 'authority']);
    authority.accept(midi1Link(pair.ports[1]));
    await client.connect(midi1Link(pair.ports[0]));
    return { authority, client, pair };
  }

  /** Only valid MIDI 1.0 crossed, and every bus frame as a midl SysEx7 (`F0 7D 01|02 … F7`). */
  function expectOnlyMidi1Frames(pair: Midi1PortPair): void {
    for (const direction of pair.wire) {
      expect(direction.errors).toEqual([]);
      expect(direction.bytes.length).toBeGreaterThan(0);
      for (const message of direction.bytes) {
        expect(hex(message.subarray(0, 2))).toBe('f0 7d');
        expect(message[message.length - 1]).toBe(0xf7);
      }
    }
  }

  it('publish/subscribe and request/reply work, with only SysEx7 frames on the wire', async () => {
    const { authority, client, pair } = await busPair({ chunkBytes: 7 });
    const dispatch = topics['gpu/job.dispatch'];
    const got: unknown[] = [];
    await authority.subscribe(dispatch, (v) => void got.push(v)).ready;
    const job = dispatch.payload.example();
    await client.publish(dispatch, job);
    await until(() => got.length === 1, 5_000, 'the published job');
    expect(got).toEqual([job]);
    const accepted = dispatch.reply!.example();
    await authority.serve(dispatch, () => accepted).ready;
    expect(await client.request(dispatch, job, { timeoutMs: 5_000 })).toEqual(accepted);
    expectOnlyMidi1Frames(pair);
  });

  it('a topic of the flex lane travels as SysEx7 too, value intact', async () => {
    const { authority, client, pair } = await busPair({ runningStatus: true, chunkBytes: 3 });
    const flex = topics['flex/envelope'];
    expect(flex.lane).toBe('flex');
    const got: unknown[] = [];
    await client.subscribe(flex, (v) => void got.push(v)).ready;
    const value = flex.payload.example();
    await authority.publish(flex, value);
    await until(() => got.length === 1, 5_000, 'the flex envelope');
    expect(got).toEqual([value]);
    expectOnlyMidi1Frames(pair);
  });

  it('a frame larger than the port takes is reported to the sender, and the session goes on', async () => {
    const { authority, client } = await busPair({ maxMessageBytes: 200 });
    const dispatch = topics['gpu/job.dispatch'];
    const seen: string[] = [];
    await authority.subscribe(dispatch, (v) => void seen.push(v.label ?? '')).ready;
    await client.publish(dispatch, { ...dispatch.payload.example(), label: 'x'.repeat(128) }, { qos: 'at_most_once' });
    await until(() => busErrors.count({ bus: 'client', type: TransportError }) === 1, 2_000, 'the refusal reported');
    const [refusal] = busErrors.claim({ bus: 'client', type: TransportError, message: /longer than the 200 bytes the port takes/ }, 1);
    expect((refusal!.error as TransportError).code).toBe('too-large');
    await client.publish(dispatch, { ...dispatch.payload.example(), label: 'small' });
    await until(() => seen.length === 1, 5_000, 'the small job');
    expect(seen).toEqual(['small']);
  });

  it('a port that takes 4 KB bounds the session: payloads past what one SysEx holds are refused at publish, those within it cross', async () => {
    const { authority, client, pair } = await busPair({ maxMessageBytes: 4096 });
    const limit = payloadWithinSysEx7(4096);
    expect(limit).toBeGreaterThanOrEqual(1024);
    await until(() => authority.stats().peers.length === 1, 2_000, 'the session on the authority');
    expect(client.stats().peers.map((p) => p.maxPayload)).toEqual([limit]);
    expect(authority.stats().peers.map((p) => p.maxPayload)).toEqual([limit]);
    const write = topics['gpu/buffer.write'];
    const chunk = (n: number) => ({ ...write.payload.example(), data: new Uint8Array(n).fill(0x55) });
    const got: number[] = [];
    await authority.subscribe(write, (v) => void got.push(v.data.length)).ready;
    // The largest chunk within the limit, found by its encoding: the payload's other fields cost bytes too.
    let n = limit;
    while (write.payload.encode(chunk(n)).length > limit) n--;
    await expect(client.publish(write, chunk(n + 1), { qos: 'at_least_once' })).rejects.toMatchObject({ name: 'BusError', code: 'too-large' });
    await client.publish(write, chunk(n), { qos: 'at_least_once' });
    await until(() => got.length === 1, 5_000, 'the largest chunk');
    expect(got).toEqual([n]);
    for (const direction of pair.wire) expect(Math.max(...direction.bytes.map((m) => m.length))).toBeLessThanOrEqual(4096);
  });

  it('a note from the far port reaches onForeignUmp as MT 0x2, a bus frame does not', async () => {
    const foreign: number[][] = [];
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority'), onForeignUmp: (w) => void foreign.push([...w]) });
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
    closers.push(async () => {
      await client.close();
      await authority.close();
    });
    const pair = midi1PortPair({}, ['client', 'authority']);
    authority.accept(midi1Link(pair.ports[1]));
    await client.connect(midi1Link(pair.ports[0]));
    // A keyboard on the same cable: a note in running status, and a clock byte.
    pair.ports[0].send(bytes('90 3c 64'));
    pair.ports[0].send(bytes('f8'));
    await until(() => foreign.length === 2, 2_000, 'the note and the clock');
    expect(foreign).toEqual([[0x20903c64], [0x10f80000]]);
  });

  it('frames sent on a UMP link go again as SysEx7 after a resume on a MIDI 1.0 link', async () => {
    const retransmit = { initialMs: 20, maxMs: 100, maxAttempts: 1_000 };
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority'), retransmit });
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client'), retransmit });
    closers.push(async () => {
      await client.close();
      await authority.close();
    });
    const blackout = { on: false };
    const [mine, theirs] = loopbackLinkPair({ filter: () => !blackout.on, names: ['client', 'authority'] });
    authority.accept(theirs);
    let ports: Midi1PortPair | undefined;
    const reconnect = (): Promise<Midi1Link> => {
      ports = midi1PortPair({ chunkBytes: 5 }, ['client', 'authority']);
      authority.accept(midi1Link(ports.ports[1]));
      return Promise.resolve(midi1Link(ports.ports[0]));
    };
    await client.connect(mine, { reconnect });
    const dispatch = topics['gpu/job.dispatch'];
    const seen: string[] = [];
    await authority.subscribe(dispatch, (v) => void seen.push(v.label ?? '')).ready;
    blackout.on = true;
    const jobs = Array.from({ length: 20 }, (_, i) => ({ ...dispatch.payload.example(), label: `job-${i}` }));
    const sent = jobs.map((j) => client.publish(dispatch, j));
    await mine.close();
    blackout.on = false;
    await until(() => seen.length === jobs.length, 10_000, 'every job');
    await Promise.all(sent);
    expect([...seen].sort()).toEqual(jobs.map((j) => j.label).sort());
    expect(client.stats().resumes).toBe(1);
    expectOnlyMidi1Frames(ports!);
  });

  it("a session resumed from a UMP link onto a 4 KB port takes the port's payload limit on both sides", async () => {
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
    closers.push(async () => {
      await client.close();
      await authority.close();
    });
    const [mine, theirs] = loopbackLinkPair({ names: ['client', 'authority'] });
    authority.accept(theirs);
    const reconnect = (): Promise<Midi1Link> => {
      const ports = midi1PortPair({ maxMessageBytes: 4096 }, ['client', 'authority']);
      authority.accept(midi1Link(ports.ports[1]));
      return Promise.resolve(midi1Link(ports.ports[0]));
    };
    await client.connect(mine, { reconnect });
    const before = client.stats().peers[0]!.maxPayload;
    const limit = payloadWithinSysEx7(4096);
    expect(before).toBeGreaterThan(limit);
    await mine.close();
    await until(() => client.stats().resumes === 1, 5_000, 'the resume');
    expect(client.stats().peers.map((p) => p.maxPayload)).toEqual([limit]);
    await until(() => authority.stats().peers.length === 1, 2_000, 'one session on the authority');
    expect(authority.stats().peers.map((p) => p.maxPayload)).toEqual([limit]);
    const write = topics['gpu/buffer.write'];
    await expect(client.publish(write, { ...write.payload.example(), data: new Uint8Array(limit) }, { qos: 'at_least_once' })).rejects.toMatchObject({
      name: 'BusError',
      code: 'too-large',
    });
  });

  it('exactly-once messages all arrive, each once, through a port that loses 5 % of messages', async () => {
    const { authority, client, pair } = await busPair({ loss: 0.05, seed: 7, chunkBytes: 64 });
    const dispatch = topics['gpu/job.dispatch'];
    expect(dispatch.qos).not.toBe('at_most_once');
    const seen: string[] = [];
    await authority.subscribe(dispatch, (v) => void seen.push(v.label ?? '')).ready;
    const jobs = Array.from({ length: 100 }, (_, i) => ({ ...dispatch.payload.example(), label: `job-${i}` }));
    await Promise.all(jobs.map((j) => client.publish(dispatch, j)));
    await until(() => seen.length === jobs.length, 20_000, 'every job');
    // The topic is exactly-once: each job once, whatever was lost and sent again.
    expect([...seen].sort()).toEqual(jobs.map((j) => j.label).sort());
    expect(pair.wire[0].lost + pair.wire[1].lost).toBeGreaterThan(0);
    expect(pair.wire.flatMap((d) => d.errors)).toEqual([]);
  });
});
