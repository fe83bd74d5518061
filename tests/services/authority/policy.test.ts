import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus } from '../../../runtime/index.ts';
import { udpTransport, type TransportListener, type UmpLink } from '../../../runtime/transports/index.ts';
import { policyGrant, wildcardMatch, type GrantPolicy } from '../../../services/index.ts';
import { Capabilities, topics, intents } from '../../../generated/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { rejection } from '../../helpers/bus.ts';

/**
 * An authority granting by an operator's policy (services/authority/policy.ts): clients over real
 * Network MIDI 2.0 links on 127.0.0.1, authenticated as users or not, get what the first matching rule
 * says — capabilities, payload limit, QoS levels — and a client no rule matches is refused.
 */
const registry = { topics: Object.values(topics), intents: Object.values(intents) };
const USERS = new Map([
  ['alice', 'correct horse'],
  ['bob', 'battery staple'],
]);
const mask = (...names: (keyof typeof Capabilities)[]) => names.reduce((m, n) => m | Capabilities[n].mask, 0n);
const POLICY: GrantPolicy = {
  rules: [
    { where: 'rules[0]', user: 'alice', capabilities: mask('telemetry.write', 'telemetry.read', 'gpu.dispatch') },
    { where: 'rules[1]', user: '*', capabilities: mask('telemetry.write'), maxPayload: 1024, qos: ['at_most_once'] },
    { where: 'rules[2]', client: 'dash-?', capabilities: mask('telemetry.read') },
  ],
};

const errors = collectBusErrors();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function authority(users: ReadonlyMap<string, string> | null = USERS): Promise<{ bus: NetworkBus; url: string; grants: string[] }> {
  const grants: string[] = [];
  const decide = policyGrant(POLICY);
  const bus = new NetworkBus({
    name: 'authority',
    ...registry,
    grant: (requested, hello) => {
      const g = decide(requested, hello);
      grants.push(`${hello.name}/${hello.user ?? '-'}: ${g.refused !== undefined ? `refused (${g.refused})` : `${g.capabilities} by ${g.by}`}`);
      return g;
    },
    onError: errors.for('authority'),
  });
  const listener: TransportListener = await udpTransport.listen!('udp://127.0.0.1:0', {
    name: 'authority',
    ...(users ? { users } : {}),
    onError: (e) => errors.for('listener')(e, 'listener'),
  });
  listener.onSession((link) => bus.accept(link));
  cleanup.push(async () => {
    await bus.close();
    await listener.close();
  });
  return { bus, url: listener.url, grants };
}

async function client(url: string, name: string, user: string | undefined, capabilities: bigint): Promise<NetworkBus> {
  const link: UmpLink = await udpTransport.connect(url, {
    name,
    timeoutMs: 3000,
    ...(user === undefined ? {} : { user: { name: user, password: USERS.get(user)! } }),
  });
  const bus = new NetworkBus({ name, ...registry, capabilities, onError: errors.for(name) });
  cleanup.push(() => bus.close());
  await bus.connect(link, { timeoutMs: 3000 });
  return bus;
}

describe('grants by policy', () => {
  it('grants by the authenticated user first, whatever name the client gives', async () => {
    const { url, grants } = await authority();
    const all = mask('telemetry.write', 'telemetry.read', 'gpu.dispatch', 'gpu.admin');
    expect((await client(url, 'studio', 'alice', all)).capabilities).toBe(mask('telemetry.write', 'telemetry.read', 'gpu.dispatch'));
    // Bob matches the "any user" rule before the name rule (dash-?) would.
    expect((await client(url, 'dash-1', 'bob', all)).capabilities).toBe(mask('telemetry.write'));
    expect(grants).toEqual([
      `studio/alice: ${mask('telemetry.write', 'telemetry.read', 'gpu.dispatch')} by rules[0]`,
      `dash-1/bob: ${mask('telemetry.write')} by rules[1]`,
    ]);
  });

  it('grants by the self-given name where no user is proven, and refuses a client no rule matches', async () => {
    const { url, grants } = await authority(null);
    expect((await client(url, 'dash-7', undefined, mask('telemetry.read', 'telemetry.write'))).capabilities).toBe(mask('telemetry.read'));
    const refused = await rejection(client(url, 'eve', undefined, mask('telemetry.read')));
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toContain('CAPABILITY_DENIED: no rule of the policy grants anything to "eve"');
    errors.claim({ bus: 'authority', message: /no rule of the policy grants anything to "eve"/ }, { min: 0, max: 1 });
    expect(grants).toEqual([`dash-7/-: ${mask('telemetry.read')} by rules[2]`, 'eve/-: refused (no rule of the policy grants anything to "eve")']);
  });

  it('a grant bounds the QoS levels and the payload a session may send', async () => {
    const { bus: auth, url } = await authority();
    const got: unknown[] = [];
    auth.subscribe('telemetry/**', (v) => void got.push(v));
    const bob = await client(url, 'bob-app', 'bob', mask('telemetry.write'));
    expect(bob.stats().peers[0]!.maxPayload).toBe(1024);
    const errorsTopic = topics['telemetry/errors'];
    const sample = errorsTopic.payload.example();
    const refused = await rejection(bob.publish(errorsTopic, sample, { qos: 'at_least_once' }));
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toMatch(/may not send with QoS at_least_once \(its grant allows at_most_once\)/);
    errors.claim({ bus: 'authority', message: /may not send with QoS at_least_once/ }, { min: 0, max: 1 });
    await bob.publish(errorsTopic, sample, { qos: 'at_most_once' });
    await expect.poll(() => got.length, { timeout: 3000 }).toBe(1);
  });
});

describe('a session granted to a user', () => {
  it('is resumed only over a link that proves the same user: its token alone does not carry it to another', async () => {
    const { bus: auth, url } = await authority();
    let reconnects = 0;
    const link = await udpTransport.connect(url, { name: 'studio', timeoutMs: 3000, user: { name: 'alice', password: USERS.get('alice')! } });
    const studio = new NetworkBus({ name: 'studio', ...registry, capabilities: mask('telemetry.read', 'telemetry.write'), onError: errors.for('studio') });
    cleanup.push(() => studio.close());
    await studio.connect(link, {
      timeoutMs: 3000,
      resumeForMs: 3000,
      // Whoever holds the token comes back as bob.
      reconnect: () => (reconnects++, udpTransport.connect(url, { name: 'studio', timeoutMs: 3000, user: { name: 'bob', password: USERS.get('bob')! } })),
    });
    expect(studio.capabilities).toBe(mask('telemetry.read', 'telemetry.write'));
    await link.close();
    // The client came back once, as bob, was refused (a refusal is final: no second try), and its session ended.
    await expect.poll(() => studio.stats().peers.length, { timeout: 5000 }).toBe(0);
    expect(reconnects).toBe(1);
    const after = await rejection(studio.publish(topics['telemetry/errors'], topics['telemetry/errors'].payload.example(), { qos: 'at_least_once' }));
    expect(after.message).toMatch(/session refused: CAPABILITY_DENIED: session \d+ was granted to another user than this link proves/);
    // The session still waits for alice: it was not handed to bob's link.
    expect(
      auth
        .stats()
        .peers.filter((p) => p.name === 'studio')
        .map((p) => p.state),
    ).toEqual(['detached']);
  });
});

describe('a client no rule matches', () => {
  it('gets a refusal with the reason, and nothing else', () => {
    const decide = policyGrant({ rules: [{ where: 'rules[0]', user: 'alice', capabilities: mask('telemetry.read') }] });
    expect(decide(mask('telemetry.read'), { name: 'eve' })).toEqual({
      capabilities: 0n,
      refused: 'no rule of the policy grants anything to "eve"',
      by: 'no rule matched',
    });
    expect(decide(mask('telemetry.read'), { name: 'x', user: 'bob' })).toMatchObject({ refused: 'no rule of the policy grants anything to "x" (user "bob")' });
    expect(decide(mask('telemetry.read', 'gpu.read'), { name: 'x', user: 'alice' })).toEqual({ capabilities: mask('telemetry.read'), by: 'rules[0]' });
  });
});

describe('wildcardMatch', () => {
  /** The same language as a regular expression (trusted patterns only: this one backtracks). */
  const reference = (pattern: string, text: string): boolean =>
    new RegExp(`^${Array.from(pattern, (c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'su').test(text);

  it('agrees with the regular expression it stands for', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?', '.', '😀');
    const text = fc.array(fc.constantFrom('a', 'b', '.', '😀'), { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }).map((a) => a.join('')),
        text,
        (p, t) => wildcardMatch(p, t) === reference(p, t),
      ),
      { numRuns: 2000 },
    );
  });

  it('stays cheap on a pattern built to make a backtracking matcher explode', () => {
    const pattern = `${'*a'.repeat(60)}*b`;
    const name = 'a'.repeat(128);
    const start = performance.now();
    expect(wildcardMatch(pattern, name)).toBe(false);
    // O(pattern × name) = 121 × 128 steps at worst: well under a millisecond; the bound is generous for a loaded machine.
    expect(performance.now() - start).toBeLessThan(200);
  });
});
