// Nobody locked out by invitations: sockets that keep inviting, without the secret or from one host,
// cannot hold the session slots a legitimate client needs. Real UDP sockets on 127.0.0.1 (and 127.0.0.2
// as a second source address).
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Nm2Endpoint, type Nm2EndpointOptions } from '../../../runtime/transports/nm2/index.ts';
import { hex, rawPeer, type RawPeer } from './raw-peer.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function endpoint(options: Partial<Nm2EndpointOptions> = {}): Promise<Nm2Endpoint> {
  const e = await Nm2Endpoint.listen({ name: 'authority', ...options });
  cleanup.push(() => e.close());
  return e;
}
async function peer(host?: string): Promise<RawPeer> {
  const p = await rawPeer(host);
  cleanup.push(() => p.close());
  return p;
}
/** Invitation "peer"/"pp" with capabilities `caps` (1 = can authenticate). */
const invitation = (caps = 0) => hex(`4D494449 010201${caps.toString(16).padStart(2, '0')} 70656572 70700000`);
const authInvite = (digest: Buffer) => Buffer.concat([hex('4D494449 02080000'), digest]);
const digestOf = (nonce: Buffer, secret: string) => createHash('sha256').update(nonce).update(secret).digest();
const nonceOf = (authRequired: string) => Buffer.from(authRequired.split(' ').slice(2, 6).join(''), 'hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sockets that re-invite every 150 ms (and, with `guess`, send a wrong digest each time) until stopped. */
async function inviteFlood(port: number, sockets: number, guess: boolean): Promise<{ stop: () => void; answers: () => string[] }> {
  const peers = await Promise.all(Array.from({ length: sockets }, () => peer()));
  const timer = setInterval(() => {
    for (const p of peers) {
      p.send(invitation(1), port);
      if (guess) p.send(authInvite(Buffer.alloc(32, 7)), port);
    }
  }, 150);
  return { stop: () => clearInterval(timer), answers: () => peers.flatMap((p) => p.received()) };
}

describe('invitations without the secret hold no slot', () => {
  it('16 sockets re-inviting every 150 ms: a client with the secret still connects, and only it holds a session', async () => {
    const e = await endpoint({ secret: 's3cret' });
    const flood = await inviteFlood(e.port, 16, false);
    try {
      await sleep(600); // several rounds of invitations
      const client = await endpoint({ name: 'client', port: 0, secret: 's3cret' });
      const link = await client.connect('127.0.0.1', e.port, { timeoutMs: 2_000 });
      expect(link.isOpen).toBe(true);
      expect(e.stats().sessions).toBe(1);
      await sleep(300);
      expect(e.stats().sessions).toBe(1);
    } finally {
      flood.stop();
    }
    // The flood only ever got challenges, never a session.
    const answers = flood.answers();
    expect(answers.some((h) => h.startsWith('4D494449 12'))).toBe(true);
    expect(answers.some((h) => h.startsWith('4D494449 10'))).toBe(false);
  });

  it('guessing sockets get Bye 0x43 after 3 wrong digests and hold nothing', async () => {
    const e = await endpoint({ secret: 's3cret' });
    const flood = await inviteFlood(e.port, 16, true);
    try {
      await sleep(700);
      const client = await endpoint({ name: 'client', port: 0, secret: 's3cret' });
      await client.connect('127.0.0.1', e.port, { timeoutMs: 2_000 });
      expect(e.stats().sessions).toBe(1);
    } finally {
      flood.stop();
    }
    expect(flood.answers().filter((h) => h === '4D494449 F0004300').length).toBeGreaterThan(0);
    expect(flood.answers().some((h) => h.startsWith('4D494449 10'))).toBe(false);
  });

  it('a recorded right digest does not open a second session from the same address', async () => {
    const e = await endpoint({ secret: 's3cret' });
    const p = await peer();
    p.send(invitation(1), e.port);
    const digest = digestOf(nonceOf(await p.next((h) => h.startsWith('4D494449 12'))), 's3cret');
    p.send(authInvite(digest), e.port);
    expect(await p.next((h) => h.startsWith('4D494449 10'))).toMatch(/^4D494449 10/);
    p.send(hex('4D494449 F0000100'), e.port); // Bye: the session ends
    await p.next((h) => h === '4D494449 F1000000');
    p.send(authInvite(digest), e.port); // the same digest again
    expect(await p.next()).toMatch(/^4D494449 12/); // challenged again (a retry), not accepted
    expect(e.stats().sessions).toBe(0);
  });
  it('the same address may authenticate again at once, three times in one window, each with a fresh challenge', async () => {
    const e = await endpoint({ secret: 's3cret' });
    const p = await peer();
    const nonces = new Set<string>();
    for (let round = 0; round < 3; round++) {
      p.send(invitation(1), e.port);
      const challenge = await p.next((h) => h.startsWith('4D494449 12'));
      expect(challenge.split(' ')[1]!.slice(6)).toBe('00'); // a first challenge, not a retry
      nonces.add(nonceOf(challenge).toString('hex'));
      p.send(authInvite(digestOf(nonceOf(challenge), 's3cret')), e.port);
      await p.next((h) => h.startsWith('4D494449 10'));
      p.send(hex('4D494449 F0000100'), e.port);
      await p.next((h) => h === '4D494449 F1000000');
    }
    expect(nonces.size).toBe(3);
  });
});

describe('one source address cannot take every slot', () => {
  it('without a secret, 16 sessions from 127.0.0.2 get 8 slots; a client from 127.0.0.1 still connects', async () => {
    const e = await endpoint({ host: '0.0.0.0', port: 0 });
    const attackers = await Promise.all(Array.from({ length: 16 }, () => peer('127.0.0.2')));
    for (const a of attackers) a.send(invitation(), e.port);
    const answers = await Promise.all(attackers.map((a) => a.next()));
    expect(answers.filter((h) => h.startsWith('4D494449 10')).length).toBe(8);
    expect(answers.filter((h) => h === '4D494449 F0004000').length).toBe(8);
    const client = await endpoint({ name: 'client' });
    const link = await client.connect('127.0.0.1', e.port, { timeoutMs: 2_000 });
    expect(link.isOpen).toBe(true);
    expect(e.stats().sessions).toBe(9);
  });
});
