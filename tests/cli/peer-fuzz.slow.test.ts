import { boundSocket } from '../helpers/udp-port.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { until } from '../helpers/until.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * The third "done when": a `midl peer` fed random datagrams keeps serving its session. Hostile
 * datagrams (random bytes, and valid Network MIDI 2.0 commands with random fields, among them UMP
 * Data carrying random packets) arrive from several sockets while a `midl send` session delivers 300
 * exactly-once messages; every message arrives once, `send` exits 0, the peer prints no stack trace
 * and still answers a fresh invitation and ping afterwards.
 */
const { dir, schema } = opsProject();
afterEach(() => killAll());
afterAll(() => removeTempProjects());

const hostileDatagram = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  // "MIDI" + random words: plausible headers with random codes, lengths and payloads.
  fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }).map((ws) => {
    const b = Buffer.alloc(4 + ws.length * 4);
    b.writeUInt32BE(0x4d494449, 0);
    ws.forEach((w, i) => b.writeUInt32BE(w, 4 + i * 4));
    return b;
  }),
  // Well-formed command headers with random fields: UMP Data carrying random words (not whole packets
  // by their MT, on purpose), a Retransmit Request, a Session Reset and a Bye with a random reason.
  fc
    .record({
      seq: fc.integer({ min: 0, max: 0xffff }),
      words: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 16 }),
      reason: fc.integer({ min: 0, max: 0xff }),
    })
    .map(({ seq, words, reason }) => {
      const ws = [
        0x4d494449,
        ((0xff << 24) | (words.length << 16) | seq) >>> 0,
        ...words,
        ((0x80 << 24) | (1 << 16) | seq) >>> 0,
        (words.length << 16) >>> 0,
        0x82000000,
        ((0xf0 << 24) | (reason << 8)) >>> 0,
      ];
      const b = Buffer.alloc(ws.length * 4);
      ws.forEach((w, i) => b.writeUInt32BE(w, i * 4));
      return b;
    }),
);

describe('midl peer under hostile datagrams', () => {
  it('keeps serving a send session, then still answers an invitation and a ping', async () => {
    const peer = await startPeer(['--schema', schema]);
    const startedAt = Date.now();
    const attackers = await Promise.all([boundSocket(), boundSocket(), boundSocket()]);
    const file = join(dir, 'jobs.jsonl');
    writeFileSync(file, Array.from({ length: 300 }, (_, i) => job(i)).join('\n') + '\n');
    const samples = fc.sample(hostileDatagram, { numRuns: 600, seed: 2026 });
    const sendDone = new AbortController();
    let flooded = 0;
    // Until send is done (bounded): the hostile traffic overlaps the whole session.
    const flood = (async () => {
      for (let i = 0; !sendDone.signal.aborted && i < 40_000; i++) {
        attackers[i % attackers.length]!.send(samples[i % samples.length]!, peer.port, '127.0.0.1');
        flooded++;
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const sent = await runMidl(['send', '--to', peer.url, '--topic', 'ops/job', '--file', file, '--schema', schema], { timeoutMs: 60_000 });
    sendDone.abort();
    await flood;
    expect(flooded).toBeGreaterThan(1_000);
    expect(sent.stderr).toMatch(/300\/300 delivered/);
    expect(sent.code).toBe(0);
    const lines = await peer.waitForLines(300, 10_000);
    const ns = lines.map((l) => (JSON.parse(l) as { value: { n: number } }).value.n);
    expect(new Set(ns).size).toBe(300);
    expect(ns).toHaveLength(300);
    // Still serving: a fresh invitation is accepted and a ping answered.
    const probe = attackers[0];
    const got: Buffer[] = [];
    probe.on('message', (m) => got.push(m));
    const name = Buffer.from('probe\0\0\0', 'utf8');
    const invitation = Buffer.concat([Buffer.from([0x4d, 0x49, 0x44, 0x49, 0x01, 0x02, 0x02, 0x00]), name, Buffer.from('p1\0\0', 'utf8')]);
    probe.send(invitation, peer.port, '127.0.0.1');
    const answered = (test: () => boolean, what: string) => until(test, 5_000, what, 10);
    const has = (code: number) =>
      got.some((m) => m.length >= 8 && m.readUInt32BE(0) === 0x4d494449 && [...Array((m.length - 4) / 4).keys()].some((k) => m[4 + k * 4] === code));
    await answered(() => has(0x10), 'an Invitation Reply');
    probe.send(Buffer.from('4d4944492001000012345678', 'hex'), peer.port, '127.0.0.1');
    await answered(() => got.some((m) => m.includes(Buffer.from('2101000012345678', 'hex'))), 'a Ping Reply');
    for (const s of attackers) s.close();
    expect(await peer.stop('SIGINT')).toBe(0);
    expect(stackTraceLines(peer.stderr())).toEqual([]);
    expect(busWarnings(sent.stderr + peer.stderr())).toEqual([]);
    // What the transport refused is told, but bounded: the first at once, then one summary per 10 s.
    const told = peer
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('transport: '));
    expect(told.length).toBeGreaterThanOrEqual(1);
    expect(told.length).toBeLessThanOrEqual(Math.ceil((Date.now() - startedAt) / 10_000) + 1);
    expect(told[0]).toMatch(/^transport: udp:\/\/127\.0\.0\.1:\d+: .+ \(the transport carried on\)$/);
  }, 90_000);
});
