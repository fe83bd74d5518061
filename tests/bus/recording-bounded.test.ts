// A recording bus (keepPackets) fed endless SysEx8 by a hostile peer holds no more than its reassembly
// limits, and a real message after the flood is still recorded with its exact packets.
import { describe, expect, it } from 'vitest';
import { BusFrameReader, FrameError, NetworkBus, isBusError, loopbackLinkPair, type Delivery } from '../../runtime/index.ts';
import { topics } from '../../generated/registry.ts';
import { registry } from './network-peers.ts';
import { until } from '../helpers/until.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** One SysEx8 packet: status (1 Start, 2 Continue), 13 data bytes, on `group` / `streamId`. */
function packet(status: number, group: number, streamId: number, fill: number): Uint32Array {
  const w0 = ((0x5 << 28) | (group << 24) | (status << 20) | (14 << 16) | (streamId << 8) | fill) >>> 0;
  const w = ((fill << 24) | (fill << 16) | (fill << 8) | fill) >>> 0;
  return Uint32Array.of(w0, w, w, w);
}

describe('a recording bus under an endless SysEx8 stream', () => {
  it('keeps its reassembly within bounds (one endless message, then 256 endless streams), and still records a real message', async () => {
    const maxPayload = 64 * 1024;
    const errors: unknown[] = [];
    const authority = new NetworkBus({ name: 'recorder', ...registry, maxPayload, keepPackets: true, onError: (e) => void errors.push(e) });
    const client = new NetworkBus({ name: 'client', ...registry, onError: (e) => void errors.push(e) });
    const [clientEnd, authorityEnd] = loopbackLinkPair();
    authority.accept(authorityEnd);
    await client.connect(clientEnd);
    const recorded: Delivery[] = [];
    await authority.subscribe('**', (_v, d) => void recorded.push(d)).ready;
    try {
      // The reader's bound: 8 × its largest carrier message (Mcoded7 of maxPayload + 8 KiB), at least 8 MiB.
      const bound = Math.max(8 * (Math.ceil(((maxPayload + 8192) * 8) / 7) + 2), 8 * 1024 * 1024);
      let peak = 0;
      const held = () => authority.stats().peers[0]!.bufferedBytes;
      // 1. One message that never ends: 64 MiB of Continue packets after a Start, on the data group.
      clientEnd.send(packet(1, 1, 200, 1));
      const burst = new Uint32Array(4 * 4096);
      for (let i = 0; i < 4096; i++) burst.set(packet(2, 1, 200, 2), 4 * i);
      for (let round = 0; round < 1260; round++) {
        clientEnd.send(burst);
        // The loopback delivers on the next turn of the event loop.
        await tick();
        peak = Math.max(peak, held());
      }
      // 2. 256 streams at once (every stream id of group 2), each growing for ever.
      for (let s = 0; s < 256; s++) clientEnd.send(packet(1, 2, s, 3));
      await tick();
      for (let round = 0; round < 400; round++) {
        const wide = new Uint32Array(4 * 256);
        for (let s = 0; s < 256; s++) wide.set(packet(2, 2, s, 4), 4 * s);
        clientEnd.send(wide);
        await tick();
        peak = Math.max(peak, held());
      }
      peak = Math.max(peak, held());
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(bound);
      // The flood was noise, not frames: nothing was delivered; each message the limits cut off is reported as `limit`.
      expect(recorded).toEqual([]);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => isBusError(e, 'limit'))).toBe(true);
      errors.length = 0;
      // 3. A real message afterwards is recorded with exactly the packets it came in.
      const result = topics['gpu/job.result/{corr}'];
      await client.publish(result, result.payload.example(), { params: { corr: 1 } });
      await until(() => recorded.length === 1, 5_000, 'the real message');
      // Re-reading the recorded packets gives the very frame the bus delivered.
      const [frame, ...rest] = new BusFrameReader({ maxFrameBytes: 1 << 20, fromJson: () => expect.fail('not a flex frame') }).push(recorded[0]!.packets!);
      expect(rest).toEqual([]);
      if (!frame || frame instanceof FrameError || frame.kind !== 'data')
        throw new Error(`expected a data frame, got ${frame instanceof FrameError ? frame.message : frame ? `a ${frame.kind} frame` : 'none'}`);
      expect(frame.frame.address).toBe('gpu/job.result/1');
      expect(frame.frame.envelope.payload.length).toBe(recorded[0]!.size);
    } finally {
      await client.close();
      await authority.close();
    }
  });
});
