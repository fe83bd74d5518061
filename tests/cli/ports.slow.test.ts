import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, runMidl, stackTraceLines } from '../helpers/cli.ts';

/** `midl ports` where there is no ALSA sequencer (this machine, CI): one clear line and exit 1, in both formats. */
const noSequencer = process.platform === 'linux' && !existsSync('/dev/snd/seq');

describe.concurrent('midl ports', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  for (const args of [['ports'], ['ports', '--json']]) {
    it.runIf(noSequencer)(`midl ${args.join(' ')} exits 1 naming the missing sequencer, with no stack trace`, async () => {
      const r = await runMidl(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('error: no ALSA sequencer: /dev/snd/seq is missing; load snd-seq (modprobe snd-seq) or run where one exists\n');
      expect(stackTraceLines(r.stderr)).toEqual([]);
    });
  }

  it('ports --help describes the command and --json', async () => {
    const r = await runMidl(['ports', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['Usage: midl ports', '--json', 'midi:NAME']) expect(r.stdout).toContain(word);
  });
});
