import { createSocket, type Socket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { compileJobs, namedPlan } from '../../cli/registry/compile-jobs.ts';
import { planFor } from '../../cli/schema-runtime.ts';
import { CiError, MIDL_PROFILE, decodeCiMessage, type CiMessage } from '../../runtime/ci/index.ts';
import { busWarnings, removeTempProjects, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { opsProject } from '../helpers/ops-schema.ts';
import { hex, sysex } from './helpers.ts';

/**
 * The Done-when of issue 16: a client that is not midl opens a Network MIDI 2.0 session with `midl peer`
 * by hand and speaks MIDI-CI to it in SysEx7 UMPs on group 0, every request written out byte by byte
 * from the MIDI-CI 1.2 layout (docs/midi-ci.md § Messages) and packed into UMPs here, not by the runtime.
 */

// ---------------------------------------------------------------------------------------------- Network MIDI 2.0, by hand

const SIGNATURE = 0x4d494449; // "MIDI"
const INVITATION = 0x01;
const INVITATION_REPLY_ACCEPTED = 0x10;
const UMP_DATA = 0xff;
const BYE = 0xf0;

const word = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const text = (s: string): Buffer => {
  const bytes = Buffer.from(`${s}\0`, 'utf8');
  return Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
};
const command = (code: number, csd: number, payload: Buffer = Buffer.alloc(0)): Buffer =>
  Buffer.concat([word(((code << 24) | ((payload.length / 4) << 16) | csd) >>> 0), payload]);
const datagram = (...commands: Buffer[]): Buffer => Buffer.concat([word(SIGNATURE), ...commands]);

/** SysEx7 data → UMP MT 0x3 packets on group 0: 6 bytes each, status 0 complete / 1 start / 2 continue / 3 end. */
function sysEx7Words(data: Uint8Array): number[] {
  const n = Math.max(1, Math.ceil(data.length / 6));
  const out: number[] = [];
  for (let p = 0; p < n; p++) {
    const part = data.subarray(p * 6, p * 6 + 6);
    const status = n === 1 ? 0 : p === 0 ? 1 : p === n - 1 ? 3 : 2;
    const b = (i: number) => part[i] ?? 0;
    out.push(((0x3 << 28) | (status << 20) | (part.length << 16) | (b(0) << 8) | b(1)) >>> 0, ((b(2) << 24) | (b(3) << 16) | (b(4) << 8) | b(5)) >>> 0);
  }
  return out;
}

/** A hand-made Network MIDI 2.0 client: invites, sends SysEx7 in UMP Data commands, and reassembles the SysEx7 it receives. */
async function client(port: number) {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const received: Uint8Array[] = [];
  let invited = false;
  const isInvited = () => invited;
  let open: number[] = [];
  // Network MIDI 2.0 repeats earlier UMP Data commands in later datagrams (forward error correction):
  // each sequence number is read once.
  let nextSeq: number | undefined;
  socket.on('message', (msg) => {
    for (let at = 4; at + 4 <= msg.length;) {
      const header = msg.readUInt32BE(at);
      const words = (header >>> 16) & 0xff;
      const code = header >>> 24;
      if (code === INVITATION_REPLY_ACCEPTED) invited = true;
      const seqNo = header & 0xffff;
      if (code === UMP_DATA && (nextSeq === undefined || ((seqNo - nextSeq) & 0xffff) < 0x8000)) {
        nextSeq = (seqNo + 1) & 0xffff;
        for (let w = 0; w < words; w += 2) {
          const w0 = msg.readUInt32BE(at + 4 + w * 4);
          const w1 = msg.readUInt32BE(at + 8 + w * 4);
          if (w0 >>> 28 !== 0x3 || ((w0 >>> 24) & 0xf) !== 0) continue;
          const status = (w0 >>> 20) & 0xf;
          const bytes = [(w0 >>> 8) & 0xff, w0 & 0xff, w1 >>> 24, (w1 >>> 16) & 0xff, (w1 >>> 8) & 0xff, w1 & 0xff].slice(0, (w0 >>> 16) & 0xf);
          if (status === 0 || status === 1) open = [];
          open.push(...bytes);
          if (status === 0 || status === 3) received.push(Uint8Array.from(open));
        }
      }
      at += 4 + words * 4;
    }
  });
  let seq = 0;
  const send = (b: Buffer) => socket.send(b, port, '127.0.0.1');
  const name = text('hand');
  send(datagram(command(INVITATION, (name.length / 4) << 8, Buffer.concat([name, text('h1').subarray(0, 4)]))));
  const invitedBy = Date.now() + 10_000;
  while (!isInvited()) {
    if (Date.now() > invitedBy) throw new Error('no Invitation Reply');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    /** Sends one SysEx (without F0/F7), at most 64 words per UMP Data command. */
    sendSysEx(data: Uint8Array) {
      const words = sysEx7Words(data);
      for (let i = 0; i < words.length; i += 64) {
        const part = words.slice(i, i + 64);
        send(datagram(command(UMP_DATA, seq++ & 0xffff, Buffer.concat(part.map(word)))));
      }
    },
    /** Waits for the SysEx messages received after `from` until `done` says they are enough. */
    async until(done: (messages: Uint8Array[]) => boolean, ms = 10_000): Promise<Uint8Array[]> {
      const deadline = Date.now() + ms;
      while (!done(received)) {
        if (Date.now() > deadline) throw new Error(`not enough MIDI-CI replies within ${ms} ms (${received.length} received)`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received.splice(0);
    },
    close() {
      send(datagram(command(BYE, 0x0100)));
      socket.close();
    },
  };
}

const decoded = (bytes: Uint8Array): CiMessage => {
  const m = decodeCiMessage(bytes);
  if (m instanceof CiError) throw new Error(`${hex(bytes)}: ${m.message}`);
  return m;
};
/** A 28-bit MUID as the 4 bytes MIDI-CI sends, 7 bits each, least significant first. */
const muidBytes = (m: number): number[] => [m & 0x7f, (m >> 7) & 0x7f, (m >> 14) & 0x7f, (m >> 21) & 0x7f];
const ascii = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));
const MINE = '67 0A 0D 09'; // source MUID 0x01234567

/** PE Get Inquiry (0x34): request id, header length (2 bytes), header, numChunks 1, thisChunk 1, body length 0. */
const peGet = (to: number, requestId: number, resource: string): Uint8Array => {
  const header = ascii(`{"resource":"${resource}"}`);
  return sysex('7E 7F 0D 34 02', MINE, muidBytes(to), [requestId, header.length & 0x7f, header.length >> 7], header, '01 00 01 00 00 00');
};

/** Joins the chunks of one PE Get Reply: status from chunk 1's header, body in chunk order. */
function reply(messages: Uint8Array[], requestId: number): { status: unknown; body: string; chunks: number } {
  const chunks = messages.map(decoded).filter((m) => m.kind === 'pe-get-reply' && m.requestId === requestId);
  let body = '';
  chunks.forEach((m, i) => {
    if (m.kind !== 'pe-get-reply') return;
    expect(m.thisChunk).toBe(i + 1);
    expect(m.numChunks).toBe(chunks.length);
    body += String.fromCharCode(...m.body);
  });
  const first = chunks[0];
  const header = first?.kind === 'pe-get-reply' ? (JSON.parse(String.fromCharCode(...first.header)) as { status: unknown }) : { status: undefined };
  return { status: header.status, body, chunks: chunks.length };
}
const allChunks = (requestId: number) => (ms: Uint8Array[]) =>
  ms.some((b) => {
    const m = decodeCiMessage(b);
    return !(m instanceof CiError) && m.kind === 'pe-get-reply' && m.requestId === requestId && m.thisChunk === m.numChunks;
  });

afterAll(async () => {
  await killAll();
  removeTempProjects();
});

describe('midl peer answers MIDI-CI from a client that is not midl', () => {
  it("Discovery, Profile Inquiry, PE Get of ResourceList and of X-MidlSchema in chunks, whose hash is the registry's", { timeout: 90_000 }, async () => {
    const { schema } = opsProject();
    const peer = await startPeer(['--schema', schema, '--name', 'ci peer']);
    const hand = await client(peer.port);
    try {
      // Discovery Inquiry: to the function block (7F), broadcast, manufacturer 7D 00 00, family 0, model 0,
      // revision 0, categories profiles + PE (0C), max SysEx 128 (00 01 00 00), output path id 05.
      const inquiry = sysex('7E 7F 0D 70 02', MINE, '7F 7F 7F 7F', '7D 00 00', '00 00', '00 00', '00 00 00 00', '0C', '00 01 00 00', '05');
      hand.sendSysEx(inquiry);
      const [discoveryReply] = await hand.until((ms) => ms.length >= 1);
      const raw = discoveryReply!;
      // 7E 7F 0D 71 02, the peer's MUID, our MUID as destination, identity, then categories, max SysEx, output path, function block.
      expect(hex(raw.subarray(0, 5))).toBe('7E 7F 0D 71 02');
      expect(hex(raw.subarray(9, 13))).toBe(MINE);
      expect(hex(raw.subarray(13, 16))).toBe('7D 00 00');
      expect(raw.length).toBe(31);
      expect(raw[24]).toBe(0x0c);
      expect(raw[29]).toBe(0x05); // output path id copied
      expect(raw[30]).toBe(0x7f); // no function block
      const d = decoded(raw);
      if (d.kind !== 'discovery-reply') throw new Error(d.kind);
      expect(d.maxSysExSize).toBeGreaterThanOrEqual(512);
      const peerMuid = d.source;
      expect(peerMuid).toBeLessThanOrEqual(0x0ffffeff);

      // Profile Inquiry (0x20) to the function block.
      hand.sendSysEx(sysex('7E 7F 0D 20 02', MINE, muidBytes(peerMuid)));
      const [profiles] = await hand.until((ms) => ms.length >= 1);
      const p = decoded(profiles!);
      if (p.kind !== 'profile-inquiry-reply') throw new Error(p.kind);
      expect(p.enabled).toContainEqual(MIDL_PROFILE);
      expect(hex(profiles!.subarray(13, 20))).toBe('01 00 7D 00 00 6D 01'); // one enabled: the midl profile

      hand.sendSysEx(peGet(peerMuid, 1, 'ResourceList'));
      const list = reply(await hand.until(allChunks(1)), 1);
      expect(list.status).toBe(200);
      const names = (JSON.parse(list.body) as { resource: string }[]).map((r) => r.resource);
      expect(names).toEqual(expect.arrayContaining(['DeviceInfo', 'X-MidlSchema', 'X-MidlFacts', 'X-SseTransport']));

      hand.sendSysEx(peGet(peerMuid, 2, 'X-MidlSchema'));
      const got = reply(await hand.until(allChunks(2)), 2);
      expect(got.status).toBe(200);
      expect(got.chunks).toBeGreaterThan(3); // 128-byte SysEx messages, as our Discovery asked
      const body = JSON.parse(got.body) as { programs: { packages: { package: string; contentHash: string }[] }[] };
      // The registry's hash of the same schema, through the function `midl publish` uses.
      const jobs = await compileJobs(namedPlan(planFor(schema), [schema]), { targets: ['facts'] });
      expect(body.programs.flatMap((pr) => pr.packages.map((k) => [k.package, k.contentHash]))).toEqual(
        jobs!.flatMap((j) => j.packages.map((k) => [k.name, k.contentHash])),
      );
      expect(body.programs[0]!.packages[0]!.contentHash).toMatch(/^[0-9a-f]{64}$/);

      hand.sendSysEx(peGet(peerMuid, 3, 'X-Nothing'));
      expect(reply(await hand.until(allChunks(3)), 3).status).toBe(404);
    } finally {
      hand.close();
      await peer.stop();
    }
    expect(stackTraceLines(peer.stderr())).toEqual([]);
    expect(busWarnings(peer.stderr())).toEqual([]);
    // MIDI-CI is answered, not printed as foreign MIDI.
    expect(peer.lines().filter((l) => l.includes('"midi"') || l.includes('"ump"'))).toEqual([]);
  });
});
