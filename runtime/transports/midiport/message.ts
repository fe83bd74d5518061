/**
 * Checks that bytes are exactly one complete MIDI 1.0 message, as a MIDI port carries them in each
 * direction (RtMidi hands over whole messages, but a device or a peer on the sequencer may send anything).
 */
import { isStatusByte, midi1Shape } from '../../ump/midi1-status.ts';

/** Bytes that are not one complete MIDI 1.0 message: `offset` is the first byte that is wrong. */
export class MidiMessageError extends Error {
  override readonly name = 'MidiMessageError';
  constructor(
    message: string,
    /** The port it came from or went to (its `midi:` address). */
    readonly port: string,
    /** Index of the offending byte in the message. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** At most this many bytes of a bad message are quoted in an error. */
const QUOTED_BYTES = 16;

/**
 * Throws MidiMessageError unless `bytes` is one status byte and its data bytes (no running status), a
 * whole SysEx `F0 … F7`, or one real-time byte. Linear in the length.
 */
export function checkMidi1Message(bytes: Uint8Array, port: string): void {
  const fail = (offset: number, why: string): never => {
    throw new MidiMessageError(`${port}: ${why} at byte ${offset} of [${hex(bytes)}]`, port, offset);
  };
  if (bytes.length === 0) fail(0, 'an empty MIDI message');
  const status = bytes[0]!;
  if (!isStatusByte(status)) fail(0, `a message starts with data byte 0x${byteHex(status)}, not a status byte (running status is not allowed here)`);
  const shape = midi1Shape(status);
  switch (shape.kind) {
    case 'sysex-start': {
      for (let i = 1; i < bytes.length - 1; i++) {
        if (isStatusByte(bytes[i]!)) fail(i, `a SysEx holds status byte 0x${byteHex(bytes[i]!)} before its end`);
      }
      if (bytes.length < 2 || bytes[bytes.length - 1] !== 0xf7) fail(bytes.length - 1, 'a SysEx does not end with F7');
      return;
    }
    case 'sysex-end':
      return fail(0, 'an F7 (end of SysEx) without its F0');
    case 'real-time':
      if (bytes.length !== 1) fail(1, `real-time byte 0x${byteHex(status)} is a message of one byte, this one has ${bytes.length}`);
      return;
    default: {
      const expected = 1 + shape.dataBytes;
      for (let i = 1; i < Math.min(bytes.length, expected); i++) {
        if (isStatusByte(bytes[i]!))
          fail(i, `status 0x${byteHex(status)} is followed by ${shape.dataBytes} data bytes, but byte ${i} is 0x${byteHex(bytes[i]!)}`);
      }
      if (bytes.length !== expected) {
        fail(Math.min(bytes.length, expected), `status 0x${byteHex(status)} takes ${shape.dataBytes} data bytes, the message has ${bytes.length - 1}`);
      }
    }
  }
}

function byteHex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function hex(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, QUOTED_BYTES), byteHex).join(' ');
  return bytes.length > QUOTED_BYTES ? `${shown} … (${bytes.length} bytes)` : shown;
}
