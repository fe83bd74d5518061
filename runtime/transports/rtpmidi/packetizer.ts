/**
 * Lays complete MIDI 1.0 messages out as RTP-MIDI command sections no longer than a budget: running
 * status for repeated channel statuses, a zero delta time before every command but the first (Z = 0,
 * no journal: J = 0), a SysEx too long for the room left split into F0…F0 / F7…F0 / F7…F7 segments.
 */
import { midi1Shape } from '../../ump/midi1-status.ts';
import { FLAG_B, MAX_LIST_BYTES } from './command-section.ts';

/** The smallest payload budget: a long header, a delta time, and a SysEx segment with one data byte. */
export const MIN_PAYLOAD_BYTES = 2 + 1 + 3;

/**
 * Command sections (RTP payloads) of at most `maxPayloadBytes` each carrying `messages` in order.
 * Each message must be whole (see checkMidi1Message).
 */
export function packetize(messages: readonly Uint8Array[], maxPayloadBytes: number): Uint8Array[] {
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < MIN_PAYLOAD_BYTES)
    throw new RangeError(`an RTP-MIDI payload budget is at least ${MIN_PAYLOAD_BYTES} bytes, got ${maxPayloadBytes}`);
  const room = Math.min(maxPayloadBytes - 2, MAX_LIST_BYTES);
  const out: Uint8Array[] = [];
  let list: number[] = [];
  let running: number | undefined;
  const flush = (): void => {
    if (list.length === 0) return;
    out.push(section(list));
    list = [];
    running = undefined;
  };
  // A delta time of 0 before every command but a packet's first.
  const lead = (): number => (list.length === 0 ? 0 : 1);
  for (const message of messages) {
    const status = message[0]!;
    const shape = midi1Shape(status);
    if (shape.kind !== 'sysex-start') {
      const omitStatus = (): boolean => shape.kind === 'channel' && status === running && list.length > 0;
      if (list.length + lead() + message.length - (omitStatus() ? 1 : 0) > room) flush();
      const from = omitStatus() ? 1 : 0;
      if (list.length > 0) list.push(0);
      for (let i = from; i < message.length; i++) list.push(message[i]!);
      if (shape.kind === 'channel') running = status;
      else if (shape.kind === 'system-common') running = undefined;
      continue;
    }
    const body = message.subarray(1, message.length - 1);
    // Whole if it fits here, or in a fresh packet; segments only for what no packet holds.
    if (list.length + lead() + body.length + 2 > room && body.length + 2 <= room) flush();
    let sent = 0;
    let starter = 0xf0;
    for (;;) {
      if (list.length + lead() + 3 > room) flush();
      const space = room - list.length - lead() - 2;
      const take = Math.min(space, body.length - sent);
      const last = sent + take === body.length;
      if (list.length > 0) list.push(0);
      list.push(starter);
      for (let i = sent; i < sent + take; i++) list.push(body[i]!);
      list.push(last ? 0xf7 : 0xf0);
      sent += take;
      running = undefined;
      if (last) break;
      flush();
      starter = 0xf7;
    }
  }
  flush();
  return out;
}

function section(list: readonly number[]): Uint8Array {
  const long = list.length > 0x0f;
  const out = new Uint8Array((long ? 2 : 1) + list.length);
  if (long) {
    out[0] = FLAG_B | (list.length >> 8);
    out[1] = list.length & 0xff;
  } else {
    out[0] = list.length;
  }
  out.set(list, long ? 2 : 1);
  return out;
}
