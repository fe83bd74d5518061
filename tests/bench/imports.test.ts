import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { listFiles } from '../../compiler/index.ts';
import { REPO_ROOT, repoPath } from '../helpers/repo.ts';

/**
 * The bench measures what a user runs: it reaches the project through the public entry points only
 * (as package.json `exports` names them), so a benchmark cannot quietly time an internal shortcut.
 */
const ENTRY_POINTS = new Set(['runtime/index.ts', 'runtime/transports/index.ts', 'generated/index.ts', 'services/index.ts', 'compiler/index.ts']);
/** Packages the bench uses: the harness, and the anchors' reference implementations. */
const PACKAGES = new Set(['tinybench', 'protobufjs', 'ajv', 'webgpu', 'eventsource-parser']);
/** Each reach past an entry point, with the reason it is there (also written beside the import). */
const EXCEPTIONS = new Map([
  ['bench/suites/ump.ts -> runtime/ump/sysex8.ts', 'the SIMD kernel switch, an internal knob measured on purpose'],
  ['bench/suites/sse.ts -> tests/helpers/udp-relay.ts', 'the seeded PRNG of the lossy relay the integration tests use, for the tokens'],
  [
    'bench/suites/bridge.ts -> tests/helpers/seed-001.ts',
    "seed 001's planner.execute envelope and the planner's answer, as the bridge tests send and serve them",
  ],
  ['bench/suites/envelope.ts -> tests/helpers/seed-001.ts', "seed 001's planner.execute envelope, written out once for the tests and the bench"],
  ['bench/suites/sse-http.ts -> tests/helpers/fake-openai.ts', 'the fake OpenAI upstream the SSE tests stream from, and its seeded tokens'],
  ['bench/wires.ts -> tests/helpers/udp-relay.ts', 'the lossy relay the integration tests use'],
  ['bench/wires.ts -> tests/helpers/rtpmidi-relay.ts', 'that relay on both RTP-MIDI ports'],
]);

const posix = (p: string) => p.split(sep).join('/');
const benchFiles = listFiles(repoPath('bench'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `bench/${posix(f)}`);

function crossings(): string[] {
  const out: string[] = [];
  for (const rel of benchFiles) {
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(repoPath(rel), 'utf8'), true, true).importedFiles) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        if (!PACKAGES.has(spec)) out.push(`${rel} -> package ${spec}`);
        continue;
      }
      const target = posix(relative(REPO_ROOT, normalize(join(dirname(repoPath(rel)), spec))));
      if (target.startsWith('bench/') || ENTRY_POINTS.has(target)) continue;
      out.push(`${rel} -> ${target}`);
    }
  }
  return out;
}

describe('bench imports', () => {
  it('reach the project through its public entry points only, but for the listed exceptions', () => {
    expect(benchFiles.length).toBeGreaterThan(5);
    const found = crossings();
    expect(found.filter((c) => !EXCEPTIONS.has(c))).toEqual([]);
    // An exception no longer needed is removed from the list, not kept as a licence.
    expect([...EXCEPTIONS.keys()].filter((e) => !found.includes(e))).toEqual([]);
  });
});
