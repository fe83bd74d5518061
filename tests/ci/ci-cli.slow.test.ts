import { afterAll, describe, expect, it } from 'vitest';
import { compileJobs, namedPlan } from '../../cli/registry/compile-jobs.ts';
import { planFor } from '../../cli/schema-runtime.ts';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { opsProject } from '../helpers/ops-schema.ts';

// `midl ci discover` and `midl ci get` against a running `midl peer`, real processes on 127.0.0.1.
afterAll(async () => {
  await killAll();
  removeTempProjects();
});

describe('midl ci', () => {
  it('discover finds the peer with its profiles and resources; get reads the schema, whose hash is the registry’s', { timeout: 120_000 }, async () => {
    const { schema } = opsProject();
    const peer = await startPeer(['--schema', schema, '--name', 'ci peer']);
    try {
      const found = await runMidl(['ci', 'discover', '--to', peer.url, '--wait', '500']);
      expect(found.stderr).not.toContain('error');
      expect(found.code).toBe(0);
      const lines = found.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(Object.keys(line)).toEqual(['muid', 'identity', 'profiles', 'resources']);
      expect(line).toMatchObject({
        muid: expect.stringMatching(/^0x[0-9a-f]{7}$/) as unknown,
        identity: { manufacturer: '7D 00 00', family: 0x6d, model: 1, categories: 0x0c },
        profiles: { enabled: ['7D 00 00 6D 01'], disabled: ['7D 00 00 6C 6B'] },
        resources: ['DeviceInfo', 'X-MidlSchema', 'X-MidlFacts', 'X-SseTransport'],
      });

      const got = await runMidl(['ci', 'get', '--to', peer.url, '--wait', '500', 'X-MidlSchema']);
      expect(got.code).toBe(0);
      const body = JSON.parse(got.stdout) as { programs: { packages: { contentHash: string }[] }[] };
      const jobs = await compileJobs(namedPlan(planFor(schema), [schema]), { targets: ['facts'] });
      expect(body.programs.flatMap((p) => p.packages.map((k) => k.contentHash))).toEqual(jobs!.flatMap((j) => j.packages.map((k) => k.contentHash)));

      const missing = await runMidl(['ci', 'get', '--to', peer.url, '--wait', '500', 'X-Nothing']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('X-Nothing: status 404');
      expect(stackTraceLines(found.stderr + got.stderr + missing.stderr)).toEqual([]);
    } finally {
      await peer.stop();
    }
    expect(busWarnings(peer.stderr())).toEqual([]);
  });

  it('a peer started with --no-midi-ci does not answer: discover exits 1, and the peer prints the SysEx as MIDI', { timeout: 120_000 }, async () => {
    const { schema } = opsProject();
    const peer = await startPeer(['--schema', schema, '--no-midi-ci']);
    try {
      const found = await runMidl(['ci', 'discover', '--to', peer.url, '--wait', '300']);
      expect(found.code).toBe(1);
      expect(found.stdout).toBe('');
      expect(found.stderr).toContain('no MIDI-CI responder answered a Discovery within 300 ms');
      const [printed] = await peer.waitForLines(1, 10_000);
      expect(JSON.parse(printed!)).toEqual({ midi: expect.stringMatching(/^f0 7e 7f 0d 70 02 /) as unknown });
    } finally {
      await peer.stop();
    }
  });
});
