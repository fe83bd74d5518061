/**
 * The RTP header of RTP-MIDI data packets (RFC 3550 §5.1 with RFC 6295's payload type): V=2, no
 * padding, extension or CSRCs on what we send; those of others are skipped.
 */
import { RtpMidiError } from './errors.ts';

/** RTP-MIDI's dynamic payload type as AppleMIDI uses it. */
export const RTP_MIDI_PAYLOAD_TYPE = 0x61;
export const RTP_HEADER_BYTES = 12;

export interface RtpHeader {
  readonly sequence: number;
  /** Sender's media clock, in AppleMIDI 100 µs units, modulo 2^32. */
  readonly timestamp: number;
  readonly ssrc: number;
}

export function encodeRtpHeader(header: RtpHeader, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(0, 0x80);
  view.setUint8(1, RTP_MIDI_PAYLOAD_TYPE);
  view.setUint16(2, header.sequence & 0xffff);
  view.setUint32(4, header.timestamp >>> 0);
  view.setUint32(8, header.ssrc >>> 0);
}

/** The header and where its payload lies (after CSRCs and an extension, before padding). */
export function decodeRtpHeader(datagram: Uint8Array): RtpHeader & { readonly payloadStart: number; readonly payloadEnd: number } {
  if (datagram.length < RTP_HEADER_BYTES) throw new RtpMidiError('malformed', 'RTP header', `${datagram.length} bytes, needs ${RTP_HEADER_BYTES}`);
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const first = view.getUint8(0);
  if (first >> 6 !== 2) throw new RtpMidiError('malformed', 'RTP header byte 0', `version ${first >> 6}, RTP is version 2`);
  const payloadType = view.getUint8(1) & 0x7f;
  if (payloadType !== RTP_MIDI_PAYLOAD_TYPE)
    throw new RtpMidiError('unexpected', 'RTP header byte 1', `payload type ${payloadType}, RTP-MIDI is ${RTP_MIDI_PAYLOAD_TYPE}`);
  let start = RTP_HEADER_BYTES + 4 * (first & 0x0f);
  if ((first & 0x10) !== 0) {
    if (datagram.length < start + 4) throw new RtpMidiError('malformed', `RTP header byte ${start}`, 'extension header cut short');
    start += 4 + 4 * view.getUint16(start + 2);
  }
  let end = datagram.length;
  if ((first & 0x20) !== 0) end -= datagram[datagram.length - 1]!;
  if (start > end)
    throw new RtpMidiError('malformed', 'RTP header', `header and padding need ${start + datagram.length - end} bytes, the datagram has ${datagram.length}`);
  return { sequence: view.getUint16(2), timestamp: view.getUint32(4), ssrc: view.getUint32(8), payloadStart: start, payloadEnd: end };
}
