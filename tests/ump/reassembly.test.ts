// Sequencing, limits, timeouts and aborts of the reassembling reader, case by case.
import { describe, expect, it } from 'vitest';
import {
  MDS_MAX_CHUNK_DATA,
  UmpError,
  UmpReader,
  bytesToWords,
  encodeMdsHeader,
  encodeMdsPayload,
  encodeSysEx8Abort,
  encodeFlexPacket,
  packEndpointName,
  packFlexText,
  packFunctionBlockName,
  packMds,
  packProductInstanceId,
  packSysEx7,
  packSysEx8,
  packetWordCount,
  readUmp,
  wordsToBytes,
  type UmpEvent,
} from '../../runtime/ump/index.ts';
import { bytes, errorsOf, manualClock, messagesOf, words } from './helpers.ts';

const fill = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0x7f);

/** The packets of a packed message, each as its own Uint32Array. */
function packets(w: Uint32Array): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; i < w.length; i += packetWordCount(w[i]!)) out.push(w.slice(i, i + packetWordCount(w[i]!)));
  return out;
}
const join = (...parts: Uint32Array[]): Uint32Array => Uint32Array.from(parts.flatMap((p) => [...p]));
const codes = (events: readonly UmpEvent[]): string[] => errorsOf(events).map((e) => e.code);

describe('SysEx8 streams', () => {
  it('interleaves streams of one group and the same stream id on different groups', () => {
    const a = packets(packSysEx8(fill(30, 1), { group: 2, streamId: 1 }));
    const b = packets(packSysEx8(fill(20, 2), { group: 2, streamId: 2 }));
    const c = packets(packSysEx8(fill(14, 3), { group: 9, streamId: 1 }));
    const events = readUmp(join(a[0]!, b[0]!, c[0]!, a[1]!, b[1]!, c[1]!, a[2]!));
    expect(events).toEqual([
      { kind: 'sysex8', group: 2, streamId: 2, data: fill(20, 2) },
      { kind: 'sysex8', group: 9, streamId: 1, data: fill(14, 3) },
      { kind: 'sysex8', group: 2, streamId: 1, data: fill(30, 1) },
    ]);
  });

  it('Continue and End without Start are bad-sequence errors; nothing else is lost', () => {
    const a = packets(packSysEx8(fill(40), { group: 0, streamId: 5 }));
    const ok = packSysEx8(fill(3), { group: 0, streamId: 6 });
    const events = readUmp(join(a[1]!, ok, a[3]!));
    expect(codes(events)).toEqual(['bad-sequence', 'bad-sequence']);
    expect(errorsOf(events)[0]).toMatchObject({ wordIndex: 0, messageKind: 'sysex8', group: 0, streamId: 5 });
    expect(errorsOf(events)[1]!.message).toMatch(/End packet without Start/);
    expect(messagesOf(events)).toEqual([{ kind: 'sysex8', group: 0, streamId: 6, data: fill(3) }]);
  });

  it('a Start while a message is open discards the open one and starts the new one', () => {
    const first = packets(packSysEx8(fill(30, 1), { group: 1, streamId: 1 }));
    const second = packSysEx8(fill(30, 2), { group: 1, streamId: 1 });
    const events = readUmp(join(first[0]!, first[1]!, second));
    expect(codes(events)).toEqual(['bad-sequence']);
    expect(errorsOf(events)[0]!.message).toMatch(/Start packet while a message was open/);
    expect(messagesOf(events)).toEqual([{ kind: 'sysex8', group: 1, streamId: 1, data: fill(30, 2) }]);
  });

  it('a Complete while a message is open discards the open one and delivers the Complete', () => {
    const open = packets(packSysEx8(fill(30), { group: 1, streamId: 1 }))[0]!;
    const complete = packSysEx8(bytes(1, 2, 3), { group: 1, streamId: 1 });
    const events = readUmp(join(open, complete));
    expect(codes(events)).toEqual(['bad-sequence']);
    expect(messagesOf(events)).toEqual([{ kind: 'sysex8', group: 1, streamId: 1, data: bytes(1, 2, 3) }]);
  });

  it('aborts: #bytes 0x1 (previous data valid) and 0xF (incomplete) discard the open message', () => {
    for (const previousDataValid of [true, false]) {
      const p = packets(packSysEx8(fill(30), { group: 4, streamId: 9 }));
      const abort = encodeSysEx8Abort({ group: 4, streamId: 9, previousDataValid });
      expect(abort[0]! & 0x000f0000).toBe(previousDataValid ? 0x00010000 : 0x000f0000);
      const after = packSysEx8(bytes(7), { group: 4, streamId: 9 });
      const events = readUmp(join(p[0]!, p[1]!, abort, after));
      expect(codes(events)).toEqual(['aborted']);
      expect(errorsOf(events)[0]!.message).toMatch(previousDataValid ? /previous data valid/ : /incomplete/);
      expect(messagesOf(events)).toEqual([{ kind: 'sysex8', group: 4, streamId: 9, data: bytes(7) }]);
    }
  });

  it('an abort with nothing open is a bad-sequence error', () => {
    expect(codes(readUmp(encodeSysEx8Abort({ group: 0, streamId: 0, previousDataValid: false })))).toEqual(['bad-sequence']);
  });

  it('an invalid #bytes mid-message discards only that message', () => {
    const a = packets(packSysEx8(fill(30, 1), { group: 0, streamId: 1 }));
    const b = packSysEx8(fill(20, 2), { group: 0, streamId: 2 });
    const broken = a[1]!.slice();
    broken[0] = (broken[0]! & 0xfff0ffff) >>> 0; // #bytes 0
    const events = readUmp(join(a[0]!, broken, b, a[2]!));
    expect(codes(events)).toEqual(['invalid-field', 'bad-sequence']);
    expect(errorsOf(events)[0]!.message).toMatch(/#bytes 0 is invalid.*discarded/);
    expect(messagesOf(events)).toEqual([{ kind: 'sysex8', group: 0, streamId: 2, data: fill(20, 2) }]);
  });
});

describe('limits', () => {
  it('maxMessageBytes: one too-large error, the rest of that message skipped, the stream usable again', () => {
    const reader = new UmpReader({ maxMessageBytes: 26 });
    const big = packSysEx8(fill(60), { group: 0, streamId: 0 });
    const other = packSysEx8(fill(26, 3), { group: 0, streamId: 1 });
    const again = packSysEx8(fill(10, 4), { group: 0, streamId: 0 });
    const events = [...reader.push(join(big, other, again)), ...reader.finish()];
    expect(codes(events)).toEqual(['too-large']);
    expect(messagesOf(events)).toEqual([
      { kind: 'sysex8', group: 0, streamId: 1, data: fill(26, 3) },
      { kind: 'sysex8', group: 0, streamId: 0, data: fill(10, 4) },
    ]);
  });

  it('maxMessageBytes never lets a buffer grow past the limit', () => {
    const reader = new UmpReader({ maxMessageBytes: 100 });
    const p = packets(packSysEx8(fill(1000), { group: 0, streamId: 0 }));
    reader.push(join(...p.slice(0, 7)));
    expect(reader.bufferedBytes).toBeLessThanOrEqual(100);
    expect(reader.bufferedBytes).toBeGreaterThanOrEqual(91);
    expect(codes(reader.push(p[7]!))).toEqual(['too-large']);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('maxOpenStreams: the stream beyond the limit is refused, open ones continue', () => {
    const reader = new UmpReader({ maxOpenStreams: 2 });
    const s = [1, 2, 3].map((id) => packets(packSysEx8(fill(20, id), { group: 0, streamId: id })));
    const events = reader.push(join(s[0]![0]!, s[1]![0]!, s[2]![0]!, s[0]![1]!, s[1]![1]!, s[2]![1]!));
    expect(codes(events)).toEqual(['too-many-streams', 'bad-sequence']);
    expect(errorsOf(events)[0]).toMatchObject({ streamId: 3 });
    expect(messagesOf(events).map((m) => (m.kind === 'sysex8' ? m.streamId : -1))).toEqual([1, 2]);
    expect(reader.openMessages).toBe(0);
  });

  it('timeoutMs with an injected clock: a silent message is discarded, others live on', () => {
    const clock = manualClock();
    const reader = new UmpReader({ timeoutMs: 1000, now: clock.now });
    const slow = packets(packSysEx8(fill(30, 1), { group: 0, streamId: 1 }));
    const fast = packets(packSysEx8(fill(30, 2), { group: 0, streamId: 2 }));
    reader.push(slow[0]!);
    clock.advance(600);
    reader.push(fast[0]!);
    clock.advance(600); // slow: 1200 ms silent, fast: 600 ms
    const events = reader.push(join(fast[1]!, fast[2]!, slow[1]!));
    expect(codes(events)).toEqual(['timeout', 'bad-sequence']);
    expect(errorsOf(events)[0]).toMatchObject({ streamId: 1 });
    expect(messagesOf(events)).toEqual([{ kind: 'sysex8', group: 0, streamId: 2, data: fill(30, 2) }]);
  });

  it('expire() reports timeouts without new input', () => {
    const clock = manualClock(5_000);
    const reader = new UmpReader({ timeoutMs: 50, now: clock.now });
    reader.push(packets(packSysEx7(fill(20), { group: 3 }))[0]!);
    expect(reader.expire()).toEqual([]);
    clock.advance(51);
    const errors = reader.expire();
    expect(errors.map((e) => e.code)).toEqual(['timeout']);
    expect(errors[0]).toBeInstanceOf(UmpError);
    expect(reader.openMessages).toBe(0);
  });

  it('finish() reports open messages and a partial packet as truncated, then resets', () => {
    const reader = new UmpReader();
    const s7 = packets(packSysEx7(fill(20), { group: 3 }));
    reader.push(join(s7[0]!, words('531E4200 00000000')));
    expect(reader.pendingWords).toBe(2);
    const errors = reader.finish();
    expect(errors.map((e) => e.code)).toEqual(['truncated', 'truncated']);
    expect(errors[0]).toMatchObject({ wordIndex: 2 });
    expect(reader.openMessages).toBe(0);
    expect(reader.pendingWords).toBe(0);
    expect(reader.push(packSysEx7(bytes(1), { group: 0 }))).toEqual([{ kind: 'sysex7', group: 0, data: bytes(1) }]);
  });

  it('rejects nonsense limits', () => {
    expect(() => new UmpReader({ maxOpenStreams: 0 })).toThrow(UmpError);
    expect(() => new UmpReader({ maxMessageBytes: 1.5 })).toThrow(UmpError);
    expect(() => new UmpReader({ timeoutMs: Infinity })).not.toThrow();
  });
});

describe('SysEx7', () => {
  it('an 8-bit data byte in a packet is invalid and discards its message', () => {
    const p = packets(packSysEx7(fill(20), { group: 1 }));
    const bad = p[1]!.slice();
    bad[1] = (bad[1]! | 0x80000000) >>> 0;
    const events = readUmp(join(p[0]!, bad, p[2]!, p[3]!));
    expect(codes(events)).toEqual(['invalid-field', 'bad-sequence', 'bad-sequence']);
    expect(messagesOf(events)).toEqual([]);
  });

  it('#bytes above 6 is invalid', () => {
    expect(codes(readUmp(words('30070000 00000000')))).toEqual(['invalid-field']);
  });
});

describe('Flex text', () => {
  const opts = { group: 2, bank: 1, status: 5 } as const;

  it('invalid UTF-8 is a bad-utf8 error, the next message is fine', () => {
    const bad = encodeFlexPacket({ ...opts, format: 'complete', data: bytes(0x61, 0xc3) }); // truncated 2-byte sequence
    const overlong = encodeFlexPacket({ ...opts, format: 'complete', data: bytes(0xc0, 0xaf) });
    const good = packFlexText('ok', opts);
    const events = readUmp(join(bad, overlong, good));
    expect(codes(events)).toEqual(['bad-utf8', 'bad-utf8']);
    expect(messagesOf(events)).toMatchObject([{ kind: 'flex-text', text: 'ok' }]);
  });

  it('accepts a sender that pads packets to keep characters whole', () => {
    const w = join(
      encodeFlexPacket({ ...opts, format: 'start', data: new TextEncoder().encode('abcdefghij') }), // 10 bytes + padding
      encodeFlexPacket({ ...opts, format: 'end', data: new TextEncoder().encode('🎹!') }),
    );
    expect(messagesOf(readUmp(w))).toMatchObject([{ kind: 'flex-text', text: 'abcdefghij🎹!' }]);
  });

  it('keeps channel-addressed messages on different channels apart', () => {
    const a = packets(packFlexText('channel one text!', { ...opts, addressing: 'channel', channel: 1 }));
    const b = packets(packFlexText('channel two text!', { ...opts, addressing: 'channel', channel: 2 }));
    const events = readUmp(join(a[0]!, b[0]!, b[1]!, a[1]!));
    expect(messagesOf(events).map((m) => (m.kind === 'flex-text' ? m.text : ''))).toEqual(['channel two text!', 'channel one text!']);
  });

  it('rejects text it could not carry unchanged', () => {
    expect(() => packFlexText('a\u0000b', opts)).toThrow(/U\+0000/);
    expect(() => packFlexText('\ud800', opts)).toThrow(/surrogate/);
    expect(() => packFlexText('x', { ...opts, bank: 0 })).toThrow(UmpError);
  });

  it('reserved addressing values are passed on as unknown, whole', () => {
    expect(readUmp(words('D0200000 00000000 00000000 00000000 00201234'))).toEqual([
      { kind: 'unknown', mt: 0xd, words: words('D0200000 00000000 00000000 00000000') },
      { kind: 'jr-timestamp', value: 0x1234 },
    ]);
  });
});

describe('Mixed Data Set', () => {
  const ids = { group: 3, mdsId: 7, manufacturerId: 0x807d, deviceId: 0xffff, subId1: 1, subId2: 2 };
  const header = (o: Partial<Parameters<typeof encodeMdsHeader>[0]>): Uint32Array => encodeMdsHeader({ ...ids, validBytes: 16, chunks: 1, chunk: 1, ...o });

  it('joins a multi-chunk set (more than 57 316 bytes)', () => {
    const data = Uint8Array.from({ length: MDS_MAX_CHUNK_DATA * 2 + 5 }, (_, i) => (i * 13) & 0xff);
    const w = packMds(data, ids);
    const heads = packets(w).filter((p) => (p[0]! >>> 20) % 16 === 8);
    expect(heads.map((h) => [h[0]! & 0xffff, h[1]! >>> 16, h[1]! & 0xffff])).toEqual([
      [16 + 2 * 4094 + MDS_MAX_CHUNK_DATA, 3, 1],
      [16 + 2 * 4094 + MDS_MAX_CHUNK_DATA, 3, 2],
      [16 + 2 + 5, 3, 3],
    ]);
    expect(readUmp(w)).toEqual([{ kind: 'mds', ...ids, data }]);
  });

  it('an empty set is one header with #valid bytes 16', () => {
    const w = packMds(new Uint8Array(0), ids);
    expect(w.length).toBe(4);
    expect(readUmp(w)).toEqual([{ kind: 'mds', ...ids, data: new Uint8Array(0) }]);
  });

  it('payload without header, header mid-chunk, chunk out of order, inconsistent ids', () => {
    const payload = encodeMdsPayload({ group: 3, mdsId: 7, data: fill(14) });
    expect(codes(readUmp(payload))).toEqual(['bad-sequence']);
    const twoPackets = header({ validBytes: 16 + 2 * 2 + 20 });
    expect(codes(readUmp(join(twoPackets, payload, twoPackets, payload, payload)))).toEqual(['bad-sequence']);
    expect(codes(readUmp(header({ chunks: 3, chunk: 2 })))).toEqual(['bad-sequence']);
    const firstOfTwo = header({ chunks: 2, chunk: 1 });
    expect(codes(readUmp(join(firstOfTwo, header({ chunks: 2, chunk: 2, deviceId: 1 }))))).toEqual(['bad-sequence', 'bad-sequence']);
    expect(codes(readUmp(join(firstOfTwo, header({ chunks: 2, chunk: 2 }))))).toEqual([]);
  });

  it('a payload packet beyond the chunk size discards the open set', () => {
    const payload = encodeMdsPayload({ group: 3, mdsId: 7, data: fill(14) });
    const events = readUmp(join(header({ chunks: 2, chunk: 1, validBytes: 32 }), payload, payload));
    expect(codes(events)).toEqual(['bad-sequence']);
  });

  it('#valid bytes that fit no layout and bad chunk numbers are invalid fields', () => {
    for (const validBytes of [0, 15, 17, 18, 33, 34]) expect(codes(readUmp(header({ validBytes })))).toEqual(['invalid-field']);
    expect(codes(readUmp(header({ chunk: 0 })))).toEqual(['invalid-field']);
    expect(codes(readUmp(header({ chunks: 2, chunk: 3 })))).toEqual(['invalid-field']);
  });

  it('#chunks 0 (unknown): each chunk is delivered as it completes', () => {
    const p = encodeMdsPayload({ group: 3, mdsId: 7, data: fill(3) });
    const events = readUmp(join(header({ chunks: 0, chunk: 1, validBytes: 21 }), p, header({ chunks: 0, chunk: 2, validBytes: 21 }), p));
    expect(events).toEqual([
      { kind: 'mds', ...ids, data: fill(3) },
      { kind: 'mds', ...ids, data: fill(3) },
    ]);
  });

  it('too-large sets are skipped to their end, then the next set is read', () => {
    const reader = new UmpReader({ maxMessageBytes: 30 });
    const events = reader.push(join(packMds(fill(100), ids), packMds(fill(20, 5), ids)));
    expect(codes(events)).toEqual(['too-large']);
    expect(messagesOf(events)).toEqual([{ kind: 'mds', ...ids, data: fill(20, 5) }]);
  });
});

describe('UMP Stream text', () => {
  it('Endpoint Name over 98 bytes (8 packets) is too large; the protocol cap holds whatever maxMessageBytes says', () => {
    const ok = packets(packEndpointName('n'.repeat(98)));
    expect(ok.length).toBe(7);
    const cont = ok[1]!;
    const w = join(ok[0]!, cont, cont, cont, cont, cont, cont, ok[6]!);
    const events = readUmp(w, { maxMessageBytes: 1 << 20 });
    expect(codes(events)).toEqual(['too-large']);
    expect(() => packEndpointName('n'.repeat(99))).toThrow(/at most 98/);
  });

  it('Function Block names of different blocks interleave; Product Instance Id is ASCII', () => {
    const a = packets(packFunctionBlockName(0, 'first block name, long'));
    const b = packets(packFunctionBlockName(5, 'second block name, long'));
    expect(readUmp(join(a[0]!, b[0]!, a[1]!, b[1]!))).toEqual([
      { kind: 'fb-name', functionBlock: 0, name: 'first block name, long' },
      { kind: 'fb-name', functionBlock: 5, name: 'second block name, long' },
    ]);
    expect(readUmp(packProductInstanceId('SN-0042-ABCDEFGHIJKLMNOP'))).toEqual([{ kind: 'product-instance-id', id: 'SN-0042-ABCDEFGHIJKLMNOP' }]);
    expect(() => packProductInstanceId('é')).toThrow(/ASCII/);
    expect(() => packProductInstanceId('x'.repeat(43))).toThrow(/at most 42/);
    expect(() => packFunctionBlockName(0, 'x'.repeat(92))).toThrow(/at most 91/);
  });
});

describe('word stream parsing', () => {
  it('sizes every MT, reserved ones included, so the following message is read correctly', () => {
    // MT: 6,7 → 1 word; 8,9,A → 2; B,C → 3; E → 4 — each followed by a JR Timestamp
    const stream = words(
      '60000000 00201111 70000000 00201112 80000000 00201234 00201113 90000000 00000000 00201114 A0000000 00000000 00201115 ' +
        'B0000000 00201234 00201234 00201116 C0000000 00000000 00000000 00201117 E0000000 00201234 00201234 00201234 00201118',
    );
    const events = readUmp(stream);
    expect(events.filter((e) => 'kind' in e && e.kind === 'unknown').map((e) => ('words' in e ? e.words.length : 0))).toEqual([1, 1, 2, 2, 2, 3, 3, 4]);
    expect(events.filter((e) => 'kind' in e && e.kind === 'jr-timestamp').map((e) => ('value' in e ? e.value : 0))).toEqual([
      0x1111, 0x1112, 0x1113, 0x1114, 0x1115, 0x1116, 0x1117, 0x1118,
    ]);
  });

  it('reserved statuses of known MTs are unknown, not misread', () => {
    const events = readUmp(words('00500000 30400000 00000000 50500000 00000000 00000000 00000000 F3FF0000 00000000 00000000 00000000'));
    expect(events.map((e) => ('kind' in e ? `${e.kind}:${'mt' in e ? e.mt : ''}` : 'error'))).toEqual(['unknown:0', 'unknown:3', 'unknown:5', 'unknown:15']);
  });

  it('feeding word by word gives the same events as one push', () => {
    const w = join(packSysEx8(fill(50), { group: 1, streamId: 2 }), packFlexText('hello, world — 🎹', { group: 0, bank: 2, status: 0 }), words('00201234'));
    const reader = new UmpReader();
    const oneByOne = [...w].flatMap((x) => reader.push([x]));
    expect(oneByOne).toEqual(readUmp(w));
  });

  it('delivered data is never overwritten by later messages (reassembly buffers are reused)', () => {
    const reader = new UmpReader();
    const kept = reader.push(packSysEx8(fill(500, 1), { group: 0, streamId: 0 }));
    for (let k = 0; k < 10; k++) reader.push(packSysEx8(fill(400 + k, 9), { group: 0, streamId: 0 }));
    expect(kept).toEqual([{ kind: 'sysex8', group: 0, streamId: 0, data: fill(500, 1) }]);
  });

  it('a number[] with a non-uint32 element is an invalid-field error, nothing is consumed', () => {
    const reader = new UmpReader();
    const events = reader.push([0x00201234, -1]);
    expect(codes(events)).toEqual(['invalid-field']);
    expect(errorsOf(events)[0]).toMatchObject({ wordIndex: 1 });
    expect(reader.push([0x00201234])).toEqual([{ kind: 'jr-timestamp', value: 0x1234 }]);
  });

  it('words ⇄ big-endian bytes', () => {
    const w = words('531E4200 7D000102');
    const b = wordsToBytes(w);
    expect([...b]).toEqual([0x53, 0x1e, 0x42, 0x00, 0x7d, 0x00, 0x01, 0x02]);
    expect(bytesToWords(b)).toEqual(w);
    expect(() => bytesToWords(b.subarray(0, 7))).toThrow(UmpError);
  });
});
