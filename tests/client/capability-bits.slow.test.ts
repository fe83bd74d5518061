import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registryEmitter } from '../../compiler/emitters/registry/index.ts';
import { removeTempProjects, runMidl, tempProject } from '../helpers/cli.ts';
import { compileText } from '../helpers/compile.ts';

/** MIDL1501–1503 stop `midl gen`: exit code 1, the code on stderr, nothing written. */
const head = 'package caps.test;\nversion "1.0.0";\n';

const cases: [code: string, body: string][] = [
  ['MIDL1501', 'capability a.one = 3;\ncapability a.two = 3;\n'],
  ['MIDL1502', 'capability a.far = 64;\n'],
  ['MIDL1503', Array.from({ length: 65 }, (_, i) => `capability c.n${i};`).join('\n') + '\n'],
];

afterAll(removeTempProjects);

describe('capability bit errors fail midl gen', () => {
  it.each(cases)('%s', async (code, body) => {
    const dir = tempProject({ 'caps.midl': head + body });
    const out = join(dir, 'out');
    const r = await runMidl(['gen', join(dir, 'caps.midl'), '--out', out], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(code);
    expect(existsSync(join(out, 'capabilities.ts'))).toBe(false);
  });

  it('64 capabilities fit and generate every bit', () => {
    const result = compileText(head + Array.from({ length: 64 }, (_, i) => `capability c.n${i};`).join('\n') + '\n');
    expect(result.hasErrors).toBe(false);
    const text = registryEmitter.emit(result.ir, { runtimeImport: 'midl/runtime' }).find((f) => f.path === 'capabilities.ts')!.content;
    expect(text).toContain('mask: 0x8000000000000000n');
    expect(text.match(/bit: \d+,/g)).toHaveLength(64);
  });
});
