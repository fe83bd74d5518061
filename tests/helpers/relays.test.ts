/**
 * The test relays the bench measures through: the UDP relay counts every datagram and byte it receives
 * each way (before loss), binds the port it is asked for, and the RTP-MIDI pair relays both ports of a
 * real session.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRtpMidi, listenRtpMidi } from '../../runtime/transports/rtpmidi/connect.ts';
import type { Midi1Port } from '../../runtime/transports/midi1-port.ts';
import { startRelay } from './udp-relay.ts';
import { startRtpMidiRelay } from './rtpmidi-relay.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function socket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => s.close(() => resolve())));
  return s;
}

/** An echo server answering each datagram with `replyBytes` bytes. */
async function echo(replyBytes: number): Promise<number> {
  const server = await socket();
  server.on('message', (_m, from) => server.send(Buffer.alloc(replyBytes), from.port, from.address));
  return server.address().port;
}

describe('udp-relay counters and port', () => {
  it('counts what clients sent and what the target answered, loss or not', async () => {
    const target = await echo(7);
    const relay = await startRelay({ target: { host: '127.0.0.1', port: target }, seed: 3 });
    cleanups.push(() => relay.close());
    const client = await socket();
    const replies: number[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (m) => {
        replies.push(m.length);
        if (replies.length === 10) resolve();
      }),
    );
    for (let i = 0; i < 10; i++) client.send(Buffer.alloc(100 + i), relay.port, '127.0.0.1');
    await all;
    expect(replies).toEqual(Array(10).fill(7));
    expect(relay.stats()).toMatchObject({ datagramsFromClients: 10, bytesFromClients: 1045, datagramsFromTarget: 10, bytesFromTarget: 70, dropped: 0 });

    const dark = await startRelay({ target: { host: '127.0.0.1', port: target }, seed: 4, loss: 1 });
    cleanups.push(() => dark.close());
    for (let i = 0; i < 5; i++) client.send(Buffer.alloc(20), dark.port, '127.0.0.1');
    await expect.poll(() => dark.stats().dropped, { timeout: 2_000 }).toBe(5);
    expect(dark.stats()).toMatchObject({ datagramsFromClients: 5, bytesFromClients: 100, datagramsFromTarget: 0, forwarded: 0 });
  });

  it('binds the port it is given, and rejects one in use', async () => {
    const taken = await socket();
    const port = taken.address().port;
    await expect(startRelay({ target: { host: '127.0.0.1', port: 9 }, seed: 1, port })).rejects.toThrow(/EADDRINUSE/);
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    cleanups.pop();
    const relay = await startRelay({ target: { host: '127.0.0.1', port: 9 }, seed: 1, port });
    cleanups.push(() => relay.close());
    expect(relay.port).toBe(port);
  });
});

describe('rtpmidi-relay', () => {
  it('relays both ports of a session from an even port pair, and counts both', async () => {
    const errors: unknown[] = [];
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'far end', onError: (e) => errors.push(e) });
    cleanups.push(() => listener.close());
    const relay = await startRtpMidiRelay({ target: { host: '127.0.0.1', port: Number(/:(\d+)$/.exec(listener.url)![1]) }, seed: 5 });
    cleanups.push(() => relay.close());
    expect(relay.port % 2).toBe(0);
    const accepted = new Promise<Midi1Port>((resolve) => listener.onSession(resolve));
    const sender = await connectRtpMidi(`rtpmidi://127.0.0.1:${relay.port}`, { name: 'near end', onError: (e) => errors.push(e), timeoutMs: 10_000 });
    cleanups.push(() => sender.close());
    const receiver = await accepted;
    const got: string[] = [];
    receiver.onMessage((m) => got.push(Buffer.from(m).toString('hex')));
    const before = relay.stats();
    sender.send(Uint8Array.of(0x90, 0x3c, 0x64));
    sender.send(Uint8Array.of(0xf0, 0x7d, 0x01, 0x02, 0xf7));
    await expect.poll(() => got, { timeout: 5_000 }).toEqual(['903c64', 'f07d0102f7']);
    const after = relay.stats();
    // The handshake crossed both ports (IN/OK on each, CK on data); the messages one data datagram or more.
    expect(before.datagramsFromClients).toBeGreaterThanOrEqual(3);
    expect(before.datagramsFromTarget).toBeGreaterThanOrEqual(3);
    expect(after.datagramsFromClients).toBeGreaterThan(before.datagramsFromClients);
    expect(after.bytesFromClients - before.bytesFromClients).toBeGreaterThanOrEqual(12 + 8);
    expect(errors).toEqual([]);
  });
});
