import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { emitAll } from '../../compiler/emitters/index.ts';
import { compile } from '../../compiler/program.ts';
import { ALL_CAPABILITIES, LoopbackHub, withMembers } from '../../runtime/index.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * Adding topics and intents to a schema never moves or renames a member of the existing client: the
 * generated client of the base schema and of the grown one are built over a real bus, every member path
 * is walked, and each old path must still hold the same topic or intent with the same operations. The
 * output goes below tmp/ (git ignores it) so that the runtime import resolves as it does for generated/.
 */
const root = repoPath('tmp');
mkdirSync(root, { recursive: true });
const dir = mkdtempSync(join(root, 'stable-shapes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = `package shapes;
version "1.0.0";

struct Job {
  id: u32 @1;
}

struct Ack {
  ok: bool @1;
}
`;

const BASE_TOPICS = `
topic nvm/results/{corr} {
  payload: Job;
}

topic gpu/job.dispatch {
  payload: Job;
  reply: Ack;
}

topic telemetry/resource-usage {
  payload: Ack;
}

topic a/b {
  payload: Job;
  reply: Ack;
}

topic a/{x}/deep {
  payload: Job;
}

intent plan.run {
  body: Job;
  reply: Ack;
  http: POST "/plan/run";
  service: planner;
}
`;

/** The nvm case of issue 11, siblings, deeper children (by '/' and by '.'), parameterised segments,
 * children named like operations, a topic under `intents`, intents above and below existing ones. */
const ADDED = `
topic nvm/results/{corr}/chunks {
  payload: Job;
}

topic nvm/results/{corr}/chunks/{index}/retry {
  payload: Job;
}

topic nvm/status {
  payload: Ack;
}

topic gpu/job.dispatch.retry {
  payload: Job;
}

topic gpu/job.dispatch/{corr}/request {
  payload: Job;
}

topic gpu/job {
  payload: Job;
}

topic telemetry/resource-usage/{node}/topic {
  payload: Ack;
}

topic a/b/c/d {
  payload: Job;
}

topic a/b/{y}/publish.serve {
  payload: Job;
}

topic a/{x}/deep/then {
  payload: Job;
}

topic intents/plan {
  payload: Job;
}

intent plan {
  body: Job;
  reply: Ack;
  http: POST "/plan";
  service: planner;
}

intent plan.run.fast {
  body: Job;
  http: POST "/plan/run/fast";
  service: planner;
}

intent plan.run.name {
  body: Job;
  http: POST "/plan/run/name";
  service: planner;
}
`;

type Surface = Map<string, string>;

/** Every member path of a client tree: `path → topic <address> [ops]` or `intent <name> [ops]`. */
function surface(node: unknown, path: string, out: Surface = new Map()): Surface {
  const record = node as Record<string, unknown>;
  const desc = record['topic'] ?? record['intent'];
  const ops = Object.keys(record)
    .filter((k) => typeof record[k] === 'function' && (k === 'publish' || k === 'subscribe' || k === 'request' || k === 'serve'))
    .sort();
  if (record['topic']) out.set(path, `topic ${(desc as { address: string }).address} [${ops.join(',')}]`);
  if (record['intent']) out.set(path, `intent ${(desc as { name: string }).name} [${typeof node === 'function' ? 'call,' : ''}${ops.join(',')}]`);
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (key === 'topic' || key === 'intent' || (typeof child !== 'object' && typeof child !== 'function')) continue;
    if (ops.includes(key)) continue;
    surface(child, `${path}.${key}`, out);
  }
  return out;
}

interface Built {
  surface: Surface;
  errors: string[];
  /** Runs `use` with the schema's client over a fresh loopback bus, closed afterwards. */
  withClient(use: (client: unknown) => void | Promise<void>): Promise<void>;
}

async function build(name: string, schema: string): Promise<Built> {
  const schemaDir = join(dir, name);
  mkdirSync(schemaDir, { recursive: true });
  writeFileSync(join(schemaDir, 'main.midl'), schema);
  const { ir, hasErrors, diagnostics } = compile([join(schemaDir, 'main.midl')]);
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
  const withClient = async (use: (client: unknown) => void | Promise<void>) => {
    const mod = (await import(pathToFileURL(join(schemaDir, 'gen', 'client.ts')).href)) as { createClient(bus: unknown): unknown };
    const bus = new LoopbackHub().connect({ capabilities: ALL_CAPABILITIES });
    try {
      await use(mod.createClient(bus));
    } finally {
      await bus.close();
    }
  };
  if (hasErrors) return { surface: new Map(), errors, withClient };
  const out = join(schemaDir, 'gen');
  for (const f of emitAll(ir, { runtimeImport: '../../../../runtime/index.ts' })) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true });
    writeFileSync(join(out, f.path), f.content);
  }
  let surfaceOf: Surface = new Map();
  await withClient((client) => {
    surfaceOf = surface(client, 'client');
  });
  return { surface: surfaceOf, errors, withClient };
}

describe('client shapes are stable when a schema grows', () => {
  it('adding topics and intents leaves every existing member where it was, with the same operations', async () => {
    const base = await build('base', HEADER + BASE_TOPICS);
    expect(base.errors).toEqual([]);
    expect(base.surface.get('client.nvm.results')).toBe('topic nvm/results/{corr} [publish,subscribe]');
    expect(base.surface.get('client.gpu.job.dispatch')).toBe('topic gpu/job.dispatch [publish,request,serve,subscribe]');
    expect(base.surface.size).toBe(6);

    const grown = await build('grown', HEADER + BASE_TOPICS + ADDED);
    expect(grown.errors).toEqual([]);
    for (const [path, member] of base.surface) expect(grown.surface.get(path), path).toBe(member);
    // Each added topic sits at the path its own address gives, with operations of its own.
    expect(Object.fromEntries([...grown.surface].filter(([path]) => !base.surface.has(path)))).toEqual({
      'client.nvm.results.chunks': 'topic nvm/results/{corr}/chunks [publish,subscribe]',
      'client.nvm.results.chunks.retry': 'topic nvm/results/{corr}/chunks/{index}/retry [publish,subscribe]',
      'client.nvm.status': 'topic nvm/status [publish,subscribe]',
      'client.gpu.job': 'topic gpu/job [publish,subscribe]',
      'client.gpu.job.dispatch.retry': 'topic gpu/job.dispatch.retry [publish,subscribe]',
      'client.gpu.job.dispatch.request$': 'topic gpu/job.dispatch/{corr}/request [publish,subscribe]',
      'client.telemetry.resourceUsage.topic$': 'topic telemetry/resource-usage/{node}/topic [publish,subscribe]',
      'client.a.b.c.d': 'topic a/b/c/d [publish,subscribe]',
      'client.a.b.publish$.serve$': 'topic a/b/{y}/publish.serve [publish,subscribe]',
      'client.a.deep.then$': 'topic a/{x}/deep/then [publish,subscribe]',
      'client.intents$.plan': 'topic intents/plan [publish,subscribe]',
      'client.intents.plan': 'intent plan [call,serve]',
      'client.intents.plan.run.fast': 'intent plan.run.fast [call,serve]',
      'client.intents.plan.run.name$': 'intent plan.run.name [call,serve]',
    });
  });

  it('a node that is a topic or intent and has children works as both over a bus', async () => {
    const grown = await build('grown-use', HEADER + BASE_TOPICS + ADDED);
    expect(grown.errors).toEqual([]);
    type Sub = { unsubscribe(): void };
    type Node = {
      request(v: unknown, o?: unknown): Promise<unknown>;
      serve(r: (v: { id: number }) => unknown): Sub;
      publish(...a: unknown[]): Promise<void>;
      subscribe(p: unknown, h: (v: unknown, d: { params: unknown }) => void): Sub;
    };
    await grown.withClient(async (client) => {
      const c = client as {
        gpu: { job: { dispatch: Node } };
        nvm: { results: Node & { chunks: Node } };
        intents: { plan: ((body: unknown) => Promise<unknown>) & { serve(r: (b: { id: number }) => unknown): Sub; run: (body: unknown) => Promise<unknown> } };
      };
      c.gpu.job.dispatch.serve((job) => ({ ok: job.id === 7 }));
      expect(await c.gpu.job.dispatch.request({ id: 7 }, { timeoutMs: 2000 })).toEqual({ ok: true });

      const chunks: unknown[] = [];
      const results: unknown[] = [];
      c.nvm.results.chunks.subscribe({ corr: 3 }, (v, d) => chunks.push([v, d.params]));
      c.nvm.results.subscribe({ corr: 3 }, (v, d) => results.push([v, d.params]));
      await c.nvm.results.chunks.publish({ corr: 3 }, { id: 1 });
      await c.nvm.results.publish({ corr: 3 }, { id: 2 });
      await expect.poll(() => chunks.length + results.length, { timeout: 2000 }).toBe(2);
      expect(chunks).toEqual([[{ id: 1 }, { corr: '3' }]]);
      expect(results).toEqual([[{ id: 2 }, { corr: '3' }]]);

      c.intents.plan.serve((body) => ({ ok: body.id === 5 }));
      expect(await c.intents.plan({ id: 5 })).toEqual({ ok: true });
      expect(typeof c.intents.plan.run).toBe('function');
    });
  });

  it('withMembers refuses a member that would shadow one of the node', () => {
    expect(() => withMembers({ publish: () => undefined }, { publish: {} })).toThrow(/publish would shadow/);
    const node = withMembers(
      Object.assign(() => 1, { serve: 2 }),
      { run: 3 },
    );
    expect([node(), node.serve, node.run, Object.isFrozen(node)]).toEqual([1, 2, 3, true]);
  });

  it('a topic whose client path is taken is refused, naming both, and the schema without it is unchanged', async () => {
    const clash = await build('clash', HEADER + BASE_TOPICS + '\ntopic nvm/results {\n  payload: Job;\n}\n');
    expect(clash.errors).toEqual([expect.stringMatching(/^MIDL1414 .*'nvm\/results'.*'nvm\/results\/\{corr\}'.*client\.nvm\.results/)]);
  });
});
