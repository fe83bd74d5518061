// The lanes: each topic's frames travel on the lane its schema declares (sysex8, flex, sysex7), end to
// end on the bus, in process and over Network MIDI 2.0 on 127.0.0.1; and the lane framers themselves.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BusFrameReader,
  ControlKind,
  FrameError,
  FrameKind,
  LANE_NAMES,
  NetworkBus,
  UmpReader,
  loopbackLinkPair,
  type AnyTopicDescriptor,
  type Delivery,
  type EnvelopeHeader,
  type IncomingData,
} from '../../runtime/index.ts';
import { Nm2Endpoint, connectNm2 } from '../../runtime/transports/index.ts';
import { LANES } from '../../runtime/lanes/registry.ts';
import { compileText } from '../helpers/compile.ts';
import { removeTempProjects, tempProject } from '../helpers/cli.ts';
import { until } from '../helpers/until.ts';
import { loadSchema, type LoadedSchema } from '../../cli/schema-runtime.ts';

const SCHEMA = `/// One topic per lane.
package lanes.test;
version "1.0.0";

/// A reading.
struct Reading {
  /// Sequence number.
  n: u32 @1;
  /// Bytes with every value, so that Mcoded7 carries high bits.
  blob: bytes @2;
  /// Text.
  note: string @3;
}

/// Over SysEx7 + Mcoded7 (MIDI 1.0 transports).
topic lanes/seven/{id} {
  payload: Reading;
  reply: Reading;
  qos: at_least_once;
  lane: sysex7;
}

/// Over SysEx8.
topic lanes/eight {
  payload: Reading;
  qos: at_least_once;
  lane: sysex8;
}

/// Over Flex Data text.
topic lanes/flex {
  payload: Reading;
  qos: at_least_once;
  lane: flex;
}
`;

// Compiled once, by wiredPair or the test that needs it before `topic` reads it.
let schema: LoadedSchema | undefined;
const topic = (address: string): AnyTopicDescriptor => schema!.topics.find((t) => t.address === address)!;
const reading = (n: number) => ({ n, blob: Uint8Array.from({ length: 40 + (n % 50) }, (_, i) => (i * 37 + n) & 0xff), note: `reading ${n} ✓` });

afterAll(removeTempProjects);

/** Two buses over a loopback link pair, every send recorded as it went on the wire; errors collected. */
async function wiredPair(loss = 0): Promise<{ client: NetworkBus; authority: NetworkBus; wire: Uint32Array[]; errors: unknown[]; close(): Promise<void> }> {
  schema ??= (await loadSchema(tempProject({ 'lanes.midl': SCHEMA }) + '/lanes.midl'))!;
  const errors: unknown[] = [];
  const wire: Uint32Array[] = [];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const [a, b] = loopbackLinkPair({
    filter: (words) => {
      wire.push(words.slice());
      return !(loss > 0 && random() < loss);
    },
  });
  const options = { topics: schema.topics, intents: schema.intents, onError: (e: unknown) => void errors.push(e) };
  const authority = new NetworkBus({ name: 'authority', ...options });
  const client = new NetworkBus({ name: 'client', ...options });
  authority.accept(b);
  await client.connect(a);
  return {
    client,
    authority,
    wire,
    errors,
    close: async () => {
      await client.close();
      await authority.close();
    },
  };
}

/** The message types and groups of every packet in `chunks`. */
function packetKinds(chunks: readonly Uint32Array[]): Set<string> {
  const kinds = new Set<string>();
  for (const words of chunks) {
    for (let i = 0; i < words.length;) {
      const mt = words[i]! >>> 28;
      kinds.add(`mt${mt.toString(16)}/g${(words[i]! >>> 24) & 0xf}`);
      i += mt === 0x3 ? 2 : 4;
    }
  }
  return kinds;
}

describe('lanes on the bus', () => {
  it('the schema checker accepts exactly the lanes that have a framer, and refuses others naming them', () => {
    expect(Object.keys(LANES).sort()).toEqual([...LANE_NAMES].sort());
    const bad = compileText(`package x;\nversion "1.0.0";\n/// A.\nstruct A { /// N.\n n: u32 @1; }\n/// T.\ntopic t/a {\n  payload: A;\n  lane: sysex9;\n}\n`);
    const d = bad.diagnostics.find((x) => x.code === 'MIDL1407');
    expect(d?.message).toMatch(/sysex8 \| flex \| sysex7/);
  });

  it('a sysex7 topic travels as SysEx7 packets on group 1 (control frames stay SysEx8 on group 0), value intact', async () => {
    const p = await wiredPair();
    try {
      const seven = topic('lanes/seven/{id}');
      const got: { value: unknown; d: Delivery }[] = [];
      await p.authority.subscribe(seven, (value, d) => void got.push({ value, d })).ready;
      p.wire.length = 0;
      await p.client.publish(seven, reading(1), { params: { id: 'a' } });
      await until(() => got.length === 1, 5_000, 'the delivery');
      expect(got[0]!.value).toEqual(reading(1));
      expect(got[0]!.d.address).toBe('lanes/seven/a');
      // Data went out as SysEx7 (MT 3) on group 1; the authority's ACK came back as SysEx8 (MT 5) on group 0.
      expect(packetKinds(p.wire)).toEqual(new Set(['mt3/g1', 'mt5/g0']));
      expect(p.errors).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('each lane keeps its own carrier: sysex8 as SysEx8 on group 1, flex as Flex Data on group 1', async () => {
    const p = await wiredPair();
    try {
      const got: string[] = [];
      await p.authority.subscribe('lanes/**', (_v, d) => void got.push(d.address)).ready;
      p.wire.length = 0;
      await p.client.publish(topic('lanes/eight'), reading(2));
      await until(() => got.length === 1, 5_000, 'the sysex8 delivery');
      expect(packetKinds(p.wire)).toEqual(new Set(['mt5/g1', 'mt5/g0']));
      p.wire.length = 0;
      await p.client.publish(topic('lanes/flex'), reading(3));
      await until(() => got.length === 2, 5_000, 'the flex delivery');
      expect(packetKinds(p.wire)).toEqual(new Set(['mtd/g1', 'mt5/g0']));
      expect(p.errors).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('500 at-least-once sysex7 messages through 5 % frame loss all arrive, each once, retransmissions flagged', async () => {
    const p = await wiredPair(0.05);
    try {
      const seven = topic('lanes/seven/{id}');
      const seen = new Map<number, number>();
      await p.authority.subscribe(seven, (value) => {
        const n = (value as { n: number }).n;
        seen.set(n, (seen.get(n) ?? 0) + 1);
      }).ready;
      await Promise.all(Array.from({ length: 500 }, (_, n) => p.client.publish(seven, reading(n), { params: { id: String(n % 7) } })));
      await until(() => seen.size === 500, 20_000, 'all 500 messages');
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
      const retried = p.client.stats().topics.find((t) => t.topic === seven.address)?.retried ?? 0;
      expect(retried).toBeGreaterThan(0);
      // Copies carry the retransmission flag: read back every data frame the client put on the wire.
      const reader = new BusFrameReader({ maxFrameBytes: 1 << 20, fromJson: () => unreachable() });
      const flags = p.wire.flatMap((w) => reader.push(w)).flatMap((r) => (!(r instanceof FrameError) && r.kind === 'data' ? [r.frame.flags] : []));
      expect(flags.filter((f) => f === 1).length).toBe(retried);
      expect(p.errors).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('request and reply on a sysex7 topic over Network MIDI 2.0 (UDP on 127.0.0.1)', async () => {
    schema ??= (await loadSchema(tempProject({ 'lanes.midl': SCHEMA }) + '/lanes.midl'))!;
    const errors: unknown[] = [];
    const options = { topics: schema.topics, intents: schema.intents, onError: (e: unknown) => void errors.push(e) };
    const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'host' });
    const host = new NetworkBus({ name: 'host', ...options });
    endpoint.onSession((link) => host.accept(link));
    const app = new NetworkBus({ name: 'app', ...options });
    try {
      const seven = topic('lanes/seven/{id}');
      await host.serve(seven, (value) => ({ ...(value as ReturnType<typeof reading>), note: 'answered' })).ready;
      await app.connect(await connectNm2(`udp://127.0.0.1:${endpoint.port}`, { name: 'app' }));
      const reply: unknown = await app.request(seven, reading(9), { params: { id: 'q' }, timeoutMs: 5_000 });
      expect(reply).toEqual({ ...reading(9), note: 'answered' });
      expect(errors).toEqual([]);
    } finally {
      await app.close();
      await host.close();
      await endpoint.close();
    }
  });
});

function unreachable(): IncomingData {
  throw new Error('no flex frame expected');
}

const HEADER: EnvelopeHeader = {
  topicId: 0x1234,
  schemaMajor: 1,
  schemaMinor: 0,
  sessionId: 77,
  corrId: 5n,
  timestampUs: 1_700_000_000_000_000n,
  qos: 1,
  capabilities: 3n,
};

describe('lane framers', () => {
  const context = (max = 1 << 20) => ({ maxFrameBytes: max, fromJson: unreachable });
  const out = (payload: Uint8Array, seq = 9n) => ({
    kind: FrameKind.Publish,
    seq,
    address: 'a/b/c',
    header: HEADER,
    payload,
    maxPayloadBytes: 1 << 20,
    json: () => null,
  });

  it('sysex8 and sysex7 carry the same frame: encode → one reader → the same parts, a copy flagged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.boolean(), (payload, seq, copy) => {
        for (const lane of [LANES.sysex8, LANES.sysex7]) {
          const words = lane.encode(out(payload, seq)).packets(copy, 3);
          const read = new BusFrameReader(context()).push(words);
          expect(read).toHaveLength(1);
          const r = read[0]!;
          if (r instanceof FrameError || r.kind !== 'data')
            throw new Error(`expected a data frame, got ${r instanceof FrameError ? r.message : `a ${r.kind} frame`}`);
          expect(r.lane).toBe(lane.name);
          expect(r.frame).toMatchObject({ kind: FrameKind.Publish, seq, address: 'a/b/c', flags: copy ? 1 : 0 });
          expect(r.frame.envelope.payload).toEqual(payload);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a sysex7 frame is 7-bit SysEx `7D <sub-id>` + Mcoded7 of the very bytes (and CRC) of the sysex8 frame', () => {
    const payload = Uint8Array.from({ length: 50 }, (_, i) => 255 - i);
    const [eight] = new UmpReader().push(LANES.sysex8.encode(out(payload)).packets(false, 1));
    const [seven] = new UmpReader().push(LANES.sysex7.encode(out(payload)).packets(false, 1));
    if (!eight || !seven || !('kind' in eight) || !('kind' in seven) || eight.kind !== 'sysex8' || seven.kind !== 'sysex7')
      throw new Error('expected one message each');
    expect([...seven.data.subarray(0, 2)]).toEqual([0x7d, 0x02]);
    expect(seven.data.every((b) => b <= 0x7f)).toBe(true);
    expect([...eight.data.subarray(0, 3)]).toEqual([0x00, 0x7d, 0x02]);
  });

  it('hostile SysEx7 on the bus group: bad Mcoded7 is a FrameError, foreign SysEx7 is not a frame, nothing throws', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => x & 0x7f)),
        fc.constantFrom(0x02, 0x03, 0x01, 0x7e),
        (noise, sub) => {
          const data = Uint8Array.of(0x7d, sub, ...noise);
          const words = LANES.sysex7.encodeControl!({ kind: ControlKind.Heartbeat, sentAtUs: 1n });
          // The noise as a SysEx7 message of its own, next to a real control frame.
          const mixed = new Uint32Array([...wordsOfSysEx7(data), ...words]);
          const read = new BusFrameReader(context()).push(mixed);
          const frames = read.filter((r) => !(r instanceof FrameError));
          expect(frames.some((r) => !(r instanceof FrameError) && r.kind === 'control')).toBe(true);
          for (const r of read) if (r instanceof FrameError) expect(sub === 0x02 || sub === 0x03).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a frame over the reader bound is refused, by frame bytes, whatever the lane', () => {
    const payload = new Uint8Array(3000);
    for (const lane of [LANES.sysex8, LANES.sysex7]) {
      const read = new BusFrameReader(context(1024)).push(lane.encode(out(payload)).packets(false, 1));
      expect(read.filter((r) => !(r instanceof FrameError))).toEqual([]);
    }
  });
});

/** SysEx7 packets of arbitrary 7-bit data on group 1. */
function wordsOfSysEx7(data: Uint8Array): Uint32Array {
  const out: number[] = [];
  const n = Math.max(1, Math.ceil(data.length / 6));
  for (let p = 0; p < n; p++) {
    const chunk = data.subarray(p * 6, p * 6 + 6);
    const status = n === 1 ? 0 : p === 0 ? 1 : p === n - 1 ? 3 : 2;
    const b = [...chunk, 0, 0, 0, 0, 0, 0];
    out.push(
      ((0x3 << 28) | (1 << 24) | (status << 20) | (chunk.length << 16) | (b[0]! << 8) | b[1]!) >>> 0,
      ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0,
    );
  }
  return Uint32Array.from(out);
}
