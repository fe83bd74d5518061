import { afterEach, describe, expect, it } from 'vitest';
import {
  MIDI_PORT_MAX_MESSAGE_BYTES,
  TransportError,
  listMidiPorts,
  openMidiPort,
  openVirtualMidiPort,
  type MidiPort,
} from '../../runtime/transports/index.ts';
import { until } from '../helpers/until.ts';

/**
 * MIDI ports on a real ALSA sequencer: run in the QEMU guest of ../shared/tools/alsa-vm.sh, which loads
 * snd-seq-dummy ("Midi Through", which sends back whatever it gets) and snd-virmidi. From .ci/run:
 *   bash ../shared/tools/alsa-vm.sh 'HOME=/dev/shm TMPDIR=/dev/shm node node_modules/vitest/vitest.mjs run --config vitest.alsa.config.ts --configLoader runner tests/alsa/midiport.test.ts'
 * The guest emulates its CPU, so waits are generous.
 */
const WAIT_MS = 20_000;
const THROUGH = 'midi:"Midi Through Port-0"';

const opened: MidiPort[] = [];
const errors: unknown[] = [];
const options = { name: 'midl alsa test', onError: (err: unknown) => errors.push(err) };

afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
  // Every test collects the errors its ports reported; none is expected.
  expect(errors.splice(0)).toEqual([]);
});

async function open(make: Promise<MidiPort>): Promise<MidiPort> {
  const port = await make;
  opened.push(port);
  return port;
}

function receiver(port: MidiPort): number[][] {
  const got: number[][] = [];
  port.onMessage((m) => got.push([...m]));
  return got;
}

function sysex(length: number, seed: number): Uint8Array {
  const m = new Uint8Array(length);
  for (let i = 1; i < length - 1; i++) m[i] = (i * 7 + seed) & 0x7f;
  m[0] = 0xf0;
  m[length - 1] = 0xf7;
  return m;
}

describe('MIDI ports on the ALSA sequencer', () => {
  it('lists ports and finds Midi Through in both directions', async () => {
    const ports = await listMidiPorts();
    expect(ports.inputs.map((p) => p.name)).toContain('Midi Through:Midi Through Port-0 14:0');
    expect(ports.outputs.map((p) => p.name)).toContain('Midi Through:Midi Through Port-0 14:0');
    ports.inputs.forEach((p, i) => expect(p.index).toBe(i));
  });

  it(`${THROUGH} sends back a note, a SysEx and a SysEx of maxMessageBytes, in order`, async () => {
    const port = await open(openMidiPort(THROUGH, options));
    expect(port.inputName).toBe('Midi Through:Midi Through Port-0 14:0');
    expect(port.outputName).toBe('Midi Through:Midi Through Port-0 14:0');
    expect(port.description).toBe(THROUGH);
    const got = receiver(port);
    const big = sysex(MIDI_PORT_MAX_MESSAGE_BYTES, 1);
    port.send(Uint8Array.of(0x90, 0x3c, 0x64));
    port.send(Uint8Array.of(0xf0, 0x7d, 0x01, 0x02, 0x03, 0xf7));
    port.send(big);
    port.send(Uint8Array.of(0x80, 0x3c, 0x00));
    await until(() => got.length >= 4, WAIT_MS, 'four messages back from Midi Through');
    expect(got).toEqual([[0x90, 0x3c, 0x64], [0xf0, 0x7d, 0x01, 0x02, 0x03, 0xf7], [...big], [0x80, 0x3c, 0x00]]);
    expect(() => port.send(sysex(MIDI_PORT_MAX_MESSAGE_BYTES + 1, 0))).toThrow(TransportError);
    expect(port.stats()).toMatchObject({ messagesIn: 4, messagesOut: 4, malformed: 0, dropped: 0 });
  });

  it('a virtual port pair exchanges messages with a second RtMidi client, both ways', async () => {
    const virtual = await open(openVirtualMidiPort('midl-alsa-test', options));
    const fromPeer = receiver(virtual);
    // openMidiPort makes its own sequencer clients: a second RtMidi application as far as ALSA is concerned.
    const peer = await open(openMidiPort('midi:midl-alsa-test', options));
    expect(peer.inputName).toMatch(/^RtMidi Output Client:midl-alsa-test \d+:\d+$/);
    expect(peer.outputName).toMatch(/^RtMidi Input Client:midl-alsa-test \d+:\d+$/);
    const fromVirtual = receiver(peer);

    peer.send(Uint8Array.of(0x91, 0x40, 0x7f));
    virtual.send(Uint8Array.of(0xb2, 0x07, 0x64));
    virtual.send(Uint8Array.of(0xf0, 0x7d, 0x01, 0x7f, 0xf7));
    await until(() => fromPeer.length >= 1 && fromVirtual.length >= 2, WAIT_MS, 'a message each way');
    expect(fromPeer).toEqual([[0x91, 0x40, 0x7f]]);
    expect(fromVirtual).toEqual([
      [0xb2, 0x07, 0x64],
      [0xf0, 0x7d, 0x01, 0x7f, 0xf7],
    ]);
  });

  it('paced writes bring a burst of 40 SysEx of maxMessageBytes through whole', async () => {
    const virtual = await open(openVirtualMidiPort('midl-alsa-burst', options));
    const got = receiver(virtual);
    const peer = await open(openMidiPort('midi:midl-alsa-burst', options));
    const sent = Array.from({ length: 40 }, (_, i) => sysex(MIDI_PORT_MAX_MESSAGE_BYTES, i));
    for (const m of sent) peer.send(m);
    await until(() => got.length >= sent.length, WAIT_MS, `${sent.length} SysEx through the virtual port`);
    expect(got).toEqual(sent.map((m) => [...m]));
  });

  it('closing a virtual port takes it off the lists', async () => {
    const virtual = await openVirtualMidiPort('midl-alsa-gone', options);
    const named = async (): Promise<number> => {
      const ports = await listMidiPorts();
      return [...ports.inputs, ...ports.outputs].filter((p) => p.name.includes('midl-alsa-gone')).length;
    };
    expect(await named()).toBe(2);
    await virtual.close();
    expect(await named()).toBe(0);
  });
});
