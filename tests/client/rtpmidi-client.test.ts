import { afterEach, describe, expect, it } from 'vitest';
import { JobAccepted, JobDispatch, JobResult, ToolInvoke, createClient } from '../../generated/index.ts';
import { intents, topics } from '../../generated/registry.ts';
import { NetworkBus } from '../../runtime/index.ts';
import { transports, type TransportListener } from '../../runtime/transports/index.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { until } from '../helpers/until.ts';

/**
 * The generated clients of idl/ over a real RTP-MIDI session on 127.0.0.1: an authority bus serving an
 * `rtpmidi://` listener and a client bus that invited it, the bus frames riding SysEx7 + Mcoded7 in
 * AppleMIDI datagrams. Publish/subscribe both ways and typed request/reply.
 */

const busErrors = collectBusErrors();
const transportErrors: unknown[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  expect(transportErrors.splice(0)).toEqual([]);
});

const registry = { topics: Object.values(topics), intents: Object.values(intents) };

async function rtpMidiPair() {
  const authority = new NetworkBus({ name: 'rtp authority', ...registry, onError: busErrors.for('authority') });
  cleanups.push(() => authority.close());
  const listener: TransportListener = await transports.listen('rtpmidi://127.0.0.1:0', { name: 'rtp authority', onError: (e) => transportErrors.push(e) });
  cleanups.push(() => listener.close());
  listener.onSession((link) => authority.accept(link));
  const client = new NetworkBus({ name: 'rtp client', ...registry, onError: busErrors.for('client') });
  cleanups.push(() => client.close());
  await client.connect(await transports.connect(listener.url, { name: 'rtp client', timeoutMs: 10_000, onError: (e) => transportErrors.push(e) }));
  return { host: createClient(authority), app: createClient(client), listenerUrl: listener.url };
}

describe('generated clients over RTP-MIDI', () => {
  it('typed request/reply: the client asks, the authority serves', async () => {
    const { host, app, listenerUrl } = await rtpMidiPair();
    expect(listenerUrl).toMatch(/^rtpmidi:\/\/127\.0\.0\.1:\d*[02468]$/);
    const asked: JobDispatch[] = [];
    await host.gpu.job.dispatch.serve((job, d) => {
      asked.push(job);
      return { jobId: `job-${job.pipelineId}`, queuePosition: job.outputs.length, resultTopic: `gpu/job.result/${d.corr}` };
    }).ready;
    const job: JobDispatch = { ...JobDispatch.example(), pipelineId: 'blur' };
    const accepted: JobAccepted = await app.gpu.job.dispatch.request(job);
    expect(accepted).toMatchObject({ jobId: 'job-blur', queuePosition: job.outputs.length });
    expect(asked).toEqual([JobDispatch.decode(JobDispatch.encode(job))]);
  }, 20_000);

  it('publish/subscribe both ways, a message larger than one datagram included', async () => {
    const { host, app } = await rtpMidiPair();
    // Authority → client, with {corr} parameters.
    const results: JobResult[] = [];
    const corrs: string[] = [];
    // A publication reaches the subscriptions the authority knows of: ready once they arrived there.
    await app.gpu.job.result.subscribe({ corr: 42n }, (r) => void results.push(r)).ready;
    await app.gpu.job.result.subscribe((_r, d) => void corrs.push(d.params.corr)).ready;
    const done: JobResult = { ...JobResult.example(), jobId: 'j42', status: 'ok' };
    await host.gpu.job.result.publish({ corr: 42n }, done);
    await host.gpu.job.result.publish({ corr: 'other' }, { ...done, jobId: 'j7' });
    await until(() => corrs.length >= 2, 5_000, 'both results at the client');
    expect(results).toEqual([JobResult.decode(JobResult.encode(done))]);
    expect(corrs).toEqual(['42', 'other']);

    // Client → authority: 20 KB of arguments, far more than one 1200-byte RTP-MIDI datagram.
    const invoked: ToolInvoke[] = [];
    await host.llm.tool.invoke.subscribe((t) => void invoked.push(t)).ready;
    const big: ToolInvoke = { corr: 'c-1', tool: 'echo', arguments: { text: 'x'.repeat(20_000) } };
    await app.llm.tool.invoke.publish(big);
    await until(() => invoked.length >= 1, 5_000, 'the tool invocation at the authority');
    expect(invoked).toEqual([ToolInvoke.decode(ToolInvoke.encode(big))]);
  }, 20_000);
});
