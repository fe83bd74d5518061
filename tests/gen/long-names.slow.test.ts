/**
 * Hostile names and docs through the real emitters: schemas whose names run past the line width
 * (types, fields, arms, members, capabilities, topics, intents, error codes, packages) and whose
 * docs, messages, patterns and defaults hold quotes, escapes and wide characters. Everything gen
 * writes as TypeScript must still be prettier-canonical, and every fast-path line must match its
 * full layout.
 */
import fc from 'fast-check';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitAll } from '../../compiler/emitters/index.ts';
import { verifyFastPath } from '../../compiler/emitters/shared/ts/index.ts';
import { compileText } from '../helpers/compile.ts';
import { repoPath } from '../helpers/repo.ts';

let options: prettier.Options;
beforeAll(async () => {
  options = { ...(await prettier.resolveConfig(repoPath('generated/index.ts'), { editorconfig: false })), parser: 'typescript' };
  verifyFastPath(true);
});
afterAll(() => verifyFastPath(false));

/** A name of `length` characters (at least 1), made unique by `tag`. */
const name = (tag: string, length: number) => `${tag}${'n'.repeat(Math.max(0, length - tag.length))}`;
const lower = (tag: string, length: number) => name(tag, length).toLowerCase();

/** Doc and message text: quotes, backslashes, wide characters, emoji, a `*\/`. */
const text = fc.string({ minLength: 0, maxLength: 200, unit: fc.constantFrom('a', 'b', ' ', "'", '"', '\\', '漢', '👍', 'é', '*/', '`', '$', '{') });

function schema(n: number[], docs: string[], lines: string[]): string {
  const [pkg = 1, type = 1, field = 1, arm = 1, member = 1, code = 1, cap = 1, seg = 1] = n;
  // `///` doc lines end at the line break: every doc here is one line of text.
  const doc = (i: number) => `/// ${(docs[i % docs.length] ?? '').replace(/\n/g, ' ')}`;
  const str = (i: number) => JSON.stringify(lines[i % lines.length] ?? '');
  // The same text as a pattern matching it literally.
  const pattern = (i: number) => JSON.stringify((lines[i % lines.length] ?? '').replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'));
  const P = lower('p', pkg);
  const T = (i: number) => name(`T${i}`, type);
  const F = (i: number) => name(`f${i}`, field);
  return `${doc(0)}
package ${P}.${lower('q', pkg)};
version "1.0.0";

${doc(1)}
capability ${lower('c', cap)}.${lower('d', cap)};

${doc(2)}
enum ${T(1)} {
  ${name('m1', member)} = 0;
  ${name('m2', member)} = -7;
}

${doc(3)}
struct ${T(2)} {
  ${doc(4)}
  ${F(1)}: string @1 = ${str(0)};
  ${F(2)}?: u64[] @2;
  ${F(3)}: map<string, ${T(1)}[]> @3;
  ${F(4)}: ${T(1)} @4 = ${name('m2', member)};
  ${F(5)}: string @5 (pattern = ${pattern(1)});
  ${F(6)}: i32[][] @6;
  ${F(7)}: json @7;
  ${F(8)}: timestamp @8;
  ${F(9)}?: map<u32, string> @9;
}

${doc(5)}
union ${T(3)} {
  ${doc(6)}
  ${name('a1', arm)}: ${T(2)} @1;
  ${name('a2', arm)}: string[] @2;
  ${name('a3', arm)}: map<i64, bool> @3;
}

/// The reply: one arm of the union.
struct ${T(5)} {
  ${F(1)}: ${T(3)} @1;
}

${doc(7)}
errors ${T(4)} {
  ${name('E1', code).toUpperCase()} = 1 ${str(2)};
  ${name('E2', code).toUpperCase()} = 2;
}

${doc(8)}
topic ${lower('s', seg)}/${lower('t', seg)}.x/{${name('corr', seg)}} {
  payload: ${T(2)};
  reply: ${T(5)};
  publish: ${lower('c', cap)}.${lower('d', cap)};
  errors: ${T(4)};
}

${doc(9)}
intent ${lower('i', seg)}.${lower('j', seg)} {
  body: ${T(2)};
  reply: ${T(5)};
  http: POST "/${lower('h', seg)}/{${F(1)}}";
  service: ${lower('svc', seg)};
}
`;
}

describe('hostile names and docs', () => {
  // Twelve schemas through every emitter and prettier: about 15 s alone, over 60 s on a loaded 2-core machine.
  it('still give prettier-canonical TypeScript', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 8, maxLength: 8 }),
        fc.array(text, { minLength: 1, maxLength: 10 }),
        fc.array(text, { minLength: 1, maxLength: 3 }),
        async (lengths, docs, lines) => {
          const result = compileText(schema(lengths, docs, lines));
          // Every one compiles (a rejected schema would check nothing).
          expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
          for (const f of emitAll(result.ir, { runtimeImport: 'midl/runtime' })) {
            if (!f.path.endsWith('.ts')) continue;
            const formatted = await prettier.format(f.content, options);
            if (formatted !== f.content) {
              const a = f.content.split('\n');
              const b = formatted.split('\n');
              let i = 0;
              while (a[i] === b[i]) i++;
              expect.fail(`${f.path}:${i + 1}\n  written:  ${JSON.stringify(a[i])}\n  prettier: ${JSON.stringify(b[i])}`);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('the schema above compiles for plain inputs (so the property is not vacuous)', () => {
    const result = compileText(schema([1, 1, 1, 1, 1, 1, 1, 1], ['doc'], ['x']));
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
    const long = compileText(schema([150, 150, 150, 150, 150, 150, 150, 150], ['doc'], ['x']));
    expect(long.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });
});
