/**
 * AppleMIDI session packets (the control protocol beside RTP-MIDI): `FF FF` + a two-letter command.
 * IN/OK/NO/BY carry protocol version 2, the initiator token, the sender's SSRC and (but BY) a
 * NUL-terminated name; CK carries a count 0..2 and three 64-bit timestamps in 100 µs units; RS the
 * last RTP sequence number received; RL a bitrate limit.
 */
import { RtpMidiError } from './errors.ts';

export const APPLEMIDI_SIGNATURE = 0xffff;
export const APPLEMIDI_VERSION = 2;

const CODE = { IN: 0x494e, OK: 0x4f4b, NO: 0x4e4f, BY: 0x4259, CK: 0x434b, RS: 0x5253, RL: 0x524c } as const;
type Letters = keyof typeof CODE;
const LETTERS = new Map<number, Letters>(Object.entries(CODE).map(([k, v]) => [v, k as Letters]));

export type ControlPacket =
  | { readonly command: 'IN' | 'OK' | 'NO'; readonly token: number; readonly ssrc: number; readonly name: string }
  | { readonly command: 'BY'; readonly token: number; readonly ssrc: number }
  | { readonly command: 'CK'; readonly ssrc: number; readonly count: 0 | 1 | 2; readonly timestamps: readonly [bigint, bigint, bigint] }
  | { readonly command: 'RS'; readonly ssrc: number; readonly sequence: number }
  | { readonly command: 'RL'; readonly ssrc: number; readonly bitrateLimit: number };

const utf8 = new TextEncoder();
// Names are for display: a peer's broken UTF-8 becomes U+FFFD rather than a refused session.
const lenientUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Whether a datagram is an AppleMIDI session packet rather than RTP (whose first byte is 0x80..0xBF). */
export function isControlPacket(datagram: Uint8Array): boolean {
  return datagram.length >= 2 && datagram[0] === 0xff && datagram[1] === 0xff;
}

export function encodeControl(packet: ControlPacket): Uint8Array {
  const u32 = (v: number, name: string): number => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`AppleMIDI ${packet.command}: ${name} ${v} is not a 32-bit unsigned integer`);
    return v;
  };
  switch (packet.command) {
    case 'IN':
    case 'OK':
    case 'NO': {
      const name = utf8.encode(packet.name);
      const out = new Uint8Array(16 + name.length + 1);
      const view = header(out, packet.command);
      view.setUint32(4, APPLEMIDI_VERSION);
      view.setUint32(8, u32(packet.token, 'token'));
      view.setUint32(12, u32(packet.ssrc, 'SSRC'));
      out.set(name, 16);
      return out;
    }
    case 'BY': {
      const out = new Uint8Array(16);
      const view = header(out, 'BY');
      view.setUint32(4, APPLEMIDI_VERSION);
      view.setUint32(8, u32(packet.token, 'token'));
      view.setUint32(12, u32(packet.ssrc, 'SSRC'));
      return out;
    }
    case 'CK': {
      const out = new Uint8Array(36);
      const view = header(out, 'CK');
      view.setUint32(4, u32(packet.ssrc, 'SSRC'));
      view.setUint8(8, packet.count);
      packet.timestamps.forEach((t, i) => view.setBigUint64(12 + 8 * i, BigInt.asUintN(64, t)));
      return out;
    }
    case 'RS': {
      const out = new Uint8Array(12);
      const view = header(out, 'RS');
      view.setUint32(4, u32(packet.ssrc, 'SSRC'));
      view.setUint16(8, packet.sequence & 0xffff);
      return out;
    }
    case 'RL': {
      const out = new Uint8Array(12);
      const view = header(out, 'RL');
      view.setUint32(4, u32(packet.ssrc, 'SSRC'));
      view.setUint32(8, u32(packet.bitrateLimit, 'bitrate limit'));
      return out;
    }
  }
}

function header(out: Uint8Array, command: Letters): DataView {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(0, APPLEMIDI_SIGNATURE);
  view.setUint16(2, CODE[command]);
  return view;
}

/** Reads one session packet; RtpMidiError('malformed' | 'unexpected') saying what and at which byte otherwise. */
export function decodeControl(datagram: Uint8Array): ControlPacket {
  const where = (at: number): string => `AppleMIDI packet byte ${at}`;
  if (!isControlPacket(datagram)) throw new RtpMidiError('malformed', where(0), 'does not start with the AppleMIDI signature FF FF');
  if (datagram.length < 4) throw new RtpMidiError('malformed', where(2), `${datagram.length} bytes, too short for a command`);
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const code = view.getUint16(2);
  const command = LETTERS.get(code);
  if (command === undefined) throw new RtpMidiError('unexpected', where(2), `unknown command 0x${code.toString(16).padStart(4, '0')}`);
  const need = (n: number): void => {
    if (datagram.length < n) throw new RtpMidiError('malformed', `AppleMIDI ${command}`, `${datagram.length} bytes, needs at least ${n}`);
  };
  switch (command) {
    case 'IN':
    case 'OK':
    case 'NO':
    case 'BY': {
      need(16);
      const version = view.getUint32(4);
      if (version !== APPLEMIDI_VERSION)
        throw new RtpMidiError('unexpected', `AppleMIDI ${command} byte 4`, `protocol version ${version}, only ${APPLEMIDI_VERSION} is spoken`);
      const token = view.getUint32(8);
      const ssrc = view.getUint32(12);
      if (command === 'BY') return { command, token, ssrc };
      // The name ends at its NUL; a peer that leaves the NUL out (npm rtpmidi's BY) ends it at the datagram.
      const nul = datagram.indexOf(0, 16);
      const name = lenientUtf8.decode(datagram.subarray(16, nul === -1 ? datagram.length : nul));
      return { command, token, ssrc, name };
    }
    case 'CK': {
      need(36);
      const count = view.getUint8(8);
      if (count > 2) throw new RtpMidiError('malformed', 'AppleMIDI CK byte 8', `count ${count}, must be 0, 1 or 2`);
      return {
        command,
        ssrc: view.getUint32(4),
        count: count as 0 | 1 | 2,
        timestamps: [view.getBigUint64(12), view.getBigUint64(20), view.getBigUint64(28)],
      };
    }
    case 'RS':
      need(10);
      return { command, ssrc: view.getUint32(4), sequence: view.getUint16(8) };
    case 'RL':
      need(12);
      return { command, ssrc: view.getUint32(4), bitrateLimit: view.getUint32(8) };
  }
}
