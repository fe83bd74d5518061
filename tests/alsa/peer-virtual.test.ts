import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * The bus through the CLI over a virtual port pair on the real ALSA sequencer of the QEMU guest
 * (../shared/tools/alsa-vm.sh, see midiport.test.ts): `midl peer --virtual NAME` creates the pair and
 * serves the bus on it, `midl send --to midi:NAME` opens it as a second sequencer client and delivers an
 * exactly-once message, which the peer prints as its JSON line; then a second `midl send` does the same.
 * .ci/run gives this file a guest of its own: each CLI start takes tens of seconds in the emulated guest,
 * and each guest gets 300 s.
 */
const CLI_GUEST_MS = 150_000;
const PORT = 'midl-alsa-peer';

afterEach(async () => killAll());
afterAll(() => removeTempProjects());

describe('midl peer --virtual and midl send --to midi:', () => {
  it('the peer prints the messages two midl send in turn delivered over the virtual port pair', { timeout: 2 * CLI_GUEST_MS }, async () => {
    const { schema } = opsProject();
    const peer = startMidl(['peer', '--virtual', PORT, '--schema', schema]);
    const listening = await peer.waitFor(/^listening on (.*)$/m, CLI_GUEST_MS);
    expect(listening[1]).toBe(`midi:"${PORT}"`);

    // Two clients one after the other: the first one's Bye ends its session, not the peer's port.
    const values = [job(7, 'over ALSA'), job(8, 'after a Bye')];
    for (const value of values) {
      const sent = await runMidl(['send', '--to', `midi:${PORT}`, '--topic', 'ops/job', '--json', value, '--schema', schema], { timeoutMs: CLI_GUEST_MS });
      expect(stackTraceLines(sent.stderr)).toEqual([]);
      expect(busWarnings(sent.stderr)).toEqual([]);
      expect(sent.stderr).toContain('1/1 delivered');
      expect(sent.code).toBe(0);
    }

    const lines = await peer.waitForLines(2, 30_000);
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) =>
      expect(JSON.parse(line)).toMatchObject({ topic: 'ops/job', address: 'ops/job', qos: 'exactly_once', value: JSON.parse(values[i]!) as unknown }),
    );
    expect(peer.stderr().match(/^session: /gm)).toHaveLength(2);
    expect(await peer.stop()).toBe(0);
    expect(stackTraceLines(peer.stderr())).toEqual([]);
    expect(busWarnings(peer.stderr())).toEqual([]);
  });
});
