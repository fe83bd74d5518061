/**
 * How the send window packs UMP Data into datagrams: every datagram fits in 1400 bytes, its seqs are
 * consecutive, each new command goes out once as new, and with FEC on every datagram repeats the new
 * commands of the one before (and at least the last `fec`), so that a receiver which takes only the
 * next seq in order (the Workbench) gets everything when any one datagram is lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UmpDataCommand } from '../../../runtime/transports/nm2/commands.ts';
import { SendWindow } from '../../../runtime/transports/nm2/send-window.ts';
import { encodeDatagram } from '../../../runtime/transports/nm2/wire.ts';

const bytesOf = (cmds: readonly UmpDataCommand[]) => cmds.reduce((n, c) => n + 4 + c.words.length * 4, 0);

/**
 * A receiver as the Workbench's UMPudp.js: one command per seq, only the next seq is taken (int16
 * difference 1), seen seqs are dropped, a jump is a gap (it would ask for a retransmit).
 */
function workbench(datagrams: readonly (readonly UmpDataCommand[])[]): { seqs: number[]; gaps: number } {
  let last = -1;
  const seqs: number[] = [];
  let gaps = 0;
  for (const d of datagrams) {
    for (const c of d) {
      const diff = (((c.seq - last) & 0xffff) << 16) >> 16;
      if (diff === 1) {
        seqs.push(c.seq);
        last = c.seq;
      } else if (diff > 1) gaps++;
    }
  }
  return { seqs, gaps };
}

/** Packets of 1, 2 or 4 words (MT 2, 4, 5), `count` of them. */
function burst(sizes: readonly number[]): Uint32Array {
  const words: number[] = [];
  for (const size of sizes) words.push(...(size === 1 ? [0x20903c40] : size === 2 ? [0x40903c00, 0xffff0000] : [0x50010000, 0, 0, 0]));
  return Uint32Array.from(words);
}

describe('SendWindow.pack', () => {
  it('lays a burst of 7 commands out as 3 datagrams: 4 new; 4 copies + 1 new; 2 copies + 2 new', () => {
    const w = new SendWindow(1024, 2);
    const cmds = w.push(burst(new Array<number>(200).fill(2))); // 400 words: 6 of 64, 1 of 16
    expect(cmds.map((c) => c.words.length)).toEqual([64, 64, 64, 64, 64, 64, 16]);
    const out = w.pack(cmds);
    expect(out.map((d) => d.map((c) => c.seq))).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3, 4],
      [3, 4, 5, 6],
    ]);
    expect(out.map((d) => encodeDatagram(d).length)).toEqual([1044, 1304, 852]);
    // The idle flush that follows repeats the last datagram's new commands.
    expect(w.pack(w.push(new Uint32Array(0))).map((d) => d.map((c) => c.seq))).toEqual([[5, 6, 7]]);
  });

  it('fec 0: no copies, new commands fill the datagram', () => {
    const w = new SendWindow(1024, 0);
    const out = w.pack(w.push(burst(new Array<number>(200).fill(2))));
    expect(out.map((d) => d.map((c) => c.seq))).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6],
    ]);
  });

  it('holds for any bursts and fec: size, consecutive seqs, each command new once, copies of the previous datagram, any one loss repaired', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2, 3, 4, 6),
        fc.array(fc.array(fc.constantFrom(1, 2, 4), { minLength: 0, maxLength: 120 }), { minLength: 1, maxLength: 8 }),
        (fec, bursts) => {
          const w = new SendWindow(64, fec);
          const datagrams: UmpDataCommand[][] = [];
          const newOf: UmpDataCommand[][] = [];
          let sent = 0;
          for (const b of bursts) {
            const cmds = w.push(burst(b)); // an empty burst is a zero-length command, as the idle flush
            for (const d of w.pack(cmds)) {
              expect(encodeDatagram(d).length).toBeLessThanOrEqual(1400);
              d.forEach((c, i) => i > 0 && expect(c.seq).toBe((d[i - 1]!.seq + 1) & 0xffff));
              const fresh = d.filter((c) => c.seq >= sent);
              const copies = d.length - fresh.length;
              expect(fresh.length).toBeGreaterThan(0);
              expect(fresh[0]!.seq).toBe(sent);
              if (fec === 0) expect(copies).toBe(0);
              else {
                const prev = newOf.at(-1) ?? [];
                expect(copies).toBeGreaterThanOrEqual(prev.length);
                expect(bytesOf(d.slice(0, copies))).toBeLessThanOrEqual(1136);
                if (fec * 260 <= 1136) expect(copies).toBeGreaterThanOrEqual(Math.min(fec, sent));
              }
              sent += fresh.length;
              newOf.push(fresh);
              datagrams.push(d);
            }
          }
          // Every command exactly once as new, in order.
          expect(newOf.flat().map((c) => c.seq)).toEqual(Array.from({ length: sent }, (_, i) => i));
          if (fec === 0) return;
          // Followed by the idle flush, any single datagram lost still reaches an in-order-only receiver whole.
          for (const d of w.pack(w.push(new Uint32Array(0)))) datagrams.push(d);
          const all = sent + 1;
          for (let lost = -1; lost < datagrams.length - 1; lost++) {
            const got = workbench(datagrams.filter((_, i) => i !== lost));
            expect(got).toEqual({ seqs: Array.from({ length: all }, (_, i) => i), gaps: 0 });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
