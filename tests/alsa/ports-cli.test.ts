import { describe, expect, it } from 'vitest';
import { listMidiPorts } from '../../runtime/transports/index.ts';
import { runMidl } from '../helpers/cli.ts';

/**
 * `midl ports` on a real ALSA sequencer, in the QEMU guest of ../shared/tools/alsa-vm.sh (see
 * midiport.test.ts). One CLI start, of the compiled CLI loading only the `ports` command's modules:
 * it shares a guest with bus.test.ts and midiport.test.ts (.ci/run), each guest getting 300 s.
 */
const CLI_GUEST_TIMEOUT_MS = 180_000;
const THROUGH = 'Midi Through:Midi Through Port-0 14:0';

describe('midl ports on the ALSA sequencer', () => {
  it('--json prints the lists listMidiPorts gives, as one document', { timeout: CLI_GUEST_TIMEOUT_MS }, async () => {
    const r = await runMidl(['ports', '--json'], { timeoutMs: CLI_GUEST_TIMEOUT_MS });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as unknown;
    expect(doc).toEqual(JSON.parse(JSON.stringify(await listMidiPorts())));
    expect(doc).toMatchObject({ inputs: expect.arrayContaining([{ index: 0, name: THROUGH }]) as unknown });
    expect((doc as { outputs: Array<{ name: string }> }).outputs.map((p) => p.name)).toContain(THROUGH);
  });
});
