import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl, startPeer, type MidlProcess } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';
import { until } from '../helpers/until.ts';

/**
 * Issue 10, items 1 and 2, with real processes: `midl send` to a `midl peer --record` that is killed
 * with SIGKILL mid-run. What `send` reports delivered must be in the recording (the peer acknowledges
 * a message only once written), every line not delivered is listed and written by `--failed`, and an
 * exactly-once file sent again after the peer restarts leaves every line in the recording once.
 */

const COUNT = 600;
/** A line repeated on purpose: five identical exactly-once messages are five messages. */
const REPEATED = job(1000, 'same');
const { dir, schema } = opsProject();
const file = join(dir, 'jobs.jsonl');
const lines = Array.from({ length: COUNT }, (_, i) => job(i));
for (const at of [50, 150, 250, 400, 550]) lines.splice(at, 0, REPEATED);
writeFileSync(file, lines.join('\n') + '\n');
const TOTAL = lines.length;

afterEach(() => killAll());
afterAll(removeTempProjects);

const recordOf = (path: string): { n: number; note: string; dedupe?: string }[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const r = JSON.parse(l) as { value: { n: number; note: string }; dedupe?: string };
          return { ...r.value, ...(r.dedupe === undefined ? {} : { dedupe: r.dedupe }) };
        })
    : [];

const failedLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);

/** Kills `peer` with SIGKILL once `record` holds its first line and `afterMs` more have passed. */
async function killMidRun(peer: MidlProcess, record: string, afterMs: number): Promise<void> {
  await until(() => existsSync(record) && statSync(record).size > 0, 60_000, 'the first recorded message', 20);
  await new Promise((r) => setTimeout(r, afterMs));
  await peer.stop('SIGKILL');
}

describe('midl send when the peer is killed (SIGKILL) mid-run', () => {
  it('reports delivered only what the peer recorded, and lists and writes every line it did not deliver', { timeout: 120_000 }, async () => {
    const record = join(dir, 'least.jsonl');
    const failed = join(dir, 'least-failed.jsonl');
    const peer = await startPeer(['--schema', schema, '--record', record]);
    const sending = runMidl(['send', '--to', peer.url, '--topic', 'ops/event/tick', '--file', file, '--rate', '200', '--failed', failed, '--schema', schema]);
    await killMidRun(peer, record, 1_500);
    const sent = await sending;
    expect(sent.code).toBe(1);
    const m = sent.stderr.match(/: (\d+)\/(\d+) delivered in [\d.]+ s, (\d+) not delivered/);
    expect(m, sent.stderr).not.toBeNull();
    const delivered = Number(m![1]);
    expect(Number(m![2])).toBe(TOTAL);
    expect(Number(m![3])).toBe(TOTAL - delivered);

    // Every line not delivered is named on stderr (file:line) and written to --failed as it was.
    const notDelivered = failedLines(failed);
    expect(notDelivered.length).toBe(TOTAL - delivered);
    const named = sent.stderr.split('\n').filter((l) => /^ {6}\S+jobs\.jsonl:\d+$/.test(l));
    expect(named.length).toBe(TOTAL - delivered);
    const failedNumbers = named.map((l) => Number(l.slice(l.lastIndexOf(':') + 1)));
    expect(notDelivered).toEqual(failedNumbers.sort((a, b) => a - b).map((n) => lines[n - 1]));

    // Nothing reported delivered that is not recorded. (At least once: the rest may be recorded too —
    // the lines written just before the kill whose ACK never left; measured, not assumed away.)
    const recorded = recordOf(record).map((r) => JSON.stringify({ n: r.n, note: r.note, big: String(2n ** 63n + BigInt(r.n)) }));
    const notDeliveredCount = new Map<string, number>();
    for (const l of notDelivered) notDeliveredCount.set(l, (notDeliveredCount.get(l) ?? 0) + 1);
    for (const l of lines) if (!notDeliveredCount.has(l)) expect(recorded, `${l} was reported delivered`).toContain(l);
    const recordedOnly = recorded.filter((l) => notDeliveredCount.has(l) && l !== REPEATED).length;
    process.stdout.write(`recorded after kill -9 but not reported delivered (ACK lost with the peer): ${recordedOnly}\n`);
    expect(recordedOnly).toBeLessThan(64);
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(TOTAL);
    expect(stackTraceLines(sent.stderr)).toEqual([]);
    expect(busWarnings(sent.stderr)).toEqual([]);
  });
});

describe('exactly once across a crash and restart of the peer', () => {
  it('the same file (and its --failed file) sent again leaves every line in the recording exactly once', { timeout: 180_000 }, async () => {
    const record = join(dir, 'once.jsonl');
    const failed = join(dir, 'once-failed.jsonl');
    const first = await startPeer(['--schema', schema, '--record', record]);
    const sending = runMidl(['send', '--to', first.url, '--topic', 'ops/job', '--file', file, '--rate', '200', '--failed', failed, '--schema', schema]);
    await killMidRun(first, record, 1_500);
    const interrupted = await sending;
    expect(interrupted.code).toBe(1);

    // Restarted at once on the same port with the same recording.
    const second = startMidl(['peer', '--listen', first.url, '--schema', schema, '--record', record]);
    await second.waitFor(/listening on /, 60_000);
    const again = await runMidl(['send', '--to', first.url, '--topic', 'ops/job', '--file', failed, '--schema', schema]);
    expect(again.stderr).toMatch(/(\d+)\/\1 delivered/);
    expect(again.code).toBe(0);
    const whole = await runMidl(['send', '--to', first.url, '--topic', 'ops/job', '--file', file, '--schema', schema]);
    expect(whole.stderr).toContain(`${TOTAL}/${TOTAL} delivered`);
    expect(whole.code).toBe(0);
    expect(await second.stop()).toBe(0);

    const recorded = recordOf(record);
    const count = new Map<string, number>();
    for (const r of recorded) count.set(`${r.n} ${r.note}`, (count.get(`${r.n} ${r.note}`) ?? 0) + 1);
    expect(recorded.length).toBe(TOTAL);
    expect(count.get('1000 same')).toBe(5);
    for (let i = 0; i < COUNT; i++) expect(count.get(`${i} job ${i}`), `job ${i}`).toBe(1);
    // Every recorded exactly-once line carries its identity, which the restarted peer read back.
    expect(recorded.every((r) => typeof r.dedupe === 'string')).toBe(true);
    expect(second.stderr()).toMatch(/--record: \d+ exactly-once messages? of .* will not be delivered again/);
    expect(stackTraceLines(again.stderr + whole.stderr + second.stderr())).toEqual([]);
    expect(busWarnings(again.stderr + whole.stderr + second.stderr())).toEqual([]);
  });
});
