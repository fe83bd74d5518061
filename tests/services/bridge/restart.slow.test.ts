import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NetworkBus } from '../../../runtime/index.ts';
import { connectNm2 } from '../../../runtime/transports/index.ts';
import { CapabilityMask, FlexEnvelope, FlexError, intents, topics, type FlexReply } from '../../../generated/index.ts';
import { stackTraceLines } from '../../helpers/cli.ts';
import { killAll, startMidl } from '../../helpers/midl-process.ts';
import { SEED_ENVELOPE } from '../../helpers/seed-001.ts';
import { until } from '../../helpers/until.ts';
import { startService } from './planner-service.ts';

/**
 * The Flex bridge across a crash (issue 15): `midl bridge --journal DIR` is killed with SIGKILL while a
 * call hangs at the planner; started again on the same port and journal, it answers that call
 * INTERRUPTED once it listens, and the device, reconnected after the answer went out, learns it by
 * sending the envelope again: REPLAYED with the journaled final reply in `detail.final`.
 */
const CLI_MS = 15_000;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => killAll());

/** A device: a NetworkBus client over Network MIDI 2.0 (UDP) named `pedal`, so the bridge knows it as `peer pedal` across reconnects. */
async function device(url: string, errors: unknown[]) {
  const link = await connectNm2(url, { name: 'pedal', timeoutMs: CLI_MS });
  const bus = new NetworkBus({
    name: 'pedal',
    topics: Object.values(topics),
    intents: Object.values(intents),
    capabilities: CapabilityMask.maskOf('flex.send'),
    onError: (e) => void errors.push(e),
  });
  cleanups.push(async () => {
    await bus.close();
    await link.close();
  });
  await bus.connect(link);
  const replies: FlexReply[] = [];
  const heard: ((r: FlexReply) => void)[] = [];
  await bus.subscribe(topics['flex/reply/{corr}'], (r) => {
    for (const h of heard) h(r);
    replies.push(r);
  }).ready;
  return { bus, replies, heard, send: (json: object) => bus.publish(topics['flex/envelope'], FlexEnvelope.fromJSON(json)) };
}

describe('midl bridge across a crash', () => {
  it('kill -9 mid-call, restarted on the same port and journal: the call is answered INTERRUPTED, and the device that missed it hears it as REPLAYED detail.final', async () => {
    const planner = await startService(() => 'hang');
    cleanups.push(() => planner.close());
    const journal = await mkdtemp(join(tmpdir(), 'midl-bridge-restart-'));
    cleanups.push(() => rm(journal, { recursive: true, force: true }));
    const bridgeArgs = (listen: string) => [
      'bridge',
      '--listen',
      listen,
      '--service',
      `planner=${planner.baseUrl}`,
      '--journal',
      journal,
      '--timeout',
      '60000',
    ];
    const first = startMidl(bridgeArgs('udp://127.0.0.1:0'));
    const url = (await first.waitFor(/^listening on (udp:\/\/127\.0\.0\.1:\d+)$/m, CLI_MS))[1]!;

    const errors: unknown[] = [];
    const before = await device(url, errors);
    const requestFile = join(journal, 'peer%20pedal', 'crash-1-req.json');
    let onDiskAtAck: boolean | undefined;
    before.heard.push((r) => {
      if (r.corr === 'crash-1' && onDiskAtAck === undefined) onDiskAtAck = existsSync(requestFile);
    });
    const envelope = { ...SEED_ENVELOPE, corr: 'crash-1', ts: Date.now() };
    await before.send(envelope);
    await until(() => before.replies.length > 0 && planner.received.length === 1, CLI_MS, 'the ack and the planner call');
    expect(before.replies).toMatchObject([{ corr: 'crash-1', ack: true, label: 'ack planner.execute' }]);
    // The request was journaled before the ack went out (the fsync is not observable, the file is).
    expect(onDiskAtAck).toBe(true);
    expect(await first.stop('SIGKILL')).toBeNull();
    expect((await readdir(join(journal, 'peer%20pedal'))).filter((f) => !f.startsWith('.'))).toEqual(['crash-1-req.json']);

    const second = startMidl(bridgeArgs(url));
    await second.waitFor(/1 call in flight at the last stop answered INTERRUPTED/, CLI_MS);
    // Answered once the listener was up (a device reconnecting at once can hear it), not before.
    expect(second.stderr().indexOf(`listening on ${url}`)).toBeGreaterThanOrEqual(0);
    expect(second.stderr().indexOf(`listening on ${url}`)).toBeLessThan(second.stderr().indexOf('answered INTERRUPTED'));
    const res = JSON.parse(await readFile(join(journal, 'peer%20pedal', 'crash-1-res.json'), 'utf8')) as { recovered: boolean; reply: FlexReply };
    expect(res).toMatchObject({ recovered: true, reply: { corr: 'crash-1', ack: true, error: { code: FlexError.INTERRUPTED, kind: 'interrupted' } } });

    // The device reconnects after the answer went out: it missed it, and sends the envelope again.
    const after = await device(url, errors);
    await after.send(envelope);
    await until(() => after.replies.length > 0, CLI_MS, 'the refusal');
    expect(after.replies).toHaveLength(1);
    expect(after.replies[0]).toMatchObject({ corr: 'crash-1', ack: false, error: { code: FlexError.REPLAYED, kind: 'replayed' } });
    expect(after.replies[0]!.error!.detail).toEqual({ final: res.reply });
    expect(planner.received).toHaveLength(1);
    expect((await readdir(join(journal, 'peer%20pedal'))).sort()).toEqual(['crash-1-req.json', 'crash-1-res.json']);

    expect(await second.stop('SIGINT'), second.stderr()).toBe(0);
    expect(stackTraceLines(first.stderr() + second.stderr())).toEqual([]);
    expect(second.stderr()).not.toMatch(/warning/);
    expect(errors).toEqual([]);
  }, 60_000);
});
