/**
 * The paths of a Network MIDI 2.0 session and its UMP Data stream that only show up over time or on
 * loss: gap deadlines, Retransmit Error / NAK, serving retransmits, Session Reset, idle flush, Pending
 * invitations, sequence wrap, stray Ping Replies, data ahead of a Bye. A real endpoint on 127.0.0.1
 * runs on a FakeClock; a raw UDP peer sends hand-built datagrams and every datagram the endpoint sends
 * back is compared as hex.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkDown } from '../../../runtime/transports/link.ts';
import { Nm2Endpoint, type Nm2EndpointOptions, type Nm2Link } from '../../../runtime/transports/nm2/index.ts';
import type { Nm2Session } from '../../../runtime/transports/nm2/session.ts';
import { SendWindow } from '../../../runtime/transports/nm2/send-window.ts';
import { FakeClock } from './fake-clock.ts';
import { until as poll } from '../../helpers/until.ts';
import { hex, rawPeer, type RawPeer } from './raw-peer.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const word = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
const until = (cond: () => boolean, ms = 2000): Promise<void> => poll(cond, ms, 'condition', 2);
/** Lets the microtask that coalesces one burst of send() calls run, so the next send() is its own UMP Data command. */
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** Invitation "peer"/"pp" and our Accepted "midl test"/"PIID42", built by hand from the layout. */
const INVITATION = '4D494449 01020100 70656572 70700000';
const ACCEPTED = '4D494449 10050300 6D69646C 20746573 74000000 50494944 34320000';
/** What our Invitation looks like ("midl test"/"PIID42", no auth capability). */
const OUR_INVITATION = '4D494449 01050300 6D69646C 20746573 74000000 50494944 34320000';
/** One UMP Data command with one 32-bit UMP. */
const data = (seq: number, ump: number) => `FF01${word(seq).slice(4)} ${word(ump)}`;

interface Harness {
  readonly clock: FakeClock;
  readonly e: Nm2Endpoint;
  readonly p: RawPeer;
  /** Sends hand-built command words (the "MIDI" signature is added). */
  send(commands: string): void;
  /**
   * Every datagram the endpoint sent since the last call, in order. A Ping/Ping Reply round trip first
   * makes sure the endpoint has handled all we sent and that all it sent before has arrived (loopback
   * keeps order); those Ping Replies are not in the list.
   */
  take(): Promise<string[]>;
}

async function harness(options: Partial<Nm2EndpointOptions> = {}): Promise<Harness> {
  const clock = new FakeClock();
  // Pings and the liveness timeout are pushed far out so that advancing the clock shows only the path under test.
  const e = await Nm2Endpoint.listen({ name: 'midl test', productInstanceId: 'PIID42', clock, pingIntervalMs: 60_000, timeoutMs: 120_000, ...options });
  // Closing says Bye and waits (on the clock) for the Bye Reply that the raw peer never sends.
  cleanup.push(async () => {
    const closing = e.close();
    clock.advance(10_000);
    await closing;
  });
  const p = await rawPeer();
  cleanup.push(() => p.close());
  let cursor = 0;
  let pingId = 0x5ca1ab1e;
  return {
    clock,
    e,
    p,
    send: (commands) => p.send(hex(`4D494449 ${commands}`), e.port),
    async take() {
      const id = word(++pingId);
      p.send(hex(`4D494449 20010000 ${id}`), e.port);
      await p.next((h) => h === `4D494449 21010000 ${id}`);
      const all = p.received();
      const fresh = all.slice(cursor);
      cursor = all.length;
      return fresh;
    },
  };
}

/** The raw peer invites the endpoint; resolves with the endpoint's side of the session, receiving into `got`. */
async function invited(h: Harness, got: string[] = []): Promise<Nm2Link> {
  const link = new Promise<Nm2Link>((resolve) => h.e.onSession(resolve));
  h.p.send(hex(INVITATION), h.e.port);
  expect(await h.p.next()).toBe(ACCEPTED);
  const l = await link;
  l.onReceive((w) => got.push([...w].map(word).join(' ')));
  return l;
}

describe('gaps the peer never repairs', () => {
  it('skips a gap at gapDeadlineMs: Retransmit Requests every 2 × retransmitDelayMs until then, delivery resumes, counters count it', async () => {
    const h = await harness({ retransmitDelayMs: 20, gapDeadlineMs: 100 });
    const got: string[] = [];
    await invited(h, got);
    h.send(`${data(1, 0x20903c41)} ${data(3, 0x20903c43)}`); // seq 2 is lost
    expect(await h.take()).toEqual([]);
    expect(got).toEqual(['20903C41']);
    h.clock.advance(20);
    expect(await h.take()).toEqual(['4D494449 80010002 00010000']); // first missing seq 2, count 1
    h.clock.advance(40);
    expect(await h.take()).toEqual(['4D494449 80010002 00010000']);
    h.clock.advance(39);
    expect(got).toEqual(['20903C41']); // still waiting, 99 ms into the gap
    h.clock.advance(1); // 100 ms: the deadline
    expect(got).toEqual(['20903C41', '20903C43']);
    expect(h.e.stats()).toMatchObject({ gapsSkipped: 1, commandsSkipped: 1, retransmitsRequested: 2 });
    h.clock.advance(10_000);
    expect(await h.take()).toEqual([]); // no further requests for a gap given up on
    h.send(data(4, 0x20903c44));
    await h.take();
    expect(got).toEqual(['20903C41', '20903C43', '20903C44']);
  });

  it('a receiver that throws when a skipped gap delivers (a timer, not a datagram) is reported, not thrown out of the timer', async () => {
    const errors: unknown[] = [];
    const h = await harness({ retransmitDelayMs: 20, gapDeadlineMs: 100, onError: (e) => void errors.push(e) });
    const link = await invited(h);
    link.onReceive(() => {
      throw new Error('receiver failed');
    });
    h.send(`${data(1, 0x20903c41)} ${data(3, 0x20903c43)}`); // seq 1 delivered (throws inside the datagram handler), seq 2 lost
    await h.take();
    expect(errors.map((e) => (e as Error).message)).toEqual(['receiver failed']);
    expect(() => h.clock.advance(100)).not.toThrow(); // the gap is skipped: seq 3 is delivered from the timer
    expect(errors.map((e) => (e as Error).message)).toEqual(['receiver failed', 'receiver failed']);
    expect(h.e.stats()).toMatchObject({ gapsSkipped: 1, commandsSkipped: 1 });
    // The session goes on: the next command is delivered (and reported) as usual.
    h.send(data(4, 0x20903c44));
    await h.take();
    expect(errors).toHaveLength(3);
  });

  it('asks at most maxRetransmitRequests (5) times per gap with the default deadline, then skips it', async () => {
    const h = await harness(); // retransmitDelayMs 20, gapDeadlineMs 500
    const got: string[] = [];
    await invited(h, got);
    h.send(`${data(7, 0x20903c47)} ${data(10, 0x20903c4a)}`); // seqs 8 and 9 lost
    await h.take();
    let requests = 0;
    for (let t = 0; t < 2000; t += 10) {
      h.clock.advance(10);
      for (const d of await h.take()) {
        expect(d).toBe('4D494449 80010008 00020000');
        requests++;
      }
      if (got.length === 2) break;
    }
    expect(requests).toBe(5);
    expect(h.clock.now()).toBe(220); // requests at 20, 60, 100, 140, 180; skipped at the next check
    expect(got).toEqual(['20903C47', '20903C4A']);
    expect(h.e.stats()).toMatchObject({ gapsSkipped: 1, commandsSkipped: 2, retransmitsRequested: 5 });
    h.clock.advance(5_000);
    expect(await h.take()).toEqual([]);
  });

  it('skips the gap at once on a Retransmit Error (0x81) for a seq in it; one for another seq changes nothing', async () => {
    const h = await harness({ gapDeadlineMs: 10_000 });
    const got: string[] = [];
    await invited(h, got);
    h.send(`${data(1, 0x20903c41)} ${data(4, 0x20903c44)}`); // gap 2..3
    await h.take(); // the gap is seen when the datagram is handled: from then on the clock counts
    h.clock.advance(20);
    expect(await h.take()).toEqual(['4D494449 80010002 00020000']);
    h.send('81010100 00090000'); // Retransmit Error, data not available, seq 9: not our gap
    await h.take();
    expect(got).toEqual(['20903C41']);
    h.send('81010100 00030000'); // seq 3: inside the gap
    await h.take();
    expect(got).toEqual(['20903C41', '20903C44']);
    expect(h.e.stats()).toMatchObject({ gapsSkipped: 1, commandsSkipped: 2, retransmitsRequested: 1 });
    h.clock.advance(10_000);
    expect(await h.take()).toEqual([]);
  });

  it('after NAK 0x01 of a Retransmit Request it never asks again in the session; gaps are skipped after retransmitDelayMs', async () => {
    const h = await harness({ retransmitDelayMs: 20, gapDeadlineMs: 10_000 });
    const got: string[] = [];
    await invited(h, got);
    h.send(`${data(1, 0x20903c41)} ${data(3, 0x20903c43)}`);
    await h.take();
    h.clock.advance(20);
    expect(await h.take()).toEqual(['4D494449 80010002 00010000']);
    h.send('8F010100 80010002'); // NAK, command not supported, quoting our request (spec §7.2.3)
    await h.take();
    h.clock.advance(40); // the next check gives the gap up instead of asking again
    expect(await h.take()).toEqual([]);
    expect(got).toEqual(['20903C41', '20903C43']);
    // A later gap: no request at all, skipped once it has had its chance to fill by itself.
    h.send(data(6, 0x20903c46)); // 4, 5 missing
    await h.take();
    h.clock.advance(19);
    expect(got).toHaveLength(2);
    h.clock.advance(1);
    expect(got).toEqual(['20903C41', '20903C43', '20903C46']);
    h.clock.advance(10_000);
    expect(await h.take()).toEqual([]);
    expect(h.e.stats()).toMatchObject({ retransmitsRequested: 1, naksReceived: 1, gapsSkipped: 2, commandsSkipped: 3 });
  });
});

describe('answering Retransmit Requests', () => {
  it('resends held commands with their seqs; Retransmit Error 0x01 for what is no longer (or not yet) held', async () => {
    const h = await harness({ fec: 0, retransmitBuffer: 4 });
    const link = await invited(h);
    for (let i = 0; i < 6; i++) {
      link.send(Uint32Array.of(0x20903c40 + i));
      await nextTurn();
    }
    expect(await h.take()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `4D494449 ${data(i, 0x20903c40 + i)}`));
    // Held: seqs 2..5.
    h.send('80010003 00020000');
    expect(await h.take()).toEqual([`4D494449 ${data(3, 0x20903c43)} ${data(4, 0x20903c44)}`]);
    h.send('80010004 00000000'); // count 0: from seq to the newest (amidi2net)
    expect(await h.take()).toEqual([`4D494449 ${data(4, 0x20903c44)} ${data(5, 0x20903c45)}`]);
    h.send('80010000 00020000'); // 0 and 1 are gone
    expect(await h.take()).toEqual(['4D494449 81010100 00000000']);
    h.send('80010009 00010000'); // never sent
    expect(await h.take()).toEqual(['4D494449 81010100 00090000']);
    // Straddling the buffer's start: what is held goes first, then the error for the first missing seq,
    // so a receiver that skips on the error keeps 2 and 3.
    h.send('80010001 00030000');
    expect(await h.take()).toEqual([`4D494449 ${data(2, 0x20903c42)} ${data(3, 0x20903c43)} 81010100 00010000`]);
    expect(h.e.stats()).toMatchObject({ retransmitsServed: 6, retransmitErrorsSent: 3 });
  });

  it('as the receiver of such an answer, keeps the resent part of the gap and skips only the seq the error names', async () => {
    const h = await harness({ gapDeadlineMs: 10_000 });
    const got: string[] = [];
    await invited(h, got);
    h.send(`${data(1, 0x20903c41)} ${data(5, 0x20903c45)}`); // 2, 3, 4 missing
    await h.take(); // the gap is seen when the datagram is handled: from then on the clock counts
    h.clock.advance(20);
    expect(await h.take()).toEqual(['4D494449 80010002 00030000']);
    h.send(`${data(3, 0x20903c43)} ${data(4, 0x20903c44)} 81010100 00020000`);
    await h.take();
    expect(got).toEqual(['20903C41', '20903C43', '20903C44', '20903C45']);
    expect(h.e.stats()).toMatchObject({ gapsSkipped: 1, commandsSkipped: 1 });
  });
});

describe('Session Reset', () => {
  it('answers Session Reset with Reset Reply and starts both streams over; data after it in the same datagram is delivered', async () => {
    const h = await harness();
    const got: string[] = [];
    const link = await invited(h, got);
    h.send(`${data(10, 0x20903c40)} ${data(11, 0x20903c41)}`);
    link.send(Uint32Array.of(0x20803c40));
    await nextTurn();
    link.send(Uint32Array.of(0x20803c41));
    expect(await h.take()).toEqual([`4D494449 ${data(0, 0x20803c40)}`, `4D494449 ${data(0, 0x20803c40)} ${data(1, 0x20803c41)}`]);
    h.send(`82000000 ${data(0, 0x20903c42)}`); // without the reset, seq 0 would be an old duplicate
    expect(await h.take()).toEqual(['4D494449 83000000']);
    expect(got).toEqual(['20903C40', '20903C41', '20903C42']);
    link.send(Uint32Array.of(0x20803c42));
    expect(await h.take()).toEqual([`4D494449 ${data(0, 0x20803c42)}`]); // seq 0 again, no FEC copies from before
    h.send('80010001 00010000'); // pre-reset seq 1 is not held any more
    expect(await h.take()).toEqual(['4D494449 81010100 00010000']);
    expect(link.isOpen).toBe(true);
  });

  it('our own reset: Session Reset until the Reset Reply (at most 3); the peer’s data sent before its reply is not lost', async () => {
    const h = await harness();
    const got: string[] = [];
    const link = await invited(h, got);
    const session = link as unknown as Nm2Session;
    h.send(`${data(10, 0x20903c40)} ${data(11, 0x20903c41)}`);
    link.send(Uint32Array.of(0x20803c40));
    expect(await h.take()).toEqual([`4D494449 ${data(0, 0x20803c40)}`]);
    session.requestReset();
    expect(session.state).toBe('pending-reset');
    expect(link.isOpen).toBe(true);
    expect(await h.take()).toEqual(['4D494449 82000000']);
    h.clock.advance(100);
    expect(await h.take()).toEqual(['4D494449 82000000']);
    // In flight before the peer saw our reset: still numbered as before.
    h.send(data(12, 0x20903c42));
    h.send(`83000000 ${data(0, 0x20903c43)}`);
    await h.take();
    expect(session.state).toBe('established');
    expect(got).toEqual(['20903C40', '20903C41', '20903C42', '20903C43']);
    link.send(Uint32Array.of(0x20803c41));
    expect(await h.take()).toEqual([`4D494449 ${data(0, 0x20803c41)}`]);
    h.clock.advance(1_000); // no more Session Resets; only the idle flush of that command
    expect((await h.take()).filter((d) => d.includes('82000000'))).toEqual([]);

    // No reply at all: three Session Resets, then the session goes on with the streams reset.
    session.requestReset();
    let resets = 0;
    for (let i = 0; i < 10; i++) {
      resets += (await h.take()).filter((d) => d === '4D494449 82000000').length;
      h.clock.advance(100);
    }
    expect(resets).toBe(3);
    expect(session.state).toBe('established');
    h.send(data(40, 0x20903c44)); // the peer's numbering, whatever it is now, is followed
    await h.take();
    expect(got.at(-1)).toBe('20903C44');
  });
});

describe('idle flush', () => {
  it('after data stops, sends fec + 1 zero-length UMP Data commands (each its own seq, with FEC), then nothing', async () => {
    const h = await harness({ idleFlushMs: 100 }); // fec 2
    const link = await invited(h);
    link.send(Uint32Array.of(0x20903c40));
    expect(await h.take()).toEqual([`4D494449 ${data(0, 0x20903c40)}`]);
    h.clock.advance(99);
    expect(await h.take()).toEqual([]);
    h.clock.advance(1);
    expect(await h.take()).toEqual([`4D494449 ${data(0, 0x20903c40)} FF000001`]);
    h.clock.advance(100);
    expect(await h.take()).toEqual([`4D494449 ${data(0, 0x20903c40)} FF000001 FF000002`]);
    h.clock.advance(100);
    expect(await h.take()).toEqual(['4D494449 FF000001 FF000002 FF000003']);
    h.clock.advance(10_000);
    expect(await h.take()).toEqual([]);
    // New data starts the count over.
    link.send(Uint32Array.of(0x20903c41));
    expect(await h.take()).toEqual([`4D494449 FF000002 FF000003 ${data(4, 0x20903c41)}`]);
    h.clock.advance(10_000);
    const flushes = await h.take();
    expect(flushes).toEqual([
      `4D494449 FF000003 ${data(4, 0x20903c41)} FF000005`,
      `4D494449 ${data(4, 0x20903c41)} FF000005 FF000006`,
      '4D494449 FF000005 FF000006 FF000007',
    ]);
  });
});

describe('packing a burst into datagrams', () => {
  /** A UMP Data command built by hand from the layout: `FF` | word count | seq, then the words. */
  const command = (seq: number, words: readonly number[]) =>
    [`FF${words.length.toString(16).toUpperCase().padStart(2, '0')}${word(seq).slice(4)}`, ...words.map(word)].join(' ');
  /** Note On k (two words, the second = k), so each packet is told apart. */
  const notes = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => [0x40903c00, from + i]).flat();
  /** The burst's commands: 32 notes (64 words) each, the last 8 notes. */
  const c = [0, 1, 2, 3, 4, 5, 6].map((k) => command(k, notes(k * 32, Math.min(200, k * 32 + 32))));

  it('sends 7 commands in 3 datagrams ≤ 1400 bytes, each repeating the previous one’s new commands, and an in-order-only receiver reads them with any one lost', async () => {
    const h = await harness({ idleFlushMs: 100 }); // fec 2
    const link = await invited(h);
    link.send(Uint32Array.from(notes(0, 200)));
    const data = await h.take();
    expect(data).toEqual([
      `4D494449 ${c[0]} ${c[1]} ${c[2]} ${c[3]}`, // 4 new (1044 bytes)
      `4D494449 ${c[0]} ${c[1]} ${c[2]} ${c[3]} ${c[4]}`, // the previous datagram's 4 again, 1 new (1304 bytes)
      `4D494449 ${c[3]} ${c[4]} ${c[5]} ${c[6]}`, // the previous one's new command and the `fec` = 2 before it, 2 new
    ]);
    h.clock.advance(100);
    h.clock.advance(100);
    h.clock.advance(100);
    const idle = await h.take();
    expect(idle).toEqual([`4D494449 ${c[5]} ${c[6]} FF000007`, `4D494449 ${c[6]} FF000007 FF000008`, '4D494449 FF000007 FF000008 FF000009']);
    const all = [...data, ...idle];
    for (const d of all) expect(d.replace(/ /g, '').length / 2).toBeLessThanOrEqual(1400);

    // A receiver as the Workbench's UMPudp.js, reading the hex: command by command, one command per seq,
    // only the next seq taken, seen seqs dropped, a jump counted as a gap (a retransmit request).
    const receive = (datagrams: readonly string[]) => {
      let last = -1;
      let gaps = 0;
      const words: string[] = [];
      for (const d of datagrams) {
        const w = d.split(' ').slice(1);
        for (let i = 0; i < w.length;) {
          const header = parseInt(w[i]!, 16);
          const len = (header >>> 16) & 0xff;
          if (header >>> 24 === 0xff) {
            const diff = ((((header & 0xffff) - last) & 0xffff) << 16) >> 16;
            if (diff === 1) {
              words.push(...w.slice(i + 1, i + 1 + len));
              last = header & 0xffff;
            } else if (diff > 1) gaps++;
          }
          i += 1 + len;
        }
      }
      return { words: words.join(' '), last, gaps };
    };
    const sent = notes(0, 200).map(word).join(' ');
    expect(receive(all)).toEqual({ words: sent, last: 9, gaps: 0 });
    // The last idle flush has no successor; every other datagram's loss is repaired by the next one.
    for (let lost = 0; lost < all.length - 1; lost++) expect(receive(all.filter((_, i) => i !== lost))).toEqual({ words: sent, last: 9, gaps: 0 });
  });
});

describe('Invitation Reply: Pending', () => {
  it('Pending stops the invitation resends; Accepted later establishes the session', async () => {
    const h = await harness();
    let settled = false;
    const connecting = h.e.connect('127.0.0.1', h.p.port, { timeoutMs: 2000 }).finally(() => (settled = true));
    expect(await h.p.next()).toBe(OUR_INVITATION);
    h.p.send(hex('4D494449 11020100 70656572 70700000'), h.e.port); // Pending "peer"/"pp"
    await until(() => h.e.stats().datagramsIn === 1);
    h.clock.advance(1500); // without Pending the invitation would be resent every 500 ms
    expect(await h.take()).toEqual([]);
    expect(settled).toBe(false);
    h.p.send(hex('4D494449 10020100 70656572 70700000'), h.e.port); // Accepted
    const link = await connecting;
    expect(link.peerName).toBe('peer');
    expect(link.peerProductInstanceId).toBe('pp');
    expect(link.isOpen).toBe(true);
  });

  it('Pending then silence: connect fails as timeout at its deadline, with Bye 0x80 (invitation cancelled)', async () => {
    const h = await harness();
    const connecting = h.e.connect('127.0.0.1', h.p.port, { timeoutMs: 2000 });
    let outcome: unknown;
    connecting.then(
      () => (outcome = 'resolved'),
      (err: unknown) => (outcome = err),
    );
    expect(await h.p.next()).toBe(OUR_INVITATION);
    h.p.send(hex('4D494449 11020100 70656572 70700000'), h.e.port);
    await until(() => h.e.stats().datagramsIn === 1);
    h.clock.advance(1999);
    await nextTurn();
    expect(outcome).toBeUndefined();
    h.clock.advance(1);
    await expect(connecting).rejects.toMatchObject({ code: 'timeout' });
    expect(await h.p.next()).toBe('4D494449 F0008000');
    expect(h.e.stats().sessions).toBe(0);
  });
});

describe('sequence wrap', () => {
  it('delivers seqs FFFE, FFFF, 0000, 0001 in order, across a gap repaired out of order (int16 difference)', async () => {
    const h = await harness();
    const got: string[] = [];
    await invited(h, got);
    h.send(data(0xfffe, 0x20903c40));
    h.send(data(0x0001, 0x20903c43)); // FFFF and 0000 missing
    expect(await h.take()).toEqual([]);
    h.clock.advance(20);
    expect(await h.take()).toEqual(['4D494449 8001FFFF 00020000']);
    h.send(`${data(0x0000, 0x20903c42)} ${data(0xffff, 0x20903c41)} ${data(0xfffe, 0x20903c40)}`);
    await h.take();
    expect(got).toEqual(['20903C40', '20903C41', '20903C42', '20903C43']);
    expect(h.e.stats()).toMatchObject({ gapsSkipped: 0, fecDuplicatesDropped: 1 });
    h.clock.advance(5_000);
    expect(await h.take()).toEqual([]);
  });

  it('sending side: numbers wrap to 0, FEC and retransmit ranges span the wrap, and exactly the last `capacity` commands are held', () => {
    for (const capacity of [1024, 1000]) {
      const w = new SendWindow(capacity, 2);
      const seqs: number[] = [];
      let datagram: number[] = [];
      for (let i = 0; i < 0x10000 + 2; i++) {
        const cmds = w.push(new Uint32Array(0));
        seqs.push(cmds[0]!.seq);
        datagram = w.pack(cmds)[0]!.map((c) => c.seq);
      }
      expect(seqs.slice(0xfffe, 0x10002)).toEqual([0xfffe, 0xffff, 0, 1]);
      expect(datagram).toEqual([0xffff, 0, 1]);
      expect(w.range(0xfffe, 3).map((c) => c.seq)).toEqual([0xfffe, 0xffff, 0]);
      let held = 0;
      for (let back = 1; back <= capacity + 1; back++) if (w.get((2 - back) & 0xffff)) held++;
      expect(held).toBe(capacity);
    }
  });

  it('FEC copies come out even when retransmitBuffer is smaller than fec', () => {
    const w = new SendWindow(1, 2);
    w.pack(w.push(Uint32Array.of(0x20903c40)));
    w.pack(w.push(Uint32Array.of(0x20903c41)));
    const [d] = w.pack(w.push(Uint32Array.of(0x20903c42)));
    expect(d!.map((x) => x.seq)).toEqual([0, 1, 2]);
    expect(w.get(0)).toBeUndefined(); // the ring holds 1: the copies do not come from it
  });
});

describe('Bye', () => {
  it('delivers the UMP Data that comes before a Bye in the same datagram, then the link goes down "bye"', async () => {
    const h = await harness();
    const events: string[] = [];
    const link = await invited(h, events);
    const down = new Promise<LinkDown>((resolve) =>
      link.onDown((d) => {
        events.push(`down ${d.reason}`);
        resolve(d);
      }),
    );
    h.send(`${data(1, 0x20903c41)} ${data(2, 0x20903c42)} F0000100`); // two commands, then Bye (user terminated)
    expect(await h.take()).toEqual(['4D494449 F1000000']);
    await down;
    expect(events).toEqual(['20903C41', '20903C42', 'down bye']);
    expect(h.e.stats()).toMatchObject({ commandsDelivered: 2, sessions: 0 });
  });

  it('ends the session at the Bye: an Invitation after it in the same datagram does not revive it; one sent on its own opens a new session', async () => {
    const h = await harness();
    const first = await invited(h);
    const down = new Promise<LinkDown>((resolve) => first.onDown(resolve));
    const announced: Nm2Link[] = [];
    h.e.onSession((l) => announced.push(l));
    h.send(`F0000100 ${INVITATION.slice('4D494449 '.length)}`); // Bye (user terminated), then Invitation "peer"/"pp"
    expect(await h.take()).toEqual(['4D494449 F1000000']);
    expect((await down).reason).toBe('bye');
    expect(announced).toEqual([]);
    expect(h.e.stats()).toMatchObject({ sessions: 0, sessionsEstablished: 1 });
    h.p.send(hex(INVITATION), h.e.port);
    expect(await h.take()).toEqual([ACCEPTED]);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.isOpen).toBe(true);
    expect(h.e.stats()).toMatchObject({ sessions: 1, sessionsEstablished: 2 });
  });
});

describe('Ping Reply with an id we never sent', () => {
  it('is ignored (no NAK 0x20) but counts as liveness', async () => {
    const h = await harness({ timeoutMs: 1000 });
    const link = await invited(h);
    const down = new Promise<LinkDown>((resolve) => link.onDown(resolve));
    h.send('21010000 DEADBEEF');
    expect(await h.take()).toEqual([]);
    expect(h.e.stats().naksSent).toBe(0);
    h.clock.advance(900);
    const before = h.e.stats().datagramsIn;
    h.send('21010000 0BADF00D');
    await until(() => h.e.stats().datagramsIn === before + 1);
    h.clock.advance(900); // 1800 ms since the last Ping round trip, 900 since the stray reply
    expect(link.isOpen).toBe(true);
    h.clock.advance(200);
    expect((await down).reason).toBe('timeout');
    expect(await h.take()).toEqual(['4D494449 F0000400']);
  });
});
