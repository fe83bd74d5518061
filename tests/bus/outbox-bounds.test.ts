// What one peer's outbox may hold, in bytes as well as in frames: the payloads of unacknowledged
// frames (maxInFlightBytes) and of the at-most-once frames kept for a resume (4 MiB), whatever the
// sizes of the messages sent.
import { describe, expect, it } from 'vitest';
import { BusError } from '../../runtime/bus/errors.ts';
import { Outbox } from '../../runtime/bus/outbox.ts';
import { PeerMeter } from '../../runtime/bus/peer-meter.ts';

const MiB = 1024 * 1024;

function outbox(options: ConstructorParameters<typeof Outbox>[1], established = false): { box: Outbox; sent: Uint32Array[] } {
  const sent: Uint32Array[] = [];
  const box = new Outbox(
    { isEstablished: () => established, put: (w) => void sent.push(w), retried: () => undefined, describe: () => 'peer test' },
    options,
    new PeerMeter(),
  );
  return { box, sent };
}

const frame = () => ({ packets: () => new Uint32Array(4) });

describe('outbox bounds', () => {
  it('refuses at-least-once frames with backpressure once maxInFlightBytes of payload await acknowledgement', () => {
    const { box } = outbox({ maxInFlightBytes: 4 * MiB });
    for (let i = 0; i < 4; i++) box.send(1, 1, frame, () => undefined, MiB);
    expect(box.inFlightBytes).toBe(4 * MiB);
    expect(box.isFull).toBe(true);
    let refused: unknown;
    try {
      box.send(1, 1, frame, () => undefined, 1);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(BusError);
    expect((refused as BusError).code).toBe('backpressure');
    expect((refused as BusError).message).toMatch(/4 messages \(4194304 bytes\) await acknowledgement/);
    box.close(new BusError('closed', 'done'));
    expect(box.inFlightBytes).toBe(0);
  });

  it('keeps at most 4 MiB of at-most-once payload for a resume, the newest', () => {
    const { box, sent } = outbox({});
    for (let i = 0; i < 100; i++) box.send(0, 1, frame, undefined, MiB);
    // Backfilled after a resume: only what the ring kept.
    expect(box.backfill(0n)).toBe(4);
    expect(sent.length).toBe(4);
  });

  it('keeps the newest backfillRing at-most-once frames, and backfills them oldest first', () => {
    const { box, sent } = outbox({ backfillRing: 3 });
    const numbered = (seq: bigint) => ({ packets: () => Uint32Array.of(Number(seq)) });
    for (let i = 0; i < 5; i++) box.send(0, 1, numbered, undefined, 10);
    expect(box.backfill(0n)).toBe(3);
    expect(sent.map((w) => w[0])).toEqual([3, 4, 5]);
    expect(box.backfill(4n)).toBe(1);
    expect(sent.at(-1)?.[0]).toBe(5);
  });
});
