import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../../runtime/index.ts';
import { CapabilityMask, FlexEnvelope, FlexError, topics, type FlexReply } from '../../../generated/index.ts';
import { GatewayToken, GatewayTokenError, serveFlexBridge } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService, type Received } from './planner-service.ts';

/**
 * The gateway token against a real token endpoint and planner on 127.0.0.1: the bridge fetches a JWT
 * with its client credentials, the planner verifies it on every call, the token is reused until shortly
 * before it expires, and without one the service is not called (UNAUTHORIZED).
 */
const busErrors = collectBusErrors();
const KEY = new TextEncoder().encode('a test secret of the gateway, 32+ bytes long');
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  revoked.clear();
  for (const close of closing.splice(0).reverse()) await close();
});

let clock = 1_800_000_000_000;
/** Tokens the planner refuses ('*': all). */
const revoked = new Set<string>();
const now = () => clock;

/** A gateway whose /auth/token answers per `shape`, and a planner that accepts only its valid JWTs. */
async function startGateway(shape: 'fountain' | 'oauth' | 'refuse' = 'fountain', lifetimeS = 300) {
  const issued: string[] = [];
  const gateway = await startService(async (r) => {
    if (r.url !== '/auth/token') return { status: 404, json: {} };
    if (shape === 'refuse' || JSON.stringify(r.body) !== JSON.stringify({ clientId: 'footswitch', clientSecret: 's3cret' })) return { status: 401, json: {} };
    const exp = Math.floor(clock / 1000) + lifetimeS;
    const token = await new SignJWT({ sub: 'footswitch' }).setProtectedHeader({ alg: 'HS256' }).setJti(randomUUID()).setExpirationTime(exp).sign(KEY);
    issued.push(token);
    return {
      status: 200,
      json: shape === 'oauth' ? { access_token: token, expires_in: lifetimeS, token_type: 'Bearer' } : { token, expiresAt: new Date(exp * 1000).toISOString() },
    };
  });
  closing.push(() => gateway.close());
  const verified: string[] = [];
  const planner = await startService((r: Received) => {
    const auth = r.headers.authorization ?? '';
    verified.push(auth);
    const bearer = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    return bearer !== undefined && !revoked.has(bearer) && !revoked.has('*') ? { status: 200, json: PLANNER_RESPONSE } : { status: 401, json: {} };
  });
  closing.push(() => planner.close());
  const token = new GatewayToken({ tokenUrl: `${gateway.baseUrl}/auth/token`, clientId: 'footswitch', clientSecret: 's3cret', now });
  return { gateway, planner, token, issued, verified };
}

async function startBridge(token: GatewayToken, plannerUrl: string) {
  const hub = new LoopbackHub({ onError: busErrors.for('hub') });
  const errors: unknown[] = [];
  const bridge = serveFlexBridge(hub.connect({ capabilities: CapabilityMask.maskOf('flex.bridge'), onError: busErrors.for('bridge') }), {
    services: { planner: plannerUrl },
    token,
    maxAgeMs: 10 ** 12,
    onError: (e) => void errors.push(e),
  });
  closing.push(async () => {
    await bridge.close();
    expect(errors).toEqual([]);
  });
  await bridge.ready;
  const device = hub.connect({ capabilities: CapabilityMask.maskOf('flex.send'), onError: busErrors.for('device') });
  const finals: FlexReply[] = [];
  await device.subscribe(topics['flex/reply/{corr}'], (r) => {
    if (r.success || r.error) finals.push(r);
  }).ready;
  let n = 0;
  return async () => {
    await device.publish(topics['flex/envelope'], FlexEnvelope.fromJSON({ ...SEED_ENVELOPE, corr: `c${n++}`, ts: Date.now() }));
    await until(() => finals.length === n, 2_000, 'the final reply');
    return finals.at(-1)!;
  };
}

describe('gateway token', () => {
  it('every planner call carries a valid JWT from the gateway; the token is reused, then fetched again shortly before it expires', async () => {
    const { planner, token, issued, verified, gateway } = await startGateway();
    const send = await startBridge(token, planner.baseUrl);
    expect((await send()).success).toMatchObject({ body: PLANNER_RESPONSE });
    expect((await send()).success).toBeDefined();
    expect(issued).toHaveLength(1);
    expect(gateway.received[0]).toMatchObject({ method: 'POST', url: '/auth/token', body: { clientId: 'footswitch', clientSecret: 's3cret' } });
    for (const auth of verified) expect((await jwtVerify(auth.slice('Bearer '.length), KEY, { currentDate: new Date(clock) })).payload.sub).toBe('footswitch');
    clock += 271_000; // 29 s before expiry: inside the 30 s margin.
    await send();
    expect(issued).toHaveLength(2);
    expect(verified.at(-1)).toBe(`Bearer ${issued[1]!}`);
  });

  it('a token the planner refuses (401) is dropped and the call made once more with a fresh one', async () => {
    const { planner, token, issued, verified } = await startGateway();
    const send = await startBridge(token, planner.baseUrl);
    await send();
    revoked.add(issued[0]!);
    expect((await send()).success).toMatchObject({ body: PLANNER_RESPONSE });
    expect(issued).toHaveLength(2);
    expect(verified.slice(1)).toEqual([`Bearer ${issued[0]!}`, `Bearer ${issued[1]!}`]);
    // A planner that refuses every token: one retry, then the 401 is the answer.
    revoked.add('*');
    expect((await send()).error).toMatchObject({ code: FlexError.UPSTREAM_ERROR, httpStatus: 401 });
    expect(issued).toHaveLength(3);
  });

  it('accepts the OAuth2 client-credentials answer; concurrent callers share one fetch', async () => {
    const { token, issued } = await startGateway('oauth');
    const all = await Promise.all([token.bearer(), token.bearer(), token.bearer()]);
    expect(new Set(all).size).toBe(1);
    expect(issued).toHaveLength(1);
  });

  it('a refusing gateway: the intent is answered UNAUTHORIZED and the service is not called', async () => {
    const { planner, token } = await startGateway('refuse');
    const send = await startBridge(token, planner.baseUrl);
    const reply = await send();
    expect(reply.error).toMatchObject({ code: FlexError.UNAUTHORIZED, kind: 'unauthorized' });
    expect(reply.error!.message).toMatch(/^planner: no token: token endpoint http:\/\/127\.0\.0\.1:\d+\/auth\/token answered HTTP 401$/);
    expect(planner.received).toEqual([]);
  });

  it('answers that are not tokens are GatewayTokenErrors saying why', async () => {
    const answer =
      (json: unknown): typeof fetch =>
      () =>
        Promise.resolve(new Response(JSON.stringify(json), { status: 200 }));
    const cases: [unknown, RegExp][] = [
      [[1], /not a JSON object/],
      [{ token: '' }, /no usable token/],
      [{ token: 'a b', expires_in: 5 }, /no usable token/],
      [{ token: 'opaque' }, /has no expiry/],
      [{ token: 'opaque', expires_in: -1 }, /expires_in -1/],
      [{ token: 'opaque', expiresAt: 'soon' }, /expiresAt "soon" is not a time/],
      [{ token: 'opaque', expiresAt: clock / 1000 - 1 }, /already expired/],
    ];
    for (const [json, why] of cases) {
      const token = new GatewayToken({ tokenUrl: 'http://gateway.invalid/auth/token', fetch: answer(json), now });
      const err = await token.bearer().catch((e: unknown) => e);
      expect(err, JSON.stringify(json)).toBeInstanceOf(GatewayTokenError);
      expect((err as Error).message).toMatch(why);
    }
    const opaque = new GatewayToken({ tokenUrl: 'http://gateway.invalid/auth/token', fetch: answer({ token: 'opaque', expires_in: 60 }), now });
    expect(await opaque.bearer()).toBe('opaque');
  });
});
