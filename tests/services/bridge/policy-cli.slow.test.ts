import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runMidl, stackTraceLines } from '../../helpers/cli.ts';
import { killAll, startMidl } from '../../helpers/midl-process.ts';
import { repoPath } from '../../helpers/repo.ts';
import { PLANNER_RESPONSE, SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { startService } from './planner-service.ts';

/**
 * `midl bridge --policy DIR` end to end: a directory of two policy files (services, token and journal in
 * one, devices in the other, relative paths taken from the file), the schema given with --schema, a
 * real planner and token endpoint on 127.0.0.1, envelopes sent with `midl send --name` (the device's
 * sender is `peer NAME`) and the replies watched with `midl tail`.
 */
const CLI_MS = 60_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => killAll());

describe('midl bridge --policy', () => {
  it('a directory of two files: the whitelisted intent is served with the gateway token, another refused 4004, a burst 4008, an unlisted device 4004', async () => {
    const gateway = await startService((r) =>
      r.url === '/auth/token' && JSON.stringify(r.body) === '{"clientId":"midl-bridge","clientSecret":"s3cret"}'
        ? { status: 200, json: { access_token: 'the-token', expires_in: 300 } }
        : { status: 401, json: {} },
    );
    cleanups.push(() => gateway.close());
    const planner = await startService((r) =>
      r.headers.authorization === 'Bearer the-token' ? { status: 200, json: PLANNER_RESPONSE } : { status: 401, json: {} },
    );
    cleanups.push(() => planner.close());
    const dir = await mkdtemp(join(tmpdir(), 'midl-bridge-policy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'client-secret'), 's3cret\n', { mode: 0o600 });
    await writeFile(
      join(dir, 'etc', '10-services.yaml'),
      `services:\n  planner: ${planner.baseUrl}\ntoken:\n  url: ${gateway.baseUrl}/auth/token\n  clientId: midl-bridge\n  clientSecretFile: client-secret\njournal: ../journal\n`,
    );
    await writeFile(join(dir, 'etc', '20-devices.yaml'), 'devices:\n  peer pedal:\n    intents: [planner.execute]\n    rate: { perSecond: 0.01, burst: 1 }\n');
    const bridge = startMidl(['bridge', '--listen', 'udp://127.0.0.1:0', '--policy', join(dir, 'etc'), '--schema', repoPath('midl.yaml')]);
    const url = (await bridge.waitFor(/^listening on (udp:\/\/127\.0\.0\.1:\d+)$/m, CLI_MS))[1]!;
    await bridge.waitFor(/^note: policy: .*$/m, CLI_MS);
    expect(bridge.stderr()).toMatch(/token from .*10-services\.yaml/);
    expect(bridge.stderr()).toMatch(/journal from .*10-services\.yaml/);
    expect(bridge.stderr()).toMatch(/devices: 1 listed, others refused INTENT_NOT_ALLOWED/);
    const tail = startMidl(['tail', '--from', url, '--count', '5', 'flex/reply/**']);
    await tail.waitFor(/subscribed to flex\/reply\/\*\* on/, CLI_MS);
    const send = async (name: string, envelope: object) => {
      const sent = await runMidl(['send', '--to', url, '--name', name, '--topic', 'flex/envelope', '--json', JSON.stringify({ ...envelope, ts: Date.now() })], {
        timeoutMs: CLI_MS,
      });
      expect(sent.code, sent.stderr).toBe(0);
    };
    await send('pedal', { ...SEED_ENVELOPE, corr: 'served' });
    await send('pedal', { ...SEED_ENVELOPE, corr: 'not-allowed', intent: 'planner.reason', body: { objective: 'why' } });
    await send('pedal', { ...SEED_ENVELOPE, corr: 'too-fast' });
    await send('stranger', { ...SEED_ENVELOPE, corr: 'unlisted' });
    expect(await tail.exited).toBe(0);
    const replies = tail
      .lines()
      .map((l) => (JSON.parse(l) as { value: { corr: string; ack: boolean; success?: unknown; error?: { code: number; retryAfterMs?: number } } }).value);
    expect(replies.map((r) => [r.corr, r.ack, r.success !== undefined, r.error?.code])).toEqual([
      ['served', true, false, undefined],
      ['served', true, true, undefined],
      ['not-allowed', false, false, 4004],
      ['too-fast', false, false, 4008],
      ['unlisted', false, false, 4004],
    ]);
    // One token per 100 s, taken by 'served' a moment before.
    expect(replies[3]!.error!.retryAfterMs).toBeGreaterThan(1_000);
    expect(replies[3]!.error!.retryAfterMs).toBeLessThanOrEqual(100_000);
    expect(planner.received).toHaveLength(1);
    expect(gateway.received).toHaveLength(1);
    // One journal directory per sender (its name escaped).
    expect(await readdir(join(dir, 'journal'))).toEqual(['peer%20pedal']);
    expect((await readdir(join(dir, 'journal', 'peer%20pedal'))).sort()).toEqual(['served-req.json', 'served-res.json']);
    expect(await bridge.stop('SIGINT')).toBe(0);
    expect(stackTraceLines(bridge.stderr())).toEqual([]);
    expect(bridge.stderr()).not.toMatch(/warning/);
  }, 120_000);

  it('a policy with a mistake is its diagnostic and exit 2; a flag replaces the setting of the policy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midl-bridge-policy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'bad.yaml'), 'services:\n  planner: ftp://nowhere\n');
    const bad = await runMidl(['bridge', '--listen', 'udp://127.0.0.1:0', '--policy', join(dir, 'bad.yaml')], { timeoutMs: CLI_MS });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('error[MIDL1907]: invalid bridge policy: services.planner: "ftp://nowhere" is not an http: or https: URL');
    expect(bad.stderr).toMatch(/bad\.yaml:2:12/);
    await writeFile(join(dir, 'bad.yaml'), 'services:\n  planner: http://127.0.0.1:1\nmaxAgeMs: 5\n');
    const bridge = startMidl([
      'bridge',
      '--listen',
      'udp://127.0.0.1:0',
      '--policy',
      join(dir, 'bad.yaml'),
      '--service',
      'planner=http://127.0.0.1:2',
      '--max-age',
      '100',
    ]);
    const note = (await bridge.waitFor(/^note: policy: (.*)$/m, CLI_MS))[1]!;
    // Only what came from the file is said to come from it.
    expect(note).not.toMatch(/maxAgeMs|service planner/);
    expect(await bridge.stop('SIGINT')).toBe(0);
  }, 120_000);
});
