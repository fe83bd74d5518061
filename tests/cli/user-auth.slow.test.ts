import { chmodSync } from 'node:fs';
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
  'policy.yaml': 'rules:\n  - user: alice\n    capabilities: [ops.send, ops.watch]\n  - user: "*"\n    capabilities: [ops.watch]\n',
  'typo-policy.yaml': 'rules:\n  - user: alice\n    capabilities: [ops.sned]\n',
  'open-users.json': JSON.stringify({ alice: PASSWORD }),
});
const file = (name: string) => join(dir, name);
// Files of secrets are refused unless only their owner may read them.
for (const name of ['users.json', 'alice.pw', 'wrong.pw', 'broken.json', 'bob.pw', 'empty.pw']) chmodSync(file(name), 0o600);
chmodSync(file('open-users.json'), 0o644);
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

  it('--policy grants by the authenticated user: alice may send jobs, bob may only watch', async () => {
    const policed = await startPeer(['--schema', schema, '--users', file('users.json'), '--policy', file('policy.yaml'), '--name', 'policed']);
    try {
      const run = (note: string, user: string) =>
        runMidl([
          'send',
          '--to',
          policed.url,
          '--topic',
          'ops/job',
          '--json',
          job(2, note),
          '--schema',
          schema,
          '--user',
          user,
          '--password-file',
          file(`${user}.pw`),
        ]);
      const [alice, bob] = await Promise.all([run('from alice', 'alice'), run('from bob', 'bob')]);
      expect(alice.code).toBe(0);
      expect(alice.stderr).toContain('1/1 delivered');
      expect(bob.code).toBe(1);
      expect(bob.stderr).toMatch(/forbidden: 1 message\n\s+ops\/job: .* may not publish/);
      await policed.waitForLines(1, 10_000);
      expect(policed.lines().map((l) => (JSON.parse(l) as { value: { note: string } }).value.note)).toEqual(['from alice']);
    } finally {
      await policed.stop();
    }
  });

  it('a policy with a mistake, or a users file others may read, stops the peer before it listens (exit 2)', async () => {
    const typo = await runMidl(['peer', '--listen', 'udp://127.0.0.1:0', '--schema', schema, '--policy', file('typo-policy.yaml')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error[MIDL1905]: unknown capability 'ops.sned' in the policy");
    expect(typo.stderr).toMatch(/--> .*typo-policy\.yaml:3:20\n/);
    expect(typo.stderr).toContain("help: the schema's capabilities: ops.send, ops.watch");
    expect(typo.stderr).not.toContain('listening');
    const exposed = await runMidl(['peer', '--listen', 'udp://127.0.0.1:0', '--schema', schema, '--users', file('open-users.json')]);
    expect(exposed.code).toBe(2);
    expect(exposed.stderr).toMatch(
      /error\[MIDL1906\]: --users: '.*open-users\.json' holds secrets but every user of this machine may read it \(mode 0644\)\nhelp: chmod 600 /,
    );
    expect(exposed.stderr).not.toContain(PASSWORD);
  });
});
