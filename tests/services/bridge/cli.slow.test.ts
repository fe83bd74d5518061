import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { jwtVerify, SignJWT } from 'jose';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runMidl, stackTraceLines } from '../../helpers/cli.ts';
import { killAll, startMidl } from '../../helpers/midl-process.ts';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService } from './planner-service.ts';

/**
 * The first done-when through the CLI: `midl bridge` on a real UDP socket with a real planner
 * service on 127.0.0.1, the seed's planner.execute envelope sent with `midl send` (ts a JSON number, as
 * a device writes it), the replies watched with `midl tail`: ack, then success with the planner's
 * response, and the planner saw a valid bearer token from the gateway's token endpoint; the same envelope
 * again is refused as a replay; the journal holds both files.
 */
const CLI_MS = 60_000;
const KEY = new TextEncoder().encode('the gateway signing key of this test, 32+ bytes');
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => killAll());

describe('midl bridge', () => {
  it('midl send of the seed envelope: ack, then the planner response, the planner saw the gateway JWT; again: REPLAYED; the journal holds req and res', async () => {
    const gateway = await startService(async (r) => {
      if (r.url !== '/auth/token' || JSON.stringify(r.body) !== '{"clientId":"footswitch","clientSecret":"s3cret"}') return { status: 401, json: {} };
      const token = await new SignJWT({ sub: 'footswitch' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(KEY);
      return { status: 200, json: { token, expiresAt: new Date(Date.now() + 300_000).toISOString() } };
    });
    cleanups.push(() => gateway.close());
    const planner = await startService(async (r) => {
      const bearer = /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1];
      if (bearer === undefined) return { status: 401, json: {} };
      const { payload } = await jwtVerify(bearer, KEY);
      return payload.sub === 'footswitch' && r.url === '/planner/execute' ? { status: 200, json: PLANNER_RESPONSE } : { status: 403, json: {} };
    });
    cleanups.push(() => planner.close());
    const journal = await mkdtemp(join(tmpdir(), 'midl-bridge-cli-'));
    cleanups.push(() => rm(journal, { recursive: true, force: true }));
    const secretFile = join(journal, '..', `${journal.split('/').pop()!}.secret`);
    await writeFile(secretFile, 's3cret\n', { mode: 0o600 });
    cleanups.push(() => rm(secretFile, { force: true }));
    const bridge = startMidl([
      'bridge',
      '--listen',
      'udp://127.0.0.1:0',
      '--service',
      `planner=${planner.baseUrl}`,
      '--journal',
      journal,
      '--token-url',
      `${gateway.baseUrl}/auth/token`,
      '--client-id',
      'footswitch',
      '--client-secret-file',
      secretFile,
    ]);
    const url = (await bridge.waitFor(/^listening on (udp:\/\/127\.0\.0\.1:\d+)$/m, CLI_MS))[1]!;
    const tail = startMidl(['tail', '--from', url, '--count', '3', 'flex/reply/**']);
    await tail.waitFor(/subscribed to flex\/reply\/\*\* on/, CLI_MS);
    const envelope = JSON.stringify({ ...SEED_ENVELOPE, ts: Date.now() });
    // A device's operator outside any midl project: send finds no midl.yaml and uses the bundled schema.
    const outside = await mkdtemp(join(tmpdir(), 'midl-bridge-user-'));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    for (let i = 0; i < 2; i++) {
      const sent = await runMidl(['send', '--to', url, '--topic', 'flex/envelope', '--json', envelope], { timeoutMs: CLI_MS, cwd: outside });
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stderr).toContain('using the bundled FountainAI schema');
      expect(sent.stderr).toContain('1/1 delivered');
    }
    expect(await tail.exited).toBe(0);
    const replies = tail.lines().map((l) => JSON.parse(l) as { address: string; value: Record<string, unknown> });
    expect(replies.map((r) => r.address)).toEqual(['flex/reply/dE8x-7qF', 'flex/reply/dE8x-7qF', 'flex/reply/dE8x-7qF']);
    expect(replies[0]!.value).toMatchObject({ corr: 'dE8x-7qF', intent: 'planner.execute', ack: true });
    expect(replies[0]!.value.success).toBeUndefined();
    expect(replies[1]!.value).toMatchObject({ ack: true, success: { status: 200, body: PLANNER_RESPONSE } });
    expect(replies[2]!.value).toMatchObject({ ack: false, error: { code: 4005, kind: 'replayed' } });
    expect(planner.received).toHaveLength(1);
    expect(gateway.received).toHaveLength(1);
    expect(planner.received[0]!.headers.authorization).toMatch(/^Bearer ey/);
    expect(planner.received[0]).toMatchObject({ method: 'POST', url: '/planner/execute', body: SEED_ENVELOPE.body });
    // One directory per sender: the peer's endpoint name, escaped.
    const senders = await readdir(journal);
    expect(senders).toEqual([expect.stringMatching(/^peer%20/)]);
    const files = join(journal, senders[0]!);
    expect((await readdir(files)).sort()).toEqual(['dE8x-7qF-req.json', 'dE8x-7qF-res.json']);
    const res = JSON.parse(await readFile(join(files, 'dE8x-7qF-res.json'), 'utf8')) as { reply: unknown };
    expect(res.reply).toMatchObject({ corr: 'dE8x-7qF', success: { body: PLANNER_RESPONSE } });
    expect(await bridge.stop('SIGINT')).toBe(0);
    expect(stackTraceLines(bridge.stderr())).toEqual([]);
    expect(bridge.stderr()).not.toMatch(/warning/);
  }, 120_000);

  it('usage errors: a --service of no intent, a URL that is not http, a client id without --token-url', async () => {
    const base = ['bridge', '--listen', 'udp://127.0.0.1:0'];
    for (const [args, message] of [
      [['--service', 'lights=http://127.0.0.1:1'], /--service lights=http:\/\/127\.0\.0\.1:1: no intent of the schema names service lights/],
      [['--service', 'planner=ftp://h'], /--service planner=ftp:\/\/h: expected an http: or https: URL/],
      [['--client-id', 'x'], /--client-id and --client-secret-file go with --token-url/],
    ] as const) {
      const r = await runMidl([...base, ...args], { timeoutMs: CLI_MS });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 120_000);
});
