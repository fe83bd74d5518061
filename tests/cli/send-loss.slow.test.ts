import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';
import { startRelay, type Relay } from '../helpers/udp-relay.ts';

/**
 * The bar: 10,000 messages through a relay that loses 5 % of the datagrams each way (and
 * duplicates and reorders some) all arrive; an exactly-once topic's messages reach the application
 * exactly once; `midl send` exits 0 because every one was acknowledged.
 */

const COUNT = 10_000;
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

/** n of every line the peer printed for `address`. */
const numbers = (lines: readonly string[], address: string): number[] =>
  lines
    .map((l) => JSON.parse(l) as { address: string; value: { n: number } })
    .filter((m) => m.address === address)
    .map((m) => m.value.n);

describe('midl send through a lossy relay', () => {
  it(`${COUNT} exactly-once messages, then ${COUNT} at-least-once ones, all arrive; exactly-once ones once each`, { timeout: 120_000 }, async () => {
    const peer = await startPeer(['--schema', schema]);
    relay = await startRelay({ target: { host: '127.0.0.1', port: peer.port }, seed: 20240611, loss: 0.05, duplicate: 0.02, reorder: 0.02, maxDelayMs: 10 });
    const via = `udp://127.0.0.1:${relay.port}`;

    const once = await runMidl(['send', '--to', via, '--topic', 'ops/job', '--file', file, '--schema', schema]);
    expect(once.stderr).toContain(`${COUNT}/${COUNT} delivered`);
    expect(once.code).toBe(0);
    const jobs = numbers(await peer.waitForLines(COUNT, 30_000), 'ops/job');
    expect(jobs.length).toBe(COUNT);
    expect(new Set(jobs).size).toBe(COUNT);

    const least = await runMidl(['send', '--to', via, '--topic', 'ops/event/tick', '--file', file, '--schema', schema]);
    expect(least.stderr).toContain(`${COUNT}/${COUNT} delivered`);
    expect(least.code).toBe(0);
    // At least once: duplicates may reach the application, so there are at least 2 × COUNT lines.
    await peer.waitForLines(2 * COUNT, 30_000);
    const ticks = numbers(peer.lines(), 'ops/event/tick');
    expect(new Set(ticks).size).toBe(COUNT);

    // The relay really was lossy (datagrams carry several messages, so there are fewer than 2 × COUNT).
    expect(relay.stats().dropped).toBeGreaterThan(100);
    expect(await peer.stop()).toBe(0);
    expect(stackTraceLines(once.stderr + least.stderr + peer.stderr())).toEqual([]);
    // Loss, copies and reordering are repaired by the QoS layer; none of it is an error of either bus.
    expect(busWarnings(once.stderr + least.stderr + peer.stderr())).toEqual([]);
  });
});
