import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Inbox } from '../../runtime/bus/inbox.ts';
import { PeerMeter } from '../../runtime/bus/peer-meter.ts';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz.ts';

const MAX_IN_FLIGHT = 8; // the set above the floor is compacted past 32 seqs, down to 16
const inbox = () => new Inbox(() => undefined, MAX_IN_FLIGHT, 5, new PeerMeter());

describe('Inbox gaps', () => {
  it('restored at a floor, passes the gap that never fills (seqs acknowledged before the restart) and keeps a later one open', () => {
    const box = inbox();
    box.restore(100n);
    // The client's backfill and new frames start at 1000 (101…999 were acknowledged by the old process and
    // never come again); 1030 is still being retransmitted. Until the set reaches its bound the floor
    // waits (each seq is acknowledged on its own); then it passes the gap below 1000, not 1030.
    for (let s = 1000n; s <= 1032n; s++) if (s !== 1030n) expect(box.accept(s)).toBe(true);
    expect(box.floor).toBe(100n);
    expect(box.accept(1033n)).toBe(true);
    expect(box.floor).toBe(1029n);
    expect(box.accept(1030n)).toBe(true); // not taken for a copy: delivered
    expect(box.floor).toBe(1033n);
    expect(box.accept(1003n)).toBe(false);
  });

  it('never takes a seq for a copy unless it was received or lies below a gap it had to pass; the set stays bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 400n }), { maxLength: 600 }), (seqs) => {
        const box = inbox();
        const received = new Set<bigint>();
        for (const s of seqs) {
          const fresh = box.accept(s);
          if (received.has(s)) expect(fresh).toBe(false);
          received.add(s);
        }
        // Everything above the floor that was received is still known as received.
        for (const s of received) if (s > box.floor) expect(box.accept(s)).toBe(false);
        expect(box.floor).toBeLessThanOrEqual(seqs.reduce((m, s) => (s > m ? s : m), 0n));
      }),
      { numRuns: fuzzRuns(200), ...fuzzSeed() },
    );
  });
});
