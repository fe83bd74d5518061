/**
 * Opening a session through a lossy link: the invitation, or any reply of the handshake (Accepted, an
 * authentication challenge, the answer to it), lost once; seeded random loss on every datagram; and a
 * dead link, where the bounded resends end in a clear timeout. Real sockets through the seeded relay.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../runtime/transports/link.ts';
import { Nm2Endpoint, type Nm2EndpointOptions, type Nm2Link, type Nm2User } from '../../../runtime/transports/nm2/index.ts';
import { startRelay, type RelayDirection, type RelayOptions } from '../../helpers/udp-relay.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const USERS: ReadonlyMap<string, string> = new Map([['alice', 'correct horse']]);
const ALICE: Nm2User = { name: 'alice', password: 'correct horse' };

async function endpoint(options: Partial<Nm2EndpointOptions> & { name: string }): Promise<{ e: Nm2Endpoint; errors: unknown[] }> {
  const errors: unknown[] = [];
  const e = await Nm2Endpoint.listen({ pingIntervalMs: 60_000, onError: (err) => errors.push(err), ...options });
  cleanup.push(() => e.close());
  return { e, errors };
}

/** A host, a client and a relay between them that loses what `drop` and `loss` say; records the code of every datagram lost. */
async function link(host: Partial<Nm2EndpointOptions>, relay: Omit<RelayOptions, 'target'>) {
  const h = await endpoint({ name: 'host', ...host });
  const lost: string[] = [];
  const r = await startRelay({
    ...relay,
    target: { host: '127.0.0.1', port: h.e.port },
    drop: (direction, index, datagram) => {
      const dropped = relay.drop?.(direction, index, datagram) ?? false;
      if (dropped) lost.push(`${direction} 0x${datagram[4]!.toString(16).padStart(2, '0')}`);
      return dropped;
    },
  });
  cleanup.push(() => r.close());
  const c = await endpoint({ name: 'client' });
  const accepted: Nm2Link[] = [];
  h.e.onSession((l) => accepted.push(l));
  return { host: h, client: c, relay: r, lost, accepted };
}

const only =
  (direction: RelayDirection, index: number) =>
  (d: RelayDirection, i: number): boolean =>
    d === direction && i === index;

interface LostOnce {
  readonly what: string;
  /** What the host requires and the client offers. */
  readonly auth: { readonly secret?: string; readonly users?: ReadonlyMap<string, string>; readonly user?: Nm2User };
  readonly drop: (direction: RelayDirection, index: number) => boolean;
  readonly lost: readonly string[];
}

const LOST_ONCE: readonly LostOnce[] = [
  { what: 'the first Invitation', auth: {}, drop: only('to-target', 0), lost: ['to-target 0x01'] },
  { what: 'the first Accepted', auth: {}, drop: only('to-client', 0), lost: ['to-client 0x10'] },
  { what: 'the first Invitation, user auth', auth: { users: USERS, user: ALICE }, drop: only('to-target', 0), lost: ['to-target 0x01'] },
  { what: 'the User Auth Required challenge', auth: { users: USERS, user: ALICE }, drop: only('to-client', 0), lost: ['to-client 0x13'] },
  { what: 'the Invitation with User Authentication', auth: { users: USERS, user: ALICE }, drop: only('to-target', 1), lost: ['to-target 0x03'] },
  { what: 'the Accepted after user auth', auth: { users: USERS, user: ALICE }, drop: only('to-client', 1), lost: ['to-client 0x10'] },
  { what: 'the Accepted after shared-secret auth', auth: { secret: 'shared' }, drop: only('to-client', 1), lost: ['to-client 0x10'] },
];

describe('a handshake datagram lost once', () => {
  for (const { what, auth, drop, lost: expectedLost } of LOST_ONCE) {
    it(`${what}: the resent invitation opens the session, once`, async () => {
      const required = { ...(auth.secret !== undefined ? { secret: auth.secret } : {}), ...(auth.users !== undefined ? { users: auth.users } : {}) };
      const { host, client, relay, lost, accepted } = await link(required, { seed: 1, drop });
      const offered = { ...(auth.secret !== undefined ? { secret: auth.secret } : {}), ...(auth.user !== undefined ? { user: auth.user } : {}) };
      const started = Date.now();
      const l = await client.e.connect('127.0.0.1', relay.port, { timeoutMs: 3000, ...offered });
      expect(l.isOpen).toBe(true);
      expect(lost).toEqual(expectedLost);
      // One resend after invitationResendMs (500 ms for a 2000 ms deadline) repaired it.
      expect(Date.now() - started).toBeLessThan(1500);
      await expect.poll(() => accepted.length, { timeout: 2000 }).toBe(1);
      expect(host.e.stats().sessions).toBe(1);
      expect(accepted[0]!.peerName).toBe('client');
      expect(host.errors).toEqual([]);
      expect(client.errors).toEqual([]);
    });
  }
});

describe('seeded random loss on every datagram', () => {
  it('25 % loss both ways: user-authenticated sessions open for every seed, within the deadline', async () => {
    let lostInHandshakes = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const { client, relay, accepted } = await link({ users: USERS }, { seed, loss: 0.25 });
      const l = await client.e.connect('127.0.0.1', relay.port, { timeoutMs: 5000, user: ALICE });
      lostInHandshakes += relay.stats().dropped;
      expect(l.isOpen).toBe(true);
      await expect.poll(() => accepted.length, { timeout: 2000 }).toBe(1);
      await l.close();
    }
    // The seeds do lose handshake datagrams (not a lucky run of clean ones).
    expect(lostInHandshakes).toBeGreaterThanOrEqual(3);
  }, 40_000);
});

describe('a dead link', () => {
  it('resends the invitation a bounded number of times, then fails the connect as timeout, and sends nothing after', async () => {
    const { client, relay } = await link({}, { seed: 1 });
    relay.blackout(true);
    const started = Date.now();
    const err = await client.e.connect('127.0.0.1', relay.port, { timeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('timeout');
    expect((err as Error).message).toMatch(/no answer to the invitation within 1000 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await new Promise((r) => setTimeout(r, 100)); // the Bye 0x80 is on its way when the connect fails
    // Invitations at 0, 250, 500 and 750 ms, then Bye 0x80 (invitation cancelled) at the deadline.
    const sent = relay.stats().dropped;
    expect(sent).toBeGreaterThanOrEqual(4);
    expect(sent).toBeLessThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 600));
    expect(relay.stats().dropped).toBe(sent);
    expect(client.e.stats().sessions).toBe(0);
  });
});
