import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDatagram, encodeDatagram, encodeDatagrams, type Nm2Command } from '../../../runtime/transports/nm2/index.ts';
import { hex, toHex } from './raw-peer.ts';

/** The wire examples of shared/reference/midi2.md §2 (amidi2net's encoder) and the commands they hold. */
const GOLDEN: { name: string; hex: string; commands: Nm2Command[]; nulTerminate?: boolean }[] = [
  {
    name: 'Invitation "midl"/"p1" (amidi2net string layout)',
    hex: '4D494449 01030200 6D69646C 00000000 70310000',
    nulTerminate: true,
    commands: [{ type: 'invitation', capabilities: 0, name: 'midl', productInstanceId: 'p1' }],
  },
  { name: 'Ping 0x12345678', hex: '4D494449 20010000 12345678', commands: [{ type: 'ping', id: 0x12345678 }] },
  {
    name: 'UMP Data seq 1, MIDI 2.0 Note On',
    hex: '4D494449 FF020001 40903C00 FFFF0000',
    commands: [{ type: 'ump-data', seq: 1, words: Uint32Array.of(0x40903c00, 0xffff0000) }],
  },
  { name: 'zero-length UMP Data seq 2', hex: '4D494449 FF000002', commands: [{ type: 'ump-data', seq: 2, words: new Uint32Array(0) }] },
  { name: 'Retransmit Request seq 5', hex: '4D494449 80010005 00000000', commands: [{ type: 'retransmit-request', seq: 5, count: 0 }] },
  { name: 'Bye, user terminated', hex: '4D494449 F0000100', commands: [{ type: 'bye', reason: 1, text: '' }] },
];

describe('NM2 wire: golden datagrams', () => {
  for (const g of GOLDEN) {
    it(`${g.name} encodes to and decodes from ${g.hex}`, () => {
      expect(toHex(encodeDatagram(g.commands, { nulTerminate: g.nulTerminate ?? false }))).toBe(g.hex);
      const decoded = decodeDatagram(hex(g.hex));
      expect(decoded.errors).toEqual([]);
      expect(decoded.commands).toEqual(g.commands);
    });
  }

  it('pads strings to the next word only by default (no terminator)', () => {
    expect(toHex(encodeDatagram([{ type: 'invitation', capabilities: 1, name: 'midl', productInstanceId: 'p1' }]))).toBe('4D494449 01020101 6D69646C 70310000');
    expect(toHex(encodeDatagram([{ type: 'accepted', name: 'abcde', productInstanceId: '' }]))).toBe('4D494449 10020200 61626364 65000000');
  });

  it('reads both padding styles and every command type back', () => {
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);
    const digest = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    const all: Nm2Command[] = [
      { type: 'invitation', capabilities: 3, name: 'Ünïcode ✓', productInstanceId: 'PIID-1' },
      { type: 'invitation-auth', digest },
      { type: 'invitation-user-auth', digest, username: 'ada' },
      { type: 'accepted', name: 'x', productInstanceId: 'y' },
      { type: 'pending', name: '', productInstanceId: '' },
      { type: 'auth-required', state: 1, nonce, name: 'n', productInstanceId: 'p' },
      { type: 'user-auth-required', state: 2, nonce, name: 'n', productInstanceId: 'p' },
      { type: 'ping-reply', id: 0xffffffff },
      { type: 'retransmit-request', seq: 0xffff, count: 7 },
      { type: 'retransmit-error', reason: 1, seq: 42 },
      { type: 'session-reset' },
      { type: 'reset-reply' },
      { type: 'nak', reason: 3, header: 0x20010000, text: 'bad' },
      { type: 'bye', reason: 0x43, text: 'go away' },
      { type: 'bye-reply' },
      { type: 'ump-data', seq: 9, words: Uint32Array.of(0x20903c40, 0x40903c00, 0xffff0000, 0xf0000101, 0, 0, 0) },
    ];
    for (const nulTerminate of [false, true]) {
      const decoded = decodeDatagram(encodeDatagram(all, { nulTerminate }));
      expect(decoded.errors).toEqual([]);
      expect(decoded.commands).toEqual(all);
    }
  });

  it('reads amidi2net NAK code 0x7F as NAK', () => {
    expect(decodeDatagram(hex('4D494449 7F010100 80010005')).commands).toEqual([{ type: 'nak', reason: 1, header: 0x80010005, text: '' }]);
  });

  it('splits at the datagram size, keeping order', () => {
    const cmds: Nm2Command[] = Array.from({ length: 20 }, (_, seq) => ({ type: 'ump-data', seq, words: new Uint32Array(64).fill(0x10000000) }));
    const datagrams = encodeDatagrams(cmds);
    for (const d of datagrams) expect(d.length).toBeLessThanOrEqual(1400);
    expect(datagrams.flatMap((d) => decodeDatagram(d).commands.map((c) => (c.type === 'ump-data' ? c.seq : -1)))).toEqual(cmds.map((_, i) => i));
  });
});

describe('NM2 wire: hostile input', () => {
  const kinds = (h: string) => decodeDatagram(hex(h)).errors.map((e) => e.kind);

  it('reports typed errors and keeps what it could read', () => {
    expect(kinds('4D494448 20010000 12345678')).toEqual(['bad-signature']);
    expect(kinds('')).toEqual(['bad-signature']);
    expect(kinds('4D494449 20050000 12345678')).toEqual(['length-past-end']);
    expect(kinds('4D494449 55000000 20010000 12345678')).toEqual(['unknown-code']);
    expect(decodeDatagram(hex('4D494449 55000000 20010000 12345678')).commands).toEqual([{ type: 'ping', id: 0x12345678 }]);
    expect(kinds('4D494449 01010500 6D69646C')).toEqual(['malformed']); // name of 5 words in a 1-word payload
    expect(kinds('4D494449 01010100 FF000000')).toEqual(['malformed']); // not UTF-8
    expect(kinds('4D494449 FF010001 40903C00')).toEqual(['malformed']); // half a 64-bit packet
    expect(kinds('4D494449 02010000 00000000')).toEqual(['malformed']); // digest too short
    expect(kinds('4D494449 20010000 12345678 AB')).toEqual(['unaligned']);
  });

  it('never throws and never reads past the datagram (random bytes, with and without the signature)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 600 }), (signed, body) => {
        const bytes = signed ? Uint8Array.from([0x4d, 0x49, 0x44, 0x49, ...body]) : body;
        const { commands, errors } = decodeDatagram(bytes);
        for (const c of commands) if (c.type === 'ump-data') expect(c.words.length * 4).toBeLessThanOrEqual(bytes.length);
        expect(commands.length + errors.length).toBeLessThanOrEqual(bytes.length / 4 + 1);
      }),
      { numRuns: 2000 },
    );
  });
});
