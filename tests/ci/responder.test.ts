// The MIDI-CI responder as a state machine: what each request gets back, chunking to the asker's
// announced SysEx size, the MUID rules, profile state, and its bounds; then the link glue that picks
// group-0 MIDI-CI SysEx7 out of a link's traffic and answers on the same link.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BROADCAST_MUID,
  CiInitiator,
  CiLinkResponder,
  CiResponder,
  MIDL_PROFILE,
  SSE_PROFILE,
  SSE_PROFILE_NAME,
  PeReassembler,
  ciSysEx7Data,
  encodeCiMessage,
  encodePeHeader,
  type CiMessage,
  type CiPeMessage,
} from '../../runtime/ci/index.ts';
import { packSysEx7 } from '../../runtime/ump/index.ts';
import { ciMessageArb } from './arbitraries.ts';
import { decodeOk, sysex } from './helpers.ts';

const ASKER = 0x01234567;
const fb = { deviceId: 0x7f, version: 2 } as const;
/** A fixed random source: MUIDs 0x0ABCDEF, then 0x0123456 (and so on, cycling). */
const randoms = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};
const discovery = (maxSysExSize = 4096, source = ASKER): CiMessage => ({
  kind: 'discovery',
  ...fb,
  source,
  destination: BROADCAST_MUID,
  manufacturer: [0x7d, 0, 0],
  family: 0,
  model: 0,
  softwareRevision: [0, 0, 0, 0],
  categories: 0x0c,
  maxSysExSize,
  outputPathId: 3,
});
const peGet = (to: number, resource: string, requestId = 1, extra = {}): CiPeMessage => ({
  kind: 'pe-get',
  ...fb,
  source: ASKER,
  destination: to,
  requestId,
  header: encodePeHeader({ resource, ...extra }),
  numChunks: 1,
  thisChunk: 1,
  body: new Uint8Array(0),
});
const text = (b: Uint8Array) => String.fromCharCode(...b);

/** Joins PE reply chunks with the runtime's reassembler; returns the header and body JSON. */
function joined(replies: CiMessage[]): { header: Record<string, unknown>; body: string; chunks: number } {
  const r = new PeReassembler();
  for (const m of replies) {
    const got = r.accept(m as CiPeMessage);
    if ('code' in got) throw got;
    if (got.status === 'complete') return { header: JSON.parse(text(got.header)) as Record<string, unknown>, body: text(got.body), chunks: replies.length };
  }
  throw new Error('incomplete reply');
}

function responder(extra = {}) {
  const schema = JSON.stringify({ programs: [{ packages: [{ contentHash: 'ab'.repeat(32), note: 'caf\u00e9 ✓' }] }], pad: 'x'.repeat(3000) });
  return new CiResponder({
    random: randoms(0x0abcdef, 0x0123456),
    softwareRevision: [1, 2, 3, 0],
    resources: { 'X-MidlSchema': schema, 'X-SseTransport': '{"laneGroups":[1],"mtu":1200,"maxFlexUmps":32,"supportsSysEx8":true,"ackPeriodMs":5}' },
    ...extra,
  });
}

describe('CiResponder', () => {
  it('answers a Discovery with its identity, copies the output path id, and keeps its MUID', async () => {
    const r = responder();
    expect(r.muid).toBe(0x0abcdef);
    const [reply] = await r.handle(discovery());
    expect(reply).toEqual({
      kind: 'discovery-reply',
      ...fb,
      source: 0x0abcdef,
      destination: ASKER,
      manufacturer: [0x7d, 0, 0],
      family: 0x6d,
      model: 1,
      softwareRevision: [1, 2, 3, 0],
      categories: 0x0c,
      maxSysExSize: 4096,
      outputPathId: 3,
      functionBlock: 0x7f,
    });
    await r.handle(discovery(4096, 0x0111111));
    expect(r.muid).toBe(0x0abcdef);
  });

  it('takes a new MUID on a collision (a Discovery from its own MUID, an Invalidate MUID of it), never a reserved one', async () => {
    const r = new CiResponder({ random: randoms(0x0fffffff, 0x0ffffff0, 0x0abcdef, 0x0123456) });
    expect(r.muid).toBe(0x0abcdef);
    const [reply] = await r.handle(discovery(4096, 0x0abcdef));
    expect(r.muid).toBe(0x0123456);
    expect(reply).toMatchObject({ kind: 'discovery-reply', source: 0x0123456, destination: 0x0abcdef });
    expect(await r.handle({ kind: 'invalidate-muid', ...fb, source: ASKER, destination: BROADCAST_MUID, target: 0x0123456 })).toEqual([]);
    expect(r.muid).not.toBe(0x0123456);
    expect(r.muid).toBeLessThanOrEqual(0x0ffffeff);
  });

  it('ignores what is not addressed to it and replies meant for an initiator', async () => {
    const r = responder();
    expect(await r.handle({ kind: 'profile-inquiry', ...fb, source: ASKER, destination: 0x0555555 })).toEqual([]);
    expect(
      await r.handle({ kind: 'pe-capabilities-reply', ...fb, source: ASKER, destination: r.muid, maxRequests: 1, majorVersion: 0, minorVersion: 0 }),
    ).toEqual([]);
    expect(await r.handle({ ...discovery(), source: BROADCAST_MUID })).toEqual([]);
  });

  it('lists the midl profile enabled and the SSE profile disabled, and switches them with Set Profile On / Off', async () => {
    const r = responder();
    expect(await r.handle({ kind: 'profile-inquiry', ...fb, source: ASKER, destination: r.muid })).toEqual([
      { kind: 'profile-inquiry-reply', ...fb, source: r.muid, destination: ASKER, enabled: [MIDL_PROFILE], disabled: [SSE_PROFILE] },
    ]);
    expect(await r.handle({ kind: 'profile-inquiry', deviceId: 3, version: 2, source: ASKER, destination: r.muid })).toMatchObject([
      { enabled: [], disabled: [] },
    ]);
    expect(await r.handle({ kind: 'profile-on', ...fb, source: ASKER, destination: r.muid, profile: SSE_PROFILE, channels: 0 })).toEqual([
      { kind: 'profile-enabled', ...fb, source: r.muid, destination: BROADCAST_MUID, profile: SSE_PROFILE, channels: 0 },
    ]);
    expect(r.profileEnabled(SSE_PROFILE)).toBe(true);
    expect(await r.handle({ kind: 'profile-off', ...fb, source: ASKER, destination: r.muid, profile: MIDL_PROFILE })).toMatchObject([
      { kind: 'profile-disabled' },
    ]);
    expect(r.profileEnabled(MIDL_PROFILE)).toBe(false);
    const [nak] = await r.handle({ kind: 'profile-on', ...fb, source: ASKER, destination: r.muid, profile: [0x7e, 1, 2, 3, 4], channels: 0 });
    expect(nak).toMatchObject({ kind: 'nak', originalSubId: 0x22, statusCode: 0x04, destination: ASKER });
  });

  it("maps com.fountainai.sse to 7D 00 00 and the first two bytes of the name's SHA-256, 7 bits each", () => {
    const h = createHash('sha256').update(SSE_PROFILE_NAME).digest();
    expect(SSE_PROFILE).toEqual([0x7d, 0, 0, h[0]! & 0x7f, h[1]! & 0x7f]);
    expect(SSE_PROFILE).not.toEqual(MIDL_PROFILE);
  });

  it('answers PE Capabilities, and NAKs a message it does not support', async () => {
    const r = responder();
    expect(await r.handle({ kind: 'pe-capabilities', ...fb, source: ASKER, destination: r.muid, maxRequests: 1, majorVersion: 0, minorVersion: 0 })).toEqual([
      { kind: 'pe-capabilities-reply', ...fb, source: r.muid, destination: ASKER, maxRequests: 4, majorVersion: 0, minorVersion: 0 },
    ]);
    const [nak] = await r.handle({ kind: 'unsupported', ...fb, source: ASKER, destination: r.muid, subId: 0x40, data: new Uint8Array(0) });
    expect(nak).toMatchObject({ kind: 'nak', originalSubId: 0x40, statusCode: 0x01 });
  });

  it('serves ResourceList and DeviceInfo; 404 for an unknown resource, 405 for Set', async () => {
    const r = responder();
    const list = joined(await r.handle(peGet(r.muid, 'ResourceList')));
    expect(list.header).toEqual({ status: 200 });
    expect((JSON.parse(list.body) as { resource: string }[]).map((e) => e.resource)).toEqual(['DeviceInfo', 'X-MidlSchema', 'X-SseTransport']);
    const info = JSON.parse(joined(await r.handle(peGet(r.muid, 'DeviceInfo'))).body) as Record<string, unknown>;
    expect(info).toMatchObject({ manufacturerId: [0x7d, 0, 0], familyId: [0x6d, 0], modelId: [1, 0], versionId: [1, 2, 3, 0], version: '1.2.3' });
    expect(joined(await r.handle(peGet(r.muid, 'Nope'))).header).toMatchObject({ status: 404 });
    const set = await r.handle({ ...peGet(r.muid, 'X-MidlSchema'), kind: 'pe-set' });
    expect(set[0]!.kind).toBe('pe-set-reply');
    expect(joined(set).header).toMatchObject({ status: 405 });
  });

  it("chunks a reply to the asker's max SysEx size (512 before its Discovery), with non-ASCII escaped", async () => {
    const r = responder();
    const before = await r.handle(peGet(r.muid, 'X-MidlSchema'));
    for (const m of before) expect(encodeCiMessage(m).length + 2).toBeLessThanOrEqual(512);
    await r.handle(discovery(128));
    const small = await r.handle(peGet(r.muid, 'X-MidlSchema', 9));
    expect(small.length).toBeGreaterThan(before.length);
    for (const m of small) {
      expect(encodeCiMessage(m).length + 2).toBeLessThanOrEqual(128);
      expect(m).toMatchObject({ requestId: 9, destination: ASKER, numChunks: small.length });
    }
    const { body } = joined(small);
    expect(body).toContain('caf\\u00e9 \\u2713');
    expect((JSON.parse(body) as { programs: { packages: { note: string }[] }[] }).programs[0]!.packages[0]!.note).toBe('caf\u00e9 ✓');
  });

  it('answers in the encoding the request asks for (Mcoded7)', async () => {
    const r = responder();
    const got = joined(await r.handle(peGet(r.muid, 'X-SseTransport', 2, { mutualEncoding: 'Mcoded7' })));
    expect(got.header).toEqual({ status: 200, mutualEncoding: 'Mcoded7' });
  });

  it('NAKs PE chunks out of sequence and bounds what it remembers of askers', async () => {
    const r = responder({ maxAskers: 3 });
    const [nak] = await r.handle({ ...peGet(r.muid, 'X-MidlSchema'), numChunks: 3, thisChunk: 2 });
    expect(nak).toMatchObject({ kind: 'nak', originalSubId: 0x34, statusCode: 0x21 });
    for (let i = 0; i < 10; i++) await r.handle(discovery(4096, 0x1000 + i));
    expect(r.askerCount).toBe(3);
  });
});

describe('CiLinkResponder', () => {
  const ciWords = (m: CiMessage, group = 0) => packSysEx7(encodeCiMessage(m), { group });

  it('answers group-0 MIDI-CI on the same link and leaves everything else alone', async () => {
    const errors: unknown[] = [];
    const link = new CiLinkResponder(responder(), { onError: (e) => errors.push(e) });
    const sent: Uint32Array[] = [];
    expect(link.take(ciWords(discovery()), (w) => sent.push(w), 'test')).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toHaveLength(1);
    expect(decodeOk(ciSysEx7Data(sent[0]!)!)).toMatchObject({ kind: 'discovery-reply', destination: ASKER });
    // midl's own SysEx7 frames start 7D, CI on another group is not the CI layer's, nor is a note.
    expect(link.take(packSysEx7(sysex('7D 03 01 02'), { group: 0 }), () => sent.push(new Uint32Array(0)), 'test')).toBe(false);
    expect(link.take(ciWords(discovery(), 1), () => sent.push(new Uint32Array(0)), 'test')).toBe(false);
    expect(link.take(Uint32Array.of(0x20903c64), () => sent.push(new Uint32Array(0)), 'test')).toBe(false);
    expect(errors).toEqual([]);
  });

  it('counts hostile CI bytes and reports only the first few', () => {
    const errors: unknown[] = [];
    const link = new CiLinkResponder(responder(), { onError: (e) => errors.push(e) });
    for (let i = 0; i < 20; i++) expect(link.take(packSysEx7(sysex('7E 7F 0D 70 02 01'), { group: 0 }), () => undefined, 'test')).toBe(true);
    expect(link.malformed.get('truncated')).toBe(20);
    expect(errors).toHaveLength(5);
  });

  it('reports an answer the link refuses (it went down) and counts it', async () => {
    const errors: unknown[] = [];
    const link = new CiLinkResponder(responder(), { onError: (e) => errors.push(e) });
    const down = () => {
      throw new Error('link is down');
    };
    expect(link.take(ciWords(discovery()), down, 'test')).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(link.failed).toBe(1);
    expect(errors).toEqual([new Error('link is down')]);
  });
});

describe('CiInitiator', () => {
  it('discovers a responder and reads its profiles and resources, over UMP both ways', async () => {
    const errors: unknown[] = [];
    const side = new CiLinkResponder(responder(), { onError: (e) => errors.push(e) });
    // Each side's send is the other's receive, as over a link.
    const initiator: CiInitiator = new CiInitiator({ send: (w) => side.take(w, (back) => initiator.receive(back), 'initiator'), maxSysExSize: 256 });
    const [found] = await initiator.discover(20);
    expect(found).toMatchObject({ kind: 'discovery-reply', source: side.responder.muid, destination: initiator.muid });
    expect(await initiator.profiles(found!.source, 1_000)).toEqual({ enabled: [MIDL_PROFILE], disabled: [SSE_PROFILE] });
    const schema = await initiator.get(found!.source, 'X-MidlSchema', 1_000);
    expect(schema.header).toEqual({ status: 200 });
    expect(JSON.parse(text(schema.body))).toMatchObject({ pad: 'x'.repeat(3000) });
    expect((await initiator.get(found!.source, 'Nope', 1_000)).header).toMatchObject({ status: 404 });
    await expect(initiator.get(0x0777777, 'DeviceInfo', 30)).rejects.toThrow(/no PE Get reply for DeviceInfo from 0x0777777 within 30 ms/);
    expect(errors).toEqual([]);
  });
});

describe('CiResponder against hostile input', () => {
  it('answers every well-formed message (any kind, any fields) without throwing, each answer encodable', async () => {
    const r = responder();
    await fc.assert(
      fc.asyncProperty(ciMessageArb, fc.boolean(), async (m, toUs) => {
        const answers = await r.handle(toUs ? { ...m, destination: r.muid } : m);
        for (const a of answers) expect(encodeCiMessage(a).length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
    expect(r.askerCount).toBeLessThanOrEqual(256);
  });

  it('drops CI past maxPending requests in flight, counted', async () => {
    const errors: unknown[] = [];
    const link = new CiLinkResponder(responder(), { maxPending: 2, onError: (e) => errors.push(e) });
    const zlibGet = packSysEx7(encodeCiMessage(peGet(link.responder.muid, 'X-MidlSchema', 1, { mutualEncoding: 'zlib+Mcoded7' })), { group: 0 });
    const sent: Uint32Array[] = [];
    for (let i = 0; i < 10; i++) link.take(zlibGet, (w) => sent.push(w), 'test');
    expect(link.dropped).toBe(8);
    expect(errors).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.length).toBeGreaterThan(0);
  });
});
