import { afterEach, describe, expect, it } from 'vitest';
import { Nm2Endpoint, type Nm2Link } from '../../../runtime/transports/nm2/index.ts';
import { RETRANSMIT_BURST_BYTES, RETRANSMIT_REPLY_MAX_BYTES } from '../../../runtime/transports/nm2/tuning.ts';
import { startRelay } from '../../helpers/udp-relay.ts';
import { until } from '../../helpers/until.ts';
import { hex, rawPeer, type RawPeer } from './raw-peer.ts';

/**
 * A Retransmit Request is 16 bytes of UDP payload; what it asks for may be the whole retransmit buffer
 * (1024 commands of up to 260 bytes). The answer to one request, and to all of a session's requests,
 * must stay within a bound that a legitimate gap repair never meets but an amplifier always does.
 */
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const ACCEPTED_PREFIX = '4D494449 10';
/** Invitation "peer"/"pp", no capabilities, built by hand. */
const INVITATION = hex('4D494449 01020100 70656572 70700000');
/** Retransmit Request: first seq, count (0 = up to the newest). */
const retransmitRequest = (seq: number, count: number) => hex(`4D494449 8001${seq.toString(16).padStart(4, '0')} ${count.toString(16).padStart(4, '0')}0000`);

async function sessionWithRawPeer(): Promise<{ host: Nm2Endpoint; link: Nm2Link; peer: RawPeer }> {
  const host = await Nm2Endpoint.listen({ name: 'host', pingIntervalMs: 5_000, timeoutMs: 10_000 });
  cleanup.push(() => host.close());
  const peer = await rawPeer();
  cleanup.push(() => peer.close());
  const link = new Promise<Nm2Link>((resolve) => host.onSession(resolve));
  peer.send(INVITATION, host.port);
  expect(await peer.next((h) => h.startsWith(ACCEPTED_PREFIX))).toMatch(/^4D494449 10/);
  return { host, link: await link, peer };
}

/** Sends `commands` full UMP Data commands (64 words: 16 128-bit packets each) in one burst; resolves once they left. */
async function fill(host: Nm2Endpoint, link: Nm2Link, commands: number): Promise<void> {
  const words = new Uint32Array(commands * 64);
  for (let i = 0; i < words.length; i += 4) words[i] = 0x50000000 | (i & 0xffff);
  const before = host.stats().datagramsOut;
  link.send(words);
  await until(() => host.stats().datagramsOut > before, 1_000, 'the burst to leave');
  // The idle flushes after it (3 × 100 ms) are over before anything is measured.
  await new Promise((resolve) => setTimeout(resolve, 400));
}

/** Bytes the host sends in answer to `requests`, sent one after another from the peer. */
async function bytesAnswering(host: Nm2Endpoint, peer: RawPeer, requests: Buffer[]): Promise<number> {
  const before = host.stats().bytesOut;
  for (const r of requests) peer.send(r, host.port);
  await until(() => host.stats().datagramsIn >= requests.length, 1_000, 'the requests to arrive');
  await new Promise((resolve) => setTimeout(resolve, 100));
  return host.stats().bytesOut - before;
}

describe('Retransmit Requests cannot be used as an amplifier', () => {
  it('one request for the whole buffer is answered with at most RETRANSMIT_REPLY_MAX_BYTES of commands', async () => {
    const { host, link, peer } = await sessionWithRawPeer();
    await fill(host, link, 1024);
    const datagramsIn = host.stats().datagramsIn;
    const out = await bytesAnswering(host, peer, [retransmitRequest(0, 0)]);
    expect(host.stats().datagramsIn).toBe(datagramsIn + 1);
    // Before: 1024 × 260 bytes of commands ≈ 266 KB for these 16 bytes.
    expect(out).toBeGreaterThan(0);
    // Commands, plus the 4-byte signature of each datagram they fill.
    expect(out).toBeLessThanOrEqual(RETRANSMIT_REPLY_MAX_BYTES + 4 * Math.ceil(RETRANSMIT_REPLY_MAX_BYTES / 1136 + 1));
  });

  it('a flood of requests gets no more than the session has earned: a burst, then a fraction of the data it sent', async () => {
    const { host, link, peer } = await sessionWithRawPeer();
    await fill(host, link, 1024);
    const sentBytes = 1024 * 260;
    const flood = Array.from({ length: 200 }, (_, i) => retransmitRequest((i * 5) % 1024, 0));
    const out = await bytesAnswering(host, peer, flood);
    // The budget (nothing new was sent meanwhile), the datagrams' signatures, and a Retransmit Error per
    // refused request (a 16-byte datagram for a 16-byte request: no amplification).
    const bound = RETRANSMIT_BURST_BYTES * 1.01 + flood.length * 32;
    expect(out).toBeLessThanOrEqual(bound);
    expect(host.stats().retransmitErrorsSent).toBeGreaterThan(0);
    // Before: 27 MB for these 3.2 KB.
    expect(out).toBeLessThan(sentBytes);
  });

  it('a legitimate gap larger than one answer is still repaired whole, one request after another', async () => {
    const receiver = await Nm2Endpoint.listen({ name: 'receiver' });
    cleanup.push(() => receiver.close());
    const relay = await startRelay({ target: { host: '127.0.0.1', port: receiver.port }, seed: 7, loss: 0 });
    cleanup.push(() => relay.close());
    const sender = await Nm2Endpoint.listen({ name: 'sender' });
    cleanup.push(() => sender.close());
    const accepted = new Promise<Nm2Link>((resolve) => receiver.onSession(resolve));
    const out = await sender.connect('127.0.0.1', relay.port);
    const got: number[] = [];
    (await accepted).onReceive((words) => {
      for (let i = 0; i < words.length; i += 4) got.push(words[i + 1]!);
    });
    // 40 full commands (640 packets, word 1 = index) lost in a blackout: 10 KiB, 2.5 answers' worth.
    const burst = (from: number, packets: number) => {
      const words = new Uint32Array(packets * 4);
      for (let k = 0; k < packets; k++) words.set([0x50000000, from + k], k * 4);
      out.send(words);
    };
    // The first command received sets the receiver's expectation; the gap comes after it.
    burst(0, 16);
    await until(() => got.length === 16, 1_000, 'the first command');
    relay.blackout(true);
    burst(16, 640);
    await new Promise((resolve) => setTimeout(resolve, 20));
    relay.blackout(false);
    burst(656, 16);
    await until(() => got.length === 672, 2_000, 'the gap to be repaired');
    expect(got).toEqual(Array.from({ length: 672 }, (_, i) => i));
    expect(receiver.stats()).toMatchObject({ gapsSkipped: 0 });
    expect(receiver.stats().retransmitsRequested).toBeGreaterThanOrEqual(3);
    expect(sender.stats().retransmitsRationed).toBeGreaterThan(0);
  });
});
