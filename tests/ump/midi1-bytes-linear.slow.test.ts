import { describe, expect, it } from 'vitest';
import { Midi1ByteReader, UmpToMidi1, midi1ToUmp } from '../../runtime/ump/index.ts';
import { expectLinear } from '../helpers/linear.ts';

/**
 * The MIDI 1.0 ⇄ UMP translation is linear in its input: each case is a 10 MB byte stream built from
 * one short piece repeated, read in 4 KiB chunks and translated to UMP and back, timed against 1 MB.
 */
const MB = 1_000_000;

/** Messages and errors the stream gave, after a round trip through UMP. */
function roundTrip(stream: Uint8Array, maxSysExBytes?: number): { messages: number; errors: number } {
  const reader = new Midi1ByteReader(maxSysExBytes === undefined ? {} : { maxSysExBytes });
  const back = new UmpToMidi1(maxSysExBytes === undefined ? {} : { maxSysExBytes });
  let messages = 0;
  let errors = 0;
  for (let at = 0; at < stream.length; at += 4096) {
    for (const r of reader.push(stream.subarray(at, at + 4096))) {
      if (!(r instanceof Uint8Array)) {
        errors++;
        continue;
      }
      for (const m of back.push(midi1ToUmp(r))) {
        if (m instanceof Uint8Array) messages++;
        else errors++;
      }
    }
  }
  return { messages, errors };
}

/** About `size` bytes: `piece` repeated, then `tail`. */
function repeat(piece: readonly number[], size: number, head: readonly number[] = [], tail: readonly number[] = []): Uint8Array {
  const count = Math.floor(size / piece.length);
  const out = new Uint8Array(head.length + count * piece.length + tail.length);
  out.set(head);
  for (let i = 0; i < count; i++) out.set(piece, head.length + i * piece.length);
  out.set(tail, head.length + count * piece.length);
  return out;
}

interface Case {
  readonly name: string;
  readonly make: (size: number) => Uint8Array;
  readonly maxSysExBytes?: number;
  readonly expected: (size: number) => { messages: number; errors: number };
}

const CASES: readonly Case[] = [
  {
    name: 'notes in running status with clock bytes between',
    make: (n) => repeat([0x3c, 0x64, 0xf8, 0x3e, 0x00], n, [0x90]),
    expected: (n) => ({ messages: 3 * Math.floor(n / 5), errors: 0 }),
  },
  { name: 'short SysEx messages', make: (n) => repeat([0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7], n), expected: (n) => ({ messages: Math.floor(n / 6), errors: 0 }) },
  {
    name: 'one SysEx as long as the stream',
    make: (n) => repeat([0x11], n, [0xf0], [0xf7]),
    maxSysExBytes: 16 * MB,
    expected: () => ({ messages: 1, errors: 0 }),
  },
  {
    name: 'one SysEx past a 1 MiB bound',
    make: (n) => repeat([0x11], n, [0xf0], [0xf7]),
    maxSysExBytes: 1024 * 1024,
    expected: () => ({ messages: 0, errors: 1 }),
  },
  { name: 'stray data bytes', make: (n) => repeat([0x11], n), expected: () => ({ messages: 0, errors: 1 }) },
  {
    // Per piece: two notes, a third cut short by F0, that SysEx cut short by the next piece's 90.
    name: 'statuses that interrupt one another',
    make: (n) => repeat([0x90, 0x3c, 0x64, 0x3e, 0x64, 0x40, 0xf0, 0x01], n),
    expected: (n) => ({ messages: 2 * Math.floor(n / 8), errors: 2 * Math.floor(n / 8) - 1 }),
  },
];

describe('MIDI 1.0 ⇄ UMP is linear in its input (10 MB of each kind)', () => {
  for (const c of CASES) {
    it(c.name, { timeout: 120_000 }, () => {
      const small = c.make(MB);
      const big = c.make(10 * MB);
      const result = expectLinear(
        () => roundTrip(small, c.maxSysExBytes),
        () => roundTrip(big, c.maxSysExBytes),
      );
      expect(result).toEqual(c.expected(10 * MB));
    });
  }
});
