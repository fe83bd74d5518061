import { describe, expect, it } from 'vitest';
import { isStatusByte, midi1Shape } from '../../runtime/ump/midi1-status.ts';

describe('midi1Shape', () => {
  it('channel voice messages: two data bytes, one for program change and channel pressure', () => {
    for (let ch = 0; ch < 16; ch++) {
      for (const s of [0x80, 0x90, 0xa0, 0xb0, 0xe0]) expect(midi1Shape(s | ch)).toEqual({ kind: 'channel', dataBytes: 2 });
      for (const s of [0xc0, 0xd0]) expect(midi1Shape(s | ch)).toEqual({ kind: 'channel', dataBytes: 1 });
    }
  });

  it('system messages', () => {
    expect(midi1Shape(0xf0)).toEqual({ kind: 'sysex-start' });
    expect(midi1Shape(0xf7)).toEqual({ kind: 'sysex-end' });
    expect(midi1Shape(0xf1)).toEqual({ kind: 'system-common', dataBytes: 1 });
    expect(midi1Shape(0xf2)).toEqual({ kind: 'system-common', dataBytes: 2 });
    expect(midi1Shape(0xf3)).toEqual({ kind: 'system-common', dataBytes: 1 });
    for (const s of [0xf4, 0xf5, 0xf6]) expect(midi1Shape(s)).toEqual({ kind: 'system-common', dataBytes: 0 });
    for (let s = 0xf8; s <= 0xff; s++) expect(midi1Shape(s)).toEqual({ kind: 'real-time' });
  });

  it('refuses what is not a status byte', () => {
    for (const b of [0x00, 0x7f, 0x100, -1, 0.5, NaN]) expect(() => midi1Shape(b)).toThrow(RangeError);
    expect(isStatusByte(0x7f)).toBe(false);
    expect(isStatusByte(0x80)).toBe(true);
  });
});
