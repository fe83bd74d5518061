import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoopbackHub, compilePattern, formatAddress, matchAddress, topicPattern } from '../../runtime/bus/index.ts';
import { tick } from '../helpers/bus.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { cell } from './fixtures.ts';

const busErrors = collectBusErrors();
const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/);
const paramValue = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/') && !/[{}]/.test(s) && s !== '*' && s !== '**'),
  fc.nat().map((n) => n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

describe('addresses and patterns', () => {
  it('formatAddress then the topic pattern gives the params back (as strings)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            segment.map((text) => ({ text })),
            fc.constant({ param: true }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(paramValue, { minLength: 6, maxLength: 6 }),
        (shape, values) => {
          const names: string[] = [];
          const template = ['root', ...shape.map((s, i) => ('param' in s ? (names.push(`p${i}`), `{p${i}}`) : s.text))].join('/');
          const params = Object.fromEntries(names.map((n, i) => [n, values[i]!]));
          const address = formatAddress(template, params);
          expect(matchAddress(topicPattern(template), address)).toEqual(Object.fromEntries(names.map((n, i) => [n, String(values[i])])));
          expect(matchAddress(compilePattern('root/**'), address)).toEqual({});
        },
      ),
    );
  });

  it('matches segment by segment', () => {
    const m = (p: string, a: string) => matchAddress(compilePattern(p), a);
    expect(m('gpu/*', 'gpu/job.dispatch')).toEqual({});
    expect(m('gpu/*', 'gpu/job.result/1')).toBeUndefined();
    expect(m('gpu/*', 'gpu')).toBeUndefined();
    expect(m('gpu/**', 'gpu')).toEqual({});
    expect(m('gpu/**', 'gpux/a')).toBeUndefined();
    expect(m('**', 'anything/at/all')).toEqual({});
    expect(m('a/{x}/c/{y}', 'a/1/c/2')).toEqual({ x: '1', y: '2' });
    expect(m('a/{x}', 'a/1/2')).toBeUndefined();
    expect(m('job.dispatch', 'job')).toBeUndefined();
  });

  it('captures a parameter named __proto__ as data', () => {
    const got = matchAddress(compilePattern('a/{__proto__}'), 'a/x');
    expect(Object.keys(got!)).toEqual(['__proto__']);
    expect(got!['__proto__']).toBe('x');
  });

  it('topicPattern fixes only the given params', () => {
    const p = topicPattern('grid/{grid}/cell/{cell}', { cell: 5 });
    expect(matchAddress(p, 'grid/g/cell/5')).toEqual({ grid: 'g' });
    expect(matchAddress(p, 'grid/g/cell/6')).toBeUndefined();
  });

  it('delivers every message of a random interleaving in publication order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('1', '2')), { maxLength: 60 }), async (sends) => {
        const hub = new LoopbackHub({ onError: busErrors.for('hub') });
        const bus = hub.connect({ capabilities: 0n });
        const all: string[] = [];
        const perCell = new Map<string, number[]>();
        bus.subscribe('grid/**', (_v, d) => void all.push(d.address));
        bus.subscribe(cell, (v, d) => {
          const k = `${d.params.grid}/${d.params.cell}`;
          perCell.set(k, [...(perCell.get(k) ?? []), v.n]);
        });
        sends.forEach(([grid, c], n) => void bus.publish(cell, { status: 'ok', n }, { params: { grid, cell: c } }));
        await tick();
        expect(all).toEqual(sends.map(([g, c]) => `grid/${g}/cell/${c}`));
        for (const [k, ns] of perCell) {
          expect(ns).toEqual(sends.flatMap(([g, c], n) => (`${g}/${c}` === k ? [n] : [])));
        }
      }),
      { numRuns: 50 },
    );
  });
});
