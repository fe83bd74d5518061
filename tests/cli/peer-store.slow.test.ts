import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl, startPeer, type MidlProcess } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * Issue 14, item 4, with real processes: `midl peer --store DIR` killed with SIGKILL while `midl send`
 * sends at-least-once messages to it, and restarted on the same port from the same store. The sender
 * resumes its session with the restarted peer (the session, its resume token's hash and its sequence
 * state were in the store), and every message it sent is printed by one of the two peers.
 */

const COUNT = 400;
const { dir, schema } = opsProject();
const file = join(dir, 'events.jsonl');
writeFileSync(file, Array.from({ length: COUNT }, (_, i) => job(i)).join('\n') + '\n');

afterEach(() => killAll());
afterAll(removeTempProjects);

/** The `n` of every message a peer printed. */
const printed = (peer: MidlProcess): number[] => peer.lines().map((l) => (JSON.parse(l) as { value: { n: number } }).value.n);

describe('midl peer --store', () => {
  it('killed (SIGKILL) and restarted on its port, resumes the sender’s session: every at-least-once message is printed', { timeout: 120_000 }, async () => {
    const store = join(dir, 'store');
    const first = await startPeer(['--schema', schema, '--store', store]);
    await first.waitFor(/store: 0 sessions restored from /, 10_000);
    const sending = runMidl([
      'send',
      '--to',
      first.url,
      '--topic',
      'ops/event/tick',
      '--file',
      file,
      '--rate',
      '100',
      '--resume-for',
      '30000',
      '--schema',
      schema,
    ]);
    await first.waitForLines(60, 60_000);
    await first.stop('SIGKILL');
    const fromFirst = printed(first);
    // The session the sender holds is in the store, under the authority's name.
    expect(readdirSync(join(store, 'midl', 'sessions'))).toEqual([expect.stringMatching(/^midl peer\|\d+\.json$/) as unknown]);

    const second = startMidl(['peer', '--listen', first.url, '--schema', schema, '--store', store]);
    await second.waitFor(/store: 1 session restored from /, 60_000);
    const sent = await sending;
    expect(sent.stderr).toContain(`${COUNT}/${COUNT} delivered`);
    expect(sent.code).toBe(0);
    const fromSecond = printed(second);
    expect(await second.stop()).toBe(0);

    // At least once: every message is printed by one of the two; copies (printed by the first, its ACK
    // lost with it, and sent again to the second) are allowed, and counted.
    const all = new Set([...fromFirst, ...fromSecond]);
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    const notAtFirst = Array.from({ length: COUNT }, (_, i) => i).filter((n) => !fromFirst.includes(n));
    for (const n of notAtFirst) expect(fromSecond, `message ${n}`).toContain(n);
    const copies = fromFirst.length + fromSecond.length - COUNT;
    process.stdout.write(`messages printed by both peers (sent again after the kill): ${copies}\n`);
    expect(copies).toBeLessThan(300);
    // The session was resumed, not opened anew: the sender never reported a new session or a failure.
    expect(stackTraceLines(sent.stderr + second.stderr())).toEqual([]);
    expect(busWarnings(sent.stderr + second.stderr())).toEqual([]);
    // A clean stop ends the session (its client was told): its record goes.
    expect(readdirSync(join(store, 'midl', 'sessions'))).toEqual([]);
  });

  it('starts with a corrupt session record in its store, warning with the record’s id, and skips it', { timeout: 60_000 }, async () => {
    const store = join(dir, 'store-corrupt');
    mkdirSync(join(store, 'midl', 'sessions'), { recursive: true });
    writeFileSync(join(store, 'midl', 'sessions', 'midl peer|77.json'), '{"format": 1, "sessionId": "seventy-seven"');
    writeFileSync(join(store, 'midl', 'sessions', 'midl peer|78.json'), '{"format": 1, "sessionId": 78}\n');
    const peer = await startPeer(['--schema', schema, '--store', store]);
    await peer.waitFor(/store: 0 sessions restored from /, 10_000);
    expect(peer.stderr()).toMatch(/warning: store: session record midl peer\/77 of .* skipped: .+/);
    expect(peer.stderr()).toMatch(/warning: store: session record midl peer\/78 of .* skipped: .*peerName/);
    // It serves as ever.
    const one = join(dir, 'one.jsonl');
    writeFileSync(one, `${job(1)}\n`);
    const sent = await runMidl(['send', '--to', peer.url, '--topic', 'ops/event/tick', '--file', one, '--schema', schema]);
    expect(sent.code).toBe(0);
    await peer.waitForLines(1, 10_000);
    expect(await peer.stop()).toBe(0);
  });
});
