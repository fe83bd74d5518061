import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkDown } from '../../../runtime/transports/link.ts';
import type { Midi1Port } from '../../../runtime/transports/midi1-port.ts';
import { connectRtpMidi, listenRtpMidi, type RtpMidiListener } from '../../../runtime/transports/rtpmidi/connect.ts';
import { RtpMidiError } from '../../../runtime/transports/rtpmidi/errors.ts';
import { RTP_BYE_AFTER_DATA_MS } from '../../../runtime/transports/rtpmidi/session.ts';
import { RawPeer } from './raw-peer.ts';

const FAST = { syncFastMs: 100, syncMs: 300, silenceMs: 1500, feedbackMs: 50, inviteRetryMs: 100 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pair(): Promise<{ listener: RtpMidiListener; client: Midi1Port; server: Midi1Port; errors: unknown[] }> {
  const errors: unknown[] = [];
  const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'server', onError: (e) => errors.push(e), tuning: FAST });
  cleanups.push(() => listener.close());
  const serverPort = new Promise<Midi1Port>((resolve) => listener.onSession(resolve));
  const client = await connectRtpMidi(listener.url, { name: 'client', onError: (e) => errors.push(e), tuning: FAST, timeoutMs: 5000 });
  cleanups.push(() => client.close());
  return { listener, client, server: await serverPort, errors };
}

function collect(port: Midi1Port): Uint8Array[] {
  const got: Uint8Array[] = [];
  port.onMessage((m) => got.push(m));
  return got;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RTP-MIDI sessions between two midl endpoints', () => {
  it('listens on an even control port, opens, names the peers and moves notes and a segmented SysEx both ways', async () => {
    const { listener, client, server, errors } = await pair();
    expect(Number(/:(\d+)$/.exec(listener.url)![1]) % 2).toBe(0);
    expect(client.peerName).toBe('server');
    expect(server.peerName).toBe('client');
    const atServer = collect(server);
    const atClient = collect(client);
    const sysex = Uint8Array.from([0xf0, ...Array.from({ length: 5000 }, (_, i) => i & 0x7f), 0xf7]);
    client.send(Uint8Array.of(0x90, 0x3c, 0x64));
    client.send(sysex);
    client.send(Uint8Array.of(0x90, 0x3e, 0x64));
    server.send(Uint8Array.of(0xb0, 7, 100));
    server.send(sysex);
    await until(() => atServer.length === 3 && atClient.length === 2);
    expect(atServer).toEqual([Uint8Array.of(0x90, 0x3c, 0x64), sysex, Uint8Array.of(0x90, 0x3e, 0x64)]);
    expect(atClient).toEqual([Uint8Array.of(0xb0, 7, 100), sysex]);
    expect(errors).toEqual([]);
  });

  it('BY ends the session on the other side', async () => {
    const { client, server, errors } = await pair();
    const down = new Promise<LinkDown>((resolve) => server.onDown(resolve));
    await client.close();
    expect((await down).reason).toBe('bye');
    expect(() => client.send(Uint8Array.of(0xf8))).toThrow(/closed/);
    expect(errors).toEqual([]);
  });

  it('close sends the data it holds before BY, and BY only after a pause: the peer reads its two ports in either order', async () => {
    const peer = await RawPeer.open();
    cleanups.push(() => peer.close());
    const errors: unknown[] = [];
    const connecting = connectRtpMidi(`rtpmidi://127.0.0.1:${peer.port}`, { name: 'x', onError: (e) => errors.push(e), tuning: FAST, timeoutMs: 3000 });
    const control = await peer.next('IN');
    await peer.sendControl(false, { command: 'OK', token: control.token, ssrc: 7, name: 'raw' }, control.from.port);
    const data = await peer.next('IN');
    await peer.sendControl(true, { command: 'OK', token: control.token, ssrc: 7, name: 'raw' }, data.from.port);
    const ck0 = await peer.next('CK');
    await peer.sendControl(true, { command: 'CK', ssrc: 7, count: 1, timestamps: [ck0.timestamps[0], 1n, 0n] }, data.from.port);
    const port = await connecting;
    port.send(Uint8Array.of(0x90, 0x3c, 0x64));
    await port.close();
    const bye = await peer.next('BY');
    const lastData = peer.received.filter((r) => r.onData && r.packet instanceof Uint8Array).at(-1);
    expect(lastData).toBeDefined();
    expect([...(lastData!.packet as Uint8Array)].slice(-3)).toEqual([0x90, 0x3c, 0x64]);
    expect(bye.at - lastData!.at).toBeGreaterThanOrEqual(RTP_BYE_AFTER_DATA_MS - 2);
    expect(bye.onData).toBe(false);
    expect(errors).toEqual([]);
  });

  it('a peer that goes silent after the handshake times out; a lost invitation is answered when repeated', async () => {
    const errors: unknown[] = [];
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'server', onError: (e) => errors.push(e), tuning: FAST });
    cleanups.push(() => listener.close());
    const opened = new Promise<Midi1Port>((resolve) => listener.onSession(resolve));
    const peer = await RawPeer.open();
    cleanups.push(() => peer.close());
    const port = Number(/:(\d+)$/.exec(listener.url)![1]);
    const invite = { command: 'IN' as const, token: 77, ssrc: 1234, name: 'raw' };
    // The first OK is "lost": the peer ignores it and invites again; the listener answers again.
    await peer.sendControl(false, invite, port);
    await peer.next('OK');
    await peer.sendControl(false, invite, port);
    const ok = await peer.next('OK');
    expect(ok).toMatchObject({ token: 77, name: 'server', onData: false });
    await peer.sendControl(true, invite, port + 1);
    expect(await peer.next('OK')).toMatchObject({ token: 77, onData: true });
    const ck0 = await peer.next('CK');
    expect(ck0.count).toBe(0);
    await peer.sendControl(true, { command: 'CK', ssrc: 1234, count: 1, timestamps: [ck0.timestamps[0], 5n, 0n] }, port + 1);
    expect((await peer.next('CK')).count).toBe(2);
    const server = await opened;
    expect(server.peerName).toBe('raw');
    const down = new Promise<LinkDown>((resolve) => server.onDown(resolve));
    const started = Date.now();
    expect((await down).reason).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThan(FAST.silenceMs / 2);
    expect(errors).toEqual([]);
  });

  it('answers a peer with our own SSRC by choosing another one (RFC 3550 §8.2)', async () => {
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'server', tuning: FAST });
    cleanups.push(() => listener.close());
    listener.onSession(() => {});
    const peer = await RawPeer.open();
    cleanups.push(() => peer.close());
    const port = Number(/:(\d+)$/.exec(listener.url)![1]);
    await peer.sendControl(false, { command: 'IN', token: 1, ssrc: 99, name: 'a' }, port);
    const first = await peer.next('OK');
    // A second peer from another address can't reuse SSRC 99 here: declined with NO.
    const other = await RawPeer.open();
    cleanups.push(() => other.close());
    await other.sendControl(false, { command: 'IN', token: 2, ssrc: 99, name: 'b' }, port);
    expect(await other.next('NO')).toMatchObject({ token: 2 });
    // A peer whose SSRC is the one the listener picked makes it pick another.
    await other.sendControl(false, { command: 'IN', token: 3, ssrc: first.ssrc, name: 'c' }, port);
    const ok = await other.next('OK');
    expect(ok.ssrc).not.toBe(first.ssrc);
  });

  it('an initiator whose SSRC the peer also uses picks another before the data port', async () => {
    const peer = await RawPeer.open();
    cleanups.push(() => peer.close());
    const errors: unknown[] = [];
    const connecting = connectRtpMidi(`rtpmidi://127.0.0.1:${peer.port}`, { name: 'x', onError: (e) => errors.push(e), tuning: FAST, timeoutMs: 3000 });
    const control = await peer.next('IN');
    await peer.sendControl(false, { command: 'OK', token: control.token, ssrc: control.ssrc, name: 'twin' }, control.from.port);
    const data = await peer.next('IN');
    expect(data.onData).toBe(true);
    expect(data.ssrc).not.toBe(control.ssrc);
    await peer.sendControl(true, { command: 'OK', token: control.token, ssrc: control.ssrc, name: 'twin' }, data.from.port);
    const ck0 = await peer.next('CK');
    expect(ck0.ssrc).toBe(data.ssrc);
    await peer.sendControl(true, { command: 'CK', ssrc: control.ssrc, count: 1, timestamps: [ck0.timestamps[0], 1n, 0n] }, data.from.port);
    const port = await connecting;
    cleanups.push(() => port.close());
    expect(port.peerName).toBe('twin');
    expect(errors).toEqual([]);
  });

  it('declines invitations past maxSessions, half-open ones counted', async () => {
    const errors: unknown[] = [];
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'server', onError: (e) => errors.push(e), tuning: { ...FAST, maxSessions: 2 } });
    cleanups.push(() => listener.close());
    listener.onSession(() => {});
    const peer = await RawPeer.open();
    cleanups.push(() => peer.close());
    const port = Number(/:(\d+)$/.exec(listener.url)![1]);
    for (const ssrc of [1, 2]) {
      await peer.sendControl(false, { command: 'IN', token: ssrc, ssrc, name: 'flood' }, port);
      await peer.next('OK');
    }
    await peer.sendControl(false, { command: 'IN', token: 3, ssrc: 3, name: 'flood' }, port);
    expect(await peer.next('NO')).toMatchObject({ token: 3 });
    expect(errors.map(String)).toEqual([expect.stringMatching(/declined: 2 sessions are open, the most this endpoint holds/)]);
  });

  it('a declined invitation (NO) rejects with TransportError refused; an OK for no invitation of ours is reported', async () => {
    const peer = await RawPeer.open();
    cleanups.push(() => peer.close());
    const errors: unknown[] = [];
    const connecting = connectRtpMidi(`rtpmidi://127.0.0.1:${peer.port}`, { name: 'x', onError: (e) => errors.push(e), tuning: FAST });
    const invitation = await peer.next('IN');
    expect(invitation).toMatchObject({ name: 'x', onData: false });
    await peer.sendControl(false, { command: 'OK', token: (invitation.token ^ 1) >>> 0, ssrc: 5, name: 'stray' }, invitation.from.port);
    await peer.sendControl(false, { command: 'NO', token: invitation.token, ssrc: 5, name: 'busy' }, invitation.from.port);
    await expect(connecting).rejects.toMatchObject({ name: 'TransportError', code: 'refused' });
    expect(errors.some((e) => e instanceof RtpMidiError && e.code === 'unexpected' && /answers no invitation of ours/.test(e.message))).toBe(true);
  });

  it('an invitation to nobody times out with a TransportError', async () => {
    await expect(connectRtpMidi('rtpmidi://127.0.0.1:9', { name: 'x', timeoutMs: 400, tuning: FAST })).rejects.toMatchObject({
      name: 'TransportError',
      code: 'timeout',
    });
  });

  it('refuses bad URLs naming what is wrong', async () => {
    await expect(connectRtpMidi('udp://127.0.0.1:5004', { name: 'x' })).rejects.toThrow(/not an rtpmidi:\/\/HOST:PORT/);
    await expect(listenRtpMidi('rtpmidi://127.0.0.1:5005', { name: 'x' })).rejects.toThrow(/odd/);
    await expect(connectRtpMidi('rtpmidi://127.0.0.1:0', { name: 'x' })).rejects.toThrow(/port 0/);
  });

  it('reports hostile datagrams as RtpMidiError and keeps the session: forged BY, garbage, fuzzed data', async () => {
    const errors: unknown[] = [];
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'server', onError: (e) => errors.push(e), tuning: { ...FAST, silenceMs: 20_000 } });
    cleanups.push(() => listener.close());
    const opened = new Promise<Midi1Port>((resolve) => listener.onSession(resolve));
    const peer = await RawPeer.open();
    const attacker = await RawPeer.open();
    cleanups.push(() => peer.close());
    cleanups.push(() => attacker.close());
    const port = Number(/:(\d+)$/.exec(listener.url)![1]);
    const invite = { command: 'IN' as const, token: 5, ssrc: 4321, name: 'raw' };
    await peer.sendControl(false, invite, port);
    await peer.next('OK');
    await peer.sendControl(true, invite, port + 1);
    await peer.next('OK');
    const ck0 = await peer.next('CK');
    await peer.sendControl(true, { command: 'CK', ssrc: 4321, count: 1, timestamps: [ck0.timestamps[0], 1n, 0n] }, port + 1);
    const server = await opened;
    const got = collect(server);
    let downs = 0;
    server.onDown(() => downs++);

    // A BY naming the peer's SSRC from another address, and a BY for an SSRC nobody has.
    await attacker.sendControl(false, { command: 'BY', token: 5, ssrc: 4321 }, port);
    await attacker.sendControl(false, { command: 'BY', token: 9, ssrc: 1 }, port);
    // RTP data naming the peer's SSRC from another address.
    await attacker.send(true, Uint8Array.of(0x80, 0x61, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0xe1, 0x03, 0x90, 0x3c, 0x64), port + 1);
    const seeded = fc.sample(fc.uint8Array({ maxLength: 48 }), { numRuns: 200, seed: 12 });
    let sequence = 100;
    for (const junk of seeded) {
      await attacker.send(junk.length % 2 === 0, junk, junk.length % 3 === 0 ? port : port + 1);
      // From the peer itself: a valid RTP header and a fuzzed payload.
      const header = [0x80, 0x61, (sequence >> 8) & 0xff, sequence & 0xff, 0, 0, 0, 0, 0, 0, 0x10, 0xe1];
      sequence++;
      await peer.send(true, Uint8Array.from([...header, ...junk]), port + 1);
      // Paced: the receiving socket is in this process and its buffer would overflow otherwise.
      await new Promise((r) => setTimeout(r, 1));
    }
    const note = Uint8Array.from([0x80, 0x61, (sequence >> 8) & 0xff, sequence & 0xff, 0, 0, 0, 0, 0, 0, 0x10, 0xe1, 0x03, 0x90, 0x3c, 0x64]);
    await peer.send(true, note, port + 1);
    await until(() => got.some((m) => m.length === 3 && m[0] === 0x90 && m[1] === 0x3c));
    expect(server.isOpen).toBe(true);
    expect(downs).toBe(0);
    expect(errors.length).toBeGreaterThan(200);
    for (const e of errors) expect(e).toBeInstanceOf(RtpMidiError);
    const codes = new Set(errors.map((e) => (e as RtpMidiError).code));
    expect(codes.has('forged')).toBe(true);
    expect(codes.has('malformed')).toBe(true);
    expect((errors.find((e) => (e as RtpMidiError).code === 'forged') as RtpMidiError).message).toMatch(/from 127\.0\.0\.1:\d+/);
    // Whatever the fuzzed payloads decoded to arrived as whole messages.
    for (const m of got) expect(m[0]! & 0x80).toBe(0x80);
  });
});
