import { closeSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAppending, readDedupeJournal } from '../../cli/operator/dedupe-journal.ts';

const dir = mkdtempSync(join(tmpdir(), 'midl-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const id = (n: number) => n.toString(16).padStart(32, '0');

describe('a journal cut short by a kill', () => {
  it('is appended to on a fresh line: the cut line stays one unreadable line, the next record is whole', async () => {
    const file = join(dir, 'cut.jsonl');
    writeFileSync(file, `${JSON.stringify({ dedupe: id(1) })}\n{"dedupe":"00`);
    const fd = openAppending(file);
    writeSync(fd, `${JSON.stringify({ dedupe: id(2) })}\n`);
    closeSync(fd);
    expect(readFileSync(file, 'utf8').split('\n')).toEqual([JSON.stringify({ dedupe: id(1) }), '{"dedupe":"00', JSON.stringify({ dedupe: id(2) }), '']);
    const journal = await readDedupeJournal(file, 10);
    expect(journal.seen).toEqual([id(1), id(2)]);
    expect(journal.unreadable).toEqual([`${file}:2`]);
  });

  it('adds nothing to a file that ends with a newline, and creates a missing one', () => {
    const whole = join(dir, 'whole.jsonl');
    writeFileSync(whole, `${JSON.stringify({ dedupe: id(3) })}\n`);
    closeSync(openAppending(whole));
    expect(readFileSync(whole, 'utf8')).toBe(`${JSON.stringify({ dedupe: id(3) })}\n`);
    const fresh = join(dir, 'fresh.jsonl');
    closeSync(openAppending(fresh));
    expect(readFileSync(fresh, 'utf8')).toBe('');
  });
});
