/**
 * The RTP-MIDI payload of RFC 6295 §3: the MIDI command section (`B J Z P LEN` header, then commands
 * with delta times before all but, unless Z, the first; running status for channel messages;
 * real-time bytes anywhere, SysEx possibly in segments) and, when J is set, a recovery journal that is
 * checked and skipped.
 *
 * Decoding yields items, not messages: a SysEx segment is only part of a message until the session's
 * `SysexAssembler` has the rest of it from later packets.
 */
import { isStatusByte, midi1Shape } from '../../ump/midi1-status.ts';
import { RtpMidiError } from './errors.ts';
import { skipJournal } from './journal.ts';

export type CommandItem =
  /** A complete message that is not SysEx (running status expanded). */
  | { readonly kind: 'message'; readonly bytes: Uint8Array }
  /**
   * A SysEx segment: `data` is what lies between its first byte (F0 starts a SysEx, F7 continues one)
   * and its last (F7 ends it, F0 says more follows, F4 cancels it).
   */
  | { readonly kind: 'sysex'; readonly starts: boolean; readonly ends: 'end' | 'more' | 'cancel'; readonly data: Uint8Array };

export const FLAG_B = 0x80;
export const FLAG_J = 0x40;
export const FLAG_Z = 0x20;
export const FLAG_P = 0x10;
/** The longest command list a 12-bit length can say. */
export const MAX_LIST_BYTES = 0x0fff;
const MAX_DELTA_BYTES = 4;

/** Decodes an RTP payload; RtpMidiError saying what and at which byte of the command section otherwise. */
export function decodeMidiPayload(payload: Uint8Array): CommandItem[] {
  const where = (at: number): string => `command section byte ${at}`;
  if (payload.length < 1) throw new RtpMidiError('malformed', where(0), 'empty payload, the command section header is missing');
  const flags = payload[0]!;
  const long = (flags & FLAG_B) !== 0;
  if (long && payload.length < 2) throw new RtpMidiError('malformed', where(1), 'the long (B) header is cut short');
  const length = long ? ((flags & 0x0f) << 8) | payload[1]! : flags & 0x0f;
  const listStart = long ? 2 : 1;
  const listEnd = listStart + length;
  if (listEnd > payload.length)
    throw new RtpMidiError('malformed', where(0), `length ${length} runs past the payload (${payload.length - listStart} bytes follow the header)`);
  const items: CommandItem[] = [];
  let at = listStart;
  let running: number | undefined;
  let first = true;
  while (at < listEnd) {
    if (!first || (flags & FLAG_Z) !== 0) {
      for (let n = 1; ; n++) {
        if (at >= listEnd) throw new RtpMidiError('malformed', where(at), 'the list ends inside a delta time');
        const b = payload[at++]!;
        if ((b & 0x80) === 0) break;
        if (n === MAX_DELTA_BYTES) throw new RtpMidiError('malformed', where(at - 1), `a delta time longer than ${MAX_DELTA_BYTES} bytes`);
      }
      if (at >= listEnd) throw new RtpMidiError('malformed', where(at), 'a delta time with no command after it');
    }
    const lead = payload[at]!;
    let status: number;
    if (isStatusByte(lead)) {
      status = lead;
      at++;
    } else if (running !== undefined) {
      status = running;
    } else {
      throw new RtpMidiError('malformed', where(at), `data byte 0x${hex(lead)} with no running status to complete it`);
    }
    const shape = midi1Shape(status);
    switch (shape.kind) {
      case 'channel':
      case 'system-common': {
        running = shape.kind === 'channel' ? status : undefined;
        const bytes = new Uint8Array(1 + shape.dataBytes);
        bytes[0] = status;
        for (let i = 1; i <= shape.dataBytes; i++, at++) {
          if (at >= listEnd) throw new RtpMidiError('malformed', where(at), `the list ends inside a 0x${hex(status)} message`);
          const b = payload[at]!;
          if (isStatusByte(b)) throw new RtpMidiError('malformed', where(at), `status byte 0x${hex(b)} where 0x${hex(status)} needs a data byte`);
          bytes[i] = b;
        }
        items.push({ kind: 'message', bytes });
        break;
      }
      case 'real-time':
        items.push({ kind: 'message', bytes: Uint8Array.of(status) });
        break;
      case 'sysex-start':
      case 'sysex-end': {
        running = undefined;
        const dataStart = at;
        const data: number[] = [];
        let ends: 'end' | 'more' | 'cancel' | undefined;
        while (at < listEnd && ends === undefined) {
          const b = payload[at++]!;
          if (!isStatusByte(b)) data.push(b);
          else if (b >= 0xf8) items.push({ kind: 'message', bytes: Uint8Array.of(b) });
          else if (b === 0xf7) ends = 'end';
          else if (b === 0xf0) ends = 'more';
          else if (b === 0xf4) ends = 'cancel';
          else throw new RtpMidiError('malformed', where(at - 1), `status byte 0x${hex(b)} inside a SysEx segment begun at byte ${dataStart - 1}`);
        }
        if (ends === undefined)
          throw new RtpMidiError('malformed', where(at), `the SysEx segment begun at byte ${dataStart - 1} has no F7, F0 or F4 to end it`);
        items.push({ kind: 'sysex', starts: status === 0xf0, ends, data: Uint8Array.from(data) });
        break;
      }
    }
    first = false;
  }
  if ((flags & FLAG_J) !== 0) skipJournal(payload, listEnd);
  else if (listEnd !== payload.length)
    throw new RtpMidiError('malformed', where(listEnd), `${payload.length - listEnd} bytes follow the command list and J says no journal`);
  return items;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
