/** What a complete MIDI 1.0 message is, for what a Midi1Port is given to send. */
import { isStatusByte, midi1Shape } from '../../ump/midi1-status.ts';

/** Throws RangeError saying what is wrong unless `bytes` is one whole message: a status byte and its data bytes, or `F0 … F7`. */
export function checkMidi1Message(bytes: Uint8Array): void {
  if (bytes.length === 0) throw new RangeError('an empty MIDI message');
  const status = bytes[0]!;
  if (!isStatusByte(status)) throw new RangeError(`a MIDI message starts with a status byte, not 0x${status.toString(16).padStart(2, '0')}`);
  const shape = midi1Shape(status);
  if (shape.kind === 'sysex-start') {
    if (bytes.length < 2 || bytes[bytes.length - 1] !== 0xf7) throw new RangeError('a SysEx message ends with F7');
    for (let i = 1; i < bytes.length - 1; i++)
      if (isStatusByte(bytes[i]!)) throw new RangeError(`status byte 0x${bytes[i]!.toString(16)} at ${i} inside a SysEx`);
    return;
  }
  if (shape.kind === 'sysex-end') throw new RangeError('F7 alone is not a message: a SysEx goes whole, F0 … F7');
  const expected = 1 + (shape.kind === 'real-time' ? 0 : shape.dataBytes);
  if (bytes.length !== expected) throw new RangeError(`a 0x${status.toString(16)} message has ${expected} bytes, got ${bytes.length}`);
  for (let i = 1; i < bytes.length; i++)
    if (isStatusByte(bytes[i]!)) throw new RangeError(`status byte 0x${bytes[i]!.toString(16)} at ${i} where a data byte belongs`);
}
