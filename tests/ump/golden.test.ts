// Golden vectors of docs/shared reference/midi2.md §1 "Golden vectors", cross-checked there by running
// the libraries named in each comment. Pack must be bit-exact; unpack must recover the fields.
import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  encodeEndpointDiscovery,
  encodeEndpointInfo,
  encodeFunctionBlockDiscovery,
  encodeFunctionBlockInfo,
  encodeJrTimestamp,
  encodeMdsHeader,
  encodeMdsPayload,
  encodeSetTempo,
  encodeStreamConfigRequest,
  packEndpointName,
  packFlexText,
  packSysEx7,
  packSysEx8,
  readUmp,
  setTempoOf,
  type FlexMessage,
} from '../../runtime/ump/index.ts';
import { bytes, errorsOf, hexWords, range, words } from './helpers.ts';

describe('golden vectors: Flex Data', () => {
  // ni-midi2 v1.11.0: Flex text, g1, channel-addressed ch12, bank 1 status 7, "testtext"
  const testtext = 'D10C0107 74657374 74657874 00000000';
  it('packs "testtext" channel 12 bit-exact', () => {
    expect(hexWords(packFlexText('testtext', { group: 1, addressing: 'channel', channel: 12, bank: 1, status: 7 }))).toBe(testtext);
  });
  it('unpacks "testtext"', () => {
    expect(readUmp(words(testtext))).toEqual([{ kind: 'flex-text', group: 1, addressing: 'channel', channel: 12, bank: 1, status: 7, text: 'testtext' }]);
    expect(decodePacket(words(testtext))).toMatchObject({ kind: 'flex', format: 'complete', addressing: 'channel', channel: 12 });
  });

  // ni-midi2 v1.11.0 = JZZ 1.9.6: Start g5 group-addressed bank 2 status 4, then Continue, End
  const multi = ['D5500204 54686973 20697320 61206D75', 'D5900204 6C74692D 7061636B 65742063', 'D5D00204 69636500 00000000 00000000'].join(' ');
  const text = 'This is a multi-packet cice';
  it('packs the Start/Continue/End text bit-exact', () => {
    expect(hexWords(packFlexText(text, { group: 5, addressing: 'group', bank: 2, status: 4 }))).toBe(multi);
  });
  it('unpacks the Start/Continue/End text', () => {
    expect(readUmp(words(multi))).toEqual([{ kind: 'flex-text', group: 5, addressing: 'group', channel: 0, bank: 2, status: 4, text }]);
    const formats = [0, 4, 8].map((i) => decodePacket(words(multi), i));
    expect(formats.map((p) => (p.kind === 'flex' ? p.format : p.kind))).toEqual(['start', 'continue', 'end']);
  });

  // ni-midi2 v1.11.0 = JZZ 1.9.6: Set Tempo 50 000 000 × 10 ns, group 0
  const tempo = 'D0100000 02FAF080 00000000 00000000';
  it('packs Set Tempo bit-exact and reads it back', () => {
    expect(hexWords(encodeSetTempo(50_000_000, { group: 0 }))).toBe(tempo);
    const [m] = readUmp(words(tempo));
    expect(m).toMatchObject({ kind: 'flex', group: 0, addressing: 'group', bank: 0, status: 0 });
    expect(setTempoOf(m as FlexMessage)).toBe(50_000_000);
  });
});

describe('golden vectors: SysEx8 and SysEx7', () => {
  // ni-midi2 v1.11.0: SysEx8 g3 stream 0x42, manufacturer 0x7D (as 00 7D) + bytes 00..13
  const sysex8 = '531E4200 7D000102 03040506 0708090A 533A420B 0C0D0E0F 10111213 00000000';
  const sysex8Data = bytes(0x00, 0x7d, ...range(0x00, 0x13));
  it('packs SysEx8 Start/End bit-exact (#bytes includes the stream id)', () => {
    expect(hexWords(packSysEx8(sysex8Data, { group: 3, streamId: 0x42 }))).toBe(sysex8);
  });
  it('unpacks SysEx8', () => {
    expect(readUmp(words(sysex8))).toEqual([{ kind: 'sysex8', group: 3, streamId: 0x42, data: sysex8Data }]);
    expect(decodePacket(words(sysex8), 0)).toEqual({
      kind: 'sysex8',
      group: 3,
      status: 'start',
      byteCount: 14,
      streamId: 0x42,
      data: sysex8Data.slice(0, 13),
    });
    expect(decodePacket(words(sysex8), 4)).toMatchObject({ status: 'end', byteCount: 10, data: sysex8Data.slice(13) });
  });

  // cmidi2 (correct) vs JZZ 1.9.6 (⚠ negative reference: its #bytes excludes the stream id)
  const cmidi2Start = '531E4200 01020304 05060708 090A0B0C';
  const jzzStart = '531D4200 01020304 05060708 090A0B0C';
  it('produces the cmidi2/ni 531E form, never the JZZ 531D form', () => {
    const data = bytes(0x00, ...range(0x01, 0x0c), 0x0d);
    const packed = hexWords(packSysEx8(data, { group: 3, streamId: 0x42 }).subarray(0, 4));
    expect(packed).toBe(cmidi2Start);
    expect(packed).not.toBe(jzzStart);
  });
  it('reads a JZZ-style count as including the stream id (12 data bytes, not 13)', () => {
    const p = decodePacket(words(jzzStart));
    expect(p).toMatchObject({ kind: 'sysex8', byteCount: 13 });
    expect(p.kind === 'sysex8' && p.data.length).toBe(12);
  });

  // ni-midi2 v1.11.0: SysEx7 g2, manufacturer 0x7D + bytes 00..09
  const sysex7 = '32167D00 01020304 32350506 07080900';
  const sysex7Data = bytes(0x7d, ...range(0x00, 0x09));
  it('packs SysEx7 bit-exact', () => {
    expect(hexWords(packSysEx7(sysex7Data, { group: 2 }))).toBe(sysex7);
  });
  it('unpacks SysEx7', () => {
    expect(readUmp(words(sysex7))).toEqual([{ kind: 'sysex7', group: 2, data: sysex7Data }]);
    expect(decodePacket(words(sysex7), 2)).toEqual({ kind: 'sysex7', group: 2, status: 'end', byteCount: 5, data: bytes(5, 6, 7, 8, 9) });
  });
});

describe('golden vectors: Mixed Data Set', () => {
  // AM_MIDI2.0Lib umpMessageCreate.h mt5MDSHeader: g1 id2 n=100 chunks=4 this=3 mfr=100 dev=101 sub=102/103
  const header = '51820064 00040003 00640065 00660067';
  const fields = { group: 1, mdsId: 2, validBytes: 100, chunks: 4, chunk: 3, manufacturerId: 100, deviceId: 101, subId1: 102, subId2: 103 };
  it('packs the header bit-exact and decodes its fields', () => {
    expect(hexWords(encodeMdsHeader(fields))).toBe(header);
    expect(decodePacket(words(header))).toEqual({ kind: 'mds-header', ...fields });
  });

  // AM_MIDI2.0Lib mt5MDSPayload: g1 id2 bytes 00..0D
  const payload = '51920001 02030405 06070809 0A0B0C0D';
  it('packs the payload bit-exact and decodes its fields', () => {
    expect(hexWords(encodeMdsPayload({ group: 1, mdsId: 2, data: bytes(...range(0, 13)) }))).toBe(payload);
    expect(decodePacket(words(payload))).toEqual({ kind: 'mds-payload', group: 1, mdsId: 2, data: bytes(...range(0, 13)) });
  });
  it('reassembles a one-chunk set around the golden payload', () => {
    const head = encodeMdsHeader({ ...fields, validBytes: 16 + 2 + 14, chunks: 1, chunk: 1 });
    const events = readUmp([...head, ...words(payload)]);
    expect(events).toEqual([{ kind: 'mds', group: 1, mdsId: 2, manufacturerId: 100, deviceId: 101, subId1: 102, subId2: 103, data: bytes(...range(0, 13)) }]);
  });
  it('reports the lone golden header (chunk 3 of 4) as out of sequence', () => {
    const errors = errorsOf(readUmp(words(header)));
    expect(errors.map((e) => e.code)).toEqual(['bad-sequence']);
  });
});

describe('golden vectors: UMP Stream', () => {
  // ni-midi2 v1.11.0: Endpoint Discovery v1.1 filter 0x1F
  it('Endpoint Discovery', () => {
    const w = 'F0000101 0000001F 00000000 00000000';
    const m = { umpVersionMajor: 1, umpVersionMinor: 1, filter: 0x1f };
    expect(hexWords(encodeEndpointDiscovery(m))).toBe(w);
    expect(readUmp(words(w))).toEqual([{ kind: 'endpoint-discovery', ...m }]);
  });

  // ni-midi2 v1.11.0: Endpoint Info v1.1, 1 static FB, MIDI 1 + MIDI 2 (M2 = 0x200, M1 = 0x100)
  const info = {
    umpVersionMajor: 1,
    umpVersionMinor: 1,
    staticFunctionBlocks: true,
    functionBlockCount: 1,
    midi2: true,
    midi1: true,
    rxJr: false,
    txJr: false,
  };
  it('Endpoint Info', () => {
    const w = 'F0010101 81000300 00000000 00000000';
    expect(hexWords(encodeEndpointInfo(info))).toBe(w);
    expect(readUmp(words(w))).toEqual([{ kind: 'endpoint-info', ...info }]);
  });
  it('Endpoint Info from AM (no static-FB flag) and not the cmidi2 form', () => {
    // AM_MIDI2.0Lib: word 1 01000300
    expect(readUmp(words('F0010101 01000300 00000000 00000000'))).toEqual([{ kind: 'endpoint-info', ...info, staticFunctionBlocks: false }]);
    // cmidi2 f449b84 ⚠ negative reference: M2 at 0x1000 (word 1 81001100)
    expect(hexWords(encodeEndpointInfo(info))).not.toContain('81001100');
    expect(readUmp(words('F0010101 81001100 00000000 00000000'))[0]).toMatchObject({ midi2: false, midi1: true });
  });

  // ni-midi2 v1.11.0: Endpoint Name "midl test endpoint", Start then End
  it('Endpoint Name', () => {
    const w = 'F4036D69 646C2074 65737420 656E6470 FC036F69 6E740000 00000000 00000000';
    expect(hexWords(packEndpointName('midl test endpoint'))).toBe(w);
    expect(readUmp(words(w))).toEqual([{ kind: 'endpoint-name', name: 'midl test endpoint' }]);
    expect(decodePacket(words(w))).toMatchObject({ kind: 'endpoint-name', format: 'start' });
  });

  // ni-midi2 v1.11.0: Function Block Discovery, all blocks, filter 0x03
  it('Function Block Discovery', () => {
    const w = 'F010FF03 00000000 00000000 00000000';
    expect(hexWords(encodeFunctionBlockDiscovery({ functionBlock: 0xff, filter: 3 }))).toBe(w);
    expect(readUmp(words(w))).toEqual([{ kind: 'fb-discovery', functionBlock: 0xff, filter: 3 }]);
  });

  // ni-midi2 v1.11.0: Function Block Info fb0 active bidirectional, group 0 ×1, MIDI-CI v2, 4 SysEx8 streams
  it('Function Block Info', () => {
    const w = 'F0118033 00010204 00000000 00000000';
    const m = { active: true, functionBlock: 0, uiHint: 3, midi1: 0, direction: 3, firstGroup: 0, groupCount: 1, midiCiVersion: 2, maxSysEx8Streams: 4 };
    expect(hexWords(encodeFunctionBlockInfo(m))).toBe(w);
    expect(readUmp(words(w))).toEqual([{ kind: 'fb-info', ...m }]);
  });

  // ni-midi2 v1.11.0: Stream Configuration Request, MIDI 2 protocol
  it('Stream Configuration Request', () => {
    const w = 'F0050200 00000000 00000000 00000000';
    expect(hexWords(encodeStreamConfigRequest({ protocol: 2, rxJr: false, txJr: false }))).toBe(w);
    expect(readUmp(words(w))).toEqual([{ kind: 'stream-config-request', protocol: 2, rxJr: false, txJr: false }]);
  });
});

describe('golden vectors: JR Timestamp', () => {
  // AM_MIDI2.0Lib mt0JRTimeStamp(0x1234) = 00201234
  it('JR Timestamp 0x1234', () => {
    expect(hexWords(encodeJrTimestamp(0x1234))).toBe('00201234');
    expect(readUmp(words('00201234'))).toEqual([{ kind: 'jr-timestamp', value: 0x1234 }]);
  });
  // cmidi2 cmidi2_ump_jr_timestamp(1.0 s) = 00207A12 (31 250 ticks of 32 µs)
  it('JR Timestamp of one second', () => {
    expect(hexWords(encodeJrTimestamp(31_250))).toBe('00207A12');
    expect(readUmp(words('00207A12'))).toEqual([{ kind: 'jr-timestamp', value: 31_250 }]);
  });
});
