import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, loopbackLinkPair, type Delivery, type EnvelopeHeader, type JsonValue } from '../../runtime/index.ts';
import { ControlKind, type Control } from '../../runtime/lanes/control.ts';
import { checkHeader } from '../../runtime/envelope/header.ts';
import { encodeFlexFrame } from '../../runtime/lanes/flex-frame.ts';
import { FrameKind } from '../../runtime/lanes/frame.ts';
import { topics } from '../../generated/registry.ts';
import { Capabilities } from '../../generated/capabilities.ts';
import { rejection } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { registry, until } from './network-peers.ts';
import { RawPeer } from './raw-peer.ts';

/**
 * Nothing forged reaches a handler: received values are held to the schema's constraints, a reply is
 * taken only from a peer the request went to that may serve the topic, and a data frame whose envelope
 * claims to be a chunk of a larger message is refused. Each attack is built from the lane's own frame
 * format by a hand-driven peer (RawPeer), and legitimate traffic in the same session keeps working.
 */

const bufferData = topics['gpu/buffer.data/{corr}'];
const pipeline = topics['gpu/pipeline.create'];
const toolInvoke = topics['llm/tool.invoke'];
const bit = (name: keyof typeof Capabilities) => 1n << BigInt(Capabilities[name].bit);
const ALL = (1n << 64n) - 1n;

const busErrors = collectBusErrors();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const bus of open.splice(0).reverse()) await bus.close();
});

function newBus(name: string, capabilities = ALL): NetworkBus {
  const bus = new NetworkBus({ name, ...registry, capabilities, onError: busErrors.for(name) });
  open.push(bus);
  return bus;
}

/** A client bus connected to `authority` over an in-process link, asking for `capabilities`. */
async function newClient(authority: NetworkBus, name: string, capabilities: bigint): Promise<NetworkBus> {
  const client = newBus(name, capabilities);
  const [mine, theirs] = loopbackLinkPair({ names: [name, authority.name] });
  authority.accept(theirs);
  await client.connect(mine);
  return client;
}

function nackOf(c: Control): { reason: string; message: string } {
  if (c.kind !== ControlKind.Nack) throw new Error(`expected a NACK, got control kind ${c.kind}`);
  return { reason: c.reason, message: c.message };
}

const goodChunk = () => ({ ...bufferData.payload.example(), bufferId: 'buf-1', chunkTotal: 1 });

describe('received values are held to the schema constraints', () => {
  it('a published value breaking pattern, min or maxLength is refused as invalid-payload naming the field; valid ones are delivered', async () => {
    const authority = newBus('authority');
    const got: unknown[] = [];
    authority.subscribe(bufferData, (v) => void got.push(v));
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    const send = (seq: bigint, value: ReturnType<typeof goodChunk>) =>
      raw.data(FrameKind.Publish, seq, 'gpu/buffer.data/7', raw.header(bufferData.id), bufferData.payload.encode(value));
    send(1n, { ...goodChunk(), bufferId: '../etc/passwd' });
    send(2n, goodChunk());
    send(3n, { ...goodChunk(), chunkTotal: 0 });
    send(4n, { ...goodChunk(), data: new Uint8Array(49_153) });
    send(5n, goodChunk());
    const answers = await Promise.all([1n, 2n, 3n, 4n, 5n].map((s) => raw.answerTo(s)));
    expect(nackOf(answers[0]!)).toMatchObject({ reason: 'invalid-payload', message: expect.stringMatching(/\/bufferId .*pattern/) as unknown });
    expect(answers[1]!.kind).toBe(ControlKind.Ack);
    expect(nackOf(answers[2]!)).toMatchObject({ reason: 'invalid-payload', message: expect.stringMatching(/\/chunkTotal .*from 1/) as unknown });
    expect(nackOf(answers[3]!)).toMatchObject({ reason: 'invalid-payload', message: expect.stringMatching(/\/data .*49152/) as unknown });
    expect(answers[4]!.kind).toBe(ControlKind.Ack);
    await authority.drain();
    expect(got).toHaveLength(2);
    expect(got.every((v) => (v as { bufferId: string }).bufferId === 'buf-1')).toBe(true);
  });

  it('a request breaking its constraints never reaches the responder', async () => {
    const authority = newBus('authority');
    const served: string[] = [];
    authority.serve(pipeline, (v) => (served.push(v.entryPoint), pipeline.reply!.example()));
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    const value = pipeline.payload.example();
    raw.data(FrameKind.Request, 1n, pipeline.address, raw.header(pipeline.id, { corrId: 1n }), pipeline.payload.encode({ ...value, entryPoint: '1; drop' }));
    raw.data(FrameKind.Request, 2n, pipeline.address, raw.header(pipeline.id, { corrId: 2n }), pipeline.payload.encode({ ...value, entryPoint: 'main' }));
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('/entryPoint') as unknown });
    expect((await raw.answerTo(2n)).kind).toBe(ControlKind.Ack);
    await until(() => served.length === 1, 2_000, 'the valid request served');
    await authority.drain();
    expect(served).toEqual(['main']);
  });

  it('a flex-lane body the codec reads but the constraints refuse is refused as invalid-payload', async () => {
    const authority = newBus('authority');
    const got: unknown[] = [];
    authority.subscribe(toolInvoke, (v) => void got.push(v));
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    const send = (seq: bigint, body: JsonValue) =>
      raw.link.send(encodeFlexFrame({ kind: FrameKind.Publish, flags: 0, seq, address: toolInvoke.address, header: raw.header(toolInvoke.id), body }));
    const good = toolInvoke.payload.toJSON({ ...toolInvoke.payload.example(), tool: 'search' }) as { [k: string]: JsonValue };
    send(1n, { ...good, tool: 'rm -rf /' });
    send(2n, good);
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('/tool') as unknown });
    expect((await raw.answerTo(2n)).kind).toBe(ControlKind.Ack);
    await authority.drain();
    expect(got).toHaveLength(1);
  });
});

describe('replies are taken only from a peer the request went to that may serve the topic', () => {
  /**
   * A broker (the authority) between a requester, a responder holding gpu.host, and an attacker. The
   * responder answers only after the attacker's forged reply was answered, so the forgery arrives first.
   */
  async function brokered(attackerCaps: bigint) {
    const broker = newBus('broker');
    const requester = await newClient(broker, 'requester', bit('gpu.admin'));
    const responder = await newClient(broker, 'responder', bit('gpu.host'));
    const raw = RawPeer.attach(broker);
    await raw.hello(attackerCaps);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const seen: Delivery[] = [];
    const real = { ...pipeline.reply!.example(), pipelineId: 'real' };
    await responder.serve(pipeline, async (_v, d) => {
      seen.push(d);
      await released;
      return real;
    }).ready;
    await until(() => broker.stats().peers.some((p) => p.name === 'requester'), 2_000, 'requester');
    return { broker, requester, raw, seen, release, real };
  }

  const forge = (raw: RawPeer, seq: bigint, d: Delivery, header: Partial<EnvelopeHeader> = {}) =>
    raw.data(
      FrameKind.Reply,
      seq,
      d.replyTo!,
      raw.header(pipeline.id, { corrId: d.corr, ...header }),
      pipeline.reply!.encode({ ...pipeline.reply!.example(), pipelineId: 'forged' }),
    );

  it('a session without the serve capability is refused as forbidden at the broker; the real reply settles the request', async () => {
    const { broker, requester, raw, seen, release, real } = await brokered(bit('telemetry.read'));
    const answer = requester.request(pipeline, pipeline.payload.example());
    await until(() => seen.length === 1, 2_000, 'the request at the responder');
    forge(raw, 1n, seen[0]!);
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'forbidden' });
    release();
    await expect(answer).resolves.toMatchObject({ pipelineId: real.pipelineId });
    await broker.flush();
    expect(broker.stats().topics.find((t) => t.topicId === pipeline.id)?.quarantined).toBe(1);
  });

  it('a session that may serve the topic but was not asked is refused as forbidden', async () => {
    const { broker, requester, raw, seen, release, real } = await brokered(bit('gpu.host'));
    const answer = requester.request(pipeline, pipeline.payload.example());
    await until(() => seen.length === 1, 2_000, 'the request at the responder');
    forge(raw, 1n, seen[0]!);
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'forbidden', message: expect.stringContaining('not sent') as unknown });
    release();
    await expect(answer).resolves.toMatchObject({ pipelineId: real.pipelineId });
    await broker.flush();
  });

  it('at a requester that is the authority, a reply from a peer it did not ask is refused', async () => {
    const authority = newBus('authority');
    const responder = await newClient(authority, 'responder', bit('gpu.host'));
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const seen: Delivery[] = [];
    await responder.serve(pipeline, async (_v, d) => {
      seen.push(d);
      await released;
      return { ...pipeline.reply!.example(), pipelineId: 'real' };
    }).ready;
    const answer = authority.request(pipeline, pipeline.payload.example());
    await until(() => seen.length === 1, 2_000, 'the request at the responder');
    forge(raw, 1n, seen[0]!);
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'forbidden' });
    release();
    await expect(answer).resolves.toMatchObject({ pipelineId: 'real' });
  });

  it('a reply breaking the reply type constraints fails the request with invalid-payload at once, naming the field', async () => {
    const broker = newBus('broker');
    const requester = await newClient(broker, 'requester', bit('gpu.admin'));
    const raw = RawPeer.attach(broker);
    await raw.hello(bit('gpu.host'));
    raw.control({ kind: ControlKind.Subscribe, subId: 1, topicId: pipeline.id, pattern: pipeline.address });
    await until(() => raw.controls.some((c) => c.kind === ControlKind.Subscribed), 2_000, 'SUBSCRIBED');
    await until(() => requester.stats().peers[0]!.state === 'established', 2_000, 'requester');
    const refused = rejection(requester.request(pipeline, pipeline.payload.example(), { timeoutMs: 3_000 }));
    await until(() => raw.frames.some((f) => f.kind === FrameKind.Request), 2_000, 'the request at the raw responder');
    const { address, envelope, seq } = raw.frames.find((f) => f.kind === FrameKind.Request)!;
    const corr = envelope.header.corrId;
    raw.control({ kind: ControlKind.Ack, floor: seq, seqs: [] });
    raw.data(
      FrameKind.Reply,
      1n,
      `${address}/reply/${corr}`,
      raw.header(pipeline.id, { corrId: corr }),
      pipeline.reply!.encode({ ...pipeline.reply!.example(), pipelineId: '' }),
    );
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('/pipelineId') as unknown });
    const err = await refused;
    expect(err.code).toBe('invalid-payload');
    expect(err.message).toContain('/pipelineId');
    await broker.flush();
  });
});

describe('a data frame carries its whole message: chunk blocks are refused', () => {
  const payload = () => bufferData.payload.encode(goodChunk());

  it('chunk 0 of 2^31-1 with CRC 0, and chunk 1 of 2 with a bad CRC, are refused as invalid-payload and never delivered', async () => {
    const authority = newBus('authority');
    const got: unknown[] = [];
    authority.subscribe(bufferData, (v) => void got.push(v));
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    const bytes = payload();
    const send = (seq: bigint, chunk?: EnvelopeHeader['chunk']) =>
      raw.data(FrameKind.Publish, seq, 'gpu/buffer.data/1', raw.header(bufferData.id, { chunk }), bytes);
    send(1n, { index: 0, total: 2 ** 31 - 1, size: 2 ** 31 - 1, crc32: 0 });
    send(2n, { index: 1, total: 2, size: 2 * bytes.length, crc32: 0xdeadbeef });
    send(3n);
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('chunk 0 of 2147483647') as unknown });
    expect(nackOf(await raw.answerTo(2n))).toMatchObject({ reason: 'invalid-payload', message: expect.stringContaining('chunk 1 of 2') as unknown });
    expect((await raw.answerTo(3n)).kind).toBe(ControlKind.Ack);
    await authority.drain();
    expect(got).toHaveLength(1);
  });

  it('a chunked reply is refused and does not settle the request', async () => {
    const authority = newBus('authority');
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    raw.control({ kind: ControlKind.Subscribe, subId: 1, topicId: pipeline.id, pattern: pipeline.address });
    await until(() => raw.controls.some((c) => c.kind === ControlKind.Subscribed), 2_000, 'SUBSCRIBED');
    const request = authority.request(pipeline, pipeline.payload.example(), { timeoutMs: 3_000 });
    await until(() => raw.frames.some((f) => f.kind === FrameKind.Request), 2_000, 'the request at the raw responder');
    const { address, envelope, seq } = raw.frames.find((f) => f.kind === FrameKind.Request)!;
    const corr = envelope.header.corrId;
    raw.control({ kind: ControlKind.Ack, floor: seq, seqs: [] });
    const reply = pipeline.reply!.encode(pipeline.reply!.example());
    const at = `${address}/reply/${corr}`;
    raw.data(FrameKind.Reply, 1n, at, raw.header(pipeline.id, { corrId: corr, chunk: { index: 0, total: 2, size: 2 * reply.length, crc32: 0 } }), reply);
    expect(nackOf(await raw.answerTo(1n))).toMatchObject({ reason: 'invalid-payload' });
    raw.data(FrameKind.Reply, 2n, at, raw.header(pipeline.id, { corrId: corr }), reply);
    expect((await raw.answerTo(2n)).kind).toBe(ControlKind.Ack);
    await expect(request).resolves.toEqual(pipeline.reply!.example());
  });

  it('property: whatever chunk block a frame claims, it is refused and never delivered; unchunked frames between them are', async () => {
    const authority = newBus('authority');
    const got: unknown[] = [];
    authority.subscribe(bufferData, (v) => void got.push(v));
    const raw = RawPeer.attach(authority);
    await raw.hello(ALL);
    const bytes = payload();
    // Chunk blocks the envelope decoder itself accepts, so it is the bus that has to refuse them.
    const chunk = fc
      .record({ size: fc.integer({ min: bytes.length, max: 0xffff_ffff }), crc32: fc.integer({ min: 0, max: 0xffff_ffff }) })
      .chain(({ size, crc32 }) =>
        fc
          .integer({ min: 1, max: size })
          .chain((total) =>
            fc.record({ index: fc.integer({ min: 0, max: total - 1 }), total: fc.constant(total), size: fc.constant(size), crc32: fc.constant(crc32) }),
          ),
      )
      .filter((c) => checkHeader(raw.header(bufferData.id, { chunk: c }), bytes.length) === null);
    let seq = 0n;
    let delivered = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(chunk, { nil: undefined }), { minLength: 1, maxLength: 6 }), async (claims) => {
        const sent = claims.map((c) => {
          seq++;
          raw.data(FrameKind.Publish, seq, 'gpu/buffer.data/1', raw.header(bufferData.id, { chunk: c }), bytes);
          return { seq, chunked: c !== undefined };
        });
        for (const s of sent) {
          const answer = await raw.answerTo(s.seq);
          if (s.chunked) expect(nackOf(answer).reason).toBe('invalid-payload');
          else expect(answer.kind).toBe(ControlKind.Ack);
        }
        delivered += sent.filter((s) => !s.chunked).length;
        await authority.drain();
        expect(got).toHaveLength(delivered);
      }),
      { numRuns: 40 },
    );
  });
});

describe('a refusal quoting hostile input still fits its NACK', () => {
  it('a NACK message of any length is clipped under the control string bound, never splitting a surrogate pair', async () => {
    const { Inbox } = await import('../../runtime/bus/inbox.ts');
    const { PeerMeter } = await import('../../runtime/bus/peer-meter.ts');
    const { encodeControl, decodeControl } = await import('../../runtime/lanes/control.ts');
    const sent: Control[] = [];
    const inbox = new Inbox((c) => void sent.push(c), 16, 5, new PeerMeter());
    for (const message of ['/'.repeat(100_000), '😀'.repeat(50_000), `x${'😀'.repeat(50_000)}`, 'short']) {
      inbox.nack(1n, 'invalid-payload', message);
      const frame = encodeControl(sent.at(-1)!);
      const back = nackOf(decodeControl(frame.subarray(3, frame.length - 4)));
      expect(back.message).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      expect(message.startsWith(back.message.replace(/…$/, ''))).toBe(true);
    }
    expect(nackOf(sent.at(-1)!).message).toBe('short');
  });
});
