import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allEntries } from '../../compiler/diagnostics/catalog.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * docs/diagnostics.md documents every catalog entry under `<a id="midlNNNN"></a>` + `## MIDLNNNN name`
 * (so links like diagnostics.md#midl1203 work), with the catalog's severity and message template, and
 * documents nothing that is not in the catalog.
 */
const doc = readFileSync(repoPath('docs/diagnostics.md'), 'utf8');
const entries = allEntries();
const codes = new Set<string>(entries.map((e) => e.code));

/** The text of each section, from its anchor to the next anchor. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = doc.split(/(?=<a id="midl\d+"><\/a>)/);
  for (const part of parts) {
    const m = /^<a id="midl(\d+)"><\/a>/.exec(part);
    if (m) out.set(`MIDL${m[1]}`, part);
  }
  return out;
}

describe('docs/diagnostics.md', () => {
  const bySection = sections();

  it.each(entries.map((e) => [e.code, e] as const))('documents %s under its anchor, with heading, severity and message', (code, e) => {
    const section = bySection.get(code);
    expect(section, `docs/diagnostics.md needs <a id="${code.toLowerCase()}"></a> followed by ## ${code} ${e.name}`).toBeDefined();
    expect(section!.split('\n').find((l) => l.startsWith('## '))).toBe(`## ${code} ${e.name}`);
    expect(section).toContain(`- Severity: ${e.severity}`);
    expect(section).toContain(`- Message: \`${e.message}\``);
    expect(section).toContain('How to fix:');
  });

  it('names no code that is not in the catalog, and each code once', () => {
    const anchors = [...doc.matchAll(/<a id="(midl\d+)"><\/a>/g)].map((m) => m[1]!.toUpperCase());
    const headings = [...doc.matchAll(/^#+ (MIDL\d+)\b/gm)].map((m) => m[1]!);
    expect(anchors.filter((c) => !codes.has(c))).toEqual([]);
    expect(headings.filter((c) => !codes.has(c))).toEqual([]);
    expect(new Set(anchors).size).toBe(anchors.length);
    expect(headings).toEqual(anchors);
  });

  it('mentions no other MIDL code in its text', () => {
    const mentioned = new Set([...doc.matchAll(/\bMIDL(\d{4})\b/g)].map((m) => `MIDL${m[1]}`));
    expect([...mentioned].filter((c) => !codes.has(c))).toEqual([]);
  });
});
