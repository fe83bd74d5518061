import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/repo.ts';

/** The topic block at `start` in `text`: from its `topic` line to the `}` that closes it. */
function topicBlock(text: string, start: string): string[] {
  const lines = text.split('\n');
  const from = lines.indexOf(start);
  if (from < 0) return [];
  const to = lines.indexOf('}', from);
  return lines.slice(from, to + 1);
}

describe('README', () => {
  it("the tour's topic is the one in idl/gpu/gpu.midl, as written there", () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const schema = readFileSync(repoPath('idl/gpu/gpu.midl'), 'utf8');
    const shown = topicBlock(readme, 'topic gpu/job.dispatch {');
    expect(shown.length).toBeGreaterThan(2);
    expect(shown).toEqual(topicBlock(schema, 'topic gpu/job.dispatch {'));
  });
});
