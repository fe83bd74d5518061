/**
 * A third-party check of what we put on the wire: tshark captures a whole RTP-MIDI session on `lo`
 * (handshake, clock sync, notes, a SysEx segmented across datagrams, receiver feedback, BY) and its
 * AppleMIDI / RTP-MIDI dissectors must read every packet without a malformed mark or an expert error.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Midi1Port } from '../../../runtime/transports/midi1-port.ts';
import { connectRtpMidi, listenRtpMidi } from '../../../runtime/transports/rtpmidi/connect.ts';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
/** .ci/run installs tshark and sets this: there, a missing tshark fails the check instead of skipping it. */
const required = process.env['MIDL_REQUIRE_TSHARK'] === '1';
const run = promisify(execFile);

it.runIf(required && !hasTshark)('tshark is installed (.ci/run requires the RTP-MIDI packet check)', () => {
  expect.fail('tshark is not on PATH, and MIDL_REQUIRE_TSHARK=1: install it (apt-get install tshark)');
});

describe.skipIf(!hasTshark)('RTP-MIDI on the wire, decoded by tshark (skipped: tshark is not installed; .ci/run installs it)', () => {
  it('decodes every packet of a session as AppleMIDI / RTP-MIDI with no malformed packet or expert error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midl-rtpmidi-capture-'));
    const file = join(dir, 'session.pcapng');
    const errors: unknown[] = [];
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'midl server', onError: (e) => errors.push(e) });
    const port = Number(/:(\d+)$/.exec(listener.url)![1]);
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const probePort = probe.address().port;
    // -P -l: a summary line per packet on stdout as it is captured, so we know when capture has begun.
    const tshark = spawn(
      'tshark',
      ['-i', 'lo', '-f', `udp port ${port} or udp port ${port + 1} or udp port ${probePort}`, '-w', file, '-P', '-l', '-a', 'duration:60'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let live = '';
    tshark.stdout.on('data', (d: Buffer) => (live += d.toString()));
    let stderr = '';
    tshark.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => tshark.on('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!live.includes(String(probePort))) {
        if (Date.now() > deadline || tshark.exitCode !== null) throw new Error(`tshark did not start capturing: ${stderr}`);
        probe.send('probe', probePort, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 100));
      }

      const atServer: Uint8Array[] = [];
      listener.onSession((p: Midi1Port) => p.onMessage((m) => atServer.push(m)));
      const client = await connectRtpMidi(listener.url, { name: 'midl client', onError: (e) => errors.push(e), mtu: 1200 });
      const sysex = Uint8Array.from([0xf0, 0x7d, ...Array.from({ length: 3000 }, (_, i) => i & 0x7f), 0xf7]);
      client.send(Uint8Array.of(0x90, 0x3c, 0x64));
      client.send(Uint8Array.of(0x90, 0x3e, 0x64));
      client.send(sysex);
      client.send(Uint8Array.of(0x80, 0x3c, 0x00));
      const until = Date.now() + 5000;
      while (atServer.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(atServer.length).toBe(4);
      // Let receiver feedback (1 s after data) go out, then say BY.
      await new Promise((r) => setTimeout(r, 1200));
      await client.close();
      const byDeadline = Date.now() + 5000;
      while (!/End Session/.test(live) && Date.now() < byDeadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      tshark.kill('SIGINT');
      await exited;
      probe.close();
      await listener.close();
    }

    let stdout: string;
    try {
      ({ stdout } = await run('tshark', [
        '-r',
        file,
        '-Y',
        `udp.port == ${port} || udp.port == ${port + 1}`,
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-e',
        'frame.number',
        '-e',
        'frame.protocols',
        '-e',
        '_ws.malformed',
        '-e',
        '_ws.expert.severity',
        '-e',
        '_ws.col.Info',
        '-e',
        'udp.length',
      ]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const frames = stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [n, protocols, malformed, severity, info, udpLength] = line.split('|');
        return { n, protocols: protocols!, malformed: malformed!, severity: severity!, info: info!, udpLength: Number(udpLength) };
      });
    for (const f of frames) {
      expect(f.protocols, `frame ${f.n}: ${f.info}`).toMatch(/:udp:applemidi(:rtp:rtpmidi)?$/);
      expect(f.malformed, `frame ${f.n}: ${f.info}`).toBe('');
      expect(f.severity, `frame ${f.n}: ${f.info}`).toBe('');
      // UDP length counts its 8-byte header: the payload stays within the MTU.
      expect(f.udpLength - 8).toBeLessThanOrEqual(1200);
    }
    const info = frames.map((f) => f.info).join('\n');
    for (const expected of [
      /Invitation: peer = "midl client"/,
      /Invitation Accepted: peer = "midl server"/,
      /Synchronization: count = 0/,
      /Synchronization: count = 1/,
      /Synchronization: count = 2/,
      /Note On/,
      /Start of Sysex-Segment/,
      /Middle Sysex-Segment/,
      /End of Sysex-Segment/,
      /Note Off/,
      /Receiver Feedback/,
      /End Session/,
    ])
      expect(info).toMatch(expected);
    expect(errors).toEqual([]);
  }, 60_000);
});
