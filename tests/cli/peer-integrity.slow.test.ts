import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, type Delivery } from '../../runtime/index.ts';
import { ControlKind, type Control } from '../../runtime/lanes/control.ts';
import { FrameKind } from '../../runtime/lanes/frame.ts';
import { connectNm2 } from '../../runtime/transports/index.ts';
import { loadSchema } from '../../cli/schema-runtime.ts';
import { busWarnings, removeTempProjects, tempProject } from '../helpers/cli.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { until } from '../helpers/until.ts';
import { RawPeer } from '../bus/raw-peer.ts';

/**
 * Issue 10 #5, #6, #7 against a real `midl peer --record` over Network MIDI 2.0 on 127.0.0.1: a
 * hand-driven session sends frames no midl sender would (values breaking the schema, a chunk block, a
 * reply it was never asked for), and the peer refuses each with a typed NACK, never prints or records
 * them, and keeps serving the legitimate traffic of the same and other sessions.
 */
const SCHEMA = `package strict.test;
version "1.0.0";

/// May publish and ask.
capability strict.send = 1;
/// May serve questions.
capability strict.serve = 2;

/// A job with constraints.
struct Job {
  /// At most 100.
  n: u32 @1 (max = 100);
  /// Lower-case words.
  note: string @2 (maxLength = 8, pattern = "^[a-z ]*$");
}

/// An answer that must start with ok.
struct Answer {
  /// The answer text.
  text: string @1 (pattern = "^ok");
}

/// Jobs.
topic strict/job {
  payload: Job;
  qos: at_least_once;
  publish: strict.send;
}

/// Questions, served by strict.serve.
topic strict/ask {
  payload: Job;
  reply: Answer;
  qos: at_least_once;
  publish: strict.send;
  subscribe: strict.serve;
}
`;

const dir = tempProject({ 'strict.midl': SCHEMA });
const schemaPath = join(dir, 'strict.midl');
const busErrors = collectBusErrors();
const buses: NetworkBus[] = [];
afterEach(async () => {
  for (const b of buses.splice(0)) await b.close();
  await killAll();
});
afterAll(() => removeTempProjects());

const nack = (c: Control) => (c.kind === ControlKind.Nack ? { reason: c.reason, message: c.message } : { ack: c.kind });

describe('midl peer refuses forged traffic', () => {
  it('values breaking the schema and chunk blocks are NACKed and never recorded; a forged reply does not settle a request', async () => {
    const loaded = (await loadSchema(schemaPath))!;
    const byAddress = (a: string) => loaded.topics.find((t) => t.address === a)!;
    const job = byAddress('strict/job');
    const ask = byAddress('strict/ask');
    const bit = (name: string) => loaded.capabilities[name]!.mask;
    const record = join(dir, 'rec.jsonl');
    const peer = await startPeer(['--schema', schemaPath, '--record', record]);

    // ── values and chunk blocks, from a hand-driven session ──
    const raw = new RawPeer(await connectNm2(peer.url, { name: 'raw' }));
    expect((await raw.hello(bit('strict.send'))).kind).toBe(ControlKind.Welcome);
    const send = (seq: bigint, value: unknown, chunk?: { index: number; total: number; size: number; crc32: number }) =>
      raw.data(FrameKind.Publish, seq, 'strict/job', raw.header(job.id, { schemaMajor: 1, schemaMinor: 0, chunk }), job.payload.encode(value));
    send(1n, { n: 101, note: 'ok' });
    send(2n, { n: 1, note: 'DROP TABLE' });
    send(3n, { n: 2, note: 'fine' }, { index: 0, total: 2 ** 31 - 1, size: 2 ** 31 - 1, crc32: 0 });
    send(4n, { n: 3, note: 'fine' });
    expect(nack(await raw.answerTo(1n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('/n ') as unknown });
    expect(nack(await raw.answerTo(2n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('/note ') as unknown });
    expect(nack(await raw.answerTo(3n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('chunk 0 of 2147483647') as unknown });
    expect(nack(await raw.answerTo(4n))).toEqual({ ack: ControlKind.Ack });
    await until(() => peer.lines().length >= 1, 5_000, 'the valid job printed');

    // ── a forged reply: a requester and a responder as real bus clients, the raw session forging ──
    const client = async (name: string, capabilities: bigint) => {
      const bus = new NetworkBus({ name, topics: loaded.topics, capabilities, onError: busErrors.for(name) });
      buses.push(bus);
      await bus.connect(await connectNm2(peer.url, { name }));
      return bus;
    };
    const responder = await client('responder', bit('strict.serve'));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const seen: Delivery[] = [];
    await responder.serve(ask as never, async (_v: unknown, d: Delivery) => {
      seen.push(d);
      await released;
      return { text: 'ok, real' };
    }).ready;
    // Connected after the responder serves, so its WELCOME already carries the responder's subscription.
    const requester = await client('requester', bit('strict.send'));
    const answer = requester.request(ask as never, { n: 5, note: 'hi' });
    await until(() => seen.length === 1, 5_000, 'the request at the responder');
    raw.data(
      FrameKind.Reply,
      5n,
      seen[0]!.replyTo!,
      raw.header(ask.id, { schemaMajor: 1, schemaMinor: 0, corrId: seen[0]!.corr }),
      ask.reply!.encode({ text: 'ok, forged' }),
    );
    expect(nack(await raw.answerTo(5n))).toMatchObject({ reason: 'forbidden' });
    release();
    await expect(answer).resolves.toEqual({ text: 'ok, real' });

    // The peer printed and recorded the valid job and the request, nothing refused.
    await until(() => peer.lines().length >= 2, 5_000, 'the request printed');
    const printed = peer.lines().map((l) => JSON.parse(l) as { topic: string; value: unknown });
    expect(printed.map((l) => [l.topic, l.value])).toEqual([
      ['strict/job', { n: 3, note: 'fine' }],
      ['strict/ask', { n: 5, note: 'hi' }],
    ]);
    const recorded = readFileSync(record, 'utf8').trim().split('\n');
    expect(recorded).toHaveLength(2);
    await raw.link.close();
    expect(busWarnings(peer.stderr())).toEqual([]);
  }, 60_000);
});
