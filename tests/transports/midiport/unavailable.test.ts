import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALSA_SEQUENCER_DEVICE, TransportError, listMidiPorts, openMidiPort, openVirtualMidiPort } from '../../../runtime/transports/index.ts';

/**
 * The boundary of the MIDI port transport on a machine without a MIDI system (this one and CI: no
 * /dev/snd/seq): every entry point gives the one clear TransportError, never RtMidi's native failure.
 * Where a sequencer exists, the same calls must work instead (tests/alsa covers that machine for real).
 */
const noSequencer = process.platform === 'linux' && !existsSync(ALSA_SEQUENCER_DEVICE);

async function rejection(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    return err as TransportError;
  }
  throw new Error('expected a rejection');
}

describe('MIDI ports without an ALSA sequencer', () => {
  it.runIf(noSequencer)('listMidiPorts, openMidiPort and openVirtualMidiPort say that the sequencer is missing', async () => {
    for (const attempt of [listMidiPorts(), openMidiPort('midi:"Midi Through Port-0"', { name: 'test' }), openVirtualMidiPort('midl test', {})]) {
      const err = await rejection(attempt);
      expect(err.code).toBe('unavailable');
      expect(err.message).toBe('no ALSA sequencer: /dev/snd/seq is missing; load snd-seq (modprobe snd-seq) or run where one exists');
    }
  });

  it.runIf(!noSequencer)('with a sequencer, listMidiPorts lists ports', async () => {
    const ports = await listMidiPorts();
    expect(Array.isArray(ports.inputs) && Array.isArray(ports.outputs)).toBe(true);
  });

  it('a bad address or virtual name is refused before the MIDI system is touched', async () => {
    expect((await rejection(openMidiPort('midi:', {}))).code).toBe('bad-url');
    expect((await rejection(openMidiPort('rtpmidi://127.0.0.1:5004', {}))).code).toBe('bad-url');
    expect((await rejection(openVirtualMidiPort('', {}))).code).toBe('bad-url');
    expect((await rejection(openVirtualMidiPort('x'.repeat(64), {}))).message).toMatch(/1\.\.63 bytes/);
  });
});
