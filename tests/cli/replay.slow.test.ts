import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
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
    // Replayed words are refused back to the sender (NACK), not reported as errors of the peer's bus.
    expect(busWarnings(sent.stderr + again.stderr + raw.stderr + ump.stderr + peer.stderr())).toEqual([]);
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
  it('hostile files are reported as file:line with exit 1 and nothing sent, never a stack trace', { timeout: 120_000 }, async () => {
    const write = (name: string, text: string | Buffer): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const good = { topic: 'ops/job', address: 'ops/job', corr: '0', ts: 1, qos: 'exactly_once', session: 1, value: JSON.parse(job(1)) as unknown };
    const files = {
      garbage: write('garbage.ump', '# words\n20903C40\nnot-hex!\n'),
      incomplete: write('incomplete.ump', '20903C40\n\n50000000 00000000\n'),
      binary: write('binary.jsonl', Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x7b])),
      badUmp: write('bad-ump.jsonl', `${JSON.stringify({ ...good, ump: ['50000000 00000000 00000000 00000000', '5000 ZZ'] })}\n`),
    };
    // Nobody listens on port 9: a file that got past its checks would fail to connect instead.
    const replay = (file: string, ...more: string[]) =>
      runMidl(['replay', file, '--to', 'udp://127.0.0.1:9', '--connect-timeout', '500', '--schema', schema, ...more]);
    const [garbage, incomplete, binary, badUmp] = await Promise.all([
      replay(files.garbage),
      replay(files.incomplete),
      replay(files.binary),
      replay(files.badUmp, '--raw'),
    ]);
    expect(garbage.stderr).toContain(`error: ${files.garbage}:3: "not-hex!" is not a word of 8 hex digits`);
    expect(incomplete.stderr).toContain(
      `error: ${files.incomplete}:3: incomplete packet: 50000000 starts a 4-word packet (message type 5), but only 2 of its words are there`,
    );
    expect(binary.stderr).toMatch(new RegExp(`error: ${files.binary}:1: not JSON: `));
    expect(badUmp.stderr).toContain(`error: ${files.badUmp}:1: "ump" packet 2: "5000" is not a word of 8 hex digits`);
    for (const r of [garbage, incomplete, binary, badUmp]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('nothing sent');
      expect(r.stderr).not.toContain('cannot open a session');
    }
    expect(stackTraceLines([garbage, incomplete, binary, badUmp].map((r) => r.stderr).join(''))).toEqual([]);
  });

  it('a .ump frame with a bad checksum is sent and reported, not a crash; a recording with a byte order mark replays', { timeout: 120_000 }, async () => {
    const peer = await startPeer(['--schema', schema, '--record', join(dir, 'hostile-record.jsonl')]);
    // One SysEx8 packet that starts like a midl data frame (00 7D 02) but whose CRC-32 is zero.
    const badCrc = join(dir, 'bad-crc.ump');
    writeFileSync(badCrc, '50080000 7D020000 00000000 00000000\n');
    const bom = join(dir, 'bom.jsonl');
    const line = {
      topic: 'ops/job',
      address: 'ops/job',
      corr: '0',
      ts: 1,
      qos: 'exactly_once',
      session: 1,
      value: JSON.parse(job(4, 'after a BOM')) as unknown,
    };
    writeFileSync(bom, `\uFEFF${JSON.stringify(line)}\n`);

    const crc = await runMidl(['replay', badCrc, '--to', peer.url, '--schema', schema, '--wait', '300']);
    expect(crc.code).toBe(0);
    expect(crc.stderr).toContain('0 data frames sent in a new session (+1 other messages)');
    const again = await runMidl(['replay', bom, '--to', peer.url, '--schema', schema]);
    expect(again.stderr).toContain('1/1 delivered');
    expect(again.code).toBe(0);
    const [printed] = parse(await peer.waitForLines(1, 10_000));
    expect(printed?.value).toEqual(line.value);
    expect(await peer.stop()).toBe(0);
    expect(stackTraceLines(crc.stderr + again.stderr + peer.stderr())).toEqual([]);
    // The damaged frame is the one error: the peer reports it (malformed, so nobody can be answered), once.
    expect(busWarnings(crc.stderr + again.stderr)).toEqual([]);
    expect(busWarnings(peer.stderr())).toEqual([
      expect.stringMatching(/^warning: peer midl replay \(session \d+\): checksum mismatch \(frame says 0x00000000, bytes give 0x[0-9a-f]{8}\) \(at byte 3\)$/),
    ]);
  });
});
