import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl, startPeer, type MidlProcess } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';

/**
 * `midl peer`, `midl send` and `midl tail` as operators use them: real processes on 127.0.0.1,
 * ephemeral ports. The Network MIDI 2.0 datagrams of the first test are built here byte by byte from
 * the layout in the spec notes (shared/reference/midi2.md § 2), not with the transport's encoder.
 */

// ---------------------------------------------------------------------------------------------- wire, by hand

const SIGNATURE = 0x4d494449; // "MIDI"
const INVITATION = 0x01;
const INVITATION_REPLY_ACCEPTED = 0x10;
const PING = 0x20;
const PING_REPLY = 0x21;
const BYE = 0xf0;
const BYE_REPLY = 0xf1;

const word = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
/** UTF-8 text with a NUL terminator, zero-padded to whole words (as amidi2net sends names). */
const text = (s: string): Buffer => {
  const bytes = Buffer.from(`${s}\0`, 'utf8');
  return Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
};
/** Command header: [31:24] code, [23:16] payload length in words, [15:0] command-specific data. */
const command = (code: number, csd: number, payload: Buffer = Buffer.alloc(0)): Buffer =>
  Buffer.concat([word(((code << 24) | ((payload.length / 4) << 16) | csd) >>> 0), payload]);
const datagram = (...commands: Buffer[]): Buffer => Buffer.concat([word(SIGNATURE), ...commands]);

interface Command {
  readonly code: number;
  readonly csd: number;
  readonly payload: Buffer;
}
function commandsOf(msg: Buffer): Command[] {
  expect(msg.readUInt32BE(0)).toBe(SIGNATURE);
  const out: Command[] = [];
  for (let at = 4; at + 4 <= msg.length;) {
    const header = msg.readUInt32BE(at);
    const words = (header >>> 16) & 0xff;
    out.push({ code: header >>> 24, csd: header & 0xffff, payload: msg.subarray(at + 4, at + 4 + words * 4) });
    at += 4 + words * 4;
  }
  return out;
}
const untilNul = (b: Buffer): string => b.toString('utf8').replace(/\0+$/, '');

/** A UDP socket that collects every command received, with a way to wait for one. */
async function handSocket(): Promise<{ socket: Socket; send: (b: Buffer, port: number) => void; next: (code: number, ms: number) => Promise<Command> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const seen: Command[] = [];
  socket.on('message', (msg) => seen.push(...commandsOf(msg)));
  const next = async (code: number, ms: number): Promise<Command> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = seen.findIndex((c) => c.code === code);
      if (i >= 0) return seen.splice(i, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no command 0x${code.toString(16)} within ${ms} ms (saw ${seen.map((c) => c.code.toString(16)).join(' ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { socket, send: (b, port) => socket.send(b, port, '127.0.0.1'), next };
}

// ---------------------------------------------------------------------------------------------- tests

const { dir, schema } = opsProject();
let peer: MidlProcess & { url: string; port: number };

beforeAll(async () => {
  peer = await startPeer(['--schema', schema, '--name', 'ops peer']);
}, 60_000);
// The shared peer lives until afterAll; everything else a test started dies with the test.
afterEach(async () => {
  await killAll([peer]);
  // Nothing any test did so far made the shared peer's bus report an error.
  expect(busWarnings(peer.stderr())).toEqual([]);
});
afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed, whose error is the one to see
  await peer?.stop();
  await killAll();
  removeTempProjects();
});

describe('midl peer', () => {
  it('accepts a hand-built Invitation, answers a Ping with its id, and a Bye with Bye Reply', { timeout: 30_000 }, async () => {
    const hand = await handSocket();
    try {
      // Invitation "midl" / "p1" exactly as in the spec notes' wire example.
      const name = text('midl');
      const invitation = datagram(command(INVITATION, (name.length / 4) << 8, Buffer.concat([name, text('p1').subarray(0, 4)])));
      expect(invitation.toString('hex').toUpperCase()).toBe('4D494449010302006D69646C0000000070310000');
      hand.send(invitation, peer.port);
      const reply = await hand.next(INVITATION_REPLY_ACCEPTED, 10_000);
      const nameWords = reply.csd >> 8;
      expect(untilNul(reply.payload.subarray(0, nameWords * 4))).toBe('ops peer');

      hand.send(datagram(command(PING, 0, word(0x12345678))), peer.port);
      const pong = await hand.next(PING_REPLY, 10_000);
      expect(pong.payload.readUInt32BE(0)).toBe(0x12345678);

      hand.send(datagram(command(BYE, 0x0100)), peer.port);
      await hand.next(BYE_REPLY, 10_000);
    } finally {
      hand.socket.close();
    }
  });

  it('prints the line of a message midl send delivers, and midl tail sees the same message', { timeout: 60_000 }, async () => {
    const tail = startMidl(['tail', '--from', peer.url, '--schema', schema, '--count', '1', 'ops/**']);
    await tail.waitFor(/subscribed to ops\/\*\* on/, 30_000);
    const before = peer.lines().length;
    const value = job(7, 'hello, peer');
    const sent = await runMidl(['send', '--to', peer.url, '--topic', 'ops/job', '--json', value, '--schema', schema]);
    expect(sent.stderr).toContain('1/1 delivered');
    expect(sent.code).toBe(0);
    const lines = await peer.waitForLines(before + 1, 10_000);
    const line = JSON.parse(lines[before]!) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['topic', 'address', 'corr', 'ts', 'qos', 'session', 'value']);
    expect(line).toMatchObject({ topic: 'ops/job', address: 'ops/job', qos: 'exactly_once', value: JSON.parse(value) as unknown });
    expect(typeof line['ts']).toBe('number');
    expect(Math.abs(Number(line['ts']) / 1000 - Date.now())).toBeLessThan(60_000);
    expect(await tail.exited).toBe(0);
    expect(tail.lines()).toEqual([lines[before]]);
    expect(stackTraceLines(sent.stderr + tail.stderr())).toEqual([]);
    expect(busWarnings(sent.stderr + tail.stderr())).toEqual([]);
  });

  it('refuses a file with a bad line before sending anything, naming file:line', { timeout: 60_000 }, async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `${job(1)}\n${JSON.stringify({ n: -1, note: 'x', big: '0' })}\n\n{oops\n`);
    const before = peer.lines().length;
    const r = await runMidl(['send', '--to', peer.url, '--topic', 'ops/job', '--file', file, '--schema', schema]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl:2: .*\/n/);
    expect(r.stderr).toMatch(/bad\.jsonl:4: not JSON/);
    expect(r.stderr).toContain('nothing sent: 2 invalid payloads');
    expect(r.stderr).not.toContain('session');
    await new Promise((res) => setTimeout(res, 300));
    expect(peer.lines().length).toBe(before);
  });

  it('send to a port nobody listens on exits 1 and says so', { timeout: 60_000 }, async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    probe.close();
    const r = await runMidl([
      'send',
      '--to',
      `udp://127.0.0.1:${port}`,
      '--topic',
      'ops/job',
      '--json',
      job(1),
      '--schema',
      schema,
      '--connect-timeout',
      '1000',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot open a session with udp://127.0.0.1:${port}`);
    expect(stackTraceLines(r.stderr)).toEqual([]);
  });

  it('usage errors exit 2 (neither --json nor --file, an unknown topic, a malformed URL); a schema error exits 1', { timeout: 60_000 }, async () => {
    const broken = join(dir, 'broken.midl');
    writeFileSync(broken, 'package ops.broken;\nversion "1.0.0";\n\nstruct A {\n  b: Nope @1;\n}\n');
    const [neither, unknown, url, schemaError] = await Promise.all([
      runMidl(['send', '--to', peer.url, '--topic', 'ops/job', '--schema', schema]),
      runMidl(['send', '--to', peer.url, '--topic', 'ops/nope', '--json', '{}', '--schema', schema]),
      runMidl(['send', '--to', 'http://x', '--topic', 'ops/job', '--json', '{}', '--schema', schema]),
      runMidl(['peer', '--listen', 'udp://127.0.0.1:0', '--schema', broken]),
    ]);
    expect([neither.code, unknown.code, url.code, schemaError.code]).toEqual([2, 2, 2, 1]);
    // Printed as midl check prints it.
    expect(schemaError.stderr).toMatch(/error\[MIDL1203\]/);
    expect(neither.stderr).toContain('give exactly one of --json VALUE or --file FILE');
    expect(unknown.stderr).toContain('no topic of the schema has the address ops/nope (topics under ops/: ops/event/{kind}, ops/job)');
    expect(url.stderr).toContain('--to: not a udp://HOST:PORT address');
  });

  it('--grant withholds capabilities: a publish the session may not make is not delivered, exit 1', { timeout: 60_000 }, async () => {
    const strict = await startPeer(['--schema', schema, '--grant', 'ops.watch']);
    try {
      const [forbidden, open] = await Promise.all([
        runMidl(['send', '--to', strict.url, '--topic', 'ops/job', '--json', job(1), '--schema', schema]),
        runMidl(['send', '--to', strict.url, '--topic', 'ops/event/start', '--json', job(2), '--schema', schema]),
      ]);
      expect(forbidden.code).toBe(1);
      expect(forbidden.stderr).toMatch(/0\/1 delivered/);
      expect(forbidden.stderr).toContain('forbidden');
      expect(open.code).toBe(0);
      expect(busWarnings(forbidden.stderr + open.stderr)).toEqual([]);
      await strict.waitForLines(1, 10_000);
      expect(strict.lines().map((l) => (JSON.parse(l) as { address: string }).address)).toEqual(['ops/event/start']);
    } finally {
      expect(await strict.stop()).toBe(0);
    }
    // A refused publish is answered to the sender (NACK forbidden), not reported as an error of either bus.
    expect(busWarnings(strict.stderr())).toEqual([]);
  });
});
