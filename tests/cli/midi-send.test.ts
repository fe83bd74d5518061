import { createSocket, type Socket } from 'node:dgram';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/exit.ts';
import { midiMessages } from '../../cli/operator/run-midi-send.ts';
import { CLI_TEST_TIMEOUT_MS, runMidl, stackTraceLines } from '../helpers/cli.ts';

/**
 * `midl midi send`'s bytes: read as a MIDI 1.0 stream, every mistake a usage error naming the byte,
 * found before anything goes on the network (the sends over real transports are in the slow suites).
 */
const hex = (messages: readonly Uint8Array[]) => messages.map((m) => Buffer.from(m).toString('hex'));
const usage = (words: string[]): string => {
  try {
    midiMessages(words);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(words)}`);
};

describe('midl midi send: the bytes', () => {
  it('reads spaced, run-together and comma-separated bytes, running status and real-time bytes', () => {
    expect(hex(midiMessages(['90', '3C', '64']))).toEqual(['903c64']);
    expect(hex(midiMessages(['903C64 3d00']))).toEqual(['903c64', '903d00']);
    expect(hex(midiMessages(['B0,07,64', 'F8', 'C0 05']))).toEqual(['b00764', 'f8', 'c005']);
    expect(hex(midiMessages(['90 3C F8 64']))).toEqual(['f8', '903c64']);
    expect(hex(midiMessages(['F0 7E 7F 06 01 F7']))).toEqual(['f07e7f0601f7']);
  });

  it('refuses what is not MIDI 1.0, saying which byte, and sends nothing', () => {
    expect(usage([])).toBe('no MIDI bytes given');
    expect(usage(['90', '3Q'])).toBe('argument 2 ("3Q"): MIDI bytes are pairs of hex digits, e.g. 90 3C 64');
    expect(usage(['903'])).toMatch(/^argument 1 \("903"\): MIDI bytes are pairs of hex digits/);
    expect(usage(['3C 40'])).toMatch(/^data byte 3c with no status .*\(byte 0\), counting the given bytes from 0; nothing sent$/);
    expect(usage(['90 3C'])).toMatch(/^the bytes end inside a message/);
    expect(usage(['F0 01 02'])).toMatch(/^the bytes end inside a message/);
    expect(usage(['90 3C 80 3C 00'])).toMatch(/byte 2\), counting the given bytes from 0; nothing sent$/);
    expect(usage(['F7'])).toMatch(/F7 \(end of SysEx\) with no SysEx open/);
    expect(usage(['F4'])).toMatch(/undefined/);
  });

  it('any words give messages or a UsageError, never another error', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }), (words) => {
        try {
          for (const m of midiMessages(words)) expect(m.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('midl midi send: the command', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  let socket: Socket | undefined;
  const received: Buffer[] = [];
  beforeAll(async () => {
    const s = createSocket('udp4');
    socket = s;
    s.on('message', (m) => received.push(m));
    await new Promise<void>((done) => s.bind(0, '127.0.0.1', done));
  });
  afterAll(() => socket?.close());

  it('exits 2 on bad bytes before inviting anyone', async () => {
    const r = await runMidl(['midi', 'send', '--to', `udp://127.0.0.1:${socket!.address().port}`, '90', '3C']);
    expect(stackTraceLines(r.stderr)).toEqual([]);
    expect(r.stderr).toMatch(/^error: the bytes end inside a message .*; nothing sent\n$/);
    expect(r.code).toBe(2);
    expect(received).toEqual([]);
  });
});
