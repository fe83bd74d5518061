// `midl ump …`: a handful of runs through the real launcher (node bin/midl.mjs), the rest in-process via main().
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatPackets } from '../../cli/commands/ump.ts';
import { main } from '../../cli/main.ts';
import { packFlexText } from '../../runtime/ump/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnMidl(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/midl.mjs', ...args], { cwd: root, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

// Golden vectors from shared reference/midi2.md §1 (sources named per case).
const SYSEX8_GOLDEN = '531E4200 7D000102 03040506 0708090A\n533A420B 0C0D0E0F 10111213 00000000\n'; // ni-midi2 v1.11.0
const SYSEX8_DATA = '007d' + Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(2, '0')).join('');

describe('midl ump via bin/midl.mjs', () => {
  const text = 'grüße 🎹 音楽 — a lyric long enough for several packets';
  // The launches run concurrently (each pays tsx start-up); the tests below check their results.
  let runs: Record<'sysex8' | 'sysex7' | 'stdin', Run>;
  beforeAll(async () => {
    const [sysex8, sysex7, stdin] = await Promise.all([
      spawnMidl(['ump', 'pack', 'sysex8', '--group', '3', '--stream', '0x42', '--data', SYSEX8_DATA]),
      spawnMidl(['ump', 'pack', 'sysex7', '--group', '2', '--data', '7d0080']),
      spawnMidl(['ump', 'unpack'], formatPackets(packFlexText(text, { group: 5, addressing: 'group', bank: 2, status: 1 }))),
    ]);
    runs = { sysex8: sysex8, sysex7: sysex7, stdin: stdin };
  });

  it('pack sysex8 prints the ni-midi2 golden packets', () => {
    expect(runs.sysex8).toMatchObject({ status: 0, stdout: SYSEX8_GOLDEN });
  });

  it('pack sysex7 rejects a byte above 0x7F with exit 2', () => {
    expect(runs.sysex7).toMatchObject({ status: 2, stdout: '' });
    expect(runs.sysex7.stderr).toMatch(/byte 2 is 0x80.*7-bit/);
  });

  it('unpack reads words from stdin (pack flex-text | unpack)', () => {
    expect(runs.stdin.status).toBe(0);
    expect(
      runs.stdin.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ kind: 'flex-text', group: 5, addressing: 'group', channel: 0, bank: 2, status: 1, text }]);
  });
});

describe('midl ump in-process', () => {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  const run = (...args: string[]): Promise<number> => main(['node', 'midl', 'ump', ...args]);
  const jsonLines = (): Array<Record<string, unknown>> =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('pack flex-text, channel-addressed (ni-midi2 v1.11.0 golden)', async () => {
    expect(await run('pack', 'flex-text', '--group', '1', '--channel', '12', '--bank', '1', '--status', '7', '--text', 'testtext')).toBe(0);
    expect(out).toBe('D10C0107 74657374 74657874 00000000\n');
  });

  it('pack flex-text, group-addressed multi-packet (ni-midi2 = JZZ golden)', async () => {
    expect(
      await run('pack', 'flex-text', '--group', '5', '--group-addressed', '--bank', '0x02', '--status', '4', '--text', 'This is a multi-packet cice'),
    ).toBe(0);
    expect(out).toBe('D5500204 54686973 20697320 61206D75\nD5900204 6C74692D 7061636B 65742063\nD5D00204 69636500 00000000 00000000\n');
  });

  it('pack sysex7 (ni-midi2 v1.11.0 golden)', async () => {
    expect(await run('pack', 'sysex7', '--group', '2', '--data', '7d00010203040506070809')).toBe(0);
    expect(out).toBe('32167D00 01020304\n32350506 07080900\n');
  });

  it('pack jr-timestamp (AM_MIDI2.0Lib golden) and jr-clock', async () => {
    expect(await run('pack', 'jr-timestamp', '--value', '0x1234')).toBe(0);
    expect(await run('pack', 'jr-clock', '--value', '65535')).toBe(0);
    expect(out).toBe('00201234\n0010FFFF\n');
  });

  it('pack endpoint-name and endpoint-discovery (ni-midi2 v1.11.0 golden)', async () => {
    expect(await run('pack', 'endpoint-name', '--name', 'midl test endpoint')).toBe(0);
    expect(await run('pack', 'endpoint-discovery', '--major', '1', '--minor', '1', '--filter', '0x1F')).toBe(0);
    expect(out).toBe('F4036D69 646C2074 65737420 656E6470\nFC036F69 6E740000 00000000 00000000\nF0000101 0000001F 00000000 00000000\n');
  });

  it('pack mds then unpack it', async () => {
    expect(
      await run(
        'pack',
        'mds',
        '--group',
        '1',
        '--mds-id',
        '2',
        '--manufacturer',
        '100',
        '--device',
        '101',
        '--sub1',
        '102',
        '--sub2',
        '103',
        '--data',
        '000102030405060708090a0b0c0d0e',
      ),
    ).toBe(0);
    const packets = out.trim().split('\n');
    expect(packets).toEqual([
      '51820023 00010001 00640065 00660067', // #valid bytes 16 + 2 per payload UMP + 15 data = 35, chunk 1 of 1
      '51920001 02030405 06070809 0A0B0C0D',
      '51920E00 00000000 00000000 00000000',
    ]);
    out = '';
    expect(await run('unpack', ...packets.join(' ').split(' '))).toBe(0);
    expect(jsonLines()).toEqual([
      { kind: 'mds', group: 1, mdsId: 2, manufacturerId: 100, deviceId: 101, subId1: 102, subId2: 103, data: '000102030405060708090a0b0c0d0e' },
    ]);
  });

  it('unpack prints unknown message types whole and stream messages by field', async () => {
    expect(await run('unpack', '40903C00', 'FFFF0000', '10F80000', 'F0050200', '00000000', '00000000', '00000000')).toBe(0);
    expect(jsonLines()).toEqual([
      { kind: 'unknown', mt: 4, words: ['40903c00', 'ffff0000'] },
      { kind: 'unknown', mt: 1, words: ['10f80000'] },
      { kind: 'stream-config-request', protocol: 2, rxJr: false, txJr: false },
    ]);
  });

  it('unpack reports a truncated tail with exit 1', async () => {
    expect(await run('unpack', '531E4200', '7D000102')).toBe(1);
    expect(jsonLines()).toEqual([{ kind: 'error', code: 'truncated', reason: expect.stringMatching(/2 of 4 words/) as unknown, wordIndex: 0 }]);
  });

  it('decode shows MDS header fields (AM_MIDI2.0Lib golden)', async () => {
    expect(await run('decode', '51820064', '00040003', '00640065', '00660067')).toBe(0);
    expect(jsonLines()).toEqual([
      { kind: 'mds-header', group: 1, mdsId: 2, validBytes: 100, chunks: 4, chunk: 3, manufacturerId: 100, deviceId: 101, subId1: 102, subId2: 103 },
    ]);
  });

  it('decode reports an invalid SysEx8 #bytes and exits 1', async () => {
    expect(await run('decode', '53004200', '00000000', '00000000', '00000000')).toBe(1);
    expect(jsonLines()[0]).toMatchObject({ kind: 'error', code: 'invalid-field', wordIndex: 0, group: 3, streamId: 66 });
  });

  it.each([
    [['pack', 'flex-text', '--group', '1', '--channel', '1', '--group-addressed', '--bank', '1', '--status', '0', '--text', 'x'], /exactly one of/],
    [['pack', 'flex-text', '--group', '1', '--bank', '1', '--status', '0', '--text', 'x'], /exactly one of/],
    [['pack', 'sysex8', '--group', '16', '--stream', '0', '--data', '00'], /group must be an integer in 0\.\.15/],
    [['pack', 'sysex8', '--group', 'abc', '--stream', '0', '--data', '00'], /--group: expected a decimal or 0x-hex number/],
    [['pack', 'sysex8', '--group', '1', '--stream', '0', '--data', '0g'], /--data: expected hex bytes/],
    [['pack', 'sysex8', '--group', '1', '--data', '00'], /required option '--stream <N>'/],
    [['pack', 'jr-clock', '--value', '0x10000'], /0\.\.65535/],
    [['pack', 'endpoint-name', '--name', 'x'.repeat(99)], /at most 98/],
    [['pack', 'flex-text', '--group', '1', '--group-addressed', '--bank', '0', '--status', '0', '--text', 'x'], /bank 0x01 or 0x02/],
  ])('bad usage %j exits 2', async (args, message) => {
    expect(await run(...args)).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });
  it('unpack reports malformed input, keeps going, and exits 1', async () => {
    // ni-midi2 SysEx8 golden, a stray Continue, a bad token, then the AM JR Timestamp golden 00201234
    expect(await run('unpack', ...SYSEX8_GOLDEN.split(/\s+/).filter(Boolean), '532A4200', '00000000', '00000000', '00000000', 'xyz', '00201234')).toBe(1);
    const lines = jsonLines();
    expect(lines[0]).toEqual({ kind: 'sysex8', group: 3, streamId: 66, data: SYSEX8_DATA });
    expect(lines[1]).toMatchObject({ kind: 'error', code: 'bad-sequence', wordIndex: 8, messageKind: 'sysex8', group: 3, streamId: 66 });
    expect(lines[2]).toMatchObject({ kind: 'error', code: 'bad-word', wordIndex: 12 });
    expect(lines[3]).toEqual({ kind: 'jr-timestamp', value: 4660 });
  });

  it('decode shows a SysEx8 Start packet field by field', async () => {
    expect(await run('decode', '531E4200', '7D000102', '03040506', '0708090A')).toBe(0);
    expect(jsonLines()[0]).toEqual({
      kind: 'sysex8',
      group: 3,
      status: 'start',
      byteCount: 14,
      streamId: 66,
      data: '007d000102030405060708090a',
    });
  });
});
