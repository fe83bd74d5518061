/**
 * The recovery journal of RFC 6295 §5 (the J flag), read only far enough to step over it: its header,
 * the system journal's length and each channel journal's length. Chapters are not interpreted — we
 * recover nothing from them — but a journal whose lengths don't fit the packet is refused.
 */
import { RtpMidiError } from './errors.ts';

const JOURNAL_HEADER_BYTES = 3;
const SYSTEM_HEADER_BYTES = 2;
const CHANNEL_HEADER_BYTES = 3;

/** Checks the journal that fills `payload` from `start` to its end (nothing may follow it). */
export function skipJournal(payload: Uint8Array, start: number): void {
  const where = (at: number): string => `recovery journal byte ${at - start}`;
  if (payload.length - start < JOURNAL_HEADER_BYTES)
    throw new RtpMidiError('malformed', where(start), `${payload.length - start} bytes left, the journal header needs ${JOURNAL_HEADER_BYTES}`);
  const flags = payload[start]!;
  const hasSystem = (flags & 0x40) !== 0;
  const hasChannels = (flags & 0x20) !== 0;
  const channelCount = (flags & 0x0f) + 1;
  let at = start + JOURNAL_HEADER_BYTES;
  const chapterLength = (kind: string, headerBytes: number): void => {
    if (payload.length - at < headerBytes) throw new RtpMidiError('malformed', where(at), `${kind} header cut short`);
    const length = ((payload[at]! & 0x03) << 8) | payload[at + 1]!;
    if (length < headerBytes) throw new RtpMidiError('malformed', where(at), `${kind} length ${length} is shorter than its own ${headerBytes}-byte header`);
    if (at + length > payload.length)
      throw new RtpMidiError('malformed', where(at), `${kind} length ${length} runs past the packet (${payload.length - at} bytes left)`);
    at += length;
  };
  if (hasSystem) chapterLength('system journal', SYSTEM_HEADER_BYTES);
  if (hasChannels) for (let i = 0; i < channelCount; i++) chapterLength(`channel journal ${i + 1} of ${channelCount}`, CHANNEL_HEADER_BYTES);
  if (at !== payload.length) throw new RtpMidiError('malformed', where(at), `${payload.length - at} bytes follow the journal`);
}
