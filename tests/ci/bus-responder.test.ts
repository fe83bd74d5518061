import { afterEach, describe, expect, it } from 'vitest';
import {
  BROADCAST_MUID,
  CiLinkResponder,
  CiResponder,
  ciSysEx7Data,
  decodeCiMessage,
  encodeCiMessage,
  loopbackLinkPair,
  packSysEx7,
} from '../../runtime/index.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, until, type Pair } from '../bus/network-peers.ts';

// A NetworkBus with a MIDI-CI responder on its foreign traffic: group-0 CI SysEx7 is answered on the link
// it came on, next to (never instead of) the bus's own group-0 control frames.
const busErrors = collectBusErrors();
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const discovery = (source: number) =>
  packSysEx7(
    encodeCiMessage({
      kind: 'discovery',
      deviceId: 0x7f,
      version: 2,
      source,
      destination: BROADCAST_MUID,
      manufacturer: [0x7d, 0, 0],
      family: 0,
      model: 0,
      softwareRevision: [0, 0, 0, 0],
      categories: 0x0c,
      maxSysExSize: 512,
      outputPathId: 0,
    }),
    { group: 0 },
  );

describe('NetworkBus with a MIDI-CI responder', () => {
  it('answers a Discovery on the link it came from, while a bus session on another link goes on', async () => {
    const ciErrors: unknown[] = [];
    const ci = new CiLinkResponder(new CiResponder(), { onError: (e) => ciErrors.push(e) });
    const printed: Uint32Array[] = [];
    pair = await connectedPair({
      errors: busErrors,
      authority: {
        onForeignUmp: (words, from, answer) => {
          if (!ci.take(words, answer, from)) printed.push(words);
        },
      },
    });
    const [device, deviceSide] = loopbackLinkPair({ names: ['ci device', 'authority'] });
    const answers: Uint32Array[] = [];
    device.onReceive((w) => answers.push(w));
    pair.authority.accept(deviceSide);
    device.send(discovery(0x0111111));
    // The bus client's own link carries CI too; its answer goes back there, not to the device.
    pair.link().send(discovery(0x0222222));
    device.send(Uint32Array.of(0x20903c64));
    await until(() => answers.length > 0 && printed.length === 1 && ci.received === 2);
    const reply = decodeCiMessage(ciSysEx7Data(Uint32Array.from(answers.flatMap((w) => [...w])))!);
    expect(reply).toMatchObject({ kind: 'discovery-reply', destination: 0x0111111, source: ci.responder.muid });
    expect(printed).toEqual([Uint32Array.of(0x20903c64)]);
    const dispatch = topics['gpu/job.dispatch'];
    const got: unknown[] = [];
    await pair.authority.subscribe(dispatch, (v) => void got.push(v)).ready;
    await pair.client.publish(dispatch, dispatch.payload.example());
    await until(() => got.length === 1);
    expect(ciErrors).toEqual([]);
    await device.close();
  });
});
