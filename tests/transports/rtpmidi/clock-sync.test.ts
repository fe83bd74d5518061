/**
 * The clock-sync schedule and liveness on a hand-driven clock (real sockets, time moved by hand): CK0
 * right after the data handshake, six at 1.5 s, then every 10 s; CK1 to a CK0, nothing to a CK2; a
 * peer heard from not at all for 35 s is down with reason 'timeout'.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkDown } from '../../../runtime/transports/link.ts';
import { RtpMidiEndpoint } from '../../../runtime/transports/rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../../../runtime/transports/rtpmidi/session.ts';
import { FakeClock } from '../nm2/fake-clock.ts';
import { RawPeer } from './raw-peer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('RTP-MIDI clock sync and liveness', () => {
  it('syncs fast, then every 10 s; answers CK0, not CK2; times a silent peer out after 35 s', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const endpoint = await RtpMidiEndpoint.open({ name: 'server', clock, onError: (e) => errors.push(e) });
    cleanups.push(() => endpoint.close());
    const opened = new Promise<RtpMidiSession>((resolve) => endpoint.onSession(resolve));
    const peer = await RawPeer.open();
    cleanups.push(() => peer.close());
    const invite = { command: 'IN' as const, token: 8, ssrc: 808, name: 'raw' };
    await peer.sendControl(false, invite, endpoint.port);
    await peer.next('OK');
    await peer.sendControl(true, invite, endpoint.port + 1);
    await peer.next('OK');

    // The first CK0 goes at once; the answer completes the first sync and opens the session.
    clock.advance(0);
    const first = await peer.next('CK');
    expect(first).toMatchObject({ count: 0, onData: true });
    await peer.sendControl(true, { command: 'CK', ssrc: 808, count: 1, timestamps: [first.timestamps[0], 1n, 0n] }, endpoint.port + 1);
    expect((await peer.next('CK')).count).toBe(2);
    const session = await opened;
    const down = new Promise<LinkDown>((resolve) => session.onDown(resolve));

    // Five more at 1.5 s (six in all), then the next only 10 s after the sixth.
    for (let i = 0; i < 5; i++) {
      clock.advance(1500);
      expect((await peer.next('CK')).count).toBe(0);
    }
    clock.advance(9999);
    await expect(peer.next('CK', 200)).rejects.toThrow(/no CK/);
    clock.advance(1);
    expect((await peer.next('CK')).count).toBe(0);

    // The peer syncs too: CK1 to its CK0, nothing to its CK2.
    await peer.sendControl(true, { command: 'CK', ssrc: 808, count: 0, timestamps: [42n, 0n, 0n] }, endpoint.port + 1);
    const answer = await peer.next('CK');
    expect(answer).toMatchObject({ count: 1 });
    expect(answer.timestamps[0]).toBe(42n);
    await peer.sendControl(true, { command: 'CK', ssrc: 808, count: 2, timestamps: [42n, answer.timestamps[1], 50n] }, endpoint.port + 1);
    await expect(peer.next('CK', 200)).rejects.toThrow(/no CK/);

    // Last heard now (time 17 500); silent from here: down at 17 500 + 35 000, not before.
    clock.advance(34_999);
    expect(session.isOpen).toBe(true);
    clock.advance(1);
    expect(await down).toMatchObject({ reason: 'timeout' });
    expect(await peer.next('BY')).toMatchObject({ token: 8, onData: false });
    expect(errors).toEqual([]);
  });
});
