/**
 * The facts say what the bus does: capability wording follows the bus's rule (holding any one of a
 * topic's capabilities is enough, runtime/bus/capabilities.ts `maskAllows`), and topics that only report
 * are offered as subscriptions, never as callable tools.
 */
import { describe, expect, it } from 'vitest';
import { emitReadme } from '../../compiler/emitters/docs/index.ts';
import { maskAllows } from '../../runtime/bus/capabilities.ts';
import { factsOf, programOfText } from './helpers.ts';

const CAPS = `package studio.caps;
version "1.0.0";

capability a.one;
capability a.two;
capability a.three;
capability b.one;

struct P {
  x: u8 @1;
}

topic caps/many {
  payload: P;
  publish: a.one, a.two, a.three;
  subscribe: b.one;
}

topic caps/two {
  payload: P;
  subscribe: a.one, a.two;
}
`;

describe('capability wording', () => {
  it('says that any one of the listed capabilities is enough, as the bus enforces', () => {
    // The rule the wording must state: one granted bit of the topic's mask admits the session.
    expect(maskAllows(0b010n, 0b111n)).toBe(true);
    const { ir } = programOfText(CAPS);
    const tools = factsOf(ir).tools;
    const many = tools.find((t) => t.topic === 'caps/many')!.description;
    const two = tools.find((t) => t.topic === 'caps/two')!.description;
    expect(many).toContain('Capabilities: publishing needs any one of a.one, a.three or a.two; subscribing needs b.one.');
    expect(two).toContain('Capabilities: publishing needs none; subscribing needs any one of a.one or a.two.');
    for (const d of [many, two]) expect(d).not.toMatch(/ and a\./);
  });

  it('reads the same in the generated README', () => {
    const { ir } = programOfText(CAPS);
    const readme = emitReadme(ir)
      .map((f) => f.content)
      .join('\n');
    expect(readme).toMatch(/\| publish needs \| any one of \[a\.one\]\([^)]*\), \[a\.three\]\([^)]*\) or \[a\.two\]\([^)]*\) \|/);
    expect(readme).toMatch(/\| subscribe needs \| \[b\.one\]\([^)]*\) \|/);
  });
});
