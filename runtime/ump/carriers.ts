import { UmpError, UmpErrorCode, checkBytes } from './errors.ts';
import { decodeMcoded7, encodeMcoded7, mcoded7Length } from './mcoded7.ts';
import { packSysEx7, type SysEx7Options } from './sysex7.ts';
import { packSysEx8, type SysEx8Options } from './sysex8.ts';

/**
 * midl's carriers for opaque bytes (an envelope):
 * - SysEx8: data = `00 7D <sub-id>` + payload (16-bit manufacturer id 0x007D, the MMA id for
 *   non-commercial / prototyping use, then midl's sub-id).
 * - SysEx7: data = `7D <sub-id>` + Mcoded7(payload); as MIDI 1.0 bytes `F0 7D <sub-id> … F7`.
 */
export const MIDL_MANUFACTURER_ID = 0x7d;

/** midl sub-id byte following the manufacturer id: 0x01 = "midl envelope v1". */
export const MIDL_SUB_ID = 0x01;

/** The first bytes of a midl SysEx8 message's data. */
export const MIDL_SYSEX8_PREFIX: Readonly<Uint8Array> = Uint8Array.of(0x00, MIDL_MANUFACTURER_ID, MIDL_SUB_ID);

const SYSEX_START = 0xf0;
const SYSEX_END = 0xf7;

function prefixError(what: string, got: Uint8Array, expected: readonly number[]): UmpError {
  const hex = [...got.subarray(0, expected.length)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const want = expected.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return new UmpError(UmpErrorCode.BadPrefix, `${what} must start with ${want}, got "${hex}"`);
}

function hasPrefix(data: Uint8Array, prefix: readonly number[]): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

/** SysEx8 data of a midl payload: `00 7D <sub-id>` + payload. */
export function midlSysEx8Data(payload: Uint8Array): Uint8Array {
  checkBytes('payload', payload);
  const data = new Uint8Array(MIDL_SYSEX8_PREFIX.length + payload.length);
  data.set(MIDL_SYSEX8_PREFIX);
  data.set(payload, MIDL_SYSEX8_PREFIX.length);
  return data;
}

/** A midl payload as SysEx8 packets. */
export function encodeMidlSysEx8(payload: Uint8Array, options: SysEx8Options): Uint32Array {
  return packSysEx8(midlSysEx8Data(payload), options);
}

/** The payload of a reassembled midl SysEx8 message's data (a view, not a copy); `bad-prefix` otherwise. */
export function decodeMidlSysEx8(data: Uint8Array): Uint8Array {
  checkBytes('SysEx8 data', data);
  const prefix = [...MIDL_SYSEX8_PREFIX];
  if (!hasPrefix(data, prefix)) throw prefixError('midl SysEx8 data', data, prefix);
  return data.subarray(prefix.length);
}

/** True if SysEx8 data carries a midl payload. */
export function isMidlSysEx8(data: Uint8Array): boolean {
  return hasPrefix(data, [...MIDL_SYSEX8_PREFIX]);
}

/** SysEx7 data of a midl payload: `7D <sub-id>` + Mcoded7(payload). */
export function midlSysEx7Data(payload: Uint8Array): Uint8Array {
  checkBytes('payload', payload);
  const data = new Uint8Array(2 + mcoded7Length(payload.length));
  data[0] = MIDL_MANUFACTURER_ID;
  data[1] = MIDL_SUB_ID;
  data.set(encodeMcoded7(payload), 2);
  return data;
}

/** A midl payload as SysEx7 packets (Mcoded7 inside). */
export function encodeMidlSysEx7(payload: Uint8Array, options: SysEx7Options): Uint32Array {
  return packSysEx7(midlSysEx7Data(payload), options);
}

/** The payload of a reassembled midl SysEx7 message's data (`7D <sub-id>` + Mcoded7). */
export function decodeMidlSysEx7(data: Uint8Array): Uint8Array {
  checkBytes('SysEx7 data', data);
  const prefix = [MIDL_MANUFACTURER_ID, MIDL_SUB_ID];
  if (!hasPrefix(data, prefix)) throw prefixError('midl SysEx7 data', data, prefix);
  return decodeMcoded7(data.subarray(2));
}

/** A midl payload as one MIDI 1.0 SysEx byte string `F0 7D <sub-id> Mcoded7(payload) F7` (RTP-MIDI, ports). */
export function bytesToSysEx7Midi1(payload: Uint8Array): Uint8Array {
  const data = midlSysEx7Data(payload);
  const out = new Uint8Array(data.length + 2);
  out[0] = SYSEX_START;
  out.set(data, 1);
  out[out.length - 1] = SYSEX_END;
  return out;
}

/** The payload of a MIDI 1.0 `F0 7D <sub-id> … F7` byte string. */
export function sysEx7Midi1ToBytes(bytes: Uint8Array): Uint8Array {
  checkBytes('MIDI 1.0 SysEx', bytes);
  if (bytes.length < 2 || bytes[0] !== SYSEX_START || bytes[bytes.length - 1] !== SYSEX_END) {
    throw new UmpError(UmpErrorCode.BadPrefix, 'MIDI 1.0 SysEx must start with F0 and end with F7');
  }
  return decodeMidlSysEx7(bytes.subarray(1, bytes.length - 1));
}
