import { describe, expect, expectTypeOf, it } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import { readLock } from '../../compiler/lock.ts';
import { compile } from '../../compiler/program.ts';
import {
  BufferChunk,
  BufferCreate,
  Capabilities,
  ChatRequest,
  JitterReport,
  PipelineCreate,
  PlannerExecuteRequest,
  CapabilityMask,
  JobAccepted,
  JobDispatch,
  JobResult,
  PlannerReasonRequest,
  PlannerReasonResponse,
  ToolInvoke,
  createClient,
  intents,
  topics,
  topicsById,
  type Client,
} from '../../generated/index.ts';
import { BusError, LoopbackHub, RemoteError, type Bus, type Delivery } from '../../runtime/index.ts';
import { rejection, tick } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { repoPath } from '../helpers/repo.ts';

/** The generated registry and clients of idl/, end to end over the loopback bus. */

const lock = readLock(repoPath('midl.lock'));
const { ir } = compile(expandInputs([repoPath('idl')]), { lockedCapabilityBits: new Map(Object.entries(lock.programs['idl']?.capabilities ?? {})) });
const busErrors = collectBusErrors();
function peers(opts: { requestTimeoutMs?: number } = {}) {
  const hub = new LoopbackHub({ ...opts, onError: busErrors.for('hub') });
  const peer = (...caps: (keyof typeof Capabilities)[]) => {
    const bus = hub.connect({ capabilities: CapabilityMask.maskOf(...caps) });
    return { bus, client: createClient(bus) };
  };
  return { hub, peer };
}

describe('registry matches the IR', () => {
  const maskOfNames = (names: readonly string[]) => names.reduce((m, n) => m | (1n << BigInt(ir.capabilities.find((c) => c.name === n)!.bit)), 0n);

  it('has every capability with its bit, mask and doc, in bit order', () => {
    expect(Object.keys(Capabilities)).toEqual(ir.capabilities.map((c) => c.name));
    for (const c of ir.capabilities) {
      expect(Capabilities[c.name as keyof typeof Capabilities]).toEqual({ bit: c.bit, mask: 1n << BigInt(c.bit), doc: c.doc ?? '' });
    }
    expect(Object.isFrozen(Capabilities)).toBe(true);
  });

  it('has one entry per topic with the IR metadata', () => {
    expect(Object.keys(topics)).toEqual(ir.topics.map((t) => t.address));
    expect(ir.topics).toHaveLength(27);
    for (const t of ir.topics) {
      const e = topics[t.address as keyof typeof topics];
      expect(e).toMatchObject({
        kind: 'topic',
        address: t.address,
        id: t.id,
        params: t.params,
        package: t.package,
        version: t.version,
        qos: t.qos,
        budget: t.budget,
        lane: t.lane,
        maxPayload: t.maxPayload,
        stream: t.stream,
        toolName: t.toolName,
        publish: maskOfNames(t.publish),
        subscribe: maskOfNames(t.subscribe),
      });
      expect(e.payload.typeName).toBe(t.payload);
      expect(e.reply?.typeName).toBe(t.reply);
      expect(e.errors?.name).toBe(t.errors);
      expect(topicsById.get(t.id)).toBe(e);
      expect(lock.programs['idl']?.topics[t.address]).toBe(t.id);
    }
    expect(topicsById.size).toBe(ir.topics.length);
  });

  it('has one entry per intent with method, path and codecs', () => {
    expect(Object.keys(intents)).toEqual(ir.intents.map((i) => i.name));
    expect(ir.intents).toHaveLength(7);
    for (const i of ir.intents) {
      const e = intents[i.name as keyof typeof intents];
      expect(e).toMatchObject({
        kind: 'intent',
        name: i.name,
        toolName: i.toolName,
        method: i.http.method,
        path: i.http.path,
        pathParams: i.http.pathParams,
        service: i.service,
        version: i.version,
      });
      expect(e.body.typeName).toBe(i.body);
      expect(e.reply?.typeName).toBe(i.reply);
      expect(e.errors?.name).toBe(i.errors);
    }
  });

  it('error sets carry the codes and messages of the IR', () => {
    const gpu = ir.errorSets.find((e) => e.name === 'fountain.gpu.GpuError')!;
    const desc = topics['gpu/job.dispatch'].errors!;
    expect(desc.codes).toEqual(Object.fromEntries(gpu.members.map((m) => [m.name, m.value])));
    expect(desc.messages['COMPILE_FAILED']).toBe(gpu.members.find((m) => m.name === 'COMPILE_FAILED')!.message);
  });

  it('CapabilityMask describes masks with unknown bits', () => {
    const m = CapabilityMask.maskOf('gpu.dispatch', 'sse.subscribe') | (1n << 63n);
    expect(CapabilityMask.describe(m)).toEqual(['gpu.dispatch', 'sse.subscribe', 'bit 63']);
    expect(CapabilityMask.hasAll(m, topics['gpu/job.dispatch'].publish)).toBe(true);
    expect(CapabilityMask.hasAll(m, 1n << 62n)).toBe(false);
  });
});

describe('client tree', () => {
  const bus = new LoopbackHub({ onError: busErrors.for('hub') }).connect({ capabilities: 0n });
  const client = createClient(bus);

  it('reaches every topic by its address segments split on / and . (kebab-case in camelCase)', () => {
    for (const t of ir.topics) {
      const path = t.segments
        .flatMap((s) => (s.kind === 'literal' ? s.text.split('.') : []))
        .map((p) => p.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
      const node = path.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], client) as { topic: unknown };
      expect(node.topic, t.address).toBe(topics[t.address as keyof typeof topics]);
    }
    expect(client.telemetry.resourceUsage.topic).toBe(topics['telemetry/resource-usage']);
  });

  it('reaches every intent under intents', () => {
    for (const i of ir.intents) {
      const node = i.name.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], client.intents) as { intent: unknown };
      expect(node.intent).toBe(intents[i.name as keyof typeof intents]);
    }
  });

  it('has request/serve only on topics with a reply type', () => {
    expect(typeof client.gpu.job.dispatch.request).toBe('function');
    expect('request' in client.gpu.job.result).toBe(false);
    expect('serve' in client.telemetry.jitter).toBe(false);
  });

  it('is typed end to end', () => {
    expectTypeOf<typeof client.gpu.job.dispatch.request>().parameter(0).toEqualTypeOf<JobDispatch>();
    expectTypeOf<typeof client.gpu.job.dispatch.request>().returns.resolves.toEqualTypeOf<JobAccepted>();
    expectTypeOf<typeof client.gpu.job.result.publish>().parameter(0).toEqualTypeOf<{ readonly corr: string | number | bigint }>();
    expectTypeOf<typeof client.gpu.job.result.publish>().parameter(1).toEqualTypeOf<JobResult>();
    expectTypeOf<typeof client.intents.planner.reason>().parameter(0).toEqualTypeOf<PlannerReasonRequest>();
    expectTypeOf<typeof client.intents.planner.reason>().returns.resolves.toEqualTypeOf<PlannerReasonResponse>();
    expectTypeOf<Client>().toEqualTypeOf<ReturnType<typeof createClient>>();
    if (Math.random() > 2) {
      // Type errors only; never run.
      // @ts-expect-error gpu/job.result has no reply type
      // eslint-disable-next-line @typescript-eslint/no-unsafe-call -- calling what the type lacks is the point
      void client.gpu.job.result.request({ corr: 1 }, JobResult.example());
      // @ts-expect-error gpu/job.result needs its corr parameter
      void client.gpu.job.result.publish(JobResult.example());
      // @ts-expect-error wrong payload type
      void client.gpu.job.dispatch.publish(JobResult.example());
    }
  });
});

describe('generated clients over the loopback bus', () => {
  it('request/reply is typed and goes through the codecs', async () => {
    const { peer } = peers();
    const host = peer('gpu.host');
    const app = peer('gpu.dispatch');
    const seen: Delivery[] = [];
    host.client.gpu.job.dispatch.serve((job, d) => {
      seen.push(d);
      return { jobId: `job-${job.pipelineId}`, queuePosition: job.outputs.length, resultTopic: `gpu/job.result/${d.corr}` };
    });
    const job: JobDispatch = { ...JobDispatch.example(), pipelineId: 'blur' };
    const accepted: JobAccepted = await app.client.gpu.job.dispatch.request(job);
    expect(accepted).toEqual({ jobId: 'job-blur', queuePosition: 1, resultTopic: `gpu/job.result/${seen[0]!.corr}` });
    expect(seen[0]!.replyTo).toBe(`gpu/job.dispatch/reply/${seen[0]!.corr}`);
    expect(seen[0]!.size).toBe(JobDispatch.encode(job).length);
  });

  it('publish/subscribe with {corr} params: one corr, or all with params in the delivery', async () => {
    const { peer } = peers();
    const host = peer('gpu.host');
    const app = peer('gpu.dispatch');
    const mine: JobResult[] = [];
    const all: string[] = [];
    app.client.gpu.job.result.subscribe({ corr: 42n }, (r) => void mine.push(r));
    app.client.gpu.job.result.subscribe((_r, d) => void all.push(d.params.corr));
    const done: JobResult = { ...JobResult.example(), jobId: 'j42', status: 'ok' };
    await host.client.gpu.job.result.publish({ corr: 42n }, done);
    await host.client.gpu.job.result.publish({ corr: 'other' }, { ...done, jobId: 'j7' });
    await tick();
    expect(mine).toHaveLength(1);
    expect(mine[0]).toEqual(JobResult.decode(JobResult.encode(done)));
    expect(mine[0]!.jobId).toBe('j42');
    expect(all).toEqual(['42', 'other']);
  });

  it('wildcard subscriptions see the topics the session may subscribe to', async () => {
    const { peer } = peers();
    const host = peer('gpu.host');
    const observer = peer('gpu.dispatch', 'gpu.read');
    const seen: string[] = [];
    observer.bus.subscribe('gpu/**', (_v, d) => void seen.push(d.address));
    const star: string[] = [];
    observer.bus.subscribe('gpu/*/{corr}', (_v, d) => void star.push(`${d.topic.address} ${d.params['corr']}`));
    await host.client.gpu.job.result.publish({ corr: 1 }, JobResult.example());
    await host.client.gpu.buffer.data.publish({ corr: 2 }, BufferChunk.example());
    await tick();
    expect(seen).toEqual(['gpu/job.result/1', 'gpu/buffer.data/2']);
    expect(star).toEqual(['gpu/job.result/{corr} 1', 'gpu/buffer.data/{corr} 2']);
  });

  it('forbidden without the capability, as a typed error', async () => {
    const { peer } = peers();
    peer('gpu.host').client.gpu.job.dispatch.serve(() => JobAccepted.example());
    const reader = peer('telemetry.read');
    const err = await rejection(reader.client.gpu.job.dispatch.publish(JobDispatch.example()));
    expect(err.code).toBe('forbidden');
    expect(CapabilityMask.describe(err.required!)).toEqual(['gpu.dispatch']);
    expect((await rejection(reader.client.gpu.job.dispatch.request(JobDispatch.example()))).code).toBe('forbidden');
    let thrown: unknown;
    try {
      reader.client.gpu.job.dispatch.subscribe(() => {});
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(BusError);
    expect((thrown as BusError).code).toBe('forbidden');
  });

  it('refuses a too-large payload before sending', async () => {
    const { peer } = peers();
    const host = peer('llm.host');
    const app = peer('llm.invoke');
    let received = 0;
    host.client.llm.tool.invoke.subscribe(() => {
      received++;
    });
    const big: ToolInvoke = { ...ToolInvoke.example(), arguments: { text: 'x'.repeat(70_000) } };
    const err = await rejection(app.client.llm.tool.invoke.publish(big));
    expect(err.code).toBe('too-large');
    expect(err.limit).toBe(64 * 1024);
    expect(err.size).toBe(ToolInvoke.encode(big).length);
    await app.client.llm.tool.invoke.publish(ToolInvoke.example());
    await tick();
    expect(received).toBe(1);
  });

  it('rejects an invalid payload with the codec issues', async () => {
    const { peer } = peers();
    const app = peer('gpu.dispatch');
    const err = await rejection(app.client.gpu.job.dispatch.publish({ ...JobDispatch.example(), pipelineId: '' }));
    expect(err.code).toBe('invalid-payload');
    expect(err.issues?.[0]?.path).toBe('/pipelineId');
  });

  it('times out a request nobody answers, and carries error-set replies', async () => {
    const { peer } = peers({ requestTimeoutMs: 25 });
    const host = peer('gpu.host');
    const app = peer('gpu.admin');
    host.client.gpu.buffer.create.subscribe(() => {});
    expect((await rejection(app.client.gpu.buffer.create.request(BufferCreate.example()))).code).toBe('timeout');
    host.client.gpu.pipeline.create.serve(() => {
      throw new RemoteError('COMPILE_FAILED');
    });
    const err = await rejection(app.client.gpu.pipeline.create.request(PipelineCreate.example()));
    expect(err.code).toBe('remote');
    expect(err.remote).toEqual({ name: 'COMPILE_FAILED', code: 1001, message: 'WGSL failed to compile; see the diagnostics' });
  });

  it('invokes intents with typed bodies and replies', async () => {
    const { peer } = peers();
    const bridge = peer('flex.bridge');
    const app = peer('flex.send');
    bridge.client.intents.planner.reason.serve((body) => ({
      plan: body.constraints.map((c, i) => ({ ...PlannerReasonResponse.example().plan[0]!, ...{ step: i, action: c } })),
    }));
    const reply = await app.client.intents.planner.reason({ objective: 'summarize', constraints: ['a'] });
    expect(reply).toEqual(PlannerReasonResponse.decode(PlannerReasonResponse.encode(reply)));
    expect((await rejection(app.client.intents.planner.execute(PlannerExecuteRequest.example()))).code).toBe('no-responder');
  });

  it('works over any Bus implementation (the client only calls the interface)', async () => {
    const calls: string[] = [];
    const fake = new Proxy({} as Bus, {
      get:
        (_t, k) =>
        (...args: unknown[]) => (
          calls.push(`${String(k)} ${(args[0] as { address?: string; name?: string }).address ?? (args[0] as { name?: string }).name}`),
          Promise.resolve()
        ),
    });
    const client = createClient(fake);
    await client.telemetry.jitter.publish(JitterReport.example());
    await client.intents.llm.chat(ChatRequest.example());
    expect(calls).toEqual(['publish telemetry/jitter', 'invoke llm.chat']);
  });
});
