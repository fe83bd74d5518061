/** The template engine and its helpers (compiler/emitters/shared/templates.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatBudget,
  formatBytes,
  formatMicros,
  inlineCode,
  paragraphs,
  renderTemplate,
  tableCell,
  TEMPLATES_DIR,
} from '../../compiler/emitters/shared/templates.ts';

describe('template helpers', () => {
  it('unwraps doc comments into paragraphs', () => {
    expect(paragraphs('one\ntwo  \n\n  three\n\n\n')).toEqual(['one two', 'three']);
    expect(paragraphs('')).toEqual([]);
  });

  it('formats durations, sizes and budgets in the largest exact unit', () => {
    expect([0, 1, 500, 1000, 1500, 250_000, 2_000_000].map(formatMicros)).toEqual(['0 µs', '1 µs', '500 µs', '1 ms', '1500 µs', '250 ms', '2 s']);
    expect([0, 256, 1024, 1536, 65536, 3 * 2 ** 20, 2 ** 30].map(formatBytes)).toEqual(['0 B', '256 B', '1 KiB', '1536 B', '64 KiB', '3 MiB', '1 GiB']);
    expect(formatBudget({ latencyUs: 5000, jitterUs: 1000 })).toBe('latency 5 ms, jitter 1 ms');
    expect(formatBudget({ jitterUs: 500 })).toBe('jitter 500 µs');
    expect(formatBudget({})).toBeNull();
  });

  it('makes table cells and code spans safe', () => {
    expect(tableCell('a | b\nc')).toBe('a \\| b c');
    expect(inlineCode('x')).toBe('`x`');
    expect(inlineCode('a`b')).toBe('`` a`b ``');
    expect(inlineCode('``')).toBe('``` `` ```');
  });
});

describe('renderTemplate', () => {
  it('reads templates from the repository templates/ directory', () => {
    expect(TEMPLATES_DIR.endsWith('/templates/')).toBe(true);
    expect(
      renderTemplate('facts/description.hbs', { doc: null, topic: null, intent: null, hints: [], errors: null, maxPayload: null, package: 'p', version: '1' }),
    ).toBe('');
  });

  it('is strict: a field missing from the view is an error, not an empty string', () => {
    expect(() => renderTemplate('facts/description.hbs', { doc: 'x' })).toThrow();
  });

  it('does not escape HTML and gives no access to prototypes', () => {
    const dir = mkdtempSync(join(TEMPLATES_DIR, '.test-'));
    try {
      const name = `${dir.slice(TEMPLATES_DIR.length)}/t.hbs`;
      writeFileSync(join(dir, 't.hbs'), '{{text}}|{{join list "+"}}|{{count n "x" "xs"}}|{{#with obj}}{{constructor}}{{/with}}');
      expect(renderTemplate(name, { text: '<a & b>', list: [1, 'two'], n: 1, obj: {} })).toBe('<a & b>|1+two|1 x|');
      writeFileSync(join(dir, 'missing.hbs'), '{{present}} {{absent}}');
      expect(() => renderTemplate(`${dir.slice(TEMPLATES_DIR.length)}/missing.hbs`, { present: 1 })).toThrow(/"absent" not defined/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
