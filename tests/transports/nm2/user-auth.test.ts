/**
 * User authentication (Invitation with User Authentication 0x03 / User Authentication Required 0x13)
 * in both roles: midl as invitee against a hand-built inviter, midl as inviter against a hand-built
 * host (the digest computed here from the spec's definition, not by our auth.ts), and two endpoints
 * with each other, also through the `udp:` transport's options.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../runtime/transports/link.ts';
import { Nm2Endpoint, udpTransport, type Nm2EndpointOptions, type Nm2Link } from '../../../runtime/transports/nm2/index.ts';
import { hex, rawPeer, type RawPeer } from './raw-peer.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const USERS: ReadonlyMap<string, string> = new Map([
  ['alice', 'correct horse'],
  ['bob', 'battery staple'],
]);
/** "midl test" / "PIID42" as our Accepted carries them. */
const ACCEPTED = '4D494449 10050300 6D69646C 20746573 74000000 50494944 34320000';

async function endpoint(options: Partial<Nm2EndpointOptions> = {}): Promise<Nm2Endpoint> {
  const errors: unknown[] = [];
  const e = await Nm2Endpoint.listen({
    name: 'midl test',
    productInstanceId: 'PIID42',
    pingIntervalMs: 60_000,
    onError: (err) => errors.push(err),
    ...options,
  });
  cleanup.push(async () => {
    await e.close();
    // Protocol problems are reported through onError; none of these exchanges has any.
    expect(errors).toEqual([]);
  });
  return e;
}
async function peer(): Promise<RawPeer> {
  const p = await rawPeer();
  cleanup.push(() => p.close());
  return p;
}

/** Invitation "peer"/"pp" with capabilities `caps`. */
const invitation = (caps: number) => hex(`4D494449 010201${caps.toString(16).padStart(2, '0')} 70656572 70700000`);
/** The 16-byte nonce of an Auth Required / User Auth Required datagram (hex words). */
const nonceOf = (h: string) => Buffer.from(h.split(' ').slice(2, 6).join(''), 'hex');
const stateOf = (h: string) => h.split(' ')[1]!.slice(6);
const codeOf = (h: string) => h.split(' ')[1]!.slice(0, 2);
/** SHA-256(nonce ‖ user ‖ password), as M2-124-UM defines the user digest (amidi2net auth.c). */
const userDigest = (nonce: Buffer, user: string, password: string) => createHash('sha256').update(nonce).update(user).update(password).digest();
/** Invitation with User Authentication, built word by word: digest (8 words) then the user name, zero-padded. */
function userAuthInvitation(digest: Buffer, user: string): Buffer {
  const name = Buffer.from(user, 'utf8');
  const padded = Buffer.concat([name, Buffer.alloc((4 - (name.length % 4)) % 4)]);
  const words = 8 + padded.length / 4;
  return Buffer.concat([hex(`4D494449 03${words.toString(16).padStart(2, '0')}0000`), digest, padded]);
}

describe('midl as invitee with users', () => {
  it('challenges with 0x13 state 0; the right user digest opens the session (Accepted), its resend is answered again', async () => {
    const e = await endpoint({ users: USERS });
    const p = await peer();
    const link = new Promise<Nm2Link>((resolve) => e.onSession(resolve));
    p.send(invitation(0b10), e.port);
    const challenge = await p.next();
    expect(challenge.slice(0, 17)).toBe('4D494449 13090300'); // 4 nonce + 3 name + 2 PIID words, state 0
    expect(challenge.split(' ').slice(6).join(' ')).toBe('6D69646C 20746573 74000000 50494944 34320000');
    const answer = userAuthInvitation(userDigest(nonceOf(challenge), 'alice', 'correct horse'), 'alice');
    p.send(answer, e.port);
    expect(await p.next()).toBe(ACCEPTED);
    expect((await link).peerName).toBe('peer');
    // Our Accepted lost: the inviter resends its answer and gets Accepted again, still one session.
    p.send(answer, e.port);
    expect(await p.next()).toBe(ACCEPTED);
    expect(e.stats().sessions).toBe(1);
  });

  it('an inviter that offers no user authentication (or only the secret) still gets the 0x13 challenge', async () => {
    const e = await endpoint({ users: USERS });
    for (const caps of [0b00, 0b01, 0b11]) {
      const p = await peer();
      p.send(invitation(caps), e.port);
      expect((await p.next()).slice(0, 17)).toBe('4D494449 13090300');
    }
    expect(e.stats().sessions).toBe(0);
  });

  it('wrong password: 0x13 state 1 with a fresh nonce, then Bye 0x43 at the third; unknown user: state 2, then Bye 0x44', async () => {
    const e = await endpoint({ users: USERS });
    for (const [user, password, state, bye] of [
      ['alice', 'wrong', '01', '4D494449 F0004300'],
      ['mallory', 'correct horse', '02', '4D494449 F0004400'],
    ] as const) {
      const p = await peer();
      p.send(invitation(0b10), e.port);
      let h = await p.next();
      const nonces = new Set<string>();
      for (let i = 0; i < 2; i++) {
        nonces.add(nonceOf(h).toString('hex'));
        p.send(userAuthInvitation(userDigest(nonceOf(h), user, password), user), e.port);
        h = await p.next();
        expect(codeOf(h)).toBe('13');
        expect(stateOf(h)).toBe(state);
      }
      expect(nonces.size).toBe(2);
      p.send(userAuthInvitation(userDigest(nonceOf(h), user, password), user), e.port);
      expect(await p.next()).toBe(bye);
    }
    expect(e.stats().sessions).toBe(0);
  });

  it('with a secret and users: capability bit 0 alone is challenged for the secret (0x12), every other offer for a user (0x13)', async () => {
    const e = await endpoint({ users: USERS, secret: 'shared' });
    for (const [caps, code] of [
      [0b01, '12'],
      [0b10, '13'],
      [0b11, '13'],
      [0b00, '13'],
    ] as const) {
      const p = await peer();
      p.send(invitation(caps), e.port);
      expect(codeOf(await p.next())).toBe(code);
    }
    // Either proof opens a session on such a host.
    const p = await peer();
    p.send(invitation(0b01), e.port);
    const nonce = nonceOf(await p.next());
    p.send(Buffer.concat([hex('4D494449 02080000'), createHash('sha256').update(nonce).update('shared').digest()]), e.port);
    expect(await p.next()).toBe(ACCEPTED);
  });
});

describe('midl as inviter with a user', () => {
  it('offers capability bit 1 and answers 0x13 with SHA-256(nonce ‖ user ‖ password) and the user name', async () => {
    const host = await peer();
    const client = await endpoint({ name: 'client', productInstanceId: 'c1' });
    const connecting = client.connect('127.0.0.1', host.port, { user: { name: 'bob', password: 'battery staple' }, timeoutMs: 5000 });
    const inv = await host.next();
    expect(inv).toBe('4D494449 01030202 636C6965 6E740000 63310000'); // "client"/"c1", capabilities 0b10
    const nonce = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    // User Authentication Required, state 0: 6 payload words (nonce, "host", "h1"), name 1 word.
    host.send(hex(`4D494449 13060100 ${nonce.toString('hex')} 686F7374 68310000`), client.port);
    const answer = await host.next((h) => h.startsWith('4D494449 03'));
    expect(answer).toBe(
      `4D494449 03090000 ${(userDigest(nonce, 'bob', 'battery staple').toString('hex').toUpperCase().match(/.{8}/g) ?? []).join(' ')} 626F6200`,
    );
    host.send(hex('4D494449 10020100 686F7374 68310000'), client.port);
    const link = await connecting;
    expect(link.peerName).toBe('host');
    expect(link.isOpen).toBe(true);
    await link.close();
  });

  it('without a user configured, a 0x13 challenge fails the connect as auth-failed and the inviter says Bye 0x45', async () => {
    const host = await peer();
    const client = await endpoint({ name: 'client', productInstanceId: 'c1' });
    const connecting = client.connect('127.0.0.1', host.port, { timeoutMs: 5000 });
    const failed = connecting.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(await host.next()).toBe('4D494449 01030200 636C6965 6E740000 63310000');
    host.send(hex(`4D494449 13060100 ${'00'.repeat(16)} 686F7374 68310000`), client.port);
    expect(await host.next((h) => h.startsWith('4D494449 F0'))).toBe('4D494449 F0004500');
    const err = await failed;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('auth-failed');
    expect((err as Error).message).toMatch(/requires user authentication and no user is configured/);
  });
});

describe('two endpoints with user authentication', () => {
  it('opens and carries UMPs both ways; the invitee sees the inviter’s name', async () => {
    const host = await endpoint({ users: USERS });
    const client = await endpoint({ name: 'client', productInstanceId: 'c1', user: { name: 'alice', password: 'correct horse' } });
    const accepted = new Promise<Nm2Link>((resolve) => host.onSession(resolve));
    const atClient = await client.connect('127.0.0.1', host.port, { timeoutMs: 3000 });
    const atHost = await accepted;
    expect(atHost.peerName).toBe('client');
    const got = { host: [] as number[], client: [] as number[] };
    atHost.onReceive((w) => got.host.push(...w));
    atClient.onReceive((w) => got.client.push(...w));
    atClient.send(Uint32Array.of(0x20903c40));
    atHost.send(Uint32Array.of(0x20803c00));
    await expect.poll(() => got.host, { timeout: 2000 }).toEqual([0x20903c40]);
    await expect.poll(() => got.client, { timeout: 2000 }).toEqual([0x20803c00]);
  });

  it('a wrong password or an unknown user fails the connect as auth-failed naming the reason, never the password', async () => {
    const host = await endpoint({ users: USERS });
    for (const [user, reason] of [
      [{ name: 'alice', password: 'hunter2-wrong' }, 'authentication failed'],
      [{ name: 'mallory', password: 'hunter2-wrong' }, 'user not found'],
    ] as const) {
      const client = await endpoint({ name: 'client', productInstanceId: 'c1' });
      const err = await client.connect('127.0.0.1', host.port, { user, timeoutMs: 3000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('auth-failed');
      expect((err as Error).message).toContain(reason);
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(host.stats().sessions).toBe(0);
  });

  it('through the udp: transport: ListenOptions.users and ConnectOptions.user', async () => {
    const errors: unknown[] = [];
    const listener = await udpTransport.listen!('udp://127.0.0.1:0', { name: 'host', users: USERS, onError: (e) => errors.push(e) });
    cleanup.push(() => listener.close());
    const accepted = new Promise<string>((resolve) => listener.onSession((link) => resolve(`${link.peerName} as ${link.user}`)));
    const link = await udpTransport.connect(listener.url, { name: 'cli', user: { name: 'bob', password: 'battery staple' }, timeoutMs: 3000 });
    cleanup.push(() => link.close());
    expect(await accepted).toBe('cli as bob');
    await expect(udpTransport.connect(listener.url, { name: 'cli', timeoutMs: 3000 })).rejects.toMatchObject({ code: 'auth-failed' });
    expect(errors).toEqual([]);
  });

  it('refuses user names that could never be matched (empty, with NUL)', async () => {
    expect(() => Nm2Endpoint.listen({ name: 'x', users: new Map([['', 'p']]) })).toThrow(RangeError);
    const client = await endpoint({ name: 'client' });
    await expect(client.connect('127.0.0.1', 9, { user: { name: 'a\0b', password: 'p' } })).rejects.toThrow(/non-empty and has no NUL/);
  });
});
