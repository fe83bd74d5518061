/**
 * The UMP Data stream on its own, through the small interface it has with its session: what it
 * transmits now, what it adds to the answer of the datagram being handled, what it hands over, and that
 * a stopped stream does nothing more. (session.test.ts drives the same paths end to end on the wire.)
 */
import { describe, expect, it } from 'vitest';
import type { Nm2Command } from '../../../runtime/transports/nm2/commands.ts';
import { UmpDataStream, type DataStreamOwner } from '../../../runtime/transports/nm2/data-stream.ts';
import { newStats } from '../../../runtime/transports/nm2/stats.ts';
import { DEFAULT_NM2_TUNING } from '../../../runtime/transports/nm2/tuning.ts';
import { FakeClock } from './fake-clock.ts';

/** What the stream asked of its owner, in order: `transmit` and `reply` as command lists, `deliver` as words. */
function recordingOwner() {
  const clock = new FakeClock();
  const log: string[] = [];
  const show = (cmds: Nm2Command[]) =>
    cmds
      .map((c) => (c.type === 'ump-data' ? `data ${c.seq}${c.words.length ? ` [${[...c.words].map((w) => w.toString(16)).join(' ')}]` : ''}` : c.type))
      .join(', ');
  const owner: DataStreamOwner = {
    clock,
    stats: newStats(),
    transmit: (cmds) => log.push(`transmit ${show(cmds)}`),
    reply: (cmds) => log.push(`reply ${show(cmds)}`),
    deliver: (words) => log.push(`deliver ${[...words].map((w) => w.toString(16)).join(' ')}`),
  };
  return { clock, owner, log };
}
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('UmpDataStream', () => {
  it('sends one synchronous burst as one transmit, answers a Retransmit Request into the reply, and idle-flushes fec + 1 times', async () => {
    const { clock, owner, log } = recordingOwner();
    const stream = new UmpDataStream(owner, { ...DEFAULT_NM2_TUNING, fec: 1, idleFlushMs: 100 });
    stream.send(Uint32Array.of(0x20903c40));
    stream.send(Uint32Array.of(0x20903c41));
    await nextTurn();
    expect(log.splice(0)).toEqual(['transmit data 0 [20903c40 20903c41]']);
    stream.retransmitRequested(0, 2); // seq 1 is not sent yet: seq 0 alone is resent, and no error (seq 0 is held)
    expect(log.splice(0)).toEqual(['reply data 0 [20903c40 20903c41]']);
    stream.retransmitRequested(1, 1);
    expect(log.splice(0)).toEqual(['reply retransmit-error']); // nothing held from seq 1 on
    clock.advance(1000);
    expect(log.splice(0)).toEqual(['transmit data 0 [20903c40 20903c41], data 1', 'transmit data 1, data 2']);
    expect(owner.stats).toMatchObject({ retransmitsServed: 1, retransmitErrorsSent: 1 });
  });

  it('hands over in order once the datagram is handled; a restart of the receiving side keeps what already arrived', () => {
    const { owner, log } = recordingOwner();
    const stream = new UmpDataStream(owner, DEFAULT_NM2_TUNING);
    stream.receive(7, Uint32Array.of(0x20903c47));
    stream.receive(8, Uint32Array.of(0x20903c48));
    expect(log).toEqual([]); // nothing before the datagram is handled
    stream.restartReceiving();
    stream.receive(0, Uint32Array.of(0x20903c40)); // numbered anew after a Session Reset
    stream.handOver();
    expect(log.splice(0)).toEqual(['deliver 20903c47', 'deliver 20903c48', 'deliver 20903c40']);
    expect(owner.stats.commandsDelivered).toBe(3);
  });

  it('once stopped sends no queued burst, no idle flush and no Retransmit Request, and hands nothing over', async () => {
    const { clock, owner, log } = recordingOwner();
    const stream = new UmpDataStream(owner, DEFAULT_NM2_TUNING);
    stream.send(Uint32Array.of(0x20903c40));
    await nextTurn();
    expect(log.splice(0)).toHaveLength(1);
    stream.receive(1, Uint32Array.of(0x20903c41));
    stream.receive(3, Uint32Array.of(0x20903c43)); // seq 2 missing: a gap is being watched
    stream.handOver();
    expect(log.splice(0)).toEqual(['deliver 20903c41']);
    stream.send(Uint32Array.of(0x20903c42)); // queued for the end of the burst
    stream.stop();
    await nextTurn();
    clock.advance(60_000);
    stream.receive(4, Uint32Array.of(0x20903c44));
    stream.handOver();
    expect(log).toEqual([]);
    expect(owner.stats).toMatchObject({ retransmitsRequested: 0, gapsSkipped: 0 });
  });
});
