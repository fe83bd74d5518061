import { describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, runMidl, stackTraceLines } from '../helpers/cli.ts';

/**
 * `--name` is the NM2 endpoint name and the bus node's name, the `peer` of its telemetry: an empty one
 * (accepted before: the peer ran, and every telemetry report failed validation) and a 10k-character one
 * are usage errors that say the constraint, before anything listens. Every operator command parses
 * `--name` with the same function (tests/cli/operator-input.test.ts).
 */
describe('--name of the operator commands', () => {
  it(
    'peer refuses an empty and a 10,000-character name with exit 2 and the constraint',
    async () => {
      const cases: [string[], RegExp][] = [
        [['peer', '--listen', 'udp://127.0.0.1:0', '--name', ''], /--name.*at least 1 character/],
        [['peer', '--listen', 'udp://127.0.0.1:0', '--name', 'x'.repeat(10_000)], /--name.*at most 98 bytes of UTF-8 \(this one is 10000\)/],
      ];
      for (const [args, message] of cases) {
        const r = await runMidl(args, { timeoutMs: 60_000 });
        expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 2, stderr: expect.stringMatching(message) as unknown });
        expect(stackTraceLines(r.stderr)).toEqual([]);
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
