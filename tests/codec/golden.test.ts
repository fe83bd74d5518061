/**
 * The payload golden vectors of docs/wire.md § Payload, checked both ways with the codecs generated
 * from idl/: the JSON form encodes to exactly the listed bytes, and the bytes decode to that value.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import { tsNames, typesModule } from '../../compiler/emitters/shared/names.ts';
import { compile } from '../../compiler/program.ts';
import type { Codec } from '../../runtime/codec/index.ts';
import { repoPath } from '../helpers/repo.ts';

const doc = readFileSync(repoPath('docs/wire.md'), 'utf8');
const payload = doc.slice(doc.indexOf('\n## Payload'));
const vectors = [...payload.matchAll(/```\ntype: (\S+)\njson: (.+)\nhex: +([0-9a-f ]+)\n```/g)].map((m) => ({
  type: m[1]!,
  json: m[2]!,
  hex: m[3]!.replace(/ /g, ''),
}));
const ir = compile(expandInputs([repoPath('idl')])).ir;
const names = tsNames(ir);

async function codecOf(typeName: string): Promise<Codec<unknown>> {
  const decl = ir.types.find((t) => t.name === typeName);
  if (!decl) throw new Error(`docs/wire.md names unknown type ${typeName}`);
  const mod = (await import(pathToFileURL(repoPath('generated', `${typesModule(decl.package)}.ts`)).href)) as Record<string, Codec<unknown>>;
  return mod[names.get(typeName)!]!;
}

describe('docs/wire.md payload golden vectors', () => {
  it('lists the vectors', () => {
    expect(payload.length).toBeGreaterThan(100);
    expect(vectors.length).toBeGreaterThanOrEqual(4);
  });

  it.each(vectors.map((v) => [v.type, v] as const))('%s', async (_, v) => {
    const c = await codecOf(v.type);
    const json = JSON.parse(v.json) as unknown;
    expect(Buffer.from(c.encode(c.fromJSON(json))).toString('hex')).toBe(v.hex);
    const decoded = c.toJSON(c.decode(new Uint8Array(Buffer.from(v.hex, 'hex'))));
    // The JSON form of the decoded value: map keys come back sorted, absent optionals stay absent.
    expect(decoded).toEqual(c.toJSON(c.fromJSON(json)));
  });
});
