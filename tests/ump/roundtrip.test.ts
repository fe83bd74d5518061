// Property tests: every message kind survives encode → reader, whatever the packet boundaries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  UmpError,
  UmpReader,
  decodePacket,
  encodeMessage,
  packFlexText,
  packSysEx7,
  packSysEx8,
  packSysEx8Into,
  packetWordCount,
  sysEx8WordCount,
  readUmp,
  type UmpEvent,
  type UmpMessage,
} from '../../runtime/ump/index.ts';
import { BOUNDARY_SIZES, anyMessageArb, bytesArb, cutsArb, group, messageArbs, splitAt, textArb, u } from './arbitraries.ts';

function concat(parts: readonly Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function packetCount(words: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < words.length; i += packetWordCount(words[i]!)) n++;
  return n;
}

describe('round trip per kind', () => {
  for (const [kind, arb] of Object.entries(messageArbs)) {
    it(`${kind}: encodeMessage → readUmp gives the message back`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          expect(readUmp(encodeMessage(m))).toEqual([m]);
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('round trip of message sequences', () => {
  it('any messages, the stream split at arbitrary words (even inside packets), come back in order', () => {
    fc.assert(
      fc.property(
        fc.array(anyMessageArb, { maxLength: 12 }).chain((ms) => {
          const words = concat(ms.map(encodeMessage));
          return fc.tuple(fc.constant(ms), fc.constant(words), cutsArb(words.length));
        }),
        ([ms, words, cuts]) => {
          const reader = new UmpReader();
          const events: UmpEvent[] = [];
          for (const part of splitAt(words, cuts)) events.push(...reader.push(part));
          events.push(...reader.finish());
          expect(events).toEqual(ms);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('SysEx8, SysEx7, Flex text and MDS streams interleaved packet by packet come back whole', () => {
    // distinct keys so each stream's packets stay ordered while streams interleave
    const streamMsg = fc.oneof(messageArbs.sysex8!, messageArbs.sysex7!, messageArbs['flex-text']!, messageArbs.mds!);
    fc.assert(
      fc.property(fc.uniqueArray(streamMsg, { maxLength: 6, selector: (m) => keyOf(m) }), fc.infiniteStream(fc.nat()), (ms, choices) => {
        const queues = ms.map((m) => splitPackets(encodeMessage(m)));
        const interleaved: Uint32Array[] = [];
        const it = choices[Symbol.iterator]();
        for (;;) {
          const live = queues.filter((q) => q.length > 0);
          if (live.length === 0) break;
          interleaved.push(live[it.next().value! % live.length]!.shift()!);
        }
        const events = readUmp(concat(interleaved));
        expect(events.filter((e) => e instanceof Error)).toEqual([]);
        expect(sortByKey(events as UmpMessage[])).toEqual(sortByKey(ms));
      }),
      { numRuns: 150 },
    );
  });
});

function keyOf(m: UmpMessage): string {
  switch (m.kind) {
    case 'sysex8':
      return `8/${m.group}/${m.streamId}`;
    case 'sysex7':
      return `7/${m.group}`;
    case 'mds':
      return `m/${m.group}/${m.mdsId}`;
    case 'flex-text':
      return `f/${m.group}/${m.addressing}/${m.channel}/${m.bank}/${m.status}`;
    default:
      return m.kind;
  }
}
const sortByKey = (ms: readonly UmpMessage[]): UmpMessage[] => [...ms].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

function splitPackets(words: Uint32Array): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; i < words.length; i += packetWordCount(words[i]!)) out.push(words.subarray(i, i + packetWordCount(words[i]!)));
  return out;
}

describe('boundary sizes', () => {
  const fill = (n: number, max: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) % (max + 1));

  it.each([...BOUNDARY_SIZES, 40_000])('SysEx8 with %i bytes: ⌈n/13⌉ packets (≥1), statuses and #bytes right, round trip', (n) => {
    const data = fill(n, 0xff);
    const w = packSysEx8(data, { group: 7, streamId: 200 });
    const packets = Math.max(1, Math.ceil(n / 13));
    expect(packetCount(w)).toBe(packets);
    const decoded = splitPackets(w).map((p) => decodePacket(p));
    const statuses = decoded.map((p) => (p.kind === 'sysex8' ? p.status : '?'));
    expect(statuses[0]).toBe(packets === 1 ? 'complete' : 'start');
    if (packets > 1) expect(statuses.at(-1)).toBe('end');
    expect(statuses.slice(1, -1).every((s) => s === 'continue')).toBe(true);
    const counts = decoded.map((p) => (p.kind === 'sysex8' ? p.byteCount : -1));
    expect(counts.slice(0, -1).every((c) => c === 14)).toBe(true);
    expect(counts.at(-1)).toBe(n === 0 ? 1 : n - 13 * (packets - 1) + 1);
    expect(readUmp(w)).toEqual([{ kind: 'sysex8', group: 7, streamId: 200, data }]);
  });

  it.each([...BOUNDARY_SIZES, 20_000])('SysEx7 with %i bytes: ⌈n/6⌉ packets (≥1), round trip', (n) => {
    const data = fill(n, 0x7f);
    const w = packSysEx7(data, { group: 0 });
    expect(packetCount(w)).toBe(Math.max(1, Math.ceil(n / 6)));
    expect(readUmp(w)).toEqual([{ kind: 'sysex7', group: 0, data }]);
  });

  it.each(BOUNDARY_SIZES)('Flex text of %i UTF-8 bytes: ⌈n/12⌉ packets (≥1), never truncated', (n) => {
    const text = 'x'.repeat(n);
    const w = packFlexText(text, { group: 0, bank: 1, status: 0 });
    expect(packetCount(w)).toBe(Math.max(1, Math.ceil(n / 12)));
    expect(readUmp(w)).toMatchObject([{ kind: 'flex-text', text }]);
  });

  it('a multi-byte character at every offset around a packet edge is rejoined (2-, 3- and 4-byte UTF-8)', () => {
    for (const ch of ['é', '音', '🎹', '👩‍👩‍👧']) {
      for (let pad = 0; pad <= 26; pad++) {
        const text = 'a'.repeat(pad) + ch + 'z';
        expect(readUmp(packFlexText(text, { group: 3, bank: 2, status: 1 }))).toMatchObject([{ kind: 'flex-text', text }]);
      }
    }
  });

  it('large multi-byte text (CJK + emoji, ~40 KiB) round-trips', () => {
    const text = '音楽🎹 ünïcödé '.repeat(2_000);
    expect(readUmp(packFlexText(text, { group: 15, addressing: 'channel', channel: 9, bank: 1, status: 3 }))).toMatchObject([{ kind: 'flex-text', text }]);
  });

  it('property: arbitrary text and address round-trip through Flex', () => {
    fc.assert(
      fc.property(textArb(80), group, fc.constantFrom(1, 2), u(0xff), (text, g, bank, status) => {
        expect(readUmp(packFlexText(text, { group: g, bank, status }))).toEqual([
          { kind: 'flex-text', group: g, addressing: 'group', channel: 0, bank, status, text },
        ]);
      }),
      { numRuns: 150 },
    );
  });

  it('packSysEx8Into writes the same words into a dirty, reused buffer at any offset, and checks room', () => {
    fc.assert(
      fc.property(bytesArb(200), u(8), (data, offset) => {
        const expected = packSysEx8(data, { group: 2, streamId: 3 });
        const out = new Uint32Array(offset + sysEx8WordCount(data.length) + 3).fill(0xdeadbeef);
        expect(packSysEx8Into(out, offset, data, { group: 2, streamId: 3 })).toBe(expected.length);
        expect(out.subarray(offset, offset + expected.length)).toEqual(expected);
        expect(out[offset + expected.length]).toBe(0xdeadbeef);
        expect(() => packSysEx8Into(out, out.length - expected.length + 1, data, { group: 2, streamId: 3 })).toThrow(UmpError);
      }),
      { numRuns: 100 },
    );
  });

  it('property: arbitrary SysEx8 bytes round-trip on any group and stream', () => {
    fc.assert(
      fc.property(bytesArb(300), group, u(255), (data, g, s) => {
        expect(readUmp(packSysEx8(data, { group: g, streamId: s }))).toEqual([{ kind: 'sysex8', group: g, streamId: s, data }]);
      }),
      { numRuns: 150 },
    );
  });
});
