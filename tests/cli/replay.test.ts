import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * Record and replay: `midl peer --record` writes what it received with its UMP words; `midl replay`
 * publishes a recording again as fresh messages, while `--raw` (or a .ump file) re-sends the recorded
 * words unchanged, which the receiving Bus must refuse.
 */

const { dir, schema } = opsProject();

afterEach(() => killAll());
afterAll(removeTempProjects);

interface Line {
  topic: string;
  address: string;
  corr: string;
  ts: number;
  qos: string;
  session: number;
  value: { n: number };
  ump?: string[] | null;
}
const parse = (lines: readonly string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

describe('midl peer --record and midl replay', () => {
  it('records with UMP words, replays as fresh messages, and the raw words are refused', { timeout: 120_000 }, async () => {
    const record = join(dir, 'session.jsonl');
    const input = join(dir, 'three.jsonl');
    writeFileSync(input, [job(0), job(1), job(2)].join('\n'));
    const peer = await startPeer(['--schema', schema, '--record', record]);

    const sent = await runMidl(['send', '--to', peer.url, '--topic', 'ops/event/start', '--file', input, '--schema', schema]);
    expect(sent.code).toBe(0);
    const original = parse(await peer.waitForLines(3, 10_000));
    const recorded = parse(readFileSync(record, 'utf8').trim().split('\n'));
    expect(recorded.map(({ ump: _, ...rest }) => rest)).toEqual(original);
    for (const r of recorded) {
      // Packets of 8-hex-digit words: SysEx8 (MT 5), four words each.
      expect(r.ump?.length).toBeGreaterThan(0);
      for (const p of r.ump!) expect(p).toMatch(/^5[0-9A-F]{7}( [0-9A-F]{8}){3}$/);
    }

    // Fresh messages: same topics and values, a new session and new timestamps.
    const again = await runMidl(['replay', record, '--to', peer.url, '--schema', schema]);
    expect(again.stderr).toContain('3/3 delivered');
    expect(again.code).toBe(0);
    const replayed = parse(await peer.waitForLines(6, 10_000)).slice(3);
    expect(replayed.map((l) => [l.address, l.qos, l.value])).toEqual(original.map((l) => [l.address, l.qos, l.value]));
    expect(replayed.every((l) => l.session !== original[0]!.session)).toBe(true);
    expect(replayed[0]!.ts).toBeGreaterThan(original[2]!.ts);

    // The recorded words themselves, and the same words as a .ump file: refused, nothing printed.
    const umpFile = join(dir, 'first.ump');
    writeFileSync(umpFile, `# the first recorded message\n${recorded[0]!.ump!.join('\n')}\n`);
    const [raw, ump] = await Promise.all([
      runMidl(['replay', record, '--raw', '--to', peer.url, '--schema', schema, '--wait', '500']),
      runMidl(['replay', umpFile, '--to', peer.url, '--schema', schema, '--wait', '500']),
    ]);
    expect(raw.code).toBe(0);
    expect(raw.stderr).toContain('3 data frames sent in a new session');
    expect(raw.stderr).toMatch(/refused: 3 \((replay|stale)/);
    expect(raw.stderr).toContain('acknowledged: 0');
    expect(ump.code).toBe(0);
    expect(ump.stderr).toMatch(/1 data frame sent in a new session\n {2}refused: 1 /);
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.lines().length).toBe(6);

    expect(await peer.stop('SIGINT')).toBe(0);
    expect(readFileSync(record, 'utf8').trim().split('\n').length).toBe(6);
    expect(stackTraceLines(sent.stderr + again.stderr + raw.stderr + ump.stderr + peer.stderr())).toEqual([]);
  });

  it('a recording line that does not fit the schema stops the replay before anything is sent', { timeout: 60_000 }, async () => {
    const file = join(dir, 'broken.jsonl');
    const good = { topic: 'ops/job', address: 'ops/job', corr: '0', ts: 1, qos: 'exactly_once', session: 1, value: JSON.parse(job(1)) as unknown };
    writeFileSync(file, `${JSON.stringify(good)}\n${JSON.stringify({ ...good, address: 'ops/event/x' })}\n`);
    const r = await runMidl(['replay', file, '--to', 'udp://127.0.0.1:9', '--schema', schema]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('broken.jsonl:2: ops/event/x is a ops/event/{kind} address in this schema, but was recorded as ops/job');
    expect(r.stderr).toContain('nothing sent');
  });
});
