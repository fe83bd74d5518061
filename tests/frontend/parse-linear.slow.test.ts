import { describe, expect, it } from 'vitest';
import { parseFile } from '../../compiler/parser/parse.ts';
import { SourceFile } from '../../compiler/source.ts';
import { expectLinear } from '../helpers/linear.ts';

/**
 * Reporting many syntax errors stays linear: each missing '}' (MIDL1107) names the block it belongs to,
 * found in one pass over the tokens for the whole file, not a scan from the start per error.
 */
function codes(pieces: number): Map<string, number> {
  const text = 'package a;\n' + 'struct A { x: u8 @1; ) }\n'.repeat(pieces);
  const out = new Map<string, number>();
  for (const d of parseFile(new SourceFile('many.midl', text)).diagnostics.all) out.set(d.code, (out.get(d.code) ?? 0) + 1);
  return out;
}

describe('the parser reports many errors in linear time', () => {
  it("6,000 blocks each missing its '}' before a stray ')'", { timeout: 120_000 }, () => {
    const result = expectLinear(
      () => codes(600),
      () => codes(6000),
    );
    expect([...result]).toEqual([['MIDL1107', 6000]]);
  });
});
