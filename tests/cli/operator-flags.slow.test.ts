import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl, startPeer, type MidlProcess } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * Flags of the operator commands that peer.test.ts does not reach: `--secret` on both sides,
 * `--rate` and the progress line of a long run, `tail` with a pattern and `--count`, and port 0,
 * which only a listener may ask for.
 */

// Secrets come from files only their owner may read (--secret on the command line is for development).
const { dir, schema } = opsProject({ 's3cret.secret': 's3cret\n' });
chmodSync(join(dir, 's3cret.secret'), 0o600);
let open: MidlProcess & { url: string; port: number };
let locked: MidlProcess & { url: string; port: number };

beforeAll(async () => {
  [open, locked] = await Promise.all([
    startPeer(['--schema', schema]),
    startPeer(['--schema', schema, '--secret-file', join(dir, 's3cret.secret'), '--name', 'locked']),
  ]);
}, 120_000);
// The shared peers live until afterAll; everything else a test started dies with the test.
afterEach(async () => {
  await killAll([open, locked]);
  // Nothing any test did so far made a shared peer's bus report an error.
  expect(busWarnings(open.stderr() + locked.stderr())).toEqual([]);
});
afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed, whose error is the one to see
  await Promise.all([open?.stop(), locked?.stop()]);
  await killAll();
  removeTempProjects();
});

interface Line {
  address: string;
  value: { n: number; note: string };
}
const parse = (lines: readonly string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

describe('operator flags', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('--secret-file: the right secret delivers; a wrong (--secret, with its warning) or missing one exits 1 and says what to do', async () => {
    const send = (...secret: string[]) =>
      runMidl([
        'send',
        '--to',
        locked.url,
        '--topic',
        'ops/job',
        '--json',
        job(1, `secret ${secret.join('')}`),
        '--schema',
        schema,
        '--connect-timeout',
        '5000',
        ...secret,
      ]);
    const [right, wrong, missing] = await Promise.all([send('--secret-file', join(dir, 's3cret.secret')), send('--secret', 'guess'), send()]);

    expect(right.stderr).toContain(`ops/job → ${locked.url}: 1/1 delivered`);
    expect(right.code).toBe(0);
    // A run shorter than a second prints no progress line.
    expect(right.stderr).not.toMatch(/^sent \d+\/\d+/m);

    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`error: cannot open a session with ${locked.url}: auth-failed: .*\\(the peer did not accept this --secret\\)`));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      new RegExp(`error: cannot open a session with ${locked.url}: auth-failed: .*\\(the peer requires a shared secret: give it with --secret\\)`),
    );
    for (const r of [wrong, missing]) expect(r.stderr).not.toContain('delivered');

    // Only the authenticated message reached the peer.
    await locked.waitForLines(1, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(parse(locked.lines()).map((l) => l.value.note)).toEqual([`secret --secret-file${join(dir, 's3cret.secret')}`]);
    expect(stackTraceLines(right.stderr + wrong.stderr + missing.stderr + locked.stderr())).toEqual([]);
    expect(busWarnings(right.stderr + missing.stderr)).toEqual([]);
    // A secret on the command line works, and says it is for development.
    expect(busWarnings(wrong.stderr)).toEqual([
      'warning: --secret on the command line shows in the process list and shell history: use --secret-file FILE outside development',
    ]);
  });

  it('--rate paces a run, every message still arrives, and a run over a second prints progress', async () => {
    // 150 messages at 100/s: message i is not sent before i × 10 ms, so the run takes at least 1.49 s.
    const count = 150;
    const file = join(dir, 'paced.jsonl');
    writeFileSync(file, Array.from({ length: count }, (_, i) => job(i, 'paced')).join('\n') + '\n');
    const before = open.lines().length;
    const r = await runMidl(['send', '--to', open.url, '--topic', 'ops/job', '--file', file, '--rate', '100', '--schema', schema]);
    expect(r.code).toBe(0);
    const m = new RegExp(`ops/job → ${open.url}: ${count}/${count} delivered in (\\d+\\.\\d) s`).exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(1.4);
    expect(r.stderr).toMatch(new RegExp(`^sent \\d+/${count}, acked \\d+$`, 'm'));

    const lines = parse(await open.waitForLines(before + count, 10_000)).slice(before);
    expect(
      lines
        .filter((l) => l.value.note === 'paced')
        .map((l) => l.value.n)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(stackTraceLines(r.stderr)).toEqual([]);
    expect(busWarnings(r.stderr)).toEqual([]);
  });

  it('tail --from with a pattern prints only matching messages and exits 0 after --count', async () => {
    const tail = startMidl(['tail', '--from', open.url, 'ops/event/*', '--count', '2', '--timeout', '60000', '--schema', schema]);
    await tail.waitFor(/subscribed to ops\/event\/\* on /, 60_000);
    const before = open.lines().length;
    // A message the pattern does not match, seen by the peer before the matching ones are sent.
    const other = await runMidl(['send', '--to', open.url, '--topic', 'ops/job', '--json', job(1, 'not for tail'), '--schema', schema]);
    expect(other.code).toBe(0);
    await open.waitForLines(before + 1, 10_000);
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, [job(10), job(11), job(12)].join('\n'));
    const events = await runMidl(['send', '--to', open.url, '--topic', 'ops/event/start', '--file', file, '--schema', schema]);
    expect(events.code).toBe(0);

    expect(await tail.exited).toBe(0);
    const printed = parse(tail.lines());
    expect(printed.length).toBe(2);
    expect(printed.every((l) => l.address === 'ops/event/start')).toBe(true);
    expect(printed.every((l) => [10, 11, 12].includes(l.value.n))).toBe(true);
    expect(stackTraceLines(tail.stderr() + other.stderr + events.stderr)).toEqual([]);
    expect(busWarnings(tail.stderr() + other.stderr + events.stderr)).toEqual([]);
  });

  it('port 0 only for --listen: send, tail and replay refuse it as a usage error; a long --name is one too', async () => {
    expect(open.port).toBeGreaterThan(0); // peer --listen udp://127.0.0.1:0 took a free port
    const recording = join(dir, 'empty.jsonl');
    writeFileSync(recording, '');
    const [send, tail, replay, longName] = await Promise.all([
      runMidl(['send', '--to', 'udp://127.0.0.1:0', '--topic', 'ops/job', '--json', job(1), '--schema', schema]),
      runMidl(['tail', '--from', 'udp://127.0.0.1:0', '--schema', schema]),
      runMidl(['replay', recording, '--to', 'udp://127.0.0.1:0', '--schema', schema]),
      runMidl(['peer', '--listen', 'udp://127.0.0.1:0', '--name', 'n'.repeat(99), '--schema', schema]),
    ]);
    expect([send.code, tail.code, replay.code, longName.code]).toEqual([2, 2, 2, 2]);
    const refusal = (flag: string) =>
      `error: ${flag}: port 0 means "any free port", which only a listener can ask for; give the peer's port in "udp://127.0.0.1:0"`;
    expect(send.stderr).toContain(refusal('--to'));
    expect(tail.stderr).toContain(refusal('--from'));
    expect(replay.stderr).toContain(refusal('--to'));
    expect(longName.stderr).toContain("option '--name <name>' argument");
    expect(longName.stderr).toContain('at most 98 bytes of UTF-8 (this one is 99)');
    expect(stackTraceLines([send, tail, replay, longName].map((r) => r.stderr).join(''))).toEqual([]);
  });
});
