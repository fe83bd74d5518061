/**
 * Two midl RTP-MIDI peers through a seeded lossy relay (1 % and 5 % of datagrams dropped, both ways,
 * handshake and clock sync included): the session opens and stays up, and every message that arrives
 * is intact and in order (RTP-MIDI repairs nothing here; delivery guarantees are the bus's job).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Midi1Port } from '../../../runtime/transports/midi1-port.ts';
import { connectRtpMidi, listenRtpMidi } from '../../../runtime/transports/rtpmidi/connect.ts';
import { RtpMidiError } from '../../../runtime/transports/rtpmidi/errors.ts';
import { startRtpMidiRelay } from '../../helpers/rtpmidi-relay.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TOTAL = 3000;
const SYSEX_EVERY = 100;

/** Message i: a note (distinct for every i) or, every SYSEX_EVERY, a 2,500-byte SysEx over 3 datagrams. */
function message(i: number): Uint8Array {
  if (i % SYSEX_EVERY === 0) return Uint8Array.from([0xf0, 0x7d, i >> 7, i & 0x7f, ...Array.from({ length: 2500 }, (_, k) => (k * 7 + i) & 0x7f), 0xf7]);
  return Uint8Array.of(0x90 | (i & 0x0f), (i >> 4) & 0x7f, 1 + ((i >> 11) & 0x3f));
}

describe('RTP-MIDI through a lossy relay', () => {
  for (const [loss, seed] of [
    [0.01, 21],
    [0.05, 22],
  ] as const) {
    it(`at ${loss * 100}% loss the session survives and what arrives is intact and in order`, async () => {
      const errors: unknown[] = [];
      const tuning = { inviteRetryMs: 200, syncFastMs: 200 };
      const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'receiver', onError: (e) => errors.push(e), tuning });
      cleanups.push(() => listener.close());
      const relay = await startRtpMidiRelay({ target: { host: '127.0.0.1', port: Number(/:(\d+)$/.exec(listener.url)![1]) }, loss, seed });
      cleanups.push(() => relay.close());
      const accepted = new Promise<Midi1Port>((resolve) => listener.onSession(resolve));
      const sender = await connectRtpMidi(`rtpmidi://127.0.0.1:${relay.port}`, { name: 'sender', onError: (e) => errors.push(e), tuning, timeoutMs: 10_000 });
      cleanups.push(() => sender.close());
      const receiver = await accepted;
      const got: Uint8Array[] = [];
      receiver.onMessage((m) => got.push(m));
      let downs = 0;
      receiver.onDown(() => downs++);
      sender.onDown(() => downs++);

      for (let i = 0; i < TOTAL; i++) {
        sender.send(message(i));
        if (i % 20 === 19) await sleep(1);
      }
      await sleep(500);

      expect(downs).toBe(0);
      expect(sender.isOpen && receiver.isOpen).toBe(true);
      // In order, no duplicate, each one whole: `got` is a subsequence of what was sent.
      let next = 0;
      for (const m of got) {
        while (next < TOTAL && !equal(message(next), m)) next++;
        expect(next, `message ${Buffer.from(m.subarray(0, 4)).toString('hex')}… was not sent, or came out of order`).toBeLessThan(TOTAL);
        next++;
      }
      const delivered = got.length / TOTAL;
      expect(delivered).toBeGreaterThan(1 - loss * 4);
      expect(relay.stats().dropped).toBeGreaterThan(0);
      expect(relay.errors()).toEqual([]);
      // The only errors are SysEx that lost a segment with a datagram.
      for (const e of errors) {
        expect(e).toBeInstanceOf(RtpMidiError);
        expect((e as RtpMidiError).code, String(e)).toBe('lost');
      }
    }, 30_000);
  }
});

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
