import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NetworkBus } from '../../runtime/index.ts';
import { connectNm2 } from '../../runtime/transports/index.ts';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * Issue 9's bounded-tap test: `midl peer --record` fed an endless SysEx8 stream over Network MIDI 2.0
 * (one message that never ends, then a message on every stream id of a group, growing for ever) keeps
 * its memory bounded: its reassembly is the bus's, with the bus's limits, so the flood adds no more than
 * those limits to the process. Afterwards it still records a real message with its packets.
 */
const { dir, schema } = opsProject();
afterEach(() => killAll());
afterAll(() => removeTempProjects());

/** Resident set size of a process in MiB (Linux). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

function packet(status: number, group: number, streamId: number, fill: number): number[] {
  const w0 = ((0x5 << 28) | (group << 24) | (status << 20) | (14 << 16) | (streamId << 8) | fill) >>> 0;
  const w = ((fill << 24) | (fill << 16) | (fill << 8) | fill) >>> 0;
  return [w0, w, w, w];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('midl peer --record under an endless SysEx8 stream', () => {
  it(
    'holds its memory within the bus reader bounds while 64 MiB of never-ending SysEx8 arrive, then records a real message',
    async () => {
      const record = join(dir, 'flood.jsonl');
      const peer = await startPeer(['--schema', schema, '--record', record]);
      const pid = peer.child.pid!;
      const link = await connectNm2(peer.url, { name: 'flooder' });
      // A bus session first (the peer drops links that never say HELLO), then raw words on its link.
      const errors: unknown[] = [];
      const bus = new NetworkBus({ name: 'flooder', topics: [], onError: (e) => void errors.push(e) });
      await bus.connect(link);
      try {
        await pause(300);
        const before = rssMiB(pid);
        let peak = before;
        // 1. One message that never ends: a Start, then 48 MiB of Continue packets (13 data bytes each).
        link.send(Uint32Array.from(packet(1, 1, 9, 1)));
        const cont = Uint32Array.from(Array.from({ length: 256 }, () => packet(2, 1, 9, 2)).flat());
        for (let i = 0; i < (48 * 1024 * 1024) / (256 * 16); i++) {
          link.send(cont);
          // Paced so that the peer's socket keeps up (what is dropped on the way only shortens the flood).
          if (i % 8 === 7) {
            await pause(1);
            peak = Math.max(peak, rssMiB(pid));
          }
        }
        // 2. Every stream id of group 2 opened, each growing for ever: 16 MiB more.
        link.send(Uint32Array.from(Array.from({ length: 256 }, (_, s) => packet(1, 2, s, 3)).flat()));
        const wide = Uint32Array.from(Array.from({ length: 256 }, (_, s) => packet(2, 2, s, 4)).flat());
        for (let i = 0; i < (16 * 1024 * 1024) / (256 * 16); i++) {
          link.send(wide);
          if (i % 8 === 7) {
            await pause(1);
            peak = Math.max(peak, rssMiB(pid));
          }
        }
        await pause(500);
        peak = Math.max(peak, rssMiB(pid));
        // The bus's reader holds at most max(8 × its largest message, 8 MiB) = 9.2 MiB for the default
        // 1 MiB payload; the rest is the process's own churn (garbage not yet collected, socket buffers).
        // A reassembler that keeps every packet (as the old link tap did, as JS numbers) grows by far
        // more than the flood itself.
        expect(peak - before).toBeLessThan(64);
        // 3. A real message is still recorded, with its packets.
        const sent = await runMidl(['send', '--to', peer.url, '--schema', schema, '--topic', 'ops/job', '--json', job(1)], { cwd: dir });
        expect(sent.stderr).toMatch(/1\/1 delivered/);
        expect(sent.code).toBe(0);
        await peer.waitForLines(1, 30_000);
        await peer.stop('SIGINT');
        const lines = readFileSync(record, 'utf8').trim().split('\n');
        expect(lines).toHaveLength(1);
        const line = JSON.parse(lines[0]!) as { address: string; ump: string[] | null };
        expect(line.address).toBe('ops/job');
        expect(line.ump?.length).toBeGreaterThan(0);
        expect(stackTraceLines(peer.stderr())).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await bus.close();
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
