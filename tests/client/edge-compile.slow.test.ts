import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import { emitters } from '../../compiler/emitters/index.ts';
import { compile } from '../../compiler/program.ts';
import { repoPath } from '../helpers/repo.ts';
import { typecheckGenerated } from '../helpers/typecheck-generated.ts';

/**
 * Everything `midl gen` writes for the edge-case schema (nested and escaped client keys, a struct named
 * `Client`, a `__proto__` key, two parameters, an intent without reply) compiles under the repo's
 * strict tsconfig, and a program using those clients type-checks. The output goes below tmp/ (git
 * ignores it) so that the runtime and node_modules resolve as they do for generated/.
 */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const USE = `
import { ALL_CAPABILITIES, LoopbackHub } from '../../../runtime/index.ts';
import { Capabilities, Client, createClient, topics, type IntentName, type TopicAddress } from './index.ts';

const c = createClient(new LoopbackHub().connect({ capabilities: ALL_CAPABILITIES }));
const s: Client = { name: 'the schema struct keeps the name' };
const caps: Capabilities = { mask: 1n };
const a1: Promise<{ ok: boolean }> = c.edge.node.request({ key: 1 });
const p1: Promise<void> = c.edge.node.child.publish({ id: 'x' });
const p2: Promise<void> = c.edge.dup.publish$.publish({ p: 'a' }, { name: 'n' });
const p5: Promise<void> = c.edge.dup.publish({ name: 'n' });
const a2: Promise<{ ok: boolean }> = c.edge.resourceUsage.to['3d'].request({ from: 1, to: 2n }, { mask: 3n }, { timeoutMs: 5 });
const p3: Promise<void> = c.edge.x.__proto__$.publish({ ok: true });
const p4: Promise<void> = c.intents$.planner.publish({ ok: true });
const a4: Promise<{ ok: boolean }> = c.intents.planner({ ok: true });
const a3: Promise<{ ok: boolean }> = c.intents.planner.run({ key: 1 });
const v: Promise<void> = c.intents.planner.fire({ ok: true });
const addr: TopicAddress = 'edge/dup/{p}/publish';
const name: IntentName = 'planner.fire';
const id: number = topics['edge/node'].id;
// @ts-expect-error edge/dup/{p}/publish needs its parameter
void c.edge.dup.publish$.publish({ name: 'n' });
// @ts-expect-error edge/node.child has no reply type
void c.edge.node.child.request({ id: 'x' });
void [s, caps, a1, p1, p2, p5, a2, p3, p4, a4, a3, v, addr, name, id];
`;

describe('generated code for the edge-case schema', () => {
  it('compiles under tsc --strict with a program using it', async () => {
    // The program below uses what the ts emitter writes: if the emitter is gone, say so by name.
    expect(emitters.map((e) => e.name)).toContain('ts');
    const { ir, hasErrors } = compile(expandInputs([repoPath('tests/cases/registry-edges')]));
    expect(hasErrors).toBe(false);
    const r = await typecheckGenerated(ir, USE, 'registry-edges-');
    made.push(r.dir);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 180_000);
});
