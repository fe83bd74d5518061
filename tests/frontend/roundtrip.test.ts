import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatFile } from '../../compiler/format/format.ts';
import { formatProblems, parseText } from '../helpers/format.ts';
import { findMidlFiles, repoRelative } from '../helpers/repo.ts';
import { UNFORMATTED, VALID } from '../helpers/schemas.ts';

/** Every schema in the repository, picked up at run time: idl/ and examples/ grow independently. */
const files = findMidlFiles(['idl', 'examples', 'tests/golden']).map((abs) => ({ name: repoRelative(abs), text: readFileSync(abs, 'utf8') }));
const clean = files.filter((f) => !parseText(f.text, f.name).hasSyntaxErrors);

describe('parse → fmt → parse round trip', () => {
  it('has schemas to work on', () => {
    expect(clean.length).toBeGreaterThan(10);
  });

  it.each(clean.map((f) => [f.name, f.text] as const))('%s keeps its tokens and comments, and fmt is idempotent', (name, text) => {
    expect(formatProblems(text, name)).toEqual([]);
  });

  it('a messy file comes out in canonical layout', () => {
    expect(formatProblems(UNFORMATTED)).toEqual([]);
    expect(formatFile(parseText(UNFORMATTED))).toBe(`/// Transport of the studio recorder.
package studio.transport;
version "2.0.1";
/// Move the play head.
struct Locate {
  /// Target position in samples.
  sample: u64 @1;
  play: bool @2 = false; // stays stopped
}

topic transport/locate {
  payload: Locate;
  qos: at_least_once;
}
`);
  });

  it('a canonical file is left as it is', () => {
    expect(formatFile(parseText(VALID))).toBe(VALID);
  });
});
