import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl } from '../helpers/midl-process.ts';
import { opsProject } from '../helpers/ops-schema.ts';

/**
 * Issue 12's "Done when" on the real ALSA sequencer of the QEMU guest (../shared/tools/alsa-vm.sh, see
 * midiport.test.ts): a note sent with `midl midi send --to midi:"Midi Through Port-0" 90 3C 64` is printed
 * by a `midl peer --listen midi:"Midi Through Port-0"`. Midi Through sends back whatever it gets, so the
 * note the sender puts on its output reaches the peer's input; the peer sends nothing unless spoken to,
 * so nothing of its own comes back to it. .ci/run gives this file a guest of its own: each CLI start
 * takes tens of seconds in the emulated guest, and each guest gets 300 s.
 */
const CLI_GUEST_MS = 150_000;
// What a shell makes of midi:"Midi Through Port-0" (its quotes removed), and the same address quoted
// as the URL syntax allows: the two forms a user types.
const THROUGH_AS_TYPED = 'midi:Midi Through Port-0';
const THROUGH_QUOTED = 'midi:"Midi Through Port-0"';
/** How long the bus waits for a session's HELLO before it ends a session that carried no MIDI (runtime/bus/sessions.ts). */
const HELLO_DEADLINE_MS = 10_000;

afterEach(async () => killAll());
afterAll(() => removeTempProjects());

describe('midl peer and midl midi send on Midi Through', () => {
  it(
    'the peer prints {"midi":"90 3c 64"} for the note midl midi send sent, and a SysEx sent after the HELLO deadline',
    { timeout: 2 * CLI_GUEST_MS },
    async () => {
      // A tiny schema: the peer compiles it at start.
      const { schema } = opsProject();
      const peer = startMidl(['peer', '--listen', THROUGH_AS_TYPED, '--schema', schema]);
      const listening = await peer.waitFor(/^listening on (.*)$/m, CLI_GUEST_MS);
      expect(listening[1]).toBe(THROUGH_QUOTED);

      const sent = await runMidl(['midi', 'send', '--to', THROUGH_QUOTED, '90', '3C', '64'], { timeoutMs: CLI_GUEST_MS });
      expect(stackTraceLines(sent.stderr)).toEqual([]);
      expect(sent.stderr).toMatch(/^sent 1 MIDI message to midi:/m);
      expect(sent.code).toBe(0);

      await peer.waitForLines(1, 30_000);
      const firstAt = Date.now();

      // The bus ends a link that says no HELLO within 10 s unless it carried MIDI the peer prints (a
      // keyboard never says HELLO): the port's session must stay and still be heard after that.
      await new Promise((r) => setTimeout(r, Math.max(0, firstAt + HELLO_DEADLINE_MS + 1_000 - Date.now())));
      const later = await runMidl(['midi', 'send', '--to', THROUGH_QUOTED, 'F07E7F0601F7'], { timeoutMs: CLI_GUEST_MS });
      expect(stackTraceLines(later.stderr)).toEqual([]);
      expect(later.code).toBe(0);
      const lines = await peer.waitForLines(2, 30_000);
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ midi: '90 3c 64' }, { midi: 'f0 7e 7f 06 01 f7' }]);
      expect(peer.stderr().match(/^session: /gm)).toHaveLength(1);

      expect(await peer.stop()).toBe(0);
      expect(peer.lines()).toEqual(lines);
      expect(stackTraceLines(peer.stderr())).toEqual([]);
      expect(busWarnings(peer.stderr())).toEqual([]);
    },
  );
});
