import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError, type LinkDown } from '../../../runtime/transports/link.ts';
import { Nm2Endpoint, parseUdpUrl, connectNm2, type Nm2EndpointOptions, type Nm2Link } from '../../../runtime/transports/nm2/index.ts';
import { until as poll } from '../../helpers/until.ts';
import { hex, rawPeer, type RawPeer } from './raw-peer.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function endpoint(options: Partial<Nm2EndpointOptions> = {}): Promise<Nm2Endpoint> {
  const e = await Nm2Endpoint.listen({ name: 'midl test', productInstanceId: 'PIID42', ...options });
  cleanup.push(() => e.close());
  return e;
}
async function peer(): Promise<RawPeer> {
  const p = await rawPeer();
  cleanup.push(() => p.close());
  return p;
}
const until = (cond: () => boolean, ms = 2000): Promise<void> => poll(cond, ms, 'condition', 2);
const word = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
/** "midl test" / "PIID42" as our Accepted carries them: padded to the word, no terminator. */
const ACCEPTED = '4D494449 10050300 6D69646C 20746573 74000000 50494944 34320000';
/** Invitation "peer"/"pp" built by hand: name 1 word, PIID 1 word, capabilities `caps`. */
const invitation = (caps = 0) => hex(`4D494449 010201${caps.toString(16).padStart(2, '0')} 70656572 70700000`);

async function established(e: Nm2Endpoint, p: RawPeer): Promise<Nm2Link> {
  const link = new Promise<Nm2Link>((resolve) => e.onSession(resolve));
  p.send(invitation(), e.port);
  expect(await p.next()).toBe(ACCEPTED);
  return link;
}

describe('Nm2Endpoint with hand-built datagrams', () => {
  it('answers an Invitation with Accepted carrying our name and PIID, and announces the session', async () => {
    const e = await endpoint();
    const p = await peer();
    const link = await established(e, p);
    expect(link.peerName).toBe('peer');
    expect(link.peerProductInstanceId).toBe('pp');
    expect(link.remote).toEqual({ host: '127.0.0.1', port: p.port });
    expect(link.isOpen).toBe(true);
  });

  it('reads an amidi2net-style Invitation (NUL terminator word)', async () => {
    const e = await endpoint();
    const p = await peer();
    const link = new Promise<Nm2Link>((resolve) => e.onSession(resolve));
    p.send(hex('4D494449 01030200 6D69646C 00000000 70310000'), e.port);
    expect(await p.next()).toBe(ACCEPTED);
    expect((await link).peerName).toBe('midl');
  });

  it('answers Ping with a Ping Reply of the same id (in session and outside)', async () => {
    const e = await endpoint();
    const p = await peer();
    p.send(hex('4D494449 20010000 12345678'), e.port);
    expect(await p.next()).toBe('4D494449 21010000 12345678');
    await established(e, p);
    p.send(hex('4D494449 20010000 12345678'), e.port);
    expect(await p.next()).toBe('4D494449 21010000 12345678');
  });

  it('delivers UMP Data seq 1 with a MIDI 2.0 Note On as 40903C00 FFFF0000', async () => {
    const e = await endpoint();
    const p = await peer();
    const link = await established(e, p);
    const got: string[] = [];
    link.onReceive((w) => got.push([...w].map(word).join(' ')));
    p.send(hex('4D494449 FF020001 40903C00 FFFF0000'), e.port);
    await until(() => got.length > 0);
    expect(got).toEqual(['40903C00 FFFF0000']);
    // The same command again (an FEC copy) is dropped; the next seq is delivered.
    p.send(hex('4D494449 FF020001 40903C00 FFFF0000 FF010002 20903C40'), e.port);
    await until(() => got.length > 1);
    expect(got).toEqual(['40903C00 FFFF0000', '20903C40']);
    expect(e.stats().fecDuplicatesDropped).toBe(1);
  });

  it('answers Bye with Bye Reply and the link goes down "bye"', async () => {
    const e = await endpoint();
    const p = await peer();
    const link = await established(e, p);
    const down = new Promise<LinkDown>((resolve) => link.onDown(resolve));
    p.send(hex('4D494449 F0000100'), e.port);
    expect(await p.next()).toBe('4D494449 F1000000');
    expect((await down).reason).toBe('bye');
    expect(link.isOpen).toBe(false);
    expect(() => link.send(Uint32Array.of(0x20903c40))).toThrow(/closed/);
    expect(e.stats().sessions).toBe(0);
  });

  it('answers strangers: UMP Data → Bye 0x05, unknown code → NAK 0x01, a malformed command → NAK 0x03, a NAK → nothing', async () => {
    const e = await endpoint();
    const p = await peer();
    p.send(hex('4D494449 FF020001 40903C00 FFFF0000'), e.port);
    expect(await p.next()).toBe('4D494449 F0000500');
    p.send(hex('4D494449 55000000'), e.port);
    expect(await p.next()).toBe('4D494449 8F010100 55000000');
    p.send(hex('4D494449 02010000 00000000'), e.port);
    expect(await p.next()).toBe('4D494449 8F010300 02010000');
    p.send(hex('4D494449 8F010100 55000000'), e.port);
    p.send(hex('4D494449 8E000000'), e.port); // an unknown code that looks like a NAK is still NAK'd
    expect(await p.next()).toBe('4D494449 8F010100 8E000000');
    expect(e.stats().sessions).toBe(0);
  });

  it('counts every datagram and its bytes in and out, unreadable ones included (bytesIn / bytesOut)', async () => {
    // No pings from the session while the exchange runs, so every datagram is one of ours or its answer.
    const e = await endpoint({ pingIntervalMs: 60_000 });
    const p = await peer();
    expect(e.stats()).toMatchObject({ datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0 });
    p.send(hex('DEADBEEF'), e.port); // 4 B, bad signature: counted in, not answered
    p.send(hex('4D494449 20010000 12345678'), e.port); // 12 B Ping → 12 B Ping Reply
    expect(await p.next()).toBe('4D494449 21010000 12345678');
    p.send(hex('4D494449 55000000'), e.port); // 8 B unknown code → 12 B NAK
    expect(await p.next()).toBe('4D494449 8F010100 55000000');
    await established(e, p); // 16 B Invitation → 28 B Accepted
    p.send(hex('4D494449 FF020001 40903C00 FFFF0000'), e.port); // 16 B UMP Data: delivered, not answered
    p.send(hex('4D494449 F0000100'), e.port); // 8 B Bye → 8 B Bye Reply
    expect(await p.next()).toBe('4D494449 F1000000');
    expect(e.stats()).toMatchObject({ datagramsIn: 6, bytesIn: 4 + 12 + 8 + 16 + 16 + 8, datagramsOut: 4, bytesOut: 12 + 12 + 28 + 8, commandsDelivered: 1 });
  });

  it('authenticates with a shared secret: right digest → Accepted; wrong ones → Auth Required retry, then Bye 0x43', async () => {
    const e = await endpoint({ secret: 's3cret' });
    const p = await peer();
    const challenge = (h: string) => {
      const words = h.split(' ');
      return Buffer.from(words.slice(2, 6).join(''), 'hex'); // the 16-byte nonce after the header
    };
    const authInvite = (digest: Buffer) => Buffer.concat([hex('4D494449 02080000'), digest]);
    const digestOf = (nonce: Buffer, secret: string) => createHash('sha256').update(nonce).update(secret).digest();

    // Without the capability bit the challenge still comes: it says what the endpoint requires, and an
    // inviter that cannot answer it ends with Bye 0x45 itself.
    p.send(invitation(0), e.port);
    expect((await p.next()).slice(0, 17)).toBe('4D494449 12090300');

    p.send(invitation(1), e.port);
    const first = await p.next();
    expect(first.startsWith('4D494449 12')).toBe(true);
    expect(first.split(' ')[1]!.slice(6)).toBe('00'); // state 0: first challenge
    const nonce = challenge(first);
    p.send(authInvite(digestOf(nonce, 'wrong')), e.port);
    const retry = await p.next();
    expect(retry.split(' ')[1]!.slice(0, 2)).toBe('12');
    expect(retry.split(' ')[1]!.slice(6)).toBe('01');
    const nonce2 = challenge(retry);
    expect(nonce2.equals(nonce)).toBe(false); // a fresh nonce for each try
    const link = new Promise<Nm2Link>((resolve) => e.onSession(resolve));
    p.send(authInvite(digestOf(nonce2, 's3cret')), e.port);
    expect(await p.next()).toBe(ACCEPTED);
    expect((await link).peerName).toBe('peer');

    const q = await peer();
    q.send(invitation(1), e.port);
    let h = await q.next();
    for (let i = 0; i < 3; i++) {
      q.send(authInvite(digestOf(challenge(h), 'wrong')), e.port);
      h = await q.next();
    }
    expect(h).toBe('4D494449 F0004300');
  });

  it('refuses invitations past maxSessions with Bye 0x40', async () => {
    const e = await endpoint({ maxSessions: 1 });
    await established(e, await peer());
    const q = await peer();
    q.send(invitation(), e.port);
    expect(await q.next()).toBe('4D494449 F0004000');
  });
});

describe('Nm2Endpoint ↔ Nm2Endpoint', () => {
  it('connects, exchanges packets both ways, pings, and closes with Bye / Bye Reply', async () => {
    const a = await endpoint({ name: 'a', pingIntervalMs: 20 });
    const b = await endpoint({ name: 'b' });
    const accepted = new Promise<Nm2Link>((resolve) => b.onSession(resolve));
    const la = await a.connect('127.0.0.1', b.port);
    const lb = await accepted;
    expect(la.peerName).toBe('b');
    expect(lb.peerName).toBe('a');
    expect(la.description).toBe(`udp://127.0.0.1:${b.port} "b"`);
    const atB: number[] = [];
    const atA: number[] = [];
    lb.onReceive((w) => atB.push(...w));
    la.onReceive((w) => atA.push(...w));
    la.send(Uint32Array.of(0x20903c40, 0x40903c00, 0xffff0000));
    lb.send(Uint32Array.of(0x20803c40));
    await until(() => atB.length === 3 && atA.length === 1);
    expect(atB).toEqual([0x20903c40, 0x40903c00, 0xffff0000]);
    expect(() => la.send(Uint32Array.of(0x40903c00))).toThrow(RangeError);
    await new Promise((r) => setTimeout(r, 60));
    const down = new Promise<LinkDown>((resolve) => lb.onDown(resolve));
    await la.close();
    expect((await down).reason).toBe('bye');
    expect(la.isOpen).toBe(false);
    expect(a.stats().sessions + b.stats().sessions).toBe(0);
  });

  it('fails a connect with a wrong or missing secret as auth-failed, a silent peer as timeout', async () => {
    const b = await endpoint({ name: 'b', secret: 'right' });
    const a = await endpoint({ name: 'a' });
    await expect(a.connect('127.0.0.1', b.port, { secret: 'wrong' })).rejects.toMatchObject({ code: 'auth-failed' });
    await expect(a.connect('127.0.0.1', b.port)).rejects.toMatchObject({ code: 'auth-failed' });
    const ok = await a.connect('127.0.0.1', b.port, { secret: 'right' });
    expect(ok.peerName).toBe('b');
    const silent = await peer();
    await expect(a.connect('127.0.0.1', silent.port, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('takes a silent peer down as timeout with Bye 0x04', async () => {
    const e = await endpoint({ timeoutMs: 80, pingIntervalMs: 20 });
    const p = await peer();
    const link = await established(e, p);
    const down = new Promise<LinkDown>((resolve) => link.onDown(resolve));
    expect((await down).reason).toBe('timeout');
    await until(() => p.received().includes('4D494449 F0000400'));
    // Closing a link that is already down resolves at once (it has nothing left to say Bye to).
    await expect(Promise.race([link.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 1_000))])).resolves.toBe('closed');
  });

  it('connectNm2 binds its own endpoint and parseUdpUrl checks addresses', async () => {
    const b = await endpoint({ name: 'b' });
    const link = await connectNm2(`udp://127.0.0.1:${b.port}`, { name: 'client' });
    expect(link.peerName).toBe('b');
    await link.close();
    expect(parseUdpUrl('udp://[::1]:5673')).toEqual({ host: '::1', port: 5673 });
    expect(parseUdpUrl('udp://host.local:5004')).toEqual({ host: 'host.local', port: 5004 });
    for (const bad of ['tcp://a:1', 'udp://a', 'udp://a:0', 'udp://a:70000', 'udp://:5', 'udp://a:5/x'])
      expect(() => parseUdpUrl(bad)).toThrow(expect.objectContaining({ code: 'bad-url' }));
  });
});

describe('Nm2Endpoint under fuzzing', () => {
  it('survives random and mutated datagrams; an established session keeps working', async () => {
    const errors: unknown[] = [];
    const e = await endpoint({ onError: (err) => errors.push(err) });
    const p = await peer();
    const link = await established(e, p);
    const got: number[] = [];
    link.onReceive((w) => got.push(...w));
    const fuzzer = await peer();
    const valid = [
      '4D494449 01020100 70656572 70700000',
      '4D494449 20010000 12345678',
      '4D494449 FF020001 40903C00 FFFF0000',
      '4D494449 80010005 00000000',
      '4D494449 12050000 00000000 00000000 00000000 00000000 6E000000',
      '4D494449 F0000100',
    ].map((h) => hex(h));
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([d, flips]) => {
        const m = Uint8Array.from(d);
        for (const [at, v] of flips) m[4 + (at % Math.max(1, m.length - 4))] = v;
        return m;
      }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([0x4d, 0x49, 0x44, 0x49, ...b])),
    );
    const samples = fc.sample(datagram, { numRuns: 400, seed: 7 });
    for (const [i, d] of samples.entries()) {
      fuzzer.send(d, e.port);
      // The established peer's own address is fuzzed too, but only with commands that cannot end it.
      if (i % 40 === 0) p.send(hex('4D494449 55000000 FF010009'), e.port);
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(link.isOpen).toBe(true);
    p.send(hex('4D494449 20010000 CAFEF00D'), e.port);
    await p.next((h) => h.includes('21010000 CAFEF00D'));
    p.send(hex('4D494449 FF020001 40903C00 FFFF0000'), e.port);
    await until(() => got.length >= 2);
    expect(got.slice(0, 2)).toEqual([0x40903c00, 0xffff0000]);
    expect(e.stats().datagramsIn).toBeGreaterThan(400);
    // Each malformed command is counted and reported as a refusal naming its sender; nothing else went wrong.
    const { malformed } = e.stats();
    expect(errors).toHaveLength(malformed);
    const refusals = (port: number) =>
      errors.filter(
        (err): err is TransportError => err instanceof TransportError && err.code === 'refused' && err.message.startsWith(`NM2 from 127.0.0.1:${port}: `),
      );
    // The established peer's 10 datagrams each held an unknown command and a UMP Data that claims a word it lacks.
    expect(
      refusals(p.port)
        .map((err) => err.message.split(': ')[1])
        .sort(),
    ).toEqual([...Array<string>(10).fill('length-past-end'), ...Array<string>(10).fill('unknown-code')]);
    // How many of the fuzzer's datagrams are malformed is up to the seeded sample; all the rest came from it.
    expect(refusals(fuzzer.port).length).toBeGreaterThan(0);
    expect(refusals(fuzzer.port).length + refusals(p.port).length).toBe(malformed);
  });
});
