import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { emitAll } from '../../compiler/emitters/index.ts';
import { compile } from '../../compiler/program.ts';
import { ALL_CAPABILITIES, LoopbackHub } from '../../runtime/index.ts';
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

async function clientSurface(name: string, schema: string): Promise<{ surface: Surface; errors: string[] }> {
  const schemaDir = join(dir, name);
  mkdirSync(schemaDir, { recursive: true });
  writeFileSync(join(schemaDir, 'main.midl'), schema);
  const { ir, hasErrors, diagnostics } = compile([join(schemaDir, 'main.midl')]);
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
  if (hasErrors) return { surface: new Map(), errors };
  const out = join(schemaDir, 'gen');
  for (const f of emitAll(ir, { runtimeImport: '../../../../runtime/index.ts' })) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true });
    writeFileSync(join(out, f.path), f.content);
  }
  const mod = (await import(pathToFileURL(join(out, 'client.ts')).href)) as { createClient(bus: unknown): unknown };
  const bus = new LoopbackHub().connect({ capabilities: ALL_CAPABILITIES });
  try {
    return { surface: surface(mod.createClient(bus), 'client'), errors };
  } finally {
    await bus.close();
  }
}

describe('client shapes are stable when a schema grows', () => {
  it('adding topics and intents leaves every existing member where it was, with the same operations', async () => {
    const base = await clientSurface('base', HEADER + BASE_TOPICS);
    expect(base.errors).toEqual([]);
    expect(base.surface.get('client.nvm.results')).toBe('topic nvm/results/{corr} [publish,subscribe]');
    expect(base.surface.get('client.gpu.job.dispatch')).toBe('topic gpu/job.dispatch [publish,request,serve,subscribe]');
    expect(base.surface.size).toBe(6);

    const grown = await clientSurface('grown', HEADER + BASE_TOPICS + ADDED);
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

  it('a topic whose client path is taken is refused, naming both, and the schema without it is unchanged', async () => {
    const clash = await clientSurface('clash', HEADER + BASE_TOPICS + '\ntopic nvm/results {\n  payload: Job;\n}\n');
    expect(clash.errors).toEqual([expect.stringMatching(/^MIDL1414 .*'nvm\/results'.*'nvm\/results\/\{corr\}'.*client\.nvm\.results/)]);
  });
});
