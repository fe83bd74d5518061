import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MidiMessageError, TransportError, type LinkDown } from '../../../runtime/transports/index.ts';
import type { RtMidiInput, RtMidiOutput } from '../../../runtime/transports/midiport/native.ts';
import { MIDI_PORT_MAX_MESSAGE_BYTES, RtMidiPort, type MidiPortOptions } from '../../../runtime/transports/midiport/port.ts';

/**
 * RtMidiPort over stand-ins for RtMidi's Input and Output (this machine has no ALSA sequencer; the
 * real ones run in tests/alsa): what it delivers, refuses and reports, and how it paces writes.
 */
class FakeInput extends EventEmitter {
  closed = 0;
  destroyed = 0;
  closePort(): void {
    this.closed++;
  }
  destroy(): void {
    this.destroyed++;
  }
  /** As RtMidi's thread hands over one message. */
  deliver(bytes: number[]): void {
    this.emit('messageBuffer', 0, Buffer.from(bytes));
  }
}

class FakeOutput {
  readonly sent: number[][] = [];
  closed = 0;
  destroyed = 0;
  send(message: Buffer): void {
    this.sent.push([...message]);
  }
  closePort(): void {
    this.closed++;
  }
  destroy(): void {
    this.destroyed++;
  }
}

function makePort(options: Omit<MidiPortOptions, 'onError'> = {}, sides: { input?: boolean; output?: boolean } = {}) {
  const input = new FakeInput();
  const output = new FakeOutput();
  const errors: unknown[] = [];
  const hasInput = sides.input ?? true;
  const hasOutput = sides.output ?? true;
  const port = new RtMidiPort(
    'midi:"fake"',
    hasInput ? 'Fake:In 20:0' : undefined,
    hasOutput ? 'Fake:Out 20:0' : undefined,
    hasInput ? (input as unknown as RtMidiInput) : undefined,
    hasOutput ? (output as unknown as RtMidiOutput) : undefined,
    { ...options, onError: (err) => errors.push(err) },
  );
  const received: number[][] = [];
  port.onMessage((m) => received.push([...m]));
  return { port, input, output, errors, received };
}

function sysex(length: number, fill = 0x11): Uint8Array {
  const m = new Uint8Array(length).fill(fill);
  m[0] = 0xf0;
  m[length - 1] = 0xf7;
  return m;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RtMidiPort', () => {
  it('delivers complete messages and reports malformed ones without delivering them', () => {
    const { port, input, errors, received } = makePort();
    input.deliver([0x90, 0x3c, 0x64]);
    input.deliver([0xf0, 0x7d, 0x01, 0x02, 0xf7]);
    input.deliver([0xf8]);
    input.deliver([0x3c, 0x64]);
    input.deliver([0xf0, 0x01]);
    expect(received).toEqual([[0x90, 0x3c, 0x64], [0xf0, 0x7d, 0x01, 0x02, 0xf7], [0xf8]]);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toBeInstanceOf(MidiMessageError);
    expect((errors[0] as MidiMessageError).message).toMatch(/^midi:"fake": a message starts with data byte 0x3c/);
    expect(port.stats()).toEqual({ messagesIn: 3, messagesOut: 0, malformed: 2, dropped: 0 });
  });

  it("reports a throwing message handler instead of letting it reach RtMidi's callback", () => {
    const { port, input, errors } = makePort();
    port.onMessage(() => {
      throw new Error('handler broke');
    });
    input.deliver([0x80, 0x3c, 0x00]);
    expect(errors).toEqual([new Error('handler broke')]);
  });

  it('refuses a message too large, malformed, to an input-only port, or after close', async () => {
    const { port } = makePort();
    const tooLarge = thrown(() => port.send(sysex(MIDI_PORT_MAX_MESSAGE_BYTES + 1)));
    expect(tooLarge).toBeInstanceOf(TransportError);
    expect((tooLarge as TransportError).code).toBe('too-large');
    expect(thrown(() => port.send(Uint8Array.of(0x90, 0x3c)))).toBeInstanceOf(MidiMessageError);
    await port.close();
    expect((thrown(() => port.send(Uint8Array.of(0xf8))) as TransportError).code).toBe('closed');

    const inputOnly = makePort({}, { output: false }).port;
    const err = thrown(() => inputOnly.send(Uint8Array.of(0xf8))) as TransportError;
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('is an input only (Fake:In 20:0)');
    await inputOnly.close();
  });

  it('writes at most one ALSA pool of bytes per millisecond, in order', () => {
    vi.useFakeTimers();
    const { port, output } = makePort();
    for (let i = 0; i < 10; i++) port.send(sysex(MIDI_PORT_MAX_MESSAGE_BYTES, i));
    expect(output.sent).toHaveLength(0);
    vi.advanceTimersByTime(0);
    expect(output.sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(output.sent).toHaveLength(2);
    vi.advanceTimersByTime(20);
    expect(output.sent.map((m) => m[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Small messages go together: 1,000 notes are 3,000 bytes, one turn.
    for (let i = 0; i < 1000; i++) port.send(Uint8Array.of(0x90, i & 0x7f, 0x40));
    vi.advanceTimersByTime(0);
    expect(output.sent).toHaveLength(1010);
    expect(port.stats().messagesOut).toBe(1010);
  });

  it('drops and reports a send once 1 MiB waits to be written', () => {
    vi.useFakeTimers();
    const { port, errors } = makePort();
    const fits = Math.floor((1 << 20) / MIDI_PORT_MAX_MESSAGE_BYTES);
    for (let i = 0; i < fits; i++) port.send(sysex(MIDI_PORT_MAX_MESSAGE_BYTES));
    expect(errors).toEqual([]);
    port.send(sysex(MIDI_PORT_MAX_MESSAGE_BYTES));
    expect(errors).toHaveLength(1);
    expect((errors[0] as TransportError).code).toBe('unavailable');
    expect((errors[0] as TransportError).message).toMatch(/1048576 bytes wait to be written; a message of 4096 bytes was dropped/);
    expect(port.stats().dropped).toBe(1);
  });

  it('close writes what was sent, closes both sides, goes down once, and is idempotent', async () => {
    const { port, input, output, errors } = makePort();
    const downs: LinkDown[] = [];
    port.onDown((d) => downs.push(d));
    for (let i = 0; i < 5; i++) port.send(sysex(MIDI_PORT_MAX_MESSAGE_BYTES, i));
    await Promise.all([port.close(), port.close()]);
    expect(output.sent).toHaveLength(5);
    expect(port.isOpen).toBe(false);
    expect([input.closed, input.destroyed, output.closed, output.destroyed]).toEqual([1, 1, 1, 1]);
    expect(downs).toEqual([{ reason: 'closed', message: 'closed by this side' }]);
    await port.close();
    expect(downs).toHaveLength(1);
    input.deliver([0x90, 0x3c, 0x64]);
    expect(port.stats().messagesIn).toBe(0);
    expect(errors).toEqual([]);
  });
});
