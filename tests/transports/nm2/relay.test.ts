import { afterEach, describe, expect, it } from 'vitest';
import { Nm2Endpoint, type Nm2Link } from '../../../runtime/transports/nm2/index.ts';
import { startRelay, type Relay } from '../../helpers/udp-relay.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const TOTAL = 10_000;
const BURST = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends TOTAL two-word UMPs (word 1 = index) from a to b through a lossy relay; returns what b got. */
async function transfer(loss: number, seed: number) {
  const b = await Nm2Endpoint.listen({ name: 'receiver' });
  cleanup.push(() => b.close());
  const relay: Relay = await startRelay({ target: { host: '127.0.0.1', port: b.port }, seed, loss, duplicate: 0.02, reorder: 0.05, maxDelayMs: 5 });
  cleanup.push(() => relay.close());
  const a = await Nm2Endpoint.listen({ name: 'sender' });
  cleanup.push(() => a.close());
  const accepted = new Promise<Nm2Link>((resolve) => b.onSession(resolve));
  const la = await a.connect('127.0.0.1', relay.port, { timeoutMs: 3000 });
  const lb = await accepted;
  const got: number[] = [];
  lb.onReceive((w) => {
    for (let i = 0; i < w.length; i += 2) got.push(w[i + 1]!);
  });
  // 10 UMPs per burst (one UMP Data command of 20 words), a burst per millisecond or so; a 15 ms
  // blackout half-way loses more consecutive commands than FEC can carry, so retransmits must repair it.
  for (let i = 0; i < TOTAL; i += BURST) {
    const burst = new Uint32Array(BURST * 2);
    for (let k = 0; k < BURST; k++) burst.set([0x40903c00, i + k], k * 2);
    la.send(burst);
    if (i === TOTAL / 2) {
      relay.blackout(true);
      setTimeout(() => relay.blackout(false), 15);
    }
    await sleep(1);
  }
  const end = Date.now() + 3000;
  let last = -1;
  while (got.length < TOTAL && Date.now() < end) {
    await sleep(50);
    if (got.length === last && b.stats().commandsSkipped > 0) break; // gave up on the rest for good
    last = got.length;
  }
  return { got, relay: relay.stats(), a: a.stats(), b: b.stats() };
}

describe('NM2 over a lossy relay', () => {
  for (const [loss, seed] of [
    [0.01, 11],
    [0.05, 12],
  ] as const) {
    it(`delivers ${TOTAL} UMPs in order without duplicates at ${loss * 100}% loss, repairing past FEC with retransmits`, async () => {
      const { got, relay, a, b } = await transfer(loss, seed);
      for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!);
      const recovered = got.length / TOTAL;
      console.log(
        `loss ${loss * 100}%: received ${got.length}/${TOTAL} UMPs (${(recovered * 100).toFixed(2)}%); relay ${JSON.stringify(relay)}; ` +
          `receiver: fec duplicates ${b.fecDuplicatesDropped}, retransmit requests ${b.retransmitsRequested}, gaps skipped ${b.gapsSkipped} (${b.commandsSkipped} commands); ` +
          `sender: retransmitted ${a.retransmitsServed}, retransmit errors ${a.retransmitErrorsSent}`,
      );
      // NM2 itself is not reliable: a gap still open at its deadline is skipped (the bus's QoS repairs it
      // above), so the bar is a share. The counters show the relay lost traffic and the repair path ran;
      // how much of each is up to timing.
      expect(recovered).toBeGreaterThan(0.99);
      expect(relay.dropped).toBeGreaterThan(0);
      expect(b.retransmitsRequested).toBeGreaterThan(0);
      expect(a.retransmitsServed).toBeGreaterThan(0);
    }, 15_000);
  }
});
