// Nothing reported delivered that was not: a refused message whose NACK is lost on the way must not be
// counted as delivered when a later ACK's floor passes its seq. The ACK lists the seqs it covers but
// does not acknowledge (refused lately), so the sender sends the frame again and hears the refusal again.
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkBus, UmpError, UmpReader, isBusError, loopbackLinkPair } from '../../runtime/index.ts';
import { ControlKind, decodeControl } from '../../runtime/lanes/control.ts';
import { CONTROL_SUB_ID, frameOf } from '../../runtime/lanes/frame.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { registry } from './network-peers.ts';

const busErrors = collectBusErrors();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const heartbeat = topics['session/heartbeat'];

describe('a NACK lost on the way', () => {
  it('does not let a later ACK count the refused message as delivered: the publisher still hears the refusal', async () => {
    // The authority → client direction loses the first datagram that carries a NACK, and nothing else.
    const reader = new UmpReader();
    let droppedNacks = 0;
    const [mine, theirs] = loopbackLinkPair({
      names: ['client', 'authority'],
      filter: (words, direction) => {
        if (direction !== 1) return true;
        let nack = false;
        for (const ev of reader.push(words)) {
          if (ev instanceof UmpError || ev.kind !== 'sysex8') continue;
          const f = frameOf(ev.data);
          if (f?.subId === CONTROL_SUB_ID && decodeControl(f.body).kind === ControlKind.Nack) nack = true;
        }
        if (!nack || droppedNacks > 0) return true;
        droppedNacks++;
        return false;
      },
    });
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    cleanup.push(() => authority.close());
    let calls = 0;
    // The first message fails in the handler, so the authority refuses it (`undelivered`); the second is taken.
    await authority.subscribe(
      heartbeat,
      () => {
        if (++calls === 1) throw new Error('the disk is full');
      },
      { ackAfterHandler: true },
    ).ready;
    authority.accept(theirs);
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
    cleanup.push(() => client.close());
    await client.connect(mine, { timeoutMs: 3_000 });

    const first = client.publish(heartbeat, heartbeat.payload.example(), { qos: 'at_least_once' });
    const firstOutcome = first.then(
      () => 'delivered',
      (err: unknown) => (isBusError(err, 'undelivered') ? 'refused: undelivered' : `refused: ${String(err)}`),
    );
    await new Promise((r) => setTimeout(r, 30));
    await client.publish(heartbeat, heartbeat.payload.example(), { qos: 'at_least_once' });
    expect(droppedNacks).toBe(1);
    expect(await firstOutcome).toBe('refused: undelivered');
    busErrors.claim({ bus: 'authority', message: /the disk is full/ }, 1);
  });
});
