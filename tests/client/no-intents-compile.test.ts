import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitAll } from '../../compiler/emitters/index.ts';
import { compileText } from '../helpers/compile.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * Issue 11: the documented `new NetworkBus({ ...registry })` with `intents: Object.values(intents)`
 * failed to type-check for a schema without intents (`Object.freeze({})` gave `unknown[]`). The
 * registry of such a schema types its empty `intents` so that the pattern compiles under tsc --strict.
 */
const SCHEMA = `package solo.app;
version "1.0.0";

/// A ping.
struct Ping {
  /// Its number.
  n: u32 @1;
}

/// Pings.
topic solo/ping {
  payload: Ping;
  qos: at_least_once;
}
`;

const USE = `
import { NetworkBus } from '../../../runtime/index.ts';
import { intents, topics, type IntentName } from './index.ts';

const registry = { topics: Object.values(topics), intents: Object.values(intents) };
const bus = new NetworkBus({ name: 'solo', ...registry });
const none: IntentName[] = [];
void [bus, none];
`;

const root = repoPath('tmp');
mkdirSync(root, { recursive: true });
const dir = mkdtempSync(join(root, 'no-intents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the registry of a schema without intents', () => {
  it('serves `new NetworkBus({ topics: Object.values(topics), intents: Object.values(intents) })` under tsc --strict', async () => {
    const { ir, diagnostics } = compileText(SCHEMA);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ir.intents).toEqual([]);
    const out = join(dir, 'gen');
    for (const f of emitAll(ir, { runtimeImport: '../../../runtime/index.ts' })) {
      mkdirSync(dirname(join(out, f.path)), { recursive: true });
      writeFileSync(join(out, f.path), f.content);
    }
    writeFileSync(join(out, 'use.ts'), USE);
    writeFileSync(join(out, 'tsconfig.json'), JSON.stringify({ extends: '../../../tsconfig.json', include: ['.'] }));
    const r = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        process.execPath,
        [repoPath('node_modules/typescript/bin/tsc'), '-p', join(out, 'tsconfig.json'), '--noEmit'],
        { maxBuffer: 8 << 20 },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      ),
    );
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 180_000);
});
