import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';
import { startRelay, type Relay } from '../helpers/udp-relay.ts';

/**
 * `midl send --resume-for`: when the Network MIDI 2.0 session drops under it (here a path that goes
 * dark for longer than the 5 s silence timeout; a forged Bye does the same), `send` invites the peer
 * again and resumes its bus session, so the run goes on and every line arrives exactly once. Before,
 * the session ended with the link and everything not yet acknowledged was reported not delivered.
 */
const COUNT = 300;
const { dir, schema } = opsProject();
const file = join(dir, 'jobs.jsonl');
writeFileSync(file, Array.from({ length: COUNT }, (_, i) => job(i)).join('\n') + '\n');

let relay: Relay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await killAll();
});
afterAll(removeTempProjects);

describe('midl send across a dropped link', () => {
  it('resumes the session after the path was dark for 6.5 s and delivers every line exactly once', { timeout: 120_000 }, async () => {
    const peer = await startPeer(['--schema', schema]);
    relay = await startRelay({ target: { host: '127.0.0.1', port: peer.port }, seed: 7 });
    const sending = runMidl(['send', '--to', `udp://127.0.0.1:${relay.port}`, '--topic', 'ops/job', '--file', file, '--rate', '30', '--schema', schema]);
    await peer.waitForLines(30, 60_000);
    relay.blackout(true);
    await new Promise((r) => setTimeout(r, 6_500));
    relay.blackout(false);
    const sent = await sending;
    expect(sent.stderr).toContain(`${COUNT}/${COUNT} delivered`);
    expect(sent.code).toBe(0);
    const jobs = (await peer.waitForLines(COUNT, 30_000)).map((l) => (JSON.parse(l) as { value: { n: number } }).value.n);
    expect(jobs.length).toBe(COUNT);
    expect(new Set(jobs).size).toBe(COUNT);
    // The peer saw the link go and the same session come back.
    expect(peer.stderr().match(/^session: /gm)?.length).toBe(2);
    expect(stackTraceLines(sent.stderr + peer.stderr())).toEqual([]);
  });
});
