import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { opsProject } from '../helpers/ops-schema.ts';

/** `midl peer --telemetry MS`: latency/jitter and delivery reports of the topics it receives, on telemetry/*. */
afterEach(() => killAll());
afterAll(() => removeTempProjects());

interface Line {
  readonly topic: string;
  readonly value: { readonly topic?: string; readonly samples?: number; readonly received?: string; readonly budget?: unknown; readonly latencyP50?: number };
}

describe('midl peer --telemetry', () => {
  it('publishes telemetry/jitter and telemetry/delivery for the topics it received (idl/ schemas)', async () => {
    const peer = await startPeer(['--telemetry', '200']);
    for (const corr of [1, 2, 3]) {
      const sent = await runMidl(
        ['send', '--to', peer.url, '--topic', `gpu/job.result/${corr}`, '--json', '{"jobId":"j","status":"running","outputs":[],"diagnostics":[]}'],
        { timeoutMs: 30_000 },
      );
      expect(sent.code).toBe(0);
      expect(busWarnings(sent.stderr)).toEqual([]);
    }
    const reports = async (): Promise<Line[]> => (await peer.waitForLines(1, 5_000)).map((l) => JSON.parse(l) as Line);
    const end = Date.now() + 10_000;
    const sum = (lines: Line[], field: 'samples' | 'received') =>
      lines
        .filter((l) => l.value.topic === 'gpu/job.result/{corr}')
        .reduce(
          (n, l) =>
            n +
            Number(
              field === 'samples' && l.topic === 'telemetry/jitter'
                ? (l.value.samples ?? 0)
                : field === 'received' && l.topic === 'telemetry/delivery'
                  ? (l.value.received ?? 0)
                  : 0,
            ),
          0,
        );
    let lines = await reports();
    while ((sum(lines, 'samples') < 3 || sum(lines, 'received') < 3) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      lines = await reports();
    }
    expect(sum(lines, 'samples')).toBe(3);
    expect(sum(lines, 'received')).toBe(3);
    const jitter = lines.find((l) => l.topic === 'telemetry/jitter' && l.value.topic === 'gpu/job.result/{corr}')!;
    expect(jitter.value.budget).toEqual({ latency: 10_000, jitter: 2_000 });
    // Measured across real sockets and processes, so only its sign is known: a path takes time.
    expect(jitter.value.latencyP50).toBeGreaterThan(0);
    expect(await peer.stop('SIGINT')).toBe(0);
    expect(busWarnings(peer.stderr())).toEqual([]);
  }, 60_000);

  it('refuses --telemetry (exit 2) when the schema has no report topics', async () => {
    const { schema } = opsProject();
    const r = await runMidl(['peer', '--listen', 'udp://127.0.0.1:0', '--schema', schema, '--telemetry', '100'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--telemetry: the schema has no telemetry\/jitter or telemetry\/delivery topic/);
  }, 60_000);
});
