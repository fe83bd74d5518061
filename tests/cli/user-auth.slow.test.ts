import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer, type MidlProcess } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * Network MIDI 2.0 user authentication between real processes: `midl peer --users FILE` and
 * `midl send|tail|replay|call --user NAME --password-file FILE`. Passwords never show in any output.
 */

const PASSWORD = 'correct horse battery';
const { dir, schema } = opsProject({
  'users.json': JSON.stringify({ alice: PASSWORD, bob: 'another one' }),
  'alice.pw': `${PASSWORD}\n`,
  'wrong.pw': 'not-the-password-xyzzy\n',
  'broken.json': `{"alice": "${PASSWORD}",}`,
  'bob.pw': 'another one',
  'empty.pw': '\n',
});
const file = (name: string) => join(dir, name);
let peer: MidlProcess & { url: string; port: number };

beforeAll(async () => {
  peer = await startPeer(['--schema', schema, '--users', file('users.json'), '--name', 'users']);
}, 120_000);
afterEach(async () => {
  await killAll([peer]);
});
afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed, whose error is the one to see
  await peer?.stop();
  await killAll();
  removeTempProjects();
});

const send = (note: string, ...flags: string[]) =>
  runMidl(['send', '--to', peer.url, '--topic', 'ops/job', '--json', job(1, note), '--schema', schema, '--connect-timeout', '5000', ...flags]);

describe('midl user authentication', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('the right user delivers; a wrong password, an unknown user or no user exits 1, says what to do, and shows no password', async () => {
    const [right, wrong, unknown, missing] = await Promise.all([
      send('right', '--user', 'alice', '--password-file', file('alice.pw')),
      send('wrong', '--user', 'alice', '--password-file', file('wrong.pw')),
      send('unknown', '--user', 'mallory', '--password-file', file('alice.pw')),
      send('missing'),
    ]);
    expect(right.stderr).toContain(`ops/job → ${peer.url}: 1/1 delivered`);
    expect(right.code).toBe(0);
    const refused = (reason: string, hint: string) => new RegExp(`error: cannot open a session with ${peer.url}: auth-failed: .*${reason}.*\\(${hint}\\)`);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(refused('authentication failed', 'the peer did not accept this --user and password'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(refused('user not found', 'the peer did not accept this --user and password'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(refused('requires user authentication', 'the peer requires user authentication: give --user and --password-file'));

    await peer.waitForLines(1, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.lines().map((l) => (JSON.parse(l) as { value: { note: string } }).value.note)).toEqual(['right']);
    const all = right.stderr + right.stdout + wrong.stderr + unknown.stderr + missing.stderr + peer.stderr();
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('xyzzy');
    expect(stackTraceLines(all)).toEqual([]);
    expect(busWarnings(all)).toEqual([]);
  });

  it('tail takes the same flags (as do replay and call: the same client options)', async () => {
    const tail = runMidl(['tail', '--from', peer.url, '--schema', schema, '--count', '1', '--user', 'alice', '--password-file', file('alice.pw')], {
      timeoutMs: 30_000,
    });
    // The tail sees what is sent once its session is open: send until it has its one message (bounded).
    const tailState = { done: false };
    const finished = tail.then((r) => ((tailState.done = true), r));
    for (let i = 0; i < 20 && !tailState.done; i++) {
      const r = await send(`for tail ${i}`, '--user', 'bob', '--password-file', file('bob.pw'));
      expect(r.code).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
    }
    const tailed = await finished;
    expect(tailed.code).toBe(0);
    expect(tailed.stdout).toMatch(/"note":"for tail/);
  });

  it('flag mistakes are usage errors (exit 2) found before any network activity, quoting no file content', async () => {
    const [noFile, noUser, unreadable, empty] = await Promise.all([
      send('x', '--user', 'alice'),
      send('x', '--password-file', file('alice.pw')),
      send('x', '--user', 'alice', '--password-file', file('absent.pw')),
      send('x', '--user', 'alice', '--password-file', file('empty.pw')),
    ]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/--user alice needs --password-file FILE/);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/--password-file needs --user/);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/--password-file .*absent\.pw: cannot read it: ENOENT/);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--password-file .*empty\.pw: its first line is empty/);
    const broken = await runMidl(['peer', '--listen', 'udp://127.0.0.1:0', '--schema', schema, '--users', file('broken.json')], { timeoutMs: 30_000 });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/--users .*broken\.json: not valid JSON/);
    expect(broken.stderr).not.toContain(PASSWORD);
  });
});
