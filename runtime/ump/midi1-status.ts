/**
 * The shape of a MIDI 1.0 message from its status byte: how many data bytes follow it. One table for
 * every MIDI 1.0 byte-stream reader (the MIDI 1.0 ⇄ UMP translator, the RTP-MIDI command section).
 */

/** How a status byte is followed: a fixed number of data bytes, or a SysEx body up to EOX (F7). */
export type Midi1Shape =
  | { readonly kind: 'channel'; readonly dataBytes: 1 | 2 }
  | { readonly kind: 'system-common'; readonly dataBytes: 0 | 1 | 2 }
  | { readonly kind: 'sysex-start' }
  | { readonly kind: 'sysex-end' }
  | { readonly kind: 'real-time' };

/** Whether `b` is a status byte (bit 7 set); data bytes are 0x00–0x7F. */
export function isStatusByte(b: number): boolean {
  return (b & 0x80) !== 0;
}

/**
 * The shape of the message `status` (0x80–0xFF) starts. Undefined system bytes (F4, F5, F9, FD) are
 * given their MIDI 1.0 meaning: F4/F5 are system common with no data, F9/FD real-time.
 */
export function midi1Shape(status: number): Midi1Shape {
  if (status < 0x80 || status > 0xff || !Number.isInteger(status)) throw new RangeError(`not a MIDI 1.0 status byte: ${String(status)}`);
  if (status < 0xf0) {
    const high = status & 0xf0;
    return { kind: 'channel', dataBytes: high === 0xc0 || high === 0xd0 ? 1 : 2 };
  }
  if (status >= 0xf8) return { kind: 'real-time' };
  switch (status) {
    case 0xf0:
      return { kind: 'sysex-start' };
    case 0xf7:
      return { kind: 'sysex-end' };
    case 0xf1:
    case 0xf3:
      return { kind: 'system-common', dataBytes: 1 };
    case 0xf2:
      return { kind: 'system-common', dataBytes: 2 };
    default:
      // F4, F5 (undefined) and F6 (tune request).
      return { kind: 'system-common', dataBytes: 0 };
  }
}
