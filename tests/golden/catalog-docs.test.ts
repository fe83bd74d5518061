import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allEntries } from '../../compiler/diagnostics/catalog.ts';
import { renderAll } from '../../compiler/diagnostics/render.ts';
import { compile } from '../../compiler/program.ts';
import { diskHost } from '../helpers/compile.ts';
import { DIAGNOSTIC_CASES_DIR, UPDATE_GOLDEN } from '../helpers/golden.ts';
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

/**
 * The example output shown under each "Example (`tests/golden/diagnostics/<case>/`)" line is the
 * compiler's current human rendering of that case, so the docs cannot drift from the compiler. In
 * update mode (`npm run golden:update`) the blocks are rewritten; otherwise a difference fails.
 */
describe('docs/diagnostics.md examples', () => {
  const examplePattern = /(Example \(`tests\/golden\/diagnostics\/([^/`]+)\/`\)[^\n]*\n)(\n```midl\n[\s\S]*?\n```\n)?(\n```text\n)([\s\S]*?)(\n```)/g;

  function rendering(caseName: string): string {
    const dir = join(DIAGNOSTIC_CASES_DIR, caseName);
    const result = compile([join(dir, 'input.midl')], { host: diskHost(dir) });
    return renderAll(result.diagnostics, 'human').trimEnd();
  }

  it('shows the current human output of every golden case it cites', () => {
    const synced = doc.replace(examplePattern, (_all, head: string, caseName: string, midl: string | undefined, open: string, _old: string, close: string) => {
      const input = midl === undefined ? '' : `\n\`\`\`midl\n${readFileSync(join(DIAGNOSTIC_CASES_DIR, caseName, 'input.midl'), 'utf8').trimEnd()}\n\`\`\`\n`;
      return `${head}${input}${open}${rendering(caseName)}${close}`;
    });
    if (UPDATE_GOLDEN) {
      if (synced !== doc) writeFileSync(repoPath('docs/diagnostics.md'), synced);
      return;
    }
    expect(synced, 'docs/diagnostics.md examples are stale; run `npm run golden:update` and review the diff').toBe(doc);
  });
});
