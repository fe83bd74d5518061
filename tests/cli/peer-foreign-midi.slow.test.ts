import { createSocket } from 'node:dgram';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { opsProject } from '../helpers/ops-schema.ts';

/**
 * `midl peer` prints the MIDI traffic that is not a bus frame, one JSON line per message: a raw
 * Network MIDI 2.0 client (datagrams built here from the spec notes' layout, shared/reference/midi2.md
 * § 2) opens a session and sends UMP Data with a MIDI 1.0 note, a MIDI 2.0 note, a foreign SysEx7 and a
 * clock byte, and no bus HELLO at all. Like a keyboard or a DAW, it never will: the peer keeps its session past
 * the bus's HELLO deadline and prints what it sends later too.
 */
const HELLO_DEADLINE_MS = 10_000;
const datagram = (...hexWords: string[]): Buffer => Buffer.from(['4D494449', ...hexWords].join('').replace(/\s+/g, ''), 'hex');
/** UMP Data: [31:24] 0xFF, [23:16] words, [15:0] sequence number, then the UMP words. */
const umpData = (seq: number, ...words: string[]): Buffer =>
  datagram((((0xff << 24) | (words.length << 16) | seq) >>> 0).toString(16).padStart(8, '0'), ...words);

afterEach(async () => killAll());
afterAll(() => removeTempProjects());

describe('midl peer and MIDI that is not a bus frame', () => {
  it('prints {"midi":…} for what has a MIDI 1.0 form and {"ump":…} for what has not, before and after the HELLO deadline', { timeout: 60_000 }, async () => {
    const { schema } = opsProject();
    const peer = await startPeer(['--schema', schema]);
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const replies: string[] = [];
    const send = (b: Buffer): void => socket.send(b, peer.port, '127.0.0.1');
    socket.on('message', (m) => {
      const hex = m.toString('hex').toUpperCase();
      replies.push(hex);
      // A live endpoint answers pings (0x20) with a Ping Reply (0x21) of the same id, or the host ends
      // the session after 5 s of silence.
      if (hex.startsWith('4D49444920010000')) send(datagram(`21010000 ${hex.slice(16, 24)}`));
    });
    try {
      // Invitation "midl" / "p1", as in the spec notes' wire example; the peer accepts with 0x10.
      send(datagram('01030200 6D69646C 00000000 70310000'));
      const deadline = Date.now() + 10_000;
      while (!replies.some((r) => r.startsWith('4D49444910'))) {
        if (Date.now() > deadline) throw new Error(`no Invitation Reply (got ${replies.join(', ')})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      send(umpData(1, '20903C64'));
      send(umpData(2, '40903C00', 'FFFF0000'));
      send(umpData(3, '30167E7F', '06010203', '30310400', '00000000'));
      send(umpData(4, '10F80000'));
      const lines = await peer.waitForLines(4, 10_000);
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
        { midi: '90 3c 64' },
        { ump: '40903C00 FFFF0000' },
        { midi: 'f0 7e 7f 06 01 02 03 04 f7' },
        { midi: 'f8' },
      ]);
      const firstAt = Date.now();
      await new Promise((r) => setTimeout(r, Math.max(0, firstAt + HELLO_DEADLINE_MS + 1_000 - Date.now())));
      send(umpData(5, '20803C00'));
      const later = await peer.waitForLines(5, 10_000);
      expect(JSON.parse(later[4]!)).toEqual({ midi: '80 3c 00' });
      // No Bye (command 0xF0) came from the peer: the session is still open.
      expect(replies.filter((r) => r.startsWith('4D494449F0'))).toEqual([]);
      send(datagram('F0000000'));
    } finally {
      socket.close();
    }
    await peer.stop();
    expect(stackTraceLines(peer.stderr())).toEqual([]);
    expect(busWarnings(peer.stderr())).toEqual([]);
  });
});
