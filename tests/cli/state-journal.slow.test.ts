import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl, startPeer } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * Issue 10, item 2, for a peer that keeps no recording: `peer --state DIR` keeps the exactly-once
 * window on disk, so exactly-once lines delivered before a SIGKILL are not delivered again after a
 * restart, and the window holds exactly the last `--exactly-once-window` identities across the
 * journal's rotation.
 */

const { dir, schema } = opsProject();
const WINDOW = 20;
const COUNT = 50;
const lines = Array.from({ length: COUNT }, (_, i) => job(i));
const file = join(dir, 'jobs.jsonl');
writeFileSync(file, lines.join('\n') + '\n');

afterEach(() => killAll());
afterAll(removeTempProjects);

const jobs = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { address: string; value: { n: number } })
    .filter((m) => m.address === 'ops/job')
    .map((m) => m.value.n);

describe('midl peer --state DIR', () => {
  it('remembers the last N exactly-once messages across a SIGKILL and restart, without --record', { timeout: 180_000 }, async () => {
    const state = join(dir, 'state');
    const window = ['--state', state, '--exactly-once-window', String(WINDOW)];
    const first = await startPeer(['--schema', schema, ...window]);
    const sent = await runMidl(['send', '--to', first.url, '--topic', 'ops/job', '--file', file, '--schema', schema]);
    expect(sent.stderr).toContain(`${COUNT}/${COUNT} delivered`);
    expect(jobs(first.stdout())).toEqual(lines.map((_, i) => i));
    await first.stop('SIGKILL');
    // COUNT identities in windows of WINDOW: the journal rotated, and its two files hold the last ones.
    const journal = ['exactly-once.1.jsonl', 'exactly-once.jsonl'].flatMap((f) =>
      readFileSync(join(state, f), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
    expect(journal.length).toBe(COUNT % WINDOW === 0 ? 2 * WINDOW : WINDOW + (COUNT % WINDOW));

    const second = startMidl(['peer', '--listen', first.url, '--schema', schema, ...window]);
    await second.waitFor(/listening on /, 60_000);
    expect(second.stderr()).toContain(`--state: ${WINDOW} exactly-once messages of ${state} will not be delivered again`);
    // The last WINDOW lines are known: acknowledged again, not delivered again.
    const recent = join(dir, 'recent.jsonl');
    writeFileSync(recent, lines.slice(COUNT - WINDOW).join('\n') + '\n');
    const again = await runMidl(['send', '--to', first.url, '--topic', 'ops/job', '--file', recent, '--schema', schema]);
    expect(again.stderr).toContain(`${WINDOW}/${WINDOW} delivered`);
    // A line older than the window is delivered again: the window is exactly as large as promised.
    const old = join(dir, 'old.jsonl');
    writeFileSync(old, `${lines[COUNT - WINDOW - 1]!}\n`);
    const older = await runMidl(['send', '--to', first.url, '--topic', 'ops/job', '--file', old, '--schema', schema]);
    expect(older.stderr).toContain('1/1 delivered');
    await second.waitForLines(1, 30_000);
    expect(await second.stop()).toBe(0);
    expect(jobs(second.stdout())).toEqual([COUNT - WINDOW - 1]);
    expect(stackTraceLines(sent.stderr + again.stderr + older.stderr + second.stderr())).toEqual([]);
    expect(busWarnings(sent.stderr + again.stderr + older.stderr + second.stderr())).toEqual([]);
  });
});
